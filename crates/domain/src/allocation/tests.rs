use super::*;
use crate::skills::seed_catalogue;
use jiff::civil::date;

fn code(value: &str) -> SkillCode {
    SkillCode::parse(value).unwrap()
}

fn codes(values: &[&str]) -> Vec<SkillCode> {
    values.iter().map(|v| code(v)).collect()
}

fn illustrative() -> AllocationPolicy {
    AllocationPolicy::from_toml(ILLUSTRATIVE_POLICY_V1).unwrap()
}

fn needs(band: Band, features: &[CaseFeature]) -> CaseNeeds {
    CaseNeeds {
        band,
        offence: None,
        features: features.iter().copied().collect(),
    }
}

fn required_codes(policy: &AllocationPolicy, needs: &CaseNeeds) -> Vec<String> {
    policy
        .required(needs)
        .into_iter()
        .map(|r| r.skill.to_string())
        .collect()
}

/// Problems of a policy that fails validation, as `at: problem` lines.
fn problems(text: &str) -> Vec<String> {
    match AllocationPolicy::from_toml(text) {
        Err(PolicyError::Invalid(problems)) => problems.iter().map(ToString::to_string).collect(),
        other => panic!("expected invalid, got {other:?}"),
    }
}

const HEAD: &str = "id = \"force-allocation\"\nversion = \"2026-1\"\nname = \"Force allocation\"\n\
                    large_volume_files = 500\n";

#[test]
fn the_illustrative_policy_is_valid_and_says_so() {
    let policy = illustrative();
    assert_eq!(policy.id(), "illustrative-allocation");
    assert_eq!(policy.version(), "1");
    assert_eq!(policy.name(), "Illustrative allocation policy");
    assert!(policy.illustrative());
    assert!(policy.notice().starts_with("ILLUSTRATIVE"));
    assert_eq!(policy.changes(), None);
    assert_eq!(policy.large_volume_files(), 1000);
    assert_eq!(policy.requirements().len(), 4);
    assert_eq!(policy.content_sha256().len(), 64);
    assert_eq!(
        policy.reference(),
        PolicyRef {
            id: "illustrative-allocation".to_owned(),
            version: "1".to_owned(),
            content_sha256: policy.content_sha256().to_owned(),
        }
    );
    assert!(policy.unknown_skills(&seed_catalogue()).is_empty());
}

#[test]
fn the_illustrative_policy_requires_by_band_and_feature() {
    let policy = illustrative();
    assert_eq!(required_codes(&policy, &needs(Band::Low, &[])), ["pip1"]);
    assert_eq!(required_codes(&policy, &needs(Band::Medium, &[])), ["pip1"]);
    assert_eq!(
        required_codes(&policy, &needs(Band::High, &[])),
        ["pip1", "pip2"]
    );
    assert_eq!(
        required_codes(
            &policy,
            &needs(Band::VeryHigh, &[CaseFeature::ChildrenAtRisk])
        ),
        ["pip1", "pip2", "scaidp"]
    );
    assert_eq!(
        required_codes(&policy, &needs(Band::Low, &[CaseFeature::Production])),
        ["pip1", "image_grading", "device_triage"]
    );
    assert_eq!(
        required_codes(&policy, &needs(Band::Low, &[CaseFeature::LargeVolume])),
        ["pip1", "image_grading", "device_triage"]
    );
    assert_eq!(
        required_codes(&policy, &needs(Band::Low, &[CaseFeature::Enticement])),
        ["pip1"]
    );
    let reasons: Vec<String> = policy
        .required(&needs(Band::High, &[]))
        .into_iter()
        .map(|r| r.because)
        .collect();
    assert_eq!(
        reasons,
        [
            "Every case needs an investigator trained to PIP level 1.",
            "High and Very High cases need a PIP level 2 investigator."
        ]
    );
}

#[test]
fn every_condition_given_must_hold_and_any_entry_meets_a_condition() {
    let policy = AllocationPolicy::from_toml(&format!(
        "{HEAD}\
         [[requirement]]\nbands = [\"high\", \"Very High\"]\nfeatures = [\"enticement\", \"production\"]\n\
         offences = [\"indecent images\", \"grooming\"]\nskills = [\"scaidp\"]\nreason = \"All three.\"\n"
    ))
    .unwrap();
    let case = |band, offence: Option<&str>, features: &[CaseFeature]| CaseNeeds {
        band,
        offence: offence.map(str::to_owned),
        features: features.iter().copied().collect(),
    };
    let all = case(
        Band::VeryHigh,
        Some("Making INDECENT images of children"),
        &[CaseFeature::Enticement],
    );
    assert_eq!(required_codes(&policy, &all), ["scaidp"]);
    let other_entries = case(
        Band::High,
        Some("Sexual communication (grooming)"),
        &[CaseFeature::Production, CaseFeature::LargeVolume],
    );
    assert_eq!(required_codes(&policy, &other_entries), ["scaidp"]);
    for (label, needs) in [
        (
            "band",
            case(
                Band::Medium,
                Some("indecent images"),
                &[CaseFeature::Enticement],
            ),
        ),
        (
            "offence",
            case(
                Band::High,
                Some("indecent image"),
                &[CaseFeature::Enticement],
            ),
        ),
        (
            "no offence",
            case(Band::High, None, &[CaseFeature::Enticement]),
        ),
        (
            "feature",
            case(
                Band::High,
                Some("indecent images"),
                &[CaseFeature::ChildrenAtRisk],
            ),
        ),
    ] {
        assert!(policy.required(&needs).is_empty(), "{label}");
    }
}

#[test]
fn offences_match_whole_words_in_order_ignoring_case_and_punctuation() {
    assert!(offence_matches(
        "Making indecent images of children",
        "Indecent  Images"
    ));
    assert!(offence_matches("s.15 grooming; meeting", "grooming"));
    assert!(!offence_matches(
        "Making indecent images",
        "images indecent"
    ));
    assert!(!offence_matches("Making indecent images", "image"));
    assert!(!offence_matches("anything", " - "));
}

#[test]
fn a_skill_asked_for_twice_is_listed_once_with_the_first_reason() {
    let policy = AllocationPolicy::from_toml(&format!(
        "{HEAD}\
         [[requirement]]\nskills = [\"pip1\", \"image_grading\"]\nreason = \"First.\"\n\
         [[requirement]]\nskills = [\"image_grading\", \"pip2\"]\nreason = \"Second.\"\n"
    ))
    .unwrap();
    let required = policy.required(&needs(Band::Low, &[]));
    assert_eq!(
        required,
        vec![
            Required {
                skill: code("pip1"),
                because: "First.".to_owned()
            },
            Required {
                skill: code("image_grading"),
                because: "First.".to_owned()
            },
            Required {
                skill: code("pip2"),
                because: "Second.".to_owned()
            },
        ]
    );
}

#[test]
fn a_policy_with_no_requirements_requires_nothing() {
    let policy = AllocationPolicy::from_toml(HEAD).unwrap();
    assert!(policy.required(&needs(Band::VeryHigh, &[])).is_empty());
    assert!(!policy.illustrative());
}

#[test]
fn unknown_and_missing_keys_are_refused_when_read() {
    let misspelt =
        format!("{HEAD}[[requirement]]\nband = [\"high\"]\nskills = [\"pip2\"]\nreason = \"r\"\n");
    let err = AllocationPolicy::from_toml(&misspelt).unwrap_err();
    assert!(
        matches!(&err, PolicyError::Parse(m) if m.contains("unknown field `band`")),
        "{err}"
    );
    let missing = "id = \"a\"\nversion = \"1\"\nname = \"A\"\n";
    let err = AllocationPolicy::from_toml(missing).unwrap_err();
    assert!(
        matches!(&err, PolicyError::Parse(m) if m.contains("large_volume_files")),
        "{err}"
    );
}

#[test]
fn the_top_level_fields_are_checked() {
    let text = "id = \"Force Allocation\"\nversion = \"v 2\"\nname = \" \"\nillustrative = true\n\
                large_volume_files = 0\n";
    assert_eq!(
        problems(text),
        [
            "id: must start with a lower-case letter and hold only lower-case letters, digits, `-` or `_`",
            "version: must be non-empty with no spaces",
            "name: must not be blank",
            "notice: an illustrative policy must say so to users",
            "large_volume_files: must be at least 1, or every case is a large volume",
        ]
    );
}

#[test]
fn every_bad_requirement_field_is_named() {
    let text = format!(
        "{HEAD}\
         [[requirement]]\nbands = [\"urgent\", \"high\", \"HIGH\"]\nskills = [\"pip1\"]\nreason = \"One.\"\n\
         [[requirement]]\nfeatures = [\"volume\", \"production\", \"production\"]\nskills = [\"pip1\"]\n\
         reason = \"Two.\"\n\
         [[requirement]]\nskills = [\"PIP 2\", \"pip2\", \"pip2\"]\nreason = \"Three.\"\n\
         [[requirement]]\nskills = []\nreason = \" \"\n\
         [[requirement]]\nbands = []\noffences = [\"\", \"grooming\", \"Grooming!\"]\nskills = [\"pip1\"]\n\
         reason = \"bad\\nreason\"\n\
         [[requirement]]\nbands = [\"urgent\", \"high\", \"HIGH\"]\nskills = [\"pip1\"]\nreason = \"Again.\"\n\
         [[requirement]]\nskills = [\"pip1\"]\nreason = \"{}\"\n",
        "x".repeat(301)
    );
    assert_eq!(
        problems(&text),
        [
            "requirement[1].bands: unknown band \"urgent\"",
            "requirement[1].bands: \"HIGH\" is listed twice",
            "requirement[2].features: unknown feature \"volume\"",
            "requirement[2].features: \"production\" is listed twice",
            "requirement[3].skills: a skill code is 1 to 40 lower-case letters, digits or `_`; \"PIP 2\" is not",
            "requirement[3].skills: \"pip2\" is listed twice",
            "requirement[4].skills: must list at least one skill",
            "requirement[4].reason: must say, in plain words, why the skills are needed",
            "requirement[5].bands: an empty list matches no case; leave the key out to match every case",
            "requirement[5].offences: an offence is one line of words, at most 100 characters; not \"\"",
            "requirement[5].offences: \"Grooming!\" is listed twice",
            "requirement[5].reason: must be one line without control characters",
            "requirement[6].bands: unknown band \"urgent\"",
            "requirement[6].bands: \"HIGH\" is listed twice",
            "requirement[6]: repeats requirement[1]",
            "requirement[7].reason: may be at most 300 characters",
        ]
    );
    let err = AllocationPolicy::from_toml(&text).unwrap_err().to_string();
    assert!(err.starts_with(
        "allocation policy is invalid: requirement[1].bands: unknown band \"urgent\"; requirement[1].bands"
    ));
}

#[test]
fn skills_the_catalogue_lacks_are_listed() {
    let policy = AllocationPolicy::from_toml(&format!(
        "{HEAD}[[requirement]]\nskills = [\"pip1\", \"drone_pilot\"]\nreason = \"r\"\n"
    ))
    .unwrap();
    assert_eq!(
        policy
            .unknown_skills(&seed_catalogue())
            .into_iter()
            .collect::<Vec<_>>(),
        [code("drone_pilot")]
    );
}

#[test]
fn features_are_read_from_signals() {
    let none = Signals::default();
    assert!(CaseFeature::from_signals(&none, 1000).is_empty());
    let signals = Signals {
        children_at_risk: 1,
        sextortion: true,
        files_possible_self_production: 2,
        files: 1000,
        ..Signals::default()
    };
    assert_eq!(
        CaseFeature::from_signals(&signals, 1000),
        CaseFeature::ALL.into_iter().collect()
    );
    assert!(!CaseFeature::from_signals(&signals, 1001).contains(&CaseFeature::LargeVolume));
    let access = Signals {
        access_to_children: true,
        online_enticement: true,
        ..Signals::default()
    };
    assert_eq!(
        illustrative().features(&access),
        [CaseFeature::ChildrenAtRisk, CaseFeature::Enticement]
            .into_iter()
            .collect()
    );
}

#[test]
fn features_have_stable_names_labels_and_forgiving_parsing() {
    for feature in CaseFeature::ALL {
        assert_eq!(CaseFeature::parse(feature.as_str()), Some(feature));
        assert_eq!(feature.to_string(), feature.label());
    }
    assert_eq!(
        CaseFeature::parse(" Large-Volume "),
        Some(CaseFeature::LargeVolume)
    );
    assert_eq!(
        CaseFeature::parse("children at risk"),
        Some(CaseFeature::ChildrenAtRisk)
    );
    assert_eq!(CaseFeature::parse("volume"), None);
    assert_eq!(
        serde_json::to_string(&CaseFeature::LargeVolume).unwrap(),
        "\"large_volume\""
    );
}

// 2026-12-04 is a Friday.
const TODAY: Date = date(2026, 12, 4);

fn trained(who: i64, skills: &[&str]) -> Vec<TrainingRecord> {
    skills
        .iter()
        .map(|s| TrainingRecord {
            staff: StaffId(who),
            skill: code(s),
            achieved_on: date(2024, 1, 1),
            expires_on: None,
            evidence: String::new(),
        })
        .collect()
}

fn candidate(who: i64, name: &str, skills: &[&str], live_cases: u32, capacity: u32) -> Candidate {
    Candidate {
        staff: StaffId(who),
        name: name.to_owned(),
        team: Some(TeamId(7)),
        held: trained(who, skills),
        live_cases,
        capacity,
        working_days: WorkingDays::MONDAY_TO_FRIDAY,
        absences: Vec::new(),
    }
}

fn order(ranked: &[Ranked]) -> Vec<(usize, &str)> {
    ranked.iter().map(|r| (r.rank, r.name.as_str())).collect()
}

#[test]
fn ranking_puts_policy_then_availability_then_spare_capacity_then_name_first() {
    let high = needs(Band::High, &[]);
    let mut away = candidate(6, "Fay", &["pip1", "pip2"], 0, 8);
    away.absences = vec![(date(2026, 12, 1), date(2026, 12, 10))];
    let candidates = [
        candidate(1, "Ann", &["pip1"], 0, 8),
        candidate(2, "Bea", &["pip1", "pip2"], 6, 8),
        candidate(3, "Cal", &["pip1", "pip2"], 3, 8),
        candidate(4, "dan", &["pip1", "pip2"], 8, 8),
        candidate(5, "Dan", &["pip1", "pip2"], 12, 8),
        away,
        candidate(7, "Abe", &["pip1", "pip2"], 3, 8),
    ];
    let ranked = rank(
        &illustrative(),
        &high,
        &candidates,
        &seed_catalogue(),
        TODAY,
    );
    assert_eq!(
        order(&ranked),
        [
            (1, "Abe"),
            (2, "Cal"),
            (3, "Bea"),
            // At capacity and over capacity alike: by name, case ignored, then as written.
            (4, "Dan"),
            (5, "dan"),
            (6, "Fay"),
            (7, "Ann"),
        ]
    );
    let reasons: Vec<&str> = ranked.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "Holds every required skill in date; 3 of 8 cases; available",
            "Holds every required skill in date; 3 of 8 cases; available",
            "Holds every required skill in date; 6 of 8 cases; available",
            "Holds every required skill in date; over capacity (12 of 8); available",
            "Holds every required skill in date; at capacity (8 of 8); available",
            "Holds every required skill in date; 0 of 8 cases; absent until 2026-12-10",
            "Lacks PIP level 2 (needs override); 0 of 8 cases; available",
        ]
    );
    assert!(ranked[..6].iter().all(|r| r.meets_policy));
    assert!(!ranked[6].meets_policy);
    assert_eq!(ranked[6].missing, codes(&["pip2"]));
    assert_eq!(
        ranked[5].available,
        Availability::AbsentUntil(date(2026, 12, 10))
    );
    assert_eq!((ranked[3].live_cases, ranked[3].capacity), (12, 8));
    assert_eq!(ranked[0].team, Some(TeamId(7)));
}

#[test]
fn identical_candidates_are_ordered_by_staff_id() {
    let candidates = [
        candidate(9, "Sam", &["pip1"], 1, 5),
        candidate(3, "Sam", &["pip1"], 1, 5),
    ];
    let ranked = rank(
        &illustrative(),
        &needs(Band::Low, &[]),
        &candidates,
        &[],
        TODAY,
    );
    assert_eq!(
        ranked.iter().map(|r| (r.rank, r.staff)).collect::<Vec<_>>(),
        [(1, StaffId(3)), (2, StaffId(9))]
    );
}

#[test]
fn expired_and_missing_skills_are_named_with_dates_and_need_an_override() {
    let mut lapsed = candidate(1, "Ann", &["pip1"], 8, 8);
    lapsed.held.push(TrainingRecord {
        staff: StaffId(1),
        skill: code("image_grading"),
        achieved_on: date(2025, 1, 4),
        expires_on: Some(date(2026, 1, 4)),
        evidence: String::new(),
    });
    lapsed.absences = vec![(date(2026, 12, 1), date(2026, 12, 10))];
    let mut only_expired = lapsed.clone();
    only_expired.staff = StaffId(2);
    only_expired.name = "Bea".to_owned();
    only_expired
        .held
        .extend(trained(2, &["pip2", "device_triage"]));
    let case = needs(Band::High, &[CaseFeature::Production]);
    let ranked = rank(
        &illustrative(),
        &case,
        &[lapsed, only_expired],
        &seed_catalogue(),
        TODAY,
    );
    assert_eq!(
        ranked[0].reason,
        "Lacks PIP level 2, device triage software (needs override); expired: image grading since 2026-01-04; \
         at capacity (8 of 8); absent until 2026-12-10"
    );
    assert_eq!(ranked[0].missing, codes(&["pip2", "device_triage"]));
    assert_eq!(ranked[0].expired, codes(&["image_grading"]));
    assert_eq!(
        ranked[1].reason,
        "Expired: image grading since 2026-01-04 (needs override); at capacity (8 of 8); absent until 2026-12-10"
    );
    assert!(ranked[1].missing.is_empty());
}

#[test]
fn a_skill_outside_the_catalogue_is_named_by_its_code() {
    let policy = AllocationPolicy::from_toml(&format!(
        "{HEAD}[[requirement]]\nskills = [\"drone_pilot\"]\nreason = \"r\"\n"
    ))
    .unwrap();
    let ranked = rank(
        &policy,
        &needs(Band::Low, &[]),
        &[candidate(1, "Ann", &[], 0, 1)],
        &seed_catalogue(),
        TODAY,
    );
    assert_eq!(
        ranked[0].reason,
        "Lacks drone_pilot (needs override); 0 of 1 cases; available"
    );
}

#[test]
fn no_requirement_and_capacity_zero_are_said_plainly() {
    let policy = AllocationPolicy::from_toml(HEAD).unwrap();
    let candidates = [
        candidate(1, "Ann", &[], 2, 0),
        candidate(2, "Bea", &[], 0, 0),
        candidate(3, "Cal", &[], 0, 1),
    ];
    let ranked = rank(&policy, &needs(Band::Low, &[]), &candidates, &[], TODAY);
    assert_eq!(
        ranked
            .iter()
            .map(|r| (r.name.as_str(), r.reason.as_str()))
            .collect::<Vec<_>>(),
        [
            (
                "Cal",
                "The policy requires no skills for this case; 0 of 1 cases; available"
            ),
            (
                "Ann",
                "The policy requires no skills for this case; takes no cases (capacity 0, 2 live); available"
            ),
            (
                "Bea",
                "The policy requires no skills for this case; takes no cases (capacity 0, 0 live); available"
            ),
        ]
    );
}

#[test]
fn availability_follows_absences_and_working_days() {
    let mut c = candidate(1, "Ann", &[], 0, 1);
    assert_eq!(c.availability(TODAY), Availability::Available);
    // Saturday.
    assert_eq!(
        c.availability(date(2026, 12, 5)),
        Availability::NotWorkingToday
    );
    c.working_days = WorkingDays::of([Weekday::Saturday, Weekday::Sunday]);
    assert_eq!(c.availability(date(2026, 12, 5)), Availability::Available);
    assert_eq!(c.availability(TODAY), Availability::NotWorkingToday);
    assert!(WorkingDays::EVERY_DAY.contains(Weekday::Sunday));

    c.working_days = WorkingDays::MONDAY_TO_FRIDAY;
    c.absences = vec![(date(2026, 11, 20), date(2026, 12, 3))];
    assert_eq!(
        c.availability(TODAY),
        Availability::Available,
        "ended yesterday"
    );
    c.absences = vec![(date(2026, 11, 20), TODAY)];
    assert_eq!(
        c.availability(TODAY),
        Availability::AbsentUntil(TODAY),
        "ends today"
    );
    c.absences = vec![(date(2026, 11, 20), date(2026, 12, 5))];
    assert_eq!(
        c.availability(TODAY),
        Availability::AbsentUntil(date(2026, 12, 5)),
        "ends tomorrow"
    );
    c.absences = vec![(date(2026, 12, 5), date(2026, 12, 9))];
    assert_eq!(
        c.availability(TODAY),
        Availability::Available,
        "starts tomorrow"
    );
    // An absence that runs straight on from another, listed out of order, extends it.
    c.absences = vec![
        (date(2026, 12, 11), date(2026, 12, 18)),
        (date(2026, 12, 1), date(2026, 12, 10)),
        (date(2026, 12, 20), date(2026, 12, 24)),
    ];
    assert_eq!(
        c.availability(TODAY),
        Availability::AbsentUntil(date(2026, 12, 18))
    );
    // Absent on a day off: absence is what is said.
    c.absences = vec![(date(2026, 12, 5), date(2026, 12, 6))];
    assert_eq!(
        c.availability(date(2026, 12, 5)),
        Availability::AbsentUntil(date(2026, 12, 6))
    );
}

#[test]
fn an_absence_ending_today_ranks_after_one_ending_yesterday() {
    let mut back = candidate(1, "Zoe", &["pip1"], 5, 8);
    back.absences = vec![(date(2026, 11, 20), date(2026, 12, 3))];
    let mut still_away = candidate(2, "Amy", &["pip1"], 0, 8);
    still_away.absences = vec![(date(2026, 11, 20), TODAY)];
    let mut day_off = candidate(3, "Ben", &["pip1"], 0, 8);
    day_off.working_days = WorkingDays::of([Weekday::Monday]);
    let ranked = rank(
        &illustrative(),
        &needs(Band::Low, &[]),
        &[back, still_away, day_off],
        &seed_catalogue(),
        TODAY,
    );
    assert_eq!(order(&ranked), [(1, "Zoe"), (2, "Amy"), (3, "Ben")]);
    assert_eq!(
        ranked[2].reason,
        "Holds every required skill in date; 0 of 8 cases; not working today"
    );
    assert_eq!(
        ranked[1].reason,
        "Holds every required skill in date; 0 of 8 cases; absent until 2026-12-04"
    );
}

#[test]
fn availability_is_serialised_with_its_last_day() {
    assert_eq!(
        serde_json::to_value(Availability::AbsentUntil(TODAY)).unwrap(),
        serde_json::json!({"status": "absent_until", "last_day": "2026-12-04"})
    );
    assert_eq!(
        serde_json::to_value(Availability::Available).unwrap(),
        serde_json::json!({"status": "available"})
    );
}

#[test]
fn check_passes_a_qualified_candidate_and_names_the_gaps_of_another() {
    let policy = illustrative();
    let case = needs(Band::High, &[CaseFeature::ChildrenAtRisk]);
    let qualified = candidate(1, "Ann", &["pip1", "pip2", "scaidp"], 0, 1);
    assert_eq!(check(&policy, &case, &qualified, TODAY), Ok(()));
    let mut lacking = candidate(2, "Bea", &["pip1"], 0, 1);
    lacking.held.push(TrainingRecord {
        staff: StaffId(2),
        skill: code("scaidp"),
        achieved_on: date(2020, 1, 1),
        expires_on: Some(TODAY),
        evidence: String::new(),
    });
    let err = check(&policy, &case, &lacking, TODAY).unwrap_err();
    assert_eq!(
        err,
        NeedsOverride {
            missing: codes(&["pip2"]),
            expired: codes(&["scaidp"]),
        }
    );
    assert_eq!(
        err.to_string(),
        "allocating this person needs a supervisor's override with a rationale: lacks pip2; expired: scaidp"
    );
}

#[test]
fn allocation_records_the_policy_and_needs_a_rationale_to_override() {
    let policy = illustrative();
    let case = needs(Band::High, &[]);
    let qualified = candidate(1, "Ann", &["pip1", "pip2"], 0, 1);
    let allocation = allocate(&policy, &case, &qualified, TODAY, Some("not needed")).unwrap();
    assert_eq!(
        allocation,
        Allocation {
            staff: StaffId(1),
            policy: policy.reference(),
            required: codes(&["pip1", "pip2"]),
            overridden: None,
        }
    );

    let lacking = candidate(2, "Bea", &["pip1"], 0, 1);
    for blank in [None, Some("  ")] {
        assert_eq!(
            allocate(&policy, &case, &lacking, TODAY, blank),
            Err(AllocationError::NeedsOverride(NeedsOverride {
                missing: codes(&["pip2"]),
                expired: vec![],
            }))
        );
    }
    let too_long = "x".repeat(2_001);
    assert!(matches!(
        allocate(&policy, &case, &lacking, TODAY, Some(&too_long)),
        Err(AllocationError::Rationale(TextError::TooLong {
            chars: 2_001,
            ..
        }))
    ));
    let allocation = allocate(
        &policy,
        &case,
        &lacking,
        TODAY,
        Some(" Only PIP2-trained officer is on leave; DS Khan supervises. "),
    )
    .unwrap();
    assert_eq!(
        allocation.overridden,
        Some(AllocationOverride {
            missing: codes(&["pip2"]),
            expired: vec![],
            rationale: "Only PIP2-trained officer is on leave; DS Khan supervises.".to_owned(),
        })
    );
    assert_eq!(allocation.policy.version, "1");
}

#[test]
fn two_thousand_candidates_are_ranked_quickly() {
    let policy = illustrative();
    let case = needs(
        Band::VeryHigh,
        &[CaseFeature::ChildrenAtRisk, CaseFeature::Production],
    );
    let all = [
        "pip1",
        "pip2",
        "scaidp",
        "image_grading",
        "device_triage",
        "risk_assessor",
    ];
    let candidates: Vec<Candidate> = (0..2_000)
        .map(|i| {
            let skills = &all[..(i % all.len()) + 1];
            let mut c = candidate(
                i as i64,
                &format!("Officer {i:04}"),
                skills,
                (i % 11) as u32,
                8,
            );
            if i % 7 == 0 {
                c.absences = vec![(date(2026, 12, 1), date(2026, 12, 8))];
            }
            c
        })
        .collect();
    let started = std::time::Instant::now();
    let ranked = rank(&policy, &case, &candidates, &seed_catalogue(), TODAY);
    let took = started.elapsed();
    assert_eq!(ranked.len(), 2_000);
    assert!(ranked.windows(2).all(|w| w[0].rank + 1 == w[1].rank));
    // Those meeting the policy hold the five skills: candidates whose index mod 6 is 4 or 5.
    let meeting = ranked.iter().take_while(|r| r.meets_policy).count();
    assert_eq!(meeting, 666);
    assert!(ranked[meeting..].iter().all(|r| !r.meets_policy));
    assert!(took < std::time::Duration::from_secs(1), "took {took:?}");
}
