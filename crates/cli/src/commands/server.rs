//! `severn migrate` and `severn serve`: the database brought up to date, and the web application served.

use crate::args::ServeArgs;
use crate::ctx::{Ctx, keep_checkpointing};
use anyhow::{Context, Result};
use std::process::ExitCode;

pub async fn migrate(ctx: &Ctx) -> Result<ExitCode> {
    let app = ctx.connect().await?;
    app.migrate().await?;
    say!("database {} is up to date", ctx.url);
    Ok(ExitCode::SUCCESS)
}

pub async fn serve(ctx: &Ctx, args: ServeArgs) -> Result<ExitCode> {
    let ServeArgs {
        bind,
        https,
        header_timeout,
        request_timeout,
        max_connections,
        package_max_bytes,
        package_max_entries,
        package_max_unpacked_bytes,
        mail,
    } = args;
    let app = ctx.connect().await?;
    say!("Severn is serving at http://{bind}/ (stop it with Ctrl-C)");
    let defaults = severn_web::PackageLimits::default();
    let options = severn_web::WebOptions {
        https,
        limits: limits(header_timeout, request_timeout, max_connections),
        packages: severn_web::PackageLimits {
            max_upload_bytes: package_max_bytes.unwrap_or(defaults.max_upload_bytes),
            max_entries: package_max_entries.unwrap_or(defaults.max_entries),
            max_unpacked_bytes: package_max_unpacked_bytes.unwrap_or(defaults.max_unpacked_bytes),
        },
        ..Default::default()
    };
    keep_checkpointing(app.clone(), ctx.checkpoints.clone());
    keep_giving_notices(app.clone(), ctx.actor.clone(), mail);
    severn_web::serve(app, bind, options)
        .await
        .with_context(|| format!("serving at {bind}"))?;
    Ok(ExitCode::SUCCESS)
}

/// The server's limits: those given, and the defaults for the rest.
fn limits(
    header_timeout: Option<u64>,
    request_timeout: Option<u64>,
    max_connections: Option<usize>,
) -> severn_web::ServerLimits {
    let default = severn_web::ServerLimits::default();
    severn_web::ServerLimits {
        header_read_timeout: header_timeout
            .map_or(default.header_read_timeout, std::time::Duration::from_secs),
        request_timeout: request_timeout
            .map_or(default.request_timeout, std::time::Duration::from_secs),
        max_connections: max_connections.unwrap_or(default.max_connections),
    }
}

/// Gives the notices due every five minutes while the server runs, e-mailing them when a relay is named.
fn keep_giving_notices(
    app: severn_app::App,
    actor: severn_domain::access::Actor,
    mail: crate::args::MailArgs,
) {
    tokio::spawn(async move {
        let relay = mail.relay();
        let link = mail.case_link();
        let mut every = tokio::time::interval(std::time::Duration::from_secs(300));
        loop {
            every.tick().await;
            match app.give_notices(&actor, relay.as_ref(), &link).await {
                Ok(round) => {
                    for failure in round.failed {
                        tracing::warn!("{failure}");
                    }
                }
                Err(e) => tracing::error!("giving notices: {e}"),
            }
        }
    });
}
