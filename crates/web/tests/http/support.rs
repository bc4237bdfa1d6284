//! A Severn web application over a fresh database, a browser-like cookie jar, and signing in through the pages.

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use jiff::Timestamp;
use severn_app::App;
use severn_domain::access::{Action, Actor, OrgKind, Role, StaffKind};
use severn_domain::audit::AuditKey;
use severn_domain::clock::FixedClock;
use severn_domain::ids::{OrgId, StaffId};
use severn_domain::totp::TotpSecret;
use severn_store::{Db, Gate, NewStaff, Request as GateRequest, Scoped, Verdict};
use severn_web::{WebOptions, WebState, router};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery staple";

pub fn operator() -> Actor {
    Actor::Operator {
        name: "test".into(),
    }
}

/// The key every test site's audit log is chained with.
pub fn audit_key() -> AuditKey {
    AuditKey::new([7; 32])
}

pub struct Site {
    pub app: App,
    /// The same database and key as the application, for fixtures and for reading back what was stored.
    pub gate: Gate,
    pub clock: Arc<FixedClock>,
    pub router: Router,
    pub force: OrgId,
}

pub struct Person {
    pub id: StaffId,
    pub username: String,
    pub secret: Option<TotpSecret>,
}

impl Site {
    pub async fn new(db: Db) -> Site {
        Site::new_with(db, WebOptions::default()).await
    }

    /// A site deployed with `options` over a fresh database.
    pub async fn new_with(db: Db, options: WebOptions) -> Site {
        let clock = Arc::new(FixedClock::new(
            "2026-03-02T09:00:00Z".parse::<Timestamp>().unwrap(),
        ));
        let app = App::new(db.clone(), clock.clone(), audit_key());
        let gate = Gate::new(db, audit_key());
        let mut tx = gate.db().begin().await.unwrap();
        let force = tx
            .insert_org("F1", "Force One", OrgKind::Force)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let router = router(WebState::new(app.clone(), options));
        Site {
            app,
            gate,
            clock,
            router,
            force,
        }
    }

    pub fn now(&self) -> i64 {
        self.app.now()
    }

    pub fn advance_minutes(&self, minutes: i64) {
        self.clock
            .advance(jiff::SignedDuration::from_secs(minutes * 60));
    }

    /// A transaction let through the gate as the test operator, for `action` (logged like any other).
    pub async fn operator_tx(&self, action: Action) -> Scoped {
        let tx = self.gate.db().begin().await.unwrap();
        let actor = operator();
        let request = GateRequest {
            actor: &actor,
            action,
            target: "test fixture",
            at: self.now(),
            justification: Some("test fixture".to_owned()),
            recipients: None,
            detail: None,
        };
        match self.gate.authorise(tx, &request, None).await.unwrap() {
            Verdict::Granted(tx) => tx,
            _ => panic!("the operator is let through"),
        }
    }

    /// Every entry of the audit log, oldest first.
    pub async fn audit_log(&self) -> Vec<severn_domain::audit::AuditEntry> {
        let mut tx = self.operator_tx(Action::ReadAudit).await;
        let entries = tx.audit_entries_after(0, 100_000).await.unwrap();
        tx.commit().await.unwrap();
        entries
    }

    pub fn identity(&self) -> severn_app::identity::Identity {
        severn_app::identity::Identity::new(self.app.clone(), Default::default())
    }

    /// A person in the force with a password and, when `enrolled`, an authenticator.
    pub async fn person(&self, username: &str, roles: &[Role], enrolled: bool) -> Person {
        self.person_in(self.force, username, roles, enrolled).await
    }

    /// An organisation besides the force.
    pub async fn org(&self, code: &str, kind: OrgKind) -> OrgId {
        let mut tx = self.gate.db().begin().await.unwrap();
        let org = tx.insert_org(code, code, kind).await.unwrap();
        tx.commit().await.unwrap();
        org
    }

    /// A person in organisation `org` with a password and, when `enrolled`, an authenticator.
    pub async fn person_in(
        &self,
        org: OrgId,
        username: &str,
        roles: &[Role],
        enrolled: bool,
    ) -> Person {
        let mut tx = self.operator_tx(Action::ManageStaff).await;
        let id = tx
            .insert_staff(&NewStaff {
                org_id: org,
                team_id: None,
                username: username.to_owned(),
                display_name: format!("Tester {username}"),
                kind: StaffKind::Person,
                roles: roles.to_vec(),
                created_at: self.now(),
            })
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let identity = self.identity();
        identity
            .set_password(&operator(), id, PASSWORD)
            .await
            .unwrap();
        let secret = if enrolled {
            Some(identity.provision_totp(&operator(), id).await.unwrap())
        } else {
            None
        };
        Person {
            id,
            username: username.to_owned(),
            secret,
        }
    }

    /// A service account with an API token.
    pub async fn service(&self, username: &str) -> String {
        let mut tx = self.operator_tx(Action::ManageStaff).await;
        tx.insert_staff(&NewStaff {
            org_id: self.force,
            team_id: None,
            username: username.to_owned(),
            display_name: "Machine feed".to_owned(),
            kind: StaffKind::Service,
            roles: vec![],
            created_at: self.now(),
        })
        .await
        .unwrap();
        tx.commit().await.unwrap();
        self.identity()
            .issue_api_token(&operator(), username, "test feed", Default::default())
            .await
            .unwrap()
            .token
            .expose()
            .to_owned()
    }
}

/// One browser: its cookies and its network address.
#[derive(Clone)]
pub struct Browser {
    pub cookies: BTreeMap<String, String>,
    pub address: SocketAddr,
}

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The value of the first hidden `csrf` field.
    pub fn csrf(&self) -> String {
        let start = self
            .body
            .find("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("no csrf field in:\n{}", self.body))
            + "name=\"csrf\" value=\"".len();
        let end = self.body[start..].find('"').unwrap() + start;
        self.body[start..end].to_owned()
    }
}

impl Browser {
    pub fn new() -> Browser {
        Browser::at("192.0.2.10")
    }

    pub fn at(ip: &str) -> Browser {
        Browser {
            cookies: BTreeMap::new(),
            address: SocketAddr::new(ip.parse().unwrap(), 40000),
        }
    }

    pub fn session(&self) -> Option<&String> {
        self.cookies.get("severn_session")
    }

    /// Sends a request as this browser. A JSON answer from the API is checked against the OpenAPI document
    /// (see [`crate::schema`]).
    pub async fn send(&mut self, site: &Site, mut request: Request<Body>) -> Page {
        if !self.cookies.is_empty() {
            let cookie = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            request
                .headers_mut()
                .insert(header::COOKIE, cookie.parse().unwrap());
        }
        request.extensions_mut().insert(ConnectInfo(self.address));
        let method = request.method().clone();
        let path = request.uri().to_string();
        let response = site.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        for set in headers.get_all(header::SET_COOKIE) {
            let set = set.to_str().unwrap();
            let (pair, attributes) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let page = Page {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        };
        let json = page
            .headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
        if path.starts_with("/api/") && json {
            crate::schema::check_answer(&method, &path, page.status, &page.body);
        }
        page
    }

    pub async fn get(&mut self, site: &Site, path: &str) -> Page {
        let request = Request::get(path).body(Body::empty()).unwrap();
        self.send(site, request).await
    }

    pub async fn post(&mut self, site: &Site, path: &str, form: &[(&str, &str)]) -> Page {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(site, request).await
    }

    /// Posts a JSON body to the API with the session cookie and, when given, the CSRF header.
    pub async fn post_json(
        &mut self,
        site: &Site,
        path: &str,
        csrf: Option<&str>,
        body: &serde_json::Value,
    ) -> Page {
        let mut request = Request::post(path).header(header::CONTENT_TYPE, "application/json");
        if let Some(csrf) = csrf {
            request = request.header("x-csrf-token", csrf);
        }
        let request = request.body(Body::from(body.to_string())).unwrap();
        self.send(site, request).await
    }

    /// Posts the password form the way a person would: the page first, then the form.
    pub async fn enter_password(&mut self, site: &Site, username: &str, password: &str) -> Page {
        let form = self.get(site, "/sign-in").await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = form.csrf();
        self.post(
            site,
            "/sign-in",
            &[
                ("csrf", &csrf),
                ("username", username),
                ("password", password),
            ],
        )
        .await
    }

    pub async fn enter_code(&mut self, site: &Site, code: &str) -> Page {
        let page = self.get(site, "/sign-in/code").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let csrf = page.csrf();
        self.post(site, "/sign-in/code", &[("csrf", &csrf), ("code", code)])
            .await
    }

    /// Signs in fully with the person's password and current code.
    pub async fn sign_in(&mut self, site: &Site, person: &Person) {
        let page = self.enter_password(site, &person.username, PASSWORD).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        assert_eq!(page.location(), "/sign-in/code");
        let code = person.secret.as_ref().unwrap().code_at(site.now());
        let page = self.enter_code(site, &code).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        assert_eq!(page.location(), "/");
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
