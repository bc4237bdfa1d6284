//! The `severn` command.
//!
//! Argument parsing, output and the ingest's parsing thread; the work itself is done by `severn-app`'s use
//! cases (and `severn-store` for connecting and migrating). May depend on every crate of the workspace; no
//! other crate depends on it.

/// Like `println!`, but a closed pipe (`severn queue | head`) is an error to return, not a panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

/// Like `say!`, for a line that may hold stored free text (a justification, a name): its control characters
/// and text-direction marks are printed escaped, so a stored line break cannot start a forged line.
macro_rules! show {
    ($($arg:tt)*) => {
        say!("{}", severn_domain::text::shown(&format!($($arg)*)))
    };
}

mod credentials;
mod demo;
mod output;
mod tokens;

// Ingest allocates many small short-lived strings; mimalloc handles that pattern markedly better than glibc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use severn_app::App;
use severn_app::admin::IssuedCredentials;
use severn_app::approval::describe;
use severn_app::gate::Why;
use severn_app::ingest::{DEFAULT_BATCH_SIZE, IngestSummary, Ingester};
use severn_app::staff::StaffSpec;
use severn_domain::access::{Actor, OrgKind, Role};
use severn_domain::clock::SystemClock;
use severn_domain::ids::SubjectId;
use severn_domain::risk::{Answers, Band};
use severn_store::{AuditQuery, Db};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Severn: online child sexual abuse and exploitation referrals, from receipt to outcome.
#[derive(Parser)]
#[command(name = "severn", version, about)]
struct Cli {
    /// Database URL: sqlite://PATH (created if missing) or postgres://USER@HOST/DB.
    #[arg(long, global = true, env = "SEVERN_DATABASE_URL")]
    database: Option<String>,
    /// The audit log's key file (64 hex digits), kept outside the database; created if missing. Default:
    /// beside a SQLite database (DB.audit-key), or severn-audit.key for PostgreSQL.
    #[arg(long, global = true, env = "SEVERN_AUDIT_KEY_FILE")]
    audit_key: Option<PathBuf>,
    /// Where signed audit checkpoints are appended, outside the database. Default: beside the key file.
    #[arg(long, global = true, env = "SEVERN_AUDIT_CHECKPOINTS")]
    audit_checkpoints: Option<PathBuf>,
    /// The name the audit log records for what you do at the command line.
    #[arg(long, global = true, env = "USER", default_value = "unknown")]
    operator: String,
    #[command(subcommand)]
    command: Command,
}

const DEFAULT_DATABASE: &str = "sqlite://severn.db";

#[derive(Subcommand)]
enum Command {
    /// Apply pending database migrations (they are also applied on every start).
    Migrate,
    /// Serve the web application and its JSON API.
    Serve {
        /// The address and port to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: std::net::SocketAddr,
        /// Severn is reached over HTTPS (directly or through a proxy): cookies are marked Secure and
        /// browsers are told to keep to HTTPS.
        #[arg(long)]
        https: bool,
        /// Seconds a connection has to send a request's whole header before it is closed [default: 10].
        #[arg(long)]
        header_timeout: Option<u64>,
        /// Seconds a request has to be read and answered before it is stopped (408) [default: 60].
        #[arg(long)]
        request_timeout: Option<u64>,
        /// Connections served at once; more wait until one closes [default: 512].
        #[arg(long)]
        max_connections: Option<usize>,
        /// Most bytes a body sent to `POST /api/packages` may have [default: 268435456, 256 MiB].
        #[arg(long)]
        package_max_bytes: Option<u64>,
        /// Most files and folders an archive sent to `POST /api/packages` may hold [default: 50000].
        #[arg(long)]
        package_max_entries: Option<u64>,
        /// Most bytes an archive sent to `POST /api/packages` may unpack to [default: 1073741824, 1 GiB].
        #[arg(long)]
        package_max_unpacked_bytes: Option<u64>,
    },
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
    /// The risk tool: install a version, assess, override, rescore.
    #[command(subcommand)]
    Risk(RiskCommand),
    /// Build a demo database from synthetic data and print the queue.
    Demo(demo::DemoArgs),
    /// Linking quality against a synthetic corpus's ground truth: pairwise precision and recall.
    Quality {
        /// The corpus's ground-truth.csv.
        #[arg(long)]
        truth: PathBuf,
    },
    /// The statutory audit log: verify it, checkpoint it, read it.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Organisations: forces, the regional unit, the PCC's office, the NCA.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Staff accounts and their roles.
    #[command(subcommand)]
    Staff(StaffCommand),
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Add an organisation.
    Add {
        /// Short code, e.g. SEV.
        code: String,
        /// Full name; a force's name is matched against the receiving force of NCA packages.
        name: String,
        /// force, regional_unit, pcc_office or nca.
        #[arg(long, default_value = "force")]
        kind: String,
    },
    /// List organisations.
    List,
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Add a member of staff (or, with --service, a service account for a machine feed).
    Add {
        username: String,
        /// The organisation's code.
        #[arg(long)]
        org: String,
        /// The person's name as shown to others.
        #[arg(long)]
        name: String,
        /// A role (repeat for several): investigator, supervisor, safeguarding_officer, analyst,
        /// regional_oversight, pcc_office, auditor, administrator.
        #[arg(long = "role")]
        roles: Vec<String>,
        #[arg(long)]
        service: bool,
        /// Also set a new password and authenticator (or, for a service account, issue an API token) and
        /// print them once.
        #[arg(long)]
        credentials: bool,
    },
    /// List staff with their organisation and roles.
    List,
    /// A service account's API tokens: issue, list, revoke.
    #[command(subcommand)]
    Token(tokens::TokenCommand),
    /// Changes waiting for a second administrator (adding an account with a role that opens cases, the log
    /// or staff management, or resetting such an account), oldest first.
    Requests {
        #[arg(long)]
        json: bool,
    },
    /// Approve a waiting change: it takes effect, and the account's new password and authenticator are
    /// printed once.
    Approve { id: i64 },
    /// Reject a waiting change: nothing changes.
    Reject { id: i64 },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check every entry's chain MAC and the log's end against the checkpoints; exits 1 on any problem.
    Verify {
        #[arg(long)]
        json: bool,
    },
    /// Write a signed checkpoint of the log's head to the checkpoint file.
    Checkpoint,
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
struct IngestArgs {
    /// Files and directories (read recursively; a directory with package.json is an NCA package).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Documents per transaction.
    #[arg(long, default_value_t = DEFAULT_BATCH_SIZE)]
    batch_size: usize,
    /// The force (code or name) that owns referrals whose NCA package does not name a known force.
    #[arg(long)]
    force: Option<String>,
    /// For loading a large backlog: build the identifier-to-referral and work-queue indexes once at the end
    /// instead of entry by entry. Searching by identifier and the work queues are slow until the ingest ends.
    #[arg(long)]
    bulk: bool,
}

#[derive(Args)]
struct RejectsArgs {
    #[command(subcommand)]
    action: Option<RejectsAction>,
    /// Include resolved rejects.
    #[arg(long)]
    all: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum RejectsAction {
    /// Ingest a rejected document again after correcting its file.
    Retry { ids: Vec<i64> },
}

#[derive(Args)]
struct SynthArgs {
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long, default_value_t = 1000)]
    reports: usize,
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 50)]
    reports_per_package: usize,
    /// Leave out the hard cases (shared addresses, placeholders, cross-service reuse ...).
    #[arg(long)]
    no_hard_cases: bool,
    /// A force packages are sent to (repeat for several; each suspect belongs to one).
    #[arg(long = "force")]
    forces: Vec<String>,
}

#[derive(Subcommand)]
enum SubjectCommand {
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
    },
    /// Move referrals out of SUBJECT into a new subject: they concern a different person.
    Split {
        subject: i64,
        /// Source references of the referrals to move.
        #[arg(long = "referral", required = true)]
        referrals: Vec<String>,
        #[arg(long)]
        rationale: String,
    },
}

#[derive(Subcommand)]
enum ReferralCommand {
    /// The referral, its subject, its links and the explanation of its band.
    Show {
        reference: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum RiskCommand {
    /// Validate a tool file and make it the active version.
    Install { file: PathBuf },
    /// Validate a tool file without installing it.
    Check { file: PathBuf },
    /// The active tool's questions.
    Show,
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
        #[arg(long)]
        band: String,
        #[arg(long)]
        rationale: String,
    },
    /// Re-assess everything under the active tool (or FILE, installed first), keeping the history.
    Rescore {
        #[arg(long)]
        tool: Option<PathBuf>,
    },
    /// Every assessment of a subject, oldest first.
    History {
        subject: i64,
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("SEVERN_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        // The reader went away (`severn subjects --json | head`): nothing is wrong.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // An error can quote what was typed or stored: its control characters are shown escaped, line by
            // line, so a TOML error's several lines stay readable.
            let message = format!("{e:#}");
            let lines: Vec<_> = message.lines().map(severn_domain::text::shown).collect();
            eprintln!("error: {}", lines.join("\n"));
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// What a command needs to open the database as the person at the command line.
pub(crate) struct Ctx {
    pub url: String,
    pub key: PathBuf,
    pub checkpoints: PathBuf,
    pub actor: Actor,
    /// The application once a command has opened it, so its audit log can be checkpointed at the end.
    opened: std::sync::Mutex<Option<App>>,
}

impl Ctx {
    fn new(cli: &Cli) -> Ctx {
        let url = cli
            .database
            .clone()
            .unwrap_or_else(|| DEFAULT_DATABASE.to_owned());
        let key = cli.audit_key.clone().unwrap_or_else(|| {
            match url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
            {
                Some(path) => PathBuf::from(format!(
                    "{}.audit-key",
                    path.split('?').next().unwrap_or(path)
                )),
                None => PathBuf::from("severn-audit.key"),
            }
        });
        let checkpoints = cli
            .audit_checkpoints
            .clone()
            .unwrap_or_else(|| key.with_extension("audit-checkpoints"));
        Ctx {
            url,
            key,
            checkpoints,
            actor: Actor::Operator {
                name: cli.operator.clone(),
            },
            opened: std::sync::Mutex::new(None),
        }
    }

    pub(crate) async fn connect(&self) -> Result<App> {
        let key = severn_app::audit::load_or_create_key(&self.key)
            .with_context(|| format!("audit key {}", self.key.display()))?;
        let db = Db::connect(&self.url)
            .await
            .with_context(|| format!("opening database {}", self.url))?;
        let app = App::new(db, Arc::new(SystemClock), key);
        *self.opened.lock().expect("ctx lock") = Some(app.clone());
        Ok(app)
    }

    /// Records the log's head outside the database, so a later truncation shows.
    async fn checkpoint(&self) -> Result<()> {
        let opened = self.opened.lock().expect("ctx lock").take();
        if let Some(app) = opened {
            let checkpoint = app.audit_checkpoint().await?;
            severn_app::audit::append_checkpoint(&self.checkpoints, &checkpoint)
                .with_context(|| format!("audit checkpoints {}", self.checkpoints.display()))?;
        }
        Ok(())
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let ctx = Ctx::new(&cli);
    let code = command(&ctx, cli).await?;
    ctx.checkpoint().await?;
    Ok(code)
}

async fn command(ctx: &Ctx, cli: Cli) -> Result<ExitCode> {
    let actor = &ctx.actor;
    let mut code = ExitCode::SUCCESS;
    match cli.command {
        Command::Migrate => {
            let app = ctx.connect().await?;
            app.migrate().await?;
            say!("database {} is up to date", ctx.url);
        }
        Command::Serve {
            bind,
            https,
            header_timeout,
            request_timeout,
            max_connections,
            package_max_bytes,
            package_max_entries,
            package_max_unpacked_bytes,
        } => {
            let app = ctx.connect().await?;
            say!("Severn is serving at http://{bind}/ (stop it with Ctrl-C)");
            let defaults = severn_web::PackageLimits::default();
            let options = severn_web::WebOptions {
                https,
                limits: limits(header_timeout, request_timeout, max_connections),
                packages: severn_web::PackageLimits {
                    max_upload_bytes: package_max_bytes.unwrap_or(defaults.max_upload_bytes),
                    max_entries: package_max_entries.unwrap_or(defaults.max_entries),
                    max_unpacked_bytes: package_max_unpacked_bytes
                        .unwrap_or(defaults.max_unpacked_bytes),
                },
                ..Default::default()
            };
            keep_checkpointing(app.clone(), ctx.checkpoints.clone());
            severn_web::serve(app, bind, options)
                .await
                .with_context(|| format!("serving at {bind}"))?;
        }
        Command::Ingest(args) => {
            let app = ctx.connect().await?;
            // Rejects keep their path for `severn rejects retry`, which may run from another directory.
            let paths: Vec<PathBuf> = args
                .paths
                .iter()
                .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone()))
                .collect();
            let summary = ingest(
                &app,
                actor,
                args.force.as_deref(),
                &paths,
                args.batch_size,
                args.bulk,
            )
            .await?;
            say!(
                "ingested {}, duplicates {}, rejected {}",
                summary.ingested + summary.new_versions,
                summary.duplicates,
                summary.rejected
            );
            if summary.rejected > 0 {
                code = ExitCode::from(2);
            }
        }
        Command::Rejects(args) => {
            let app = ctx.connect().await?;
            match args.action {
                Some(RejectsAction::Retry { ids }) => {
                    let mut failed = false;
                    for id in ids {
                        let s = app.retry_reject(actor, id).await?;
                        failed |= s.rejected > 0;
                        say!(
                            "reject {id}: ingested {}, duplicates {}, rejected {}{}",
                            s.ingested + s.new_versions,
                            s.duplicates,
                            s.rejected,
                            if s.rejected == 0 {
                                " (resolved)"
                            } else {
                                " (still rejected: see severn rejects)"
                            }
                        );
                    }
                    if failed {
                        code = ExitCode::from(2);
                    }
                }
                None => output::rejects(&app.rejects(actor, args.all).await?, args.json)?,
            }
        }
        Command::Synth(args) => {
            let mut options = severn_synth::SynthOptions::new(args.seed, args.reports, &args.out);
            options.reports_per_package = args.reports_per_package;
            options.hard_cases = !args.no_hard_cases;
            options.forces = args.forces;
            let summary = severn_synth::write_corpus(&options)?;
            say!("{}", serde_json::to_string_pretty(&summary)?);
        }
        Command::Subjects { json: _ } => {
            let app = ctx.connect().await?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let why = Why::because(format!("export of every subject by {}", actor.audit_name()));
            app.export_subjects(actor, why, &mut out).await?;
            out.flush()?;
        }
        Command::Subject(command) => {
            let app = ctx.connect().await?;
            match command {
                SubjectCommand::Show { id, json } => output::subject(
                    &app.subject(actor, SubjectId(id), Why::default()).await?,
                    json,
                )?,
                SubjectCommand::Merge {
                    subject,
                    other,
                    rationale,
                } => {
                    let s = app
                        .merge_subjects(SubjectId(subject), SubjectId(other), &rationale, actor)
                        .await?;
                    say!(
                        "subject {other} merged into subject {}: band {}, due {}",
                        s.id,
                        s.band,
                        output::when(s.due_at)
                    );
                }
                SubjectCommand::Split {
                    subject,
                    referrals,
                    rationale,
                } => {
                    let s = app
                        .split_subject(SubjectId(subject), &referrals, &rationale, actor)
                        .await?;
                    say!(
                        "{} referral(s) moved from subject {subject} to new subject {}: band {}, due {}",
                        referrals.len(),
                        s.id,
                        s.band,
                        output::when(s.due_at)
                    );
                }
            }
        }
        Command::Queue { json, limit } => {
            let app = ctx.connect().await?;
            output::queue(&app.queue(actor, limit).await?, json)?;
        }
        Command::Referral(ReferralCommand::Show { reference, json }) => {
            let app = ctx.connect().await?;
            output::referral(
                &app.referral(actor, &reference, Why::default()).await?,
                json,
            )?;
        }
        Command::Risk(command) => code = risk(ctx, command).await?,
        Command::Demo(args) => demo::run(ctx, cli.database, args).await?,
        Command::Audit(command) => code = audit(ctx, command).await?,
        Command::Org(command) => org(ctx, command).await?,
        Command::Staff(command) => staff(ctx, command).await?,
        Command::Quality { truth } => {
            let app = ctx.connect().await?;
            let truth = severn_app::quality::read_ground_truth(&truth)
                .with_context(|| format!("reading {}", truth.display()))?;
            let quality = app.quality_report(actor, &truth).await?;
            say!("{}", serde_json::to_string_pretty(&quality)?);
        }
    }
    Ok(code)
}

/// While serving, appends a checkpoint of the audit log every minute in which it grew.
pub(crate) fn keep_checkpointing(app: App, path: PathBuf) {
    tokio::spawn(async move {
        let mut last = None;
        let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            every.tick().await;
            match app.audit_checkpoint().await {
                Ok(checkpoint) if last != Some(checkpoint.seq) => {
                    last = Some(checkpoint.seq);
                    if let Err(e) = severn_app::audit::append_checkpoint(&path, &checkpoint) {
                        tracing::error!("writing an audit checkpoint to {}: {e}", path.display());
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::error!("reading the audit log's head: {e}"),
            }
        }
    });
}

async fn org(ctx: &Ctx, command: OrgCommand) -> Result<()> {
    let app = ctx.connect().await?;
    match command {
        OrgCommand::Add { code, name, kind } => {
            let kind: OrgKind = kind.parse().map_err(anyhow::Error::msg)?;
            let id = app.create_org(&ctx.actor, &code, &name, kind).await?;
            show!("organisation {id} {code} ({name}, {}) added", kind.as_str());
        }
        OrgCommand::List => {
            for o in app.list_orgs(&ctx.actor).await? {
                show!(
                    "{:>4}  {:<8} {:<14} {}",
                    o.id,
                    o.code,
                    o.kind.as_str(),
                    o.name
                );
            }
        }
    }
    Ok(())
}

/// The server's limits: those given, and the defaults for the rest.
fn limits(
    header_timeout: Option<u64>,
    request_timeout: Option<u64>,
    max_connections: Option<usize>,
) -> severn_web::ServerLimits {
    let default = severn_web::ServerLimits::default();
    severn_web::ServerLimits {
        header_read_timeout: header_timeout
            .map_or(default.header_read_timeout, std::time::Duration::from_secs),
        request_timeout: request_timeout
            .map_or(default.request_timeout, std::time::Duration::from_secs),
        max_connections: max_connections.unwrap_or(default.max_connections),
    }
}

async fn staff(ctx: &Ctx, command: StaffCommand) -> Result<()> {
    let app = ctx.connect().await?;
    match command {
        StaffCommand::Add {
            username,
            org,
            name,
            roles,
            service,
            credentials,
        } => {
            let orgs = app.list_orgs(&ctx.actor).await?;
            let Some(org) = orgs.iter().find(|o| o.code.eq_ignore_ascii_case(&org)) else {
                bail!("there is no organisation with the code {org:?}: see `severn org list`");
            };
            let roles = roles
                .iter()
                .map(|r| r.parse::<Role>().map_err(anyhow::Error::msg))
                .collect::<Result<Vec<Role>>>()?;
            let spec = StaffSpec {
                org: org.id,
                team: None,
                username: username.clone(),
                display_name: name,
                service_account: service,
                roles,
            };
            let id = app.create_staff(&ctx.actor, &spec).await?;
            show!("staff {id} {username} added to {}", org.name);
            if credentials {
                let issued = credentials::issue(&app, &ctx.actor, id, &username, service).await?;
                for line in issued.lines() {
                    say!("{line}");
                }
            }
        }
        StaffCommand::Token(command) => tokens::run(&app, &ctx.actor, command).await?,
        StaffCommand::List => {
            for s in app.list_staff(&ctx.actor).await? {
                let roles: Vec<&str> = s.roles.iter().map(|r| r.as_str()).collect();
                show!(
                    "{:>4}  {:<24} {:<8} org {:<4} {}{}",
                    s.id,
                    s.username,
                    s.kind,
                    s.org_id,
                    roles.join(","),
                    if s.active { "" } else { " (inactive)" }
                );
            }
        }
        StaffCommand::Requests { json } => {
            let changes = app.pending_staff_changes(&ctx.actor).await?;
            if json {
                let changes: Vec<serde_json::Value> = changes
                    .iter()
                    .map(|c| {
                        serde_json::json!({
                            "id": c.id,
                            "org": c.org_id.0,
                            "kind": c.kind.as_str(),
                            "username": c.username,
                            "roles": c.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                            "requested_by": c.requested_by_name,
                            "requested_at": output::rfc3339(c.requested_at),
                            "expires_at": output::rfc3339(c.expires_at),
                        })
                    })
                    .collect();
                say!("{}", serde_json::to_string_pretty(&changes)?);
            } else {
                for c in &changes {
                    say!(
                        "{:>4}  org {:<4} {}, asked by {} at {}, lapses {}",
                        c.id,
                        c.org_id,
                        describe(c),
                        c.requested_by_name,
                        output::when(c.requested_at),
                        output::when(c.expires_at)
                    );
                }
                if changes.is_empty() {
                    say!("no changes are waiting for approval");
                }
            }
        }
        StaffCommand::Approve { id } => {
            let approved = app.approve_staff_change(&ctx.actor, id).await?;
            say!("request {id} approved: {}", describe(&approved.change));
            match &approved.credentials {
                IssuedCredentials::Person {
                    password,
                    authenticator,
                    otpauth,
                } => {
                    say!("password: {password}");
                    say!("authenticator secret: {authenticator}");
                    say!("authenticator link: {otpauth}");
                }
                IssuedCredentials::Service { token, expires_at } => {
                    say!("api token: {token}");
                    say!("expires: {}", output::when(*expires_at));
                }
            }
        }
        StaffCommand::Reject { id } => {
            let rejected = app.reject_staff_change(&ctx.actor, id).await?;
            say!("request {id} rejected: {}", describe(&rejected));
        }
    }
    Ok(())
}

async fn audit(ctx: &Ctx, command: AuditCommand) -> Result<ExitCode> {
    let app = ctx.connect().await?;
    match command {
        AuditCommand::Verify { json } => {
            let checkpoints = severn_app::audit::read_checkpoints(&ctx.checkpoints)?;
            let verification = app.verify_audit(checkpoints).await?;
            if json {
                say!("{}", serde_json::to_string_pretty(&verification)?);
            } else {
                for problem in &verification.problems {
                    say!("{problem}");
                }
                say!(
                    "{} entries, {} checkpoints: {}",
                    verification.entries,
                    verification.checkpoints,
                    if verification.problems.is_empty() {
                        "the log is intact".to_owned()
                    } else {
                        format!("{} problem(s)", verification.problems.len())
                    }
                );
            }
            if !verification.problems.is_empty() {
                return Ok(ExitCode::FAILURE);
            }
        }
        AuditCommand::Checkpoint => {
            let checkpoint = app.audit_checkpoint().await?;
            severn_app::audit::append_checkpoint(&ctx.checkpoints, &checkpoint)?;
            say!(
                "checkpoint at entry {} written to {}",
                checkpoint.seq,
                ctx.checkpoints.display()
            );
        }
        AuditCommand::Show {
            target,
            actor,
            from,
            to,
            limit,
            json,
        } => {
            let query = AuditQuery {
                target,
                actor,
                from: from.map(|t| t.as_second()),
                to: to.map(|t| t.as_second()),
                limit,
            };
            let entries = app.audit_search(&ctx.actor, &query).await?;
            output::audit(&entries, json)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn risk(ctx: &Ctx, command: RiskCommand) -> Result<ExitCode> {
    let actor = &ctx.actor;
    match command {
        RiskCommand::Check { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let tool = severn_domain::risk::RiskTool::from_toml(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            say!(
                "{}: {} {} is valid ({} questions)",
                file.display(),
                tool.id(),
                tool.version(),
                tool.questions().len()
            );
        }
        RiskCommand::Install { file } => {
            let app = ctx.connect().await?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let tool = app.install_tool(actor, &text).await?;
            say!(
                "installed {} {}; run `severn risk rescore` to re-assess under it",
                tool.id(),
                tool.version()
            );
        }
        RiskCommand::Show => {
            let app = ctx.connect().await?;
            output::tool(&app.active_tool().await?)?;
        }
        RiskCommand::Assess {
            subject,
            answers,
            json,
        } => {
            let app = ctx.connect().await?;
            let tool = app.active_tool().await?;
            let mut parsed = Answers::new();
            for pair in answers {
                let (question, value) = pair
                    .split_once('=')
                    .with_context(|| format!("{pair:?}: answers are written QUESTION=ANSWER"))?;
                let answer = tool.parse_answer(question.trim(), value.trim())?;
                parsed.insert(question.trim().to_owned(), answer);
            }
            let saved = app.assess(SubjectId(subject), parsed, actor).await?;
            output::assessment(&saved, json)?;
        }
        RiskCommand::Override {
            subject,
            band,
            rationale,
        } => {
            let app = ctx.connect().await?;
            let Some(band) = Band::parse(&band) else {
                bail!("{band:?} is not a band: use very_high, high, medium or low");
            };
            let saved = app
                .override_band(SubjectId(subject), band, &rationale, actor)
                .await?;
            output::assessment(&saved, false)?;
        }
        RiskCommand::Rescore { tool } => {
            let app = ctx.connect().await?;
            if let Some(file) = tool {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("reading {}", file.display()))?;
                app.install_tool(actor, &text).await?;
            }
            let summary = app.rescore(actor).await?;
            say!(
                "rescored under {}: {} referrals ({} changed band), {} assessments ({} changed band)",
                summary.tool,
                summary.referrals,
                summary.referral_bands_changed,
                summary.assessments,
                summary.assessment_bands_changed
            );
        }
        RiskCommand::History { subject, json } => {
            let app = ctx.connect().await?;
            let history = app.assessment_history(actor, SubjectId(subject)).await?;
            if json {
                say!("{}", serde_json::to_string_pretty(&history)?);
            } else {
                for a in &history {
                    output::assessment(a, false)?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Lowers the calling thread's scheduling priority. Writing batches is the longest of the ingest's three
/// threads (parsing, preparing, writing); when all three want one of the two cores, the writer should get it
/// and the parser, which only has to stay ahead, should wait: without this the writer spent about a tenth of a
/// 1 M ingest waiting for a core. Linux keeps the nice value per thread.
fn yield_to_the_writer() {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{getpriority_process, setpriority_process};
        let this = Some(rustix::thread::gettid());
        // Ten steps below what it was (19 is the lowest). A failure leaves it as it was: slower, not wrong.
        if let Ok(nice) = getpriority_process(this) {
            let _ = setpriority_process(this, (nice + 10).min(19));
        }
    }
}

/// Parses on a thread of its own while this task writes batches, so the two cores share the work.
pub(crate) async fn ingest(
    app: &App,
    actor: &Actor,
    force: Option<&str>,
    paths: &[PathBuf],
    batch_size: usize,
    bulk: bool,
) -> Result<IngestSummary> {
    // Documents cross to the writer in chunks: one wake-up per chunk rather than per document.
    const CHUNK: usize = 256;
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<severn_ingest::Item>>(4);
    let walk_paths = paths.to_vec();
    let parser = std::thread::spawn(move || {
        yield_to_the_writer();
        let mut chunk = Vec::with_capacity(CHUNK);
        for item in severn_ingest::walk(&walk_paths) {
            chunk.push(item);
            if chunk.len() == CHUNK
                && sender
                    .blocking_send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)))
                    .is_err()
            {
                return;
            }
        }
        // A closed channel means the writer stopped on an error, which it reports itself.
        if !chunk.is_empty() {
            let _ = sender.blocking_send(chunk);
        }
    });
    let progress = if std::io::stderr().is_terminal() {
        ProgressBar::new_spinner()
    } else {
        ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden())
    };
    progress.set_style(
        ProgressStyle::with_template("{spinner} {elapsed} {human_pos} documents ({per_sec}) {msg}")
            .expect("progress template"),
    );
    let mut ingester = Ingester::new(app, actor, force)
        .await?
        .with_batch_size(batch_size);
    if bulk {
        app.begin_bulk_load().await?;
    }
    let written = async {
        while let Some(chunk) = receiver.recv().await {
            let count = chunk.len() as u64;
            for item in chunk {
                ingester.push(item).await?;
            }
            progress.inc(count);
            let s = ingester.summary();
            progress.set_message(format!(
                "ingested {}, duplicates {}, rejected {}",
                s.ingested + s.new_versions,
                s.duplicates,
                s.rejected
            ));
        }
        ingester.finish().await
    }
    .await;
    if bulk {
        // Also after a failed batch: what was committed before it stays, and is searchable.
        progress.set_message("building the deferred indexes");
        app.end_bulk_load().await?;
    }
    let summary = written?;
    progress.finish_and_clear();
    parser
        .join()
        .map_err(|_| anyhow::anyhow!("the parsing thread failed"))?;
    Ok(summary)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use rustix::process::getpriority_process;
    use rustix::thread::gettid;

    #[test]
    fn the_parser_yields_to_the_writer_and_only_the_parser() {
        let before = getpriority_process(Some(gettid())).unwrap();
        let parser = std::thread::spawn(|| {
            let start = getpriority_process(Some(gettid())).unwrap();
            super::yield_to_the_writer();
            (start, getpriority_process(Some(gettid())).unwrap())
        });
        let (start, lowered) = parser.join().unwrap();
        assert_eq!(lowered, (start + 10).min(19));
        assert_eq!(getpriority_process(Some(gettid())).unwrap(), before);
    }
}
