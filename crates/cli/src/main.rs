//! The `severn` command.

/// Like `println!`, but a closed pipe (`severn queue | head`) is an error to return, not a panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

mod demo;
mod output;

// Ingest allocates many small short-lived strings; mimalloc handles that pattern markedly better than glibc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use severn_app::App;
use severn_app::ingest::{DEFAULT_BATCH_SIZE, IngestSummary, Ingester};
use severn_domain::clock::SystemClock;
use severn_domain::ids::SubjectId;
use severn_domain::risk::{Answers, Band};
use severn_store::Db;
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
}

#[derive(Args)]
struct IngestArgs {
    /// Files and directories (read recursively; a directory with package.json is an NCA package).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Documents per transaction.
    #[arg(long, default_value_t = DEFAULT_BATCH_SIZE)]
    batch_size: usize,
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
        #[arg(long, env = "USER", default_value = "unknown")]
        actor: String,
    },
    /// Move referrals out of SUBJECT into a new subject: they concern a different person.
    Split {
        subject: i64,
        /// Source references of the referrals to move.
        #[arg(long = "referral", required = true)]
        referrals: Vec<String>,
        #[arg(long)]
        rationale: String,
        #[arg(long, env = "USER", default_value = "unknown")]
        actor: String,
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
        #[arg(long, env = "USER", default_value = "unknown")]
        assessor: String,
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
        #[arg(long, env = "USER", default_value = "unknown")]
        supervisor: String,
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
            eprintln!("error: {e:#}");
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

async fn connect(url: &str) -> Result<App> {
    let db = Db::connect(url)
        .await
        .with_context(|| format!("opening database {url}"))?;
    Ok(App::new(db, Arc::new(SystemClock)))
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let url = cli
        .database
        .clone()
        .unwrap_or_else(|| DEFAULT_DATABASE.to_owned());
    match cli.command {
        Command::Migrate => {
            let app = connect(&url).await?;
            app.db.migrate().await?;
            say!("database {url} is up to date");
        }
        Command::Serve { bind, https } => {
            let app = connect(&url).await?;
            say!("Severn is serving at http://{bind}/ (stop it with Ctrl-C)");
            let options = severn_web::WebOptions {
                https,
                ..Default::default()
            };
            severn_web::serve(app, bind, options)
                .await
                .with_context(|| format!("serving at {bind}"))?;
        }
        Command::Ingest(args) => {
            let app = connect(&url).await?;
            // Rejects keep their path for `severn rejects retry`, which may run from another directory.
            let paths: Vec<PathBuf> = args
                .paths
                .iter()
                .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone()))
                .collect();
            let summary = ingest(&app, &paths, args.batch_size).await?;
            say!(
                "ingested {}, duplicates {}, rejected {}",
                summary.ingested + summary.new_versions,
                summary.duplicates,
                summary.rejected
            );
            if summary.rejected > 0 {
                return Ok(ExitCode::from(2));
            }
        }
        Command::Rejects(args) => {
            let app = connect(&url).await?;
            match args.action {
                Some(RejectsAction::Retry { ids }) => {
                    let mut failed = false;
                    for id in ids {
                        let s = app.retry_reject(id).await?;
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
                        return Ok(ExitCode::from(2));
                    }
                }
                None => output::rejects(&app.rejects(args.all).await?, args.json)?,
            }
        }
        Command::Synth(args) => {
            let mut options = severn_synth::SynthOptions::new(args.seed, args.reports, &args.out);
            options.reports_per_package = args.reports_per_package;
            options.hard_cases = !args.no_hard_cases;
            let summary = severn_synth::write_corpus(&options)?;
            say!("{}", serde_json::to_string_pretty(&summary)?);
        }
        Command::Subjects { json: _ } => {
            let app = connect(&url).await?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            app.export_subjects(&mut out).await?;
            out.flush()?;
        }
        Command::Subject(command) => {
            let app = connect(&url).await?;
            match command {
                SubjectCommand::Show { id, json } => {
                    output::subject(&app.subject(SubjectId(id)).await?, json)?
                }
                SubjectCommand::Merge {
                    subject,
                    other,
                    rationale,
                    actor,
                } => {
                    let s = app
                        .merge_subjects(SubjectId(subject), SubjectId(other), &rationale, &actor)
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
                    actor,
                } => {
                    let s = app
                        .split_subject(SubjectId(subject), &referrals, &rationale, &actor)
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
            let app = connect(&url).await?;
            output::queue(&app.queue(limit).await?, json)?;
        }
        Command::Referral(ReferralCommand::Show { reference, json }) => {
            let app = connect(&url).await?;
            output::referral(&app.referral(&reference).await?, json)?;
        }
        Command::Risk(command) => return risk(&url, command).await,
        Command::Demo(args) => demo::run(cli.database, args).await?,
        Command::Quality { truth } => {
            let app = connect(&url).await?;
            let truth = severn_app::quality::read_ground_truth(&truth)
                .with_context(|| format!("reading {}", truth.display()))?;
            let predicted = app.subject_of_every_referral().await?;
            let quality = severn_app::quality::pairwise(&predicted, &truth);
            say!("{}", serde_json::to_string_pretty(&quality)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn risk(url: &str, command: RiskCommand) -> Result<ExitCode> {
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
            let app = connect(url).await?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let tool = app.install_tool(&text).await?;
            say!(
                "installed {} {}; run `severn risk rescore` to re-assess under it",
                tool.id(),
                tool.version()
            );
        }
        RiskCommand::Show => {
            let app = connect(url).await?;
            output::tool(&app.active_tool().await?)?;
        }
        RiskCommand::Assess {
            subject,
            answers,
            assessor,
            json,
        } => {
            let app = connect(url).await?;
            let tool = app.active_tool().await?;
            let mut parsed = Answers::new();
            for pair in answers {
                let (question, value) = pair
                    .split_once('=')
                    .with_context(|| format!("{pair:?}: answers are written QUESTION=ANSWER"))?;
                let answer = tool.parse_answer(question.trim(), value.trim())?;
                parsed.insert(question.trim().to_owned(), answer);
            }
            let saved = app.assess(SubjectId(subject), parsed, &assessor).await?;
            output::assessment(&saved, json)?;
        }
        RiskCommand::Override {
            subject,
            band,
            rationale,
            supervisor,
        } => {
            let app = connect(url).await?;
            let Some(band) = Band::parse(&band) else {
                bail!("{band:?} is not a band: use very_high, high, medium or low");
            };
            let saved = app
                .override_band(SubjectId(subject), band, &rationale, &supervisor)
                .await?;
            output::assessment(&saved, false)?;
        }
        RiskCommand::Rescore { tool } => {
            let app = connect(url).await?;
            if let Some(file) = tool {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("reading {}", file.display()))?;
                app.install_tool(&text).await?;
            }
            let summary = app.rescore().await?;
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
            let app = connect(url).await?;
            let history = app.assessment_history(SubjectId(subject)).await?;
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

/// Parses on a thread of its own while this task writes batches, so the two cores share the work.
pub(crate) async fn ingest(
    app: &App,
    paths: &[PathBuf],
    batch_size: usize,
) -> Result<IngestSummary> {
    // Documents cross to the writer in chunks: one wake-up per chunk rather than per document.
    const CHUNK: usize = 256;
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<severn_ingest::Item>>(4);
    let walk_paths = paths.to_vec();
    let parser = std::thread::spawn(move || {
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
    let mut ingester = Ingester::new(app).await?.with_batch_size(batch_size);
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
    let summary = ingester.finish().await?;
    progress.finish_and_clear();
    parser
        .join()
        .map_err(|_| anyhow::anyhow!("the parsing thread failed"))?;
    Ok(summary)
}
