//! The demo's casework: each force's investigators and supervisors with their training, and a year in which
//! cases flow as in a real force. Most subjects become cases allocated within the policy (some by a
//! supervisor's override), warrants are applied for and mostly granted, suspects are arrested or attend
//! voluntarily, devices are examined, charging decisions and outcomes follow, a few cases go back to the NCA;
//! the newest referrals are still in the queue. On a share of the first force's cases, children are identified
//! and safeguarded (see `demo_safeguarding`). Each step is taken through the application, on a clock set to
//! when it happened, so the audit log and every figure read as they would in a force.

use super::demo_safeguarding::CaseDates;
use super::demo_support::Directory;
use anyhow::Result;
use jiff::{SignedDuration, Timestamp};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use severn_app::App;
use severn_app::allocating::Profile;
use severn_app::gate::Why;
use severn_app::staff::StaffSpec;
use severn_domain::access::{Actor, Role, StaffKind};
use severn_domain::allocation::WorkingDays;
use severn_domain::case::{
    ChargeDecision, Fact, GradingCount, GradingMethod, ImageActivity, ImageCategory, ImageMedium,
    NewEvent,
};
use severn_domain::clock::FixedClock;
use severn_domain::ids::{CaseId, OrgId, StaffId, SubjectId};
use severn_domain::risk::Band;
use std::collections::HashMap;

/// A force's casework staff: (user name, name, role).
type Person = (&'static str, &'static str, Role);

/// The people who carry cases in each force, beyond the accounts people sign in with. Invented names.
const CASEWORKERS: [&[Person]; 3] = [
    &[
        ("sev.inv2", "Bethan Rees", Role::Investigator),
        ("sev.inv3", "Owen Price", Role::Investigator),
        ("sev.inv4", "Nia Jenkins", Role::Investigator),
    ],
    &[
        ("wrk.sup", "Gareth Lewis", Role::Supervisor),
        ("wrk.inv2", "Carys Powell", Role::Investigator),
        ("wrk.inv3", "Rhys Edwards", Role::Investigator),
    ],
    &[
        ("tem.sup", "Ffion Davies", Role::Supervisor),
        ("tem.inv1", "Iwan Hughes", Role::Investigator),
        ("tem.inv2", "Megan Thomas", Role::Investigator),
        ("tem.inv3", "Tomos Evans", Role::Investigator),
    ],
];

/// The training each caseworker holds, as the force's CSV: most hold everything, one lacks the specialist
/// programme and one let PIP level 2 lapse, so some allocations need an override.
fn training_csv(usernames: &[&str], today: jiff::civil::Date) -> String {
    let mut csv = String::from("username,skill,achieved_on,expires_on,evidence\n");
    let years_ago = |years: i16| {
        today
            .checked_sub(jiff::Span::new().years(years))
            .unwrap_or(today)
    };
    for (n, username) in usernames.iter().enumerate() {
        let mut skills = vec!["pip1", "pip2", "scaidp", "image_grading", "device_triage"];
        if n % 4 == 2 {
            skills.retain(|s| *s != "scaidp");
        }
        for (k, skill) in skills.iter().enumerate() {
            let months_ago = |months: i64| {
                today
                    .checked_sub(jiff::Span::new().months(months))
                    .unwrap_or(today)
            };
            // Held all year: image grading and device triage lapse after twelve months, so they were taken
            // 14 months ago and again 4 months ago; the lapsed PIP level 2 was due again a year ago.
            let records: Vec<(jiff::civil::Date, String)> = if n % 4 == 3 && *skill == "pip2" {
                vec![(years_ago(3), years_ago(1).to_string())]
            } else if matches!(*skill, "image_grading" | "device_triage") {
                vec![
                    (months_ago(14), String::new()),
                    (months_ago(4), String::new()),
                ]
            } else {
                vec![(years_ago(2), String::new())]
            };
            for (r, (achieved, expires)) in records.into_iter().enumerate() {
                csv.push_str(&format!(
                    "{username},{skill},{achieved},{expires},Course record DEMO-{n}{k}{r}\n"
                ));
            }
        }
    }
    csv
}

/// Mixed into the seed for the safeguarding facts, so that the casework's own draws stay as they were.
const SAFEGUARDING_SEED: u64 = 0x5afe_9a4d;

/// A case's steps, each at the time it happened.
type Steps = Vec<(Timestamp, Step)>;

/// One step of a case, at the time it happened.
enum Step {
    Open,
    Allocate,
    Record(Fact),
}

struct Planned {
    at: Timestamp,
    subject: SubjectId,
    force: OrgId,
    step: Step,
}

/// A force's staff as the demo acts: its supervisor and the investigators' ids.
struct Force {
    supervisor: Actor,
    officers: HashMap<StaffId, Actor>,
}

fn hours(h: f64) -> SignedDuration {
    SignedDuration::from_secs((h * 3600.0) as i64)
}

/// The steps of one subject's case, from its clock start and the band's timescale.
fn plan(rng: &mut ChaCha8Rng, start: Timestamp, timescale_hours: f64) -> Vec<(Timestamp, Step)> {
    let at = |base: Timestamp, h: f64| base.checked_add(hours(h)).unwrap_or(base);
    let quick = (timescale_hours * 0.1).max(0.5);
    let opened = at(start, rng.random_range(0.2..quick.min(12.0)));
    let allocated = at(opened, rng.random_range(0.1..quick.min(24.0)));
    let mut steps = vec![(opened, Step::Open), (allocated, Step::Allocate)];
    let research = at(allocated, 0.5);
    steps.push((research, Step::Record(Fact::ResearchStarted)));
    let path: f64 = rng.random();
    if path < 0.06 {
        let returned = at(allocated, rng.random_range(2.0..24.0));
        steps.push((
            returned,
            Step::Record(Fact::ReturnedToNca {
                reason: "The suspect appears to live overseas: needs the NCA's international reach"
                    .into(),
            }),
        ));
        steps.push((at(returned, 6.0), Step::Record(Fact::NcaAcknowledged)));
        steps.push((
            at(returned, 30.0),
            Step::Record(Fact::Closed {
                reason: "Returned to the NCA and acknowledged".into(),
            }),
        ));
        return in_order(steps);
    }
    // Communications data is asked for only when the force takes the case on.
    let what = "Subscriber and IP log-in records for the reported accounts".to_owned();
    let asked = at(research, 0.5);
    steps.push((
        asked,
        Step::Record(Fact::CommsDataRequested { what: what.clone() }),
    ));
    steps.push((
        at(asked, rng.random_range(2.0..timescale_hours.max(4.0) * 0.4)),
        Step::Record(Fact::CommsDataReturned { what }),
    ));
    // When enforcement action happens: mostly within the timescale, about one case in five late.
    let fraction = if rng.random_bool(0.2) {
        rng.random_range(1.05..3.0)
    } else {
        rng.random_range(0.3..0.97)
    };
    let action = at(start, timescale_hours * fraction).max(at(allocated, 2.0));
    let span = action.duration_since(allocated).as_secs_f64() / 3600.0;
    let applied = at(allocated, span * rng.random_range(0.2..0.5));
    steps.push((
        applied,
        Step::Record(Fact::WarrantApplied {
            warrant: 1,
            warrant_type: if rng.random_bool(0.6) {
                "pca1978_s4"
            } else {
                "pace_s8"
            }
            .into(),
            court: "Severnshire Magistrates' Court".into(),
            remote: rng.random_bool(0.7),
        }),
    ));
    let decided = at(applied, span * rng.random_range(0.1..0.4));
    // The arrest or attendance, and when any devices seized were examined (a charging decision waits for it).
    let (arrested, examined) = if rng.random_bool(0.1) {
        steps.push((
            decided,
            Step::Record(Fact::WarrantRefused {
                warrant: 1,
                reason: "The information was judged too old to show the material is there now"
                    .into(),
            }),
        ));
        steps.push((action, Step::Record(Fact::VoluntaryAttendance)));
        (action, action)
    } else {
        steps.push((decided, Step::Record(Fact::WarrantGranted { warrant: 1 })));
        steps.push((action, Step::Record(Fact::WarrantExecuted { warrant: 1 })));
        let arrest = at(action, 0.2);
        steps.push((arrest, Step::Record(Fact::Arrest)));
        let devices = rng.random_range(1..6);
        steps.push((
            at(action, 0.5),
            Step::Record(Fact::DevicesSeized {
                count: devices,
                description: "Phones, a laptop and storage media".into(),
            }),
        ));
        let triaged = at(action, rng.random_range(24.0..96.0));
        steps.push((
            triaged,
            Step::Record(Fact::DevicesTriaged { count: devices }),
        ));
        let submitted = at(triaged, rng.random_range(48.0..240.0));
        steps.push((
            submitted,
            Step::Record(Fact::DevicesSubmitted { count: devices }),
        ));
        let examined = at(submitted, rng.random_range(30.0 * 24.0..120.0 * 24.0));
        steps.push((
            examined,
            Step::Record(Fact::DevicesExamined { count: devices }),
        ));
        steps.push((
            at(examined, 2.0),
            Step::Record(Fact::ImagesGraded {
                method: GradingMethod::Caid,
                counts: vec![
                    GradingCount {
                        category: ImageCategory::A,
                        activity: ImageActivity::Possession,
                        medium: ImageMedium::Still,
                        count: rng.random_range(0..40),
                    },
                    GradingCount {
                        category: ImageCategory::C,
                        activity: ImageActivity::Possession,
                        medium: ImageMedium::Moving,
                        count: rng.random_range(1..200),
                    },
                ],
            }),
        ));
        (arrest, examined)
    };
    let interview = at(arrested, rng.random_range(2.0..10.0));
    steps.push((interview, Step::Record(Fact::Interview)));
    steps.push((
        at(interview, 1.0),
        Step::Record(Fact::ReleasedUnderInvestigation),
    ));
    let decision_at =
        at(interview, rng.random_range(60.0 * 24.0..200.0 * 24.0)).max(at(examined, 24.0));
    let roll: f64 = rng.random();
    let (decision, code) = if roll < 0.75 {
        (ChargeDecision::Charged, 1)
    } else if roll < 0.85 {
        (ChargeDecision::Cautioned, 3)
    } else {
        (ChargeDecision::NoFurtherAction, 15)
    };
    steps.push((
        decision_at,
        Step::Record(Fact::ChargingDecision { decision }),
    ));
    let outcome = at(decision_at, rng.random_range(14.0 * 24.0..90.0 * 24.0));
    steps.push((outcome, Step::Record(Fact::Outcome { code })));
    steps.push((
        at(outcome, 24.0),
        Step::Record(Fact::Closed {
            reason: "Outcome recorded; nothing left to do".into(),
        }),
    ));
    in_order(steps)
}

/// The steps in time order, up to the case's closing: nothing is done on a closed case.
fn in_order(mut steps: Vec<(Timestamp, Step)>) -> Vec<(Timestamp, Step)> {
    steps.sort_by_key(|(at, _)| *at);
    if let Some(closing) = steps
        .iter()
        .position(|(_, step)| matches!(step, Step::Record(Fact::Closed { .. })))
    {
        steps.truncate(closing + 1);
    }
    steps
}

/// Adds each force's caseworkers with their training and workload, then replays a year of casework up to
/// `now`. Returns how many cases were opened.
pub async fn casework(
    app: &App,
    clock: &FixedClock,
    operator: &Actor,
    forces: &[(OrgId, Vec<StaffId>)],
    directory: &Directory,
    seed: u64,
    now: Timestamp,
) -> Result<usize> {
    let today = severn_app::time::london_date(now);
    let mut staff: HashMap<OrgId, Force> = HashMap::new();
    for ((org, existing), people) in forces.iter().zip(CASEWORKERS) {
        let mut ids = existing.clone();
        for (username, name, role) in people {
            let id = app
                .create_staff(
                    operator,
                    &StaffSpec {
                        org: *org,
                        team: None,
                        username: (*username).to_owned(),
                        display_name: (*name).to_owned(),
                        kind: StaffKind::Person,
                        roles: vec![*role],
                    },
                )
                .await?;
            ids.push(id);
        }
        let mut supervisor = None;
        let mut officers = HashMap::new();
        let mut usernames = Vec::new();
        for id in ids {
            let Some(row) = app.staff_by_id(id).await? else {
                continue;
            };
            let post = if row.roles.contains(&Role::Supervisor) {
                supervisor = Some(row.actor());
                "supervisor"
            } else {
                officers.insert(id, row.actor());
                "investigator"
            };
            usernames.push(row.username.clone());
            app.set_profile(
                operator,
                id,
                &Profile {
                    post: post.to_owned(),
                    capacity: if post == "supervisor" { 0 } else { 40 },
                    working_days: WorkingDays::MONDAY_TO_FRIDAY,
                    email: Some(format!("{}@severnshire-police.example", row.username)),
                },
            )
            .await?;
        }
        let names: Vec<&str> = usernames.iter().map(String::as_str).collect();
        app.import_training(operator, Some(*org), &training_csv(&names, today))
            .await?;
        app.require_for_post(
            operator,
            Some(*org),
            "investigator",
            &["pip1".into(), "pip2".into(), "scaidp".into()],
        )
        .await?;
        if let Some(supervisor) = supervisor {
            staff.insert(
                *org,
                Force {
                    supervisor,
                    officers,
                },
            );
        }
    }

    let tool = app.active_tool().await?;
    let mut plans: Vec<(SubjectId, OrgId, Steps)> = Vec::new();
    for (force, people) in &staff {
        for entry in app.queue(&people.supervisor, i64::MAX).await? {
            let band = Band::parse(&entry.band).unwrap_or(Band::Low);
            let timescale = f64::from(tool.timescales().days(band)) * 24.0;
            let start = entry.due_at.checked_sub(hours(timescale))?;
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ entry.subject.0 as u64);
            plans.push((entry.subject, *force, plan(&mut rng, start, timescale)));
        }
    }
    plans.sort_by_key(|(subject, ..)| *subject);
    // Safeguarding on the first force's cases, in the same replay.
    let first_force = forces.first().map(|(org, _)| *org);
    let dates: Vec<CaseDates> = plans
        .iter()
        .filter(|(_, force, _)| Some(*force) == first_force)
        .filter_map(|(subject, _, steps)| {
            let when = |wanted: fn(&Step) -> bool| {
                steps.iter().find(|(_, s)| wanted(s)).map(|(at, _)| *at)
            };
            Some(CaseDates {
                subject: *subject,
                allocated: when(|s| matches!(s, Step::Allocate))?,
                closed: when(|s| matches!(s, Step::Record(Fact::Closed { .. }))),
            })
        })
        .collect();
    let mut safeguarding_rng = ChaCha8Rng::seed_from_u64(seed ^ SAFEGUARDING_SEED);
    let mut safeguarding: HashMap<SubjectId, Steps> = HashMap::new();
    for (subject, at, fact) in
        super::demo_safeguarding::plan(&mut safeguarding_rng, &dates, directory, now)
    {
        safeguarding
            .entry(subject)
            .or_default()
            .push((at, Step::Record(fact)));
    }
    let mut planned = Vec::new();
    for (subject, force, steps) in plans {
        let more = safeguarding.remove(&subject).unwrap_or_default();
        for (at, step) in steps.into_iter().chain(more) {
            if at <= now {
                planned.push(Planned {
                    at,
                    subject,
                    force,
                    step,
                });
            }
        }
    }
    planned.sort_by_key(|p| (p.at, p.subject));
    let mut cases: HashMap<SubjectId, CaseId> = HashMap::new();
    let mut officer_of: HashMap<SubjectId, StaffId> = HashMap::new();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for p in planned {
        clock.set(p.at);
        let force = &staff[&p.force];
        match p.step {
            Step::Open => {
                let case = app.open_case(&force.supervisor, p.subject).await?;
                cases.insert(p.subject, case);
            }
            Step::Allocate => {
                let Some(&case) = cases.get(&p.subject) else {
                    continue;
                };
                let candidates = app
                    .candidates(&force.supervisor, case, Why::default())
                    .await?;
                let meeting: Vec<StaffId> = candidates
                    .candidates
                    .iter()
                    .filter(|c| c.meets_policy && force.officers.contains_key(&c.staff))
                    .map(|c| c.staff)
                    .collect();
                let others: Vec<StaffId> = candidates
                    .candidates
                    .iter()
                    .filter(|c| !c.meets_policy && force.officers.contains_key(&c.staff))
                    .map(|c| c.staff)
                    .collect();
                let (officer, rationale) = if !meeting.is_empty()
                    && (others.is_empty() || rng.random_bool(0.92))
                {
                    (meeting[rng.random_range(0..meeting.len())], None)
                } else if !others.is_empty() {
                    (
                        others[rng.random_range(0..others.len())],
                        Some(
                            "Everyone holding the required skills is at capacity; a specialist will review the case weekly",
                        ),
                    )
                } else {
                    continue;
                };
                app.allocate(
                    &force.supervisor,
                    case,
                    (officer, None),
                    rationale,
                    Why::default(),
                )
                .await?;
                officer_of.insert(p.subject, officer);
            }
            Step::Record(fact) => {
                let Some(&case) = cases.get(&p.subject) else {
                    continue;
                };
                // The officer in charge records the case's events; the supervisor returns it to the NCA.
                let officer = officer_of
                    .get(&p.subject)
                    .and_then(|id| force.officers.get(id));
                let actor = match (&fact, officer) {
                    (Fact::ReturnedToNca { .. }, _) | (_, None) => &force.supervisor,
                    (_, Some(officer)) => officer,
                };
                app.record_event(
                    actor,
                    case,
                    NewEvent {
                        fact,
                        occurred_at: p.at,
                        supersedes: None,
                        rationale: None,
                        correction: false,
                    },
                    Why::default(),
                )
                .await?;
            }
        }
    }
    clock.set(now);
    // The notices due now, so officers and supervisors find them when they sign in.
    app.give_notices(operator, None, "").await?;
    Ok(cases.len())
}
