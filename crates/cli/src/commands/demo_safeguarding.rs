//! The demo's safeguarding, on a share of the first force's cases: the children a case identifies (invented
//! first names and surnames, living in Bristol, South Gloucestershire or Leeds), their referrals to children's
//! social care and the authority's decisions, strategy discussions with joint plans and their actions, referrals
//! to the demo's support services at each stage of their life, and signposting. Most of it is done in time and
//! some referrals are late. On three recent open cases work is outstanding now: a child not yet referred, a
//! decision the authority has not given, and an action of a joint plan past its due date.
//!
//! The facts go into the casework's replay (see `demo_cases`), each recorded by the officer in charge at the
//! time it happened, so the timeline rules and the audit log treat them as they would in a force.

use super::demo_support::Directory;
use jiff::{SignedDuration, Timestamp, ToSpan};
use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;
use severn_domain::case::Fact;
use severn_domain::case::safeguarding::{
    AgeBand, AuthorityDecision, ChildSource, Consent, ShareMethod, SupportOutcome, SupportStep,
};
use severn_domain::ids::SubjectId;
use severn_synth::names::{CHILD_NAMES, SURNAMES};

/// When a case of the first force was allocated and, if it is closed by the end of its plan, closed.
pub struct CaseDates {
    pub subject: SubjectId,
    pub allocated: Timestamp,
    pub closed: Option<Timestamp>,
}

/// A safeguarding fact for a subject's case, at the time it happened.
pub type Planned = (SubjectId, Timestamp, Fact);

/// Where the demo's children live: the area as the officer writes it, the authority's code where the area
/// alone does not settle it (a district on a boundary), and the authority it is (for choosing services).
const HOMES: [(&str, &str, &str); 8] = [
    ("BS1", "", "bristol"),
    ("BS5", "", "bristol"),
    ("BS6", "", "bristol"),
    ("BS4", "bristol", "bristol"),
    ("BS34", "", "south-gloucestershire"),
    ("BS37", "", "south-gloucestershire"),
    ("BS16", "south-gloucestershire", "south-gloucestershire"),
    ("LS6", "", "leeds"),
];

/// How a child is connected to the suspect, and how the case came to know of them.
const CONNECTIONS: [(&str, ChildSource); 4] = [
    ("Lives with the suspect", ChildSource::Household),
    (
        "The suspect's child, living with their other parent",
        ChildSource::Household,
    ),
    (
        "Named in the referral as in contact with the suspect online",
        ChildSource::Referral,
    ),
    ("Visits the suspect's home each week", ChildSource::Other),
];

const NOT_SOUGHT: &str =
    "Seeking consent would alert the suspect and prejudice the police investigation";
const REFUSED: &str =
    "The child may be at risk of significant harm: sharing is necessary and proportionate";
const SHARED: &str =
    "The child's details, the concerns from the referral and the planned enforcement action";
const AGENCIES: &str = "Children's social care, police, health (integrated care board), the school";
const DECISIONS: &str = "Section 47 enquiries; the suspect to have no unsupervised contact with children; \
     a joint visit after the arrest";
const SIGNPOSTS: [&str; 3] = [
    "Childline",
    "NSPCC Helpline",
    "Parents Protect (Lucy Faithfull Foundation)",
];

fn hours(h: f64) -> SignedDuration {
    SignedDuration::from_secs((h * 3600.0) as i64)
}

fn after(at: Timestamp, h: f64) -> Timestamp {
    at.checked_add(hours(h)).unwrap_or(at)
}

fn date_after(at: Timestamp, days: i64) -> jiff::civil::Date {
    let date = severn_app::time::london_date(at);
    date.checked_add(days.days()).unwrap_or(date)
}

/// A child identified on a case, as the demo writes them.
struct Child {
    number: u32,
    authority: &'static str,
    age: u8,
}

/// Identifies child `number` at `at`, living in `home`, with the family name `surname`.
fn identify(
    rng: &mut ChaCha8Rng,
    number: u32,
    first_name: &str,
    surname: &str,
    home: (&'static str, &'static str, &'static str),
) -> (Child, Fact) {
    let age: u8 = rng.random_range(2..=17);
    let (relationship, source) = CONNECTIONS[rng.random_range(0..CONNECTIONS.len())];
    let (area, given, authority) = home;
    let fact = Fact::ChildIdentified {
        child: number,
        name: format!("{first_name} {surname}"),
        age: Some(age),
        age_band: AgeBand::of_age(age).unwrap_or(AgeBand::Unknown),
        area: area.to_owned(),
        authority: given.to_owned(),
        authority_name: String::new(),
        relationship: relationship.to_owned(),
        source,
    };
    (
        Child {
            number,
            authority,
            age,
        },
        fact,
    )
}

fn referral(rng: &mut ChaCha8Rng, child: u32) -> Fact {
    let roll: f64 = rng.random();
    let (consent, reason) = if roll < 0.6 {
        (Consent::NotSought, Some(NOT_SOUGHT.to_owned()))
    } else if roll < 0.85 {
        (Consent::Given, None)
    } else {
        (Consent::Refused, Some(REFUSED.to_owned()))
    };
    Fact::SafeguardingReferred {
        child,
        authority: String::new(),
        authority_name: String::new(),
        method: *ShareMethod::ALL
            .choose(rng)
            .unwrap_or(&ShareMethod::SecureEmail),
        shared: SHARED.to_owned(),
        consent,
        consent_reason: reason,
    }
}

/// The service a child is offered, among those that work where they live and take their age.
fn service_for(rng: &mut ChaCha8Rng, child: &Child, directory: &Directory) -> (i64, &'static str) {
    let mut choices = vec![(directory.young_victims, "Support after online sexual abuse")];
    if child.authority != "leeds" {
        choices.push((directory.unit, "Safety planning with the family"));
        if child.age >= 13 {
            choices.push((
                directory.isva,
                "Support through the investigation and any trial",
            ));
        }
    }
    if child.authority == "south-gloucestershire" && child.age >= 4 {
        choices.push((directory.therapy, "Therapy after sexual abuse"));
    }
    choices.push((
        directory.families,
        "Support for the child's parent, who lives with the suspect",
    ));
    choices[rng.random_range(0..choices.len())]
}

/// A support referral offered at `offered`, taken through one of its usual courses to its end.
fn support(
    rng: &mut ChaCha8Rng,
    number: u32,
    child: &Child,
    directory: &Directory,
    offered: Timestamp,
) -> Vec<(Timestamp, Fact)> {
    let (service, need) = service_for(rng, child, directory);
    let step = |step: SupportStep, reason: Option<&str>, outcome: Option<SupportOutcome>| {
        Fact::SupportUpdated {
            support: number,
            step,
            reason: reason.map(str::to_owned),
            outcome,
        }
    };
    let mut steps = vec![(
        offered,
        Fact::SupportOffered {
            support: number,
            child: child.number,
            service,
            service_name: String::new(),
            need: need.to_owned(),
        },
    )];
    let answered = after(offered, rng.random_range(24.0..96.0));
    let roll: f64 = rng.random();
    if roll < 0.15 {
        steps.push((
            answered,
            step(
                SupportStep::FamilyDeclined,
                Some("The family prefer support through their GP"),
                None,
            ),
        ));
        return steps;
    }
    steps.push((answered, step(SupportStep::FamilyAccepted, None, None)));
    let replied = after(answered, rng.random_range(48.0..120.0));
    if roll < 0.25 {
        steps.push((
            replied,
            step(
                SupportStep::ServiceRejected,
                Some("The service has no places until next quarter"),
                None,
            ),
        ));
        return steps;
    }
    if roll < 0.33 {
        steps.push((
            replied,
            step(
                SupportStep::Withdrawn,
                Some("The family moved out of the area"),
                None,
            ),
        ));
        return steps;
    }
    steps.push((replied, step(SupportStep::ServiceAccepted, None, None)));
    let started = after(replied, rng.random_range(72.0..240.0));
    steps.push((started, step(SupportStep::Started, None, None)));
    let outcome = if rng.random_bool(0.8) {
        SupportOutcome::Successful
    } else {
        SupportOutcome::NotSuccessful
    };
    steps.push((
        after(started, rng.random_range(30.0 * 24.0..60.0 * 24.0)),
        step(SupportStep::Done, None, Some(outcome)),
    ));
    steps
}

/// A whole course of safeguarding on one case, starting when its first child is identified: every piece of it
/// finishes within [`LONGEST_DAYS`] days.
fn course(
    rng: &mut ChaCha8Rng,
    identified: Timestamp,
    directory: &Directory,
) -> Vec<(Timestamp, Fact)> {
    let mut facts = Vec::new();
    let surname = SURNAMES[rng.random_range(0..SURNAMES.len())];
    let home = HOMES[rng.random_range(0..HOMES.len())];
    let count = if rng.random_bool(0.3) { 2 } else { 1 };
    let first = rng.random_range(0..CHILD_NAMES.len());
    let mut children = Vec::new();
    let mut strategy_after = None;
    for n in 0..count {
        let at = after(identified, f64::from(n) * rng.random_range(1.0..6.0));
        let name = CHILD_NAMES[(first + n as usize * 5) % CHILD_NAMES.len()];
        let (child, fact) = identify(rng, n + 1, name, surname, home);
        facts.push((at, fact));
        // Most referrals go the same working day; about one in seven days later.
        let sent = if rng.random_bool(0.85) {
            after(at, rng.random_range(0.5..5.0))
        } else {
            after(at, rng.random_range(30.0..100.0))
        };
        facts.push((sent, referral(rng, child.number)));
        let acknowledged = after(sent, rng.random_range(1.0..12.0));
        facts.push((
            acknowledged,
            Fact::SafeguardingAcknowledged {
                child: child.number,
            },
        ));
        let decided = if rng.random_bool(0.85) {
            after(acknowledged, rng.random_range(1.0..16.0))
        } else {
            after(acknowledged, rng.random_range(30.0..60.0))
        };
        let roll: f64 = rng.random();
        let decision = if roll < 0.35 {
            AuthorityDecision::StrategyDiscussion
        } else if roll < 0.55 {
            AuthorityDecision::ChildInNeed
        } else if roll < 0.75 {
            AuthorityDecision::EarlyHelp
        } else if roll < 0.85 {
            AuthorityDecision::InformationOnly
        } else {
            AuthorityDecision::NoFurtherAction
        };
        if decision == AuthorityDecision::StrategyDiscussion {
            strategy_after = strategy_after.max(Some(decided));
        }
        facts.push((
            decided,
            Fact::SafeguardingDecided {
                child: child.number,
                decision,
            },
        ));
        children.push((child, decided));
    }
    if let Some(decided) = strategy_after {
        let held = after(decided, rng.random_range(24.0..72.0));
        facts.extend(joint_plan(
            held,
            children.iter().map(|(c, _)| c.number).collect(),
        ));
        let late = rng.random_bool(0.2);
        facts.push((
            after(held, if late { 24.0 * 7.0 } else { 24.0 * 3.0 }),
            Fact::PlanActionDone { plan: 1, action: 1 },
        ));
        facts.push((
            after(held, rng.random_range(24.0 * 6.0..24.0 * 9.0)),
            Fact::PlanActionDone { plan: 1, action: 2 },
        ));
    }
    let mut supports = 0;
    for (child, decided) in &children {
        if rng.random_bool(0.55) {
            supports += 1;
            let offered = after(*decided, rng.random_range(24.0..120.0));
            facts.extend(support(rng, supports, child, directory, offered));
        } else if rng.random_bool(0.3) {
            facts.push((
                after(*decided, 2.0),
                Fact::Signposted {
                    child: child.number,
                    service: SIGNPOSTS[rng.random_range(0..SIGNPOSTS.len())].to_owned(),
                },
            ));
        }
    }
    facts
}

/// The longest a [`course`] runs, in days, with a margin: a case closing sooner is given none.
const LONGEST_DAYS: i64 = 110;

/// A strategy discussion held at `held` for `children`, agreeing joint plan 1 with two actions (due in five and
/// ten days).
fn joint_plan(held: Timestamp, children: Vec<u32>) -> Vec<(Timestamp, Fact)> {
    vec![
        (
            held,
            Fact::StrategyDiscussion {
                plan: 1,
                children,
                agencies: AGENCIES.to_owned(),
                decisions: DECISIONS.to_owned(),
                review: date_after(held, 28),
            },
        ),
        (
            held,
            Fact::PlanAction {
                plan: 1,
                action: 1,
                text: "Joint visit to the child's home with a social worker".to_owned(),
                owner_agency: "Police and children's social care".to_owned(),
                due: date_after(held, 5),
            },
        ),
        (
            held,
            Fact::PlanAction {
                plan: 1,
                action: 2,
                text: "Check the school's record of concerns about the child".to_owned(),
                owner_agency: "The school's designated safeguarding lead".to_owned(),
                due: date_after(held, 10),
            },
        ),
    ]
}

/// The work outstanding now on three recent open cases: a child identified six days ago and not referred; a
/// child referred five days ago whose decision has not come; and two children with a joint plan whose action
/// fell due three days ago, one offered support the service has not answered yet and one signposted.
fn outstanding(now: Timestamp, directory: &Directory, subjects: [SubjectId; 3]) -> Vec<Planned> {
    let ago = |days: f64| now.checked_sub(hours(days * 24.0)).unwrap_or(now);
    let child =
        |number: u32, name: &str, surname: &str, age: u8, area: &str| Fact::ChildIdentified {
            child: number,
            name: format!("{name} {surname}"),
            age: Some(age),
            age_band: AgeBand::of_age(age).unwrap_or(AgeBand::Unknown),
            area: area.to_owned(),
            authority: String::new(),
            authority_name: String::new(),
            relationship: "Lives with the suspect".to_owned(),
            source: ChildSource::Household,
        };
    let [unreferred, awaited, planned] = subjects;
    let referred = |child: u32| Fact::SafeguardingReferred {
        child,
        authority: String::new(),
        authority_name: String::new(),
        method: ShareMethod::SecureEmail,
        shared: SHARED.to_owned(),
        consent: Consent::NotSought,
        consent_reason: Some(NOT_SOUGHT.to_owned()),
    };
    let mut facts = vec![
        (
            unreferred,
            ago(6.0),
            child(1, "Isla", "Kettlewell", 9, "BS5"),
        ),
        (awaited, ago(5.0), child(1, "Theo", "Saltmarsh", 14, "BS34")),
        (awaited, ago(4.9), referred(1)),
        (
            awaited,
            ago(4.7),
            Fact::SafeguardingAcknowledged { child: 1 },
        ),
        (
            planned,
            ago(25.0),
            child(1, "Willow", "Mossbridge", 11, "BS1"),
        ),
        (planned, ago(24.9), child(2, "Otis", "Mossbridge", 6, "BS1")),
        (planned, ago(24.8), referred(1)),
        (planned, ago(24.8), referred(2)),
    ];
    for c in [1, 2] {
        facts.push((
            planned,
            ago(24.0),
            Fact::SafeguardingDecided {
                child: c,
                decision: AuthorityDecision::StrategyDiscussion,
            },
        ));
    }
    let held = ago(13.0);
    // Action 2 fell due three days ago and is not done; action 1 was done in time.
    for (_, fact) in joint_plan(held, vec![1, 2]) {
        facts.push((planned, held, fact));
    }
    facts.push((
        planned,
        ago(9.0),
        Fact::PlanActionDone { plan: 1, action: 1 },
    ));
    facts.push((
        planned,
        ago(8.0),
        Fact::SupportOffered {
            support: 1,
            child: 1,
            service: directory.young_victims,
            service_name: String::new(),
            need: "Support after online sexual abuse".to_owned(),
        },
    ));
    facts.push((
        planned,
        ago(6.0),
        Fact::SupportUpdated {
            support: 1,
            step: SupportStep::FamilyAccepted,
            reason: None,
            outcome: None,
        },
    ));
    facts.push((
        planned,
        ago(8.0),
        Fact::Signposted {
            child: 2,
            service: SIGNPOSTS[0].to_owned(),
        },
    ));
    facts
}

/// The safeguarding facts for the first force's cases (in subject order): the outstanding work on the three
/// most recently allocated cases still open a month after allocation, and a whole course on about one in three
/// of the others that stay open long enough for it.
pub fn plan(
    rng: &mut ChaCha8Rng,
    cases: &[CaseDates],
    directory: &Directory,
    now: Timestamp,
) -> Vec<Planned> {
    let month_ago = now.checked_sub(hours(30.0 * 24.0)).unwrap_or(now);
    let mut recent: Vec<&CaseDates> = cases
        .iter()
        .filter(|c| c.allocated <= month_ago && c.closed.is_none_or(|closed| closed > now))
        .collect();
    recent.sort_by_key(|c| std::cmp::Reverse((c.allocated, c.subject)));
    let scripted: Vec<SubjectId> = recent.iter().take(3).map(|c| c.subject).collect();
    let mut facts = match <[SubjectId; 3]>::try_from(scripted.clone()) {
        Ok(subjects) => outstanding(now, directory, subjects),
        Err(_) => Vec::new(),
    };
    for case in cases {
        if scripted.contains(&case.subject) || !rng.random_bool(0.35) {
            continue;
        }
        let identified = after(case.allocated, rng.random_range(1.0..48.0));
        let room = identified
            .checked_add(SignedDuration::from_hours(24 * LONGEST_DAYS))
            .unwrap_or(identified);
        if case.closed.is_some_and(|closed| closed <= room) {
            continue;
        }
        facts.extend(
            course(rng, identified, directory)
                .into_iter()
                .map(|(at, fact)| (case.subject, at, fact)),
        );
    }
    facts
}
