//! The command line's arguments, as `severn --help` lists them: clap parses them into these types, and the
//! handlers in `commands` act on them. Values with a fixed set of spellings (organisation kinds, roles,
//! bands) are typed by the domain's own names, so clap lists them and refuses any other.

use clap::builder::PossibleValue;
use clap::{Args, Parser, Subcommand, ValueEnum};
use severn_app::ingest::DEFAULT_BATCH_SIZE;
use severn_domain::access::{OrgKind, Role};
use severn_domain::identity::TokenLifetime;
use severn_domain::risk::Band;
use std::path::PathBuf;

/// Severn: online child sexual abuse and exploitation referrals, from receipt to outcome.
#[derive(Parser)]
#[command(name = "severn", version, about)]
pub struct Cli {
    /// Database URL: sqlite://PATH (created if missing) or postgres://USER@HOST/DB.
    #[arg(long, global = true, env = "SEVERN_DATABASE_URL")]
    pub database: Option<String>,
    /// The audit log's key file (64 hex digits), kept outside the database; created if missing. Default:
    /// beside a SQLite database (DB.audit-key), or severn-audit.key for PostgreSQL.
    #[arg(long, global = true, env = "SEVERN_AUDIT_KEY_FILE")]
    pub audit_key: Option<PathBuf>,
    /// Where signed audit checkpoints are appended, outside the database. Default: beside the key file.
    #[arg(long, global = true, env = "SEVERN_AUDIT_CHECKPOINTS")]
    pub audit_checkpoints: Option<PathBuf>,
    /// The name the audit log records for what you do at the command line.
    #[arg(long, global = true, env = "USER", default_value = "unknown")]
    pub operator: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Apply pending database migrations (they are also applied on every start).
    Migrate,
    /// Serve the web application and its JSON API.
    Serve(ServeArgs),
    /// Take in referral documents: CyberTip XML and LE JSON, NCA packages, partner CSV; files or directories.
    Ingest(IngestArgs),
    /// List rejected documents kept for correction, or retry one.
    Rejects(RejectsArgs),
    /// Write a synthetic referral stream with ground truth.
    Synth(SynthArgs),
    /// Every subject with its referrals, identifiers and links.
    Subjects {
        /// Print one JSON array (the only form at present).
        #[arg(long)]
        json: bool,
    },
    /// Investigators' decisions on a subject.
    #[command(subcommand)]
    Subject(SubjectCommand),
    /// Open work in SLA order, overdue first.
    Queue {
        #[arg(long)]
        json: bool,
        /// How many subjects to list.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// A referral.
    #[command(subcommand)]
    Referral(ReferralCommand),
    /// A case: open one on a subject, show it, add an event to its timeline.
    #[command(subcommand)]
    Case(CaseCommand),
    /// Skills and training records: import, export, what each post requires, coverage.
    #[command(subcommand)]
    Training(TrainingCommand),
    /// The allocation policy: which skills a case needs.
    #[command(subcommand)]
    Allocation(AllocationCommand),
    /// The directory of commissioned support services: list, add, import, export.
    #[command(subcommand)]
    SupportServices(SupportServicesCommand),
    /// Give the notices due now to cases' officers and supervisors (due soon, overdue), and e-mail those not
    /// yet sent when an SMTP relay is named. `severn serve --smtp` does this every five minutes.
    Notices {
        #[command(flatten)]
        mail: MailArgs,
        #[arg(long)]
        json: bool,
    },
    /// A worklist of cases, filtered and sorted, 50 a page (the filters are those of /cases and /api/cases).
    Cases {
        #[command(flatten)]
        filters: WorklistArgs,
        #[arg(long)]
        json: bool,
    },
    /// The risk tool: install a version, assess, override, rescore.
    #[command(subcommand)]
    Risk(RiskCommand),
    /// Build a demo database from synthetic data and print the queue.
    Demo(DemoArgs),
    /// Linking quality against a synthetic corpus's ground truth: pairwise precision and recall.
    Quality {
        /// The corpus's ground-truth.csv.
        #[arg(long)]
        truth: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// The statutory audit log: verify it, checkpoint it, read it.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Organisations: forces, the regional unit, the PCC's office, the NCA.
    #[command(subcommand)]
    Org(OrgCommand),
    /// The force's target for sending a referral to children's social care, in working days after the child
    /// is identified (0: the same working day): show it, or set it (administrators).
    ReferralTarget {
        /// The new target, 0 to 10 working days.
        #[arg(long)]
        days: Option<u32>,
        #[arg(long)]
        json: bool,
    },
    /// Staff accounts and their roles.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// Reference lists: the bank holidays working days are counted with, the local authorities children are
    /// referred to.
    #[command(subcommand)]
    Reference(ReferenceCommand),
}

#[derive(Subcommand)]
pub enum CaseCommand {
    /// Open a case on a subject from the queue; the subject leaves the queue for the worklist.
    Open {
        subject: i64,
        #[arg(long)]
        json: bool,
    },
    /// A case: where its clock stands, its warrants, how long each stage took, and its timeline.
    Show {
        case: i64,
        #[arg(long)]
        json: bool,
    },
    /// The people who could take a case, ranked: required skills held and in date, workload, availability.
    Candidates {
        case: i64,
        #[arg(long)]
        json: bool,
    },
    /// Give a case an officer in charge (and a supervisor: you, unless --supervisor names another).
    Allocate {
        case: i64,
        /// The officer's user name.
        #[arg(long)]
        officer: String,
        #[arg(long)]
        supervisor: Option<String>,
        /// Needed when the officer lacks a skill the policy requires: why they should have it anyway.
        #[arg(long)]
        override_rationale: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Add an event to a case's timeline (docs/cases.md lists the facts and their fields).
    Record {
        case: i64,
        /// The fact as JSON, e.g. '{"kind":"arrest"}' or
        /// '{"kind":"warrant_applied","warrant":1,"warrant_type":"pace_s8","court":"...","remote":true}'.
        #[arg(long)]
        fact: String,
        /// When it happened (RFC 3339); now if not given.
        #[arg(long)]
        at: Option<jiff::Timestamp>,
        /// The event this one corrects or withdraws.
        #[arg(long)]
        supersedes: Option<i64>,
        /// Why a late entry or a correction is made.
        #[arg(long)]
        rationale: Option<String>,
        /// Enter it as a correction (with --rationale): the rules on the order of events do not apply.
        #[arg(long)]
        correction: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum TrainingCommand {
    /// Import training records from CSV (username,skill,achieved_on,expires_on,evidence): all or nothing.
    Import {
        file: PathBuf,
        /// The force's code (an operator must name one).
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Print a force's training records as CSV, in the import's format (or as JSON).
    Export {
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// A force's skills.
    Skills {
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Add a skill to a force's catalogue, or rename one.
    Skill {
        code: String,
        #[arg(long)]
        name: String,
        /// Months after it is achieved that it must be renewed.
        #[arg(long)]
        renew_months: Option<u32>,
        #[arg(long)]
        org: Option<String>,
    },
    /// Set the skills a post requires (what coverage is measured against).
    Require {
        #[arg(long)]
        post: String,
        /// A skill code (repeat for several).
        #[arg(long = "skill")]
        skills: Vec<String>,
        #[arg(long)]
        org: Option<String>,
    },
    /// Who in each team holds what their post requires, what lapses within 90 days, each team's share covered.
    Coverage {
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Set a person's post, capacity (live cases) and working days.
    Profile {
        username: String,
        #[arg(long)]
        post: String,
        #[arg(long)]
        capacity: u32,
        /// Days worked, e.g. mon,tue,wed,thu,fri.
        #[arg(long, default_value = "mon,tue,wed,thu,fri", value_delimiter = ',')]
        days: Vec<String>,
        /// Where notices about their cases' deadlines are e-mailed.
        #[arg(long)]
        email: Option<String>,
    },
    /// Record an absence, first and last day included.
    Absence {
        username: String,
        #[arg(long)]
        from: jiff::civil::Date,
        #[arg(long)]
        to: jiff::civil::Date,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand)]
pub enum AllocationCommand {
    /// Install an allocation policy version from a TOML file and make it the active one.
    Install { file: PathBuf },
    /// The policy in force.
    Show {
        #[arg(long)]
        json: bool,
    },
}

/// A worklist's list, page, filters and sort. The values are checked by the use case, which names a bad one and
/// the values it takes.
#[derive(Args, Default)]
pub struct WorklistArgs {
    /// Which cases: open (default), unallocated or closed; for a member of staff also mine, team, supervised
    /// or shared.
    #[arg(long)]
    pub list: Option<String>,
    /// Which page (50 cases a page), from 1.
    #[arg(long)]
    pub page: Option<String>,
    /// Only this band: very_high, high, medium or low.
    #[arg(long)]
    pub band: Option<String>,
    /// Only open or only closed cases.
    #[arg(long)]
    pub status: Option<String>,
    /// Only cases whose clock is overdue, due_soon, on_track or stopped.
    #[arg(long)]
    pub clock: Option<String>,
    /// Only cases with this officer in charge (staff number).
    #[arg(long)]
    pub officer: Option<String>,
    /// Only cases with a referral from this source: ncmec, partner_agency, other_force, public_report or
    /// p2p_detection.
    #[arg(long)]
    pub source: Option<String>,
    /// Only restricted cases.
    #[arg(long)]
    pub restricted: bool,
    /// Only cases shared outside the force.
    #[arg(long)]
    pub shared: bool,
    /// Sort by due (default), received, band (highest first) or case (number).
    #[arg(long)]
    pub sort: Option<String>,
    /// asc (default) or desc.
    #[arg(long)]
    pub order: Option<String>,
}

#[derive(Subcommand)]
pub enum OrgCommand {
    /// Add an organisation.
    Add {
        /// Short code, e.g. SEV.
        code: String,
        /// Full name; a force's name is matched against the receiving force of NCA packages.
        name: String,
        /// What kind of organisation it is.
        #[arg(long, value_enum, default_value = "force")]
        kind: KindName,
        #[arg(long)]
        json: bool,
    },
    /// List organisations.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum StaffCommand {
    /// Add a member of staff (or, with --service, a service account for a machine feed).
    Add {
        username: String,
        /// The organisation's code.
        #[arg(long)]
        org: String,
        /// The person's name as shown to others.
        #[arg(long)]
        name: String,
        /// A role (repeat for several).
        #[arg(long = "role", value_enum)]
        roles: Vec<RoleName>,
        #[arg(long)]
        service: bool,
        /// Also set a new password and authenticator (or, for a service account, issue an API token) and
        /// print them once.
        #[arg(long)]
        credentials: bool,
        #[arg(long)]
        json: bool,
    },
    /// List staff with their organisation and roles.
    List {
        #[arg(long)]
        json: bool,
    },
    /// A service account's API tokens: issue, list, revoke.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Changes waiting for a second administrator (adding an account with a role that opens cases, the log
    /// or staff management, or resetting such an account), oldest first.
    Requests {
        #[arg(long)]
        json: bool,
    },
    /// Approve a waiting change: it takes effect, and the account's new password and authenticator are
    /// printed once.
    Approve {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Reject a waiting change: nothing changes.
    Reject {
        id: i64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check every entry's chain MAC and the log's end against the checkpoints; exits 1 on any problem.
    Verify {
        #[arg(long)]
        json: bool,
    },
    /// Write a signed checkpoint of the log's head to the checkpoint file.
    Checkpoint {
        #[arg(long)]
        json: bool,
    },
    /// Allocations made over a period: the share that met the policy at the time, and each that did not.
    Allocation {
        /// First day (Europe/London), inclusive.
        #[arg(long)]
        from: jiff::civil::Date,
        /// Last day (Europe/London), inclusive.
        #[arg(long)]
        to: jiff::civil::Date,
        #[arg(long)]
        json: bool,
        /// Every allocation as CSV.
        #[arg(long, conflicts_with = "json")]
        csv: bool,
        /// Count only what had been recorded by then, to give the figures again as they were: a date (as
        /// that day ended, UK time) or the instant an earlier audit printed.
        #[arg(long, value_parser = severn_app::time::parse_known_at)]
        known_at: Option<jiff::Timestamp>,
    },
    /// How long each stage took over the cases whose first referral arrived in a period (median, 90th
    /// percentile, the cases behind each).
    Stages {
        #[arg(long)]
        from: jiff::civil::Date,
        #[arg(long)]
        to: jiff::civil::Date,
        #[arg(long)]
        json: bool,
        /// Count only what had been recorded by then, to give the figures again as they were: a date (as
        /// that day ended, UK time) or the instant an earlier audit printed.
        #[arg(long, value_parser = severn_app::time::parse_known_at)]
        known_at: Option<jiff::Timestamp>,
    },
    /// Children identified over a period: how soon each was referred to children's social care, how soon the
    /// authority decided, consent, joint plans with overdue actions; each figure with the cases behind it.
    Safeguarding {
        #[arg(long)]
        from: jiff::civil::Date,
        #[arg(long)]
        to: jiff::civil::Date,
        #[arg(long)]
        json: bool,
        /// Each figure as a CSV line, with its cases.
        #[arg(long, conflicts_with = "json")]
        csv: bool,
        /// Count only what had been recorded by then, to give the figures again as they were: a date (as
        /// that day ended, UK time) or the instant an earlier audit printed.
        #[arg(long, value_parser = severn_app::time::parse_known_at)]
        known_at: Option<jiff::Timestamp>,
    },
    /// Gaps in support (the PCC's commissioning evidence): children identified over a period whom no service
    /// took on, by area, age band and need; those no open service could serve; services at capacity; contracts
    /// ending within six months.
    SupportGaps {
        #[arg(long)]
        from: jiff::civil::Date,
        #[arg(long)]
        to: jiff::civil::Date,
        #[arg(long)]
        json: bool,
        /// Count only what had been recorded by then: a date (as that day ended, UK time) or an instant.
        #[arg(long, value_parser = severn_app::time::parse_known_at)]
        known_at: Option<jiff::Timestamp>,
    },
    /// Warrants applied for over a period: time to grant, share heard remotely, refusals, each warrant.
    Warrants {
        #[arg(long)]
        from: jiff::civil::Date,
        #[arg(long)]
        to: jiff::civil::Date,
        #[arg(long)]
        json: bool,
        /// Count only what had been recorded by then, to give the figures again as they were: a date (as
        /// that day ended, UK time) or the instant an earlier audit printed.
        #[arg(long, value_parser = severn_app::time::parse_known_at)]
        known_at: Option<jiff::Timestamp>,
    },
    /// Entries, newest first: who consulted a subject (--target subject:ID), what a person did (--actor).
    Show {
        #[arg(long)]
        target: Option<String>,
        #[arg(long)]
        actor: Option<String>,
        /// From this time (RFC 3339), inclusive.
        #[arg(long)]
        from: Option<jiff::Timestamp>,
        /// Up to this time (RFC 3339), exclusive.
        #[arg(long)]
        to: Option<jiff::Timestamp>,
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
pub struct ServeArgs {
    /// The address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: std::net::SocketAddr,
    /// Severn is reached over HTTPS (directly or through a proxy): cookies are marked Secure and
    /// browsers are told to keep to HTTPS.
    #[arg(long)]
    pub https: bool,
    /// Seconds a connection has to send a request's whole header before it is closed [default: 10].
    #[arg(long)]
    pub header_timeout: Option<u64>,
    /// Seconds a request has to be read and answered before it is stopped (408) [default: 60].
    #[arg(long)]
    pub request_timeout: Option<u64>,
    /// Connections served at once; more wait until one closes [default: 512].
    #[arg(long)]
    pub max_connections: Option<usize>,
    /// Most bytes a body sent to `POST /api/packages` may have [default: 268435456, 256 MiB].
    #[arg(long)]
    pub package_max_bytes: Option<u64>,
    /// Most files and folders an archive sent to `POST /api/packages` may hold [default: 50000].
    #[arg(long)]
    pub package_max_entries: Option<u64>,
    /// Most bytes an archive sent to `POST /api/packages` may unpack to [default: 1073741824, 1 GiB].
    #[arg(long)]
    pub package_max_unpacked_bytes: Option<u64>,
    #[command(flatten)]
    pub mail: MailArgs,
}

/// Where notices are e-mailed from.
#[derive(Args, Clone)]
pub struct MailArgs {
    /// The force's SMTP relay, HOST:PORT (plain SMTP on the force's network; the relay delivers onwards).
    #[arg(long, env = "SEVERN_SMTP")]
    pub smtp: Option<String>,
    /// The sender's address on notices.
    #[arg(
        long,
        env = "SEVERN_MAIL_FROM",
        default_value = "severn@severnshire-police.example"
    )]
    pub mail_from: String,
    /// The address people open Severn at, for the links in notices.
    #[arg(
        long,
        env = "SEVERN_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub public_url: String,
}

impl MailArgs {
    pub fn relay(&self) -> Option<severn_app::mail::Relay> {
        self.smtp.as_ref().map(|address| severn_app::mail::Relay {
            address: address.clone(),
            from: self.mail_from.clone(),
        })
    }

    /// Where a case's page is: the public address and `/cases/`.
    pub fn case_link(&self) -> String {
        format!("{}/cases/", self.public_url.trim_end_matches('/'))
    }
}

#[derive(Args)]
pub struct IngestArgs {
    /// Files and directories (read recursively; a directory with package.json is an NCA package).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Documents per transaction.
    #[arg(long, default_value_t = DEFAULT_BATCH_SIZE)]
    pub batch_size: usize,
    /// The force (code or name) that owns referrals whose NCA package does not name a known force.
    #[arg(long)]
    pub force: Option<String>,
    /// For loading a large backlog: build the identifier-to-referral and work-queue indexes once at the end
    /// instead of entry by entry. Searching by identifier and the work queues are slow until the ingest ends.
    #[arg(long)]
    pub bulk: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct RejectsArgs {
    #[command(subcommand)]
    pub action: Option<RejectsAction>,
    /// Include resolved rejects.
    #[arg(long)]
    pub all: bool,
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum RejectsAction {
    /// Ingest a rejected document again after correcting its file.
    Retry { ids: Vec<i64> },
}

#[derive(Args)]
pub struct SynthArgs {
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, default_value_t = 1000)]
    pub reports: usize,
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, default_value_t = 50)]
    pub reports_per_package: usize,
    /// Leave out the hard cases (shared addresses, placeholders, cross-service reuse ...).
    #[arg(long)]
    pub no_hard_cases: bool,
    /// A force packages are sent to (repeat for several; each suspect belongs to one).
    #[arg(long = "force")]
    pub forces: Vec<String>,
}

#[derive(Subcommand)]
pub enum SubjectCommand {
    /// A subject's band, deadline and referrals.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Merge OTHER into SUBJECT: they are the same person.
    Merge {
        subject: i64,
        other: i64,
        #[arg(long)]
        rationale: String,
        #[arg(long)]
        json: bool,
    },
    /// Move referrals out of SUBJECT into a new subject: they concern a different person.
    Split {
        subject: i64,
        /// Source references of the referrals to move.
        #[arg(long = "referral", required = true)]
        referrals: Vec<String>,
        #[arg(long)]
        rationale: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum ReferralCommand {
    /// The referral, its subject, its links and the explanation of its band.
    Show {
        reference: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum RiskCommand {
    /// Validate a tool file and make it the active version.
    Install {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Validate a tool file without installing it.
    Check {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// The active tool's questions.
    Show {
        #[arg(long)]
        json: bool,
    },
    /// Assess a subject: answer the tool's questions as QUESTION=ANSWER.
    Assess {
        subject: i64,
        #[arg(long = "answer", value_name = "QUESTION=ANSWER")]
        answers: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// A supervisor sets a subject's band, with a rationale.
    Override {
        subject: i64,
        #[arg(long, value_enum)]
        band: BandName,
        #[arg(long)]
        rationale: String,
        #[arg(long)]
        json: bool,
    },
    /// A supervisor signs off a subject's assessment as reviewed (not one they made themselves).
    SignOff {
        subject: i64,
        #[arg(long, default_value = "")]
        comment: String,
        #[arg(long)]
        json: bool,
    },
    /// Re-assess everything under the active tool (or FILE, installed first), keeping the history.
    Rescore {
        #[arg(long)]
        tool: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Every assessment of a subject, oldest first.
    History {
        subject: i64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Issue a new API token for a service account and print it once.
    Issue {
        /// The service account's user name.
        username: String,
        /// What the token is for, to tell it apart from others.
        #[arg(long, default_value = "issued at the command line")]
        label: String,
        /// How many days it works for (1 to 365).
        #[arg(long, default_value_t = TokenLifetime::DEFAULT_DAYS)]
        days: i64,
        #[arg(long)]
        json: bool,
    },
    /// List a service account's tokens (never the tokens themselves), newest first.
    List {
        /// The service account's user name.
        username: String,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token, by the number `list` shows: it is refused from now on.
    Revoke {
        id: i64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
pub struct DemoArgs {
    /// Synthetic NCMEC reports to generate: a year's referrals for the region's three forces.
    #[arg(long, default_value_t = 3000)]
    pub reports: usize,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Where to keep the synthetic documents (a temporary directory when not given).
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// How many subjects of the queue to print.
    #[arg(long, default_value_t = 25)]
    pub limit: i64,
    /// Where to serve the web application when the demo is built.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: std::net::SocketAddr,
    /// Build the demo and print its accounts, without serving it.
    #[arg(long)]
    pub no_serve: bool,
}

/// An organisation kind as typed: its stored name (`force`, `regional_unit`, `pcc_office`, `nca`).
#[derive(Debug, Clone, Copy)]
pub struct KindName(pub OrgKind);

impl ValueEnum for KindName {
    fn value_variants<'a>() -> &'a [Self] {
        static KINDS: [KindName; 4] = {
            let [a, b, c, d] = OrgKind::ALL;
            [KindName(a), KindName(b), KindName(c), KindName(d)]
        };
        &KINDS
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.0.as_str()))
    }
}

/// A role as typed: its stored name (`investigator`, `safeguarding_officer` ...).
#[derive(Debug, Clone, Copy)]
pub struct RoleName(pub Role);

impl ValueEnum for RoleName {
    fn value_variants<'a>() -> &'a [Self] {
        static ROLES: [RoleName; 8] = {
            let [a, b, c, d, e, f, g, h] = Role::ALL;
            [
                RoleName(a),
                RoleName(b),
                RoleName(c),
                RoleName(d),
                RoleName(e),
                RoleName(f),
                RoleName(g),
                RoleName(h),
            ]
        };
        &ROLES
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.0.as_str()))
    }
}

/// A band as typed: its stored name (`very_high`, `high`, `medium`, `low`).
#[derive(Debug, Clone, Copy)]
pub struct BandName(pub Band);

impl ValueEnum for BandName {
    fn value_variants<'a>() -> &'a [Self] {
        static BANDS: [BandName; 4] = {
            let [a, b, c, d] = Band::ALL;
            [BandName(a), BandName(b), BandName(c), BandName(d)]
        };
        &BANDS
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.0.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_arguments_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn typed_values_are_spelled_as_the_domain_stores_them() {
        for kind in OrgKind::ALL {
            assert_eq!(KindName::from_str(kind.as_str(), false).unwrap().0, kind);
        }
        for role in Role::ALL {
            assert_eq!(RoleName::from_str(role.as_str(), false).unwrap().0, role);
        }
        for band in Band::ALL {
            assert_eq!(BandName::from_str(band.as_str(), false).unwrap().0, band);
        }
        assert!(RoleName::from_str("chief", false).is_err());
    }
}

#[derive(Subcommand)]
pub enum SupportServicesCommand {
    /// The directory of commissioned support services, by name, with the contracts ending within six months.
    List {
        /// Only this kind: young_victims, isva, sexual_violence_therapy, safeguarding_unit, offenders_families,
        /// other.
        #[arg(long)]
        kind: Option<String>,
        /// Only services working in this local authority (its code, such as bristol), or in every area.
        #[arg(long)]
        area: Option<String>,
        /// Only services that take someone of this age, in years.
        #[arg(long)]
        age: Option<u8>,
        /// Open services only.
        #[arg(long, conflicts_with = "closed")]
        open: bool,
        /// Closed services only.
        #[arg(long)]
        closed: bool,
        #[arg(long)]
        json: bool,
    },
    /// Add a service to the directory, kept by an organisation (an operator must name it).
    Add(Box<SupportServiceArgs>),
    /// Import a directory from CSV (the columns `export` writes): all or nothing. A row naming an entry the
    /// organisation keeps already replaces it.
    Import {
        file: PathBuf,
        /// The code of the organisation that keeps the entries (an operator must name one).
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Print the directory as CSV, in the import's columns (or as JSON).
    Export {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
pub struct SupportServiceArgs {
    #[arg(long)]
    pub name: String,
    /// young_victims, isva, sexual_violence_therapy, safeguarding_unit, offenders_families or other.
    #[arg(long)]
    pub kind: String,
    /// Whom it serves: children_and_young_people, parents_and_carers, families_of_suspects (repeat, or separate
    /// with commas).
    #[arg(long, value_delimiter = ',', required = true)]
    pub serves: Vec<String>,
    #[arg(long)]
    pub min_age: Option<u8>,
    #[arg(long)]
    pub max_age: Option<u8>,
    /// `all`, or local authority codes separated by `;` (bristol;south-gloucestershire).
    #[arg(long)]
    pub areas: String,
    /// The needs it takes, separated by `;` ("online abuse;sexual abuse"); none for any.
    #[arg(long, default_value = "")]
    pub needs: String,
    /// How many people it can support at once.
    #[arg(long)]
    pub capacity: Option<u32>,
    #[arg(long)]
    pub phone: Option<String>,
    #[arg(long)]
    pub email: Option<String>,
    #[arg(long)]
    pub web: Option<String>,
    #[arg(long)]
    pub commissioner: String,
    /// The contract's last day, YYYY-MM-DD.
    #[arg(long)]
    pub contract_ends: Option<jiff::civil::Date>,
    /// Add it as closed (taking no referrals).
    #[arg(long)]
    pub closed: bool,
    /// The code of the organisation that keeps it (an operator must name one).
    #[arg(long)]
    pub org: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum ReferenceCommand {
    /// Check a newer version of a list (CSV) line by line and put it in force (operators).
    Load {
        #[arg(value_enum)]
        list: ListName,
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// The version of a list in force, and what it holds.
    Show {
        #[arg(value_enum)]
        list: ListName,
        #[arg(long)]
        json: bool,
    },
    /// The local authority for a postcode, a postcode district or an authority's name.
    Lookup {
        area: String,
        #[arg(long)]
        json: bool,
    },
}

/// A reference list, as the command line names it.
#[derive(Clone, Copy, ValueEnum)]
pub enum ListName {
    BankHolidays,
    LocalAuthorities,
}

impl ListName {
    pub fn list(self) -> severn_domain::reference::ReferenceList {
        match self {
            ListName::BankHolidays => severn_domain::reference::ReferenceList::BankHolidays,
            ListName::LocalAuthorities => severn_domain::reference::ReferenceList::LocalAuthorities,
        }
    }
}
