//! `severn demo`: a demo database built from synthetic referrals, as if they had arrived over past weeks.

use crate::args::DemoArgs;
use crate::credentials::{self, Credentials};
use crate::ctx::{Ctx, keep_checkpointing};
use anyhow::{Context, Result};
use severn_app::App;
use severn_app::ingest::Ingester;
use severn_app::staff::StaffSpec;
use severn_domain::access::{Actor, OrgKind, Role, StaffKind};
use severn_domain::clock::{FixedClock, SystemClock};
use severn_domain::ids::{OrgId, StaffId};
use severn_store::Db;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

const DEMO_DATABASE_FILE: &str = "severn-demo.db";

/// The NCA dissemination time written in a package manifest.
fn dissemination(package: &Path) -> Option<jiff::Timestamp> {
    let text = std::fs::read_to_string(package.join("package.json")).ok()?;
    let manifest: serde_json::Value = serde_json::from_str(&text).ok()?;
    manifest.get("disseminatedAt")?.as_str()?.parse().ok()
}

pub async fn run(ctx: &Ctx, database: Option<String>, args: DemoArgs) -> Result<ExitCode> {
    let (url, key_file) = match database {
        Some(url) => (url, ctx.key.clone()),
        None => {
            // The demo always starts afresh on its own file, never on severn.db.
            for suffix in ["", "-wal", "-shm", ".audit-key", ".audit-checkpoints"] {
                let _ = std::fs::remove_file(format!("{DEMO_DATABASE_FILE}{suffix}"));
            }
            (
                format!("sqlite://{DEMO_DATABASE_FILE}"),
                PathBuf::from(format!("{DEMO_DATABASE_FILE}.audit-key")),
            )
        }
    };
    let key = severn_app::audit::load_or_create_key(&key_file)
        .with_context(|| format!("audit key {}", key_file.display()))?;
    let scratch = tempfile::tempdir()?;
    let corpus = args
        .corpus
        .clone()
        .unwrap_or_else(|| scratch.path().join("corpus"));
    let mut options = severn_synth::SynthOptions::new(args.seed, args.reports, &corpus);
    options.reports_per_package = 25;
    options.forces = FORCES.iter().map(|(_, name)| (*name).to_owned()).collect();
    let synth = severn_synth::write_corpus(&options).context("generating synthetic referrals")?;

    let clock = Arc::new(FixedClock::new(jiff::Timestamp::UNIX_EPOCH));
    let db = Db::connect(&url)
        .await
        .with_context(|| format!("opening {url}"))?;
    let app = App::new(db.clone(), clock.clone(), key.clone());
    clock.set(jiff::Timestamp::now());
    let (staff, caseworkers) = region(&app, &ctx.actor).await?;

    // Each package is received a few hours after the NCA sent it, so clocks start at realistic times.
    let mut packages: Vec<PathBuf> = std::fs::read_dir(corpus.join("packages"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    packages.sort();
    // The synthetic stream is replayed as the last year: each package arrives a few hours after the NCA
    // sent it, at its place in the year.
    let sent: Vec<Option<jiff::Timestamp>> = packages.iter().map(|p| dissemination(p)).collect();
    let first = sent
        .iter()
        .flatten()
        .min()
        .copied()
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let last = sent.iter().flatten().max().copied().unwrap_or(first);
    let span = (last.as_second() - first.as_second()).max(1) as f64;
    let window = jiff::SignedDuration::from_hours(24 * 365).as_secs() as f64;
    let end = jiff::Timestamp::now();
    let delay = jiff::SignedDuration::from_hours(3);
    let start = end
        .checked_sub(jiff::SignedDuration::from_secs(window as i64))?
        .checked_sub(delay)?;
    let mut latest = start;
    let mut ingester = Ingester::new(&app, &ctx.actor, None).await?;
    for (package, sent) in packages.iter().zip(sent) {
        let offset = sent
            .map(|t| (t.as_second() - first.as_second()) as f64 / span * window)
            .unwrap_or(0.0);
        let received = start
            .checked_add(jiff::SignedDuration::from_secs(offset as i64))?
            .checked_add(delay)?;
        latest = latest.max(received);
        clock.set(received);
        for item in severn_ingest::walk(std::slice::from_ref(package)) {
            ingester.push(item).await?;
        }
        ingester.flush().await?;
    }
    clock.set(latest);
    let mut summary = ingester.finish().await?;
    // Partner referrals (public, P2P, other forces) come to the region's first force.
    let partner = corpus.join("partner");
    if partner.exists() {
        let mut ingester = Ingester::new(&app, &ctx.actor, Some(FORCES[0].0)).await?;
        for item in severn_ingest::walk(&[partner]) {
            ingester.push(item).await?;
        }
        let more = ingester.finish().await?;
        summary.ingested += more.ingested;
        summary.new_versions += more.new_versions;
        summary.duplicates += more.duplicates;
        summary.rejected += more.rejected;
    }

    let now = end.max(latest);
    // The directory of support services is in place before the year's casework, which refers children to it.
    clock.set(start);
    let directory = super::demo_support::directory(
        &app,
        &ctx.actor,
        ("PCC", FORCES[0].0),
        severn_app::time::london_date(now),
    )
    .await
    .context("adding the support services directory")?;
    let cases = super::demo_cases::casework(
        &app,
        &clock,
        &ctx.actor,
        &caseworkers,
        &directory,
        args.seed,
        now,
    )
    .await
    .context("replaying the year's casework")?;
    clock.set(now);
    say!(
        "Demo database {url}: {} synthetic reports ({} suspects) → ingested {}, duplicates {}, rejected {}",
        synth.reports,
        synth.suspects,
        summary.ingested + summary.new_versions,
        summary.duplicates,
        summary.rejected
    );
    let counts = app.counts(&ctx.actor).await?;
    say!(
        "{} referrals in {} subjects, {} identifiers, {cases} cases. Demo time is {}.\n",
        counts.referrals,
        counts.subjects,
        counts.identifiers,
        clock_now(&app)
    );
    crate::output::queue(&app.queue(&ctx.actor, args.limit).await?, false)?;
    say!(
        "\nAccounts — shown once, not stored in the clear. Sign in with the password, then the six-digit code"
    );
    say!("an authenticator app (or `oathtool --totp -b SECRET`) gives for the secret:");
    for account in &staff {
        say!("\n  {} ({})", account.username, account.what);
        for line in account.credentials.lines() {
            say!("    {line}");
        }
    }
    let checkpoints = key_file.with_extension("audit-checkpoints");
    severn_app::audit::append_checkpoint(&checkpoints, &app.audit_checkpoint().await?)?;
    if args.no_serve {
        say!(
            "\nServe it with: severn --database {url} --audit-key {} serve",
            key_file.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    // The demo was built on a replayed clock; the server runs on the real one (sessions, authenticator codes).
    let app = App::new(db, Arc::new(SystemClock), key);
    keep_checkpointing(app.clone(), checkpoints);
    say!(
        "\nSevern is serving the demo at http://{}/ (stop it with Ctrl-C)",
        args.bind
    );
    std::io::stdout().flush()?;
    severn_web::serve(app, args.bind, severn_web::WebOptions::default())
        .await
        .with_context(|| format!("serving at {}", args.bind))?;
    Ok(ExitCode::SUCCESS)
}

/// The demo region's forces: (code, name). Invented names.
const FORCES: [(&str, &str); 3] = [
    ("SEV", "Severnshire Constabulary"),
    ("WRK", "Wrekin Police"),
    ("TEM", "Teme Valley Police"),
];

/// The region: three forces, the regional unit, the PCC's office and the NCA liaison desk, with one account
/// per role (and one investigator in a second force, to show that forces do not see each other's cases).
/// Also each force with the accounts among these that carry cases (investigators and supervisors).
async fn region(app: &App, operator: &Actor) -> Result<(Vec<Account>, Vec<(OrgId, Vec<StaffId>)>)> {
    let mut forces = Vec::new();
    for (code, name) in FORCES {
        let org = app.create_org(operator, code, name, OrgKind::Force).await?;
        app.create_team(operator, org, "Online Child Abuse Investigation Team")
            .await?;
        forces.push((org, name));
    }
    let rocu = app
        .create_org(
            operator,
            "ROCU",
            "Western Marches ROCU",
            OrgKind::RegionalUnit,
        )
        .await?;
    let pcc = app
        .create_org(
            operator,
            "PCC",
            "Office of the Severnshire PCC",
            OrgKind::PccOffice,
        )
        .await?;
    let nca = app
        .create_org(operator, "NCA", "NCA referrals liaison desk", OrgKind::Nca)
        .await?;
    let (sev, sev_name) = forces[0];
    let (wrk, wrk_name) = forces[1];
    let people = [
        (
            "investigator",
            "Alex Morgan",
            sev,
            sev_name,
            Role::Investigator,
        ),
        ("supervisor", "Sam Okafor", sev, sev_name, Role::Supervisor),
        (
            "safeguarding",
            "Jo Pritchard",
            sev,
            sev_name,
            Role::SafeguardingOfficer,
        ),
        ("analyst", "Priya Shah", sev, sev_name, Role::Analyst),
        ("auditor", "Chris Evans", sev, sev_name, Role::Auditor),
        ("admin", "Dana Hughes", sev, sev_name, Role::Administrator),
        (
            "wrekin.investigator",
            "Lee Parry",
            wrk,
            wrk_name,
            Role::Investigator,
        ),
        (
            "regional",
            "Morgan Blake",
            rocu,
            "Western Marches ROCU",
            Role::RegionalOversight,
        ),
        (
            "pcc.office",
            "Rhian Lloyd",
            pcc,
            "Office of the Severnshire PCC",
            Role::PccOffice,
        ),
    ];
    let mut made = Vec::new();
    let mut caseworkers: Vec<(OrgId, Vec<StaffId>)> =
        forces.iter().map(|(org, _)| (*org, Vec::new())).collect();
    for (username, name, org, org_name, role) in people {
        let id = app
            .create_staff(
                operator,
                &StaffSpec {
                    org,
                    team: None,
                    username: username.to_owned(),
                    display_name: name.to_owned(),
                    kind: StaffKind::Person,
                    roles: vec![role],
                },
            )
            .await?;
        if matches!(role, Role::Investigator | Role::Supervisor)
            && let Some((_, ids)) = caseworkers.iter_mut().find(|(force, _)| *force == org)
        {
            ids.push(id);
        }
        let credentials = credentials::issue(app, operator, id, username, false).await?;
        made.push(Account {
            username: username.to_owned(),
            what: format!("{}, {org_name}", role.label()),
            credentials,
        });
    }
    let feed = app
        .create_staff(
            operator,
            &StaffSpec {
                org: nca,
                team: None,
                username: "nca-feed".to_owned(),
                display_name: "NCA package feed".to_owned(),
                kind: StaffKind::Service,
                roles: Vec::new(),
            },
        )
        .await?;
    made.push(Account {
        username: "nca-feed".to_owned(),
        what: "service account, NCA referrals liaison desk".to_owned(),
        credentials: credentials::issue(app, operator, feed, "nca-feed", true).await?,
    });
    Ok((made, caseworkers))
}

/// A demo account and what it needs to sign in.
struct Account {
    username: String,
    what: String,
    credentials: Credentials,
}

fn clock_now(app: &App) -> String {
    crate::output::at(app.clock.now())
}
