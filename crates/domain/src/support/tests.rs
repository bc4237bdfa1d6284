use super::*;
use jiff::civil::date;

fn entry() -> NewSupportService {
    NewSupportService {
        name: "Severnshire Young Victims Service".into(),
        kind: ServiceKind::YoungVictims,
        serves: [Serves::ChildrenAndYoungPeople, Serves::ParentsAndCarers].into(),
        min_age: Some(5),
        max_age: Some(18),
        areas: Areas::Listed(["bristol".to_owned(), "south-gloucestershire".to_owned()].into()),
        needs: ["online abuse".to_owned(), "sexual abuse".to_owned()].into(),
        capacity: Some(40),
        phone: Some("07700 900123".into()),
        email: Some("referrals@young-victims.example.org".into()),
        web: None,
        commissioner: "Office of the PCC".into(),
        contract_ends: Some(date(2027, 3, 31)),
        active: true,
    }
}

fn service(id: i64, details: NewSupportService) -> SupportService {
    SupportService {
        id: ServiceId(id),
        owner_org: OrgId(1),
        details,
        updated_at: 0,
        updated_by: "tester".into(),
    }
}

fn refused(change: impl FnOnce(&mut NewSupportService)) -> FieldError {
    let mut e = entry();
    change(&mut e);
    e.check().unwrap_err()
}

#[test]
fn a_good_entry_is_trimmed_and_kept() {
    let mut e = entry();
    e.name = "  Severnshire Young Victims Service ".into();
    e.web = Some("  ".into());
    e.needs.insert(" Exploitation ".into());
    let checked = e.check().unwrap();
    assert_eq!(checked.name, "Severnshire Young Victims Service");
    assert_eq!(checked.web, None);
    assert!(checked.needs.contains("exploitation"));
}

#[test]
fn each_refusal_names_its_field() {
    let cases: Vec<(FieldError, &str)> = vec![
        (refused(|e| e.name = " ".into()), "name"),
        (refused(|e| e.name = "x".repeat(201)), "name"),
        (refused(|e| e.name = "Young\u{202e}Victims".into()), "name"),
        (refused(|e| e.serves.clear()), "serves"),
        (refused(|e| e.min_age = Some(26)), "min_age"),
        (refused(|e| e.max_age = Some(30)), "max_age"),
        (
            refused(|e| {
                e.min_age = Some(12);
                e.max_age = Some(10);
            }),
            "max_age",
        ),
        (
            refused(|e| e.areas = Areas::Listed(BTreeSet::new())),
            "areas",
        ),
        (
            refused(|e| e.areas = Areas::Listed(["Bristol City".to_owned()].into())),
            "areas",
        ),
        (
            refused(|e| {
                e.needs.insert("x".repeat(61));
            }),
            "needs",
        ),
        (refused(|e| e.capacity = Some(0)), "capacity"),
        (refused(|e| e.phone = Some("0770\n0900".into())), "phone"),
        (
            refused(|e| e.email = Some("not an address".into())),
            "email",
        ),
        (
            refused(|e| {
                e.phone = None;
                e.email = None;
                e.web = Some(" ".into());
            }),
            "phone",
        ),
        (refused(|e| e.commissioner = String::new()), "commissioner"),
        (
            refused(|e| e.commissioner = "PCC\u{1b}[2J".into()),
            "commissioner",
        ),
    ];
    for (error, field) in cases {
        assert_eq!(error.field, field, "{error}");
    }
}

#[test]
fn refusals_say_what_is_wrong_in_plain_words() {
    assert_eq!(
        refused(|e| {
            e.min_age = Some(12);
            e.max_age = Some(10);
        })
        .to_string(),
        "The oldest age served (10) is below the youngest (12)."
    );
    assert_eq!(
        refused(|e| e.max_age = Some(26)).to_string(),
        "Ages served go up to 25 years; 26 is beyond that."
    );
    assert_eq!(
        refused(|e| e.commissioner = "PCC\u{1b}".into()).to_string(),
        "The commissioner must be one line of text without control characters (\"PCC\\u{1b}\")."
    );
}

#[test]
fn ages_at_the_limits_are_kept() {
    let mut e = entry();
    e.min_age = Some(0);
    e.max_age = Some(25);
    assert!(e.check().is_ok());
    let mut e = entry();
    e.min_age = Some(13);
    e.max_age = Some(13);
    assert!(e.check().is_ok());
}

#[test]
fn labels_and_codes_round_trip() {
    for kind in ServiceKind::ALL {
        assert_eq!(ServiceKind::parse(kind.as_str()), Some(kind));
        assert!(!kind.label().is_empty());
    }
    for group in Serves::ALL {
        assert_eq!(Serves::parse(group.as_str()), Some(group));
        assert!(!group.label().is_empty());
    }
    assert_eq!(ServiceKind::parse("ISVA"), None);
    assert_eq!(
        ServiceKind::Isva.label(),
        "Independent sexual violence adviser (ISVA)"
    );
}

#[test]
fn areas_are_all_or_listed_codes() {
    assert_eq!(Areas::parse(" All "), Ok(Areas::All));
    let listed = Areas::parse("bristol; south-gloucestershire;").unwrap();
    assert!(listed.covers("bristol"));
    assert!(!listed.covers("north-somerset"));
    assert!(Areas::All.covers("anywhere"));
    assert_eq!(listed.joined(), "bristol;south-gloucestershire");
    assert!(Areas::parse("").is_err());
    assert!(Areas::parse("Bristol").is_err());
}

#[test]
fn serves_checks_area_age_need_group_and_whether_open() {
    let s = service(1, entry().check().unwrap());
    assert!(serves(&s, "bristol", Some(12), "online abuse"));
    assert!(serves(&s, "bristol", Some(12), " Online Abuse "));
    assert!(
        serves(&s, "bristol", None, ""),
        "an unknown age or need is not held against the child"
    );
    assert!(serves(&s, "bristol", Some(5), "sexual abuse"));
    assert!(serves(&s, "bristol", Some(18), "sexual abuse"));
    assert!(!serves(&s, "bristol", Some(4), "online abuse"), "too young");
    assert!(!serves(&s, "bristol", Some(19), "online abuse"), "too old");
    assert!(
        !serves(&s, "north-somerset", Some(12), "online abuse"),
        "outside its areas"
    );
    assert!(
        !serves(&s, "bristol", Some(12), "exploitation"),
        "a need it does not take"
    );
    let mut closed = s.clone();
    closed.details.active = false;
    assert!(!serves(&closed, "bristol", Some(12), "online abuse"));
    let mut families = s.clone();
    families.details.serves = [Serves::FamiliesOfSuspects].into();
    assert!(!serves(&families, "bristol", Some(12), "online abuse"));
    assert!(can_serve(
        &families,
        Serves::FamiliesOfSuspects,
        "bristol",
        None,
        ""
    ));
    let mut anything = s;
    anything.details.needs.clear();
    anything.details.areas = Areas::All;
    anything.details.min_age = None;
    anything.details.max_age = None;
    assert!(serves(
        &anything,
        "north-somerset",
        Some(17),
        "exploitation"
    ));
}

#[test]
fn contracts_ending_within_six_months_or_ended_are_listed_soonest_first() {
    let today = date(2026, 6, 15);
    let ends = |id, on: Option<Date>, active| {
        let mut e = entry();
        e.contract_ends = on;
        e.active = active;
        e.name = format!("Service {id}");
        service(id, e)
    };
    let services = vec![
        ends(1, Some(date(2026, 12, 15)), true), // exactly six months: flagged
        ends(2, Some(date(2026, 12, 16)), true), // a day beyond: not
        ends(3, Some(date(2026, 6, 1)), true),   // ended already
        ends(4, Some(date(2026, 7, 1)), false),  // closed: not a gap
        ends(5, None, true),                     // no contract end
    ];
    let found = contracts_ending(&services, today, CONTRACT_WARNING_MONTHS);
    assert_eq!(
        found,
        vec![
            ContractEnding {
                service: ServiceId(3),
                name: "Service 3".into(),
                ends_on: date(2026, 6, 1),
                ended: true,
            },
            ContractEnding {
                service: ServiceId(1),
                name: "Service 1".into(),
                ends_on: date(2026, 12, 15),
                ended: false,
            },
        ]
    );
    // Month arithmetic clamps at a month's end: 31 August plus six months is 28 February.
    assert_eq!(warning_horizon(date(2026, 8, 31), 6), date(2027, 2, 28));
    assert!(ends_within(date(2027, 2, 28), date(2026, 8, 31), 6));
    assert!(!ends_within(date(2027, 3, 1), date(2026, 8, 31), 6));
}

#[test]
fn services_at_capacity_are_those_with_every_place_taken() {
    let with = |id, capacity, active| {
        let mut e = entry();
        e.capacity = capacity;
        e.active = active;
        e.name = format!("Service {id}");
        service(id, e)
    };
    let services = vec![
        with(1, Some(3), true),
        with(2, Some(3), true),
        with(3, None, true),
        with(4, Some(1), false),
        with(5, Some(2), true),
    ];
    let in_use: BTreeMap<ServiceId, u32> = [
        (ServiceId(1), 3),
        (ServiceId(2), 2),
        (ServiceId(3), 50),
        (ServiceId(4), 5),
        (ServiceId(5), 4),
    ]
    .into();
    let full = at_capacity(&services, &in_use);
    let ids: Vec<ServiceId> = full.iter().map(|f| f.service).collect();
    assert_eq!(
        ids,
        vec![ServiceId(5), ServiceId(1)],
        "most over capacity first"
    );
    assert_eq!(full[0].in_use, 4);
    assert_eq!(full[0].capacity, 2);
    assert!(at_capacity(&services, &BTreeMap::new()).is_empty());
}

const HEADER: &str = "name,kind,serves,min_age,max_age,areas,needs,capacity,phone,email,web,commissioner,\
                      contract_ends,active\n";

#[test]
fn a_good_csv_is_read_and_an_export_reads_back_the_same() {
    let text = format!(
        "{HEADER}Severnshire Young Victims Service,young_victims,children_and_young_people;parents_and_carers,5,18,\
         bristol;south-gloucestershire,online abuse;sexual abuse,40,07700 900123,referrals@young-victims.example.org,,\
         Office of the PCC,2027-03-31,yes\n\
         \n\
         Stop It Now (Severnshire),offenders_families,families_of_suspects,,,all,,,,,https://stop.example.org,\
         NHS England with the PCC,,no\n"
    );
    let read = parse_csv(&text).unwrap();
    assert_eq!(read.len(), 2);
    assert_eq!(read[0], entry().check().unwrap());
    assert_eq!(read[1].areas, Areas::All);
    assert!(!read[1].active);
    let services: Vec<SupportService> = read
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, d)| service(i as i64, d))
        .collect();
    assert_eq!(parse_csv(&to_csv(&services)).unwrap(), read);
}

#[test]
fn every_bad_row_and_field_of_a_csv_is_named_and_nothing_is_read() {
    let text = format!(
        "{HEADER}Good Service,isva,children_and_young_people,,,all,,,07700 900001,,,Office of the PCC,,yes\n\
         ,therapy,pupils,x,,Bristol,,0,,,,,31/03/2027,maybe\n\
         Good service,isva,children_and_young_people,,,all,,,07700 900002,,,Office of the PCC,,yes\n\
         Short,isva\n\
         Ages,isva,children_and_young_people,14,12,all,,,07700 900003,,,Office of the PCC,,yes\n"
    );
    let errors: Vec<String> = parse_csv(&text)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        errors,
        vec![
            "line 3, field kind: \"therapy\" is not a kind of service; give one of young_victims, isva, \
             sexual_violence_therapy, safeguarding_unit, offenders_families, other",
            "line 3, field serves: \"pupils\" is not a group served; give one or more of \
             children_and_young_people, parents_and_carers, families_of_suspects, separated by \";\"",
            "line 3, field min_age: not an age in whole years: \"x\"",
            "line 3, field areas: an area code is lower-case letters, digits and \"-\" (such as \
             south-gloucestershire); \"Bristol\" is not",
            "line 3, field contract_ends: not a date (YYYY-MM-DD): \"31/03/2027\"",
            "line 3, field active: give yes or no, not \"maybe\"",
            "line 4, field name: \"Good service\" is already on line 2",
            "line 5, field row: has 2 fields; expected 14",
            "line 6, field max_age: The oldest age served (12) is below the youngest (14).",
        ]
    );
}

#[test]
fn a_csv_with_the_wrong_header_or_nothing_in_it_is_refused_at_line_one() {
    let errors = parse_csv("name,kind\n").unwrap_err();
    assert_eq!(errors[0].line, 1);
    assert_eq!(errors[0].field, "header");
    assert!(errors[0].message.starts_with("expected name,kind,serves"));
    assert_eq!(parse_csv("").unwrap_err()[0].field, "header");
    // A byte-order mark from a spreadsheet is not part of the first column's name.
    assert_eq!(parse_csv(&format!("\u{feff}{HEADER}")).unwrap(), vec![]);
}

#[test]
fn control_characters_in_a_csv_are_escaped_in_the_message() {
    let text = format!(
        "{HEADER}Bad\u{1b}[2J Name,isva,children_and_young_people,,,all,,,07700 900001,,,Office of the PCC,,yes\n"
    );
    let errors = parse_csv(&text).unwrap_err();
    assert_eq!(errors[0].field, "name");
    assert!(
        errors[0].message.contains("\\u{1b}"),
        "{}",
        errors[0].message
    );
    assert!(!errors[0].message.contains('\u{1b}'));
}
