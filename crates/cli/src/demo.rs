//! `severn demo`: a demo database built from synthetic referrals, as if they had arrived over past weeks.

use crate::Ctx;
use anyhow::{Context, Result};
use clap::Args;
use severn_app::App;
use severn_app::ingest::Ingester;
use severn_domain::clock::FixedClock;
use severn_store::Db;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const DEMO_DATABASE_FILE: &str = "severn-demo.db";

#[derive(Args)]
pub struct DemoArgs {
    /// Synthetic NCMEC reports to generate.
    #[arg(long, default_value_t = 2000)]
    reports: usize,
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Where to keep the synthetic documents (a temporary directory when not given).
    #[arg(long)]
    corpus: Option<PathBuf>,
    /// How many subjects of the queue to print.
    #[arg(long, default_value_t = 25)]
    limit: i64,
}

/// The NCA dissemination time written in a package manifest.
fn dissemination(package: &Path) -> Option<jiff::Timestamp> {
    let text = std::fs::read_to_string(package.join("package.json")).ok()?;
    let manifest: serde_json::Value = serde_json::from_str(&text).ok()?;
    manifest.get("disseminatedAt")?.as_str()?.parse().ok()
}

pub async fn run(ctx: &Ctx, database: Option<String>, args: DemoArgs) -> Result<()> {
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
    let synth = severn_synth::write_corpus(&options).context("generating synthetic referrals")?;

    let clock = Arc::new(FixedClock::new(jiff::Timestamp::UNIX_EPOCH));
    let db = Db::connect(&url)
        .await
        .with_context(|| format!("opening {url}"))?;
    let app = App::new(db, clock.clone(), key);

    // Each package is received a few hours after the NCA sent it, so clocks start at realistic times.
    let mut packages: Vec<PathBuf> = std::fs::read_dir(corpus.join("packages"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    packages.sort();
    // The synthetic year is replayed as the last two weeks, so the queue shows work in every state: each
    // package arrives a few hours after the NCA sent it, at its place in those weeks.
    let sent: Vec<Option<jiff::Timestamp>> = packages.iter().map(|p| dissemination(p)).collect();
    let first = sent
        .iter()
        .flatten()
        .min()
        .copied()
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let last = sent.iter().flatten().max().copied().unwrap_or(first);
    let span = (last.as_second() - first.as_second()).max(1) as f64;
    let window = jiff::SignedDuration::from_hours(24 * 14).as_secs() as f64;
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
    let partner = corpus.join("partner");
    if partner.exists() {
        for item in severn_ingest::walk(&[partner]) {
            ingester.push(item).await?;
        }
    }
    let summary = ingester.finish().await?;

    clock.set(end.max(latest));
    say!(
        "Demo database {url}: {} synthetic reports ({} suspects) → ingested {}, duplicates {}, rejected {}",
        synth.reports,
        synth.suspects,
        summary.ingested + summary.new_versions,
        summary.duplicates,
        summary.rejected
    );
    let mut tx = app.db.begin_read().await?;
    let counts = tx.counts().await?;
    tx.commit().await?;
    say!(
        "{} referrals in {} subjects, {} identifiers. Demo time is {}.\n",
        counts.referrals,
        counts.subjects,
        counts.identifiers,
        clock_now(&app)
    );
    crate::output::queue(&app.queue(&ctx.actor, args.limit).await?, false)?;
    say!(
        "\nTry: severn --database {url} referral show <REF>   (references are in the subjects: severn --database {url} subjects --json)"
    );
    Ok(())
}

fn clock_now(app: &App) -> String {
    app.clock.now().strftime("%Y-%m-%d %H:%M UTC").to_string()
}
