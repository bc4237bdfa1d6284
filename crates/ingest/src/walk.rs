//! Streaming over files and directories: one document, manifest entry or CSV row per step.

use crate::common::{self, Fail, Kind};
use crate::package::{MANIFEST, Package};
use crate::partner_csv::CsvRows;
use crate::{DocContext, Item, MAX_DOCUMENT_BYTES, Rejection, parse_document};
use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufReader, Chain, Cursor, Read};
use std::path::{Path, PathBuf};

/// Bytes read to detect a file's format before deciding whether to stream it (CSV) or read it whole.
const SNIFF_BYTES: usize = 8192;

type CsvInput = BufReader<Chain<Cursor<Vec<u8>>, File>>;

/// Iterator over everything under some paths; see [`walk`].
pub struct Walker {
    roots: VecDeque<PathBuf>,
    dirs: Option<walkdir::IntoIter>,
    package: Option<Package>,
    csv: Option<CsvRows<CsvInput>>,
}

/// Walks `paths` (files and directories, recursively, each directory in file-name order) and yields one
/// [`Item`] per document, manifest entry or CSV row. Only one document is held in memory at a time.
/// A directory holding `package.json` is an NCA package: only the documents its manifest lists are read.
/// Symbolic links inside directories are not followed.
pub fn walk(paths: &[PathBuf]) -> Walker {
    Walker {
        roots: paths.iter().cloned().collect(),
        dirs: None,
        package: None,
        csv: None,
    }
}

impl Iterator for Walker {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            if let Some(rows) = &mut self.csv {
                match rows.next() {
                    Some(item) => return Some(item),
                    None => self.csv = None,
                }
            }
            if let Some(package) = &mut self.package {
                match package.next() {
                    Some(item) => return Some(item),
                    None => self.package = None,
                }
            }
            if let Some(dirs) = &mut self.dirs {
                match dirs.next() {
                    None => self.dirs = None,
                    Some(Err(e)) => {
                        let path = e
                            .path()
                            .map_or_else(String::new, |p| p.display().to_string());
                        let fail = Fail::new(format!("cannot read: {e}"));
                        return Some(Item::Rejected(fail.into_rejection(&path, &[], None)));
                    }
                    Some(Ok(entry)) => {
                        if entry.file_type().is_dir() {
                            if entry.path().join(MANIFEST).is_file() {
                                dirs.skip_current_dir();
                                self.package = Some(Package::open(entry.path()));
                            }
                        } else if entry.file_type().is_file()
                            && let Some(item) = self.file(entry.path())
                        {
                            return Some(item);
                        }
                    }
                }
                continue;
            }
            let root = self.roots.pop_front()?;
            if root.is_dir() {
                self.dirs = Some(walkdir::WalkDir::new(&root).sort_by_file_name().into_iter());
            } else if root.file_name().is_some_and(|n| n == MANIFEST)
                && let Some(dir) = root.parent()
            {
                // Naming a manifest means its package.
                let dir = if dir.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    dir
                };
                self.package = Some(Package::open(dir));
            } else if let Some(item) = self.file(&root) {
                return Some(item);
            }
        }
    }
}

impl Walker {
    /// Reads one file: a CSV file starts streaming its rows (and yields the first), anything else is read
    /// whole and parsed.
    fn file(&mut self, path: &Path) -> Option<Item> {
        let shown = path.display().to_string();
        let reject = |fail: Fail, content: &[u8]| {
            Some(Item::Rejected(fail.into_rejection(&shown, content, None)))
        };
        let mut file = match File::open(path) {
            Ok(file) => file,
            Err(e) => return reject(Fail::new(format!("cannot open: {e}")), &[]),
        };
        let mut prefix = Vec::with_capacity(SNIFF_BYTES);
        if let Err(e) = (&mut file)
            .take(SNIFF_BYTES as u64)
            .read_to_end(&mut prefix)
        {
            return reject(Fail::new(format!("cannot read: {e}")), &[]);
        }
        if common::detect(&prefix) == Some(Kind::Csv) {
            let input = BufReader::with_capacity(64 * 1024, Cursor::new(prefix).chain(file));
            match CsvRows::new(&shown, input) {
                Ok(rows) => self.csv = Some(rows),
                Err(rejection) => return Some(Item::Rejected(*rejection)),
            }
            return self.csv.as_mut().and_then(Iterator::next);
        }
        let mut bytes = prefix;
        let budget = (MAX_DOCUMENT_BYTES + 1).saturating_sub(bytes.len()) as u64;
        if let Err(e) = file.take(budget).read_to_end(&mut bytes) {
            return reject(Fail::new(format!("cannot read: {e}")), &bytes);
        }
        if bytes.len() > MAX_DOCUMENT_BYTES {
            return reject(Fail::new("document larger than 16 MiB"), &bytes);
        }
        Some(
            match parse_document(&bytes, &shown, &DocContext::default()) {
                Ok(parsed) => Item::Parsed {
                    path: shown,
                    parsed,
                },
                Err(rejection) => Item::Rejected(rejection),
            },
        )
    }
}

/// Reads a whole document, refusing one larger than [`MAX_DOCUMENT_BYTES`] without reading it all.
pub(crate) fn read_capped(
    path: &Path,
    ctx: Option<&DocContext>,
) -> Result<Vec<u8>, Box<Rejection>> {
    let shown = path.display().to_string();
    let fail =
        |fail: Fail, content: &[u8]| Box::new(fail.into_rejection(&shown, content, ctx.cloned()));
    let file = File::open(path).map_err(|e| fail(Fail::new(format!("cannot open: {e}")), &[]))?;
    // Sized from the file's length: growing an empty buffer read a typical 4 KiB document in eight calls.
    let length = file.metadata().map_or(0, |m| m.len());
    let mut bytes = Vec::with_capacity(length.min(MAX_DOCUMENT_BYTES as u64 + 1) as usize);
    file.take(MAX_DOCUMENT_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(Fail::new(format!("cannot read: {e}")), &[]))?;
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(fail(Fail::new("document larger than 16 MiB"), &bytes));
    }
    Ok(bytes)
}
