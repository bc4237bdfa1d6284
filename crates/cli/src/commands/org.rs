//! `severn org add|list`: organisations.

use crate::args::OrgCommand;
use crate::ctx::Ctx;
use crate::output;
use anyhow::Result;
use std::process::ExitCode;

pub async fn org(ctx: &Ctx, command: OrgCommand) -> Result<ExitCode> {
    let app = ctx.connect().await?;
    match command {
        OrgCommand::Add {
            code,
            name,
            kind,
            json,
        } => {
            let kind = kind.0;
            let id = app.create_org(&ctx.actor, &code, &name, kind).await?;
            if json {
                output::json(&serde_json::json!({
                    "id": id.0,
                    "code": code,
                    "name": name,
                    "kind": kind.as_str(),
                }))?;
                return Ok(ExitCode::SUCCESS);
            }
            show!("organisation {id} {code} ({name}, {}) added", kind.as_str());
        }
        OrgCommand::List { json } => {
            let orgs = app.list_orgs(&ctx.actor).await?;
            if json {
                let orgs: Vec<serde_json::Value> = orgs
                    .iter()
                    .map(|o| {
                        serde_json::json!({
                            "id": o.id.0,
                            "code": o.code,
                            "name": o.name,
                            "kind": o.kind.as_str(),
                        })
                    })
                    .collect();
                output::json(&orgs)?;
                return Ok(ExitCode::SUCCESS);
            }
            for o in orgs {
                show!(
                    "{:>4}  {:<8} {:<14} {}",
                    o.id,
                    o.code,
                    o.kind.as_str(),
                    o.name
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
