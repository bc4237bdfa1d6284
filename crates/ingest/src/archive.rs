//! Archives sent over the network: a zip, tar or gzip-compressed tar file unpacked into a directory, within limits, so that
//! [`walk`](crate::walk) can read the NCA packages inside it as it reads them from a disk.
//!
//! Archives are hostile input like documents: entries are counted before or as they are read, the bytes
//! written are counted as they are written (the sizes an archive declares are not trusted), and only plain
//! files and directories at plain relative paths are accepted — no absolute paths, no `..`, no links, no
//! devices.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

/// What an upload is, told by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadKind {
    Zip,
    Tar,
    /// A gzip-compressed tar archive (`.tar.gz`, `.tgz`).
    TarGz,
    /// Anything else: read as one document (or a partner CSV file), as a loose file is.
    Document,
}

/// Bytes needed to tell an upload's kind (a tar header's magic ends at byte 262).
pub const SNIFF_BYTES: usize = 512;

/// Tells a zip archive (a local file header, or the end record of an empty archive), a POSIX/GNU tar
/// archive (`ustar` at byte 257) or a gzip stream (taken to hold a tar archive) from a document.
pub fn sniff(prefix: &[u8]) -> UploadKind {
    if prefix.starts_with(b"PK\x03\x04") || prefix.starts_with(b"PK\x05\x06") {
        UploadKind::Zip
    } else if prefix.get(257..262) == Some(b"ustar") {
        UploadKind::Tar
    } else if prefix.starts_with(&[0x1f, 0x8b]) {
        UploadKind::TarGz
    } else {
        UploadKind::Document
    }
}

/// How much an archive may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnpackLimits {
    /// Entries (files and directories) in the archive.
    pub max_entries: u64,
    /// Bytes of all its files once unpacked.
    pub max_bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    #[error("the archive holds more than {limit} entries (the entry limit)")]
    TooManyEntries { limit: u64 },
    #[error("the archive unpacks to more than {limit} bytes (the unpacked size limit)")]
    TooLarge { limit: u64 },
    /// An entry Severn will not write: a link, a device, or a path that is not plain and relative.
    #[error("{0}")]
    Refused(String),
    #[error("the archive cannot be read: {0}")]
    Malformed(String),
    /// Writing the unpacked files failed on the server's side.
    #[error("unpacking: {0}")]
    Io(#[from] io::Error),
}

/// Unpacks the zip, tar or gzip-compressed tar archive `archive` into the existing, empty directory `into`.
pub fn unpack(
    archive: &Path,
    kind: UploadKind,
    into: &Path,
    limits: UnpackLimits,
) -> Result<(), UnpackError> {
    let file = File::open(archive)?;
    let mut budget = Budget {
        limits,
        entries: 0,
        bytes: 0,
    };
    match kind {
        UploadKind::Zip => unpack_zip(file, into, &mut budget),
        UploadKind::Tar => unpack_tar(file, into, &mut budget),
        // What the decompressed tar holds is counted against the same limits as it is written.
        UploadKind::TarGz => unpack_tar(flate2::read::GzDecoder::new(file), into, &mut budget),
        UploadKind::Document => Err(UnpackError::Refused(
            "the upload is not a zip or tar archive".to_owned(),
        )),
    }
}

/// What is left of the limits while unpacking.
struct Budget {
    limits: UnpackLimits,
    entries: u64,
    bytes: u64,
}

impl Budget {
    fn entry(&mut self) -> Result<(), UnpackError> {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            return Err(UnpackError::TooManyEntries {
                limit: self.limits.max_entries,
            });
        }
        Ok(())
    }

    /// Copies one file's contents, stopping one byte past what the size limit leaves.
    fn copy(&mut self, from: &mut impl Read, to: &Path) -> Result<(), UnpackError> {
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent)?;
        }
        let mut out = File::create(to)?;
        let left = self.limits.max_bytes - self.bytes;
        let written = io::copy(&mut from.take(left + 1), &mut out)
            .map_err(|e| UnpackError::Malformed(e.to_string()))?;
        self.bytes += written;
        if self.bytes > self.limits.max_bytes {
            return Err(UnpackError::TooLarge {
                limit: self.limits.max_bytes,
            });
        }
        Ok(())
    }
}

/// `name` as a path under `into`, if it is a plain relative path (`.` components aside).
fn inside(into: &Path, name: &Path) -> Result<PathBuf, UnpackError> {
    let mut path = into.to_path_buf();
    let mut any = false;
    for component in name.components() {
        match component {
            Component::Normal(part) => {
                path.push(part);
                any = true;
            }
            Component::CurDir => {}
            _ => {
                return Err(UnpackError::Refused(format!(
                    "the archive entry {:?} is not a plain path inside the archive",
                    name.display().to_string()
                )));
            }
        }
    }
    if !any {
        return Err(UnpackError::Refused(
            "the archive has an entry without a name".to_owned(),
        ));
    }
    Ok(path)
}

fn unpack_zip(file: File, into: &Path, budget: &mut Budget) -> Result<(), UnpackError> {
    let mut zip = zip::ZipArchive::new(file).map_err(malformed_zip)?;
    // The central directory says how many entries there are before any is read.
    if zip.len() as u64 > budget.limits.max_entries {
        return Err(UnpackError::TooManyEntries {
            limit: budget.limits.max_entries,
        });
    }
    for i in 0..zip.len() {
        budget.entry()?;
        let mut entry = zip.by_index(i).map_err(malformed_zip)?;
        let name = entry.name().map_err(malformed_zip)?.into_owned();
        let path = inside(into, Path::new(&name))?;
        if entry.is_symlink() || entry.unix_mode().is_some_and(is_special) {
            return Err(UnpackError::Refused(format!(
                "the archive entry {name:?} is a link or special file, which Severn does not accept"
            )));
        }
        if entry.is_dir() {
            fs::create_dir_all(&path)?;
        } else {
            budget.copy(&mut entry, &path)?;
        }
    }
    Ok(())
}

/// A Unix file mode that is neither a regular file nor a directory (nor unset, as some zip tools leave it).
fn is_special(mode: u32) -> bool {
    const TYPE: u32 = 0o170000;
    !matches!(mode & TYPE, 0 | 0o100000 | 0o040000)
}

fn malformed_zip(error: zip::result::ZipError) -> UnpackError {
    match error {
        zip::result::ZipError::Io(e) => UnpackError::Malformed(e.to_string()),
        other => UnpackError::Malformed(other.to_string()),
    }
}

fn unpack_tar(file: impl Read, into: &Path, budget: &mut Budget) -> Result<(), UnpackError> {
    let mut tar = tar::Archive::new(file);
    let malformed = |e: io::Error| UnpackError::Malformed(e.to_string());
    // Long names and PAX headers are read into the entry they describe by the tar crate, not counted.
    for entry in tar.entries().map_err(malformed)? {
        budget.entry()?;
        let mut entry = entry.map_err(malformed)?;
        let name = entry.path().map_err(malformed)?.into_owned();
        let path = inside(into, &name)?;
        match entry.header().entry_type() {
            tar::EntryType::Directory => fs::create_dir_all(&path)?,
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                budget.copy(&mut entry, &path)?
            }
            _ => {
                return Err(UnpackError::Refused(format!(
                    "the archive entry {:?} is a link or special file, which Severn does not accept",
                    name.display().to_string()
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    const LIMITS: UnpackLimits = UnpackLimits {
        max_entries: 10,
        max_bytes: 1000,
    };

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, bytes) in entries {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut tar = tar::Builder::new(Vec::new());
        for (name, bytes) in entries {
            let mut header = tar::Header::new_ustar();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            tar.append_data(&mut header, name, *bytes).unwrap();
        }
        tar.into_inner().unwrap()
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(bytes).unwrap();
        gz.finish().unwrap()
    }

    /// Unpacks `bytes` into a fresh directory, which is returned with what unpacking said.
    fn unpacked(bytes: &[u8]) -> (tempfile::TempDir, Result<(), UnpackError>) {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("upload");
        fs::write(&archive, bytes).unwrap();
        let into = dir.path().join("unpacked");
        fs::create_dir(&into).unwrap();
        let result = unpack(&archive, sniff(bytes), &into, LIMITS);
        (dir, result)
    }

    #[test]
    fn zip_and_tar_archives_unpack_to_their_files() {
        let entries: &[(&str, &[u8])] = &[("pkg/package.json", b"{}"), ("pkg/r/1.xml", b"<a/>")];
        for bytes in [zip_of(entries), tar_of(entries), gzip(&tar_of(entries))] {
            let (dir, result) = unpacked(&bytes);
            result.unwrap();
            let root = dir.path().join("unpacked/pkg");
            assert_eq!(fs::read(root.join("package.json")).unwrap(), b"{}");
            assert_eq!(fs::read(root.join("r/1.xml")).unwrap(), b"<a/>");
        }
    }

    #[test]
    fn uploads_are_told_apart_by_their_first_bytes() {
        assert_eq!(sniff(&zip_of(&[("a", b"x")])), UploadKind::Zip);
        assert_eq!(sniff(&zip_of(&[])), UploadKind::Zip);
        assert_eq!(sniff(&tar_of(&[("a", b"x")])), UploadKind::Tar);
        assert_eq!(sniff(&gzip(&tar_of(&[("a", b"x")]))), UploadKind::TarGz);
        assert_eq!(
            sniff(b"<?xml version=\"1.0\"?><report/>"),
            UploadKind::Document
        );
        assert_eq!(sniff(b"{\"reportId\": \"1\"}"), UploadKind::Document);
    }

    #[test]
    fn entries_past_the_limit_are_refused() {
        let names: Vec<String> = (0..11).map(|i| format!("f{i}")).collect();
        let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
        for bytes in [zip_of(&entries), tar_of(&entries)] {
            let (_dir, result) = unpacked(&bytes);
            assert!(
                matches!(result, Err(UnpackError::TooManyEntries { limit: 10 })),
                "{result:?}"
            );
        }
        let (_dir, result) = unpacked(&zip_of(&entries[..10]));
        result.unwrap();
    }

    #[test]
    fn bytes_past_the_limit_are_refused_whatever_the_archive_declares() {
        let big = vec![b'a'; 600];
        let entries: &[(&str, &[u8])] = &[("a", &big), ("b", &big)];
        for bytes in [zip_of(entries), tar_of(entries), gzip(&tar_of(entries))] {
            let (_dir, result) = unpacked(&bytes);
            assert!(
                matches!(result, Err(UnpackError::TooLarge { limit: 1000 })),
                "{result:?}"
            );
        }
        // A zip whose deflated entry is far smaller than what it unpacks to is stopped at the limit.
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("bomb", deflated).unwrap();
        zip.write_all(&vec![0u8; 100_000]).unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        assert!(bytes.len() < 1000);
        let (dir, result) = unpacked(&bytes);
        assert!(
            matches!(result, Err(UnpackError::TooLarge { .. })),
            "{result:?}"
        );
        assert!(
            fs::metadata(dir.path().join("unpacked/bomb"))
                .unwrap()
                .len()
                <= 1001
        );
    }

    #[test]
    fn paths_that_leave_the_directory_and_links_are_refused() {
        let (dir, result) = unpacked(&zip_of(&[("../escaped", b"x")]));
        assert!(matches!(result, Err(UnpackError::Refused(_))), "{result:?}");
        assert!(!dir.path().join("escaped").exists());
        let (_dir, result) = unpacked(&zip_of(&[("/etc/escaped", b"x")]));
        assert!(matches!(result, Err(UnpackError::Refused(_))), "{result:?}");

        // The tar crate's builder will not write `..`, so the name goes into the header by hand.
        let mut header = tar::Header::new_gnu();
        header.as_gnu_mut().unwrap().name[..10].copy_from_slice(b"../escaped");
        header.set_size(1);
        header.set_mode(0o644);
        header.set_cksum();
        let mut tar = tar::Builder::new(Vec::new());
        tar.append(&header, &b"x"[..]).unwrap();
        let (dir, result) = unpacked(&tar.into_inner().unwrap());
        assert!(matches!(result, Err(UnpackError::Refused(_))), "{result:?}");
        assert!(!dir.path().join("escaped").exists());

        let mut tar = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_size(0);
        tar.append_link(&mut header, "link", "/etc/passwd").unwrap();
        let (_dir, result) = unpacked(&tar.into_inner().unwrap());
        assert!(matches!(result, Err(UnpackError::Refused(_))), "{result:?}");

        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.add_symlink(
            "link",
            "/etc/passwd",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        let (_dir, result) = unpacked(&zip.finish().unwrap().into_inner());
        assert!(matches!(result, Err(UnpackError::Refused(_))), "{result:?}");
    }

    #[test]
    fn a_damaged_archive_is_malformed() {
        let mut bytes = zip_of(&[("a", b"x")]);
        bytes.truncate(20);
        let (_dir, result) = unpacked(&bytes);
        assert!(
            matches!(result, Err(UnpackError::Malformed(_))),
            "{result:?}"
        );
    }
}
