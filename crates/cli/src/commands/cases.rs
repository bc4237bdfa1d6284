//! Cases: `severn case open|show|candidates|allocate|record`, `severn cases`, `severn training`,
//! `severn allocation`, and the allocation and warrant audits' printing.

use crate::args::{AllocationCommand, CaseCommand, TrainingCommand, WorklistArgs};
use crate::ctx::Ctx;
use crate::output::{self, at};
use anyhow::{Context, Result, bail};
use severn_app::App;
use severn_app::allocating::{AllocationAudit, CandidatesView, NO_TEAM, Profile};
use severn_app::caselist::{WorklistPage, WorklistParams};
use severn_app::casework::{CaseView, StageReport, WarrantAudit};
use severn_app::gate::Why;
use severn_domain::access::Actor;
use severn_domain::allocation::WorkingDays;
use severn_domain::case::{Entry, Fact, NewEvent};
use severn_domain::ids::{CaseId, EventId, SubjectId};
use severn_domain::ids::{OrgId, StaffId, TeamId};
use severn_domain::skills::Skill;
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
        CaseCommand::Candidates { case, json } => {
            let view = app.candidates(actor, CaseId(case), Why::default()).await?;
            if json {
                output::json(&view)?;
            } else {
                print_candidates(&view)?;
            }
        }
        CaseCommand::Allocate {
            case,
            officer,
            supervisor,
            override_rationale,
            json,
        } => {
            let officer = staff_id(&app, &officer).await?;
            let supervisor = match supervisor {
                Some(name) => Some(staff_id(&app, &name).await?),
                None => None,
            };
            let id = app
                .allocate(
                    actor,
                    CaseId(case),
                    (officer, supervisor),
                    override_rationale.as_deref(),
                    Why::default(),
                )
                .await?;
            if json {
                output::json(&serde_json::json!({ "case": case, "event": id }))?;
            } else {
                say!("case {case} allocated (event {id})");
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
        show!(
            "  {}: {}",
            stage.label,
            took(stage.seconds.unwrap_or_default())
        );
    }
    let p = &view.profile;
    show!(
        "  suspect, from {} referral(s): {}",
        p.referrals,
        if p.names.is_empty() {
            "no name given".to_owned()
        } else {
            p.names
                .iter()
                .map(|n| n.value.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        }
    );
    for w in &p.warnings {
        show!("    {}", w.value);
    }
    for group in &p.identifiers {
        let values: Vec<String> = group
            .values
            .iter()
            .map(|v| match &v.service {
                Some(service) => format!("{} ({service})", v.value),
                None => v.value.clone(),
            })
            .collect();
        show!("    {}: {}", group.label, values.join(", "));
    }
    show!(
        "    {} IP capture(s); {} file(s), {} distinct hash value(s); {} child(ren) named",
        p.ip_logins.len(),
        p.files.files,
        p.files.distinct_hashes,
        p.children.len()
    );
    let b = &view.band_reasons;
    show!(
        "  band by {}: {} on {} point(s){}; {}",
        b.tool,
        b.band_label,
        b.points,
        b.set_by
            .first()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default(),
        match (&b.assessed_by, &b.signed_off) {
            (None, _) => "provisional, not assessed".to_owned(),
            (Some(by), None) => format!("assessed by {by}, not signed off"),
            (Some(by), Some(s)) => format!("assessed by {by}, signed off by {}", s.by),
        }
    );
    for t in &view.tasks {
        show!(
            "  task {}: {} (by {}{})",
            t.task,
            t.text,
            t.due,
            if t.overdue { ", overdue" } else { "" }
        );
    }
    for c in &view.safeguarding.children {
        let deadline = |d: &severn_app::safeguarding::DayDeadline| match (d.clock, d.due) {
            (Some(clock), Some(due)) => {
                format!("{} (due by the end of {due})", clock.label().to_lowercase())
            }
            _ => d.problem.clone().unwrap_or_default(),
        };
        let referral = match &c.referral {
            Some(r) => format!(
                "referred {} to {}: {}; decision {}",
                at(r.sent_at),
                r.authority_name,
                deadline(&c.referral_deadline),
                match r.decision_label {
                    Some(decision) => format!("{decision}, {}", deadline(&r.decision_deadline)),
                    None => format!("awaited, {}", deadline(&r.decision_deadline)),
                }
            ),
            None => format!("not referred: {}", deadline(&c.referral_deadline)),
        };
        show!(
            "  child {}: {} ({}), {}; {referral}",
            c.child,
            c.name,
            c.age_band.to_lowercase(),
            c.authority_name
        );
    }
    for plan in &view.safeguarding.plans {
        let overdue = plan.actions.iter().filter(|a| a.overdue).count();
        show!(
            "  joint plan {} with {}: {} action(s), {overdue} overdue; review by {}",
            plan.plan,
            plan.agencies,
            plan.actions.len(),
            plan.review
        );
    }
    for r in &view.safeguarding.support {
        show!(
            "  support {} for child {}: {} ({})",
            r.support,
            r.child,
            r.service_name,
            r.status_label.to_lowercase()
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

pub async fn worklist(ctx: &Ctx, args: WorklistArgs, json: bool) -> Result<ExitCode> {
    let app = ctx.connect().await?;
    let yes = |on: bool| on.then(|| "yes".to_owned());
    let params = WorklistParams {
        list: Some(args.list.unwrap_or_else(|| "open".to_owned())),
        page: args.page,
        band: args.band,
        status: args.status,
        clock: args.clock,
        officer: args.officer,
        source: args.source,
        restricted: yes(args.restricted),
        shared: yes(args.shared),
        sort: args.sort,
        order: args.order,
    };
    let page = app.worklist(&ctx.actor, &params).await?;
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
        "{:>6}  {:>8}  {:<9}  {:<20}  {:<24}  {:<24}  officer",
        "case",
        "subject",
        "band",
        "due",
        "clock",
        "flags"
    );
    for e in &page.entries {
        let flags: Vec<&str> = [
            (e.new, "new"),
            (e.restricted, "restricted"),
            (e.shared, "shared"),
        ]
        .into_iter()
        .filter_map(|(on, word)| on.then_some(word))
        .collect();
        show!(
            "{:>6}  {:>8}  {:<9}  {:<20}  {:<24}  {:<24}  {}",
            e.case.0,
            e.subject.0,
            e.band_label,
            e.due_at.map(at).unwrap_or_else(|| "-".into()),
            e.clock_text,
            if flags.is_empty() {
                "-".to_owned()
            } else {
                flags.join(", ")
            },
            e.officer.as_deref().unwrap_or("not allocated")
        );
    }
    show!(
        "page {} of {} ({} cases)",
        page.page,
        page.pages.max(1),
        page.total
    );
    if let Some(new) = page.new_since_visit {
        show!("{new} new since your last visit");
    }
    Ok(())
}

async fn staff_id(app: &App, username: &str) -> Result<StaffId> {
    match app.staff_by_username(username).await? {
        Some(staff) => Ok(staff.id),
        None => bail!("there is no member of staff {username:?}: see `severn staff list`"),
    }
}

pub(crate) async fn org_id(
    app: &App,
    actor: &Actor,
    code: Option<String>,
) -> Result<Option<OrgId>> {
    let Some(code) = code else { return Ok(None) };
    let orgs = app.list_orgs(actor).await?;
    match orgs.iter().find(|o| o.code.eq_ignore_ascii_case(&code)) {
        Some(org) => Ok(Some(org.id)),
        None => bail!("there is no organisation with the code {code:?}: see `severn org list`"),
    }
}

fn weekday(name: &str) -> Result<jiff::civil::Weekday> {
    use jiff::civil::Weekday::*;
    Ok(match name.trim().to_lowercase().as_str() {
        "mon" | "monday" => Monday,
        "tue" | "tuesday" => Tuesday,
        "wed" | "wednesday" => Wednesday,
        "thu" | "thursday" => Thursday,
        "fri" | "friday" => Friday,
        "sat" | "saturday" => Saturday,
        "sun" | "sunday" => Sunday,
        other => bail!("{other:?} is not a day: use mon, tue, wed, thu, fri, sat, sun"),
    })
}

pub async fn training(ctx: &Ctx, command: TrainingCommand) -> Result<ExitCode> {
    let app = ctx.connect().await?;
    let actor = &ctx.actor;
    match command {
        TrainingCommand::Import { file, org, json } => {
            let org = org_id(&app, actor, org).await?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let added = app.import_training(actor, org, &text).await?;
            if json {
                output::json(&serde_json::json!({ "imported": added }))?;
            } else {
                say!("{added} training record(s) imported");
            }
        }
        TrainingCommand::Export { org, json } => {
            let org = org_id(&app, actor, org).await?;
            let records = app.training_records(actor, org).await?;
            if json {
                let rows: Vec<serde_json::Value> = records
                    .iter()
                    .map(|(username, r)| serde_json::json!({ "username": username, "record": r }))
                    .collect();
                output::json(&rows)?;
            } else {
                // Evidence that starts like a spreadsheet formula was refused on import.
                print!("{}", severn_domain::skills::training_csv(&records));
            }
        }
        TrainingCommand::Skills { org, json } => {
            let org = org_id(&app, actor, org).await?;
            let skills = app.skills(actor, org).await?;
            if json {
                output::json(&skills)?;
            } else {
                for s in &skills {
                    show!(
                        "{:<20}  {}  ({})",
                        s.code,
                        s.name,
                        s.renew_after_months
                            .map_or("does not lapse".to_owned(), |m| format!(
                                "renew every {m} months"
                            ))
                    );
                }
            }
        }
        TrainingCommand::Skill {
            code,
            name,
            renew_months,
            org,
        } => {
            let org = org_id(&app, actor, org).await?;
            let skill = Skill::new(&code, &name, renew_months)?;
            app.put_skill(actor, org, &skill).await?;
            show!("skill {} ({}) saved", skill.code, skill.name);
        }
        TrainingCommand::Require { post, skills, org } => {
            let org = org_id(&app, actor, org).await?;
            app.require_for_post(actor, org, &post, &skills).await?;
            show!("the post {post:?} requires: {}", skills.join(", "));
        }
        TrainingCommand::Coverage { org, json } => {
            let org = org_id(&app, actor, org).await?;
            let coverage = app.training_coverage(actor, org).await?;
            if json {
                output::json(&coverage)?;
            } else {
                let teams = app.team_names(actor, org).await?;
                let team_name = |team: TeamId| match teams.get(&team) {
                    Some(name) => name.clone(),
                    None if team == NO_TEAM => "no team".to_owned(),
                    None => format!("team {team}"),
                };
                for team in &coverage.teams {
                    show!(
                        "{}: {} of {} covered ({:.0}%)",
                        team_name(team.team),
                        team.covered,
                        team.members,
                        team.share * 100.0
                    );
                }
                for m in &coverage.members {
                    let list = |codes: Vec<String>| {
                        if codes.is_empty() {
                            "-".to_owned()
                        } else {
                            codes.join(", ")
                        }
                    };
                    show!(
                        "  {} ({}, {}): missing {}; expired {}; expiring {}",
                        m.name,
                        m.post,
                        team_name(m.team),
                        list(m.missing.iter().map(|s| s.to_string()).collect()),
                        list(
                            m.expired
                                .iter()
                                .map(|l| format!("{} since {}", l.skill, l.since))
                                .collect()
                        ),
                        list(
                            m.expiring
                                .iter()
                                .map(|e| format!("{} on {}", e.skill, e.expires_on))
                                .collect()
                        ),
                    );
                }
            }
        }
        TrainingCommand::Profile {
            username,
            post,
            capacity,
            days,
            email,
        } => {
            let staff = staff_id(&app, &username).await?;
            let days = days
                .iter()
                .map(|d| weekday(d))
                .collect::<Result<Vec<_>>>()?;
            app.set_profile(
                actor,
                staff,
                &Profile {
                    post: post.clone(),
                    capacity,
                    working_days: WorkingDays::of(days),
                    email,
                },
            )
            .await?;
            show!("{username}: {post}, capacity {capacity}");
        }
        TrainingCommand::Absence {
            username,
            from,
            to,
            reason,
        } => {
            let staff = staff_id(&app, &username).await?;
            app.add_absence(actor, staff, (from, to), &reason).await?;
            show!("{username} absent {from} to {to}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn allocation(ctx: &Ctx, command: AllocationCommand) -> Result<ExitCode> {
    let app = ctx.connect().await?;
    match command {
        AllocationCommand::Install { file } => {
            let source = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let policy = app.install_allocation_policy(&ctx.actor, &source).await?;
            show!(
                "allocation policy {} {} installed and active",
                policy.id(),
                policy.version()
            );
        }
        AllocationCommand::Show { json } => {
            let policy = app.allocation_policy().await?;
            if json {
                output::json(&serde_json::json!({
                    "id": policy.id(),
                    "version": policy.version(),
                    "name": policy.name(),
                    "illustrative": policy.illustrative(),
                    "content_sha256": policy.content_sha256(),
                    "requirements": policy.requirements(),
                }))?;
            } else {
                show!("{} ({} {})", policy.name(), policy.id(), policy.version());
                if policy.illustrative() {
                    show!("{}", policy.notice());
                }
                for r in policy.requirements() {
                    let skills: Vec<&str> = r.skills.iter().map(|s| s.as_str()).collect();
                    show!("  {} — {}", skills.join(", "), r.reason);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_candidates(view: &CandidatesView) -> Result<()> {
    show!(
        "case {} under {} ({})",
        view.case,
        view.policy_name,
        view.policy
    );
    for r in &view.required {
        show!("  requires {}: {}", r.skill, r.because);
    }
    for c in &view.candidates {
        show!(
            "{:>3}. {} [{}] — {}",
            c.rank,
            c.name,
            if c.meets_policy {
                "meets the policy"
            } else {
                "needs an override"
            },
            c.reason
        );
    }
    Ok(())
}

fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "-".to_owned(), |s| format!("{:.0}%", s * 100.0))
}

pub fn print_allocation_audit(audit: &AllocationAudit, json: bool, csv: bool) -> Result<()> {
    if json {
        return output::json(audit);
    }
    if csv {
        let mut out = ::csv::Writer::from_writer(std::io::stdout().lock());
        out.write_record([
            "case",
            "event",
            "at",
            "officer",
            "policy",
            "met_policy",
            "missing",
            "override_rationale",
            "by",
        ])?;
        for a in &audit.all {
            out.write_record([
                a.case.to_string(),
                a.event.to_string(),
                a.at.to_string(),
                a.officer.to_string(),
                a.policy.clone(),
                a.met_policy.to_string(),
                a.missing.join(" "),
                a.override_rationale.clone().unwrap_or_default(),
                a.by.clone(),
            ])?;
        }
        out.flush()?;
        return Ok(());
    }
    show!("as known at {}", audit.known_at);
    show!(
        "{} to {}: {} allocation(s), {} met the policy in force ({})",
        at(audit.from),
        at(audit.to),
        audit.allocations,
        audit.met_policy,
        percent(audit.share_met)
    );
    for a in &audit.against_policy {
        show!(
            "  case {} at {} to staff {} under {}: lacked {}; override: {} ({})",
            a.case,
            at(a.at),
            a.officer,
            a.policy,
            a.missing.join(", "),
            a.override_rationale.as_deref().unwrap_or("none"),
            a.by
        );
    }
    Ok(())
}

pub fn print_warrant_audit(audit: &WarrantAudit, json: bool) -> Result<()> {
    if json {
        return output::json(audit);
    }
    show!("as known at {}", audit.known_at);
    show!(
        "{} to {}: {} application(s); {} granted, {} refused, {} awaiting a decision, {} executed",
        at(audit.from),
        at(audit.to),
        audit.applications,
        audit.granted,
        audit.refused,
        audit.awaiting_decision,
        audit.executed
    );
    show!(
        "  heard remotely: {} ({}); median time to grant: {}",
        audit.heard_remotely,
        percent(audit.share_remote),
        audit
            .median_hours_to_grant
            .map_or_else(|| "-".to_owned(), |h| format!("{h:.1} h"))
    );
    for w in &audit.warrants {
        show!(
            "  case {} warrant {} ({}, {}) applied {}{}{}",
            w.case,
            w.warrant.warrant,
            w.warrant.warrant_type,
            if w.warrant.remote {
                "remote"
            } else {
                "in person"
            },
            at(w.warrant.applied_at),
            w.warrant
                .granted_at
                .map_or_else(String::new, |g| format!(", granted {}", at(g))),
            w.warrant
                .refusal_reason
                .as_deref()
                .map_or_else(String::new, |r| format!(", refused: {r}"))
        );
    }
    Ok(())
}

pub async fn notices(ctx: &Ctx, mail: crate::args::MailArgs, json: bool) -> Result<ExitCode> {
    let app = ctx.connect().await?;
    let round = app
        .give_notices(&ctx.actor, mail.relay().as_ref(), &mail.case_link())
        .await?;
    if json {
        output::json(&round)?;
    } else {
        say!(
            "{} notice(s) given, {} e-mailed",
            round.given,
            round.emailed
        );
        for failure in &round.failed {
            show!("  not sent: {failure}");
        }
    }
    Ok(if round.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// A duration in plain words: "3 days 4 h" from two days, "5 h 20 min" below.
fn took(seconds: i64) -> String {
    if seconds >= 2 * 86_400 {
        format!("{} days {} h", seconds / 86_400, seconds % 86_400 / 3600)
    } else {
        format!("{} h {} min", seconds / 3600, seconds % 3600 / 60)
    }
}

pub fn print_stage_report(report: &StageReport, json: bool) -> Result<()> {
    if json {
        return output::json(report);
    }
    show!("as known at {}", report.known_at);
    show!(
        "{} to {}: {} case(s) received",
        at(report.from),
        at(report.to),
        report.cases
    );
    for s in &report.stages {
        show!(
            "  {}: {} case(s); median {}; 90% within {}",
            s.label,
            s.cases,
            s.median_seconds.map_or_else(|| "-".to_owned(), took),
            s.p90_seconds.map_or_else(|| "-".to_owned(), took)
        );
    }
    Ok(())
}
