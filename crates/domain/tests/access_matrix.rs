//! The role table in docs/access.md is the policy: every cell is checked against `decide`, for a person in
//! the owning force, in another force, and outside any force.

use severn_domain::access::{Action, Actor, CaseAccess, Denial, OrgKind, Role, decide};
use severn_domain::ids::{OrgId, StaffId};

const DOC: &str = include_str!("../../../docs/access.md");
const OWN: OrgId = OrgId(1);
const OTHER: OrgId = OrgId(2);

fn table() -> Vec<(Action, Vec<(Role, String)>)> {
    let start = DOC
        .find("<!-- access-matrix:start -->")
        .expect("table start marker");
    let end = DOC
        .find("<!-- access-matrix:end -->")
        .expect("table end marker");
    let mut lines = DOC[start..end].lines().skip(1);
    let header: Vec<String> = cells(lines.next().expect("header row"));
    let roles: Vec<Role> = header[1..]
        .iter()
        .map(|label| {
            Role::ALL
                .into_iter()
                .find(|r| r.label() == label)
                .unwrap_or_else(|| panic!("unknown role column {label:?}"))
        })
        .collect();
    lines
        .skip(1)
        .filter(|l| l.starts_with('|'))
        .map(|line| {
            let row = cells(line);
            let action = Action::ALL
                .into_iter()
                .find(|a| a.as_str() == row[0])
                .unwrap_or_else(|| panic!("unknown action row {:?}", row[0]));
            (
                action,
                roles
                    .iter()
                    .copied()
                    .zip(row[1..].iter().cloned())
                    .collect(),
            )
        })
        .collect()
}

fn cells(line: &str) -> Vec<String> {
    line.trim()
        .trim_matches('|')
        .split('|')
        .map(|c| c.trim().to_owned())
        .collect()
}

fn person(org: OrgId, org_kind: OrgKind, role: Role) -> Actor {
    Actor::Staff {
        id: StaffId(7),
        username: "a.person".into(),
        org,
        org_kind,
        roles: vec![role],
    }
}

/// Actions on one case are asked with the case; lists (queue, search, export) without.
fn on_case(action: Action) -> bool {
    matches!(
        action,
        Action::ViewCase
            | Action::Assess
            | Action::Override
            | Action::MergeSplit
            | Action::Share
            | Action::Restrict
            | Action::Safeguard
    )
}

#[test]
fn the_documented_table_covers_every_action_and_role() {
    let table = table();
    assert_eq!(table.len(), Action::ALL.len());
    for (action, row) in &table {
        assert_eq!(row.len(), Role::ALL.len(), "row {action}");
    }
}

#[test]
fn every_cell_of_the_documented_table_is_what_the_policy_decides() {
    for (action, row) in table() {
        for (role, cell) in row {
            let here = person(OWN, OrgKind::Force, role);
            let own_case = CaseAccess::owned_by(OWN);
            let other_case = CaseAccess::owned_by(OTHER);
            let case = on_case(action).then_some(&own_case);
            let decided = decide(&here, action, case);
            match cell.as_str() {
                "own" | "yes" => assert_eq!(decided, Ok(()), "{action} × {role}"),
                "—" => assert_eq!(decided, Err(Denial::Role), "{action} × {role}"),
                other => panic!("cell {other:?} for {action} × {role}: use own, yes or —"),
            }
            if cell == "own" && on_case(action) {
                assert_eq!(
                    decide(&here, action, Some(&other_case)),
                    Err(Denial::OtherForce),
                    "{action} × {role} on another force's case"
                );
            }
            if cell == "own" {
                for kind in [OrgKind::RegionalUnit, OrgKind::PccOffice, OrgKind::Nca] {
                    let outside = person(OTHER, kind, role);
                    assert!(
                        decide(&outside, action, on_case(action).then_some(&own_case)).is_err(),
                        "{action} × {role} from a {kind:?}"
                    );
                }
            }
        }
    }
}
