//! The case page's safeguarding forms: identifying a child, referring them to children's social care, the
//! authority's answer, strategy discussions and joint plans, and support. Their fields follow the facts'
//! JSON names, as the other forms' do.

use super::{Choices, Field, Input, choose, field};
use severn_app::casework::CaseView;
use severn_domain::case::EventKind;
use severn_domain::case::safeguarding::{
    AgeBand, AuthorityDecision, ChildSource, Consent, ShareMethod, SupportOutcome, SupportStep,
};
use std::collections::BTreeMap;

/// The safeguarding facts, in the order a child's safeguarding usually meets them.
pub(super) const SAFEGUARDING: [EventKind; 10] = [
    EventKind::ChildIdentified,
    EventKind::SafeguardingReferred,
    EventKind::SafeguardingAcknowledged,
    EventKind::SafeguardingDecided,
    EventKind::StrategyDiscussion,
    EventKind::PlanAction,
    EventKind::PlanActionDone,
    EventKind::SupportOffered,
    EventKind::SupportUpdated,
    EventKind::Signposted,
];

/// What the safeguarding forms choose from, from where the case's safeguarding stands.
#[derive(Default)]
pub(super) struct SafeguardingChoices {
    pub children: Vec<(String, String)>,
    pub to_refer: Vec<(String, String)>,
    pub to_acknowledge: Vec<(String, String)>,
    pub to_decide: Vec<(String, String)>,
    pub plans: Vec<(String, String)>,
    /// Actions not done, as `plan:action`.
    pub open_actions: Vec<(String, String)>,
    pub open_support: Vec<(String, String)>,
    pub next_child: u32,
    pub next_plan: u32,
    pub next_action: u32,
    pub next_support: u32,
    /// Local authorities (code, name).
    pub authorities: Vec<(String, String)>,
    /// Services in the directory (id, name).
    pub services: Vec<(String, String)>,
}

impl SafeguardingChoices {
    pub(super) fn of(
        view: &CaseView,
        authorities: Vec<(String, String)>,
        services: Vec<(String, String)>,
    ) -> SafeguardingChoices {
        let s = &view.safeguarding;
        let child = |c: &severn_app::safeguarding::ChildView| {
            (
                c.child.to_string(),
                format!("Child {}: {}", c.child, c.name),
            )
        };
        let referred = |f: &dyn Fn(&severn_app::safeguarding::SafeguardingReferralView) -> bool| {
            s.children
                .iter()
                .filter(|c| c.referral.as_ref().is_some_and(f))
                .map(child)
                .collect()
        };
        SafeguardingChoices {
            children: s.children.iter().map(child).collect(),
            to_refer: s
                .children
                .iter()
                .filter(|c| c.referral.is_none())
                .map(child)
                .collect(),
            to_acknowledge: referred(&|r| r.acknowledged_at.is_none()),
            to_decide: referred(&|r| r.decision.is_none()),
            plans: s
                .plans
                .iter()
                .map(|p| {
                    (
                        p.plan.to_string(),
                        format!("Plan {}: {}", p.plan, p.agencies),
                    )
                })
                .collect(),
            open_actions: s
                .plans
                .iter()
                .flat_map(|p| {
                    p.actions.iter().filter(|a| a.done_at.is_none()).map(|a| {
                        (
                            format!("{}:{}", p.plan, a.action),
                            format!("Plan {} action {}: {}", p.plan, a.action, a.text),
                        )
                    })
                })
                .collect(),
            open_support: s
                .support
                .iter()
                .filter(|r| !r.status.is_final())
                .map(|r| {
                    (
                        r.support.to_string(),
                        format!(
                            "Support {}: child {} with {} ({})",
                            r.support,
                            r.child,
                            r.service_name,
                            r.status_label.to_lowercase()
                        ),
                    )
                })
                .collect(),
            next_child: s.next_child,
            next_plan: s.next_plan,
            next_action: s
                .plans
                .iter()
                .flat_map(|p| p.actions.iter().map(|a| a.action))
                .max()
                .map_or(1, |n| n + 1),
            next_support: s.next_support,
            authorities,
            services,
        }
    }

    /// Whether the form for `kind` has anything to choose from.
    pub(super) fn offers(&self, kind: EventKind) -> bool {
        match kind {
            EventKind::ChildIdentified => true,
            EventKind::SafeguardingReferred => !self.to_refer.is_empty(),
            EventKind::SafeguardingAcknowledged => !self.to_acknowledge.is_empty(),
            EventKind::SafeguardingDecided => !self.to_decide.is_empty(),
            EventKind::StrategyDiscussion | EventKind::Signposted => !self.children.is_empty(),
            EventKind::PlanAction => !self.plans.is_empty(),
            EventKind::PlanActionDone => !self.open_actions.is_empty(),
            EventKind::SupportOffered => !self.children.is_empty() && !self.services.is_empty(),
            EventKind::SupportUpdated => !self.open_support.is_empty(),
            _ => false,
        }
    }
}

fn worded<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<(String, String)> {
    all.iter()
        .map(|v| (code(*v).to_owned(), label(*v).to_owned()))
        .collect()
}

fn fixed(name: &'static str, label: &'static str, value: u32) -> Field {
    Field {
        value: value.to_string(),
        ..field(name, label, Input::Fixed)
    }
}

/// The fields of a safeguarding fact of `kind`.
pub(super) fn fields_of(kind: EventKind, choices: &Choices) -> Vec<Field> {
    let s = &choices.safeguarding;
    let with_none = |none: &str, options: &[(String, String)]| {
        let mut all = vec![(String::new(), none.to_owned())];
        all.extend(options.iter().cloned());
        all
    };
    match kind {
        EventKind::ChildIdentified => vec![
            fixed("child", "Child number", s.next_child),
            field(
                "name",
                "Name, or a description if the name is not known",
                Input::Line,
            ),
            Field {
                hint: "In years, if known.",
                ..field("age", "Age", Input::Optional)
            },
            choose(
                "age_band",
                "Age band",
                with_none(
                    "Work it out from the age",
                    &worded(AgeBand::ALL, AgeBand::as_str, AgeBand::label),
                ),
            ),
            Field {
                hint: "A postcode, a postcode district such as BS1, or a place.",
                ..field("area", "Where the child lives", Input::Line)
            },
            choose(
                "authority",
                "Local authority",
                with_none("Find it from where the child lives", &s.authorities),
            ),
            field("relationship", "Connection to the suspect", Input::Line),
            choose(
                "source",
                "How the child was found",
                worded(ChildSource::ALL, ChildSource::as_str, ChildSource::label),
            ),
        ],
        EventKind::SafeguardingReferred => vec![
            choose("child", "Child", s.to_refer.clone()),
            choose(
                "authority",
                "Local authority referred to",
                with_none("The child's own authority", &s.authorities),
            ),
            choose(
                "method",
                "How it was made",
                worded(ShareMethod::ALL, ShareMethod::as_str, ShareMethod::label),
            ),
            field("shared", "What was shared", Input::Text),
            choose(
                "consent",
                "Consent to share",
                worded(Consent::ALL, Consent::as_str, Consent::label),
            ),
            Field {
                hint: "Required unless consent was given: for example, that seeking it would prejudice the \
                       investigation or put the child at risk.",
                ..field("consent_reason", "Why without consent", Input::Text)
            },
        ],
        EventKind::SafeguardingAcknowledged => {
            vec![choose("child", "Child", s.to_acknowledge.clone())]
        }
        EventKind::SafeguardingDecided => vec![
            choose("child", "Child", s.to_decide.clone()),
            choose(
                "decision",
                "The authority's decision",
                worded(
                    AuthorityDecision::ALL,
                    AuthorityDecision::as_str,
                    AuthorityDecision::label,
                ),
            ),
        ],
        EventKind::StrategyDiscussion => vec![
            fixed("plan", "Plan number", s.next_plan),
            Field {
                hint: "Their numbers on this case, separated by commas, such as 1, 2.",
                ..field("children", "Children the plan is for", Input::Line)
            },
            field("agencies", "Agencies present", Input::Line),
            field("decisions", "Decisions", Input::Text),
            Field {
                hint: "The date the plan is to be reviewed by, such as 2026-04-30.",
                ..field("review", "Review by", Input::Date)
            },
        ],
        EventKind::PlanAction => vec![
            choose("plan", "Plan", s.plans.clone()),
            fixed("action", "Action number", s.next_action),
            field("text", "What is to be done", Input::Line),
            field("owner_agency", "Agency that owns it", Input::Line),
            Field {
                hint: "The date it is due by, such as 2026-04-30.",
                ..field("due", "Due by", Input::Date)
            },
        ],
        EventKind::PlanActionDone => {
            vec![choose(
                "action_of_plan",
                "Which action",
                s.open_actions.clone(),
            )]
        }
        EventKind::SupportOffered => vec![
            fixed("support", "Support referral number", s.next_support),
            choose("child", "Child", s.children.clone()),
            choose("service", "Service", s.services.clone()),
            field("need", "What the child or family needs", Input::Line),
        ],
        EventKind::SupportUpdated => vec![
            choose("support", "Support referral", s.open_support.clone()),
            choose(
                "step",
                "What happened",
                worded(SupportStep::ALL, SupportStep::as_str, SupportStep::label),
            ),
            Field {
                hint: "Required when the family declined, the service could not take it, or it was withdrawn.",
                ..field("reason", "Reason", Input::Text)
            },
            choose(
                "outcome",
                "How it went (when support finished)",
                with_none(
                    "Not finished",
                    &worded(
                        SupportOutcome::ALL,
                        SupportOutcome::as_str,
                        SupportOutcome::label,
                    ),
                ),
            ),
        ],
        EventKind::Signposted => vec![
            choose("child", "Child", s.children.clone()),
            field("service", "Service pointed to", Input::Line),
        ],
        _ => Vec::new(),
    }
}

/// The JSON value of a safeguarding field typed as `typed`, where it is not plain text: `None` for the rest.
pub(super) fn value_of(
    name: &str,
    typed: &str,
    form: &BTreeMap<String, String>,
) -> Option<Result<serde_json::Value, String>> {
    let number = |typed: &str, label: &str| {
        typed
            .parse::<u64>()
            .map(serde_json::Value::from)
            .map_err(|_| format!("{label} must be a whole number."))
    };
    Some(match name {
        "age" if typed.is_empty() => Ok(serde_json::Value::Null),
        "age" => number(typed, "The age"),
        // Worked out from the age when not chosen; "age not known" without one.
        "age_band" if typed.is_empty() => {
            let age = form.get("age").and_then(|a| a.trim().parse::<u8>().ok());
            let band = match age {
                Some(age) => AgeBand::of_age(age)
                    .ok_or_else(|| format!("An age of {age} is not a child's (under 18).")),
                None => Ok(AgeBand::Unknown),
            };
            band.map(|b| serde_json::json!(b))
        }
        "age_band" => {
            Ok(AgeBand::parse(typed).map_or_else(|| typed.into(), |b| serde_json::json!(b)))
        }
        "consent_reason" | "reason" | "outcome" if typed.is_empty() => Ok(serde_json::Value::Null),
        "children" => typed
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| number(n, "Each child's number"))
            .collect::<Result<Vec<_>, _>>()
            .map(serde_json::Value::Array),
        "service" => number(typed, "The service"),
        _ => return None,
    })
}
