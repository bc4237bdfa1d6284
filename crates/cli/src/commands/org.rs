//! `severn org add|list`: organisations.

use crate::args::OrgCommand;
use crate::ctx::Ctx;
use anyhow::Result;
use std::process::ExitCode;

pub async fn org(ctx: &Ctx, command: OrgCommand) -> Result<ExitCode> {
    let app = ctx.connect().await?;
    match command {
        OrgCommand::Add { code, name, kind } => {
            let kind = kind.0;
            let id = app.create_org(&ctx.actor, &code, &name, kind).await?;
            show!("organisation {id} {code} ({name}, {}) added", kind.as_str());
        }
        OrgCommand::List => {
            for o in app.list_orgs(&ctx.actor).await? {
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
