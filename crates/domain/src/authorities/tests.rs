use super::*;

fn shipped() -> LocalAuthorities {
    LocalAuthorities::england_and_wales()
}

fn codes(lookup: Lookup<'_>) -> Vec<String> {
    match lookup {
        Lookup::One(a) => vec![a.code.clone()],
        Lookup::Several(all) => all.iter().map(|a| a.code.clone()).collect(),
        Lookup::Unknown => Vec::new(),
    }
}

fn one(list: &LocalAuthorities, area: &str) -> String {
    match list.lookup(area) {
        Lookup::One(a) => a.code.clone(),
        other => panic!("{area:?}: expected one authority, got {other:?}"),
    }
}

fn refused(text: &str) -> String {
    LocalAuthorities::from_csv(text).unwrap_err().to_string()
}

#[test]
fn every_authority_with_childrens_services_is_shipped() {
    let list = shipped();
    let all = list.all();
    assert_eq!(all.len(), 175);
    let england = all.iter().filter(|a| a.nation == Nation::England).count();
    assert_eq!(england, 153);
    assert_eq!(all.len() - england, 22);
    // The reorganisations since 2019: the new unitaries are there, the councils they replaced are not.
    for code in [
        "cumberland",
        "westmorland-and-furness",
        "north-yorkshire",
        "somerset",
        "buckinghamshire",
        "north-northamptonshire",
        "west-northamptonshire",
        "dorset",
        "bournemouth-christchurch-and-poole",
        "city-of-london",
        "isles-of-scilly",
    ] {
        assert!(list.get(code).is_some(), "{code}");
    }
    for gone in ["cumbria", "northamptonshire", "poole", "bournemouth"] {
        assert!(list.get(gone).is_none(), "{gone}");
    }
    assert_eq!(list.get("cardiff").unwrap().nation, Nation::Wales);
}

#[test]
fn all_is_in_name_order() {
    let list = shipped();
    let names: Vec<String> = list.all().iter().map(|a| a.name.to_lowercase()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert_eq!(list.all()[0].name, "Barking and Dagenham");
}

#[test]
fn a_postcode_is_found_with_or_without_its_space_and_in_any_case() {
    let list = shipped();
    for postcode in [
        "BS1 4DJ",
        "bs1 4dj",
        "BS14DJ",
        "  bs14DJ ",
        "BS1",
        "bs1",
        "BS1 4",
    ] {
        assert_eq!(one(&list, postcode), "bristol", "{postcode:?}");
    }
    // BS14 is a district of its own (Bristol's edge with Bath and North East Somerset), not BS1.
    assert_eq!(
        codes(list.lookup("BS14 8AA")),
        ["bath-and-north-east-somerset", "bristol"]
    );
    assert_eq!(one(&list, "LS1 5AB"), "leeds");
    assert_eq!(one(&list, "m1 1aa"), "manchester");
    assert_eq!(one(&list, "B33 8TH"), "birmingham");
    assert_eq!(one(&list, "NR2 1AA"), "norfolk");
    assert_eq!(one(&list, "EX4 3SR"), "devon");
    assert_eq!(one(&list, "CF10 1AA"), "cardiff");
    assert_eq!(one(&list, "SA2 8PP"), "swansea");
    assert_eq!(one(&list, "NE1 7RU"), "newcastle-upon-tyne");
    assert_eq!(one(&list, "S1 2HE"), "sheffield");
    assert_eq!(one(&list, "BD1 1AA"), "bradford");
    assert_eq!(one(&list, "WF1 2AA"), "wakefield");
}

#[test]
fn a_boundary_district_gives_every_candidate_and_never_a_guess() {
    let list = shipped();
    assert_eq!(
        codes(list.lookup("BS16 1QY")),
        ["bristol", "south-gloucestershire"]
    );
    assert_eq!(codes(list.lookup("bs8")), ["bristol", "north-somerset"]);
    assert_eq!(
        codes(list.lookup("BA2")),
        ["bath-and-north-east-somerset", "somerset", "wiltshire"]
    );
    assert_eq!(codes(list.lookup("WF3 1AA")), ["leeds", "wakefield"]);
    assert_eq!(codes(list.lookup("CF5")), ["cardiff", "vale-of-glamorgan"]);
    assert_eq!(codes(list.lookup("NR34")), ["norfolk", "suffolk"]);
    match list.lookup("BS16") {
        Lookup::Several(candidates) => {
            assert_eq!(candidates[0].name, "Bristol");
            assert_eq!(candidates[1].name, "South Gloucestershire");
        }
        other => panic!("expected several, got {other:?}"),
    }
}

#[test]
fn a_district_the_list_does_not_hold_is_unknown() {
    let list = shipped();
    // A real district of an authority whose districts are not shipped.
    assert_eq!(list.lookup("OX1 2JD"), Lookup::Unknown);
    // BS12 was withdrawn.
    assert_eq!(list.lookup("BS12"), Lookup::Unknown);
    for nonsense in ["", "   ", "12345", "BS1 4DJX", "Narnia", "B"] {
        assert_eq!(list.lookup(nonsense), Lookup::Unknown, "{nonsense:?}");
    }
}

#[test]
fn an_authority_is_found_by_its_name_or_code() {
    let list = shipped();
    assert_eq!(one(&list, "South Gloucestershire"), "south-gloucestershire");
    assert_eq!(
        one(&list, "south  gloucestershire"),
        "south-gloucestershire"
    );
    assert_eq!(one(&list, "south-gloucestershire"), "south-gloucestershire");
    assert_eq!(one(&list, "Leeds City Council"), "leeds");
    assert_eq!(
        one(&list, "City of Bradford Metropolitan District Council"),
        "bradford"
    );
    assert_eq!(one(&list, "Royal Borough of Greenwich"), "greenwich");
    assert_eq!(one(&list, "London Borough of Hackney"), "hackney");
    assert_eq!(one(&list, "Durham County Council"), "county-durham");
    assert_eq!(one(&list, "City and County of Swansea"), "swansea");
    assert_eq!(one(&list, "Brighton & Hove"), "brighton-and-hove");
    assert_eq!(one(&list, "City of London"), "city-of-london");
    assert_eq!(
        one(&list, "bournemouth christchurch and poole"),
        "bournemouth-christchurch-and-poole"
    );
}

#[test]
fn districts_are_kept_in_order_for_each_authority() {
    let list = shipped();
    let bristol = list.get("bristol").unwrap();
    assert_eq!(bristol.districts[..3], ["BS1", "BS2", "BS3"]);
    assert!(bristol.districts.contains(&"BS16".to_owned()));
    assert!(list.get("kent").unwrap().districts.is_empty());
    assert!(list.district_count() > 200);
}

#[test]
fn a_fuller_list_replaces_the_shipped_one() {
    let list = LocalAuthorities::from_csv(
        "code,name,nation,area\n\
         oxfordshire,Oxfordshire,England,ox1\n\
         oxfordshire,Oxfordshire,England,OX2\n\
         \n\
         bristol,Bristol,England,BS16\n\
         south-gloucestershire,South Gloucestershire,England,BS16\n\
         powys,Powys,Wales,\n",
    )
    .unwrap();
    assert_eq!(one(&list, "OX1 2JD"), "oxfordshire");
    assert_eq!(
        codes(list.lookup("BS16")),
        ["bristol", "south-gloucestershire"]
    );
    assert_eq!(list.all().len(), 4);
    assert_eq!(list.get("oxfordshire").unwrap().districts, ["OX1", "OX2"]);
}

#[test]
fn a_bad_line_refuses_the_file_naming_the_line_and_field() {
    let head = "code,name,nation,area\nbristol,Bristol,England,BS1\n";
    assert_eq!(
        refused(&format!("{head}glasgow,Glasgow,Scotland,G1\n")),
        "local authorities line 3, nation: \"Scotland\" is not England or Wales"
    );
    assert_eq!(
        refused(&format!("{head}leeds,,England,LS1\n")),
        "local authorities line 3, name: the authority needs a name"
    );
    assert_eq!(
        refused(&format!("{head}bristol,City of Bristol,England,BS2\n")),
        "local authorities line 3, name: bristol is named \"Bristol\" on an earlier line and \"City of Bristol\" here"
    );
    assert_eq!(
        refused(&format!("{head}bristol,Bristol,Wales,BS2\n")),
        "local authorities line 3, nation: bristol is in England on an earlier line and Wales here"
    );
    assert_eq!(
        refused(&format!("{head}bristol-2,Bristol,England,BS2\n")),
        "local authorities line 3, name: \"Bristol\" is also the name of bristol"
    );
    assert_eq!(
        refused(&format!("{head}leeds,Leeds\u{7},England,LS1\n")),
        "local authorities line 3, name: \"Leeds\\\\u{7}\" holds a control character"
    );
    assert_eq!(
        refused(&format!("{head}leeds,Leeds,England,LS 1\n")),
        "local authorities line 3, area: \"LS 1\" is not a postcode district (such as BS16 or SW1A)"
    );
    assert_eq!(
        refused(&format!("{head}leeds,Leeds,England,LS1 4DJ\n")),
        "local authorities line 3, area: \"LS1 4DJ\" is not a postcode district (such as BS16 or SW1A)"
    );
    assert_eq!(
        refused(&format!("{head}bristol,Bristol,England,bs1\n")),
        "local authorities line 3, area: BS1 is listed twice for bristol"
    );
    assert_eq!(
        refused(&format!("{head}Leeds,Leeds,England,LS1\n")),
        "local authorities line 3, code: \"Leeds\" is not a code: lower case letters, digits and -"
    );
    assert_eq!(
        refused(&format!("{head}leeds,Leeds,England\n")),
        "local authorities line 3, line: expected 4 fields (code,name,nation,area), found 3"
    );
    assert_eq!(
        refused("name,code,nation,area\nbristol,Bristol,England,BS1\n"),
        "local authorities line 1, header: expected code,name,nation,area"
    );
    assert_eq!(
        refused("code,name,nation,area\n"),
        "the local authority list names no authority"
    );
    assert_eq!(refused(""), "the local authority list names no authority");
}

#[test]
fn postcode_shapes() {
    for district in ["M1", "B33", "BS16", "SW1A", "W1A", "CR0", "EC1A"] {
        assert!(is_district(district), "{district}");
    }
    for not in ["", "1", "BS", "BSS1", "B333", "BS1AA", "bs1", "ΩS1"] {
        assert!(!is_district(not), "{not}");
    }
    assert_eq!(district_of("sw1a 1aa").as_deref(), Some("SW1A"));
    assert_eq!(district_of("SW1A1AA").as_deref(), Some("SW1A"));
    assert_eq!(district_of("Bristol"), None);
    assert_eq!(district_of("ΩΩΩΩΩ"), None);
}
