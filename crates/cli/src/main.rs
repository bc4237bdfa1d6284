//! The `severn` command.
//!
//! Startup and dispatch live here; the arguments in `args`, what every command starts from in `ctx`, the
//! handlers per command group in `commands`, and how things are printed in `output`. The work itself is done
//! by `severn-app`'s use cases, each asked for as the operator at the command line and logged: this crate
//! reaches no database connection and no audit key of its own. May depend on every crate of the workspace;
//! no other crate depends on it.

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

mod args;
mod commands;
mod credentials;
mod ctx;
mod output;

// Ingest allocates many small short-lived strings; mimalloc handles that pattern markedly better than glibc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::Result;
use args::{Cli, Command};
use clap::Parser;
use commands::{
    audit, cases, demo, ingest, org, reference, risk, server, staff, subjects, support, synth,
};
use ctx::Ctx;
use std::process::ExitCode;

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

async fn run(cli: Cli) -> Result<ExitCode> {
    let ctx = Ctx::new(&cli);
    let code = command(&ctx, cli).await?;
    ctx.checkpoint().await?;
    Ok(code)
}

async fn command(ctx: &Ctx, cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Migrate => server::migrate(ctx).await,
        Command::Serve(args) => server::serve(ctx, args).await,
        Command::Ingest(args) => ingest::ingest(ctx, args).await,
        Command::Rejects(args) => ingest::rejects(ctx, args).await,
        Command::Synth(args) => synth::synth(args),
        Command::Subjects { json: _ } => subjects::export(ctx).await,
        Command::Subject(command) => subjects::subject(ctx, command).await,
        Command::Queue { json, limit } => subjects::queue(ctx, json, limit).await,
        Command::Referral(command) => subjects::referral(ctx, command).await,
        Command::Case(command) => cases::case(ctx, command).await,
        Command::Cases { filters, json } => cases::worklist(ctx, filters, json).await,
        Command::Training(command) => cases::training(ctx, command).await,
        Command::Notices { mail, json } => cases::notices(ctx, mail, json).await,
        Command::Allocation(command) => cases::allocation(ctx, command).await,
        Command::Risk(command) => risk::risk(ctx, command).await,
        Command::Demo(args) => demo::run(ctx, cli.database, args).await,
        Command::Quality { truth, json } => synth::quality(ctx, &truth, json).await,
        Command::Audit(command) => audit::audit(ctx, command).await,
        Command::Org(command) => org::org(ctx, command).await,
        Command::Staff(command) => staff::staff(ctx, command).await,
        Command::ReferralTarget { days, json } => audit::referral_target(ctx, days, json).await,
        Command::SupportServices(command) => support::support_services(ctx, command).await,
        Command::Reference(command) => reference::reference(ctx, command).await,
    }
}
