//! Allocating cases to people with the right skills (HMICFRS recommendations 5 and 13): the staff register
//! (posts, capacity, working days, absences), each force's skills and training records (imported from CSV,
//! exported), training coverage, the allocation policy's versions, the ranked candidates for a case, the
//! allocation itself (with a supervisor's override and rationale when the officer lacks a required skill), and
//! the audit of allocations against the policy in force at the time.

use crate::casework::AuditPeriod;
use crate::gate::Why;
use crate::time::{instant, london_date};
use crate::{App, AppError, Result, check_text};
use jiff::civil::Date;
use serde::Serialize;
use severn_domain::access::{Action, Actor, Denial};
use severn_domain::allocation::{
    self, AllocationError, AllocationPolicy, Availability, Candidate, CaseNeeds,
    ILLUSTRATIVE_POLICY_V1, Ranked, WorkingDays,
};
use severn_domain::case::{EventKind, Fact, NewEvent};
use severn_domain::ids::{CaseId, EventId, OrgId, StaffId, TeamId};
use severn_domain::skills::{
    self, RoleRequirement, Skill, SkillCode, TeamCoverage, TrainingRecord, seed_catalogue,
};
use severn_domain::text::FreeText;
use severn_store::{AbsenceRow, AllocationPolicyRow, CaseRow, Scoped, StaffProfileRow, Tx};
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

/// Where coverage counts people who are in no team.
pub const NO_TEAM: TeamId = TeamId(0);

/// The most characters a post's name may hold.
const POST_LIMIT: usize = 100;

/// The active allocation policy. A new database gets the shipped illustrative policy.
async fn active_policy(tx: &mut Tx, now: i64) -> Result<AllocationPolicy> {
    if let Some(row) = tx.active_allocation_policy().await? {
        return AllocationPolicy::from_toml(&row.source).map_err(|e| {
            AppError::Tool(format!(
                "stored allocation policy {} {} no longer validates: {e}",
                row.policy_id, row.version
            ))
        });
    }
    let policy = AllocationPolicy::from_toml(ILLUSTRATIVE_POLICY_V1)
        .map_err(|e| AppError::Tool(format!("shipped allocation policy does not validate: {e}")))?;
    tx.save_allocation_policy(&policy_row(&policy, ILLUSTRATIVE_POLICY_V1, now))
        .await?;
    Ok(policy)
}

fn policy_row(policy: &AllocationPolicy, source: &str, now: i64) -> AllocationPolicyRow {
    AllocationPolicyRow {
        policy_id: policy.id().to_owned(),
        version: policy.version().to_owned(),
        source: source.to_owned(),
        content_sha256: policy.content_sha256().to_owned(),
        loaded_at: now,
    }
}

/// A force's skills: its catalogue, or the seed catalogue while it has none.
async fn catalogue(tx: &mut Scoped, org: OrgId) -> Result<Vec<Skill>> {
    let skills = tx.skills(org).await?;
    Ok(if skills.is_empty() {
        seed_catalogue()
    } else {
        skills
    })
}

/// The candidates for a force's cases: its active investigators and supervisors, with their profile (a person
/// with none has no capacity and works Monday to Friday), their training in the `required` skills (all the
/// ranking looks at), live cases and absences.
async fn candidates(
    tx: &mut Scoped,
    org: OrgId,
    today: Date,
    required: &[SkillCode],
) -> Result<Vec<Candidate>> {
    let staff = tx.allocatable_staff(org).await?;
    let profiles: HashMap<StaffId, StaffProfileRow> = tx
        .staff_profiles(org)
        .await?
        .into_iter()
        .map(|p| (p.staff_id, p))
        .collect();
    let mut training: HashMap<StaffId, Vec<TrainingRecord>> = HashMap::new();
    for record in tx.training_in(org, required).await? {
        training.entry(record.staff).or_default().push(record);
    }
    let mut absences: HashMap<StaffId, Vec<(Date, Date)>> = HashMap::new();
    for a in tx.absences(org, today).await? {
        absences
            .entry(a.staff_id)
            .or_default()
            .push((a.first_day, a.last_day));
    }
    let live: HashMap<StaffId, i64> = tx.live_cases(org).await?.into_iter().collect();
    Ok(staff
        .into_iter()
        .map(|s| {
            let profile = profiles.get(&s.id);
            Candidate {
                staff: s.id,
                name: s.display_name,
                team: s.team_id,
                held: training.remove(&s.id).unwrap_or_default(),
                live_cases: u32::try_from(live.get(&s.id).copied().unwrap_or(0))
                    .unwrap_or(u32::MAX),
                capacity: profile.map_or(0, |p| u32::try_from(p.capacity).unwrap_or(0)),
                working_days: profile.map_or(WorkingDays::MONDAY_TO_FRIDAY, |p| {
                    WorkingDays::from_bits(u8::try_from(p.working_days).unwrap_or(0))
                }),
                absences: absences.remove(&s.id).unwrap_or_default(),
            }
        })
        .collect())
}

/// What the policy asks of a case: its band, its offence (the first referral's incident type) and the
/// features its referrals' signals show.
async fn needs(tx: &mut Scoped, case: &CaseRow, policy: &AllocationPolicy) -> Result<CaseNeeds> {
    let referrals = tx.referrals_of_subjects(&[case.subject_id]).await?;
    let offence = referrals
        .iter()
        .min_by_key(|r| r.received_at)
        .and_then(|r| r.incident_type.clone());
    let signals = crate::assess::subject_signals(&referrals);
    Ok(CaseNeeds {
        band: case.now.band,
        offence,
        features: policy.features(&signals),
    })
}

/// The ranked candidates for a case, with what the policy requires of it and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CandidatesView {
    pub case: CaseId,
    /// The policy in force, `id@version`.
    pub policy: String,
    pub policy_name: String,
    pub required: Vec<RequiredSkill>,
    pub candidates: Vec<CandidateLine>,
}

/// A skill the policy requires of the case, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RequiredSkill {
    /// The skill's name.
    pub skill: String,
    pub because: String,
}

/// One candidate's place in the ranking, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CandidateLine {
    pub staff: StaffId,
    pub name: String,
    /// 1 is offered first.
    pub rank: usize,
    /// Holds every required skill, in date.
    pub meets_policy: bool,
    /// Required skills never held (codes).
    pub missing: Vec<String>,
    /// Required skills held but lapsed (codes).
    pub expired: Vec<String>,
    pub live_cases: u32,
    pub capacity: u32,
    /// `available`, `not_working_today` or `absent`.
    pub availability: &'static str,
    /// The last day of an absence.
    #[schema(value_type = Option<String>, format = Date)]
    pub absent_until: Option<Date>,
    /// Plain words: skills, workload, availability.
    pub reason: String,
}

impl From<Ranked> for CandidateLine {
    fn from(r: Ranked) -> CandidateLine {
        let (availability, absent_until) = match r.available {
            Availability::Available => ("available", None),
            Availability::NotWorkingToday => ("not_working_today", None),
            Availability::AbsentUntil(day) => ("absent", Some(day)),
        };
        CandidateLine {
            staff: r.staff,
            name: r.name,
            rank: r.rank,
            meets_policy: r.meets_policy,
            missing: r.missing.iter().map(|s| s.as_str().to_owned()).collect(),
            expired: r.expired.iter().map(|s| s.as_str().to_owned()).collect(),
            live_cases: r.live_cases,
            capacity: r.capacity,
            availability,
            absent_until,
            reason: r.reason,
        }
    }
}

/// What the allocation audit found over a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AllocationAudit {
    #[schema(value_type = String, format = DateTime)]
    pub from: jiff::Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub to: jiff::Timestamp,
    /// What was recorded by this instant counts: give it again to reproduce the figures.
    #[schema(value_type = String, format = DateTime)]
    pub known_at: jiff::Timestamp,
    pub allocations: usize,
    pub met_policy: usize,
    /// `met_policy / allocations`; null when there were none.
    pub share_met: Option<f64>,
    /// Every allocation that did not meet the policy in force at the time.
    pub against_policy: Vec<AllocationLine>,
    /// Every allocation, for the drill-down.
    pub all: Vec<AllocationLine>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AllocationLine {
    pub case: CaseId,
    pub event: EventId,
    #[schema(value_type = String, format = DateTime)]
    pub at: jiff::Timestamp,
    pub officer: StaffId,
    pub policy: String,
    pub met_policy: bool,
    pub missing: Vec<String>,
    pub override_rationale: Option<String>,
    pub by: String,
}

/// A person's post and workload, as an administrator sets them.
#[derive(Debug, Clone)]
pub struct Profile {
    pub post: String,
    pub capacity: u32,
    pub working_days: WorkingDays,
    /// Where notices about their cases are e-mailed.
    pub email: Option<String>,
}

/// A member of staff's register entry as pages and the API show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RegisterEntry {
    pub staff: StaffId,
    pub profile: Option<ProfileView>,
    /// Absences ending today or later, soonest first.
    pub absences: Vec<AbsenceView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProfileView {
    pub post: String,
    /// How many live cases they are meant to carry.
    pub capacity: u32,
    /// `monday` ... `sunday`.
    pub working_days: Vec<&'static str>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AbsenceView {
    #[schema(value_type = String, format = Date)]
    pub first_day: Date,
    #[schema(value_type = String, format = Date)]
    pub last_day: Date,
    pub reason: String,
}

/// The days of the week, Monday first, as the register names them.
pub const WEEKDAYS: [(jiff::civil::Weekday, &str); 7] = [
    (jiff::civil::Weekday::Monday, "monday"),
    (jiff::civil::Weekday::Tuesday, "tuesday"),
    (jiff::civil::Weekday::Wednesday, "wednesday"),
    (jiff::civil::Weekday::Thursday, "thursday"),
    (jiff::civil::Weekday::Friday, "friday"),
    (jiff::civil::Weekday::Saturday, "saturday"),
    (jiff::civil::Weekday::Sunday, "sunday"),
];

fn working_day_names(days: WorkingDays) -> Vec<&'static str> {
    WEEKDAYS
        .iter()
        .filter(|(day, _)| days.contains(*day))
        .map(|(_, name)| *name)
        .collect()
}

impl App {
    /// A transaction on a force's register (skills, training, coverage) for `actor`, authorised and logged: the
    /// force an operator names, or the actor's own. Someone naming another organisation's register is refused,
    /// and the refusal logged.
    async fn register(
        &self,
        actor: &Actor,
        org: Option<OrgId>,
        what: &str,
        read: bool,
    ) -> Result<(Scoped, OrgId)> {
        let tx = if read {
            self.db().begin_read().await?
        } else {
            self.db().begin().await?
        };
        let org = match (actor.org(), org) {
            (Some(mine), Some(asked)) if mine != asked => {
                let target = format!("{what}:{asked}");
                self.refuse(
                    tx,
                    actor,
                    Action::ManageStaff,
                    &target,
                    Why::default(),
                    Denial::OtherForce,
                )
                .await?;
                return Err(AppError::Denied(Denial::OtherForce));
            }
            (_, Some(org)) | (Some(org), None) => org,
            (None, None) => return Err(AppError::Invalid("Name the force (--org).".into())),
        };
        let tx = self
            .authorise(
                tx,
                actor,
                Action::ManageStaff,
                &format!("{what}:{org}"),
                Why::default(),
            )
            .await?;
        Ok((tx, org))
    }

    /// Installs an allocation policy version (validated) and makes it the active one. Operators only.
    pub async fn install_allocation_policy(
        &self,
        actor: &Actor,
        source: &str,
    ) -> Result<AllocationPolicy> {
        let policy =
            AllocationPolicy::from_toml(source).map_err(|e| AppError::Tool(e.to_string()))?;
        let unknown = policy.unknown_skills(&seed_catalogue());
        let tx = self.db().begin().await?;
        let target = format!("allocation_policy:{} {}", policy.id(), policy.version());
        let why = Why {
            detail: (!unknown.is_empty()).then(|| {
                let codes: Vec<&str> = unknown.iter().map(SkillCode::as_str).collect();
                format!("skills outside the seed catalogue: {}", codes.join(", "))
            }),
            ..Why::default()
        };
        let mut tx = self
            .authorise(tx, actor, Action::InstallAllocationPolicy, &target, why)
            .await?;
        tx.save_allocation_policy(&policy_row(&policy, source, self.now()))
            .await?;
        tx.commit().await?;
        Ok(policy)
    }

    /// The allocation policy in force.
    pub async fn allocation_policy(&self) -> Result<AllocationPolicy> {
        let mut tx = self.db().begin().await?;
        let policy = active_policy(&mut tx, self.now()).await?;
        tx.commit().await?;
        Ok(policy)
    }

    /// Sets a person's post, capacity and working days. Administrators of their organisation.
    pub async fn set_profile(
        &self,
        actor: &Actor,
        staff: StaffId,
        profile: &Profile,
    ) -> Result<()> {
        let post = profile.post.trim();
        if post.is_empty() || post.chars().count() > POST_LIMIT {
            return Err(AppError::Invalid(format!(
                "A post is 1 to {POST_LIMIT} characters."
            )));
        }
        check_text(FreeText::DisplayName, post)?;
        if let Some(email) = &profile.email
            && !crate::mail::plain_address(email)
        {
            return Err(AppError::Invalid(format!(
                "{email:?} is not an e-mail address: give one mailbox, name@domain."
            )));
        }
        let mut tx = self.staff_record(actor, staff).await?;
        tx.set_staff_profile(&StaffProfileRow {
            staff_id: staff,
            post: post.to_owned(),
            capacity: i64::from(profile.capacity),
            working_days: i64::from(profile.working_days.bits()),
            email: profile.email.clone(),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records an absence (leave, a course, sickness), first and last day included.
    pub async fn add_absence(
        &self,
        actor: &Actor,
        staff: StaffId,
        (first_day, last_day): (Date, Date),
        reason: &str,
    ) -> Result<()> {
        if last_day < first_day {
            return Err(AppError::Invalid(format!(
                "The absence ends ({last_day}) before it starts ({first_day})."
            )));
        }
        check_text(FreeText::Description, reason)?;
        let mut tx = self.staff_record(actor, staff).await?;
        tx.add_absence(&AbsenceRow {
            staff_id: staff,
            first_day,
            last_day,
            reason: reason.trim().to_owned(),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A member of staff's register entry: their post, capacity, working days and e-mail address (none until an
    /// administrator sets them), and their absences from today on.
    pub async fn register_entry(&self, actor: &Actor, staff: StaffId) -> Result<RegisterEntry> {
        let mut tx = self.staff_record(actor, staff).await?;
        let org = tx
            .staff_by_id(staff)
            .await?
            .map(|row| row.org_id)
            .ok_or_else(|| AppError::NotFound(format!("There is no member of staff {staff}.")))?;
        let today = london_date(instant(self.now()));
        let profile = tx
            .staff_profiles(org)
            .await?
            .into_iter()
            .find(|p| p.staff_id == staff)
            .map(|p| ProfileView {
                post: p.post,
                capacity: u32::try_from(p.capacity).unwrap_or(0),
                working_days: working_day_names(WorkingDays::from_bits(
                    u8::try_from(p.working_days).unwrap_or(0),
                )),
                email: p.email,
            });
        let absences = tx
            .absences(org, today)
            .await?
            .into_iter()
            .filter(|a| a.staff_id == staff)
            .map(|a| AbsenceView {
                first_day: a.first_day,
                last_day: a.last_day,
                reason: a.reason,
            })
            .collect();
        tx.commit().await?;
        Ok(RegisterEntry {
            staff,
            profile,
            absences,
        })
    }

    /// A transaction on one member of staff's register entry, authorised and logged: someone of the actor's own
    /// organisation (any, for an operator). Anyone else is answered as not there, and the refusal logged.
    async fn staff_record(&self, actor: &Actor, staff: StaffId) -> Result<Scoped> {
        let target = format!("staff:{staff}");
        let tx = self.db().begin().await?;
        let mut tx = self
            .authorise(tx, actor, Action::ManageStaff, &target, Why::default())
            .await?;
        match tx.staff_by_id(staff).await? {
            Some(row) if actor.org().is_none_or(|org| org == row.org_id) => Ok(tx),
            _ => {
                drop(tx);
                let missing = AppError::NotFound(format!("There is no member of staff {staff}."));
                self.logging_refusal(
                    actor,
                    Action::ManageStaff,
                    &target,
                    Why::default(),
                    Err(missing),
                )
                .await
            }
        }
    }

    /// Adds a skill to a force's catalogue (or renames it, or changes its renewal period).
    pub async fn put_skill(&self, actor: &Actor, org: Option<OrgId>, skill: &Skill) -> Result<()> {
        let (mut tx, org) = self.register(actor, org, "skills", false).await?;
        if tx.skills(org).await?.is_empty() {
            // The first skill a force adds starts its catalogue from the seed, so the seed's skills stay.
            for seed in seed_catalogue() {
                tx.put_skill(org, &seed).await?;
            }
        }
        tx.put_skill(org, skill).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The names of a force's teams (the actor's own unless an operator names one), for showing coverage by
    /// team: the force's structure, not personal data, so not a logged access.
    pub async fn team_names(
        &self,
        actor: &Actor,
        org: Option<OrgId>,
    ) -> Result<BTreeMap<TeamId, String>> {
        let Some(org) = org.or(actor.org()) else {
            return Ok(BTreeMap::new());
        };
        let mut tx = self.db().begin_read().await?;
        let names = tx.team_names(org).await?.into_iter().collect();
        tx.commit().await?;
        Ok(names)
    }

    /// A force's skills.
    pub async fn skills(&self, actor: &Actor, org: Option<OrgId>) -> Result<Vec<Skill>> {
        let (mut tx, org) = self.register(actor, org, "skills", true).await?;
        let skills = catalogue(&mut tx, org).await?;
        tx.commit().await?;
        Ok(skills)
    }

    /// Imports training records from CSV (`username,skill,achieved_on,expires_on,evidence`): every row is
    /// checked first, and one bad row refuses the whole file, listing each bad row. Returns how many were added.
    pub async fn import_training(
        &self,
        actor: &Actor,
        org: Option<OrgId>,
        csv: &str,
    ) -> Result<usize> {
        let (mut tx, org) = self.register(actor, org, "training", false).await?;
        let target = format!("training:{org}");
        let staff: HashMap<String, StaffId> = tx
            .all_staff()
            .await?
            .into_iter()
            .filter(|s| s.org_id == org)
            .map(|s| (s.username, s.id))
            .collect();
        let skills = catalogue(&mut tx, org).await?;
        let parsed = skills::parse_training_csv(csv, |name| staff.get(name).copied(), &skills);
        let records = match parsed {
            Ok(records) => records,
            Err(errors) => {
                drop(tx);
                let lines: Vec<String> = errors.iter().take(50).map(|e| e.to_string()).collect();
                let more = errors.len().saturating_sub(lines.len());
                let mut message = format!(
                    "Nothing was imported: {} row(s) need correcting.\n{}",
                    errors.len(),
                    lines.join("\n")
                );
                if more > 0 {
                    message.push_str(&format!("\n... and {more} more"));
                }
                return self
                    .logging_refusal(
                        actor,
                        Action::ManageStaff,
                        &target,
                        Why::default(),
                        Err(AppError::Invalid(message)),
                    )
                    .await;
            }
        };
        let known: std::collections::HashSet<(StaffId, String, Date)> = tx
            .training(org)
            .await?
            .into_iter()
            .map(|r| (r.staff, r.skill.as_str().to_owned(), r.achieved_on))
            .collect();
        let new: Vec<TrainingRecord> = records
            .into_iter()
            .filter(|r| !known.contains(&(r.staff, r.skill.as_str().to_owned(), r.achieved_on)))
            .collect();
        tx.insert_training(&new, self.now(), &actor.audit_name())
            .await?;
        tx.commit().await?;
        Ok(new.len())
    }

    /// A force's training records, each with its holder's user name (`skills::training_csv` writes them in
    /// the import's format).
    pub async fn training_records(
        &self,
        actor: &Actor,
        org: Option<OrgId>,
    ) -> Result<Vec<(String, TrainingRecord)>> {
        let (mut tx, org) = self.register(actor, org, "training", true).await?;
        let names: HashMap<StaffId, String> = tx
            .all_staff()
            .await?
            .into_iter()
            .map(|s| (s.id, s.username))
            .collect();
        let records = tx.training(org).await?;
        tx.commit().await?;
        Ok(records
            .into_iter()
            .map(|r| (names.get(&r.staff).cloned().unwrap_or_default(), r))
            .collect())
    }

    /// Sets the skills a post requires in a force.
    pub async fn require_for_post(
        &self,
        actor: &Actor,
        org: Option<OrgId>,
        post: &str,
        required: &[String],
    ) -> Result<()> {
        let codes = required
            .iter()
            .map(|code| SkillCode::parse(code).map_err(|e| AppError::Invalid(e.to_string())))
            .collect::<Result<Vec<_>>>()?;
        let (mut tx, org) = self.register(actor, org, "training", false).await?;
        let known = catalogue(&mut tx, org).await?;
        if let Some(unknown) = codes.iter().find(|c| !known.iter().any(|s| &s.code == *c)) {
            return Err(AppError::Invalid(format!(
                "{unknown} is not one of the force's skills."
            )));
        }
        tx.set_post_requirement(org, post.trim(), &codes).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Who in each team holds what their post requires, what lapses in the next 90 days, and each team's
    /// share covered. People with a post and no team are counted under [`NO_TEAM`]; people with no post are
    /// left out (nothing is required of them).
    pub async fn training_coverage(
        &self,
        actor: &Actor,
        org: Option<OrgId>,
    ) -> Result<TeamCoverage> {
        let (mut tx, org) = self.register(actor, org, "training", true).await?;
        let profiles: HashMap<StaffId, String> = tx
            .staff_profiles(org)
            .await?
            .into_iter()
            .map(|p| (p.staff_id, p.post))
            .collect();
        let members: Vec<skills::Member> = tx
            .all_staff()
            .await?
            .into_iter()
            .filter(|s| s.org_id == org && s.active)
            .filter_map(|s| {
                Some(skills::Member {
                    post: profiles.get(&s.id)?.clone(),
                    staff: s.id,
                    name: s.display_name,
                    team: s.team_id.unwrap_or(NO_TEAM),
                })
            })
            .collect();
        let mut by_post: BTreeMap<String, Vec<SkillCode>> = BTreeMap::new();
        for (post, skill) in tx.post_requirements(org).await? {
            by_post.entry(post).or_default().push(skill);
        }
        let requirements: Vec<RoleRequirement> = by_post
            .into_iter()
            .map(|(role, skills)| RoleRequirement { role, skills })
            .collect();
        let records = tx.training(org).await?;
        tx.commit().await?;
        Ok(skills::coverage(
            &members,
            &requirements,
            &records,
            london_date(self.clock.now()),
        ))
    }

    /// The candidates for a case, ranked, each with the reason for their place.
    pub async fn candidates(
        &self,
        actor: &Actor,
        case: CaseId,
        why: Why,
    ) -> Result<CandidatesView> {
        let (mut tx, row) = self
            .authorise_on_case(actor, Action::Allocate, case, why)
            .await?;
        let org = row
            .owner_org
            .ok_or_else(|| AppError::Invalid("The case has no owning force yet.".into()))?;
        let policy = active_policy(&mut tx, self.now()).await?;
        let needs = needs(&mut tx, &row, &policy).await?;
        let today = london_date(self.clock.now());
        let required: Vec<SkillCode> = policy
            .required(&needs)
            .into_iter()
            .map(|r| r.skill)
            .collect();
        let people = candidates(&mut tx, org, today, &required).await?;
        let skills = catalogue(&mut tx, org).await?;
        tx.commit().await?;
        let name = |code: &SkillCode| {
            skills
                .iter()
                .find(|s| &s.code == code)
                .map_or_else(|| code.as_str().to_owned(), |s| s.name.clone())
        };
        Ok(CandidatesView {
            case,
            policy: format!("{}@{}", policy.id(), policy.version()),
            policy_name: policy.name().to_owned(),
            required: policy
                .required(&needs)
                .into_iter()
                .map(|r| RequiredSkill {
                    skill: name(&r.skill),
                    because: r.because,
                })
                .collect(),
            candidates: allocation::rank(&policy, &needs, &people, &skills, today)
                .into_iter()
                .map(CandidateLine::from)
                .collect(),
        })
    }

    /// Allocates a case to an officer in charge (with a supervisor: the person allocating, unless another is
    /// named). When the officer lacks a skill the policy requires, the allocation needs `override_rationale`;
    /// the event records the policy in force and what was overridden.
    pub async fn allocate(
        &self,
        actor: &Actor,
        case: CaseId,
        (officer, supervisor): (StaffId, Option<StaffId>),
        override_rationale: Option<&str>,
        why: Why,
    ) -> Result<EventId> {
        let target = format!("case:{case}");
        let why = Why {
            detail: Some(format!("allocate to staff {officer}")),
            ..why
        };
        let (mut tx, row) = self
            .authorise_on_case(actor, Action::Allocate, case, why.clone())
            .await?;
        let outcome = self
            .allocate_in(
                &mut tx,
                actor,
                &row,
                officer,
                supervisor,
                override_rationale,
            )
            .await;
        match outcome {
            Ok(id) => {
                tx.commit().await?;
                Ok(id)
            }
            Err(error) => {
                drop(tx);
                self.logging_refusal(actor, Action::Allocate, &target, why, Err(error))
                    .await
            }
        }
    }

    async fn allocate_in(
        &self,
        tx: &mut Scoped,
        actor: &Actor,
        row: &CaseRow,
        officer: StaffId,
        supervisor: Option<StaffId>,
        override_rationale: Option<&str>,
    ) -> Result<EventId> {
        let org = row
            .owner_org
            .ok_or_else(|| AppError::Invalid("The case has no owning force yet.".into()))?;
        let policy = active_policy(tx, self.now()).await?;
        let needs = needs(tx, row, &policy).await?;
        let today = london_date(self.clock.now());
        let required: Vec<SkillCode> = policy
            .required(&needs)
            .into_iter()
            .map(|r| r.skill)
            .collect();
        let people = candidates(tx, org, today, &required).await?;
        let Some(candidate) = people.iter().find(|c| c.staff == officer) else {
            return Err(AppError::Invalid(format!(
                "Staff {officer} is not an active investigator or supervisor of the case's force."
            )));
        };
        let supervisor = supervisor.or_else(|| actor.staff_id());
        if let Some(supervisor) = supervisor
            && !people.iter().any(|c| c.staff == supervisor)
        {
            return Err(AppError::Invalid(format!(
                "Staff {supervisor} is not an active supervisor of the case's force."
            )));
        }
        let allocation = match allocation::allocate(
            &policy,
            &needs,
            candidate,
            today,
            override_rationale,
        ) {
            Ok(allocation) => allocation,
            Err(AllocationError::NeedsOverride(gaps)) => {
                let skills = catalogue(tx, org).await?;
                let name = |code: &SkillCode| {
                    skills
                        .iter()
                        .find(|s| &s.code == code)
                        .map_or_else(|| code.as_str().to_owned(), |s| s.name.clone())
                };
                let mut lacking: Vec<String> = gaps.missing.iter().map(name).collect();
                lacking.extend(gaps.expired.iter().map(|c| format!("{} (lapsed)", name(c))));
                return Err(AppError::Invalid(format!(
                    "{} lacks {}, which the allocation policy requires for this case. Give an override \
                         rationale to allocate it to them anyway.",
                    candidate.name,
                    lacking.join(", ")
                )));
            }
            Err(other) => return Err(AppError::Invalid(other.to_string())),
        };
        let (missing, rationale) = match allocation.overridden {
            Some(o) => (
                o.missing
                    .iter()
                    .chain(o.expired.iter())
                    .map(|s| s.as_str().to_owned())
                    .collect(),
                Some(o.rationale),
            ),
            None => (Vec::new(), None),
        };
        let event = NewEvent {
            fact: Fact::Allocated {
                officer,
                supervisor,
                policy: format!("{}@{}", allocation.policy.id, allocation.policy.version),
                met_policy: rationale.is_none(),
                missing,
                override_rationale: rationale,
            },
            occurred_at: self.clock.now(),
            supersedes: None,
            rationale: None,
            correction: false,
        };
        self.record_event_in(tx, actor, row, &event).await
    }

    /// Allocations made in `[from, to)` in the person's force: how many met the policy in force at the time,
    /// and each that did not, with its override rationale.
    pub async fn allocation_audit(
        &self,
        actor: &Actor,
        period: AuditPeriod,
    ) -> Result<AllocationAudit> {
        let AuditPeriod { from, to, .. } = period;
        let known_at = period.known_at(instant(self.now()));
        let tx = self.db().begin_read().await?;
        let why = Why {
            detail: Some(format!(
                "allocation audit {from} to {to} as known at {known_at}"
            )),
            ..Why::default()
        };
        let mut tx = self
            .authorise(tx, actor, Action::ViewQueue, "audit:allocation", why)
            .await?;
        let events = crate::casework::events_in_force_between(
            &mut tx,
            &[EventKind::Allocated],
            from.as_second(),
            to.as_second(),
            known_at,
        )
        .await?;
        tx.commit().await?;
        let all: Vec<AllocationLine> = events
            .into_iter()
            .filter_map(|(case, e)| match e.fact {
                Fact::Allocated {
                    officer,
                    policy,
                    met_policy,
                    missing,
                    override_rationale,
                    ..
                } => Some(AllocationLine {
                    case,
                    event: e.id,
                    at: e.occurred_at,
                    officer,
                    policy,
                    met_policy,
                    missing,
                    override_rationale,
                    by: e.recorded_by,
                }),
                _ => None,
            })
            .collect();
        let met = all.iter().filter(|a| a.met_policy).count();
        Ok(AllocationAudit {
            from,
            to,
            known_at,
            allocations: all.len(),
            met_policy: met,
            share_met: (!all.is_empty()).then(|| met as f64 / all.len() as f64),
            against_policy: all.iter().filter(|a| !a.met_policy).cloned().collect(),
            all,
        })
    }
}
