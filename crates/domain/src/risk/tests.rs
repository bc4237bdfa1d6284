use super::*;
use crate::report::{
    FileAnnotation, FileInfo, Format, Identifier, IdentifierKind, IncidentType,
    IndustryClassification, Person, PersonRole, ReferralSource, Report, ReportAnnotation,
    SourceRef,
};
use crate::sla::{ClockStart, StopEvent};
use std::collections::BTreeSet;

fn v1() -> RiskTool {
    RiskTool::from_toml(ILLUSTRATIVE_TOOL_V1).expect("v1 parses and validates")
}

fn v2() -> RiskTool {
    RiskTool::from_toml(ILLUSTRATIVE_TOOL_V2).expect("v2 parses and validates")
}

/// One reported person, one B2 file, nothing flagged.
fn plain_report() -> Report {
    Report {
        incident_type: Some(IncidentType::ChildPornography),
        people: vec![Person::new(PersonRole::Reported)],
        files: vec![FileInfo {
            industry_classification: Some(IndustryClassification::B2),
            ..FileInfo::default()
        }],
        ..Report::new(
            SourceRef::NcmecReportId("100".to_owned()),
            Format::CybertipXml,
            ReferralSource::Ncmec,
            "0".repeat(64),
        )
    }
}

fn enticement_report_with_access() -> Report {
    let mut report = plain_report();
    report.incident_type = Some(IncidentType::OnlineEnticement);
    report.people[0].access_to_children = Some(true);
    report
}

/// The error text for a copy of v1 with one edit.
fn error_after(from: &str, to: &str) -> String {
    assert!(ILLUSTRATIVE_TOOL_V1.contains(from), "v1 contains {from:?}");
    let text = ILLUSTRATIVE_TOOL_V1.replacen(from, to, 1);
    RiskTool::from_toml(&text)
        .expect_err("edited tool is refused")
        .to_string()
}

fn answers(pairs: &[(&str, Answer)]) -> Answers {
    pairs
        .iter()
        .map(|(q, a)| ((*q).to_owned(), a.clone()))
        .collect()
}

#[test]
fn shipped_tools_parse_and_are_labelled_illustrative() {
    for (tool, version) in [(v1(), "1.0.0"), (v2(), "2.0.0")] {
        assert_eq!(tool.id(), "kirat-illustrative");
        assert_eq!(tool.version(), version);
        assert!(tool.illustrative());
        assert!(tool.notice().contains("ILLUSTRATIVE"));
        assert!(tool.notice().contains("not the police-restricted KIRAT"));
        assert_eq!(tool.questions().len(), 14);
        for step in Step::ALL {
            assert!(tool.questions_in(step).count() >= 3, "{step:?}");
        }
        assert_eq!(tool.clock().starts, ClockStart::ForceReceipt);
        assert_eq!(tool.clock().stops, StopEvent::ALL.to_vec());
        let days: Vec<u32> = Band::ALL
            .iter()
            .map(|b| tool.timescales().days(*b))
            .collect();
        assert_eq!(days, [1, 7, 14, 30]);
        assert_eq!(tool.content_sha256().len(), 64);
    }
    assert!(v2().changes().is_some());
    assert_ne!(v1().content_sha256(), v2().content_sha256());
}

#[test]
fn band_order_and_names() {
    assert!(Band::Low < Band::Medium && Band::Medium < Band::High);
    assert!(Band::High < Band::VeryHigh);
    for band in Band::ALL {
        assert_eq!(Band::parse(band.as_str()), Some(band));
        assert_eq!(Band::parse(band.label()), Some(band));
    }
    assert_eq!(Band::VeryHigh.to_string(), "Very High");
    assert_eq!(Band::parse("urgent"), None);
}

#[test]
fn unknown_field_is_refused_by_name() {
    let err = error_after(
        "id = \"grooming\"\n",
        "id = \"grooming\"\ncolour = \"red\"\n",
    );
    assert!(err.contains("colour"), "{err}");
    let err = error_after("[timescales]\n", "[timescales]\nurgent = 1\n");
    assert!(err.contains("urgent"), "{err}");
}

#[test]
fn missing_timescale_is_refused_by_name() {
    let err = error_after("low = 30\n", "");
    assert!(err.contains("low"), "{err}");
}

#[test]
fn duplicate_question_id_is_named() {
    let err = error_after("id = \"grooming\"\n", "id = \"incitement\"\n");
    assert!(
        err.contains("questions.incitement: duplicate question id"),
        "{err}"
    );
}

#[test]
fn thresholds_out_of_order_are_refused() {
    let err = error_after(
        "[thresholds]\nmedium = 4\nhigh = 9\n",
        "[thresholds]\nmedium = 4\nhigh = 20\n",
    );
    assert!(
        err.contains("thresholds: must ascend: medium (4) < high (20) < very_high (15)"),
        "{err}"
    );
}

#[test]
fn rule_referring_to_unknown_question_is_named() {
    let err = error_after(
        "{ question = \"grooming\", answers = [\"yes\"] }",
        "{ question = \"groming\", answers = [\"yes\"] }",
    );
    assert!(
        err.contains("rules.contact_with_child.any[1]: refers to unknown question `groming`"),
        "{err}"
    );
}

#[test]
fn rule_conditions_are_checked_against_the_tool() {
    let err = error_after(
        "[[signals]]\nid = \"sextortion\"\nlabel = \"The service flagged sextortion\"\npoints = 3\n",
        "",
    );
    assert!(
        err.contains("rules.sextortion.all[0]: signal `sextortion` is not declared"),
        "{err}"
    );
    let err = error_after(
        "{ question = \"incitement\", answers = [\"yes\"] }",
        "{ question = \"incitement\", answers = [\"maybe\"] }",
    );
    assert!(
        err.contains("`maybe` is not an option of question `incitement`"),
        "{err}"
    );
    let err = error_after("{ signal = \"sextortion\" }", "{ signal = \"smuggling\" }");
    assert!(err.contains("smuggling"), "{err}");
}

#[test]
fn malformed_options_are_named() {
    let err = error_after(
        "{ value = \"yes\", points = 2 },\n  { value = \"no\", points = 0 },",
        "{ value = \"yes\", points = 2 },\n  { value = \"yes\", points = 0 },",
    );
    assert!(
        err.contains("questions.prev_prison.options: option `yes` is listed twice"),
        "{err}"
    );
    let err = error_after(
        "{ value = \"none\", label = \"None\", at_least = 0, points = 0 }",
        "{ value = \"none\", label = \"None\", at_least = 1, points = 0 }",
    );
    assert!(
        err.contains("questions.prev_sexual_offence_count.options: count options need"),
        "{err}"
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = ILLUSTRATIVE_TOOL_V1
        .replacen("version = \"1.0.0\"", "version = \"\"", 1)
        .replacen("very_high = 1\n", "very_high = 0\n", 1);
    let Err(ToolError::Invalid(problems)) = RiskTool::from_toml(&text) else {
        panic!("tool with two problems is refused");
    };
    let at: Vec<&str> = problems.iter().map(|p| p.at.as_str()).collect();
    assert_eq!(at, ["version", "timescales.very_high"]);
}

#[test]
fn signals_are_read_from_a_referral() {
    let mut report = enticement_report_with_access();
    report.annotations.insert(ReportAnnotation::Sextortion);
    report.escalate_to_high_priority = true;
    report.files[0].annotations.insert(FileAnnotation::Infant);
    report.files.push(FileInfo {
        industry_classification: Some(IndustryClassification::A1),
        annotations: BTreeSet::from([FileAnnotation::Infant, FileAnnotation::LiveStreaming]),
        ..FileInfo::default()
    });
    for prior in ["111", "222", "111"] {
        let id = Identifier::new(IdentifierKind::PriorCybertip, None, prior).expect("id");
        report.people[0].add_identifier(id);
    }
    let mut victim = Person::new(PersonRole::Victim);
    // A victim's flags say nothing about the suspect.
    victim.convicted_sex_offender = Some(true);
    report.people.push(victim);
    report
        .people
        .push(Person::new(PersonRole::IntendedRecipient));

    let s = signals_from_report(&report);
    assert!(s.online_enticement && s.sextortion && s.escalated_high_priority);
    assert!(s.access_to_children && !s.convicted_sex_offender);
    assert!(!s.sadistic_online_exploitation);
    assert_eq!((s.files_infant, s.files_live_streaming), (2, 1));
    assert_eq!((s.industry_a1, s.industry_b2, s.industry_a2), (1, 1, 0));
    assert_eq!(s.files, 2);
    assert_eq!(s.prior_cybertip_reports, 2);
    assert_eq!(s.children_at_risk, 2);
    assert_eq!(s.referrals, 1);
}

#[test]
fn merged_signals_add_counts_and_or_flags() {
    let mut merged = signals_from_report(&plain_report());
    merged.merge(&signals_from_report(&enticement_report_with_access()));
    assert!(merged.online_enticement && merged.access_to_children);
    assert_eq!(merged.files, 2);
    assert_eq!(merged.industry_b2, 2);
    assert_eq!(merged.referrals, 2);

    let json = serde_json::to_string(&merged).expect("serialises");
    assert_eq!(
        serde_json::from_str::<Signals>(&json).expect("round trip"),
        merged
    );
    // Signals stored before a field existed still load.
    let old: Signals = serde_json::from_str(r#"{"files": 3}"#).expect("defaults");
    assert_eq!(old.files, 3);
}

#[test]
fn plain_report_is_provisionally_low() {
    let outcome = v1().provisional(&signals_from_report(&plain_report()));
    assert_eq!(outcome.band, Band::Low);
    assert_eq!(outcome.points, 0);
    assert_eq!(outcome.unanswered.len(), 14);
    assert_eq!(
        (outcome.tool_id.as_str(), outcome.tool_version.as_str()),
        ("kirat-illustrative", "1.0.0")
    );
    // The B2 classification is shown even though it scores nothing.
    assert_eq!(outcome.contributions.len(), 1);
    assert_eq!(outcome.contributions[0].source, "industry_b2");
    assert!(outcome.reasons[0].contains("below the Medium threshold of 4"));
}

#[test]
fn enticement_with_access_to_children_is_at_least_high() {
    let outcome = v1().provisional(&signals_from_report(&enticement_report_with_access()));
    assert_eq!(outcome.points, 6);
    assert_eq!(outcome.points_band, Band::Medium);
    assert_eq!(outcome.band, Band::High);
    assert!(
        outcome
            .reasons
            .iter()
            .any(|r| r.contains("At least High") && r.contains("enticement_with_access"))
    );
    assert!(
        outcome
            .reasons
            .last()
            .expect("final reason")
            .contains("raised from Medium")
    );
    for source in ["online_enticement", "access_to_children"] {
        let c = outcome
            .contributions
            .iter()
            .find(|c| c.source == source)
            .expect("contribution");
        assert_eq!((c.points, c.floor), (3, Some(Band::High)));
    }
}

#[test]
fn what_set_the_band_comes_first_the_rule_when_a_rule_lifted_it() {
    let lifted = v1().provisional(&signals_from_report(&enticement_report_with_access()));
    let set_by = lifted.set_by();
    assert_eq!(set_by.len(), 1);
    assert!(set_by[0].starts_with("At least High") && set_by[0].contains("enticement_with_access"));
    let first: Vec<&str> = lifted.by_weight()[..2]
        .iter()
        .map(|c| c.source.as_str())
        .collect();
    assert!(first.contains(&"online_enticement") && first.contains(&"access_to_children"));

    let on_points = v1().provisional(&signals_from_report(&plain_report()));
    assert_eq!(on_points.set_by(), [on_points.reasons[0].as_str()]);
}

#[test]
fn infant_files_with_access_are_very_high() {
    let mut report = enticement_report_with_access();
    report.incident_type = Some(IncidentType::ChildPornography);
    report.files[0].annotations.insert(FileAnnotation::Infant);
    let outcome = v1().provisional(&signals_from_report(&report));
    assert_eq!(outcome.band, Band::VeryHigh);
    assert_eq!(outcome.points_band, Band::Medium);
}

#[test]
fn assessment_explains_each_answer() {
    let tool = v1();
    let signals = signals_from_report(&plain_report());
    let given = answers(&[
        ("prev_sexual_offending", "conviction".into()),
        ("prev_sexual_offence_count", 3.into()),
        ("access_household", "Yes".into()),
        ("grooming", "no".into()),
    ]);
    let outcome = tool.assess(&signals, &given).expect("valid answers");
    assert_eq!(outcome.points, 4 + 2 + 4);
    assert_eq!(
        outcome.points,
        outcome.contributions.iter().map(|c| c.points).sum::<u32>()
    );
    assert_eq!(outcome.band, Band::High);
    assert_eq!(outcome.points_band, Band::High);
    assert_eq!(outcome.unanswered.len(), 10);
    assert!(!outcome.unanswered.contains(&"grooming".to_owned()));

    let by_source = |id: &str| {
        outcome
            .contributions
            .iter()
            .find(|c| c.source == id)
            .expect("contribution")
            .clone()
    };
    assert_eq!(
        by_source("prev_sexual_offence_count").value,
        "3 (Two or three)"
    );
    assert_eq!(by_source("prev_sexual_offending").floor, Some(Band::High));
    assert_eq!(by_source("access_household").floor, Some(Band::High));
    assert_eq!(by_source("access_household").kind, SourceKind::Question);
    assert_eq!(
        (by_source("grooming").points, by_source("grooming").floor),
        (0, None)
    );
    assert!(outcome.reasons[0].contains("10 points: reaches the High threshold of 9"));

    // Producing images with access to children raises the band past what the points reach.
    let mut more = given.clone();
    more.insert("producing_images".to_owned(), "yes".into());
    let outcome = tool.assess(&signals, &more).expect("valid answers");
    assert_eq!((outcome.points, outcome.points_band), (14, Band::High));
    assert_eq!(outcome.band, Band::VeryHigh);
    assert!(
        outcome
            .reasons
            .iter()
            .any(|r| r.contains("producing_with_access"))
    );

    let json = serde_json::to_string(&outcome).expect("serialises");
    assert!(json.contains("\"band\":\"very_high\""));
}

#[test]
fn a_rule_can_use_a_signal_below_its_scoring_threshold() {
    let text = ILLUSTRATIVE_TOOL_V1.replacen(
        "all = [{ signal = \"children_at_risk\" }]",
        "all = [{ signal = \"files\", at_least = 2 }]",
        1,
    );
    let tool = RiskTool::from_toml(&text).expect("valid");
    let mut report = plain_report();
    report.files.push(FileInfo::default());
    let outcome = tool.provisional(&signals_from_report(&report));
    assert_eq!(outcome.band, Band::Medium);
    let files = outcome
        .contributions
        .iter()
        .find(|c| c.source == "files")
        .expect("shown because a rule used it");
    assert_eq!((files.points, files.floor), (0, Some(Band::Medium)));
}

#[test]
fn bad_answers_are_named() {
    let tool = v1();
    let signals = Signals::default();
    let err =
        |pairs: &[(&str, Answer)]| tool.assess(&signals, &answers(pairs)).expect_err("refused");
    assert_eq!(
        err(&[("shoe_size", "yes".into())]),
        AnswerError::UnknownQuestion {
            question: "shoe_size".to_owned()
        }
    );
    let invalid = err(&[("access_work", "sometimes".into())]);
    assert_eq!(
        invalid.to_string(),
        "`sometimes` is not an answer to question `access_work`; expected one of: none, occasional, regular"
    );
    assert!(matches!(
        err(&[("grooming", 2.into())]),
        AnswerError::InvalidOption { .. }
    ));
    assert_eq!(
        err(&[("prev_sexual_offence_count", "several".into())]),
        AnswerError::NotACount {
            question: "prev_sexual_offence_count".to_owned(),
            given: "several".to_owned()
        }
    );
}

#[test]
fn typed_answers_are_parsed_for_their_question() {
    let tool = v1();
    assert_eq!(
        tool.parse_answer("prev_sexual_offence_count", " 5 "),
        Ok(Answer::Count(5))
    );
    assert_eq!(
        tool.parse_answer("grooming", "YES"),
        Ok(Answer::Choice("yes".to_owned()))
    );
    assert!(tool.parse_answer("grooming", "perhaps").is_err());
    assert!(tool.parse_answer("nope", "yes").is_err());
}

#[test]
fn rescoring_under_v2_applies_the_changed_rule() {
    let mut report = plain_report();
    report.incident_type = Some(IncidentType::OnlineEnticement);
    let signals = signals_from_report(&report);
    let before = v1().provisional(&signals);
    let after = v2().provisional(&signals);
    assert_eq!(before.band, Band::Low);
    assert_eq!(
        (after.band, after.tool_version.as_str()),
        (Band::High, "2.0.0")
    );
    assert_eq!(before.points, after.points);
}

#[test]
fn override_needs_a_rationale() {
    assert_eq!(
        validate_override(Band::High, "  \n"),
        Err(OverrideError::MissingRationale(Band::High))
    );
    let ok = validate_override(Band::VeryHigh, " Subject lives with two children under 5. ")
        .expect("rationale given");
    assert_eq!(ok.band, Band::VeryHigh);
    assert_eq!(ok.rationale, "Subject lives with two children under 5.");
}

#[test]
fn tool_serialises_for_display() {
    let json = serde_json::to_value(v1()).expect("serialises");
    assert_eq!(json["version"], "1.0.0");
    assert_eq!(json["questions"][0]["step"], "previous_behaviours");
}
