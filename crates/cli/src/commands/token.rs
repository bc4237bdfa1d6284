//! `severn staff token`: a service account's API tokens — issuing one (printed once), listing them, revoking
//! one. Each goes through the same staff-management use cases as the staff page, logged under the operator.

use crate::args::TokenCommand;
use anyhow::{Context, Result};
use severn_app::App;
use severn_app::admin::ApiTokenSummary;
use severn_domain::access::Actor;
use severn_domain::identity::TokenLifetime;

pub async fn run(app: &App, actor: &Actor, command: TokenCommand) -> Result<()> {
    match command {
        TokenCommand::Issue {
            username,
            label,
            days,
            json,
        } => {
            let lifetime = TokenLifetime::days(days).map_err(anyhow::Error::msg)?;
            let identity = severn_app::identity::Identity::new(app.clone(), Default::default());
            let issued = identity
                .issue_api_token(actor, &username, &label, lifetime)
                .await?;
            if json {
                crate::output::json(&serde_json::json!({
                    "api_token": issued.token.expose(),
                    "expires_at": crate::output::rfc3339(issued.expires_at),
                }))?;
                return Ok(());
            }
            say!("api token: {}", issued.token.expose());
            say!("expires: {}", crate::output::when(issued.expires_at));
        }
        TokenCommand::List { username, json } => {
            // Through the staff list, so that looking the account up is logged like any read of staff.
            let staff = app
                .list_staff(actor)
                .await?
                .into_iter()
                .find(|s| s.username == username)
                .with_context(|| format!("there is no account named {username:?}"))?;
            let tokens = app.api_tokens(actor, Some(staff.id)).await?;
            print(&tokens, json)?;
        }
        TokenCommand::Revoke { id, json } => {
            let staff = app.revoke_api_token(actor, id).await?;
            if json {
                crate::output::json(&serde_json::json!({
                    "revoked": id,
                    "account": staff.username,
                }))?;
                return Ok(());
            }
            say!("api token {id} of {} revoked", staff.username);
        }
    }
    Ok(())
}

fn print(tokens: &[ApiTokenSummary], as_json: bool) -> Result<()> {
    if as_json {
        return crate::output::json(&tokens);
    }
    for t in tokens {
        say!(
            "{:>4}  {:<8} expires {}  last used {}  {}",
            t.id,
            t.status,
            crate::output::at(t.expires_at),
            t.last_used_at
                .map(crate::output::at)
                .unwrap_or_else(|| "never".to_owned()),
            printable(&t.label)
        );
    }
    Ok(())
}

/// `text` with control characters shown escaped (`\n`, `\u{1b}`), so a label cannot forge lines.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}
