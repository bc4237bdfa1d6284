//! `severn risk`: the risk tool installed, checked and shown; subjects assessed, overridden and rescored.

use crate::args::RiskCommand;
use crate::ctx::Ctx;
use crate::output;
use anyhow::{Context, Result};
use severn_domain::ids::SubjectId;
use severn_domain::risk::Answers;
use std::process::ExitCode;

pub async fn risk(ctx: &Ctx, command: RiskCommand) -> Result<ExitCode> {
    let actor = &ctx.actor;
    match command {
        RiskCommand::Check { file, json } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let tool = severn_domain::risk::RiskTool::from_toml(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            if json {
                output::json(&serde_json::json!({
                    "file": file.display().to_string(),
                    "tool": tool.id(),
                    "version": tool.version(),
                    "questions": tool.questions().len(),
                }))?;
                return Ok(ExitCode::SUCCESS);
            }
            say!(
                "{}: {} {} is valid ({} questions)",
                file.display(),
                tool.id(),
                tool.version(),
                tool.questions().len()
            );
        }
        RiskCommand::Install { file, json } => {
            let app = ctx.connect().await?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let tool = app.install_tool(actor, &text).await?;
            if json {
                output::json(&serde_json::json!({ "tool": tool.id(), "version": tool.version() }))?;
                return Ok(ExitCode::SUCCESS);
            }
            say!(
                "installed {} {}; run `severn risk rescore` to re-assess under it",
                tool.id(),
                tool.version()
            );
        }
        RiskCommand::Show { json } => {
            let app = ctx.connect().await?;
            output::tool(&app.active_tool().await?, json)?;
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
            json,
        } => {
            let app = ctx.connect().await?;
            let saved = app
                .override_band(SubjectId(subject), band.0, &rationale, actor)
                .await?;
            output::assessment(&saved, json)?;
        }
        RiskCommand::SignOff {
            subject,
            comment,
            json,
        } => {
            let app = ctx.connect().await?;
            let assessment = app
                .sign_off_assessment(SubjectId(subject), &comment, actor)
                .await?;
            if json {
                output::json(&serde_json::json!({ "subject": subject, "assessment": assessment }))?;
                return Ok(ExitCode::SUCCESS);
            }
            say!("assessment {assessment} of subject {subject} signed off");
        }
        RiskCommand::Rescore { tool, json } => {
            let app = ctx.connect().await?;
            if let Some(file) = tool {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("reading {}", file.display()))?;
                app.install_tool(actor, &text).await?;
            }
            let summary = app.rescore(actor).await?;
            if json {
                output::json(&summary)?;
                return Ok(ExitCode::SUCCESS);
            }
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
                output::json(&history)?;
            } else {
                for a in &history {
                    output::assessment(a, false)?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
