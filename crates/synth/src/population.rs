//! The suspect population, generated before any report so that reports can be streamed.
//!
//! A suspect is kept compact (indices and flags, no strings): identifier strings are derived from the suspect
//! index when a report is written, so memory grows with the population only.

use crate::names::{
    COMMON_HANDLES, EMAIL_DOMAINS, FIRST_NAMES, HANDLE_ADJECTIVES, HANDLE_NOUNS, IMEI_TACS,
    LANDLINE_RANGES, SURNAMES,
};
use crate::services::{IdStyle, SERVICES};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::HashSet;

/// A yes/no/unknown answer that a report may also leave out.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    Absent,
    Yes,
    No,
    Unknown,
}

const NO_EMAIL: u8 = u8::MAX;
/// Real mobiles are 07700 900001–900999; 900000 is kept for the placeholder.
const MOBILE_NUMBERS: u16 = 999;
const LANDLINE_NUMBERS: u16 = 1000 * LANDLINE_RANGES.len() as u16;
/// Documentation addresses reserved for carrier-grade NAT and VPN exits.
pub const CGNAT_ADDRESSES: u8 = 32;
pub const VPN_ADDRESSES: u8 = 16;

pub struct Suspect {
    pub first: u8,
    pub last: u8,
    pub dob_days: u16,
    pub city: u8,
    pub household: u32,
    email_style: u8,
    email_domain: u8,
    /// 0: none, else the number after 07700 900000.
    mobile: u16,
    /// 0: none, else 1 + index into the landline drama ranges (shared by the household).
    landline: u16,
    /// 0: none, else 1 + global device index.
    device: u32,
    pub second_device: bool,
    /// Bit mask over [`SERVICES`].
    pub services: u16,
    pub primary: u8,
    pub weight: u8,
    reuse_handle: bool,
    /// 0: none, else 1 + index into [`COMMON_HANDLES`], used on the primary service.
    common_handle: u8,
    /// 0: none, else 1 + index into the placeholder e-mails.
    pub placeholder_email: u8,
    /// 0: none, else 1 + index into the placeholder IMEIs.
    pub placeholder_imei: u8,
    pub placeholder_phone: bool,
    pub vpn_user: bool,
    pub mobile_data: bool,
    pub access_to_children: Flag,
    pub convicted: Flag,
    pub enticer: bool,
}

pub struct Population {
    pub suspects: Vec<Suspect>,
    /// Per-service bijection `i -> (i * mul + add) % n` for numeric user IDs.
    mul: [u64; SERVICES.len()],
    add: [u64; SERVICES.len()],
    hard: bool,
}

/// The highest report weight; reports pick an earlier suspect with probability proportional to weight.
pub const MAX_WEIGHT: u8 = 20;

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// A cheap stateless mixer for values derived from an index (pool hashes, handle words).
pub fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn pick_flag(rng: &mut ChaCha8Rng, yes: f64, no: f64, unknown: f64) -> Flag {
    let x: f64 = rng.random();
    if x < yes {
        Flag::Yes
    } else if x < yes + no {
        Flag::No
    } else if x < yes + no + unknown {
        Flag::Unknown
    } else {
        Flag::Absent
    }
}

impl Population {
    pub fn generate(rng: &mut ChaCha8Rng, n: usize, hard: bool) -> Population {
        let n64 = n.max(1) as u64;
        let mut mul = [1u64; SERVICES.len()];
        let mut add = [0u64; SERVICES.len()];
        for s in 0..SERVICES.len() {
            let mut a = rng.random_range(1..=n64);
            while gcd(a, n64) != 1 {
                a = a % n64 + 1;
            }
            mul[s] = a;
            add[s] = rng.random_range(0..n64);
        }
        // Spread the scarce drama numbers evenly over the population rather than giving them all to the first.
        let mobile_p = (f64::from(MOBILE_NUMBERS) / n64 as f64).min(0.35);
        let landline_p = (f64::from(LANDLINE_NUMBERS) / n64 as f64).min(0.25);
        let mut mobiles = 0u16;
        let mut landlines = 0u16;
        let mut devices = 0u32;
        let mut taken_handles: HashSet<(u8, u8)> = HashSet::new();
        let mut suspects = Vec::with_capacity(n);
        let mut household = 0u32;
        while suspects.len() < n {
            let size = if hard {
                match rng.random_range(0..100) {
                    0..70 => 1,
                    70..90 => 2,
                    90..97 => 3,
                    _ => 4,
                }
            } else {
                1
            };
            let shared_last = rng.random_range(0..SURNAMES.len()) as u8;
            let city = rng.random_range(0..crate::names::CITIES.len()) as u8;
            let landline = if landlines < LANDLINE_NUMBERS && rng.random_bool(landline_p) {
                landlines += 1;
                landlines
            } else {
                0
            };
            for _ in 0..size.min(n - suspects.len()) {
                let multi = hard && rng.random_bool(0.08);
                let primary = rng.random_range(0..SERVICES.len()) as u8;
                let mut services = 1u16 << primary;
                if multi {
                    let extra = rng.random_range(1..=3);
                    while services.count_ones() < 1 + extra {
                        services |= 1 << rng.random_range(0..SERVICES.len());
                    }
                }
                let mut weight = match rng.random_range(0..100) {
                    0..65 => 1,
                    65..85 => 2,
                    85..95 => 5,
                    _ => MAX_WEIGHT,
                };
                if multi {
                    weight = weight.max(5);
                }
                let mobile = if mobiles < MOBILE_NUMBERS && rng.random_bool(mobile_p) {
                    mobiles += 1;
                    mobiles
                } else {
                    0
                };
                let device = if rng.random_bool(0.55) {
                    devices += 1;
                    devices
                } else {
                    0
                };
                let second_device = device != 0 && rng.random_bool(0.15);
                if second_device {
                    devices += 1;
                }
                let mut common_handle = 0;
                if hard && rng.random_bool(0.05) {
                    let h = rng.random_range(0..COMMON_HANDLES.len()) as u8;
                    if taken_handles.insert((primary, h)) {
                        common_handle = h + 1;
                    }
                }
                // Placeholders are common and skewed towards the first value (all-zero IMEI, unknown@).
                let placeholder = |rng: &mut ChaCha8Rng, p: f64, weights: &[u32]| -> u8 {
                    if !(hard && rng.random_bool(p)) {
                        return 0;
                    }
                    let mut x = rng.random_range(0..weights.iter().sum::<u32>());
                    for (k, w) in weights.iter().enumerate() {
                        if x < *w {
                            return k as u8 + 1;
                        }
                        x -= w;
                    }
                    1
                };
                let placeholder_email = placeholder(rng, 0.08, &[60, 25, 15]);
                let placeholder_imei = placeholder(rng, 0.12, &[80, 20]);
                suspects.push(Suspect {
                    first: rng.random_range(0..FIRST_NAMES.len()) as u8,
                    last: if rng.random_bool(0.6) {
                        shared_last
                    } else {
                        rng.random_range(0..SURNAMES.len()) as u8
                    },
                    dob_days: rng.random_range(0..17_000),
                    city,
                    household,
                    email_style: if rng.random_bool(0.8) {
                        rng.random_range(0..5)
                    } else {
                        NO_EMAIL
                    },
                    email_domain: rng.random_range(0..EMAIL_DOMAINS.len()) as u8,
                    mobile,
                    landline,
                    device,
                    second_device,
                    services,
                    primary,
                    weight,
                    reuse_handle: rng.random_bool(0.6),
                    common_handle,
                    placeholder_email,
                    placeholder_imei,
                    placeholder_phone: hard && rng.random_bool(0.04),
                    vpn_user: hard && rng.random_bool(0.1),
                    mobile_data: hard && rng.random_bool(0.3),
                    access_to_children: pick_flag(rng, 0.12, 0.3, 0.2),
                    convicted: pick_flag(rng, 0.06, 0.4, 0.14),
                    enticer: rng.random_bool(0.1),
                });
            }
            household += 1;
        }
        Population {
            suspects,
            mul,
            add,
            hard,
        }
    }

    pub fn len(&self) -> usize {
        self.suspects.len()
    }

    /// The suspect's user ID on a service.
    pub fn user_id(&self, i: usize, service: usize) -> String {
        match SERVICES[service].ids {
            IdStyle::Numeric if self.hard => {
                let n = self.suspects.len().max(1) as u64;
                format!(
                    "{}",
                    10_000 + (i as u64 * self.mul[service] + self.add[service]) % n
                )
            }
            // Without hard cases numeric IDs carry the service, so equal IDs always mean one person.
            IdStyle::Numeric => format!("{}{:08}", service + 1, i),
            IdStyle::Hex(prefix) => {
                // An odd multiplier and an XOR are a bijection on u32: unique per suspect.
                let v = (i as u32).wrapping_mul(0x9E37_79B1) ^ (0x5EED_0000 | service as u32);
                format!("{prefix}{v:08x}")
            }
        }
    }

    /// The suspect's screen name on a service.
    pub fn screen_name(&self, i: usize, service: usize) -> String {
        let s = &self.suspects[i];
        if s.common_handle != 0 && service == usize::from(s.primary) {
            return COMMON_HANDLES[usize::from(s.common_handle - 1)].to_owned();
        }
        let mix = splitmix(i as u64);
        let adj = HANDLE_ADJECTIVES[(mix % 16) as usize];
        let noun = HANDLE_NOUNS[((mix >> 8) % 16) as usize];
        if s.reuse_handle {
            format!("{adj}_{noun}{i}")
        } else {
            format!("{adj}_{noun}{i}_{}", SERVICES[service].short)
        }
    }

    /// The canonical (lower-case) e-mail, unique per suspect because it ends in the suspect index.
    pub fn email(&self, i: usize) -> Option<String> {
        let s = &self.suspects[i];
        let first = FIRST_NAMES[usize::from(s.first)].to_lowercase();
        let last = SURNAMES[usize::from(s.last)].to_lowercase();
        let domain = EMAIL_DOMAINS[usize::from(s.email_domain)];
        Some(match s.email_style {
            0 => format!("{first}.{last}{i}@{domain}"),
            1 => format!("{first}{last}{i}@{domain}"),
            2 => format!("{}.{last}{i}@{domain}", &first[..1]),
            3 => format!("{last}.{first}{i}@{domain}"),
            4 => {
                let mix = splitmix(i as u64);
                let adj = HANDLE_ADJECTIVES[(mix % 16) as usize];
                let noun = HANDLE_NOUNS[((mix >> 8) % 16) as usize];
                format!("{adj}{noun}{i}@{domain}")
            }
            _ => return None,
        })
    }

    /// The mobile's last three digits (07700 900xxx), unique per suspect.
    pub fn mobile(&self, i: usize) -> Option<u16> {
        let m = self.suspects[i].mobile;
        (m != 0).then_some(m)
    }

    /// The household landline in national format, e.g. `0113 496 0042`.
    pub fn landline(&self, i: usize) -> Option<String> {
        let l = self.suspects[i].landline;
        (l != 0).then(|| {
            let idx = usize::from(l - 1);
            let (area, local) = LANDLINE_RANGES[idx / 1000];
            format!("{area} {local} {:04}", idx % 1000)
        })
    }

    /// The suspect's device IMEIs (one or two), unique per device.
    pub fn imeis(&self, i: usize) -> Vec<String> {
        let s = &self.suspects[i];
        if s.device == 0 {
            return Vec::new();
        }
        let mut out = vec![imei(s.device - 1)];
        if s.second_device {
            out.push(imei(s.device));
        }
        out
    }

    /// The household's home address: shared by everyone in it.
    pub fn home_ipv6(&self, i: usize) -> String {
        let h = self.suspects[i].household;
        format!("2001:db8:{:x}:{:x}::1", h >> 16, h & 0xffff)
    }

    /// A home IPv4 address for the first households (the documentation range has only 254).
    pub fn home_ipv4(&self, i: usize) -> Option<String> {
        let h = self.suspects[i].household;
        (h < 254).then(|| format!("192.0.2.{}", h + 1))
    }

    /// A mobile-data IPv6 address in a /64 of the suspect's own.
    pub fn mobile_ipv6(&self, i: usize, host: u16) -> String {
        format!(
            "2001:db8:{:x}:{:x}::{host:x}",
            0x8000 | (i >> 16),
            i & 0xffff
        )
    }
}

/// An invented IMEI: type code, 6-digit serial and Luhn check digit; unique per device index below 8 million.
fn imei(device: u32) -> String {
    let tac = IMEI_TACS[device as usize % IMEI_TACS.len()];
    let body = format!(
        "{tac}{:06}",
        (device as usize / IMEI_TACS.len()) % 1_000_000
    );
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(k, b)| {
            let d = u32::from(b - b'0');
            if k % 2 == 0 {
                let dd = d * 2;
                if dd > 9 { dd - 9 } else { dd }
            } else {
                d
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imei_is_fifteen_digits_with_valid_luhn() {
        for d in [0, 1, 7, 8, 12_345] {
            let v = imei(d);
            assert_eq!(v.len(), 15);
            let sum: u32 = v
                .bytes()
                .rev()
                .enumerate()
                .map(|(k, b)| {
                    let x = u32::from(b - b'0');
                    if k % 2 == 1 {
                        let y = x * 2;
                        if y > 9 { y - 9 } else { y }
                    } else {
                        x
                    }
                })
                .sum();
            assert_eq!(sum % 10, 0, "{v}");
        }
    }
}
