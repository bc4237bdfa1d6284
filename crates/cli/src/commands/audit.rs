//! `severn audit`: the statutory audit log verified, checkpointed and read.

use crate::args::AuditCommand;
use crate::ctx::Ctx;
use crate::output;
use anyhow::Result;
use severn_app::casework::AuditPeriod;
use severn_app::safeguarding::{GapLine, SafeguardingAudit, SupportGaps, referral_target_words};
use severn_app::time::{london, start_of_london_day};
use severn_store::AuditQuery;
use std::process::ExitCode;

/// A period of whole London days, the last included: its first instant and the first instant after it.
fn period(
    from: jiff::civil::Date,
    to: jiff::civil::Date,
    known_at: Option<jiff::Timestamp>,
) -> Result<AuditPeriod> {
    if to < from {
        anyhow::bail!("--to ({to}) is before --from ({from})");
    }
    let after = to.tomorrow()?;
    Ok(AuditPeriod {
        known_at,
        ..AuditPeriod::new(start_of_london_day(from), start_of_london_day(after))
    })
}

pub async fn audit(ctx: &Ctx, command: AuditCommand) -> Result<ExitCode> {
    let app = ctx.connect().await?;
    match command {
        AuditCommand::Verify { json } => {
            let checkpoints = severn_app::audit::read_checkpoints(&ctx.checkpoints)?;
            let verification = app.verify_audit(checkpoints).await?;
            if json {
                output::json(&verification)?;
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
        AuditCommand::Checkpoint { json } => {
            let checkpoint = app.audit_checkpoint().await?;
            severn_app::audit::append_checkpoint(&ctx.checkpoints, &checkpoint)?;
            if json {
                output::json(&serde_json::json!({
                    "seq": checkpoint.seq,
                    "file": ctx.checkpoints.display().to_string(),
                }))?;
                return Ok(ExitCode::SUCCESS);
            }
            say!(
                "checkpoint at entry {} written to {}",
                checkpoint.seq,
                ctx.checkpoints.display()
            );
        }
        AuditCommand::Allocation {
            from,
            to,
            json,
            csv,
            known_at,
        } => {
            let audit = app
                .allocation_audit(&ctx.actor, period(from, to, known_at)?)
                .await?;
            crate::commands::cases::print_allocation_audit(&audit, json, csv)?;
        }
        AuditCommand::Stages {
            from,
            to,
            json,
            known_at,
        } => {
            let report = app
                .stage_report(&ctx.actor, period(from, to, known_at)?)
                .await?;
            crate::commands::cases::print_stage_report(&report, json)?;
        }
        AuditCommand::Safeguarding {
            from,
            to,
            json,
            csv,
            known_at,
        } => {
            let audit = app
                .safeguarding_audit(&ctx.actor, period(from, to, known_at)?)
                .await?;
            print_safeguarding_audit(&audit, json, csv)?;
        }
        AuditCommand::SupportGaps {
            from,
            to,
            json,
            known_at,
        } => {
            let gaps = app
                .support_gaps(&ctx.actor, period(from, to, known_at)?)
                .await?;
            print_support_gaps(&gaps, json)?;
        }
        AuditCommand::Warrants {
            from,
            to,
            json,
            known_at,
        } => {
            let audit = app
                .warrant_audit(&ctx.actor, period(from, to, known_at)?)
                .await?;
            crate::commands::cases::print_warrant_audit(&audit, json)?;
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

fn print_safeguarding_audit(audit: &SafeguardingAudit, json: bool, csv: bool) -> Result<()> {
    if json {
        return output::json(audit);
    }
    if csv {
        say!("{}", audit.csv().trim_end());
        return Ok(());
    }
    say!("as known at {}", audit.known_at);
    say!(
        "{} to {}; referrals to children's social care are due {}",
        london(audit.from),
        london(audit.to),
        referral_target_words(audit.referral_target_days)
    );
    for (_, label, figure) in audit.figures() {
        let cases: Vec<String> = figure.cases.iter().map(ToString::to_string).collect();
        say!(
            "  {label}: {}{}",
            figure.count,
            if cases.is_empty() {
                String::new()
            } else {
                format!(" (cases {})", cases.join(", "))
            }
        );
    }
    say!(
        "  median working days from identification to referral: {}",
        audit
            .median_working_days_to_refer
            .map_or_else(|| "-".to_owned(), |d| d.to_string())
    );
    for problem in &audit.not_counted {
        say!("  not counted: {problem}");
    }
    Ok(())
}

/// Shows the force's target for sending a referral to children's social care, or sets it.
pub async fn referral_target(ctx: &Ctx, days: Option<u32>, json: bool) -> Result<ExitCode> {
    let app = ctx.connect().await?;
    if let Some(days) = days {
        app.set_referral_target(&ctx.actor, days).await?;
    }
    let days = app.referral_target(ctx.actor.org()).await?;
    if json {
        output::json(&serde_json::json!({ "working_days": days }))?;
    } else {
        say!(
            "Referrals to children's social care are due {}.",
            referral_target_words(days)
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn print_support_gaps(gaps: &SupportGaps, json: bool) -> Result<()> {
    if json {
        return output::json(gaps);
    }
    show!("as known at {}", gaps.known_at);
    show!(
        "{} to {}: {} child(ren) identified, {} taken on by a support service",
        london(gaps.from),
        london(gaps.to),
        gaps.children,
        gaps.supported
    );
    let lines = |heading: &str, lines: &[GapLine]| -> Result<()> {
        show!("{heading}:");
        if lines.is_empty() {
            show!("  none");
        }
        for l in lines {
            let cases: Vec<String> = l.cases.iter().map(ToString::to_string).collect();
            show!(
                "  {} child(ren), {}, aged {}, {}{}",
                l.children,
                l.authority,
                l.age_band.to_lowercase(),
                l.need.to_lowercase(),
                if cases.is_empty() {
                    String::new()
                } else {
                    format!(" (cases {})", cases.join(", "))
                }
            );
        }
        Ok(())
    };
    lines("not taken on by any service", &gaps.not_supported)?;
    lines(
        "no open service works for them",
        &gaps.no_service_could_serve,
    )?;
    show!("services at capacity:");
    if gaps.at_capacity.is_empty() {
        show!("  none");
    }
    for s in &gaps.at_capacity {
        show!("  {}: {} of {} places taken", s.name, s.in_use, s.capacity);
    }
    show!("contracts ending within six months:");
    if gaps.contracts_ending.is_empty() {
        show!("  none");
    }
    for c in &gaps.contracts_ending {
        show!(
            "  {}: {} {}",
            c.name,
            if c.ended { "ended" } else { "ends" },
            c.ends_on
        );
    }
    Ok(())
}
