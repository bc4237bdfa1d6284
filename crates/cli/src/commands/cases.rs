//! Cases: `severn case open|show|record` and `severn cases`.

use crate::args::{CaseCommand, ListName};
use crate::ctx::Ctx;
use crate::output::{self, at};
use anyhow::{Context, Result};
use severn_app::casework::{CaseView, Worklist, WorklistPage};
use severn_app::gate::Why;
use severn_domain::case::{Entry, Fact, NewEvent};
use severn_domain::ids::{CaseId, EventId, SubjectId};
use std::process::ExitCode;

pub async fn case(ctx: &Ctx, command: CaseCommand) -> Result<ExitCode> {
    let app = ctx.connect().await?;
    let actor = &ctx.actor;
    match command {
        CaseCommand::Open { subject, json } => {
            let case = app.open_case(actor, SubjectId(subject)).await?;
            if json {
                output::json(&serde_json::json!({ "case": case, "subject": subject }))?;
            } else {
                say!("case {case} opened on subject {subject}");
            }
        }
        CaseCommand::Show { case, json } => {
            let view = app.case_view(actor, CaseId(case), Why::default()).await?;
            if json {
                output::json(&view)?;
            } else {
                print_case(&view)?;
            }
        }
        CaseCommand::Record {
            case,
            fact,
            at: occurred_at,
            supersedes,
            rationale,
            correction,
            json,
        } => {
            let fact: Fact = serde_json::from_str(&fact).context(
                "--fact is not a fact: see docs/cases.md for the kinds and their fields",
            )?;
            let event = NewEvent {
                fact,
                occurred_at: occurred_at.unwrap_or_else(|| app.clock.now()),
                supersedes: supersedes.map(EventId),
                rationale,
                correction,
            };
            let id = app
                .record_event(actor, CaseId(case), event, Why::default())
                .await?;
            if json {
                output::json(&serde_json::json!({ "case": case, "event": id }))?;
            } else {
                say!("event {id} added to case {case}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_case(view: &CaseView) -> Result<()> {
    show!(
        "case {} on subject {} — {} — band {} — {}",
        view.case,
        view.subject,
        view.status,
        view.band_label,
        view.clock_text
    );
    show!(
        "  officer in charge: {}; supervisor: {}",
        view.officer.as_deref().unwrap_or("not allocated"),
        view.supervisor.as_deref().unwrap_or("none")
    );
    show!(
        "  received {}, opened {}",
        at(view.received_at),
        at(view.opened_at)
    );
    for w in &view.warrants {
        let state = match (w.granted_at, w.refused_at, w.executed_at) {
            (_, _, Some(executed)) => format!("executed {}", at(executed)),
            (Some(granted), _, None) => format!("granted {}", at(granted)),
            (None, Some(refused), _) => format!("refused {}", at(refused)),
            (None, None, None) => "awaiting the court".to_owned(),
        };
        show!(
            "  warrant {} ({}, {}, {}): applied {}, {state}",
            w.warrant,
            w.warrant_type,
            w.court,
            if w.remote { "remote" } else { "in person" },
            at(w.applied_at)
        );
    }
    for stage in view.stages.iter().filter(|s| s.seconds.is_some()) {
        let seconds = stage.seconds.unwrap_or_default();
        show!(
            "  {}: {} h {} min",
            stage.label,
            seconds / 3600,
            seconds % 3600 / 60
        );
    }
    for work in &view.open_work {
        show!("  open: {work}");
    }
    if view.events.is_empty() {
        show!("  no events yet");
    }
    for e in &view.events {
        let mut line = format!("  #{} {}  {}", e.id, at(e.occurred_at), e.label);
        if !e.summary.is_empty() {
            line.push_str(&format!(": {}", e.summary));
        }
        if let Some(by) = e.superseded_by {
            line.push_str(&format!(" [corrected by #{by}]"));
        }
        match e.entry {
            Entry::Ordinary => {}
            Entry::Late => line.push_str(&format!(" [late entry, recorded {}]", at(e.recorded_at))),
            Entry::Correction => {
                line.push_str(&format!(" [correction, recorded {}]", at(e.recorded_at)))
            }
        }
        if let Some(rationale) = &e.rationale {
            line.push_str(&format!(" — {rationale}"));
        }
        show!("{line} ({})", e.recorded_by);
    }
    Ok(())
}

pub async fn worklist(ctx: &Ctx, list: ListName, page: i64, json: bool) -> Result<ExitCode> {
    let app = ctx.connect().await?;
    let list = match list {
        ListName::Open => Worklist::AllOpen,
        ListName::Unallocated => Worklist::Unallocated,
        ListName::Closed => Worklist::Closed,
    };
    let page = app.worklist(&ctx.actor, list, page).await?;
    if json {
        output::json(&page)?;
    } else {
        print_worklist(&page)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_worklist(page: &WorklistPage) -> Result<()> {
    if page.entries.is_empty() {
        show!("No cases.");
        return Ok(());
    }
    show!(
        "{:>6}  {:>8}  {:<9}  {:<20}  {:<24}  officer",
        "case",
        "subject",
        "band",
        "due",
        "clock"
    );
    for e in &page.entries {
        show!(
            "{:>6}  {:>8}  {:<9}  {:<20}  {:<24}  {}",
            e.case.0,
            e.subject.0,
            e.band_label,
            e.due_at.map(at).unwrap_or_else(|| "-".into()),
            e.clock_text,
            e.officer.as_deref().unwrap_or("not allocated")
        );
    }
    show!(
        "page {} of {} ({} cases)",
        page.page,
        page.pages.max(1),
        page.total
    );
    Ok(())
}
