//! Passwords, authenticator secrets and API tokens issued at the command line, printed once.

use anyhow::Result;
use rand::Rng;
use severn_app::App;
use severn_app::admin::IssuedCredentials;
use severn_app::identity::Identity;
use severn_domain::access::Actor;
use severn_domain::identity::{IdentityPolicy, TokenLifetime};
use severn_domain::ids::StaffId;

/// What a new account needs to sign in; shown once and never stored in the clear.
pub enum Credentials {
    Person {
        password: String,
        /// Base32, in groups of four, as typed into an authenticator app.
        authenticator: String,
        otpauth: String,
    },
    Service {
        token: String,
        expires_at: i64,
    },
}

impl From<IssuedCredentials> for Credentials {
    fn from(issued: IssuedCredentials) -> Credentials {
        match issued {
            IssuedCredentials::Person {
                password,
                authenticator,
                otpauth,
            } => Credentials::Person {
                password,
                authenticator,
                otpauth,
            },
            IssuedCredentials::Service { token, expires_at } => {
                Credentials::Service { token, expires_at }
            }
        }
    }
}

impl Credentials {
    /// The `--json` form: `{password, authenticator_secret, authenticator_link}` for a person,
    /// `{api_token, expires_at}` for a service account.
    pub fn json(&self) -> serde_json::Value {
        match self {
            Credentials::Person {
                password,
                authenticator,
                otpauth,
            } => serde_json::json!({
                "password": password,
                "authenticator_secret": authenticator,
                "authenticator_link": otpauth,
            }),
            Credentials::Service { token, expires_at } => serde_json::json!({
                "api_token": token,
                "expires_at": crate::output::rfc3339(*expires_at),
            }),
        }
    }

    pub fn lines(&self) -> Vec<String> {
        match self {
            Credentials::Person {
                password,
                authenticator,
                otpauth,
            } => vec![
                format!("password: {password}"),
                format!("authenticator secret: {authenticator}"),
                format!("authenticator link: {otpauth}"),
            ],
            Credentials::Service { token, expires_at } => vec![
                format!("api token: {token}"),
                format!("expires: {}", crate::output::when(*expires_at)),
            ],
        }
    }
}

/// A password of 20 letters and digits (no look-alikes): about 113 bits.
fn new_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Sets a new password and authenticator for a person, or issues an API token for a service account.
pub async fn issue(
    app: &App,
    actor: &Actor,
    staff: StaffId,
    username: &str,
    service: bool,
) -> Result<Credentials> {
    let identity = Identity::new(app.clone(), IdentityPolicy::default());
    if service {
        let token = identity
            .issue_api_token(
                actor,
                username,
                "issued at the command line",
                TokenLifetime::default(),
            )
            .await?;
        return Ok(Credentials::Service {
            token: token.token.expose().to_owned(),
            expires_at: token.expires_at,
        });
    }
    let password = new_password();
    identity.set_password(actor, staff, &password).await?;
    let secret = identity.provision_totp(actor, staff).await?;
    Ok(Credentials::Person {
        password,
        authenticator: secret.to_base32_grouped(),
        otpauth: secret.otpauth_uri("Severn", username),
    })
}
