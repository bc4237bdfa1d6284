//! The store's modules import one another without circles, and its leaves (what every driver shares) import
//! nothing above them: the layering `src/lib.rs` describes.
//!
//! Reads `src/**/*.rs` as text. A module is a file `src/NAME.rs` with the files under `src/NAME/`; an edge is a
//! `crate::NAME` path (in a `use` or inline), or a `crate::Item` path naming an item that module defines (the
//! crate root re-exports many). The crate root (`lib.rs`) holds only the error and backend types beside its
//! `mod` and `pub use` lines, so every module may use it. Unit tests (`#[cfg(test)] mod tests`) are left out:
//! they are not part of what the library's modules depend on.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const ROOT: &str = "lib";

/// The leaves and what each may use besides the root.
const LEAVES: &[(&str, &[&str])] = &[
    ("packed", &[]),
    ("rows", &["packed"]),
    ("sql", &[]),
    ("decode", &["rows", "packed"]),
    ("conn", &["decode", "packed"]),
    ("binds", &["conn", "rows"]),
    ("chain", &[]),
    ("scope", &[]),
];

struct Module {
    /// The source of its files, without comments and unit tests.
    code: String,
}

fn strip(source: &str) -> String {
    let source = match source.find("#[cfg(test)]\nmod tests") {
        Some(at) => &source[..at],
        None => source,
    };
    source
        .lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn read_modules() -> BTreeMap<String, Module> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut modules: BTreeMap<String, Module> = BTreeMap::new();
    let mut files = Vec::new();
    let mut pending = vec![src.clone()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    for path in files {
        let relative = path.strip_prefix(&src).unwrap();
        let first = relative.components().next().unwrap().as_os_str();
        let name = Path::new(first)
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let code = strip(&std::fs::read_to_string(&path).unwrap());
        let module = modules.entry(name).or_insert(Module {
            code: String::new(),
        });
        module.code.push_str(&code);
        module.code.push('\n');
    }
    modules
}

/// The items a module defines at its top level (`pub` or `pub(crate)`), by name.
fn items(code: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in code.lines() {
        let Some(rest) = line
            .strip_prefix("pub(crate) ")
            .or_else(|| line.strip_prefix("pub "))
        else {
            continue;
        };
        let rest = rest.strip_prefix("async ").unwrap_or(rest);
        for keyword in [
            "struct ", "enum ", "trait ", "fn ", "const ", "type ", "static ",
        ] {
            if let Some(name) = rest.strip_prefix(keyword) {
                let name: String = name
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                names.push(name);
            }
        }
    }
    names
}

/// The first segment of every `crate::` path in `code`, with the segments of a braced `use crate::{…}` list.
fn crate_paths(code: &str) -> Vec<String> {
    let mut firsts = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let preceded_by_word = rest[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        rest = &rest[at + "crate::".len()..];
        if preceded_by_word {
            continue;
        }
        if let Some(list) = rest.strip_prefix('{') {
            let end = list.find('}').expect("a closed use list");
            for item in list[..end].split(',') {
                let first: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !first.is_empty() {
                    firsts.push(first);
                }
            }
        } else {
            let first: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            firsts.push(first);
        }
    }
    firsts
}

/// Each module's imports of other modules (the root left out).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let modules = read_modules();
    let mut defined_in: BTreeMap<String, String> = BTreeMap::new();
    for (name, module) in &modules {
        for item in items(&module.code) {
            defined_in.entry(item).or_insert_with(|| name.clone());
        }
    }
    let root = &modules[ROOT];
    let root_code: String = root
        .code
        .lines()
        .filter(|l| {
            !l.starts_with("mod ") && !l.starts_with("pub use ") && !l.starts_with("pub mod ")
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        crate_paths(&root_code).is_empty(),
        "lib.rs uses other modules beyond its `mod` and `pub use` lines: it must stay a leaf"
    );
    let mut edges = BTreeMap::new();
    for (name, module) in &modules {
        if name == ROOT {
            continue;
        }
        let mut uses = BTreeSet::new();
        for first in crate_paths(&module.code) {
            let target = if modules.contains_key(&first) {
                first
            } else {
                match defined_in.get(&first) {
                    Some(owner) => owner.clone(),
                    None => panic!("{name}: `crate::{first}` names no module or item found"),
                }
            };
            if target != *name && target != ROOT {
                uses.insert(target);
            }
        }
        edges.insert(name.clone(), uses);
    }
    edges
}

/// A circle in `edges`, if there is one, as the modules along it.
fn circle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        at: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|m| m == at) {
            let mut found = path[start..].to_vec();
            found.push(at.to_owned());
            return Some(found);
        }
        if done.contains(at) {
            return None;
        }
        path.push(at.to_owned());
        for next in edges.get(at).into_iter().flatten() {
            if let Some(found) = visit(next, edges, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(at.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for start in edges.keys() {
        if let Some(found) = visit(start, edges, &mut Vec::new(), &mut done) {
            return Some(found);
        }
    }
    None
}

#[test]
fn the_modules_import_one_another_without_circles() {
    let edges = graph();
    if let Some(found) = circle(&edges) {
        panic!("an import circle: {}", found.join(" -> "));
    }
}

#[test]
fn the_leaves_use_nothing_above_them() {
    let edges = graph();
    for (leaf, allowed) in LEAVES {
        let uses = edges
            .get(*leaf)
            .unwrap_or_else(|| panic!("no module {leaf}"));
        let beyond: Vec<&String> = uses
            .iter()
            .filter(|m| !allowed.contains(&m.as_str()))
            .collect();
        assert!(beyond.is_empty(), "{leaf} uses {beyond:?}");
    }
}

#[test]
fn a_circle_is_found() {
    let edges: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(m, uses)| {
        (
            m.to_owned(),
            uses.into_iter().map(str::to_owned).collect::<BTreeSet<_>>(),
        )
    })
    .collect();
    assert_eq!(circle(&edges).unwrap(), ["a", "b", "c", "a"]);
    assert_eq!(
        crate_paths("use crate::{Result, tx::Tx};\nlet x = crate::sql::A;"),
        ["Result", "tx", "sql"]
    );
}
