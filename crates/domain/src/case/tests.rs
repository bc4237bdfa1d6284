use super::*;
use crate::risk::{ILLUSTRATIVE_TOOL_V1, RiskTool};

fn ts(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}

fn tool() -> RiskTool {
    RiskTool::from_toml(ILLUSTRATIVE_TOOL_V1).expect("v1 parses")
}

const RECEIVED: &str = "2026-03-20T09:00:00Z";

/// Builds a timeline event by event, as Severn records them.
struct Case {
    timeline: Timeline,
    next_id: i64,
}

impl Case {
    fn new() -> Case {
        Case {
            timeline: Timeline::default(),
            next_id: 1,
        }
    }

    fn try_add(&mut self, fact: Fact, at: &str, now: &str) -> Result<EventId, Refusal> {
        self.try_add_with(fact, at, now, None, None)
    }

    fn try_add_with(
        &mut self,
        fact: Fact,
        at: &str,
        now: &str,
        supersedes: Option<EventId>,
        rationale: Option<&str>,
    ) -> Result<EventId, Refusal> {
        let new = NewEvent {
            fact: fact.clone(),
            occurred_at: ts(at),
            supersedes,
            rationale: rationale.map(str::to_owned),
            correction: false,
        };
        let entry = self.timeline.check(&new, ts(RECEIVED), ts(now))?;
        let id = EventId(self.next_id);
        self.next_id += 1;
        let mut events = self.timeline.all().to_vec();
        events.push(Event {
            id,
            fact,
            occurred_at: ts(at),
            recorded_at: ts(now),
            recorded_by: "ian.investigator".into(),
            supersedes,
            rationale: rationale.map(str::to_owned),
            entry,
        });
        self.timeline = Timeline::new(events);
        Ok(id)
    }

    /// Adds an event recorded at the time it happened.
    fn add(&mut self, fact: Fact, at: &str) -> EventId {
        self.try_add(fact, at, at).expect("accepted")
    }

    fn clock(&self, band: Band) -> Clock {
        let tool = tool();
        let events = self.timeline.in_force();
        clock(
            &events,
            &ClockRules {
                band,
                start: ts(RECEIVED),
                timescales: tool.timescales(),
                stops: &StopEvent::ALL,
            },
        )
    }
}

fn applied(warrant: u32) -> Fact {
    Fact::WarrantApplied {
        warrant,
        warrant_type: "pace_s8".into(),
        court: "Severn Magistrates' Court".into(),
        remote: true,
    }
}

fn message(refusal: &Refusal) -> String {
    refusal.message(&|t: Timestamp| t.to_string())
}

#[test]
fn a_warrant_runs_from_application_to_execution_and_stops_the_clock_in_time() {
    let mut case = Case::new();
    case.add(applied(1), "2026-03-21T10:00:00Z");
    case.add(Fact::WarrantGranted { warrant: 1 }, "2026-03-21T15:00:00Z");
    case.add(Fact::WarrantExecuted { warrant: 1 }, "2026-03-23T06:00:00Z");
    let clock = case.clock(Band::High);
    assert_eq!(
        clock.state,
        ClockState::Stopped {
            at: ts("2026-03-23T06:00:00Z"),
            by: EventKind::WarrantExecuted,
            due: ts("2026-03-27T09:00:00Z"),
            in_time: true,
        }
    );
    assert_eq!(case.timeline.next_warrant(), 2);
}

#[test]
fn execution_before_the_grant_is_refused_naming_the_conflict() {
    let mut case = Case::new();
    case.add(applied(1), "2026-03-21T10:00:00Z");
    let refusal = case
        .try_add(
            Fact::WarrantExecuted { warrant: 1 },
            "2026-03-21T12:00:00Z",
            "2026-03-21T12:00:00Z",
        )
        .unwrap_err();
    assert_eq!(
        refusal,
        Refusal::Needs {
            kind: EventKind::WarrantExecuted,
            at: ts("2026-03-21T12:00:00Z"),
            needs: "the grant of this warrant",
        }
    );
    assert!(
        message(&refusal).starts_with("Warrant executed at 2026-03-21T12:00:00Z needs the grant")
    );
    // A grant dated after the execution it should precede does not make the execution acceptable.
    case.add(Fact::WarrantGranted { warrant: 1 }, "2026-03-21T15:00:00Z");
    assert!(
        case.try_add(
            Fact::WarrantExecuted { warrant: 1 },
            "2026-03-21T14:00:00Z",
            "2026-03-21T16:00:00Z"
        )
        .is_err()
    );
}

#[test]
fn a_grant_or_refusal_needs_its_application_and_comes_once() {
    let mut case = Case::new();
    assert!(matches!(
        case.try_add(
            Fact::WarrantGranted { warrant: 1 },
            "2026-03-21T10:00:00Z",
            "2026-03-21T10:00:00Z"
        ),
        Err(Refusal::Needs { .. })
    ));
    case.add(applied(1), "2026-03-21T10:00:00Z");
    case.add(
        Fact::WarrantRefused {
            warrant: 1,
            reason: "Grounds not made out".into(),
        },
        "2026-03-21T11:00:00Z",
    );
    assert!(matches!(
        case.try_add(
            Fact::WarrantGranted { warrant: 1 },
            "2026-03-21T12:00:00Z",
            "2026-03-21T12:00:00Z"
        ),
        Err(Refusal::Already { .. })
    ));
    assert!(matches!(
        case.try_add(applied(1), "2026-03-21T12:00:00Z", "2026-03-21T12:00:00Z"),
        Err(Refusal::Already { .. })
    ));
    let refused_reason = case.try_add(
        Fact::WarrantRefused {
            warrant: 2,
            reason: " ".into(),
        },
        "2026-03-21T12:00:00Z",
        "2026-03-21T12:00:00Z",
    );
    assert_eq!(refused_reason, Err(Refusal::Missing("reason")));
}

#[test]
fn an_outcome_before_a_charging_decision_is_refused() {
    let mut case = Case::new();
    let refusal = case
        .try_add(
            Fact::Outcome { code: 1 },
            "2026-04-01T10:00:00Z",
            "2026-04-01T10:00:00Z",
        )
        .unwrap_err();
    assert!(message(&refusal).contains("needs a charging decision"));
    case.add(Fact::Arrest, "2026-03-22T07:00:00Z");
    case.add(
        Fact::ChargingDecision {
            decision: ChargeDecision::Charged,
        },
        "2026-03-25T10:00:00Z",
    );
    case.add(Fact::Outcome { code: 1 }, "2026-04-01T10:00:00Z");
}

#[test]
fn an_arrest_before_the_referral_arrived_is_refused() {
    let mut case = Case::new();
    let refusal = case
        .try_add(Fact::Arrest, "2026-03-20T08:00:00Z", "2026-03-20T10:00:00Z")
        .unwrap_err();
    assert_eq!(
        refusal,
        Refusal::BeforeReferral {
            kind: EventKind::Arrest,
            at: ts("2026-03-20T08:00:00Z"),
            received: ts(RECEIVED),
        }
    );
}

#[test]
fn interviews_bail_and_charging_need_an_arrest_or_attendance() {
    for fact in [
        Fact::Interview,
        Fact::ReleasedUnderInvestigation,
        Fact::Bail {
            conditions: "Not to contact children".into(),
            until: jiff::civil::date(2026, 6, 1),
        },
        Fact::ChargingDecision {
            decision: ChargeDecision::NoFurtherAction,
        },
    ] {
        let mut case = Case::new();
        assert!(
            matches!(
                case.try_add(fact.clone(), "2026-03-22T10:00:00Z", "2026-03-22T10:00:00Z"),
                Err(Refusal::Needs { .. })
            ),
            "{fact:?}"
        );
        case.add(Fact::VoluntaryAttendance, "2026-03-22T09:00:00Z");
        case.add(fact, "2026-03-22T10:00:00Z");
    }
}

#[test]
fn device_stages_need_a_seizure_and_comms_data_a_request() {
    let mut case = Case::new();
    for fact in [
        Fact::DevicesTriaged { count: 2 },
        Fact::DevicesSubmitted { count: 2 },
        Fact::DevicesExamined { count: 2 },
    ] {
        assert!(
            case.try_add(fact, "2026-03-22T10:00:00Z", "2026-03-22T10:00:00Z")
                .is_err()
        );
    }
    let returned = Fact::CommsDataReturned {
        what: "Subscriber details".into(),
    };
    assert!(
        case.try_add(
            returned.clone(),
            "2026-03-22T10:00:00Z",
            "2026-03-22T10:00:00Z"
        )
        .is_err()
    );
    case.add(
        Fact::CommsDataRequested {
            what: "Subscriber details".into(),
        },
        "2026-03-21T10:00:00Z",
    );
    case.add(returned, "2026-03-22T10:00:00Z");
    assert!(
        case.try_add(
            Fact::NcaAcknowledged,
            "2026-03-22T11:00:00Z",
            "2026-03-22T11:00:00Z"
        )
        .is_err()
    );
}

#[test]
fn events_in_the_future_are_refused() {
    let mut case = Case::new();
    assert_eq!(
        case.try_add(Fact::Arrest, "2026-03-22T10:10:00Z", "2026-03-22T10:00:00Z"),
        Err(Refusal::InFuture(ts("2026-03-22T10:10:00Z")))
    );
    // A few minutes' drift between clocks is allowed.
    case.try_add(Fact::Arrest, "2026-03-22T10:03:00Z", "2026-03-22T10:00:00Z")
        .expect("within the skew");
}

#[test]
fn a_late_entry_must_say_why_and_is_marked_late() {
    let mut case = Case::new();
    assert_eq!(
        case.try_add(Fact::Arrest, "2026-03-22T10:00:00Z", "2026-03-24T10:00:00Z"),
        Err(Refusal::NeedsRationale { correction: false })
    );
    let id = case
        .try_add_with(
            Fact::Arrest,
            "2026-03-22T10:00:00Z",
            "2026-03-24T10:00:00Z",
            None,
            Some("Officer was on leave and recorded it on return"),
        )
        .expect("late entry with a reason");
    let event = case.timeline.all().iter().find(|e| e.id == id).unwrap();
    assert_eq!(event.entry, Entry::Late);
}

#[test]
fn a_correction_supersedes_the_earlier_entry_and_the_history_keeps_both() {
    let mut case = Case::new();
    let wrong = case.add(Fact::Arrest, "2026-03-22T10:00:00Z");
    // The arrest was really three days later, after the 7-day deadline would have run (it did not).
    assert_eq!(
        case.try_add_with(
            Fact::Arrest,
            "2026-03-25T10:00:00Z",
            "2026-03-25T12:00:00Z",
            Some(wrong),
            None
        ),
        Err(Refusal::NeedsRationale { correction: true })
    );
    assert!(matches!(
        case.try_add_with(
            Fact::Interview,
            "2026-03-25T10:00:00Z",
            "2026-03-25T12:00:00Z",
            Some(wrong),
            Some("wrong kind")
        ),
        Err(Refusal::CorrectionKind { .. })
    ));
    case.try_add_with(
        Fact::Arrest,
        "2026-03-25T10:00:00Z",
        "2026-03-25T12:00:00Z",
        Some(wrong),
        Some("Date typed wrongly; custody record says 25 March"),
    )
    .expect("correction");
    assert_eq!(case.timeline.all().len(), 2);
    let in_force = case.timeline.in_force();
    assert_eq!(in_force.len(), 1);
    assert_eq!(in_force[0].occurred_at, ts("2026-03-25T10:00:00Z"));
    // As known before the correction, the first entry stood.
    let before = case
        .timeline
        .in_force_as_known_at(ts("2026-03-25T11:00:00Z"));
    assert_eq!(before[0].occurred_at, ts("2026-03-22T10:00:00Z"));
    // The superseded entry cannot be corrected again.
    assert_eq!(
        case.try_add_with(
            Fact::Withdrawn,
            "2026-03-25T12:00:00Z",
            "2026-03-25T13:00:00Z",
            Some(wrong),
            Some("again")
        ),
        Err(Refusal::NotCorrectable(wrong))
    );
}

#[test]
fn a_correction_may_enter_what_the_order_rules_would_refuse() {
    let mut case = Case::new();
    let arrest = case.add(Fact::Arrest, "2026-03-22T10:00:00Z");
    // An arrest the day before the referral arrived (the suspect was arrested on other matters).
    case.try_add_with(
        Fact::Arrest,
        "2026-03-19T10:00:00Z",
        "2026-03-22T12:00:00Z",
        Some(arrest),
        Some("Already in custody on another matter; custody record 19 March"),
    )
    .expect("a correction bypasses the order rules");
}

#[test]
fn an_event_the_order_rules_refuse_may_be_entered_as_a_correction_with_a_rationale() {
    let case = Case::new();
    let mut new = NewEvent {
        fact: Fact::WarrantExecuted { warrant: 1 },
        occurred_at: ts("2026-03-21T10:00:00Z"),
        supersedes: None,
        rationale: None,
        correction: true,
    };
    assert_eq!(
        case.timeline
            .check(&new, ts(RECEIVED), ts("2026-03-21T10:00:00Z")),
        Err(Refusal::NeedsRationale { correction: true })
    );
    new.rationale =
        Some("Warrant granted on paper at court; the grant is recorded by the court".into());
    assert_eq!(
        case.timeline
            .check(&new, ts(RECEIVED), ts("2026-03-21T10:00:00Z")),
        Ok(Entry::Correction)
    );
    // A withdrawal must name what it withdraws, correction or not.
    new.fact = Fact::Withdrawn;
    assert_eq!(
        case.timeline
            .check(&new, ts(RECEIVED), ts("2026-03-21T10:00:00Z")),
        Err(Refusal::Missing("entry to withdraw"))
    );
}

#[test]
fn a_withdrawn_entry_leaves_the_events_in_force() {
    let mut case = Case::new();
    let arrest = case.add(Fact::Arrest, "2026-03-22T10:00:00Z");
    assert_eq!(
        case.try_add(
            Fact::Withdrawn,
            "2026-03-22T11:00:00Z",
            "2026-03-22T11:00:00Z"
        ),
        Err(Refusal::Missing("entry to withdraw"))
    );
    case.try_add_with(
        Fact::Withdrawn,
        "2026-03-22T11:00:00Z",
        "2026-03-22T11:00:00Z",
        Some(arrest),
        Some("Entered on the wrong case"),
    )
    .unwrap();
    assert!(case.timeline.in_force().is_empty());
    assert!(matches!(
        case.clock(Band::High).state,
        ClockState::Running { .. }
    ));
}

#[test]
fn the_clock_runs_the_bands_timescale_in_whole_days_across_the_clock_change() {
    // The UK's clocks went forward on 29 March 2026: the deadline is still 7 × 24 hours later.
    let case = Case::new();
    assert_eq!(
        case.clock(Band::High).state,
        ClockState::Running {
            due: ts("2026-03-27T09:00:00Z")
        }
    );
    assert_eq!(
        case.clock(Band::VeryHigh).due(),
        Some(ts("2026-03-21T09:00:00Z"))
    );
    assert_eq!(
        case.clock(Band::Medium).due(),
        Some(ts("2026-04-03T09:00:00Z"))
    );
    assert_eq!(
        case.clock(Band::Low).due(),
        Some(ts("2026-04-19T09:00:00Z"))
    );
}

#[test]
fn a_pause_moves_the_deadline_by_its_length_and_needs_a_reason() {
    let mut case = Case::new();
    assert_eq!(
        case.try_add(
            Fact::ClockPaused { reason: "".into() },
            "2026-03-21T09:00:00Z",
            "2026-03-21T09:00:00Z"
        ),
        Err(Refusal::Missing("reason"))
    );
    assert!(
        case.try_add(
            Fact::ClockResumed,
            "2026-03-21T09:00:00Z",
            "2026-03-21T09:00:00Z"
        )
        .is_err()
    );
    case.add(
        Fact::ClockPaused {
            reason: "Awaiting the NCA's supplementary package".into(),
        },
        "2026-03-21T09:00:00Z",
    );
    let paused = case.clock(Band::High);
    assert_eq!(
        paused.state,
        ClockState::Paused {
            since: ts("2026-03-21T09:00:00Z"),
            reason: "Awaiting the NCA's supplementary package".into(),
            left: SignedDuration::from_hours(6 * 24),
        }
    );
    assert_eq!(
        paused.urgency(tool().timescales(), ts("2026-04-30T00:00:00Z")),
        Urgency::OnTrack
    );
    assert!(
        case.try_add(
            Fact::ClockPaused {
                reason: "again".into()
            },
            "2026-03-22T09:00:00Z",
            "2026-03-22T09:00:00Z"
        )
        .is_err()
    );
    // Paused for 3 days and 2 hours, across the clock change.
    case.add(Fact::ClockResumed, "2026-03-24T11:00:00Z");
    assert_eq!(
        case.clock(Band::High).due(),
        Some(ts("2026-03-30T11:00:00Z"))
    );
}

#[test]
fn rebanding_restarts_the_clock_with_the_new_bands_timescale() {
    let mut case = Case::new();
    case.add(
        Fact::ClockPaused {
            reason: "Awaiting research".into(),
        },
        "2026-03-21T09:00:00Z",
    );
    case.add(Fact::ClockResumed, "2026-03-22T09:00:00Z");
    assert_eq!(
        case.try_add(
            Fact::Rebanded {
                band: Band::VeryHigh
            },
            "2026-03-23T12:00:00Z",
            "2026-03-23T12:00:00Z"
        ),
        Err(Refusal::Missing("rationale for the change of band"))
    );
    case.try_add_with(
        Fact::Rebanded {
            band: Band::VeryHigh,
        },
        "2026-03-23T12:00:00Z",
        "2026-03-23T12:00:00Z",
        None,
        Some("New intelligence: the suspect has access to a child"),
    )
    .unwrap();
    let clock = case.clock(Band::Medium);
    assert_eq!(clock.band, Band::VeryHigh);
    assert_eq!(clock.started, ts("2026-03-23T12:00:00Z"));
    // The earlier pause belonged to the earlier run.
    assert_eq!(clock.due(), Some(ts("2026-03-24T12:00:00Z")));
}

#[test]
fn the_first_enforcement_action_stops_the_clock_and_says_whether_in_time() {
    let mut case = Case::new();
    case.add(Fact::Arrest, "2026-03-28T09:00:00Z");
    case.add(Fact::Interview, "2026-03-28T12:00:00Z");
    assert_eq!(
        case.clock(Band::High).state,
        ClockState::Stopped {
            at: ts("2026-03-28T09:00:00Z"),
            by: EventKind::Arrest,
            due: ts("2026-03-27T09:00:00Z"),
            in_time: false,
        }
    );
    assert!(
        case.try_add(
            Fact::ClockPaused {
                reason: "late".into()
            },
            "2026-03-28T13:00:00Z",
            "2026-03-28T13:00:00Z"
        )
        .is_err()
    );
}

#[test]
fn only_the_stop_events_the_tool_names_stop_the_clock() {
    let mut case = Case::new();
    case.add(Fact::VoluntaryAttendance, "2026-03-22T09:00:00Z");
    let tool = tool();
    let events = case.timeline.in_force();
    let running = clock(
        &events,
        &ClockRules {
            band: Band::High,
            start: ts(RECEIVED),
            timescales: tool.timescales(),
            stops: &[StopEvent::Arrest, StopEvent::WarrantExecuted],
        },
    );
    assert!(matches!(running.state, ClockState::Running { .. }));
}

#[test]
fn a_return_to_the_nca_stops_the_clock_with_that_reason() {
    let mut case = Case::new();
    case.add(
        Fact::ReturnedToNca {
            reason: "Suspect is overseas: needs the NCA's international reach".into(),
        },
        "2026-03-22T09:00:00Z",
    );
    case.add(Fact::NcaAcknowledged, "2026-03-22T15:00:00Z");
    assert!(matches!(
        case.clock(Band::High).state,
        ClockState::Stopped {
            by: EventKind::ReturnedToNca,
            in_time: true,
            ..
        }
    ));
}

#[test]
fn urgency_is_a_fifth_of_the_timescale() {
    let case = Case::new();
    let clock = case.clock(Band::High);
    let timescales = *tool().timescales();
    // Due 2026-03-27 09:00; a fifth of 7 days is 33 h 36 min.
    assert_eq!(
        clock.urgency(&timescales, ts("2026-03-25T23:00:00Z")),
        Urgency::OnTrack
    );
    assert_eq!(
        clock.urgency(&timescales, ts("2026-03-25T23:24:00Z")),
        Urgency::DueSoon
    );
    assert_eq!(
        clock.urgency(&timescales, ts("2026-03-27T09:00:00Z")),
        Urgency::DueSoon
    );
    assert_eq!(
        clock.urgency(&timescales, ts("2026-03-27T09:00:01Z")),
        Urgency::Overdue
    );
}

#[test]
fn a_closed_case_takes_only_notes_and_closing_names_open_work() {
    let mut case = Case::new();
    case.add(applied(1), "2026-03-21T10:00:00Z");
    case.add(
        Fact::DevicesSeized {
            count: 3,
            description: "Laptop, two phones".into(),
        },
        "2026-03-21T11:00:00Z",
    );
    assert_eq!(
        case.timeline.open_work(),
        vec![
            "a warrant application has no decision",
            "seized devices have not been examined"
        ]
    );
    let closing = Fact::Closed {
        reason: "Transferred to another force".into(),
    };
    let refused = case
        .try_add(
            closing.clone(),
            "2026-03-22T10:00:00Z",
            "2026-03-22T10:00:00Z",
        )
        .unwrap_err();
    assert!(
        message(&refused).starts_with(
            "Closing would leave open work: a warrant application has no decision; seized devices"
        ),
        "{}",
        message(&refused)
    );
    case.try_add_with(
        closing,
        "2026-03-22T10:00:00Z",
        "2026-03-22T10:00:00Z",
        None,
        Some("The receiving force takes the warrant and the devices"),
    )
    .expect("closing with a rationale");
    assert_eq!(
        case.try_add(Fact::Arrest, "2026-03-22T11:00:00Z", "2026-03-22T11:00:00Z"),
        Err(Refusal::Closed)
    );
    case.add(
        Fact::Note {
            text: "Receiving force acknowledged".into(),
        },
        "2026-03-22T12:00:00Z",
    );
}

#[test]
fn free_text_and_codes_are_checked() {
    let mut case = Case::new();
    assert_eq!(
        case.try_add(
            Fact::Outcome { code: 19 },
            "2026-03-22T10:00:00Z",
            "2026-03-22T10:00:00Z"
        ),
        Err(Refusal::UnknownOutcome(19))
    );
    let long = "x".repeat(4_001);
    assert!(matches!(
        case.try_add(
            Fact::Note { text: long },
            "2026-03-22T10:00:00Z",
            "2026-03-22T10:00:00Z"
        ),
        Err(Refusal::Text(_))
    ));
    let court = Fact::WarrantApplied {
        warrant: 1,
        warrant_type: "pace_s8".into(),
        court: "Court\nforged line".into(),
        remote: false,
    };
    assert!(matches!(
        case.try_add(court, "2026-03-22T10:00:00Z", "2026-03-22T10:00:00Z"),
        Err(Refusal::Text(_))
    ));
    let no_override_reason = Fact::Allocated {
        officer: StaffId(4),
        supervisor: Some(StaffId(5)),
        policy: "illustrative@1".into(),
        met_policy: false,
        missing: vec!["pip2".into()],
        override_rationale: None,
    };
    assert_eq!(
        case.try_add(
            no_override_reason,
            "2026-03-22T10:00:00Z",
            "2026-03-22T10:00:00Z"
        ),
        Err(Refusal::Missing("override rationale"))
    );
}

#[test]
fn stages_measure_each_step_from_its_first_event() {
    let mut case = Case::new();
    case.add(
        Fact::RiskAssessed { band: Band::High },
        "2026-03-20T12:00:00Z",
    );
    case.add(applied(1), "2026-03-21T10:00:00Z");
    case.add(Fact::WarrantGranted { warrant: 1 }, "2026-03-21T15:00:00Z");
    case.add(Fact::WarrantExecuted { warrant: 1 }, "2026-03-23T06:00:00Z");
    let events = case.timeline.in_force();
    let stages = stages(&events, ts(RECEIVED));
    let seconds = |name: &str| stages.iter().find(|s| s.stage == name).unwrap().seconds;
    assert_eq!(seconds("received_to_assessed"), Some(3 * 3600));
    assert_eq!(seconds("assessed_to_allocated"), None);
    assert_eq!(seconds("warrant_applied_to_granted"), Some(5 * 3600));
    assert_eq!(seconds("received_to_enforcement"), Some(69 * 3600));
    assert_eq!(seconds("charging_to_outcome"), None);
}

#[test]
fn facts_round_trip_through_their_stored_form() {
    let fact = Fact::ImagesGraded {
        method: GradingMethod::Caid,
        counts: vec![GradingCount {
            category: ImageCategory::A,
            activity: ImageActivity::Possession,
            medium: ImageMedium::Moving,
            count: 12,
        }],
    };
    let json = serde_json::to_string(&fact).unwrap();
    assert!(json.starts_with(r#"{"kind":"images_graded""#), "{json}");
    assert_eq!(serde_json::from_str::<Fact>(&json).unwrap(), fact);
    for kind in EventKind::ALL {
        assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
    }
}

fn task(task: u32, text: &str) -> Fact {
    Fact::TaskSet {
        task,
        text: text.into(),
        due: jiff::civil::date(2026, 3, 27),
    }
}

#[test]
fn a_task_is_open_work_until_done_and_is_done_once() {
    let mut case = Case::new();
    assert_eq!(case.timeline.next_task(), 1);
    case.add(
        task(1, "Request subscriber details"),
        "2026-03-20T10:00:00Z",
    );
    case.add(task(2, "Check the household"), "2026-03-20T10:05:00Z");
    assert_eq!(case.timeline.next_task(), 3);
    let open: Vec<u32> = case.timeline.open_tasks().iter().map(|t| t.0).collect();
    assert_eq!(open, [1, 2]);
    assert!(
        case.timeline
            .open_work()
            .contains(&"a task set on the case is not done")
    );
    case.add(Fact::TaskDone { task: 1 }, "2026-03-21T09:00:00Z");
    assert_eq!(case.timeline.open_tasks()[0].1, "Check the household");
    let again = case
        .try_add(
            Fact::TaskDone { task: 1 },
            "2026-03-21T10:00:00Z",
            "2026-03-21T10:00:00Z",
        )
        .unwrap_err();
    assert!(
        message(&again).contains("done already"),
        "{}",
        message(&again)
    );
    let unknown = case
        .try_add(
            Fact::TaskDone { task: 9 },
            "2026-03-21T10:00:00Z",
            "2026-03-21T10:00:00Z",
        )
        .unwrap_err();
    assert!(
        message(&unknown).contains("task to have been set"),
        "{}",
        message(&unknown)
    );
    let twice = case
        .try_add(
            task(2, "Again"),
            "2026-03-21T10:00:00Z",
            "2026-03-21T10:00:00Z",
        )
        .unwrap_err();
    assert!(message(&twice).contains("already"), "{}", message(&twice));
    let empty = case
        .try_add(task(3, " "), "2026-03-21T10:00:00Z", "2026-03-21T10:00:00Z")
        .unwrap_err();
    assert!(matches!(empty, Refusal::Missing(_)), "{empty:?}");
    case.add(Fact::TaskDone { task: 2 }, "2026-03-21T11:00:00Z");
    assert!(case.timeline.open_tasks().is_empty());
    assert!(case.timeline.open_work().is_empty());
}

mod safeguarding;
