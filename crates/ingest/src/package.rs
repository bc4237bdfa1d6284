//! NCA packages: a directory whose `package.json` manifest lists the documents to read.

use crate::common::{self, Fail};
use crate::walk::read_capped;
use crate::{DocContext, Item, Rejection, parse_document};
use serde_json::Value;
use severn_domain::report::NcaDissemination;
use std::collections::VecDeque;
use std::path::{Component, Path, PathBuf};

pub(crate) const MANIFEST: &str = "package.json";
const FORMAT: &str = "severn-nca-package/1";

enum Task {
    Document {
        /// The manifest field naming the document, e.g. `reports[3].document`.
        field: String,
        relative: String,
        report_id: String,
        /// The manifest entry, kept as the content of a rejection about it.
        entry: Vec<u8>,
    },
    Reject(Box<Rejection>),
}

/// The documents of one package, read one at a time in manifest order.
pub(crate) struct Package {
    dir: PathBuf,
    /// The package directory with symbolic links resolved, once a document path needs it.
    real_dir: Option<PathBuf>,
    manifest_path: String,
    ctx: DocContext,
    tasks: VecDeque<Task>,
}

impl Package {
    pub fn open(dir: &Path) -> Package {
        let manifest = dir.join(MANIFEST);
        let manifest_path = manifest.display().to_string();
        let mut package = Package {
            dir: dir.to_path_buf(),
            real_dir: None,
            manifest_path: manifest_path.clone(),
            ctx: DocContext::default(),
            tasks: VecDeque::new(),
        };
        let bytes = match read_capped(&manifest, None) {
            Ok(bytes) => bytes,
            Err(rejection) => {
                package.tasks.push_back(Task::Reject(rejection));
                return package;
            }
        };
        if let Err(fail) = package.read_manifest(&bytes) {
            package.reject(fail, &bytes);
        }
        package
    }

    fn reject(&mut self, fail: Fail, content: &[u8]) {
        let rejection = fail.into_rejection(&self.manifest_path, content, None);
        self.tasks.push_back(Task::Reject(Box::new(rejection)));
    }

    /// Checks the package-level fields; a bad entry only rejects that entry.
    fn read_manifest(&mut self, bytes: &[u8]) -> Result<(), Fail> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| {
            Fail::new(format!("malformed manifest JSON: {e}")).at(format!(
                "line {}, column {}",
                e.line(),
                e.column()
            ))
        })?;
        let root = value
            .as_object()
            .ok_or_else(|| Fail::new("the manifest must be a JSON object").field("$"))?;
        let string = |key: &str| -> Result<String, Fail> {
            root.get(key)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| {
                    Fail::new(format!(
                        "required string field {key} is missing or not a string"
                    ))
                    .at(key)
                    .field(key)
                })
        };
        let format = string("format")?;
        if format != FORMAT {
            return Err(Fail::new(format!(
                "unsupported package format {format:?}, expected {FORMAT:?}"
            ))
            .at("format")
            .field("format"));
        }
        let nca_reference = string("ncaReference")?;
        let disseminated_raw = string("disseminatedAt")?;
        let disseminated_at = common::parse_timestamp(&disseminated_raw).ok_or_else(|| {
            Fail::new(format!(
                "invalid RFC 3339 date and time {disseminated_raw:?}"
            ))
            .at("disseminatedAt")
            .field("disseminatedAt")
        })?;
        let receiving_force = string("receivingForce")?;
        let reports = root
            .get("reports")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                Fail::new("required list reports is missing or not a list")
                    .at("reports")
                    .field("reports")
            })?;
        self.ctx.nca = Some(NcaDissemination {
            nca_reference,
            disseminated_at,
            receiving_force,
        });
        for (i, entry) in reports.iter().enumerate() {
            let entry_bytes = serde_json::to_vec(entry).unwrap_or_default();
            if let Err(fail) = self.read_entry(i, entry, &entry_bytes) {
                self.reject(fail, &entry_bytes);
            }
        }
        Ok(())
    }

    fn read_entry(&mut self, i: usize, entry: &Value, entry_bytes: &[u8]) -> Result<(), Fail> {
        let field_fail =
            |field: String, reason: String| Fail::new(reason).at(field.clone()).field(field);
        let entry = entry.as_object().ok_or_else(|| {
            field_fail(
                format!("reports[{i}]"),
                "a report entry must be an object".into(),
            )
        })?;
        let report_id = match entry.get("ncmecReportId") {
            Some(Value::String(s)) if common::is_report_id(s.trim()) => s.trim().to_owned(),
            Some(Value::Number(n)) if common::is_report_id(&n.to_string()) => n.to_string(),
            _ => {
                return Err(field_fail(
                    format!("reports[{i}].ncmecReportId"),
                    "required ncmecReportId is missing or not a report number".into(),
                ));
            }
        };
        let document = entry
            .get("document")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                field_fail(
                    format!("reports[{i}].document"),
                    "required document path is missing or not a string".into(),
                )
            })?;
        let mut tasks = vec![Task::Document {
            field: format!("reports[{i}].document"),
            relative: document.to_owned(),
            report_id: report_id.clone(),
            entry: entry_bytes.to_vec(),
        }];
        match entry.get("fileDetails") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (j, item) in items.iter().enumerate() {
                    let field = format!("reports[{i}].fileDetails[{j}]");
                    let relative = item.as_str().ok_or_else(|| {
                        field_fail(field.clone(), "a fileDetails path must be a string".into())
                    })?;
                    tasks.push(Task::Document {
                        field,
                        relative: relative.to_owned(),
                        report_id: report_id.clone(),
                        entry: entry_bytes.to_vec(),
                    });
                }
            }
            Some(_) => {
                return Err(field_fail(
                    format!("reports[{i}].fileDetails"),
                    "fileDetails must be a list of paths".into(),
                ));
            }
        }
        self.tasks.extend(tasks);
        Ok(())
    }

    /// The document's path, which must be a plain relative path that stays inside the package, also
    /// after following symbolic links.
    fn resolve(&mut self, relative: &str) -> Result<PathBuf, String> {
        let rel = Path::new(relative);
        if relative.trim().is_empty()
            || !rel.components().all(|c| matches!(c, Component::Normal(_)))
        {
            return Err(format!(
                "document path {relative:?} is not a plain path inside the package"
            ));
        }
        let path = self.dir.join(rel);
        let opened = |e: std::io::Error| format!("document {relative:?} cannot be opened: {e}");
        // Plain components that are no symbolic links cannot leave the package: one lstat each, instead
        // of resolving the whole absolute path for every document.
        let mut through_link = false;
        let mut prefix = self.dir.clone();
        for component in rel.components() {
            prefix.push(component);
            through_link |= prefix.symlink_metadata().map_err(opened)?.is_symlink();
        }
        if through_link {
            let real_dir = match &self.real_dir {
                Some(dir) => dir.clone(),
                None => {
                    let dir = self
                        .dir
                        .canonicalize()
                        .map_err(|e| format!("package directory cannot be opened: {e}"))?;
                    self.real_dir = Some(dir.clone());
                    dir
                }
            };
            if !path.canonicalize().map_err(opened)?.starts_with(&real_dir) {
                return Err(format!(
                    "document path {relative:?} leads outside the package"
                ));
            }
        }
        Ok(path)
    }
}

impl Iterator for Package {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        let (field, relative, report_id, entry) = match self.tasks.pop_front()? {
            Task::Reject(rejection) => return Some(Item::Rejected(*rejection)),
            Task::Document {
                field,
                relative,
                report_id,
                entry,
            } => (field, relative, report_id, entry),
        };
        let ctx = DocContext {
            nca: self.ctx.nca.clone(),
            report_id: Some(report_id),
        };
        let path = match self.resolve(&relative) {
            Ok(path) => path,
            Err(reason) => {
                let fail = Fail::new(reason).at(field.clone()).field(field);
                return Some(Item::Rejected(fail.into_rejection(
                    &self.manifest_path,
                    &entry,
                    Some(ctx),
                )));
            }
        };
        let shown = path.display().to_string();
        let bytes = match read_capped(&path, Some(&ctx)) {
            Ok(bytes) => bytes,
            Err(rejection) => return Some(Item::Rejected(*rejection)),
        };
        Some(match parse_document(&bytes, &shown, &ctx) {
            Ok(parsed) => Item::Parsed {
                path: shown,
                parsed,
            },
            Err(rejection) => Item::Rejected(rejection),
        })
    }
}
