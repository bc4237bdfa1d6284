//! Cases: `severn subjects` (every subject, as JSON), `subject show|merge|split`, `queue` and `referral show`.

use crate::args::{ReferralCommand, SubjectCommand};
use crate::ctx::Ctx;
use crate::output;
use anyhow::Result;
use severn_app::gate::Why;
use severn_domain::ids::SubjectId;
use std::io::Write;
use std::process::ExitCode;

pub async fn export(ctx: &Ctx) -> Result<ExitCode> {
    let app = ctx.connect().await?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let why = Why::because(format!(
        "export of every subject by {}",
        ctx.actor.audit_name()
    ));
    app.export_subjects(&ctx.actor, why, &mut out).await?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

pub async fn subject(ctx: &Ctx, command: SubjectCommand) -> Result<ExitCode> {
    let app = ctx.connect().await?;
    let actor = &ctx.actor;
    match command {
        SubjectCommand::Show { id, json } => output::subject(
            &app.subject(actor, SubjectId(id), Why::default()).await?,
            json,
        )?,
        SubjectCommand::Merge {
            subject,
            other,
            rationale,
            json,
        } => {
            let s = app
                .merge_subjects(SubjectId(subject), SubjectId(other), &rationale, actor)
                .await?;
            if json {
                output::json(&serde_json::json!({
                    "subject": s.id.0,
                    "merged": other,
                    "band": s.band,
                    "due_at": output::rfc3339(s.due_at),
                }))?;
                return Ok(ExitCode::SUCCESS);
            }
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
            json,
        } => {
            let s = app
                .split_subject(SubjectId(subject), &referrals, &rationale, actor)
                .await?;
            if json {
                output::json(&serde_json::json!({
                    "subject": s.id.0,
                    "split_from": subject,
                    "referrals": referrals,
                    "band": s.band,
                    "due_at": output::rfc3339(s.due_at),
                }))?;
                return Ok(ExitCode::SUCCESS);
            }
            say!(
                "{} referral(s) moved from subject {subject} to new subject {}: band {}, due {}",
                referrals.len(),
                s.id,
                s.band,
                output::when(s.due_at)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn queue(ctx: &Ctx, json: bool, limit: i64) -> Result<ExitCode> {
    let app = ctx.connect().await?;
    output::queue(&app.queue(&ctx.actor, limit).await?, json)?;
    Ok(ExitCode::SUCCESS)
}

pub async fn referral(ctx: &Ctx, command: ReferralCommand) -> Result<ExitCode> {
    let ReferralCommand::Show { reference, json } = command;
    let app = ctx.connect().await?;
    output::referral(
        &app.referral(&ctx.actor, &reference, Why::default()).await?,
        json,
    )?;
    Ok(ExitCode::SUCCESS)
}
