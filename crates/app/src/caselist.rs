//! The worklists: a person's cases, their team's, those they supervise, those shared with them, and the
//! unallocated, open and closed cases of their force — filtered, sorted and a page at a time, with what is new
//! since the person last looked; and each person's saved filters. Each page is one access through the gate,
//! logged; a request with a bad parameter is refused, naming it, and the refusal logged.

use crate::casework::staff_names;
use crate::gate::Why;
use crate::time::instant;
use crate::{App, AppError, Result, active_tool_in, check_text};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use severn_domain::access::{Action, Actor, OrgKind, Role};
use severn_domain::case::{Clock, ClockState, Urgency};
use severn_domain::ids::{CaseId, StaffId, SubjectId, TeamId};
use severn_domain::report::ReferralSource;
use severn_domain::risk::Band;
use severn_domain::text::FreeText;
use severn_store::{CaseList, CaseOrder, CaseQuery, CaseStatus, ClockFilter, ClockSummary};
use utoipa::{IntoParams, ToSchema};

/// The most cases a worklist page shows.
pub const WORKLIST_PAGE: i64 = 50;

/// The most characters a saved filter's name may have.
pub const FILTER_NAME_LIMIT: usize = 60;

/// The most filters one person may save.
pub const SAVED_FILTERS_LIMIT: usize = 50;

/// One line of a worklist.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorklistEntry {
    pub case: CaseId,
    pub subject: SubjectId,
    pub band: Band,
    pub band_label: &'static str,
    pub officer: Option<String>,
    pub status: &'static str,
    /// `running`, `paused`, `stopped`.
    pub clock: &'static str,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Timestamp>,
    pub urgency: Urgency,
    pub clock_text: String,
    /// Where its referrals came from, in plain words.
    pub sources: Vec<&'static str>,
    /// Restricted to named people.
    pub restricted: bool,
    /// Shared with people outside the force.
    pub shared: bool,
    /// Opened, allocated or with an event recorded since the person last looked at this list.
    pub new: bool,
}

/// A list the person may look at.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorklistTab {
    /// What `list=` takes.
    pub list: &'static str,
    pub label: &'static str,
}

/// A page of a worklist.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorklistPage {
    pub entries: Vec<WorklistEntry>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    /// The list shown (`list=`).
    pub list: &'static str,
    pub list_label: &'static str,
    /// The lists this person may look at.
    pub lists: Vec<WorklistTab>,
    /// Cases in the list (as filtered) new since the person's last visit to it; `None` on a first visit.
    pub new_since_visit: Option<i64>,
    /// The filters and sort applied, as a query (without the page): what a saved filter keeps.
    pub query: String,
    /// The filters and sort applied, one by one, for forms to show.
    pub applied: Vec<Applied>,
    /// The officers in charge of the force's open cases, for the officer filter.
    pub officers: Vec<Officer>,
}

/// A parameter applied to a worklist and its value (`band`, `high`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Applied {
    pub parameter: String,
    pub value: String,
}

/// An officer the officer filter offers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Officer {
    /// Their staff number, as `officer=` takes it.
    pub id: StaffId,
    pub name: String,
}

/// Which worklist a person asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Worklist {
    Mine,
    Team,
    Supervised,
    Shared,
    Unallocated,
    AllOpen,
    Closed,
}

impl Worklist {
    pub const ALL: [Worklist; 7] = [
        Worklist::Mine,
        Worklist::Team,
        Worklist::Supervised,
        Worklist::Shared,
        Worklist::Unallocated,
        Worklist::AllOpen,
        Worklist::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Worklist::Mine => "mine",
            Worklist::Team => "team",
            Worklist::Supervised => "supervised",
            Worklist::Shared => "shared",
            Worklist::Unallocated => "unallocated",
            Worklist::AllOpen => "open",
            Worklist::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Worklist::Mine => "My cases",
            Worklist::Team => "My team's cases",
            Worklist::Supervised => "Cases I supervise",
            Worklist::Shared => "Shared with me",
            Worklist::Unallocated => "Unallocated",
            Worklist::AllOpen => "All open cases",
            Worklist::Closed => "Closed",
        }
    }

    pub fn parse(value: &str) -> Option<Worklist> {
        Self::ALL.into_iter().find(|w| w.as_str() == value)
    }

    /// The lists a person may use: a force's people see their force's lists (their own and their team's only
    /// when they have cases or a team), anyone whose role reads cases sees those shared with them, and someone
    /// outside a force sees only those.
    pub fn available(actor: &Actor, team: Option<TeamId>) -> Vec<Worklist> {
        match actor {
            Actor::Operator { .. } => {
                vec![Worklist::Unallocated, Worklist::AllOpen, Worklist::Closed]
            }
            Actor::Service { .. } => Vec::new(),
            Actor::Staff { org_kind, .. } => {
                let reads = [
                    Role::Investigator,
                    Role::Supervisor,
                    Role::SafeguardingOfficer,
                    Role::Analyst,
                ]
                .into_iter()
                .any(|r| actor.has_role(r));
                if !reads {
                    return Vec::new();
                }
                if *org_kind != OrgKind::Force {
                    return vec![Worklist::Shared];
                }
                let officer =
                    actor.has_role(Role::Investigator) || actor.has_role(Role::Supervisor);
                Worklist::ALL
                    .into_iter()
                    .filter(|list| match list {
                        Worklist::Mine => officer,
                        Worklist::Team => team.is_some(),
                        Worklist::Supervised => actor.has_role(Role::Supervisor),
                        _ => true,
                    })
                    .collect()
            }
        }
    }

    /// The list a person sees first: their own cases if they investigate, what is shared with them if they
    /// are outside a force, every open case otherwise.
    pub fn default_for(actor: &Actor, lists: &[Worklist]) -> Option<Worklist> {
        if actor.has_role(Role::Investigator) && lists.contains(&Worklist::Mine) {
            Some(Worklist::Mine)
        } else if lists.contains(&Worklist::AllOpen) {
            Some(Worklist::AllOpen)
        } else {
            lists.first().copied()
        }
    }
}

/// What a worklist is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorklistSort {
    Due,
    Received,
    Band,
    Case,
}

const SORTS: [(&str, WorklistSort); 4] = [
    ("due", WorklistSort::Due),
    ("received", WorklistSort::Received),
    ("band", WorklistSort::Band),
    ("case", WorklistSort::Case),
];

const CLOCKS: [(&str, ClockFilter); 4] = [
    ("overdue", ClockFilter::Overdue),
    ("due_soon", ClockFilter::DueSoon),
    ("on_track", ClockFilter::OnTrack),
    ("stopped", ClockFilter::Stopped),
];

const SOURCES: [ReferralSource; 5] = [
    ReferralSource::Ncmec,
    ReferralSource::PartnerAgency,
    ReferralSource::OtherForce,
    ReferralSource::PublicReport,
    ReferralSource::P2pDetection,
];

/// A referral source in plain words.
pub fn source_label(stored: &str) -> &'static str {
    match ReferralSource::parse(stored) {
        Some(ReferralSource::Ncmec) => "NCMEC (via the NCA)",
        Some(ReferralSource::PartnerAgency) => "Partner agency",
        Some(ReferralSource::OtherForce) => "Another force",
        Some(ReferralSource::PublicReport) => "Member of the public",
        Some(ReferralSource::P2pDetection) => "Peer-to-peer detection",
        None => "Other",
    }
}

/// The worklist's parameters as the address, the API or the command line give them. Empty means not given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WorklistParams {
    /// The list: mine, team, supervised, shared, unallocated, open or closed (default: the person's own
    /// cases if they investigate, otherwise all open cases; outside a force, shared).
    #[serde(default)]
    pub list: Option<String>,
    /// The page, from 1.
    #[serde(default)]
    pub page: Option<String>,
    /// Only this band: very_high, high, medium or low.
    #[serde(default)]
    pub band: Option<String>,
    /// Only open or only closed cases (a list's own is open, closed for closed).
    #[serde(default)]
    pub status: Option<String>,
    /// Only cases whose clock is overdue, due_soon, on_track (or paused) or stopped.
    #[serde(default)]
    pub clock: Option<String>,
    /// Only cases with this officer in charge (their staff number).
    #[serde(default)]
    pub officer: Option<String>,
    /// Only cases with a referral from this source: ncmec, partner_agency, other_force, public_report or
    /// p2p_detection.
    #[serde(default)]
    pub source: Option<String>,
    /// Only restricted cases: yes or no.
    #[serde(default)]
    pub restricted: Option<String>,
    /// Only cases shared outside the force: yes or no.
    #[serde(default)]
    pub shared: Option<String>,
    /// The order: due (default), received, band (highest first) or case (number).
    #[serde(default)]
    pub sort: Option<String>,
    /// asc (default) or desc.
    #[serde(default)]
    pub order: Option<String>,
}

/// The parameters, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Asked {
    list: Option<Worklist>,
    page: i64,
    band: Option<Band>,
    status: Option<CaseStatus>,
    clock: Option<ClockFilter>,
    officer: Option<StaffId>,
    source: Option<ReferralSource>,
    restricted: bool,
    shared: bool,
    sort: WorklistSort,
    descending: bool,
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn bad(parameter: &str, value: &str, allowed: &[&str]) -> AppError {
    let shown: String = value
        .chars()
        .take(40)
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    AppError::Invalid(format!(
        "The parameter \"{parameter}\" cannot be \"{shown}\": choose one of {}.",
        allowed.join(", ")
    ))
}

fn choice<T: Copy>(
    parameter: &str,
    value: &Option<String>,
    choices: &[(&str, T)],
) -> Result<Option<T>> {
    let Some(value) = given(value) else {
        return Ok(None);
    };
    choices
        .iter()
        .find(|(word, _)| *word == value)
        .map(|(_, v)| Some(*v))
        .ok_or_else(|| {
            bad(
                parameter,
                value,
                &choices.iter().map(|(w, _)| *w).collect::<Vec<_>>(),
            )
        })
}

fn number(parameter: &str, value: &Option<String>, what: &str) -> Result<Option<i64>> {
    let Some(value) = given(value) else {
        return Ok(None);
    };
    match value.parse::<i64>() {
        Ok(n) if n >= 1 => Ok(Some(n)),
        _ => Err(bad(parameter, value, &[what])),
    }
}

impl WorklistParams {
    /// A list's page, unfiltered, soonest due first.
    pub fn of(list: Worklist, page: i64) -> WorklistParams {
        WorklistParams {
            list: Some(list.as_str().to_owned()),
            page: Some(page.to_string()),
            ..WorklistParams::default()
        }
    }

    fn check(&self) -> Result<Asked> {
        let lists: Vec<(&str, Worklist)> = Worklist::ALL.iter().map(|l| (l.as_str(), *l)).collect();
        let bands: Vec<(&str, Band)> = Band::ALL.iter().map(|b| (b.as_str(), *b)).collect();
        let sources: Vec<(&str, ReferralSource)> =
            SOURCES.iter().map(|s| (s.as_str(), *s)).collect();
        let yes_no = [
            ("yes", true),
            ("no", false),
            ("true", true),
            ("false", false),
        ];
        Ok(Asked {
            list: choice("list", &self.list, &lists)?,
            page: number("page", &self.page, "a page number from 1")?.unwrap_or(1),
            band: choice("band", &self.band, &bands)?,
            status: choice(
                "status",
                &self.status,
                &[("open", CaseStatus::Open), ("closed", CaseStatus::Closed)],
            )?,
            clock: choice("clock", &self.clock, &CLOCKS)?,
            officer: number("officer", &self.officer, "a staff number")?.map(StaffId),
            source: choice("source", &self.source, &sources)?,
            restricted: choice("restricted", &self.restricted, &yes_no)?.unwrap_or(false),
            shared: choice("shared", &self.shared, &yes_no)?.unwrap_or(false),
            sort: choice("sort", &self.sort, &SORTS)?.unwrap_or(WorklistSort::Due),
            descending: choice("order", &self.order, &[("asc", false), ("desc", true)])?
                .unwrap_or(false),
        })
    }
}

impl Asked {
    /// The filters and sort as a query and as pairs, in a fixed order: what a saved filter keeps.
    fn applied(&self, list: Worklist) -> Vec<Applied> {
        let mut pairs = vec![Applied {
            parameter: "list".to_owned(),
            value: list.as_str().to_owned(),
        }];
        let mut add = |k: &str, v: Option<String>| {
            if let Some(value) = v {
                pairs.push(Applied {
                    parameter: k.to_owned(),
                    value,
                });
            }
        };
        add("band", self.band.map(|b| b.as_str().to_owned()));
        add("status", self.status.map(|s| s.as_str().to_owned()));
        add(
            "clock",
            self.clock
                .and_then(|c| CLOCKS.iter().find(|(_, v)| *v == c))
                .map(|(w, _)| (*w).to_owned()),
        );
        add("officer", self.officer.map(|o| o.0.to_string()));
        add("source", self.source.map(|s| s.as_str().to_owned()));
        add("restricted", self.restricted.then(|| "yes".to_owned()));
        add("shared", self.shared.then(|| "yes".to_owned()));
        add(
            "sort",
            (self.sort != WorklistSort::Due).then(|| {
                SORTS
                    .iter()
                    .find(|(_, s)| *s == self.sort)
                    .map(|(w, _)| (*w).to_owned())
                    .unwrap_or_default()
            }),
        );
        add("order", self.descending.then(|| "desc".to_owned()));
        pairs
    }
}

/// Pairs as a query string. Every value is one of the words or numbers checked above, so none needs escaping.
fn query_of(pairs: &[Applied]) -> String {
    pairs
        .iter()
        .map(|a| format!("{}={}", a.parameter, a.value))
        .collect::<Vec<_>>()
        .join("&")
}

/// A saved filter as the person sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SavedFilter {
    pub id: i64,
    pub name: String,
    /// The worklist query it applies (`list=mine&band=high`): `/cases?` followed by this shows it.
    pub query: String,
}

fn summary_text(summary: ClockSummary, now: Timestamp) -> String {
    match summary {
        ClockSummary::Running { due_at } => {
            severn_domain::sla::time_left(instant(due_at), now).to_string()
        }
        ClockSummary::Paused => "paused".to_owned(),
        ClockSummary::Stopped { in_time: true, .. } => "stopped in time".to_owned(),
        ClockSummary::Stopped { in_time: false, .. } => "stopped late".to_owned(),
    }
}

impl App {
    /// The lists a person may look at, and their team.
    async fn lists_of(
        &self,
        tx: &mut severn_store::Tx,
        actor: &Actor,
    ) -> Result<(Vec<Worklist>, Option<TeamId>)> {
        let team = match actor {
            Actor::Staff { id, .. } => tx.staff_by_id(*id).await?.and_then(|s| s.team_id),
            _ => None,
        };
        Ok((Worklist::available(actor, team), team))
    }

    /// A page of a worklist, as the parameters ask: one access through the gate, logged with what was asked.
    /// Page 1 records the person's visit to the list (after marking what is new since the last one).
    pub async fn worklist(&self, actor: &Actor, params: &WorklistParams) -> Result<WorklistPage> {
        let checked = params.check();
        // Only page 1 of a person's list writes (their visit): every other page is a read, which on SQLite
        // does not wait for the single writer.
        let visits = actor.staff_id().is_some() && checked.as_ref().is_ok_and(|a| a.page == 1);
        let mut tx = if visits {
            self.db().begin().await?
        } else {
            self.db().begin_read().await?
        };
        let (lists, team) = self.lists_of(&mut tx, actor).await?;
        let asked = checked.and_then(|asked| {
            let list = match asked.list {
                Some(list) if lists.contains(&list) => list,
                Some(list) => {
                    return Err(AppError::Invalid(format!(
                        "The parameter \"list\" cannot be \"{}\" for you: choose one of {}.",
                        list.as_str(),
                        lists
                            .iter()
                            .map(|l| l.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
                None => Worklist::default_for(actor, &lists)
                    .ok_or(AppError::Denied(severn_domain::access::Denial::Role))?,
            };
            Ok((list, asked))
        });
        let (list, asked) = match asked {
            Ok(found) => found,
            Err(error) => {
                drop(tx);
                let why = Why {
                    detail: Some("worklist".to_owned()),
                    ..Why::default()
                };
                return self
                    .logging_refusal(actor, Action::ViewQueue, "worklist", why, Err(error))
                    .await;
            }
        };
        let applied = asked.applied(list);
        let query = query_of(&applied);
        let why = Why {
            detail: Some(format!("worklist {query} page {}", asked.page)),
            ..Why::default()
        };
        let mut tx = match (list, actor.staff_id()) {
            (Worklist::Shared, _) => self.authorise_shares(tx, actor, "worklist", why).await?,
            _ => {
                self.authorise(tx, actor, Action::ViewQueue, "worklist", why)
                    .await?
            }
        };
        let me = actor.staff_id();
        let stored = match (list, me, team) {
            (Worklist::Mine, Some(me), _) => CaseList::OfficerInCharge(me),
            (Worklist::Team, _, Some(team)) => CaseList::Team(team),
            (Worklist::Supervised, Some(me), _) => CaseList::Supervised(me),
            (Worklist::Shared, Some(me), _) => CaseList::SharedWith(me),
            (Worklist::Unallocated, ..) => CaseList::Unallocated,
            (Worklist::AllOpen, ..) => CaseList::AllOpen,
            (Worklist::Closed, ..) => CaseList::Closed,
            // Worklist::available offers these only to a member of staff (with a team, for the team's).
            (Worklist::Mine | Worklist::Team | Worklist::Supervised | Worklist::Shared, ..) => {
                return Err(AppError::Invalid(
                    "Only a member of staff has this list.".into(),
                ));
            }
        };
        let now = self.now();
        let tool = active_tool_in(&mut tx, now).await?;
        let visit = match me {
            Some(me) => tx.worklist_visit(me, list.as_str()).await?,
            None => None,
        };
        let found = tx
            .worklist(
                &CaseQuery {
                    list: stored,
                    band: asked.band,
                    status: asked.status,
                    clock: asked.clock,
                    now,
                    due_soon: Band::ALL
                        .iter()
                        .map(|b| (*b, i64::from(tool.timescales().days(*b)) * 86_400 / 5))
                        .collect(),
                    officer: asked.officer,
                    source: asked.source.map(|s| s.as_str().to_owned()),
                    restricted_only: asked.restricted,
                    shared_only: asked.shared,
                    order: match asked.sort {
                        WorklistSort::Due => CaseOrder::Due,
                        WorklistSort::Received => CaseOrder::Received,
                        WorklistSort::Band => CaseOrder::Band,
                        WorklistSort::Case => CaseOrder::Number,
                    },
                    descending: asked.descending,
                    changed_since: visit,
                },
                WORKLIST_PAGE,
                (asked.page - 1).saturating_mul(WORKLIST_PAGE),
            )
            .await?;
        let officer_ids = match list {
            Worklist::Shared => Vec::new(),
            _ => tx.officers_in_charge().await?,
        };
        let mut named: Vec<StaffId> = found
            .cases
            .iter()
            .filter_map(|c| c.case.now.officer)
            .collect();
        named.extend(officer_ids.iter().copied());
        let names = staff_names(&mut tx, &named).await?;
        if let (Some(me), true) = (me, visits) {
            tx.set_worklist_visit(me, list.as_str(), now).await?;
        }
        tx.commit().await?;
        let at = instant(now);
        let entries = found
            .cases
            .into_iter()
            .map(|listed| {
                let row = listed.case;
                let due_at = match row.now.clock {
                    ClockSummary::Running { due_at } => Some(instant(due_at)),
                    _ => None,
                };
                let urgency = match due_at {
                    Some(due) => Clock {
                        band: row.now.band,
                        started: at,
                        state: ClockState::Running { due },
                    }
                    .urgency(tool.timescales(), at),
                    None => Urgency::OnTrack,
                };
                WorklistEntry {
                    case: row.id,
                    subject: row.subject_id,
                    band: row.now.band,
                    band_label: row.now.band.label(),
                    officer: row.now.officer.and_then(|o| names.get(&o).cloned()),
                    status: row.now.status.as_str(),
                    clock: match row.now.clock {
                        ClockSummary::Running { .. } => "running",
                        ClockSummary::Paused => "paused",
                        ClockSummary::Stopped { .. } => "stopped",
                    },
                    due_at,
                    urgency,
                    clock_text: summary_text(row.now.clock, at),
                    sources: listed.sources.iter().map(|s| source_label(s)).collect(),
                    restricted: listed.restricted,
                    shared: listed.shared,
                    new: visit.is_some_and(|v| row.now.updated_at > v),
                }
            })
            .collect();
        Ok(WorklistPage {
            entries,
            total: found.total,
            page: asked.page,
            pages: (found.total + WORKLIST_PAGE - 1) / WORKLIST_PAGE,
            list: list.as_str(),
            list_label: list.label(),
            lists: lists
                .iter()
                .map(|l| WorklistTab {
                    list: l.as_str(),
                    label: l.label(),
                })
                .collect(),
            new_since_visit: visit.map(|_| found.changed),
            query,
            applied,
            officers: officer_ids
                .into_iter()
                .map(|id| Officer {
                    id,
                    name: names
                        .get(&id)
                        .cloned()
                        .unwrap_or_else(|| format!("Staff {id}")),
                })
                .collect(),
        })
    }

    /// The person's own saved filters, by name.
    pub async fn saved_filters(&self, actor: &Actor) -> Result<Vec<SavedFilter>> {
        let Some(me) = actor.staff_id() else {
            return Ok(Vec::new());
        };
        let mut tx = self.db().begin_read().await?;
        let rows = tx.saved_filters(me).await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(|r| SavedFilter {
                id: r.id,
                name: r.name,
                query: r.query,
            })
            .collect())
    }

    /// Saves the worklist parameters given (checked, without the page) under a name, for the person alone; a
    /// filter of the same name is replaced.
    pub async fn save_filter(
        &self,
        actor: &Actor,
        name: &str,
        params: &WorklistParams,
    ) -> Result<SavedFilter> {
        let me = actor
            .staff_id()
            .ok_or_else(|| AppError::Invalid("Only a member of staff saves filters.".into()))?;
        let name = name.trim();
        if name.is_empty() {
            return Err(AppError::Invalid("Give the filter a name.".into()));
        }
        if name.chars().count() > FILTER_NAME_LIMIT {
            return Err(AppError::Invalid(format!(
                "A filter's name has at most {FILTER_NAME_LIMIT} characters."
            )));
        }
        check_text(FreeText::Note, name)?;
        if name.chars().any(char::is_control) {
            return Err(AppError::Invalid(
                "A filter's name cannot hold control characters.".into(),
            ));
        }
        let asked = params.check()?;
        let mut tx = self.db().begin().await?;
        let (lists, _) = self.lists_of(&mut tx, actor).await?;
        let list = match asked.list {
            Some(list) if lists.contains(&list) => list,
            Some(list) => {
                return Err(AppError::Invalid(format!(
                    "The parameter \"list\" cannot be \"{}\" for you: choose one of {}.",
                    list.as_str(),
                    lists
                        .iter()
                        .map(|l| l.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            None => Worklist::default_for(actor, &lists)
                .ok_or(AppError::Denied(severn_domain::access::Denial::Role))?,
        };
        let existing = tx.saved_filters(me).await?;
        if existing.len() >= SAVED_FILTERS_LIMIT && !existing.iter().any(|f| f.name == name) {
            return Err(AppError::Invalid(format!(
                "You have {SAVED_FILTERS_LIMIT} saved filters, the most there may be: delete one first."
            )));
        }
        let query = query_of(&asked.applied(list));
        let id = tx.save_filter(me, name, &query, self.now()).await?;
        tx.commit().await?;
        Ok(SavedFilter {
            id,
            name: name.to_owned(),
            query,
        })
    }

    /// Deletes one of the person's own saved filters; another person's, or none, is not there.
    pub async fn delete_filter(&self, actor: &Actor, id: i64) -> Result<()> {
        let missing = || AppError::NotFound("There is no saved filter of that number.".into());
        let me = actor.staff_id().ok_or_else(missing)?;
        let mut tx = self.db().begin().await?;
        if !tx.delete_saved_filter(me, id).await? {
            return Err(missing());
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> WorklistParams {
        let mut p = WorklistParams::default();
        for (k, v) in pairs {
            let v = Some((*v).to_owned());
            match *k {
                "list" => p.list = v,
                "page" => p.page = v,
                "band" => p.band = v,
                "status" => p.status = v,
                "clock" => p.clock = v,
                "officer" => p.officer = v,
                "source" => p.source = v,
                "restricted" => p.restricted = v,
                "shared" => p.shared = v,
                "sort" => p.sort = v,
                "order" => p.order = v,
                _ => unreachable!("no parameter {k}"),
            }
        }
        p
    }

    #[test]
    fn each_bad_parameter_is_refused_by_name_with_what_it_takes() {
        for (parameter, value, allowed) in [
            (
                "list",
                "everything",
                "mine, team, supervised, shared, unallocated, open, closed",
            ),
            ("page", "0", "a page number from 1"),
            ("band", "urgent", "very_high, high, medium, low"),
            ("status", "pending", "open, closed"),
            ("clock", "late", "overdue, due_soon, on_track, stopped"),
            ("officer", "smith", "a staff number"),
            (
                "source",
                "rumour",
                "ncmec, partner_agency, other_force, public_report, p2p_detection",
            ),
            ("restricted", "maybe", "yes, no, true, false"),
            ("shared", "2", "yes, no, true, false"),
            ("sort", "name", "due, received, band, case"),
            ("order", "up", "asc, desc"),
        ] {
            let error = params(&[(parameter, value)])
                .check()
                .unwrap_err()
                .to_string();
            assert!(error.contains(&format!("\"{parameter}\"")), "{error}");
            assert!(error.contains(allowed), "{error}");
        }
    }

    #[test]
    fn a_bad_value_is_shown_without_control_characters() {
        let error = params(&[("band", "x\u{1b}[31m")])
            .check()
            .unwrap_err()
            .to_string();
        assert!(!error.contains('\u{1b}'), "{error}");
    }

    #[test]
    fn the_applied_filters_read_back_as_the_same_query() {
        let asked = params(&[
            ("band", "high"),
            ("clock", "overdue"),
            ("restricted", "yes"),
            ("sort", "band"),
            ("order", "desc"),
            ("page", "3"),
        ])
        .check()
        .unwrap();
        let query = query_of(&asked.applied(Worklist::Team));
        assert_eq!(
            query,
            "list=team&band=high&clock=overdue&restricted=yes&sort=band&order=desc"
        );
        let again: Vec<(&str, &str)> = query
            .split('&')
            .map(|kv| kv.split_once('=').unwrap())
            .collect();
        let mut reread = params(&again).check().unwrap();
        reread.page = 3;
        assert_eq!(
            reread,
            Asked {
                list: Some(Worklist::Team),
                ..asked
            }
        );
    }

    #[test]
    fn lists_follow_the_role_the_team_and_the_organisation() {
        use severn_domain::ids::OrgId;
        let staff = |kind, roles: Vec<Role>| Actor::Staff {
            id: StaffId(1),
            username: "a".into(),
            org: OrgId(1),
            org_kind: kind,
            roles,
        };
        let investigator = staff(OrgKind::Force, vec![Role::Investigator]);
        assert!(!Worklist::available(&investigator, None).contains(&Worklist::Team));
        assert!(Worklist::available(&investigator, Some(TeamId(1))).contains(&Worklist::Team));
        assert!(!Worklist::available(&investigator, None).contains(&Worklist::Supervised));
        let analyst = staff(OrgKind::Force, vec![Role::Analyst]);
        assert!(!Worklist::available(&analyst, None).contains(&Worklist::Mine));
        assert_eq!(
            Worklist::default_for(&analyst, &Worklist::available(&analyst, None)),
            Some(Worklist::AllOpen)
        );
        let regional = staff(OrgKind::RegionalUnit, vec![Role::Investigator]);
        assert_eq!(
            Worklist::available(&regional, Some(TeamId(1))),
            vec![Worklist::Shared]
        );
        let auditor = staff(OrgKind::Force, vec![Role::Auditor]);
        assert!(Worklist::available(&auditor, None).is_empty());
    }
}
