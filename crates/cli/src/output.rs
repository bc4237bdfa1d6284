//! How the command line prints things: plain text for people, `--json` for programs. Every text line goes
//! through `show!`, so stored free text prints its control characters escaped and cannot forge a line.

use anyhow::Result;
use jiff::Timestamp;
use severn_app::audit::AuditEntryView;
use severn_app::time::instant;
use severn_app::views::RejectView;
use severn_app::views::{AssessmentView, QueueEntry, ReferralView, SubjectSummary};
use severn_domain::risk::{Band, Outcome, RiskTool};
use severn_store::AssessmentRow;

/// A time as people read it: Europe/London, with the zone (`2026-12-03 14:05 GMT`, `2026-07-01 15:05 BST`).
pub fn at(time: Timestamp) -> String {
    severn_app::time::london(time)
}

/// [`at`] for a stored time in Unix seconds.
pub fn when(seconds: i64) -> String {
    at(instant(seconds))
}

/// A time in `--json`: RFC 3339 in UTC, as the JSON API gives it.
pub fn rfc3339(seconds: i64) -> String {
    instant(seconds).to_string()
}

/// A `--json` answer: one pretty-printed JSON value.
pub fn json<T: serde::Serialize>(value: &T) -> Result<()> {
    say!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

pub fn queue(entries: &[QueueEntry], as_json: bool) -> Result<()> {
    if as_json {
        return json(&entries);
    }
    if entries.is_empty() {
        show!("No open work.");
        return Ok(());
    }
    show!(
        "{:>8}  {:<9}  {:<20}  {:<22}  {:>9}  reason",
        "subject",
        "band",
        "due",
        "time left",
        "referrals"
    );
    for e in entries {
        show!(
            "{:>8}  {:<9}  {:<20}  {:<22}  {:>9}  {}",
            e.subject.0,
            e.band_label,
            at(e.due_at),
            e.time_left,
            e.referrals
                .map_or_else(|| "-".to_owned(), |n| n.to_string()),
            e.reason.as_deref().unwrap_or("restricted: see the case")
        );
    }
    Ok(())
}

fn explanation(outcome: &Outcome) -> Result<()> {
    show!(
        "  band {} ({} points, tool {} {})",
        outcome.band.label(),
        outcome.points,
        outcome.tool_id,
        outcome.tool_version
    );
    for c in &outcome.contributions {
        let floor = c
            .floor
            .map(|f| format!(", sets at least {}", f.label()))
            .unwrap_or_default();
        show!("    +{:<3} {}: {}{}", c.points, c.label, c.value, floor);
    }
    for r in &outcome.reasons {
        show!("    - {r}");
    }
    Ok(())
}

pub fn subject(s: &SubjectSummary, as_json: bool) -> Result<()> {
    if as_json {
        return json(s);
    }
    show!("Subject {} ({})", s.subject.0, s.status);
    show!("  band {}: {}", s.band_label, s.reason);
    show!(
        "  clock started {}, due {} ({})",
        at(s.clock_start_at),
        at(s.due_at),
        s.time_left
    );
    show!("  referrals: {}", s.referrals.join(", "));
    if let Some(into) = s.merged_into {
        show!(
            "  merged into subject {}: its referrals are there now",
            into.0
        );
    }
    Ok(())
}

pub fn referral(r: &ReferralView, as_json: bool) -> Result<()> {
    if as_json {
        return json(r);
    }
    show!(
        "Referral {} (version {}, {} from {})",
        r.referral,
        r.version,
        r.format,
        r.source
    );
    show!(
        "  received {}; clock started {}",
        at(r.received_at),
        at(r.clock_start_at)
    );
    if let Some(nca) = &r.nca_reference {
        show!(
            "  NCA package {nca}, disseminated {}",
            r.disseminated_at.map_or_else(|| "?".to_owned(), at)
        );
    }
    if let Some(t) = &r.incident_type {
        show!(
            "  incident: {t} on {}",
            r.platform.as_deref().unwrap_or("unknown platform")
        );
    }
    show!("Provisional band {}", r.band_label);
    if let Some(outcome) = &r.explanation {
        explanation(outcome)?;
    }
    if let Some(report) = r.report.as_ref().filter(|report| !report.files.is_empty()) {
        show!("Files (metadata only):");
        for f in &report.files {
            let name = f
                .original_file_name
                .as_deref()
                .or(f.file_name.as_deref())
                .unwrap_or("(no name)");
            let class = f
                .industry_classification
                .map(|c| format!(", industry classification {c:?}"))
                .unwrap_or_default();
            let flags: Vec<&str> = f.annotations.iter().map(|a| a.element_name()).collect();
            let flags = if flags.is_empty() {
                String::new()
            } else {
                format!(", annotated {}", flags.join(" "))
            };
            let viewed = match f.viewed_by_esp {
                Some(true) => ", viewed by the service",
                Some(false) => ", not viewed by the service",
                None => "",
            };
            show!("  {name}{class}{flags}{viewed}");
            for h in &f.hashes {
                show!("    {} {}", h.label, h.value);
            }
        }
    }
    show!("Identifiers on this referral:");
    for i in &r.identifiers {
        let service = i
            .service
            .as_deref()
            .map(|s| format!(" on {s}"))
            .unwrap_or_default();
        let note = if i.placeholder {
            " (placeholder or common value: not linked on)"
        } else {
            ""
        };
        show!(
            "  {} {}{}: {}{}",
            i.role,
            i.kind.as_str(),
            service,
            i.value,
            note
        );
    }
    subject(&r.subject, false)?;
    if !r.links.is_empty() {
        show!("  linked because:");
        for l in &r.links {
            let service = l
                .service
                .as_deref()
                .map(|s| format!(" on {s}"))
                .unwrap_or_default();
            show!(
                "    {} shares {}{} {} (weight {:.1})",
                l.referral,
                l.kind.as_str(),
                service,
                l.value,
                l.weight
            );
        }
    }
    for d in &r.decisions {
        show!(
            "  {} by {} at {}: {}",
            d.kind.label(),
            d.actor,
            at(d.decided_at),
            d.rationale
        );
    }
    for a in &r.assessments {
        assessment_view(a, false)?;
    }
    Ok(())
}

/// A saved assessment, its answers and outcome read as the API shows them.
pub fn assessment(a: &AssessmentRow, as_json: bool) -> Result<()> {
    assessment_view(&AssessmentView::try_from(a.clone())?, as_json)
}

fn assessment_view(a: &AssessmentView, as_json: bool) -> Result<()> {
    if as_json {
        return json(a);
    }
    let band = |b: &str| {
        Band::parse(b)
            .map(|b| b.label().to_owned())
            .unwrap_or_else(|| b.to_owned())
    };
    show!(
        "Assessment {} of subject {} by {} at {} with {} {}: {}",
        a.id,
        a.subject_id.0,
        a.assessor,
        at(a.assessed_at),
        a.tool_id,
        a.tool_version,
        band(&a.band)
    );
    if let (Some(b), Some(r)) = (&a.override_band, &a.override_rationale) {
        show!(
            "  overridden to {} by {}: {r}",
            band(b),
            a.override_by.as_deref().unwrap_or("unknown")
        );
    }
    explanation(&a.outcome)?;
    if !a.outcome.unanswered.is_empty() {
        show!("    unanswered: {}", a.outcome.unanswered.join(", "));
    }
    Ok(())
}

pub fn rejects(rows: &[RejectView], as_json: bool) -> Result<()> {
    if as_json {
        return json(&rows);
    }
    if rows.is_empty() {
        show!("No rejected documents.");
        return Ok(());
    }
    for r in rows {
        let location = r
            .location
            .as_deref()
            .map(|l| format!(" ({l})"))
            .unwrap_or_default();
        let field = r
            .field
            .as_deref()
            .map(|f| format!(" [{f}]"))
            .unwrap_or_default();
        let resolved = r
            .resolved_at
            .map(|t| format!(" — resolved {}", at(t)))
            .unwrap_or_default();
        show!(
            "{:>6}  {}{}{}: {}{}",
            r.id,
            r.path,
            location,
            field,
            r.reason,
            resolved
        );
    }
    show!("Correct the file, then run `severn rejects retry ID`.");
    Ok(())
}

pub fn audit(entries: &[AuditEntryView], as_json: bool) -> Result<()> {
    if as_json {
        return json(&entries);
    }
    if entries.is_empty() {
        show!("No audit entries match.");
        return Ok(());
    }
    for e in entries {
        let extra: Vec<String> = [
            e.justification.as_ref().map(|j| format!("why: {j}")),
            e.recipients.as_ref().map(|r| format!("to: {r}")),
            e.detail.as_ref().map(|d| format!("({d})")),
        ]
        .into_iter()
        .flatten()
        .collect();
        show!(
            "{:>8}  {}  {}  {} {} {} — {}{}",
            e.seq,
            at(e.at),
            e.actor,
            e.processing.as_str(),
            e.action,
            e.target,
            e.outcome,
            if extra.is_empty() {
                String::new()
            } else {
                format!("  {}", extra.join("  "))
            }
        );
    }
    Ok(())
}

pub fn tool(tool: &RiskTool, as_json: bool) -> Result<()> {
    if as_json {
        return json(tool);
    }
    show!("{} {} — {}", tool.id(), tool.version(), tool.name());
    if tool.illustrative() {
        show!("ILLUSTRATIVE: {}", tool.notice());
    }
    let t = tool.timescales();
    show!(
        "Timescales: Very High {} day(s), High {}, Medium {}, Low {}; clock starts at {}",
        t.very_high,
        t.high,
        t.medium,
        t.low,
        tool.clock().starts.as_str()
    );
    for q in tool.questions() {
        let options: Vec<String> = q.options.iter().map(|o| o.value.clone()).collect();
        show!(
            "  {:<28} [{}] {} ({})",
            q.id,
            q.step.label(),
            q.text,
            options.join(" / ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seconds(rfc3339: &str) -> i64 {
        rfc3339.parse::<Timestamp>().unwrap().as_second()
    }

    #[test]
    fn a_stored_time_reads_in_london_and_json_keeps_utc() {
        assert_eq!(
            when(seconds("2026-07-01T14:05:00Z")),
            "2026-07-01 15:05 BST"
        );
        assert_eq!(
            rfc3339(seconds("2026-07-01T14:05:00Z")),
            "2026-07-01T14:05:00Z"
        );
    }
}
