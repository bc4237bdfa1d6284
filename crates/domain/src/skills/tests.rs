use super::*;
use jiff::civil::date;

fn staff(username: &str) -> Option<StaffId> {
    match username {
        "asmith" => Some(StaffId(1)),
        "bjones" => Some(StaffId(2)),
        "ckhan" => Some(StaffId(3)),
        _ => None,
    }
}

fn code(value: &str) -> SkillCode {
    SkillCode::parse(value).unwrap()
}

fn record(who: i64, skill: &str, achieved: Date, expires: Option<Date>) -> TrainingRecord {
    TrainingRecord {
        staff: StaffId(who),
        skill: code(skill),
        achieved_on: achieved,
        expires_on: expires,
        evidence: String::new(),
    }
}

fn errors_of(text: &str) -> Vec<String> {
    parse_training_csv(text, staff, &seed_catalogue())
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect()
}

const HEADER: &str = "username,skill,achieved_on,expires_on,evidence\n";

#[test]
fn skill_codes_are_lower_case_letters_digits_and_underscores_up_to_40() {
    assert_eq!(code("device_triage").as_str(), "device_triage");
    assert!(SkillCode::parse(&"a".repeat(40)).is_ok());
    for bad in ["", "PIP2", "pip-2", "pip 2", "pïp", &"a".repeat(41)] {
        assert_eq!(
            SkillCode::parse(bad),
            Err(SkillError::Code(bad.to_owned())),
            "{bad:?}"
        );
    }
    assert_eq!(
        SkillCode::parse("Pip\n2").unwrap_err().to_string(),
        "a skill code is 1 to 40 lower-case letters, digits or `_`; \"Pip\\\\n2\" is not"
    );
}

#[test]
fn skill_codes_are_checked_when_deserialized() {
    assert_eq!(
        serde_json::from_str::<SkillCode>("\"pip2\"").unwrap(),
        code("pip2")
    );
    assert!(serde_json::from_str::<SkillCode>("\"PIP2\"").is_err());
}

#[test]
fn skills_are_checked_for_name_and_renewal_period() {
    let skill = Skill::new("pip2", "  PIP level 2 ", Some(12)).unwrap();
    assert_eq!(skill.name, "PIP level 2");
    assert_eq!(Skill::new("pip2", " ", None), Err(SkillError::BlankName));
    assert_eq!(
        Skill::new("pip2", &"x".repeat(101), None),
        Err(SkillError::NameTooLong(101))
    );
    assert!(Skill::new("pip2", &"x".repeat(100), None).is_ok());
    assert_eq!(
        Skill::new("pip2", "PIP\u{202e}2", None),
        Err(SkillError::NameControl)
    );
    assert_eq!(
        Skill::new("pip2", "PIP", Some(0)),
        Err(SkillError::Renewal(0))
    );
    assert_eq!(
        Skill::new("pip2", "PIP", Some(601)),
        Err(SkillError::Renewal(601))
    );
    assert_eq!(
        Skill::new("PIP2", "PIP", None),
        Err(SkillError::Code("PIP2".to_owned()))
    );
}

#[test]
fn the_seed_catalogue_holds_the_six_starting_skills() {
    let codes: Vec<String> = seed_catalogue()
        .into_iter()
        .map(|s| s.code.to_string())
        .collect();
    assert_eq!(
        codes,
        [
            "pip1",
            "pip2",
            "scaidp",
            "device_triage",
            "image_grading",
            "risk_assessor"
        ]
    );
}

#[test]
fn renewal_adds_months_to_the_achieved_date() {
    let grading = Skill::new("image_grading", "image grading", Some(12)).unwrap();
    assert_eq!(
        grading.expiry_for(date(2024, 2, 29)),
        Some(date(2025, 2, 28))
    );
    let pip = Skill::new("pip1", "PIP level 1", None).unwrap();
    assert_eq!(pip.expiry_for(date(2024, 2, 29)), None);
}

#[test]
fn a_record_is_in_date_from_achievement_until_the_day_before_it_expires() {
    let r = record(1, "pip2", date(2025, 1, 10), Some(date(2026, 1, 10)));
    assert!(!r.in_date(date(2025, 1, 9)));
    assert!(r.in_date(date(2025, 1, 10)));
    assert!(r.in_date(date(2026, 1, 9)));
    assert!(!r.in_date(date(2026, 1, 10)));
    let never = record(1, "pip2", date(2025, 1, 10), None);
    assert!(never.in_date(date(2099, 1, 1)));
}

#[test]
fn standing_takes_the_best_record_of_the_skill() {
    let today = date(2026, 6, 1);
    let records = [
        record(1, "pip2", date(2020, 1, 1), Some(date(2021, 1, 1))),
        record(1, "pip2", date(2021, 1, 1), Some(date(2022, 3, 1))),
        record(1, "image_grading", date(2026, 1, 1), Some(date(2027, 1, 1))),
        record(1, "image_grading", date(2026, 2, 1), Some(date(2027, 2, 1))),
        record(1, "scaidp", date(2026, 7, 1), None),
        record(1, "pip1", date(2020, 1, 1), Some(date(2021, 1, 1))),
        record(1, "pip1", date(2021, 1, 1), None),
    ];
    assert_eq!(
        Standing::of(&records, &code("pip2"), today),
        Standing::Expired {
            since: date(2022, 3, 1)
        }
    );
    assert_eq!(
        Standing::of(&records, &code("image_grading"), today),
        Standing::InDate {
            expires_on: Some(date(2027, 2, 1))
        }
    );
    // Achieved only after the day asked about: not held yet.
    assert_eq!(
        Standing::of(&records, &code("scaidp"), today),
        Standing::Missing
    );
    assert_eq!(
        Standing::of(&records, &code("pip1"), today),
        Standing::InDate { expires_on: None }
    );
    assert_eq!(
        Standing::of(&records, &code("device_triage"), today),
        Standing::Missing
    );
}

#[test]
fn a_good_file_is_read_with_renewal_filling_an_empty_expiry() {
    let text = format!(
        "\u{feff}{HEADER}\
         asmith,pip2,2025-04-05,,PIP2 cert 1234\n\
         bjones,image_grading,2025-06-01,,\"Course IG-7, Leeds\"\n\
         ckhan, device_triage ,2025-01-01,2025-07-01,\n\
         \n"
    );
    let records = parse_training_csv(&text, staff, &seed_catalogue()).unwrap();
    assert_eq!(
        records,
        vec![
            TrainingRecord {
                staff: StaffId(1),
                skill: code("pip2"),
                achieved_on: date(2025, 4, 5),
                expires_on: None,
                evidence: "PIP2 cert 1234".to_owned(),
            },
            TrainingRecord {
                staff: StaffId(2),
                skill: code("image_grading"),
                achieved_on: date(2025, 6, 1),
                expires_on: Some(date(2026, 6, 1)),
                evidence: "Course IG-7, Leeds".to_owned(),
            },
            TrainingRecord {
                staff: StaffId(3),
                skill: code("device_triage"),
                achieved_on: date(2025, 1, 1),
                expires_on: Some(date(2025, 7, 1)),
                evidence: String::new(),
            },
        ]
    );
}

#[test]
fn a_header_only_file_holds_no_records() {
    assert_eq!(
        parse_training_csv(HEADER, staff, &seed_catalogue()),
        Ok(vec![])
    );
}

#[test]
fn an_empty_file_or_a_wrong_header_is_refused() {
    assert_eq!(
        errors_of(""),
        [
            "line 1, field header: the file is empty; expected username,skill,achieved_on,expires_on,evidence"
        ]
    );
    assert_eq!(
        errors_of("user,skill,achieved,expires,evidence\nasmith,pip2,2025-01-01,,\n"),
        [
            "line 1, field header: expected username,skill,achieved_on,expires_on,evidence; found \
          \"user,skill,achieved,expires,evidence\""
        ]
    );
}

#[test]
fn every_bad_field_is_reported_with_its_line_and_value() {
    let text = format!(
        "{HEADER}\
         asmith,pip2,2025-04-05,,ok\n\
         nobody,pip2,2025-04-05,,\n\
         ,pip2,2025-04-05,,\n\
         asmith,PIP2,2025-04-05,,\n\
         asmith,juggling,2025-04-05,,\n\
         asmith,pip1,4/5/2025,,\n\
         asmith,pip1,,,\n\
         asmith,scaidp,2025-04-05,2025-13-01,\n\
         ckhan,scaidp,2025-04-05,2025-04-04,\n\
         asmith,image_grading,2025-04-05,,{}\n\
         asmith,device_triage,2025-04-05,,bad\u{1b}[2J\n\
         asmith,pip2,2025-04-05\n\
         bjones,,20250405,,\n\
         asmith,pip2,2025-04-05,,again\n\
         bjones,pip1,2025-04-05,,@SUM(A1:A2)\n",
        "e".repeat(501)
    );
    assert_eq!(
        errors_of(&text),
        [
            "line 3, field username: unknown username: \"nobody\"",
            "line 4, field username: missing",
            "line 5, field skill: not a skill code (lower-case letters, digits, _): \"PIP2\"",
            "line 6, field skill: unknown skill: \"juggling\"",
            "line 7, field achieved_on: not a date (YYYY-MM-DD): \"4/5/2025\"",
            "line 8, field achieved_on: missing",
            "line 9, field expires_on: not a date (YYYY-MM-DD): \"2025-13-01\"",
            "line 10, field expires_on: 2025-04-04 is before achieved_on (2025-04-05)",
            "line 11, field evidence: The evidence may be at most 500 characters long; this one has 501. \
             Shorten it.",
            "line 12, field evidence: The evidence must be one line of text without control characters or \
             text-direction marks (it holds \\u{1b}).",
            "line 13, field row: has 3 fields; expected 5",
            "line 14, field skill: missing",
            "line 14, field achieved_on: not a date (YYYY-MM-DD): \"20250405\"",
            "line 15, field row: repeats line 2 (same person, skill and achieved_on)",
            "line 16, field evidence: must not start with =, +, - or @ (a spreadsheet would run it as a \
             formula): \"@SUM(A1:A2)\"",
        ]
    );
}

#[test]
fn one_bad_row_among_good_ones_returns_nothing() {
    let text = format!(
        "{HEADER}asmith,pip1,2025-01-01,,\nbjones,pip1,2025-01-01,,\nckhan,pip1,01-01-2025,,\n"
    );
    let errors = parse_training_csv(&text, staff, &seed_catalogue()).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line, 4);
    assert_eq!(errors[0].field, "achieved_on");
}

#[test]
fn expiry_on_the_achieved_day_is_accepted() {
    let text = format!("{HEADER}asmith,pip1,2025-01-01,2025-01-01,\n");
    let records = parse_training_csv(&text, staff, &seed_catalogue()).unwrap();
    assert_eq!(records[0].expires_on, Some(date(2025, 1, 1)));
}

#[test]
fn more_than_ten_thousand_rows_are_refused() {
    let mut text = HEADER.to_owned();
    for _ in 0..=TRAINING_CSV_ROW_LIMIT {
        text.push_str("asmith,pip1,2025-01-01,,\n");
    }
    let errors = parse_training_csv(&text, staff, &seed_catalogue()).unwrap_err();
    let last = errors.last().unwrap();
    assert_eq!(
        last.to_string(),
        "line 10002, field row: a file may hold at most 10000 rows; split it and import each part"
    );
}

#[test]
fn export_quotes_commas_and_quotes_and_reads_back_the_same() {
    let records = vec![
        (
            "asmith".to_owned(),
            TrainingRecord {
                staff: StaffId(1),
                skill: code("pip2"),
                achieved_on: date(2025, 4, 5),
                expires_on: None,
                evidence: "Cert \"A\", 12".to_owned(),
            },
        ),
        (
            "bjones".to_owned(),
            TrainingRecord {
                staff: StaffId(2),
                skill: code("image_grading"),
                achieved_on: date(2025, 6, 1),
                expires_on: Some(date(2026, 6, 1)),
                evidence: String::new(),
            },
        ),
    ];
    let text = training_csv(&records);
    assert_eq!(
        text,
        "username,skill,achieved_on,expires_on,evidence\n\
         asmith,pip2,2025-04-05,,\"Cert \"\"A\"\", 12\"\n\
         bjones,image_grading,2025-06-01,2026-06-01,\n"
    );
    let back = parse_training_csv(&text, staff, &seed_catalogue()).unwrap();
    assert_eq!(
        back,
        records.into_iter().map(|(_, r)| r).collect::<Vec<_>>()
    );
}

fn member(who: i64, team: i64, post: &str) -> Member {
    Member {
        staff: StaffId(who),
        name: format!("Officer {who}"),
        team: TeamId(team),
        post: post.to_owned(),
    }
}

fn requirements() -> Vec<RoleRequirement> {
    vec![
        RoleRequirement {
            role: "investigator".to_owned(),
            skills: vec![code("pip2"), code("image_grading")],
        },
        RoleRequirement {
            role: "Investigator".to_owned(),
            skills: vec![code("pip1")],
        },
        RoleRequirement {
            role: "triage".to_owned(),
            skills: vec![code("device_triage")],
        },
    ]
}

#[test]
fn coverage_sorts_required_skills_into_held_missing_expired_and_expiring() {
    let today = date(2026, 3, 1);
    let members = [
        member(1, 10, "Investigator "),
        member(2, 10, "investigator"),
        member(3, 20, "triage"),
        member(4, 20, "clerk"),
    ];
    let records = [
        // Member 1: everything in date; image grading lapses in exactly 90 days (inside), pip2 in 91 (outside).
        record(1, "pip1", date(2020, 1, 1), None),
        record(1, "pip2", date(2025, 1, 1), Some(date(2026, 5, 31))),
        record(
            1,
            "image_grading",
            date(2025, 5, 30),
            Some(date(2026, 5, 30)),
        ),
        // Member 2: pip2 lapsed, image grading never held; someone else's record does not count.
        record(2, "pip1", date(2020, 1, 1), None),
        record(2, "pip2", date(2024, 1, 1), Some(date(2026, 1, 4))),
        record(3, "image_grading", date(2025, 6, 1), None),
        // Member 3: device triage expiring tomorrow.
        record(3, "device_triage", date(2025, 3, 2), Some(date(2026, 3, 2))),
    ];
    let c = coverage(&members, &requirements(), &records, today);
    let m1 = &c.members[0];
    assert_eq!(m1.held, [code("image_grading"), code("pip1"), code("pip2")]);
    assert_eq!(
        m1.expiring,
        [Expiring {
            skill: code("image_grading"),
            expires_on: date(2026, 5, 30)
        }]
    );
    assert!(m1.covered && m1.missing.is_empty() && m1.expired.is_empty());
    let m2 = &c.members[1];
    assert_eq!(m2.held, [code("pip1")]);
    assert_eq!(m2.missing, [code("image_grading")]);
    assert_eq!(
        m2.expired,
        [Lapsed {
            skill: code("pip2"),
            since: date(2026, 1, 4)
        }]
    );
    assert!(!m2.covered);
    let m3 = &c.members[2];
    assert!(m3.covered);
    assert_eq!(
        m3.expiring,
        [Expiring {
            skill: code("device_triage"),
            expires_on: date(2026, 3, 2)
        }]
    );
    let m4 = &c.members[3];
    assert!(m4.covered && !m4.post_has_requirements && m4.held.is_empty());
    assert!(m1.post_has_requirements);
    assert_eq!(
        c.teams,
        [
            TeamShare {
                team: TeamId(10),
                covered: 1,
                members: 2,
                share: 0.5
            },
            TeamShare {
                team: TeamId(20),
                covered: 2,
                members: 2,
                share: 1.0
            },
        ]
    );
}

#[test]
fn coverage_is_serialised_for_output() {
    let c = coverage(
        &[member(1, 10, "triage")],
        &requirements(),
        &[],
        date(2026, 3, 1),
    );
    let json = serde_json::to_value(&c).unwrap();
    assert_eq!(json["members"][0]["missing"][0], "device_triage");
    assert_eq!(json["teams"][0]["share"], 0.0);
}
