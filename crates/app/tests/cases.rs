//! Cases from opening to outcome: scenarios on SQLite and PostgreSQL.

use severn_app::AppError;
use severn_app::casework::{AuditPeriod, Worklist};
use severn_app::gate::Why;
use severn_app::mail::Relay;
use severn_app::notices::NoticeRound;
use severn_domain::access::{Denial, OrgKind, Role};
use severn_domain::case::{ClockState, EventKind, Fact, NewEvent, Urgency};
use severn_domain::ids::CaseId;
use severn_store::Db;
use severn_store::testing::execute_raw;
use std::sync::Arc;

mod world;
use world::*;

severn_store::backend_matrix!(
    opening_a_case_moves_its_subject_from_the_queue_to_the_worklist,
    a_warrant_from_application_to_execution_stops_the_clock,
    a_refused_sequence_names_the_conflict_and_is_logged,
    only_a_supervisor_allocates_and_the_officer_sees_it_as_theirs,
    another_forces_case_and_a_missing_case_answer_alike,
    a_correction_supersedes_and_the_timeline_keeps_both,
    the_timeline_refuses_updates_and_deletes,
    allocation_ranks_by_skills_and_needs_an_override_for_a_gap,
    a_training_import_with_a_bad_row_imports_nothing,
    the_audits_count_allocations_and_warrants_in_force,
    notices_are_given_before_and_at_breach_and_emailed_once,
);

async fn opening_a_case_moves_its_subject_from_the_queue_to_the_worklist(db: Db) {
    let w = world(db).await;
    assert_eq!(w.app.queue(&w.investigator, 50).await.unwrap().len(), 1);
    let case = open(&w).await;
    assert!(w.app.queue(&w.investigator, 50).await.unwrap().is_empty());
    for list in [Worklist::AllOpen, Worklist::Unallocated] {
        let page = w
            .app
            .worklist(
                &w.investigator,
                &severn_app::caselist::WorklistParams::of(list, 1),
            )
            .await
            .unwrap();
        assert_eq!(page.total, 1, "{list:?}");
        assert_eq!(page.entries[0].case, case);
        assert_eq!(page.entries[0].clock, "running");
    }
    assert_eq!(
        w.app
            .worklist(
                &w.investigator,
                &severn_app::caselist::WorklistParams::of(Worklist::Mine, 1)
            )
            .await
            .unwrap()
            .total,
        0
    );
    assert!(
        w.app
            .worklist(
                &w.other_force,
                &severn_app::caselist::WorklistParams::of(Worklist::AllOpen, 1)
            )
            .await
            .unwrap()
            .entries
            .is_empty()
    );
    let again = w.app.open_case(&w.investigator, w.subject).await;
    assert!(
        matches!(&again, Err(AppError::Invalid(m)) if m.contains("already")),
        "{again:?}"
    );
    assert_eq!(
        w.app
            .case_of_subject(&w.investigator, w.subject, Why::default())
            .await
            .unwrap(),
        Some(case)
    );
}

async fn a_warrant_from_application_to_execution_stops_the_clock(db: Db) {
    let w = world(db).await;
    let case = open(&w).await;
    let record = |fact: Fact, hours: i64| {
        let app = w.app.clone();
        let actor = w.investigator.clone();
        async move {
            app.record_event(&actor, case, event(fact, at(hours)), Why::default())
                .await
                .unwrap()
        }
    };
    record(applied(), -3).await;
    record(Fact::WarrantGranted { warrant: 1 }, -2).await;
    w.clock.advance(jiff::SignedDuration::from_hours(20));
    record(Fact::WarrantExecuted { warrant: 1 }, 18).await;
    record(Fact::Arrest, 18).await;
    let view = w
        .app
        .case_view(&w.investigator, case, Why::default())
        .await
        .unwrap();
    assert!(
        matches!(
            view.clock.state,
            ClockState::Stopped {
                by: EventKind::WarrantExecuted,
                in_time: true,
                ..
            }
        ),
        "{:?}",
        view.clock
    );
    assert_eq!(view.warrants.len(), 1);
    assert!(view.warrants[0].remote);
    assert_eq!(view.warrants[0].executed_at, Some(at(18)));
    assert_eq!(view.next_warrant, 2);
    let stage = |name: &str| {
        view.stages
            .iter()
            .find(|s| s.stage == name)
            .unwrap()
            .seconds
    };
    assert_eq!(stage("warrant_applied_to_granted"), Some(3600));
    assert!(view.may.record);
    assert!(!view.may.allocate);
    let page = w
        .app
        .worklist(
            &w.investigator,
            &severn_app::caselist::WorklistParams::of(Worklist::AllOpen, 1),
        )
        .await
        .unwrap();
    assert_eq!(page.entries[0].clock, "stopped");
    assert_eq!(page.entries[0].clock_text, "stopped in time");
}

async fn a_refused_sequence_names_the_conflict_and_is_logged(db: Db) {
    let w = world(db.clone()).await;
    let case = open(&w).await;
    let refused = w
        .app
        .record_event(
            &w.investigator,
            case,
            event(Fact::WarrantExecuted { warrant: 1 }, at(-1)),
            Why::default(),
        )
        .await;
    let Err(AppError::Invalid(message)) = refused else {
        panic!("{refused:?}")
    };
    assert!(
        message
            .contains("Warrant executed at 2026-03-01 14:00 GMT needs the grant of this warrant"),
        "{message}"
    );
    let log = severn_store::testing::audit_log(&db).await;
    let last = log.last().unwrap();
    assert_eq!(last.action, "record_event");
    assert_eq!(last.outcome, "denied:invalid");
    assert_eq!(last.target, format!("case:{case}"));
    // Nothing was added.
    let view = w
        .app
        .case_view(&w.investigator, case, Why::default())
        .await
        .unwrap();
    assert!(view.events.is_empty());
    // An unknown warrant type is refused with the known ones.
    let unknown = w
        .app
        .record_event(
            &w.investigator,
            case,
            event(
                Fact::WarrantApplied {
                    warrant: 1,
                    warrant_type: "made_up".into(),
                    court: "Court".into(),
                    remote: false,
                },
                at(-1),
            ),
            Why::default(),
        )
        .await;
    assert!(
        matches!(&unknown, Err(AppError::Invalid(m)) if m.contains("pace_s8")),
        "{unknown:?}"
    );
}

async fn only_a_supervisor_allocates_and_the_officer_sees_it_as_theirs(db: Db) {
    let w = world(db).await;
    let case = open(&w).await;
    let allocation = Fact::Allocated {
        officer: w.investigator_id,
        supervisor: None,
        policy: "illustrative-allocation@1".into(),
        met_policy: true,
        missing: vec![],
        override_rationale: None,
    };
    let by_investigator = w
        .app
        .record_event(
            &w.investigator,
            case,
            event(allocation.clone(), at(0)),
            Why::default(),
        )
        .await;
    assert!(
        matches!(by_investigator, Err(AppError::Denied(Denial::Role))),
        "{by_investigator:?}"
    );
    // Not even a supervisor writes an allocation in as a fact: it would skip the policy's check.
    let written_in = w
        .app
        .record_event(
            &w.supervisor,
            case,
            event(allocation, at(0)),
            Why::default(),
        )
        .await;
    assert!(
        matches!(&written_in, Err(AppError::Invalid(m)) if m.contains("allocation form")),
        "{written_in:?}"
    );
    assert!(
        w.app
            .allocate(
                &w.investigator,
                case,
                (w.investigator_id, None),
                Some("x"),
                Why::default()
            )
            .await
            .is_err()
    );
    w.app
        .allocate(
            &w.supervisor,
            case,
            (w.investigator_id, None),
            Some("The only investigator on duty"),
            Why::default(),
        )
        .await
        .unwrap();
    let mine = w
        .app
        .worklist(
            &w.investigator,
            &severn_app::caselist::WorklistParams::of(Worklist::Mine, 1),
        )
        .await
        .unwrap();
    assert_eq!(mine.total, 1);
    assert_eq!(mine.entries[0].officer.as_deref(), Some("Name of inv.a"));
    assert_eq!(
        w.app
            .worklist(
                &w.investigator,
                &severn_app::caselist::WorklistParams::of(Worklist::Unallocated, 1)
            )
            .await
            .unwrap()
            .total,
        0
    );
    let view = w
        .app
        .case_view(&w.supervisor, case, Why::default())
        .await
        .unwrap();
    assert_eq!(view.officer.as_deref(), Some("Name of inv.a"));
    assert!(view.may.allocate);
}

async fn another_forces_case_and_a_missing_case_answer_alike(db: Db) {
    let w = world(db.clone()).await;
    let case = open(&w).await;
    let theirs = w
        .app
        .case_view(&w.other_force, case, Why::default())
        .await
        .unwrap_err();
    let missing = w
        .app
        .case_view(&w.other_force, CaseId(999), Why::default())
        .await
        .unwrap_err();
    assert_eq!(theirs.to_string(), format!("There is no case {case}."));
    assert_eq!(missing.to_string(), "There is no case 999.");
    let recorded = w
        .app
        .record_event(
            &w.other_force,
            case,
            event(Fact::Arrest, at(0)),
            Why::default(),
        )
        .await;
    assert!(matches!(recorded, Err(AppError::NotFound(_))));
    let log = severn_store::testing::audit_log(&db).await;
    let outcomes: Vec<(&str, &str)> = log
        .iter()
        .rev()
        .take(3)
        .map(|e| (e.target.as_str(), e.outcome.as_str()))
        .collect();
    let theirs_target = format!("case:{case}");
    assert_eq!(
        outcomes,
        vec![
            (theirs_target.as_str(), "denied:other_force"),
            ("case:999", "denied:not_found"),
            (theirs_target.as_str(), "denied:other_force"),
        ]
    );
    // A role that may not record at all is told so, even of a case that is not there.
    let (pcc, _) = {
        let org = w
            .app
            .create_org(&operator(), "pcc", "Office of the PCC", OrgKind::PccOffice)
            .await
            .unwrap();
        staff(&w.app, org, "pcc.officer", Role::PccOffice).await
    };
    assert!(matches!(
        w.app
            .record_event(
                &pcc,
                CaseId(999),
                event(Fact::Arrest, at(0)),
                Why::default()
            )
            .await,
        Err(AppError::Denied(Denial::Role))
    ));
}

async fn a_correction_supersedes_and_the_timeline_keeps_both(db: Db) {
    let w = world(db).await;
    let case = open(&w).await;
    let arrest = w
        .app
        .record_event(
            &w.investigator,
            case,
            event(Fact::Arrest, at(0)),
            Why::default(),
        )
        .await
        .unwrap();
    let correction = NewEvent {
        fact: Fact::Arrest,
        occurred_at: at(-2),
        supersedes: Some(arrest),
        rationale: Some("Custody record shows 07:00".into()),
        correction: false,
    };
    let corrected = w
        .app
        .record_event(&w.investigator, case, correction, Why::default())
        .await
        .unwrap();
    let view = w
        .app
        .case_view(&w.investigator, case, Why::default())
        .await
        .unwrap();
    assert_eq!(view.events.len(), 2);
    assert_eq!(view.events[0].superseded_by, Some(corrected));
    assert_eq!(view.events[1].supersedes, Some(arrest));
    assert!(matches!(
        view.clock.state,
        ClockState::Stopped { at: stopped, .. } if stopped == at(-2)
    ));
}

async fn the_timeline_refuses_updates_and_deletes(db: Db) {
    let w = world(db.clone()).await;
    let case = open(&w).await;
    w.app
        .record_event(
            &w.investigator,
            case,
            event(Fact::Arrest, at(0)),
            Why::default(),
        )
        .await
        .unwrap();
    assert!(
        execute_raw(&db, "UPDATE case_event SET occurred_at = 0")
            .await
            .is_err()
    );
    assert!(execute_raw(&db, "DELETE FROM case_event").await.is_err());
}

async fn allocation_ranks_by_skills_and_needs_an_override_for_a_gap(db: Db) {
    let w = world(db).await;
    let expert = trained_investigator(&w).await;
    let case = open(&w).await;
    let candidates = w
        .app
        .candidates(&w.supervisor, case, Why::default())
        .await
        .unwrap();
    assert_eq!(candidates.policy, "illustrative-allocation@1");
    assert_eq!(candidates.candidates[0].staff, expert);
    assert!(candidates.candidates[0].meets_policy);
    let untrained = candidates
        .candidates
        .iter()
        .find(|c| c.staff == w.investigator_id)
        .unwrap();
    assert!(!untrained.meets_policy);
    assert!(
        untrained.reason.contains("PIP level 1"),
        "{}",
        untrained.reason
    );
    // Investigators do not allocate.
    assert!(matches!(
        w.app
            .candidates(&w.investigator, case, Why::default())
            .await,
        Err(AppError::Denied(Denial::Role))
    ));
    // The untrained investigator needs an override, with a rationale.
    let refused = w
        .app
        .allocate(
            &w.supervisor,
            case,
            (w.investigator_id, None),
            None,
            Why::default(),
        )
        .await;
    assert!(
        matches!(&refused, Err(AppError::Invalid(m)) if m.contains("Name of inv.a lacks PIP level 1") && m.contains("override rationale")),
        "{refused:?}"
    );
    w.app
        .allocate(
            &w.supervisor,
            case,
            (w.investigator_id, None),
            Some("The only officer on duty; the expert will review daily"),
            Why::default(),
        )
        .await
        .unwrap();
    w.app
        .allocate(&w.supervisor, case, (expert, None), None, Why::default())
        .await
        .unwrap();
    let view = w
        .app
        .case_view(&w.supervisor, case, Why::default())
        .await
        .unwrap();
    assert_eq!(view.officer.as_deref(), Some("Name of expert.a"));
    assert_eq!(view.supervisor.as_deref(), Some("Name of sup.a"));
    let allocations: Vec<&Fact> = view
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Allocated)
        .map(|e| &e.fact)
        .collect();
    assert!(matches!(
        allocations[0],
        Fact::Allocated {
            met_policy: false,
            override_rationale: Some(_),
            ..
        }
    ));
    assert!(matches!(
        allocations[1],
        Fact::Allocated {
            met_policy: true,
            override_rationale: None,
            ..
        }
    ));
}

async fn a_training_import_with_a_bad_row_imports_nothing(db: Db) {
    let w = world(db.clone()).await;
    let csv = "username,skill,achieved_on,expires_on,evidence\n\
               inv.a,pip1,2024-01-10,,Cert 1\n\
               nobody,pip1,2024-01-10,,Cert 2\n\
               inv.a,pip2,10/01/2024,,Cert 3\n";
    let refused = w.app.import_training(&operator(), Some(w.force), csv).await;
    let Err(AppError::Invalid(message)) = refused else {
        panic!("{refused:?}")
    };
    assert!(message.contains("line 3, field username"), "{message}");
    assert!(message.contains("line 4, field achieved_on"), "{message}");
    let log = severn_store::testing::audit_log(&db).await;
    assert_eq!(log.last().unwrap().outcome, "denied:invalid");
    assert_eq!(
        w.app
            .training_records(&operator(), Some(w.force))
            .await
            .unwrap()
            .len(),
        0,
        "nothing was imported"
    );
    // Investigators manage no one's training.
    assert!(matches!(
        w.app.training_coverage(&w.investigator, None).await,
        Err(AppError::Denied(Denial::Role))
    ));
    // An administrator manages their own force's register, not another's; the refusal is logged.
    let (admin, _) = staff(&w.app, w.force, "admin.a", Role::Administrator).await;
    assert!(w.app.training_coverage(&admin, None).await.is_ok());
    let other = w.other_force.org();
    assert!(matches!(
        w.app.training_records(&admin, other).await,
        Err(AppError::Denied(Denial::OtherForce))
    ));
    let log = severn_store::testing::audit_log(&db).await;
    assert_eq!(log.last().unwrap().outcome, "denied:other_force");
    let (_, theirs) = staff(&w.app, other.unwrap(), "inv.b2", Role::Investigator).await;
    assert!(matches!(
        w.app
            .add_absence(
                &admin,
                theirs,
                (jiff::civil::date(2026, 3, 2), jiff::civil::date(2026, 3, 3)),
                "Leave"
            )
            .await,
        Err(AppError::NotFound(_))
    ));
    let log = severn_store::testing::audit_log(&db).await;
    assert_eq!(log.last().unwrap().outcome, "denied:not_found");
}

async fn the_audits_count_allocations_and_warrants_in_force(db: Db) {
    let w = world(db).await;
    let expert = trained_investigator(&w).await;
    let case = open(&w).await;
    w.app
        .allocate(
            &w.supervisor,
            case,
            (w.investigator_id, None),
            Some("Cover for the expert's leave"),
            Why::default(),
        )
        .await
        .unwrap();
    w.app
        .allocate(&w.supervisor, case, (expert, None), None, Why::default())
        .await
        .unwrap();
    let record = |fact: Fact, hours: i64| {
        let app = w.app.clone();
        let actor = w.investigator.clone();
        async move {
            app.record_event(&actor, case, event(fact, at(hours)), Why::default())
                .await
                .unwrap()
        }
    };
    record(applied(), -4).await;
    record(Fact::WarrantGranted { warrant: 1 }, -1).await;
    let mut second = applied();
    if let Fact::WarrantApplied {
        warrant, remote, ..
    } = &mut second
    {
        *warrant = 2;
        *remote = false;
    }
    let wrong = record(second.clone(), -3).await;
    // The second application was entered in error, as someone noticed an hour later.
    let before_withdrawal = at(0);
    w.clock.set(at(1));
    w.app
        .record_event(
            &w.investigator,
            case,
            NewEvent {
                fact: Fact::Withdrawn,
                occurred_at: at(0),
                supersedes: Some(wrong),
                rationale: Some("Entered twice".into()),
                correction: false,
            },
            Why::default(),
        )
        .await
        .unwrap();
    let (from, to) = (at(-48), at(48));
    let allocations = w
        .app
        .allocation_audit(&w.supervisor, AuditPeriod::new(from, to))
        .await
        .unwrap();
    assert_eq!(allocations.allocations, 2);
    assert_eq!(allocations.met_policy, 1);
    assert_eq!(allocations.share_met, Some(0.5));
    assert_eq!(allocations.against_policy.len(), 1);
    assert_eq!(
        allocations.against_policy[0].override_rationale.as_deref(),
        Some("Cover for the expert's leave")
    );
    assert_eq!(allocations.against_policy[0].case, case);
    let warrants = w
        .app
        .warrant_audit(&w.supervisor, AuditPeriod::new(from, to))
        .await
        .unwrap();
    assert_eq!(
        warrants.applications, 1,
        "the withdrawn application is not counted"
    );
    assert_eq!(warrants.granted, 1);
    assert_eq!(warrants.heard_remotely, 1);
    assert_eq!(warrants.median_hours_to_grant, Some(3.0));
    assert_eq!(warrants.warrants[0].case, case);
    let stages = w
        .app
        .stage_report(&w.supervisor, AuditPeriod::new(from, to))
        .await
        .unwrap();
    assert_eq!(stages.cases, 1);
    let granted = stages
        .stages
        .iter()
        .find(|s| s.stage == "warrant_applied_to_granted")
        .unwrap();
    assert_eq!(
        (
            granted.cases,
            granted.median_seconds,
            granted.case_ids.clone()
        ),
        (1, Some(3 * 3600), vec![case])
    );
    // Another force's supervisor sees none of it.
    let empty = w
        .app
        .allocation_audit(&w.other_force, AuditPeriod::new(from, to))
        .await
        .unwrap();
    assert_eq!(empty.allocations, 0);
    // A period before it all holds nothing.
    let before = w
        .app
        .warrant_audit(&w.supervisor, AuditPeriod::new(at(-96), at(-48)))
        .await
        .unwrap();
    assert_eq!(before.applications, 0);
    // As known before the withdrawal was recorded, the figures are those given then, and say so.
    let then = AuditPeriod {
        known_at: Some(before_withdrawal),
        ..AuditPeriod::new(from, to)
    };
    let as_then = w.app.warrant_audit(&w.supervisor, then).await.unwrap();
    assert_eq!(as_then.known_at, before_withdrawal);
    assert_eq!(as_then.applications, 2, "the withdrawal was not yet known");
    assert_eq!(warrants.known_at, at(1), "now, when none is asked for");
    let stages_then = w.app.stage_report(&w.supervisor, then).await.unwrap();
    assert_eq!(stages_then.cases, 1);
    // Asking for a time not yet come gives the figures as known now.
    let later = AuditPeriod {
        known_at: Some(at(100)),
        ..AuditPeriod::new(from, to)
    };
    let now = w.app.warrant_audit(&w.supervisor, later).await.unwrap();
    assert_eq!((now.known_at, now.applications), (at(1), 1));
}

/// A mail relay on loopback that speaks enough SMTP to take messages, and keeps (recipient, message) of each.
/// With `refuse`, it refuses every recipient.
async fn smtp_listener(refuse: bool) -> (String, Arc<std::sync::Mutex<Vec<(String, String)>>>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let received = Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = received.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let kept = kept.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                write
                    .write_all(b"220 relay.example ESMTP\r\n")
                    .await
                    .unwrap();
                let mut recipient = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    let reply: &[u8] = if line.starts_with("EHLO") {
                        b"250-relay.example\r\n250 OK\r\n"
                    } else if line.starts_with("MAIL FROM:") {
                        b"250 OK\r\n"
                    } else if let Some(to) = line.strip_prefix("RCPT TO:") {
                        recipient = to.trim_matches(['<', '>']).to_owned();
                        if refuse {
                            b"550 No such user\r\n"
                        } else {
                            b"250 OK\r\n"
                        }
                    } else if line == "DATA" {
                        write.write_all(b"354 Go ahead\r\n").await.unwrap();
                        let mut message = String::new();
                        while let Ok(Some(line)) = lines.next_line().await {
                            if line == "." {
                                break;
                            }
                            message.push_str(&line);
                            message.push('\n');
                        }
                        kept.lock().unwrap().push((recipient.clone(), message));
                        b"250 Queued\r\n"
                    } else if line == "QUIT" {
                        let _ = write.write_all(b"221 Bye\r\n").await;
                        return;
                    } else {
                        b"500 What?\r\n"
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (address, received)
}

async fn notices_are_given_before_and_at_breach_and_emailed_once(db: Db) {
    let w = world(db).await;
    let expert = trained_investigator(&w).await;
    let case = open(&w).await;
    w.app
        .allocate(&w.supervisor, case, (expert, None), None, Why::default())
        .await
        .unwrap();
    let (address, received) = smtp_listener(false).await;
    let relay = Relay {
        address,
        from: "severn@severnshire-police.example".into(),
    };
    let link = "https://severn.example/cases/";
    // On track: nothing to give.
    let quiet = w
        .app
        .give_notices(&operator(), Some(&relay), link)
        .await
        .unwrap();
    assert_eq!(quiet, NoticeRound::default());
    // Into the last fifth of the timescale: a notice each to the officer and the supervisor; only the officer
    // has an address.
    let view = w
        .app
        .case_view(&w.supervisor, case, Why::default())
        .await
        .unwrap();
    let due = view.clock.due().unwrap();
    w.clock.set(
        due.checked_sub(jiff::SignedDuration::from_hours(2))
            .unwrap(),
    );
    let soon = w
        .app
        .give_notices(&operator(), Some(&relay), link)
        .await
        .unwrap();
    assert_eq!((soon.given, soon.emailed), (2, 1), "{soon:?}");
    {
        let mail = received.lock().unwrap();
        assert_eq!(mail.len(), 1);
        assert_eq!(mail[0].0, "expert.a@severnshire-police.example");
        assert!(
            mail[0]
                .1
                .contains(&format!("Subject: Case {case} is due soon")),
            "{}",
            mail[0].1
        );
        assert!(
            mail[0].1.contains(&format!("{link}{case}")),
            "{}",
            mail[0].1
        );
    }
    // The same notice is not given or sent twice.
    let again = w
        .app
        .give_notices(&operator(), Some(&relay), link)
        .await
        .unwrap();
    assert_eq!((again.given, again.emailed), (0, 0));
    // At breach: the overdue notice.
    w.clock
        .set(due.checked_add(jiff::SignedDuration::from_mins(1)).unwrap());
    let breach = w.app.give_notices(&operator(), None, link).await.unwrap();
    assert_eq!((breach.given, breach.emailed), (2, 0));
    // A relay that refuses: reported, kept unsent, and sent once a relay takes it.
    let (refusing, _) = smtp_listener(true).await;
    let refused = w
        .app
        .give_notices(
            &operator(),
            Some(&Relay {
                address: refusing,
                from: relay.from.clone(),
            }),
            link,
        )
        .await
        .unwrap();
    assert_eq!(refused.failed.len(), 1, "{refused:?}");
    assert!(refused.failed[0].contains("550"), "{refused:?}");
    let sent = w
        .app
        .give_notices(&operator(), Some(&relay), link)
        .await
        .unwrap();
    assert_eq!(sent.emailed, 1);
    assert_eq!(received.lock().unwrap().len(), 2);
    // The supervisor sees both notices in the application, newest first.
    let mine = w.app.my_notices(&w.supervisor, 10).await.unwrap();
    assert_eq!(mine.len(), 2);
    assert_eq!(mine[0].urgency, Urgency::Overdue);
    assert!(!mine[0].emailed);
}
