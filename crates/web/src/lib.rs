//! Severn on the web: server-rendered pages (askama, with htmx served from Severn itself) and a JSON API under
//! `/api`, over the same use cases the command line runs.
//!
//! Every page behind sign-in takes the signed-in [`Actor`](severn_domain::access::Actor) from the session and
//! hands it to the use case, which decides and logs the access. Every response carries the security headers
//! (see [`headers`]); every state-changing form carries the session's CSRF token (see [`session`]).
//!
//! Depends on `severn-app` for every use case and on `severn-domain` (and `severn-ingest`) for the types they
//! speak; it names the store only for rows and queries it passes through, never a connection or the audit
//! key. Only the `severn` command (`severn-cli`) depends on it.

mod admin;
mod allocation;
mod api;
mod assessment;
mod assets;
mod caselist;
mod cases;
mod casework;
mod error;
pub mod headers;
mod matches;
pub mod openapi;
mod oversight;
mod packages;
mod reference;
mod register;
mod review;
pub mod session;
mod shown;
mod signin;
mod support;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use severn_app::App;
use severn_app::identity::Identity;
use severn_domain::identity::IdentityPolicy;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

pub use packages::PackageLimits;

/// How the server is deployed.
#[derive(Debug, Clone, Default)]
pub struct WebOptions {
    /// Mark cookies `Secure` (and give them the `__Host-` prefix) and send `Strict-Transport-Security`: set
    /// when Severn is reached over HTTPS (directly or through a terminating proxy). Off for plain HTTP on a
    /// loopback address.
    pub https: bool,
    /// The numbers that govern sign-in and sessions.
    pub identity: IdentityPolicy,
    /// How long a client may take and how many may connect at once.
    pub limits: ServerLimits,
    /// How large a package sent to `POST /api/packages` may be.
    pub packages: PackageLimits,
}

/// What keeps one client, slow or hostile, from holding the server: without them a client that sends half a
/// request and waits keeps its connection, and its file handle, for ever.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLimits {
    /// A connection must send a request's whole header within this long of starting to wait for one (after
    /// connecting, or after the last response on a kept-alive connection), or it is closed.
    pub header_read_timeout: Duration,
    /// A request, its body read and its answer worked out, must be done within this long, or it is answered
    /// 408 and whatever it was doing is abandoned (an open transaction rolls back).
    pub request_timeout: Duration,
    /// At most this many connections at once; further ones wait, unaccepted, until one closes.
    pub max_connections: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_connections: 512,
        }
    }
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
        // A reference may hold `/` (partner and other-force references): links encode it, and the
        // wildcard also takes one typed by hand.
        .route(
            "/referrals/{*reference}",
            get(cases::referral).post(cases::referral_justified),
        )
        .route(
            "/subjects/{id}",
            get(cases::subject).post(cases::subject_justified),
        )
        .route(
            "/subjects/{id}/assess",
            get(assessment::assess_page).post(assessment::assess),
        )
        .route(
            "/subjects/{id}/assess/open",
            post(assessment::assess_page_justified),
        )
        .route("/assess/preview", post(assessment::preview))
        .route("/subjects/{id}/case", post(casework::open))
        .route("/subjects/{id}/override", post(review::override_band))
        .route("/subjects/{id}/sign-off", post(review::sign_off))
        .route("/cases", get(casework::worklist))
        .route("/cases/filters", post(caselist::save_filter))
        .route("/cases/filters/{id}/delete", post(caselist::delete_filter))
        .route(
            "/cases/{id}",
            get(casework::case).post(casework::case_justified),
        )
        .route("/cases/{id}/events", post(casework::record))
        .route(
            "/cases/{id}/allocate",
            get(allocation::page).post(allocation::allocate),
        )
        .route("/cases/{id}/allocate/why", post(allocation::page_justified))
        .route("/subjects/{id}/merge", post(cases::merge))
        .route("/subjects/{id}/compare", get(matches::compare_with))
        .route(
            "/subjects/{id}/compare/{other}",
            get(matches::compare).post(matches::compare_justified),
        )
        .route("/subjects/{id}/compare/{other}/merge", post(matches::merge))
        .route("/subjects/{id}/split", post(cases::split))
        .route("/subjects/{id}/share", post(cases::share))
        .route("/subjects/{id}/restrict", post(cases::restrict))
        .route("/search", get(cases::search))
        .route("/figures", get(cases::figures))
        .route("/audit", get(cases::audit))
        .route("/training", get(oversight::training))
        .route("/audits/allocation", get(oversight::allocation_audit))
        .route(
            "/audits/allocation.csv",
            get(oversight::allocation_audit_csv),
        )
        .route("/audits/warrants", get(oversight::warrant_audit))
        .route("/audits/stages", get(oversight::stage_audit))
        .route("/audits/safeguarding", get(oversight::safeguarding_audit))
        .route("/audits/support-gaps", get(oversight::support_gaps))
        .route(
            "/audits/safeguarding.csv",
            get(oversight::safeguarding_audit_csv),
        )
        .route("/staff", get(admin::staff).post(admin::add))
        .route("/staff/{id}/register", get(register::page))
        .route("/staff/{id}/profile", post(register::set_profile))
        .route("/staff/{id}/absences", post(register::add_absence))
        .route("/training/import", post(register::import))
        .route("/training/records.csv", get(register::export))
        .route("/training/skills", post(register::put_skill))
        .route("/api/staff/{id}/register", get(register::entry_api))
        .route("/api/staff/{id}/profile", put(register::profile_api))
        .route("/api/staff/{id}/absences", post(register::absence_api))
        .route("/api/training/import", post(register::import_api))
        .route("/api/training/records", get(register::records_api))
        .route(
            "/api/training/skills",
            get(register::skills_api).post(register::put_skill_api),
        )
        .route("/support-services", get(support::page).post(support::add))
        .route("/support-services.csv", get(support::export))
        .route(
            "/support-services/{id}",
            get(support::service_page).post(support::change),
        )
        .route(
            "/api/support-services",
            get(support::list_api).post(support::add_api),
        )
        .route(
            "/api/support-services/{id}",
            get(support::service_api).put(support::change_api),
        )
        .route("/staff/{id}/deactivate", post(admin::deactivate))
        .route("/staff/{id}/reactivate", post(admin::reactivate))
        .route("/staff/{id}/reset", post(admin::reset))
        .route("/staff/{id}/token", post(admin::token))
        .route("/staff/tokens/{id}/revoke", post(admin::revoke_token))
        .route("/staff/requests/{id}/approve", post(admin::approve))
        .route("/staff/requests/{id}/reject", post(admin::reject))
        .route("/api/me", get(api::me))
        .route("/api/queue", get(api::queue))
        .route("/api/referrals/{*reference}", get(api::referral))
        .route("/api/subjects/{id}", get(api::subject))
        .route("/api/subjects/{id}/merge", post(api::merge))
        .route("/api/subjects/{id}/matches", get(api::matches))
        .route("/api/subjects/{id}/compare/{other}", get(api::compare))
        .route("/api/subjects/{id}/split", post(api::split))
        .route("/api/subjects/{id}/assess", post(api::assess))
        .route(
            "/api/subjects/{id}/assess/preview",
            post(api::preview_assessment),
        )
        .route("/api/subjects/{id}/share", post(api::share))
        .route("/api/subjects/{id}/restrict", post(api::restrict))
        .route("/api/subjects/{id}/case", post(api::open_case))
        .route("/api/subjects/{id}/override", post(review::override_api))
        .route("/api/subjects/{id}/sign-off", post(review::sign_off_api))
        .route("/api/cases", get(api::cases))
        .route(
            "/api/cases/filters",
            get(caselist::api_saved_filters).post(caselist::api_save_filter),
        )
        .route(
            "/api/cases/filters/{id}",
            delete(caselist::api_delete_filter),
        )
        .route("/api/cases/{id}", get(api::case))
        .route("/api/cases/{id}/events", post(api::record_event))
        .route("/api/cases/{id}/candidates", get(api::candidates))
        .route("/api/cases/{id}/allocate", post(api::allocate))
        .route("/api/notices", get(api::notices))
        .route("/api/search", get(api::search))
        .route("/api/figures", get(api::figures))
        .route(
            "/api/local-authorities",
            get(reference::local_authorities_api),
        )
        .route("/api/audit", get(api::audit))
        .route("/api/training/coverage", get(oversight::training_api))
        .route(
            "/api/audits/allocation",
            get(oversight::allocation_audit_api),
        )
        .route("/api/audits/warrants", get(oversight::warrant_audit_api))
        .route("/api/audits/stages", get(oversight::stage_audit_api))
        .route(
            "/api/audits/safeguarding",
            get(oversight::safeguarding_audit_api),
        )
        .route("/api/audits/support-gaps", get(oversight::support_gaps_api))
        .route("/api/packages", post(packages::receive))
        .route("/api/openapi.json", get(openapi::serve))
        .route("/static/{file}", get(assets::asset))
        .route("/favicon.ico", get(assets::favicon))
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            request_timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            headers::security_headers,
        ))
        .with_state(state)
}

/// Abandons a request that takes longer than [`ServerLimits::request_timeout`], answering 408.
async fn request_timeout(State(state): State<WebState>, request: Request, next: Next) -> Response {
    let limit = state.options.limits.request_timeout;
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!("a request took longer than {limit:?} and was stopped");
            (
                StatusCode::REQUEST_TIMEOUT,
                [(axum::http::header::CONNECTION, "close")],
            )
                .into_response()
        }
    }
}

/// Serves Severn at `bind` until the process is interrupted (Ctrl-C), then finishes the requests in hand
/// and returns, so the caller can record the audit log's checkpoint.
pub async fn serve(app: App, bind: SocketAddr, options: WebOptions) -> std::io::Result<()> {
    let listener = TcpListener::bind(bind).await?;
    tracing::info!("serving Severn at http://{}", listener.local_addr()?);
    serve_on(listener, WebState::new(app, options), async {
        // If the handler cannot be installed the server runs until it is killed.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    })
    .await
}

/// Serves Severn on `listener` under the options' [`ServerLimits`] until `shutdown` completes, then stops
/// accepting, lets the connections in hand finish their requests, and returns.
pub async fn serve_on(
    listener: TcpListener,
    state: WebState,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let limits = state.options.limits.clone();
    let router = router(state);
    let places = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A place first, then the connection: beyond the limit, clients wait in the listen queue.
        let place = tokio::select! {
            place = places.clone().acquire_owned() => place.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file handles, say: wait a moment rather than spin.
                    tracing::warn!("could not accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = router
            .clone()
            .map_request(move |request: Request<hyper::body::Incoming>| {
                let mut request = request.map(Body::new);
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout);
        let connection =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!("connection from {peer} ended: {e}");
            }
            drop(place);
        });
    }
    graceful.shutdown().await;
    Ok(())
}
