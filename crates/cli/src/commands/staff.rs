//! `severn staff`: staff accounts and their roles, their API tokens, and the changes waiting for a second
//! administrator.

use crate::args::StaffCommand;
use crate::commands::token;
use crate::credentials::{self, Credentials};
use crate::ctx::Ctx;
use crate::output;
use anyhow::{Result, bail};
use severn_app::approval::describe;
use severn_app::staff::StaffSpec;
use severn_domain::access::StaffKind;
use std::process::ExitCode;

pub async fn staff(ctx: &Ctx, command: StaffCommand) -> Result<ExitCode> {
    let app = ctx.connect().await?;
    match command {
        StaffCommand::Add {
            username,
            org,
            name,
            roles,
            service,
            credentials,
            json,
        } => {
            let orgs = app.list_orgs(&ctx.actor).await?;
            let Some(org) = orgs.iter().find(|o| o.code.eq_ignore_ascii_case(&org)) else {
                bail!("there is no organisation with the code {org:?}: see `severn org list`");
            };
            let spec = StaffSpec {
                org: org.id,
                team: None,
                username: username.clone(),
                display_name: name,
                kind: if service {
                    StaffKind::Service
                } else {
                    StaffKind::Person
                },
                roles: roles.into_iter().map(|r| r.0).collect(),
            };
            let id = app.create_staff(&ctx.actor, &spec).await?;
            let issued = if credentials {
                Some(credentials::issue(&app, &ctx.actor, id, &username, service).await?)
            } else {
                None
            };
            if json {
                output::json(&serde_json::json!({
                    "id": id.0,
                    "username": username,
                    "org": org.code,
                    "credentials": issued.as_ref().map(Credentials::json),
                }))?;
                return Ok(ExitCode::SUCCESS);
            }
            show!("staff {id} {username} added to {}", org.name);
            for line in issued.iter().flat_map(Credentials::lines) {
                say!("{line}");
            }
        }
        StaffCommand::Token(command) => token::run(&app, &ctx.actor, command).await?,
        StaffCommand::List { json } => {
            let staff = app.list_staff(&ctx.actor).await?;
            if json {
                let staff: Vec<serde_json::Value> = staff
                    .iter()
                    .map(|s| {
                        serde_json::json!({
                            "id": s.id.0,
                            "username": s.username,
                            "name": s.display_name,
                            "kind": s.kind.as_str(),
                            "org": s.org_id.0,
                            "roles": s.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                            "active": s.active,
                        })
                    })
                    .collect();
                output::json(&staff)?;
                return Ok(ExitCode::SUCCESS);
            }
            for s in staff {
                let roles: Vec<&str> = s.roles.iter().map(|r| r.as_str()).collect();
                show!(
                    "{:>4}  {:<24} {:<8} org {:<4} {}{}",
                    s.id,
                    s.username,
                    s.kind.as_str(),
                    s.org_id,
                    roles.join(","),
                    if s.active { "" } else { " (inactive)" }
                );
            }
        }
        StaffCommand::Requests { json } => {
            let changes = app.pending_staff_changes(&ctx.actor).await?;
            if json {
                let changes: Vec<serde_json::Value> = changes
                    .iter()
                    .map(|c| {
                        serde_json::json!({
                            "id": c.id,
                            "org": c.org_id.0,
                            "kind": c.kind.as_str(),
                            "username": c.username,
                            "roles": c.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                            "requested_by": c.requested_by_name,
                            "requested_at": output::rfc3339(c.requested_at),
                            "expires_at": output::rfc3339(c.expires_at),
                        })
                    })
                    .collect();
                output::json(&changes)?;
            } else {
                for c in &changes {
                    show!(
                        "{:>4}  org {:<4} {}, asked by {} at {}, lapses {}",
                        c.id,
                        c.org_id,
                        describe(c),
                        c.requested_by_name,
                        output::when(c.requested_at),
                        output::when(c.expires_at)
                    );
                }
                if changes.is_empty() {
                    say!("no changes are waiting for approval");
                }
            }
        }
        StaffCommand::Approve { id, json } => {
            let approved = app.approve_staff_change(&ctx.actor, id).await?;
            let issued = Credentials::from(approved.credentials);
            if json {
                output::json(&serde_json::json!({
                    "request": id,
                    "approved": describe(&approved.change),
                    "credentials": issued.json(),
                }))?;
                return Ok(ExitCode::SUCCESS);
            }
            show!("request {id} approved: {}", describe(&approved.change));
            for line in issued.lines() {
                say!("{line}");
            }
        }
        StaffCommand::Reject { id, json } => {
            let rejected = app.reject_staff_change(&ctx.actor, id).await?;
            if json {
                output::json(&serde_json::json!({
                    "request": id,
                    "rejected": describe(&rejected),
                }))?;
                return Ok(ExitCode::SUCCESS);
            }
            show!("request {id} rejected: {}", describe(&rejected));
        }
    }
    Ok(ExitCode::SUCCESS)
}
