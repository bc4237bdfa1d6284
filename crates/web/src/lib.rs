//! Severn on the web: server-rendered pages (askama, with htmx served from Severn itself) and a JSON API under
//! `/api`, over the same use cases the command line runs.
//!
//! Every page behind sign-in takes the signed-in [`Actor`](severn_domain::access::Actor) from the session and
//! hands it to the use case, which decides and logs the access. Every response carries the security headers
//! (see [`headers`]); every state-changing form carries the session's CSRF token (see [`session`]).

mod admin;
mod api;
mod assessment;
mod assets;
mod cases;
mod error;
pub mod headers;
mod packages;
pub mod session;
mod signin;

use axum::Router;
use axum::routing::{get, post};
use severn_app::App;
use severn_app::identity::Identity;
use severn_domain::identity::IdentityPolicy;
use std::net::SocketAddr;

pub use packages::PackageLimits;

/// How the server is deployed.
#[derive(Debug, Clone, Default)]
pub struct WebOptions {
    /// Mark cookies `Secure` and send `Strict-Transport-Security`: set when Severn is reached over HTTPS
    /// (directly or through a terminating proxy). Off for plain HTTP on a loopback address.
    pub https: bool,
    /// The numbers that govern sign-in and sessions.
    pub identity: IdentityPolicy,
    /// How large a package sent to `POST /api/packages` may be.
    pub packages: PackageLimits,
}

/// What every handler can reach.
#[derive(Clone)]
pub struct WebState {
    pub app: App,
    pub identity: Identity,
    pub options: WebOptions,
}

impl WebState {
    pub fn new(app: App, options: WebOptions) -> WebState {
        WebState {
            identity: Identity::new(app.clone(), options.identity.clone()),
            app,
            options,
        }
    }
}

/// The whole application as one router, for [`serve`] and for tests.
pub fn router(state: WebState) -> Router {
    Router::new()
        .route("/", get(signin::home))
        .route("/sign-in", get(signin::sign_in_page).post(signin::sign_in))
        .route(
            "/sign-in/code",
            get(signin::code_page).post(signin::submit_code),
        )
        .route(
            "/sign-in/enrol",
            get(signin::enrol_page).post(signin::confirm_enrolment),
        )
        .route("/sign-out", post(signin::sign_out))
        .route("/sessions", get(signin::sessions_page))
        .route("/sessions/revoke", post(signin::revoke_session))
        .route("/queue", get(cases::queue))
        .route("/referrals/{reference}", get(cases::referral))
        .route("/subjects/{id}", get(cases::subject))
        .route(
            "/subjects/{id}/assess",
            get(assessment::assess_page).post(assessment::assess),
        )
        .route("/subjects/{id}/assess/preview", post(assessment::preview))
        .route("/subjects/{id}/merge", post(cases::merge))
        .route("/subjects/{id}/split", post(cases::split))
        .route("/subjects/{id}/share", post(cases::share))
        .route("/subjects/{id}/restrict", post(cases::restrict))
        .route("/search", get(cases::search))
        .route("/figures", get(cases::figures))
        .route("/audit", get(cases::audit))
        .route("/staff", get(admin::staff).post(admin::add))
        .route("/staff/{id}/deactivate", post(admin::deactivate))
        .route("/staff/{id}/reactivate", post(admin::reactivate))
        .route("/staff/{id}/reset", post(admin::reset))
        .route("/staff/{id}/token", post(admin::token))
        .route("/api/me", get(api::me))
        .route("/api/queue", get(api::queue))
        .route("/api/referrals/{reference}", get(api::referral))
        .route("/api/subjects/{id}", get(api::subject))
        .route("/api/subjects/{id}/merge", post(api::merge))
        .route("/api/subjects/{id}/split", post(api::split))
        .route("/api/subjects/{id}/assess", post(api::assess))
        .route(
            "/api/subjects/{id}/assess/preview",
            post(api::preview_assessment),
        )
        .route("/api/subjects/{id}/share", post(api::share))
        .route("/api/subjects/{id}/restrict", post(api::restrict))
        .route("/api/search", get(api::search))
        .route("/api/figures", get(api::figures))
        .route("/api/audit", get(api::audit))
        .route("/api/packages", post(packages::receive))
        .route("/api/openapi.json", get(api::openapi))
        .route("/static/{file}", get(assets::asset))
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            headers::security_headers,
        ))
        .with_state(state)
}

/// Serves Severn at `bind` until the process is interrupted (Ctrl-C), then finishes the requests in hand
/// and returns, so the caller can record the audit log's checkpoint.
pub async fn serve(app: App, bind: SocketAddr, options: WebOptions) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(bind).await?;
    tracing::info!("serving Severn at http://{}", listener.local_addr()?);
    let router = router(WebState::new(app, options));
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        // If the handler cannot be installed the server runs until it is killed.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    })
    .await
}
