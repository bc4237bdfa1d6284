//! `severn synth` (a synthetic referral stream with its ground truth) and `severn quality` (linking measured
//! against that truth).

use crate::args::SynthArgs;
use crate::ctx::Ctx;
use anyhow::{Context, Result};
use std::path::Path;
use std::process::ExitCode;

pub fn synth(args: SynthArgs) -> Result<ExitCode> {
    let mut options = severn_synth::SynthOptions::new(args.seed, args.reports, &args.out);
    options.reports_per_package = args.reports_per_package;
    options.hard_cases = !args.no_hard_cases;
    options.forces = args.forces;
    let summary = severn_synth::write_corpus(&options)?;
    say!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(ExitCode::SUCCESS)
}

pub async fn quality(ctx: &Ctx, truth: &Path) -> Result<ExitCode> {
    let app = ctx.connect().await?;
    let truth = severn_app::quality::read_ground_truth(truth)
        .with_context(|| format!("reading {}", truth.display()))?;
    let quality = app.quality_report(&ctx.actor, &truth).await?;
    say!("{}", serde_json::to_string_pretty(&quality)?);
    Ok(ExitCode::SUCCESS)
}
