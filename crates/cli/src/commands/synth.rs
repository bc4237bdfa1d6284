//! `severn synth` (a synthetic referral stream with its ground truth) and `severn quality` (linking measured
//! against that truth).

use crate::args::SynthArgs;
use crate::ctx::Ctx;
use crate::output;
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

pub async fn quality(ctx: &Ctx, truth: &Path, json: bool) -> Result<ExitCode> {
    let app = ctx.connect().await?;
    let truth = severn_app::quality::read_ground_truth(truth)
        .with_context(|| format!("reading {}", truth.display()))?;
    let q = app.quality_report(&ctx.actor, &truth).await?;
    if json {
        output::json(&q)?;
        return Ok(ExitCode::SUCCESS);
    }
    say!(
        "{} referrals: precision {:.4} ({} of {} pairs placed together are the same suspect), recall {:.4} ({} of {} \
         pairs of the same suspect placed together)",
        q.referrals,
        q.precision,
        q.correct_pairs,
        q.predicted_pairs,
        q.recall,
        q.correct_pairs,
        q.true_pairs
    );
    Ok(ExitCode::SUCCESS)
}
