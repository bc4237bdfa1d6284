//! `severn support-services`: the directory of commissioned support services: list, add, import, export.

use crate::args::{SupportServiceArgs, SupportServicesCommand};
use crate::commands::cases::org_id;
use crate::ctx::Ctx;
use crate::output;
use anyhow::{Result, anyhow};
use severn_app::support::DirectoryQuery;
use severn_domain::support::{Areas, NewSupportService, Serves, ServiceKind, to_csv};
use std::process::ExitCode;

fn kind(typed: &str) -> Result<ServiceKind> {
    ServiceKind::parse(typed).ok_or_else(|| {
        anyhow!(
            "{typed:?} is not a kind of service: use one of {}",
            ServiceKind::ALL.map(ServiceKind::as_str).join(", ")
        )
    })
}

fn entry(a: &SupportServiceArgs) -> Result<NewSupportService> {
    let serves = a
        .serves
        .iter()
        .map(|typed| {
            Serves::parse(typed).ok_or_else(|| {
                anyhow!(
                    "{typed:?} is not a group served: use {}",
                    Serves::ALL.map(Serves::as_str).join(", ")
                )
            })
        })
        .collect::<Result<_>>()?;
    Ok(NewSupportService {
        name: a.name.clone(),
        kind: kind(&a.kind)?,
        serves,
        min_age: a.min_age,
        max_age: a.max_age,
        areas: Areas::parse(&a.areas).map_err(|why| anyhow!("--areas: {why}"))?,
        needs: a
            .needs
            .split(';')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .collect(),
        capacity: a.capacity,
        phone: a.phone.clone(),
        email: a.email.clone(),
        web: a.web.clone(),
        commissioner: a.commissioner.clone(),
        contract_ends: a.contract_ends,
        active: !a.closed,
    })
}

pub async fn support_services(ctx: &Ctx, command: SupportServicesCommand) -> Result<ExitCode> {
    let app = ctx.connect().await?;
    let actor = &ctx.actor;
    match command {
        SupportServicesCommand::List {
            kind: typed,
            area,
            age,
            open,
            closed,
            json,
        } => {
            let query = DirectoryQuery {
                kind: typed.as_deref().map(kind).transpose()?,
                area,
                age,
                active: (open || closed).then_some(open),
                page: 1,
            };
            let first = app.support_directory(actor, &query).await?;
            let mut services = first.services.clone();
            for page in 2..=first.pages {
                let next = app
                    .support_directory(
                        actor,
                        &DirectoryQuery {
                            page,
                            ..query.clone()
                        },
                    )
                    .await?;
                services.extend(next.services);
            }
            if json {
                output::json(&serde_json::json!({
                    "services": services,
                    "contracts_ending": first.contracts_ending,
                }))?;
            } else {
                for v in &services {
                    let d = &v.service.details;
                    show!(
                        "{:>4}  {}  ({}{})  areas {}  kept by {}",
                        v.service.id,
                        d.name,
                        v.kind_label,
                        if d.active { "" } else { ", closed" },
                        d.areas.joined(),
                        v.kept_by
                    );
                }
                if services.is_empty() {
                    say!("no services match");
                }
                for c in &first.contracts_ending {
                    show!(
                        "contract {} {}: {}",
                        if c.ended { "ended" } else { "ends" },
                        c.ends_on,
                        c.name
                    );
                }
            }
        }
        SupportServicesCommand::Add(args) => {
            let org = org_id(&app, actor, args.org.clone()).await?;
            let new = entry(&args)?;
            let id = app.add_support_service(actor, org, new).await?;
            let stored = app.support_service(id).await?;
            if args.json {
                output::json(&stored)?;
            } else {
                show!("support service {id} ({}) added", stored.details.name);
            }
        }
        SupportServicesCommand::Import { file, org, json } => {
            let org = org_id(&app, actor, org).await?;
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow!("reading {}: {e}", file.display()))?;
            let outcome = app.import_support_services(actor, org, &text).await?;
            if json {
                output::json(&outcome)?;
            } else {
                say!(
                    "{} service(s) added, {} changed",
                    outcome.added,
                    outcome.changed
                );
            }
        }
        SupportServicesCommand::Export { json } => {
            let services = app.support_services(None, None, None, None).await?;
            if json {
                output::json(&services)?;
            } else {
                print!("{}", to_csv(&services));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
