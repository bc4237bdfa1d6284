//! The local authorities children are referred to, for programs: every authority, or the authority for an
//! area (a postcode, a postcode district or a name) with every candidate of a boundary district. Reference
//! data naming no one: any signed-in person of a force may read it, and reading it leaves no audit entry.

use crate::WebState;
use crate::api::{ApiResult, DENIED, FAILED, NOT_SIGNED_IN};
use crate::error::ApiError;
use crate::session::ApiActor;
use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use severn_app::reference::AreaLookup;
use severn_domain::authorities::Authority;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
pub struct AreaQuery {
    /// A postcode (`BS1 4DJ`), a postcode district (`BS16`) or an authority's name; case and spaces do not
    /// matter. Without it, every authority is listed.
    area: Option<String>,
}

/// Every authority, or what one area answers to.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum AuthoritiesAnswer {
    Lookup(AreaLookup),
    All(Vec<Authority>),
}

/// The local authorities with children's services in England and Wales, or the authority for an area
///
/// With `area`, the lookup: `one` authority, `several` when the area is a postcode district that lies in more
/// than one (the officer chooses among the candidates; Severn never guesses), or `unknown`. Without it, every
/// authority by name with the postcode districts the list in force places in it. Any signed-in person of a
/// force.
#[utoipa::path(get, path = "/api/local-authorities", operation_id = "localAuthorities", tag = "reference",
    params(AreaQuery),
    responses(
        (status = 200, description = "The lookup, or every authority", body = AuthoritiesAnswer),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn local_authorities_api(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Query(query): Query<AreaQuery>,
) -> ApiResult<AuthoritiesAnswer> {
    let authorities = state.app.local_authorities_for(&actor).await?;
    Ok(Json(match query.area {
        Some(area) => AuthoritiesAnswer::Lookup(AreaLookup::of(&authorities, &area)),
        None => AuthoritiesAnswer::All(authorities.all().into_iter().cloned().collect()),
    }))
}
