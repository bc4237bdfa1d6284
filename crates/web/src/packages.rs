//! `POST /api/packages`: the NCA's feed sends referrals over HTTP. The caller is authorised (service accounts
//! with an API token only; anyone else's attempt is refused and logged) before the body is read; the body is
//! streamed to a temporary file within a size limit, never held whole in memory, then unpacked within an
//! entry and a size limit and ingested as `severn ingest` would (see `severn_app::packages`).

use crate::WebState;
use crate::error::{ApiError, Incident};
use crate::session::ApiActor;
use axum::Json;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use http_body_util::BodyExt;
use serde::Deserialize;
use severn_app::packages::{PackageError, PackageReceipt};
use severn_ingest::archive::{UnpackError, UnpackLimits};
use sha2::{Digest, Sha256};
use std::path::Path;
use tokio::io::AsyncWriteExt;

/// How much one upload may be. Past a limit the request is refused with an error that names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackageLimits {
    /// Bytes of the request body as sent.
    pub max_upload_bytes: u64,
    /// Entries (files and directories) in an archive.
    pub max_entries: u64,
    /// Bytes of an archive's files once unpacked.
    pub max_unpacked_bytes: u64,
}

impl Default for PackageLimits {
    fn default() -> Self {
        PackageLimits {
            max_upload_bytes: 256 * 1024 * 1024,
            max_entries: 50_000,
            max_unpacked_bytes: 1024 * 1024 * 1024,
        }
    }
}

#[derive(Deserialize)]
pub struct PackageQuery {
    /// The receiving force's code or name: needed for a single document, and used for the reports of a
    /// package whose manifest names no force Severn knows.
    force: Option<String>,
}

/// Take referrals in: an NCA package, or a single CyberTip XML or LE JSON document
///
/// An NCA package as a zip, tar or gzip-compressed tar archive, or a single document, through the same
/// ingest as `severn ingest` (a document already held is a duplicate). Service accounts with an API token
/// only; anyone else is refused and the refusal logged. The collection is logged under the service account.
#[utoipa::path(post, path = "/api/packages", operation_id = "receivePackage",
    security(("apiToken" = [])),
    params(
        ("force" = Option<String>, Query, description = "The receiving force's code or name. Required for a single document; for a package, used for reports whose manifest names no force Severn knows."),
    ),
    request_body(
        description = "The archive or document as sent, told apart by its content (not its Content-Type). Limits (server defaults): 256 MiB sent, 50,000 entries and 1 GiB unpacked.",
        content(
            ("application/zip"),
            ("application/x-tar"),
            ("application/gzip"),
            ("application/xml"),
            ("application/json"),
            ("application/octet-stream"),
        ),
    ),
    responses(
        (status = 200, description = "What the upload came to (rejected documents are listed, and stored for review, but do not fail the request)", body = PackageReceipt),
        (status = 401, description = "No token, or a token that is not valid", body = ApiError),
        (status = 403, description = "The caller is not a service account with an API token", body = ApiError),
        (status = 413, description = "The upload, or the archive unpacked, is larger than its limit (named in the error)", body = ApiError),
        (status = 422, description = "An unknown force, a single document without a force, an archive with more entries than the entry limit, or an archive that cannot be read or holds a link or a path leaving it; nothing was taken in", body = ApiError),
        (status = 500, description = "Something went wrong on the server: the error names an incident reference to quote to support", body = ApiError),
    ))]
pub async fn receive(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Query(query): Query<PackageQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<PackageReceipt>, ApiError> {
    let limits = state.options.packages;
    let receiving = state
        .app
        .receive_package(&actor, query.force.as_deref())
        .await?;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limits.max_upload_bytes) {
        return Err(upload_too_large(limits));
    }
    let scratch = tempfile::tempdir().map_err(internal)?;
    let upload = scratch.path().join("upload");
    let (sha256, length) = save(body, &upload, limits).await?;
    if length == 0 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The request had no body: send the package or document as the body.",
        ));
    }
    let unpacked = scratch.path().join("unpacked");
    tokio::fs::create_dir(&unpacked).await.map_err(internal)?;
    let origin = format!("upload {}", &sha256[..16]);
    let receipt = receiving
        .ingest(
            &upload,
            &origin,
            &unpacked,
            UnpackLimits {
                max_entries: limits.max_entries,
                max_bytes: limits.max_unpacked_bytes,
            },
        )
        .await
        .map_err(refused)?;
    Ok(Json(receipt))
}

/// Streams the body to `path`, stopping past the upload limit; the SHA-256 (hex) and length of what came.
async fn save(body: Body, path: &Path, limits: PackageLimits) -> Result<(String, u64), ApiError> {
    let mut file = tokio::fs::File::create(path).await.map_err(internal)?;
    let mut hash = Sha256::new();
    let mut length = 0u64;
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "The body was not received whole: send it again.",
            )
        })?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        length += data.len() as u64;
        if length > limits.max_upload_bytes {
            return Err(upload_too_large(limits));
        }
        hash.update(&data);
        file.write_all(&data).await.map_err(internal)?;
    }
    file.flush().await.map_err(internal)?;
    Ok((hex::encode(hash.finalize()), length))
}

fn upload_too_large(limits: PackageLimits) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "The upload is larger than the upload size limit of {} bytes. Send the package in parts.",
            limits.max_upload_bytes
        ),
    )
}

fn refused(error: PackageError) -> ApiError {
    match error {
        PackageError::App(e) => e.into(),
        PackageError::ForceNeeded => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "A single document does not say which force received it: name the force with ?force=CODE.",
        ),
        PackageError::Unpack(UnpackError::TooLarge { limit }) => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "The archive unpacks to more than the unpacked size limit of {limit} bytes. Send the package \
                 in parts."
            ),
        ),
        PackageError::Unpack(UnpackError::TooManyEntries { limit }) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "The archive holds more than the entry limit of {limit} files and directories. Send the \
                 package in parts."
            ),
        ),
        PackageError::Unpack(UnpackError::Refused(why)) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("Nothing was taken in: {why}."),
        ),
        PackageError::Unpack(UnpackError::Malformed(why)) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("Nothing was taken in: the archive cannot be read ({why})."),
        ),
        PackageError::Unpack(UnpackError::Io(e)) => internal(e),
    }
}

/// A failure on the server's side: logged, and answered without its insides.
fn internal(error: std::io::Error) -> ApiError {
    Incident::record(&format!("receiving a package failed: {error}")).api("Nothing was taken in.")
}
