//! `severn reference`: the reference lists (bank holidays, local authorities) loaded, shown, and a child's
//! local authority looked up.

use crate::args::ReferenceCommand;
use crate::ctx::Ctx;
use crate::output;
use anyhow::{Context, Result};
use serde_json::json;
use severn_app::reference::{AreaLookup, ListInForce, LookupResult};
use severn_domain::authorities::Authority;
use severn_domain::reference::ReferenceList;
use std::process::ExitCode;

pub async fn reference(ctx: &Ctx, command: ReferenceCommand) -> Result<ExitCode> {
    let app = ctx.connect().await?;
    match command {
        ReferenceCommand::Load { list, file, json } => {
            let list = list.list();
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let loaded = app
                .load_reference_list(&ctx.actor, list, &text)
                .await
                .with_context(|| format!("{} not loaded", file.display()))?;
            if json {
                return print_json(&in_force_json(&loaded, json!({})));
            }
            say!(
                "{} loaded from {} and in force (sha256 {})",
                list.label(),
                file.display(),
                loaded.sha256
            );
        }
        ReferenceCommand::Show { list, json } => {
            let list = list.list();
            let in_force = app.reference_list_in_force(list).await?;
            match list {
                ReferenceList::BankHolidays => {
                    let calendar = app.calendar().await?;
                    let (first, last) = calendar.years();
                    if json {
                        let holidays: Vec<_> = calendar
                            .holidays()
                            .map(|(date, name)| json!({ "date": date.to_string(), "name": name }))
                            .collect();
                        return print_json(&in_force_json(
                            &in_force,
                            json!({ "first_year": first, "last_year": last, "holidays": holidays }),
                        ));
                    }
                    heading(list, &in_force)?;
                    say!("Covers {first} to {last}.");
                    for (date, name) in calendar.holidays() {
                        show!("{} {date}  {name}", date.strftime("%a"));
                    }
                }
                ReferenceList::LocalAuthorities => {
                    let authorities = app.local_authorities().await?;
                    if json {
                        return print_json(&in_force_json(
                            &in_force,
                            json!({ "authorities": authorities.all() }),
                        ));
                    }
                    heading(list, &in_force)?;
                    say!(
                        "{} authorities; {} postcode districts placed.",
                        authorities.all().len(),
                        authorities.district_count()
                    );
                    for authority in authorities.all() {
                        show!("{}", line(authority));
                        if !authority.districts.is_empty() {
                            show!("    {}", authority.districts.join(" "));
                        }
                    }
                }
            }
        }
        ReferenceCommand::Lookup { area, json } => {
            let authorities = app.local_authorities_for(&ctx.actor).await?;
            let found = AreaLookup::of(&authorities, &area);
            if json {
                return print_json(&found);
            }
            match found.result {
                LookupResult::One => show!("{}: {}", area.trim(), line(&found.candidates[0])),
                LookupResult::Several => {
                    show!(
                        "{} lies in more than one local authority: choose the child's from these, by their address.",
                        area.trim()
                    );
                    for authority in &found.candidates {
                        show!("  {}", line(authority));
                    }
                }
                LookupResult::Unknown => show!(
                    "No local authority found for {:?}: give the authority's name (`severn reference show local-authorities` lists them), or load a fuller list.",
                    area.trim()
                ),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_json<T: serde::Serialize>(value: &T) -> Result<ExitCode> {
    output::json(value)?;
    Ok(ExitCode::SUCCESS)
}

/// The version's facts, with what the list holds added.
fn in_force_json(in_force: &ListInForce, mut holds: serde_json::Value) -> serde_json::Value {
    let version = json!({
        "list": in_force.list,
        "sha256": in_force.sha256,
        "shipped": in_force.loaded_at.is_none(),
        "loaded_at": in_force.loaded_at.map(output::rfc3339),
        "loaded_by": in_force.loaded_by,
    });
    if let (Some(holds), serde_json::Value::Object(version)) = (holds.as_object_mut(), version) {
        for (key, value) in version {
            holds.insert(key, value);
        }
    }
    holds
}

fn heading(list: ReferenceList, in_force: &ListInForce) -> Result<()> {
    match (&in_force.loaded_at, &in_force.loaded_by) {
        (Some(at), Some(by)) => show!(
            "{}: loaded {} by {by} (sha256 {})",
            list.label(),
            output::when(*at),
            in_force.sha256
        ),
        _ => show!(
            "{}: as shipped with Severn (sha256 {})",
            list.label(),
            in_force.sha256
        ),
    }
    Ok(())
}

fn line(authority: &Authority) -> String {
    format!(
        "{} ({}, {})",
        authority.name,
        authority.code,
        authority.nation.as_str()
    )
}
