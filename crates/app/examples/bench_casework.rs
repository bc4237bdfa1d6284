//! Issue 13's casework figures on one database (SQLite or PostgreSQL), each beside a floor read in the same
//! sitting:
//!
//! 1. `App::candidates` for a case among STAFF people of one force (training, profiles, absences, live cases),
//!    beside `App::list_staff` and `App::case_view` — first with one case, then with CASES cases filled in;
//! 2. `App::allocation_audit`, `App::warrant_audit` and `App::safeguarding_audit` over a year of CASES cases,
//!    beside a `SELECT COUNT(*)` of `case_event`;
//! 3. `App::worklist` (all open cases), its first page and its last.
//!
//! ```text
//! cargo run --release -p severn-app --example bench_casework -- DATABASE_URL [STAFF [CASES [CALLS]]]
//! ```
//!
//! The database must be empty (a new SQLite file, or a new PostgreSQL database): staff, training and one case are
//! made through the application, then the year's cases are filled in with SQL in the form the application writes
//! (checked against the rows of real allocations, warrants and safeguarding events first). Synthetic people and cases only.
//! `SEVERN_BENCH_AFTER_FILL`, when set, is SQL run after the fill: a schema change to measure.

use anyhow::{Context, bail, ensure};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use severn_app::App;
use severn_app::allocating::Profile;
use severn_app::casework::{AuditPeriod, Worklist};
use severn_app::gate::Why;
use severn_app::ingest::Ingester;
use severn_app::safeguarding::SafeguardingAudit;
use severn_app::staff::StaffSpec;
use severn_app::time::london_date;
use severn_domain::access::{Actor, OrgKind, Role, StaffKind};
use severn_domain::allocation::WorkingDays;
use severn_domain::audit::AuditKey;
use severn_domain::case::safeguarding::{
    AgeBand, AuthorityDecision, ChildSource, Consent, ShareMethod,
};
use severn_domain::case::{Fact, NewEvent};
use severn_domain::clock::{Clock, FixedClock};
use severn_domain::ids::{CaseId, EventId, OrgId, StaffId};
use severn_ingest::{DocContext, Item, parse_document};
use severn_store::Db;
use severn_store::testing::{execute_raw, fetch_i64};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The application's clock while it is measured: the audited year ends the night before.
const NOW: &str = "2026-03-01T09:00:00Z";
const YEAR_FROM: &str = "2025-03-01T00:00:00Z";
const YEAR_TO: &str = "2026-03-01T00:00:00Z";
/// Filled rows take ids from here on, clear of those the application gives.
const SUBJECT_BASE: i64 = 10_000_000;
const CASE_BASE: i64 = 10_000_000;
const EVENT_BASE: i64 = 100_000_000;
/// Event ids per filled case: first allocation, reallocation, application, grant, withdrawal (slots 0-4); a
/// child, their referral, the authority's decision and its withdrawal, a strategy discussion, its two actions and
/// their completion (5-13).
const EVENT_SLOTS: i64 = 14;
/// Filled referrals take ids from here on; each filled case's subject has this many, so 200,000 cases hold
/// 1,000,000 referrals, the size the worklist's target is set at. Only their columns lists read are filled:
/// the document and outcome are empty JSON, which nothing measured here opens.
const REFERRAL_BASE: i64 = 10_000_000;
const REFERRALS_PER_CASE: i64 = 5;
/// What a case whose clock is not running sorts by in worklists (as the store writes it).
const NOT_DUE: i64 = 253_402_300_799;
const DAY: i64 = 86_400;
const POLICY: &str = "illustrative-allocation@1";
const OVERRIDE_RATIONALE: &str =
    "Cover during the officer on leave, reviewed daily by the supervisor";
const FILL_MISSING: &str = r#"["scaidp"]"#;
const COURT: &str = "Severnshire Magistrates Court";
const WITHDRAWAL_RATIONALE: &str = "Entered in error";
/// SQL to run after the fill, to measure a schema change beside the same figures without it.
const AFTER_FILL_VAR: &str = "SEVERN_BENCH_AFTER_FILL";
const MAX_AUDIT_RUNS: usize = 5;
const AUDIT_BUDGET: Duration = Duration::from_secs(60);
/// Every tenth member of staff is a supervisor, the rest investigators.
const SUPERVISOR_EVERY: usize = 10;
/// The second force's caseworkers: its cases are in the database but outside the audits' scope.
const OTHER_FORCE_STAFF: usize = 20;

fn operator() -> Actor {
    Actor::Operator {
        name: "bench".into(),
    }
}

fn at(text: &str) -> anyhow::Result<Timestamp> {
    text.parse().with_context(|| format!("timestamp {text}"))
}

/// Median, 99th percentile and range of a set of timings, in milliseconds.
fn summary(times: &[Duration]) -> String {
    let mut ms: Vec<f64> = times.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    let n = ms.len();
    let median = if n % 2 == 1 {
        ms[n / 2]
    } else {
        (ms[n / 2 - 1] + ms[n / 2]) / 2.0
    };
    let p99 = ms[(n * 99).div_ceil(100) - 1];
    format!(
        "median {median:.2} ms, p99 {p99:.2} ms, min {:.2}, max {:.2} ({n} calls)",
        ms[0],
        ms[n - 1]
    )
}

/// Each run's time, in milliseconds.
fn runs(times: &[Duration]) -> String {
    let ms: Vec<String> = times
        .iter()
        .map(|d| format!("{:.1}", d.as_secs_f64() * 1000.0))
        .collect();
    format!("{} ms", ms.join(", "))
}

async fn timed<T>(
    times: &mut Vec<Duration>,
    call: impl std::future::Future<Output = severn_app::Result<T>>,
) -> anyhow::Result<T> {
    let start = Instant::now();
    let value = call.await?;
    times.push(start.elapsed());
    Ok(value)
}

struct Settings {
    url: String,
    staff: usize,
    cases: i64,
    calls: usize,
}

fn settings() -> anyhow::Result<Settings> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: bench_casework DATABASE_URL [STAFF [CASES [CALLS]]]";
    let url = args.next().context(usage)?;
    let mut number = |default: usize| -> anyhow::Result<usize> {
        args.next()
            .map_or(Ok(default), |a| a.parse().with_context(|| usage.to_owned()))
    };
    let settings = Settings {
        url,
        staff: number(2_000)?,
        cases: i64::try_from(number(200_000)?)?,
        calls: number(200)?,
    };
    ensure!(
        settings.staff >= SUPERVISOR_EVERY && settings.cases >= 100 && settings.calls >= 1,
        "{usage}: at least {SUPERVISOR_EVERY} staff, 100 cases and one call"
    );
    Ok(settings)
}

/// The staff of the measured force and of the other, made through the application.
struct People {
    force: OrgId,
    other_force: OrgId,
    /// The measured force's staff, in the order made; index 0 is a supervisor.
    staff: Vec<StaffId>,
    other_staff: Vec<StaffId>,
    supervisor: Actor,
    investigator: Actor,
}

async fn make_staff(
    app: &App,
    org: OrgId,
    prefix: &str,
    count: usize,
) -> anyhow::Result<Vec<StaffId>> {
    let mut ids = Vec::with_capacity(count);
    for i in 0..count {
        let role = if i % SUPERVISOR_EVERY == 0 {
            Role::Supervisor
        } else {
            Role::Investigator
        };
        let username = format!("{prefix}.{i:04}");
        let spec = StaffSpec {
            org,
            team: None,
            display_name: format!("Officer {username}"),
            username,
            kind: StaffKind::Person,
            roles: vec![role],
        };
        ids.push(app.create_staff(&operator(), &spec).await?);
    }
    // The fill names staff by arithmetic on the first id.
    let contiguous = ids.windows(2).all(|w| w[1].0 == w[0].0 + 1);
    ensure!(contiguous, "staff ids of {prefix} are not consecutive");
    Ok(ids)
}

/// Training as a force imports it: most hold everything the policy asks for; some lack the specialist
/// programme, some let PIP level 2 lapse, some hold nothing yet.
fn training_csv(people: &People, prefix: &str) -> String {
    let mut csv = String::from("username,skill,achieved_on,expires_on,evidence\n");
    for i in 0..people.staff.len() {
        if i % 7 == 6 {
            continue;
        }
        for skill in ["pip1", "pip2", "scaidp", "image_grading", "device_triage"] {
            if i % 4 == 2 && skill == "scaidp" {
                continue;
            }
            let expires = if i % 4 == 3 && skill == "pip2" {
                "2025-06-30"
            } else {
                ""
            };
            csv.push_str(&format!(
                "{prefix}.{i:04},{skill},2023-05-{:02},{expires},Course record {i}\n",
                1 + i % 28
            ));
        }
    }
    csv
}

async fn make_people(app: &App, count: usize) -> anyhow::Result<People> {
    let op = operator();
    let force = app
        .create_org(&op, "force-a", "Force A Constabulary", OrgKind::Force)
        .await?;
    let other_force = app
        .create_org(&op, "force-b", "Force B Police", OrgKind::Force)
        .await?;
    let staff = make_staff(app, force, "a", count).await?;
    let other_staff = make_staff(app, other_force, "b", OTHER_FORCE_STAFF).await?;
    let actor = |id: StaffId| async move {
        app.staff_by_id(id)
            .await?
            .map(|s| s.actor())
            .context("a member of staff just made")
    };
    let supervisor = actor(staff[0]).await?;
    let investigator = actor(staff[1]).await?;
    let people = People {
        force,
        other_force,
        staff,
        other_staff,
        supervisor,
        investigator,
    };
    let imported = app
        .import_training(&op, Some(force), &training_csv(&people, "a"))
        .await?;
    for (i, id) in people.staff.iter().enumerate() {
        let profile = Profile {
            post: "investigator".into(),
            capacity: 4 + u32::try_from(i % 9)?,
            working_days: if i % 5 == 4 {
                WorkingDays::EVERY_DAY
            } else {
                WorkingDays::MONDAY_TO_FRIDAY
            },
            email: None,
        };
        app.set_profile(&op, *id, &profile).await?;
        // One in twenty is away today, one in twenty has leave booked.
        let away = match i % 20 {
            5 => Some((Date::new(2026, 2, 23)?, Date::new(2026, 3, 6)?)),
            6 => Some((Date::new(2026, 4, 6)?, Date::new(2026, 4, 17)?)),
            _ => None,
        };
        if let Some(days) = away {
            app.add_absence(&op, *id, days, "Annual leave").await?;
        }
    }
    println!(
        "staff: {} in force-a ({} supervisors), {imported} training records, {} in force-b",
        people.staff.len(),
        people.staff.len().div_ceil(SUPERVISOR_EVERY),
        people.other_staff.len()
    );
    Ok(people)
}

/// One referral for force-a through the ingester, and a case opened on its subject.
async fn one_case(app: &App, people: &People) -> anyhow::Result<CaseId> {
    let op = operator();
    let doc = json!({
        "reportId": "1001",
        "dateReceived": "2026-02-28T08:00:00Z",
        "reportedInformation": {
            "reportingEsp": { "espName": "Example Ltd" },
            "incidentSummary": {
                "incidentType": "Child Pornography (possession, manufacture, and distribution)",
                "incidentDateTime": "2026-02-27T14:30:00Z"
            },
            "reportedPeople": { "reportedPersons": [
                { "espService": "Example", "espUserId": "u1001", "emails": [{ "value": "suspect@example.com" }] }
            ] }
        }
    });
    let parsed = parse_document(
        &serde_json::to_vec(&doc)?,
        "in/report.json",
        &DocContext::default(),
    )?;
    let mut ingester = Ingester::new(app, &op, Some("force-a")).await?;
    ingester
        .push(Item::Parsed {
            path: "in/report.json".into(),
            parsed,
        })
        .await?;
    ingester.finish().await?;
    let subject = app
        .referral(&op, "1001", Why::default())
        .await?
        .subject
        .subject;
    Ok(app.open_case(&people.investigator, subject).await?)
}

/// The SQL text of an `allocated` fact, as `serde_json` writes `Fact::Allocated`; each argument is SQL.
fn allocated_fact(officer: &str, supervisor: &str, met: &str, missing_json: &str) -> String {
    format!(
        "'{{\"kind\":\"allocated\",\"officer\":' || {officer} || ',\"supervisor\":' || {supervisor} || \
         ',\"policy\":\"{POLICY}\",\"met_policy\":' || CASE WHEN {met} THEN 'true' ELSE 'false' END || \
         ',\"missing\":' || CASE WHEN {met} THEN '[]' ELSE '{missing_json}' END || \
         ',\"override_rationale\":' || CASE WHEN {met} THEN 'null' ELSE '\"{OVERRIDE_RATIONALE}\"' END || '}}'"
    )
}

fn warrant_applied_fact(warrant: i64, remote: &str) -> String {
    format!(
        "'{{\"kind\":\"warrant_applied\",\"warrant\":{warrant},\"warrant_type\":\"pca1978_s4\",\
         \"court\":\"{COURT}\",\"remote\":' || CASE WHEN {remote} THEN 'true' ELSE 'false' END || '}}'"
    )
}

const WARRANT_GRANTED_FACT: &str = r#"'{"kind":"warrant_granted","warrant":1}'"#;
const WITHDRAWN_FACT: &str = r#"'{"kind":"withdrawn"}'"#;

/// A fact's JSON as SQL: the text `serde_json` writes for `fact` (what the application stores), with each
/// placeholder's JSON string replaced by the text of an SQL expression.
fn fact_sql(fact: &Fact, holes: &[(&str, String)]) -> anyhow::Result<String> {
    let mut text = serde_json::to_string(fact)?.replace('\'', "''");
    for (placeholder, sql) in holes {
        let quoted = format!("\"{placeholder}\"");
        ensure!(
            text.matches(&quoted).count() == 1,
            "{placeholder} is not once in {text}"
        );
        text = text.replace(&quoted, &format!("\"' || {sql} || '\""));
    }
    Ok(format!("'{text}'"))
}

/// The condition an event row of `fact` meets when written as the fill writes it.
fn stored_as(fact: &Fact, holes: &[(&str, String)]) -> anyhow::Result<String> {
    Ok(format!(
        "kind = '{}' AND fact = {}",
        fact.kind().as_str(),
        fact_sql(fact, holes)?
    ))
}

/// An SQL `CASE` choosing among `choices` by `selector` (which runs from 0 to one less than their number).
fn choose_sql(selector: &str, choices: &[String]) -> String {
    let arms: Vec<String> = choices
        .iter()
        .enumerate()
        .map(|(i, sql)| format!("WHEN {i} THEN {sql}"))
        .collect();
    format!("CASE {selector} {} END", arms.join(" "))
}

/// Where the dates of plan facts stand while their JSON is made: replaced by the fill's SQL.
fn placeholder_date() -> anyhow::Result<Date> {
    Ok(Date::new(9999, 12, 31)?)
}

/// The local authorities the filled children live in: code and name.
const AUTHORITIES: [(&str, &str); 4] = [
    ("bristol", "Bristol"),
    ("south-gloucestershire", "South Gloucestershire"),
    ("north-somerset", "North Somerset"),
    (
        "bath-and-north-east-somerset",
        "Bath and North East Somerset",
    ),
];

/// The kinds of child the fill identifies, in turn: age, band, how found, relationship to the suspect.
const CHILD_KINDS: [(Option<u8>, AgeBand, ChildSource, &str); 3] = [
    (
        Some(4),
        AgeBand::UnderFive,
        ChildSource::Household,
        "Lives with the suspect",
    ),
    (
        Some(11),
        AgeBand::TenToTwelve,
        ChildSource::Referral,
        "Named in the referral as the recipient",
    ),
    (
        None,
        AgeBand::Unknown,
        ChildSource::Other,
        "Visits the household",
    ),
];

fn child_fact(child: u32, kind: usize, name: &str, area: &str, authority: (&str, &str)) -> Fact {
    let (age, age_band, source, relationship) = CHILD_KINDS[kind];
    Fact::ChildIdentified {
        child,
        name: name.into(),
        age,
        age_band,
        area: area.into(),
        authority: authority.0.into(),
        authority_name: authority.1.into(),
        relationship: relationship.into(),
        source,
    }
}

const SHARED: &str = "Household details and the referral's account of the contact.";

/// The referrals the fill sends, by consent: how sent, and the reason recorded where consent was not given.
const CONSENT_KINDS: [(Consent, ShareMethod, Option<&str>); 3] = [
    (
        Consent::Refused,
        ShareMethod::SecureEmail,
        Some("The parent refused; the child is at risk of significant harm."),
    ),
    (
        Consent::NotSought,
        ShareMethod::Telephone,
        Some("Seeking it would alert the suspect, who lives with the child."),
    ),
    (Consent::Given, ShareMethod::Portal, None),
];

/// The consent kind of filled case `n`: one in seven refused, two in seven not sought, the rest given.
fn consent_kind(n: i64) -> usize {
    match n % 7 {
        0 => 0,
        1 | 2 => 1,
        _ => 2,
    }
}

/// A referral as the application stores it: the authority filled in from the child's.
fn referral_fact(child: u32, kind: usize, authority: (&str, &str)) -> Fact {
    let (consent, method, reason) = CONSENT_KINDS[kind];
    Fact::SafeguardingReferred {
        child,
        authority: authority.0.into(),
        authority_name: authority.1.into(),
        method,
        shared: SHARED.into(),
        consent,
        consent_reason: reason.map(str::to_owned),
    }
}

fn strategy_fact(review: Date) -> Fact {
    Fact::StrategyDiscussion {
        plan: 1,
        children: vec![1],
        agencies: "Police, children's social care, health".into(),
        decisions:
            "Joint visit; the suspect's contact with the child to stop during the investigation."
                .into(),
        review,
    }
}

/// The actions of a filled plan: what, whose, due how many days after the discussion, done how many days after
/// it (when done).
const PLAN_ACTIONS: [(&str, &str, i64, i64); 2] = [
    (
        "Visit the child at home with a social worker",
        "Children's social care",
        7,
        5,
    ),
    ("Health assessment of the child", "Health", 28, 20),
];

fn action_fact(action: u32, due: Date) -> anyhow::Result<Fact> {
    let (text, owner, _, _) = PLAN_ACTIONS[usize::try_from(action)? - 1];
    Ok(Fact::PlanAction {
        plan: 1,
        action,
        text: text.into(),
        owner_agency: owner.into(),
        due,
    })
}

/// Real allocations and warrant events on the case, through the application, and a check that each stored
/// row is what the fill's SQL writes for the same values.
async fn real_events_match_the_fill(
    app: &App,
    db: &Db,
    clock: &FixedClock,
    people: &People,
    case: CaseId,
) -> anyhow::Result<()> {
    let sup = &people.supervisor;
    let sup_id = people.staff[0];
    let view = app.candidates(sup, case, Why::default()).await?;
    let best = view.candidates.first().context("no candidates")?;
    ensure!(
        best.meets_policy,
        "the best candidate does not meet the policy"
    );
    let lacking = view
        .candidates
        .iter()
        .find(|c| !c.meets_policy)
        .context("every candidate meets the policy")?;
    let overridden = app
        .allocate(
            sup,
            case,
            (lacking.staff, None),
            Some(OVERRIDE_RATIONALE),
            Why::default(),
        )
        .await?;
    clock.advance(SignedDuration::from_mins(10));
    let met = app
        .allocate(sup, case, (best.staff, None), None, Why::default())
        .await?;
    let record = |fact: Fact, supersedes: Option<EventId>| {
        clock.advance(SignedDuration::from_mins(10));
        let event = NewEvent {
            fact,
            occurred_at: clock.now(),
            supersedes,
            rationale: supersedes.map(|_| WITHDRAWAL_RATIONALE.to_owned()),
            correction: false,
        };
        app.record_event(&people.investigator, case, event, Why::default())
    };
    let applied = |warrant: u32| Fact::WarrantApplied {
        warrant,
        warrant_type: "pca1978_s4".into(),
        court: COURT.into(),
        remote: true,
    };
    let first = record(applied(1), None).await?;
    let granted = record(Fact::WarrantGranted { warrant: 1 }, None).await?;
    let second = record(applied(2), None).await?;
    let withdrawn = record(Fact::Withdrawn, Some(second)).await?;
    // Safeguarding, recorded by the investigator as the fill records it: a child of each kind, each referred
    // (the authority left for the application to fill in from the child's) with a kind of consent, and decided;
    // a strategy discussion with two actions, one done. Each with the fill's SQL for its fact.
    let mut safeguarding = Vec::new();
    for (kind, child) in (1..=u32::try_from(CHILD_KINDS.len())?).enumerate() {
        let authority = AUTHORITIES[kind];
        let (name, area) = (format!("Child {child}"), format!("BS{child} 4DJ"));
        let id = record(child_fact(child, kind, &name, &area, authority), None).await?;
        let holes = [
            ("@name", format!("'{name}'")),
            ("@area", format!("'{area}'")),
            ("@authority", format!("'{}'", authority.0)),
            ("@authority_name", format!("'{}'", authority.1)),
        ];
        let fact = child_fact(
            child,
            kind,
            "@name",
            "@area",
            ("@authority", "@authority_name"),
        );
        safeguarding.push(("child identified", id, stored_as(&fact, &holes)?));
        let id = record(referral_fact(child, kind, ("", "")), None).await?;
        let fact = referral_fact(child, kind, ("@authority", "@authority_name"));
        safeguarding.push(("referral", id, stored_as(&fact, &holes[2..])?));
        let fact = Fact::SafeguardingDecided {
            child,
            decision: AuthorityDecision::ALL[kind * 2],
        };
        let id = record(fact.clone(), None).await?;
        safeguarding.push(("decision", id, stored_as(&fact, &[])?));
    }
    let today = london_date(clock.now());
    let placeholder = placeholder_date()?.to_string();
    let review = today.checked_add(jiff::Span::new().days(28))?;
    let id = record(strategy_fact(review), None).await?;
    let fact = stored_as(
        &strategy_fact(placeholder_date()?),
        &[(&placeholder, format!("'{review}'"))],
    )?;
    safeguarding.push(("strategy discussion", id, fact));
    for action in [1, 2] {
        let due = today.checked_add(jiff::Span::new().days(7 * i64::from(action)))?;
        let id = record(action_fact(action, due)?, None).await?;
        let fact = stored_as(
            &action_fact(action, placeholder_date()?)?,
            &[(&placeholder, format!("'{due}'"))],
        )?;
        safeguarding.push(("plan action", id, fact));
    }
    let done = Fact::PlanActionDone { plan: 1, action: 1 };
    let id = record(done.clone(), None).await?;
    safeguarding.push(("plan action done", id, stored_as(&done, &[])?));

    let audit = app
        .allocation_audit(sup, AuditPeriod::new(at(YEAR_TO)?, clock.now()))
        .await?;
    let missing = &audit
        .against_policy
        .first()
        .context("the override is not in the audit")?
        .missing;
    let plain = "supersedes IS NULL AND rationale IS NULL AND entry = 'ordinary'";
    let mut checks = vec![
        (
            "allocation against the policy",
            overridden,
            format!(
                "kind = 'allocated' AND {plain} AND fact = {}",
                allocated_fact(
                    &lacking.staff.0.to_string(),
                    &sup_id.0.to_string(),
                    "FALSE",
                    &serde_json::to_string(missing)?
                )
            ),
        ),
        (
            "allocation within the policy",
            met,
            format!(
                "kind = 'allocated' AND {plain} AND fact = {}",
                allocated_fact(
                    &best.staff.0.to_string(),
                    &sup_id.0.to_string(),
                    "TRUE",
                    "[]"
                )
            ),
        ),
        (
            "warrant application",
            first,
            format!(
                "kind = 'warrant_applied' AND {plain} AND fact = {}",
                warrant_applied_fact(1, "TRUE")
            ),
        ),
        (
            "grant",
            granted,
            format!("kind = 'warrant_granted' AND {plain} AND fact = {WARRANT_GRANTED_FACT}"),
        ),
        (
            "withdrawal",
            withdrawn,
            format!(
                "kind = 'withdrawn' AND supersedes = {} AND rationale = '{WITHDRAWAL_RATIONALE}' \
                 AND entry = 'correction' AND fact = {WITHDRAWN_FACT}",
                second.0
            ),
        ),
    ];
    let recorded = safeguarding.len();
    for (what, id, stored) in safeguarding {
        checks.push((what, id, format!("{plain} AND {stored}")));
    }
    for (what, id, condition) in checks {
        let sql = format!(
            "SELECT COUNT(*) FROM case_event WHERE id = {} AND {condition}",
            id.0
        );
        ensure!(
            fetch_i64(db, &sql).await? == 1,
            "the fill would not write the {what} as the application did (event {})",
            id.0
        );
    }
    println!(
        "fill form: matches the application's rows (2 allocations, application, grant, withdrawal, \
         {recorded} safeguarding events)"
    );
    Ok(())
}

/// The year's cases, as numbers: where the fill's rows come from, and what the audits should find in them.
struct Year {
    cases: i64,
    from: i64,
    /// Cases are opened over this many seconds from `from`, leaving room for their later events.
    span: i64,
    to: i64,
    /// The benchmark's clock at the start: the fill writes nothing that happens later.
    now: i64,
    org_a: i64,
    org_b: i64,
    first_a: i64,
    staff_a: i64,
    supervisors_a: i64,
    first_b: i64,
    staff_b: i64,
}

/// Each predicate below is one condition of the fill's SQL, in Rust: the audits' counts are checked against them.
impl Year {
    /// Every tenth case is the other force's.
    fn other_force(n: i64) -> bool {
        n % 10 == 9
    }
    fn reallocated(n: i64) -> bool {
        n % 3 == 0
    }
    fn against_policy(n: i64) -> bool {
        n % 10 == 3
    }
    fn warrant(n: i64) -> bool {
        n % 2 == 0
    }
    fn withdrawn(n: i64) -> bool {
        n % 100 == 50
    }
    fn granted(n: i64) -> bool {
        Self::warrant(n) && n % 10 != 0
    }

    // Safeguarding: one case in three identifies a child, the day after it was opened, between 10:00 and 12:00
    // UTC. Of them one in twenty is never referred and one in ten is referred six days later, the rest within the
    // hour (the same day: within the force's target, which is the same working day). Of those referred one in
    // twenty-five is never decided and one in eight is decided eight days later, the rest within three hours; one
    // decision in a hundred is withdrawn. The authority's decision is a strategy discussion for one in five: a
    // joint plan is agreed the next day with two actions, due in 7 and 28 days, the first done after 5 days on
    // three cases in four, the second after 20 days on three in four. Nothing the fill writes happens after the
    // benchmark's clock starts (events are recorded two minutes after they happen).

    fn child(n: i64) -> bool {
        n % 3 == 1
    }
    fn referred(n: i64) -> bool {
        Self::child(n) && n % 20 != 7
    }
    fn referred_late(n: i64) -> bool {
        n % 10 == 4
    }
    fn decided(n: i64) -> bool {
        Self::referred(n) && n % 25 != 1
    }
    fn decided_late(n: i64) -> bool {
        n % 8 == 5
    }
    fn decision_withdrawn(n: i64) -> bool {
        Self::decided(n) && n % 100 == 61
    }
    /// A joint plan: where the authority's decision (`AuthorityDecision::ALL[n % 5]`) was a strategy discussion.
    fn plan(n: i64) -> bool {
        Self::decided(n) && n % 5 == 3
    }
    /// The plan's action (0 or 1 in `PLAN_ACTIONS`) done.
    fn action_done(n: i64, action: usize) -> bool {
        Self::plan(n) && n % 4 != [3, 2][action]
    }
    fn opened(&self, n: i64) -> i64 {
        self.from + ((n - 1) * self.span) / self.cases
    }
    fn identified_at(&self, n: i64) -> i64 {
        let opened = self.opened(n);
        opened - opened % DAY + DAY + 36_000 + (n * 53) % 7200
    }
    fn sent_at(&self, n: i64) -> i64 {
        self.identified_at(n)
            + if Self::referred_late(n) {
                6 * DAY
            } else {
                3600
            }
    }
    fn decided_at(&self, n: i64) -> i64 {
        self.sent_at(n)
            + if Self::decided_late(n) {
                8 * DAY
            } else {
                3 * 3600
            }
    }
    fn held_at(&self, n: i64) -> i64 {
        self.decided_at(n) + DAY
    }
    /// The same instants in SQL, over the columns of `cases_sql`.
    fn identified_at_sql() -> &'static str {
        "(opened - opened % 86400 + 86400 + 36000 + (n * 53) % 7200)"
    }
    fn sent_at_sql() -> String {
        format!(
            "({} + CASE WHEN n % 10 = 4 THEN 6 * 86400 ELSE 3600 END)",
            Self::identified_at_sql()
        )
    }
    fn decided_at_sql() -> String {
        format!(
            "({} + CASE WHEN n % 8 = 5 THEN 8 * 86400 ELSE 3 * 3600 END)",
            Self::sent_at_sql()
        )
    }
    fn held_at_sql() -> String {
        format!("({} + 86400)", Self::decided_at_sql())
    }

    /// What the safeguarding audit of the measured force should count, figure by figure (keyed as
    /// `SafeguardingAudit::figures` keys them), as known at `known_at`, no earlier than the benchmark's clock.
    fn safeguarding_expected(
        &self,
        known_at: Timestamp,
    ) -> anyhow::Result<BTreeMap<&'static str, usize>> {
        let today = london_date(known_at);
        let filled = |at: i64| at + 120 <= self.now;
        let in_year = |at: i64| at >= self.from && at < self.to;
        let date = |at: i64| -> anyhow::Result<Date> {
            Ok(Timestamp::from_second(at)?
                .to_zoned_datetime(TimeZone::UTC)
                .date())
        };
        let mut counts = BTreeMap::new();
        let mut add = |key: &'static str| *counts.entry(key).or_insert(0) += 1;
        let mine = (1..=self.cases).filter(|n| !Self::other_force(*n) && Self::child(*n));
        for n in mine {
            let identified = self.identified_at(n);
            if !filled(identified) {
                continue;
            }
            let referral = Self::referred(n) && filled(self.sent_at(n));
            if in_year(identified) {
                add("identified");
                if referral {
                    add("referred");
                    if !Self::referred_late(n) {
                        add("referred_within_target");
                    }
                } else {
                    // Due the day identified, or the next working day: overdue four days on, as no run of bank
                    // holidays falls at the end of the year measured.
                    ensure!(
                        date(identified)?.checked_add(jiff::Span::new().days(4))? <= today,
                        "case {n}: a child identified too near the audit's day to be surely overdue"
                    );
                    add("not_referred_overdue");
                }
            }
            if referral && in_year(self.sent_at(n)) {
                add("referrals_sent");
                let decided = self.decided_at(n);
                let in_force = Self::decided(n)
                    && filled(decided)
                    && !(Self::decision_withdrawn(n) && filled(decided + 7200));
                add(match (in_force, Self::decided_late(n)) {
                    (false, _) => "awaiting_decision",
                    (true, false) => "decided_within_one_day",
                    (true, true) => "decided_later",
                });
                add(["consent_refused", "consent_not_sought", "consent_given"][consent_kind(n)]);
            }
            let held = self.held_at(n);
            if Self::plan(n) && filled(held) && in_year(held) {
                add("plans");
                let mut overdue = false;
                for (i, (_, _, due, done)) in PLAN_ACTIONS.iter().enumerate() {
                    let agreed = held + 600 * (i64::try_from(i)? + 1);
                    let done = Self::action_done(n, i) && filled(held + done * DAY);
                    overdue |= filled(agreed) && !done && today > date(held + due * DAY)?;
                }
                if overdue {
                    add("plans_with_overdue_actions");
                }
            }
        }
        Ok(counts)
    }

    /// What the audits of the measured force should count: allocations, those within the policy, warrant
    /// applications in force, grants.
    fn expected(&self) -> (usize, usize, usize, usize) {
        let mine = (1..=self.cases).filter(|n| !Self::other_force(*n));
        let (mut allocations, mut met, mut applications, mut granted) = (0, 0, 0, 0);
        for n in mine {
            let count = if Self::reallocated(n) { 2 } else { 1 };
            allocations += count;
            met += count - usize::from(Self::against_policy(n));
            applications += usize::from(Self::warrant(n) && !Self::withdrawn(n));
            granted += usize::from(Self::granted(n));
        }
        (allocations, met, applications, granted)
    }

    /// One row per case with its derived columns, from a sequence `n` of the backend's making.
    fn cases_sql(&self, backend: Backend) -> String {
        let numbers = match backend {
            Backend::Sqlite => format!(
                "(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {}) \
                 SELECT n FROM s) AS seq",
                self.cases
            ),
            Backend::Postgres => format!(
                "generate_series(1::bigint, {}::bigint) AS seq(n)",
                self.cases
            ),
        };
        let Year {
            cases,
            from,
            span,
            org_a,
            org_b,
            first_a,
            staff_a,
            supervisors_a,
            first_b,
            staff_b,
            ..
        } = self;
        let b = "n % 10 = 9";
        format!(
            "(SELECT n, opened, opened - (n * 37) % 7200 AS clock_start, org, officer1, officer2, supervisor, \
             opened + 1800 + (n * 131) % 43200 AS allocated1, band, hours \
             FROM (SELECT n, {from} + ((n - 1) * {span}) / {cases} AS opened, \
             CASE WHEN {b} THEN {org_b} ELSE {org_a} END AS org, \
             CASE WHEN {b} THEN {first_b} + n % {staff_b} ELSE {first_a} + n % {staff_a} END AS officer1, \
             CASE WHEN {b} THEN {first_b} + (n * 7 + 3) % {staff_b} ELSE {first_a} + (n * 7 + 3) % {staff_a} END \
             AS officer2, \
             CASE WHEN {b} THEN {first_b} ELSE {first_a} + ((n / 7) % {supervisors_a}) * {SUPERVISOR_EVERY} END \
             AS supervisor, \
             CASE WHEN n % 10 = 0 THEN 'very_high' WHEN n % 10 < 3 THEN 'high' WHEN n % 10 < 7 THEN 'medium' \
             ELSE 'low' END AS band, \
             CASE WHEN n % 10 = 0 THEN 24 WHEN n % 10 < 3 THEN 72 WHEN n % 10 < 7 THEN 168 ELSE 672 END AS hours \
             FROM {numbers}) AS numbered) AS c"
        )
    }

    /// The statements that fill the year: subjects, cases and their events.
    fn fill_sql(&self, backend: Backend) -> anyhow::Result<Vec<String>> {
        let c = self.cases_sql(backend);
        let to = self.to;
        // Open: opened in the last 45 days, or one old case in fifty; the rest closed in time.
        let open = format!("(opened >= {to} - 45 * 86400 OR n % 50 = 0)");
        // Allocations are recorded by a supervisor, warrant events by an investigator, as the application
        // records them.
        let event = |slot: i64, kind: &str, at: &str, fact: &str, tail: &str, filter: &str| {
            let by = if kind == "allocated" {
                "a.0000"
            } else {
                "a.0001"
            };
            format!(
                "INSERT INTO case_event (id, case_id, kind, occurred_at, recorded_at, recorded_by, fact, \
                 supersedes, rationale, entry) SELECT {EVENT_BASE} + n * {EVENT_SLOTS} + {slot}, {CASE_BASE} + n, \
                 '{kind}', {at}, {at} + 120, '{by}', {fact}, {tail} FROM {c} WHERE {filter}"
            )
        };
        let plain = "NULL, NULL, 'ordinary'";
        let empty_json = match backend {
            Backend::Sqlite => "'{}'",
            Backend::Postgres => "convert_to('{}', 'UTF8')",
        };
        let referrals = (0..REFERRALS_PER_CASE).map(|k| {
            format!(
                "INSERT INTO referral (id, source_ref, format, source, version, content_sha256, received_at, \
                 clock_start_at, subject_id, band, outcome, signals, document, owner_org) \
                 SELECT {REFERRAL_BASE} + n * {REFERRALS_PER_CASE} + {k}, 'bench:' || n || ':{k}', \
                 'cybertip_le_json', CASE WHEN (n + {k}) % 7 = 0 THEN 'p2p_detection' ELSE 'ncmec' END, 1, \
                 'synthetic', clock_start + {k} * 3600, clock_start, {SUBJECT_BASE} + n, band, {empty_json}, '{{}}', \
                 {empty_json}, org FROM {c}"
            )
        });
        let mut statements = vec![
            format!(
                "INSERT INTO subject (id, created_at, status, merged_into, provisional_band, assessment_id, band, \
                 band_reason, clock_start_at, due_at, owner_org, restricted) \
                 SELECT {SUBJECT_BASE} + n, clock_start, 'in_case', NULL, band, NULL, band, \
                 'Synthetic benchmark subject', clock_start, clock_start + hours * 3600, org, FALSE FROM {c}"
            ),
            format!(
                "INSERT INTO case_file (id, subject_id, owner_org, opened_at, opened_by, received_at, \
                 clock_start_at, opening_band, status, officer_id, supervisor_id, band, clock_state, due_at, \
                 stopped_at, list_due_at, updated_at) \
                 SELECT {CASE_BASE} + n, {SUBJECT_BASE} + n, org, opened, 'a.0001', clock_start, clock_start, band, \
                 CASE WHEN {open} THEN 'open' ELSE 'closed' END, \
                 CASE WHEN n % 3 = 0 THEN officer2 ELSE officer1 END, supervisor, band, \
                 CASE WHEN {open} THEN 'running' ELSE 'stopped_in_time' END, \
                 CASE WHEN {open} THEN clock_start + hours * 3600 END, \
                 CASE WHEN {open} THEN NULL ELSE opened + 2 * 86400 END, \
                 CASE WHEN {open} THEN clock_start + hours * 3600 ELSE {NOT_DUE} END, opened FROM {c}"
            ),
            event(
                0,
                "allocated",
                "allocated1",
                &allocated_fact("officer1", "supervisor", "n % 10 <> 3", FILL_MISSING),
                plain,
                "TRUE",
            ),
            event(
                1,
                "allocated",
                "allocated1 + 3 * 86400 + n % 7200",
                &allocated_fact("officer2", "supervisor", "TRUE", FILL_MISSING),
                plain,
                "n % 3 = 0",
            ),
            event(
                2,
                "warrant_applied",
                "allocated1 + 86400",
                &warrant_applied_fact(1, "n % 4 = 0"),
                plain,
                "n % 2 = 0",
            ),
            event(
                3,
                "warrant_granted",
                "allocated1 + 86400 + 3600 * (1 + n % 20)",
                WARRANT_GRANTED_FACT,
                plain,
                "n % 2 = 0 AND n % 10 <> 0",
            ),
            event(
                4,
                "withdrawn",
                "allocated1 + 90000",
                WITHDRAWN_FACT,
                &format!(
                    "{EVENT_BASE} + n * {EVENT_SLOTS} + 2, '{WITHDRAWAL_RATIONALE}', 'correction'"
                ),
                "n % 100 = 50",
            ),
        ];
        statements.extend(referrals);
        statements.extend(self.safeguarding_sql(backend, &event)?);
        Ok(statements)
    }

    /// The statements that fill the year's safeguarding (see `Year::child` and what follows it): `event` makes
    /// one statement from a slot, kind, instant, fact, the last columns and the cases it is for.
    fn safeguarding_sql(
        &self,
        backend: Backend,
        event: EventSql<'_>,
    ) -> anyhow::Result<Vec<String>> {
        let date = |seconds: &str| match backend {
            Backend::Sqlite => format!("date({seconds}, 'unixepoch')"),
            Backend::Postgres => {
                format!("to_char(to_timestamp({seconds}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')")
            }
        };
        let quoted = |values: &mut dyn Iterator<Item = &str>| -> Vec<String> {
            values.map(|v| format!("'{v}'")).collect()
        };
        let authority = (
            choose_sql("n % 4", &quoted(&mut AUTHORITIES.iter().map(|a| a.0))),
            choose_sql("n % 4", &quoted(&mut AUTHORITIES.iter().map(|a| a.1))),
        );
        let holes = [
            ("@name", "'Child ' || n".to_owned()),
            ("@area", "'BS' || (1 + n % 16) || ' 4DJ'".to_owned()),
            ("@authority", authority.0),
            ("@authority_name", authority.1),
        ];
        let placeholders = ("@authority", "@authority_name");
        let children = (0..CHILD_KINDS.len())
            .map(|kind| fact_sql(&child_fact(1, kind, "@name", "@area", placeholders), &holes))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let referrals = (0..7)
            .map(|r| {
                fact_sql(
                    &referral_fact(1, consent_kind(r), placeholders),
                    &holes[2..],
                )
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let decisions = AuthorityDecision::ALL
            .iter()
            .map(|d| {
                let fact = Fact::SafeguardingDecided {
                    child: 1,
                    decision: *d,
                };
                fact_sql(&fact, &[])
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        ensure!(
            AuthorityDecision::ALL[3] == AuthorityDecision::StrategyDiscussion,
            "plans follow the decisions of n % 5 = 3: a strategy discussion no more"
        );
        let placeholder = placeholder_date()?.to_string();
        let (identified, sent, decided, held) = (
            Self::identified_at_sql(),
            Self::sent_at_sql(),
            Self::decided_at_sql(),
            Self::held_at_sql(),
        );
        let now = self.now;
        // Each statement writes only what has happened, two minutes before the benchmark's clock.
        let happened = |at: &str, filter: &str| format!("{filter} AND {at} + 120 <= {now}");
        let plain = "NULL, NULL, 'ordinary'";
        let child = "n % 3 = 1";
        let referred = format!("{child} AND n % 20 <> 7");
        let decided_cases = format!("{referred} AND n % 25 <> 1");
        let plan = format!("{decided_cases} AND n % 5 = 3");
        let withdrawal = format!("({decided} + 7200)");
        let mut statements = vec![
            event(
                5,
                "child_identified",
                identified,
                &choose_sql("(n / 3) % 3", &children),
                plain,
                &happened(identified, child),
            ),
            event(
                6,
                "safeguarding_referred",
                &sent,
                &choose_sql("n % 7", &referrals),
                plain,
                &happened(&sent, &referred),
            ),
            event(
                7,
                "safeguarding_decided",
                &decided,
                &choose_sql("n % 5", &decisions),
                plain,
                &happened(&decided, &decided_cases),
            ),
            event(
                8,
                "withdrawn",
                &withdrawal,
                WITHDRAWN_FACT,
                &format!(
                    "{EVENT_BASE} + n * {EVENT_SLOTS} + 7, '{WITHDRAWAL_RATIONALE}', 'correction'"
                ),
                &happened(&withdrawal, &format!("{decided_cases} AND n % 100 = 61")),
            ),
            event(
                9,
                "strategy_discussion",
                &held,
                &fact_sql(
                    &strategy_fact(placeholder_date()?),
                    &[(&placeholder, date(&format!("{held} + 28 * 86400")))],
                )?,
                plain,
                &happened(&held, &plan),
            ),
        ];
        for (i, (_, _, due, done)) in PLAN_ACTIONS.iter().enumerate() {
            let slot = i64::try_from(i)?;
            let action = u32::try_from(i)? + 1;
            let agreed = format!("({held} + 600 * {action})");
            let fact = fact_sql(
                &action_fact(action, placeholder_date()?)?,
                &[(&placeholder, date(&format!("{held} + {due} * 86400")))],
            )?;
            statements.push(event(
                10 + slot,
                "plan_action",
                &agreed,
                &fact,
                plain,
                &happened(&agreed, &plan),
            ));
            let finished = format!("({held} + {done} * 86400)");
            let fact = fact_sql(&Fact::PlanActionDone { plan: 1, action }, &[])?;
            let not_done = [3, 2][i];
            statements.push(event(
                12 + slot,
                "plan_action_done",
                &finished,
                &fact,
                plain,
                &happened(&finished, &format!("{plan} AND n % 4 <> {not_done}")),
            ));
        }
        Ok(statements)
    }
}

/// One fill statement of events from their slot, kind, instant, fact, last columns (supersedes, rationale,
/// entry) and the cases they are on, each as SQL.
type EventSql<'a> = &'a dyn Fn(i64, &str, &str, &str, &str, &str) -> String;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// `App::candidates` beside its floors, the calls interleaved so that each sees the same machine.
async fn candidates_beside_floors(
    app: &App,
    people: &People,
    case: CaseId,
    calls: usize,
    label: &str,
) -> anyhow::Result<()> {
    let (mut ranked, mut listed, mut viewed) = (Vec::new(), Vec::new(), Vec::new());
    let mut counts = (0, 0);
    for _ in 0..calls {
        let staff = timed(&mut listed, app.list_staff(&operator())).await?;
        timed(
            &mut viewed,
            app.case_view(&people.supervisor, case, Why::default()),
        )
        .await?;
        let view = timed(
            &mut ranked,
            app.candidates(&people.supervisor, case, Why::default()),
        )
        .await?;
        counts = (view.candidates.len(), staff.len());
    }
    println!("candidates ({label}): {} ranked", counts.0);
    println!("  App::candidates      {}", summary(&ranked));
    println!(
        "  floor App::list_staff {} ({} staff)",
        summary(&listed),
        counts.1
    );
    println!("  floor App::case_view  {}", summary(&viewed));
    Ok(())
}

async fn audits(app: &App, db: &Db, people: &People, year: &Year) -> anyhow::Result<()> {
    let (from, to) = (at(YEAR_FROM)?, at(YEAR_TO)?);
    let (mut counted, mut allocation, mut warrant, mut safeguarding) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut events = 0;
    let mut found = (0, 0, 0, 0);
    let mut children = None;
    let began = Instant::now();
    // Five runs, or fewer when they are slow: the figure is in seconds, the sitting has a deadline.
    while counted.len() < MAX_AUDIT_RUNS && (counted.is_empty() || began.elapsed() < AUDIT_BUDGET) {
        let start = Instant::now();
        events = fetch_i64(db, "SELECT COUNT(*) FROM case_event").await?;
        counted.push(start.elapsed());
        let a = timed(
            &mut allocation,
            app.allocation_audit(&people.supervisor, AuditPeriod::new(from, to)),
        )
        .await?;
        let w = timed(
            &mut warrant,
            app.warrant_audit(&people.supervisor, AuditPeriod::new(from, to)),
        )
        .await?;
        let s = timed(
            &mut safeguarding,
            app.safeguarding_audit(&people.supervisor, AuditPeriod::new(from, to)),
        )
        .await?;
        found = (a.allocations, a.met_policy, w.applications, w.granted);
        children = Some(s);
    }
    let expected = year.expected();
    ensure!(
        found == expected,
        "the audits found (allocations, met, applications, granted) {found:?}, the fill holds {expected:?}"
    );
    let children = children.context("no safeguarding audit ran")?;
    let counts = safeguarding_counts(&children);
    let expected = year.safeguarding_expected(children.known_at)?;
    ensure!(
        counts == expected,
        "the safeguarding audit found {counts:?}, the fill holds {expected:?}"
    );
    println!(
        "audits over {YEAR_FROM} .. {YEAR_TO}: {} allocations ({} within the policy), {} warrant applications \
         ({} granted), as filled",
        found.0, found.1, found.2, found.3
    );
    println!(
        "  safeguarding, as filled: {}; median working days to refer {:?}; days not counted {:?}",
        counts
            .iter()
            .map(|(key, count)| format!("{key} {count}"))
            .collect::<Vec<_>>()
            .join(", "),
        children.median_working_days_to_refer,
        children.not_counted
    );
    println!("  App::allocation_audit   runs: {}", runs(&allocation));
    println!("  App::warrant_audit      runs: {}", runs(&warrant));
    println!("  App::safeguarding_audit runs: {}", runs(&safeguarding));
    println!(
        "  floor SELECT COUNT(*) FROM case_event ({events} rows) runs: {}",
        runs(&counted)
    );
    Ok(())
}

/// The safeguarding audit's non-zero counts by figure.
fn safeguarding_counts(audit: &SafeguardingAudit) -> BTreeMap<&'static str, usize> {
    audit
        .figures()
        .into_iter()
        .filter(|(_, _, figure)| figure.count > 0)
        .map(|(key, _, figure)| (key, figure.count))
        .collect()
}

async fn worklists(app: &App, people: &People, calls: usize) -> anyhow::Result<()> {
    let first = app
        .worklist(
            &people.supervisor,
            &severn_app::caselist::WorklistParams::of(Worklist::AllOpen, 1),
        )
        .await?;
    let last = first.pages.max(1);
    let (mut front, mut deep) = (Vec::new(), Vec::new());
    for _ in 0..calls {
        timed(
            &mut front,
            app.worklist(
                &people.supervisor,
                &severn_app::caselist::WorklistParams::of(Worklist::AllOpen, 1),
            ),
        )
        .await?;
        let page = timed(
            &mut deep,
            app.worklist(
                &people.supervisor,
                &severn_app::caselist::WorklistParams::of(Worklist::AllOpen, last),
            ),
        )
        .await?;
        ensure!(!page.entries.is_empty(), "the last page is empty");
    }
    println!(
        "worklist, all open cases of force-a: {} cases, {} pages",
        first.total, first.pages
    );
    println!("  page 1          {}", summary(&front));
    println!("  page {last:<10} {}", summary(&deep));
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = settings()?;
    let db = Db::connect(&settings.url).await?;
    let backend = match db {
        Db::Sqlite(_) => Backend::Sqlite,
        Db::Postgres(_) => Backend::Postgres,
    };
    let clock = Arc::new(FixedClock::new(at(NOW)?));
    let app = App::new(db.clone(), clock.clone(), AuditKey::new([7; 32]));
    if !app.list_orgs(&operator()).await?.is_empty() {
        bail!("{} is not empty: give a new database", settings.url);
    }
    println!(
        "backend: {}",
        match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    );

    let start = Instant::now();
    let people = make_people(&app, settings.staff).await?;
    let case = one_case(&app, &people).await?;
    real_events_match_the_fill(&app, &db, &clock, &people, case).await?;
    println!(
        "setup through the application: {:.1} s",
        start.elapsed().as_secs_f64()
    );
    candidates_beside_floors(
        &app,
        &people,
        case,
        settings.calls,
        "one case in the database",
    )
    .await?;

    let (from, to) = (at(YEAR_FROM)?.as_second(), at(YEAR_TO)?.as_second());
    let year = Year {
        cases: settings.cases,
        from,
        span: to - from - 5 * 86400,
        to,
        now: at(NOW)?.as_second(),
        org_a: people.force.0,
        org_b: people.other_force.0,
        first_a: people.staff[0].0,
        staff_a: i64::try_from(people.staff.len())?,
        supervisors_a: i64::try_from(people.staff.len().div_ceil(SUPERVISOR_EVERY))?,
        first_b: people.other_staff[0].0,
        staff_b: i64::try_from(people.other_staff.len())?,
    };
    let start = Instant::now();
    for statement in year.fill_sql(backend)? {
        execute_raw(&db, &statement)
            .await
            .with_context(|| format!("fill statement: {statement}"))?;
        // PostgreSQL checks each filled row's foreign keys with a plan a connection may have cached while the
        // referenced table held one row: a sequential scan per row, which made the fill take hours. Statistics
        // on each table once filled make it plan again.
        if backend == Backend::Postgres
            && let Some(table) = statement
                .strip_prefix("INSERT INTO ")
                .and_then(|rest| rest.split_whitespace().next())
        {
            execute_raw(&db, &format!("ANALYZE {table}")).await?;
        }
    }
    let filled = start.elapsed();
    // A schema change to try against these figures (an index, say), run after the fill.
    if let Ok(sql) = std::env::var(AFTER_FILL_VAR)
        && !sql.trim().is_empty()
    {
        let start = Instant::now();
        execute_raw(&db, &sql)
            .await
            .with_context(|| format!("{AFTER_FILL_VAR}: {sql}"))?;
        println!(
            "after the fill ({AFTER_FILL_VAR}): {sql} in {:.1} s",
            start.elapsed().as_secs_f64()
        );
    }
    let start = Instant::now();
    // Autovacuum is off on the benchmark machines, and a PostgreSQL planner without statistics on tables this
    // size is not what a force would run; SQLite gets none, as the application's databases have none for cases.
    if backend == Backend::Postgres {
        execute_raw(&db, "ANALYZE").await?;
    }
    println!(
        "fill: {} cases, {} events, {} referrals in {:.1} s (ANALYZE {:.1} s)",
        fetch_i64(&db, "SELECT COUNT(*) FROM case_file").await?,
        fetch_i64(&db, "SELECT COUNT(*) FROM case_event").await?,
        fetch_i64(&db, "SELECT COUNT(*) FROM referral").await?,
        filled.as_secs_f64(),
        start.elapsed().as_secs_f64()
    );

    audits(&app, &db, &people, &year).await?;
    candidates_beside_floors(
        &app,
        &people,
        case,
        settings.calls,
        "after the year's cases",
    )
    .await?;
    worklists(&app, &people, settings.calls.min(50)).await?;
    Ok(())
}
