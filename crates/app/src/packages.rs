//! Packages received over the network (`POST /api/packages`): an upload already on disk — an NCA package as a
//! zip or tar (optionally gzip-compressed) archive, or one document — unpacked within limits and taken in by the same [`Ingester`] as
//! `severn ingest`, so the same documents give the same referrals, duplicates and rejects whichever way they
//! came, and the collection is logged under whoever sent them.

use crate::ingest::Ingester;
use crate::{App, AppError};
use serde::Serialize;
use severn_domain::access::Actor;
use severn_ingest::archive::{self, UnpackError, UnpackLimits, UploadKind};
use severn_ingest::{Item, Parsed};
use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

/// What the JSON answer calls a single document's file in its rejects.
pub const SINGLE_DOCUMENT: &str = "document";

/// An ingest authorised (and logged) for one upload, before a byte of the upload is read.
pub struct Receiving<'a> {
    ingester: Ingester<'a>,
    force_named: bool,
}

/// What an upload came to. The counts are named and counted as `severn ingest` prints them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PackageReceipt {
    /// New referrals and new versions of known ones.
    pub ingested: u64,
    /// Documents Severn already held with the same content.
    pub duplicates: u64,
    /// Documents (or manifest entries) that could not be taken in; each is in `rejects`.
    pub rejected: u64,
    /// The references of the referrals the upload carried, in the order they came: each one is now held,
    /// whether it was new, a new version or a duplicate.
    pub references: Vec<String>,
    pub rejects: Vec<RejectedPart>,
}

/// A document or manifest entry that was rejected, and where and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RejectedPart {
    /// The file's path inside the archive, or `document` for a single document ([`SINGLE_DOCUMENT`]).
    pub file: String,
    /// A line and column, an element path or a manifest field, when the problem has a place.
    pub place: Option<String>,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error(transparent)]
    App(#[from] AppError),
    #[error(transparent)]
    Unpack(#[from] UnpackError),
    /// A single document says nothing of the force that received it.
    #[error("a single document needs the force that received it")]
    ForceNeeded,
}

impl App {
    /// Authorises `actor` to take referrals in (only service accounts and operators may; a refusal is
    /// logged and committed), for the force `force` (a code or name) when the upload does not say which
    /// force received it. Called before the upload is read, so that nobody else can make Severn store one.
    pub async fn receive_package(
        &self,
        actor: &Actor,
        force: Option<&str>,
    ) -> Result<Receiving<'_>, AppError> {
        let ingester = Ingester::new(self, actor, force)
            .await
            // The only thing the ingester finds missing is the force named: a mistake in the request.
            .map_err(|error| match error {
                AppError::NotFound(why) => AppError::Invalid(why),
                other => other,
            })?;
        Ok(Receiving {
            ingester,
            force_named: force.is_some(),
        })
    }
}

impl Receiving<'_> {
    /// Ingests the upload at `upload`: an archive is unpacked into the empty directory `scratch` within
    /// `limits` and read as `severn ingest DIRECTORY` reads one; anything else is read as `severn ingest
    /// FILE` reads one. Rejects are stored under `origin`, a name for the upload (the web uses a prefix of its
    /// SHA-256), followed by the file's path inside the archive.
    pub async fn ingest(
        mut self,
        upload: &Path,
        origin: &str,
        scratch: &Path,
        limits: UnpackLimits,
    ) -> Result<PackageReceipt, PackageError> {
        let (file, dir) = (upload.to_path_buf(), scratch.to_path_buf());
        let root = tokio::task::spawn_blocking(move || -> Result<PathBuf, UnpackError> {
            let mut prefix = Vec::with_capacity(archive::SNIFF_BYTES);
            std::fs::File::open(&file)?
                .take(archive::SNIFF_BYTES as u64)
                .read_to_end(&mut prefix)?;
            match archive::sniff(&prefix) {
                UploadKind::Document => Ok(file),
                kind => archive::unpack(&file, kind, &dir, limits).map(|()| dir),
            }
        })
        .await
        .map_err(|e| UnpackError::Io(std::io::Error::other(e)))??;
        let single = root == upload;
        if single && !self.force_named {
            return Err(PackageError::ForceNeeded);
        }

        // Parsing runs on a thread of its own while this task writes, as for `severn ingest`.
        const CHUNK: usize = 256;
        let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<Item>>(4);
        let walk_root = root.clone();
        let parser = tokio::task::spawn_blocking(move || {
            let mut chunk = Vec::with_capacity(CHUNK);
            for item in severn_ingest::walk(&[walk_root]) {
                chunk.push(item);
                if chunk.len() == CHUNK
                    && sender
                        .blocking_send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)))
                        .is_err()
                {
                    return;
                }
            }
            // A closed channel means the writer stopped on an error, which it reports itself.
            if !chunk.is_empty() {
                let _ = sender.blocking_send(chunk);
            }
        });
        let names = Names {
            root: root.display().to_string(),
            origin,
            single,
        };
        let mut references = Vec::new();
        let mut seen = HashSet::new();
        let mut rejects = Vec::new();
        while let Some(chunk) = receiver.recv().await {
            for mut item in chunk {
                match &mut item {
                    Item::Parsed {
                        parsed: Parsed::Report(report),
                        ..
                    } => {
                        let reference = report.source_ref.as_key();
                        if seen.insert(reference.clone()) {
                            references.push(reference);
                        }
                    }
                    Item::Parsed { .. } => {}
                    Item::Rejected(rejection) => {
                        let inside = names.inside(&rejection.path);
                        rejection.path = names.stored(&inside);
                        rejects.push(RejectedPart {
                            file: inside,
                            place: rejection
                                .location
                                .clone()
                                .or_else(|| rejection.field.clone()),
                            reason: rejection.reason.clone(),
                        });
                    }
                }
                self.ingester.push(item).await?;
            }
        }
        let summary = self.ingester.finish().await?;
        parser
            .await
            .map_err(|e| UnpackError::Io(std::io::Error::other(e)))?;
        Ok(PackageReceipt {
            ingested: summary.ingested + summary.new_versions,
            duplicates: summary.duplicates,
            rejected: summary.rejected,
            references,
            rejects,
        })
    }
}

/// How a file of the upload is named: to the sender, its path inside the archive; in the stored rejects,
/// that path after the upload's name (the scratch directory is gone once the request ends).
struct Names<'o> {
    root: String,
    origin: &'o str,
    single: bool,
}

impl Names<'_> {
    fn inside(&self, path: &str) -> String {
        if self.single {
            return SINGLE_DOCUMENT.to_owned();
        }
        path.strip_prefix(&self.root)
            .map(|rest| rest.trim_start_matches('/'))
            .unwrap_or(path)
            .to_owned()
    }

    fn stored(&self, inside: &str) -> String {
        if self.single {
            self.origin.to_owned()
        } else {
            format!("{}/{inside}", self.origin)
        }
    }
}
