//! Partner CSV referrals (public reports, P2P detection, other forces, partner agencies). Some concern
//! suspects who also appear in NCMEC reports, sharing an e-mail, phone or account with them.

use crate::names::{FIRST_NAMES, SURNAMES};
use crate::population::Flag;
use crate::render::{date_of_birth, timestamp};
use crate::report::{BASE_SECONDS, Context, SPAN_SECONDS, hex, pool_hex};
use crate::services::SERVICES;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

pub const HEADER: [&str; 21] = [
    "source_reference",
    "source",
    "received_at",
    "incident_type",
    "incident_at",
    "platform",
    "suspect_first_name",
    "suspect_last_name",
    "suspect_date_of_birth",
    "suspect_emails",
    "suspect_phones",
    "suspect_service",
    "suspect_user_ids",
    "suspect_screen_names",
    "suspect_ips",
    "suspect_device_ids",
    "access_to_children",
    "convicted_sex_offender",
    "children_count",
    "file_hashes",
    "summary",
];

/// One partner referral: its key-form source reference, true suspect and CSV fields in [`HEADER`] order.
pub struct Row {
    pub source_ref: String,
    pub suspect: usize,
    pub fields: [String; 21],
}

fn yes_no(flag: Flag) -> String {
    match flag {
        Flag::Yes => "yes".to_owned(),
        Flag::No => "no".to_owned(),
        Flag::Absent | Flag::Unknown => String::new(),
    }
}

/// Generates row `k` about `suspect`; `known` says the suspect also appears in NCMEC reports, in which case the
/// row carries an identifier that links it to them.
pub fn row(ctx: &Context<'_>, rng: &mut ChaCha8Rng, k: usize, suspect: usize, known: bool) -> Row {
    let pop = ctx.population;
    let s = &pop.suspects[suspect];
    let mut f: [String; 21] = Default::default();
    let (source, reference) = match rng.random_range(0..100) {
        0..35 => ("public_report", format!("PR-2026-{:06}", k + 1)),
        35..65 => ("p2p_detection", format!("CPS-{:07}", k + 1)),
        65..85 => ("other_force", format!("XF-26-{:05}", k + 1)),
        _ => ("partner_agency", format!("PA-{:06}", k + 1)),
    };
    let received = BASE_SECONDS + rng.random_range(0..SPAN_SECONDS);
    f[0] = reference.clone();
    f[1] = source.to_owned();
    f[2] = timestamp(received);
    f[4] = timestamp(received - rng.random_range(3_600..20 * 86_400));
    let service = usize::from(s.primary);
    let mut emails = Vec::new();
    let mut phones = Vec::new();
    let mut with_account = false;
    let named = matches!(source, "other_force" | "partner_agency");
    match source {
        "public_report" => {
            f[3] = if rng.random_bool(0.5) {
                "online_enticement".to_owned()
            } else {
                "Online Enticement of Children for Sexual Acts".to_owned()
            };
            with_account = true;
            f[18] = "1".to_owned();
            f[20] = "Parent reports sexual messages sent to their child online.".to_owned();
        }
        "p2p_detection" => {
            f[3] = "child_pornography".to_owned();
            f[5] = "BitTorrent".to_owned();
            let mut ips = vec![pop.home_ipv6(suspect)];
            if let Some(v4) = pop.home_ipv4(suspect) {
                ips.push(v4);
            }
            f[14] = ips.join(";");
            let k = rng.random_range(0..ctx.hash_pool);
            // P2P detection matches known files, so these hashes circulate across referrals and reports.
            f[19] = if ctx.hard {
                format!(
                    "MD5:{};SHA1:{}",
                    pool_hex(ctx.seed, k, 1, 32),
                    pool_hex(ctx.seed, k, 2, 40)
                )
            } else {
                format!("MD5:{};SHA1:{}", hex(rng, 32), hex(rng, 40))
            };
            f[20] = "Client observed offering files matching known hashes.".to_owned();
        }
        "other_force" => {
            f[3] = if rng.random_bool(0.3) {
                "Child Sexual Molestation".to_owned()
            } else {
                "Child Pornography (possession, manufacture, and distribution)".to_owned()
            };
            f[16] = yes_no(s.access_to_children);
            f[17] = yes_no(s.convicted);
            f[20] = "Intelligence shared by another force, suspect resides in our area.".to_owned();
        }
        _ => {
            f[3] = "Child Sexual Molestation".to_owned();
            f[16] = "yes".to_owned();
            f[18] = rng.random_range(1..=3).to_string();
            f[20] =
                "Children's social care referral: adult in household, concerns online.".to_owned();
        }
    }
    if named {
        f[6] = FIRST_NAMES[usize::from(s.first)].to_owned();
        f[7] = SURNAMES[usize::from(s.last)].to_owned();
        if rng.random_bool(0.7) {
            f[8] = date_of_birth(s.dob_days);
        }
    }
    let email = pop.email(suspect);
    let mobile = pop.mobile(suspect);
    if let Some(e) = &email
        && (known || rng.random_bool(0.5))
    {
        emails.push(ctx.email_variant(rng, e));
    }
    if let Some(m) = mobile
        && (known || rng.random_bool(0.5))
    {
        phones.push(ctx.mobile_variant(rng, false, m).value);
    }
    if let Some(l) = pop.landline(suspect)
        && named
        && rng.random_bool(0.5)
    {
        phones.push(l);
    }
    // A known suspect with neither e-mail nor phone is linked through their account instead.
    if with_account || (known && emails.is_empty() && phones.is_empty()) {
        f[5] = SERVICES[service].name.to_owned();
        f[11] = SERVICES[service].name.to_owned();
        f[12] = pop.user_id(suspect, service);
        f[13] = pop.screen_name(suspect, service);
    }
    if source != "public_report" && rng.random_bool(0.2) {
        let devices: Vec<String> = pop
            .imeis(suspect)
            .into_iter()
            .map(|d| format!("IMEI:{d}"))
            .collect();
        f[15] = devices.join(";");
    }
    f[9] = emails.join(";");
    f[10] = phones.join(";");
    Row {
        source_ref: format!("ext:{source}/{reference}"),
        suspect,
        fields: f,
    }
}
