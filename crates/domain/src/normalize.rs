//! Normalisation of identifier values, so that case and format variants of one value compare equal.

use crate::report::IdentifierKind;
use std::net::IpAddr;

/// Country calling code assumed for national-format numbers (a leading `0`): Severn serves UK forces.
pub const DEFAULT_COUNTRY_CODE: &str = "44";

/// Normalises `raw` as a value of `kind`; `None` when it is empty or cannot be one.
pub fn identifier_value(kind: IdentifierKind, raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match kind {
        IdentifierKind::Email => email(raw),
        IdentifierKind::Phone => phone_e164(raw, None),
        IdentifierKind::IpAddress => ip(raw).map(|ip| ip.to_string()),
        IdentifierKind::ProfileUrl => profile_url(raw),
        IdentifierKind::ScreenName => {
            let name = raw.trim_start_matches('@').trim().to_lowercase();
            (!name.is_empty()).then_some(name)
        }
        IdentifierKind::DeviceId => {
            let id: String = raw
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '-' && *c != ':')
                .collect::<String>()
                .to_ascii_uppercase();
            (!id.is_empty()).then_some(id)
        }
        IdentifierKind::PriorCybertip => {
            let digits: String = raw.chars().filter(|c| c.is_ascii_digit()).collect();
            (!digits.is_empty()).then_some(digits)
        }
        IdentifierKind::EspUserId | IdentifierKind::GroupId => Some(raw.to_owned()),
    }
}

/// Lower-cases and trims an e-mail address, dropping a `mailto:` prefix and angle brackets.
/// Sub-addresses (`+tag`) are kept: some services treat them as different mailboxes.
pub fn email(raw: &str) -> Option<String> {
    let mut value = raw.trim().trim_matches(|c| c == '<' || c == '>').trim();
    if value.len() > 7 && value.is_char_boundary(7) && value[..7].eq_ignore_ascii_case("mailto:") {
        value = value[7..].trim_matches(|c| c == '<' || c == '>').trim();
    }
    let value = value.to_lowercase();
    let (local, domain) = value.rsplit_once('@')?;
    if local.is_empty() || domain.is_empty() || !domain.contains('.') || value.contains(' ') {
        return None;
    }
    Some(value)
}

/// Converts a phone number to E.164 (`+447700900123`). `country_code` is the calling code when given apart
/// from the number (CyberTip XML's `countryCallingCode`). National numbers with a leading 0 are taken as UK.
pub fn phone_e164(raw: &str, country_code: Option<&str>) -> Option<String> {
    // "(0)" is the UK trunk prefix written inside an international number: it is not dialled.
    let without_trunk = raw.replace("(0)", "");
    let trimmed = without_trunk.trim();
    let has_plus = trimmed.starts_with('+');
    let digits: String = trimmed.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() {
        return None;
    }
    let country: Option<String> = country_code
        .map(|c| c.chars().filter(|c| c.is_ascii_digit()).collect::<String>())
        .filter(|c| !c.is_empty());
    let full = if has_plus {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_owned()
    } else if let Some(country) = country {
        let national = digits.strip_prefix('0').unwrap_or(&digits);
        if national.starts_with(&country) && national.len() > 10 {
            national.to_owned()
        } else {
            format!("{country}{national}")
        }
    } else if let Some(national) = digits.strip_prefix('0') {
        format!("{DEFAULT_COUNTRY_CODE}{national}")
    } else if digits.len() == 10 && digits.starts_with('7') {
        // A UK mobile written without its trunk 0.
        format!("{DEFAULT_COUNTRY_CODE}{digits}")
    } else {
        digits
    };
    (8..=15).contains(&full.len()).then(|| format!("+{full}"))
}

/// Parses an IPv4 or IPv6 address, accepting IPv4-mapped IPv6 as the IPv4 address.
pub fn ip(raw: &str) -> Option<IpAddr> {
    let addr: IpAddr = raw.trim().trim_matches(['[', ']']).parse().ok()?;
    Some(match addr {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    })
}

/// Lower-cases scheme and host, drops the scheme, `www.`, query-less trailing slashes and fragments.
pub fn profile_url(raw: &str) -> Option<String> {
    let value = raw.trim();
    let without_scheme = value
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or(value);
    let without_fragment = without_scheme.split('#').next().unwrap_or("");
    let (host, path) = without_fragment
        .split_once('/')
        .unwrap_or((without_fragment, ""));
    let host = host.to_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    if host.is_empty() {
        return None;
    }
    let path = path.trim_end_matches('/');
    Some(if path.is_empty() {
        host.to_owned()
    } else {
        format!("{host}/{path}")
    })
}

/// Normalises a service name so "ExampleChat", "examplechat " and "Example-Chat" agree.
pub fn service(raw: &str) -> Option<String> {
    let name: String = raw
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    (!name.is_empty()).then_some(name)
}

/// Normalises a device ID type (IMEI, ICCID, IDFA ...).
pub fn device_type(raw: &str) -> String {
    service(raw).unwrap_or_else(|| "unknown".to_owned())
}

/// Values that services and reporters put in a field when they have nothing: they are carried by many
/// unrelated people and must never link anyone. Frequency-based detection (see `linking`) catches the rest.
pub fn is_placeholder(kind: IdentifierKind, value: &str) -> bool {
    let lower = value.to_lowercase();
    const WORDS: [&str; 12] = [
        "unknown",
        "none",
        "null",
        "n/a",
        "na",
        "test",
        "noreply",
        "no-reply",
        "nobody",
        "anonymous",
        "user",
        "admin",
    ];
    let digits: String = lower
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let one_repeated_char = one_repeated_char_str(&digits) && digits.len() >= 4;
    let sequential = ["0123456789", "1234567890", "123456789", "12345678"]
        .iter()
        .any(|s| digits.ends_with(s) || digits.starts_with(s));
    match kind {
        IdentifierKind::Email => {
            let local = lower.split('@').next().unwrap_or("");
            WORDS.contains(&local) || one_repeated_char_str(local) || local.starts_with("noreply")
        }
        IdentifierKind::Phone | IdentifierKind::DeviceId => {
            // A phone number ending in five zeros is a range's first number or a switchboard, not a
            // person's; device serials can end in zeros.
            one_repeated_char
                || sequential
                || digits.trim_start_matches("44").chars().all(|c| c == '0')
                || (kind == IdentifierKind::Phone && digits.ends_with("00000"))
        }
        IdentifierKind::ScreenName | IdentifierKind::EspUserId => {
            WORDS.contains(&lower.as_str()) || one_repeated_char
        }
        IdentifierKind::IpAddress => ip(value).is_some_and(|ip| {
            ip.is_unspecified()
                || ip.is_loopback()
                || matches!(ip, IpAddr::V4(v4) if v4.is_broadcast())
        }),
        IdentifierKind::ProfileUrl | IdentifierKind::PriorCybertip | IdentifierKind::GroupId => {
            WORDS.contains(&lower.as_str()) || one_repeated_char
        }
    }
}

fn one_repeated_char_str(value: &str) -> bool {
    let alnum: Vec<char> = value.chars().filter(|c| c.is_alphanumeric()).collect();
    alnum.len() >= 3 && alnum.iter().all(|c| *c == alnum[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_fold_case_and_wrapping() {
        assert_eq!(
            email(" Suspect.One@Mail.Example ").as_deref(),
            Some("suspect.one@mail.example")
        );
        assert_eq!(
            email("mailto:<A@B.example>").as_deref(),
            Some("a@b.example")
        );
        assert_eq!(
            email("<MAILTO:A@B.example>").as_deref(),
            Some("a@b.example")
        );
        assert_eq!(email("not an email"), None);
        assert_eq!(email("a@localhost"), None);
    }

    #[test]
    fn phones_become_e164() {
        for raw in [
            "07700 900123",
            "+44 7700 900123",
            "0044 (0)7700-900123",
            "7700900123",
            "+447700900123",
        ] {
            assert_eq!(
                phone_e164(raw, None).as_deref(),
                Some("+447700900123"),
                "{raw}"
            );
        }
        assert_eq!(
            phone_e164("7700900123", Some("+44")).as_deref(),
            Some("+447700900123")
        );
        assert_eq!(
            phone_e164("447700900123", Some("44")).as_deref(),
            Some("+447700900123")
        );
        assert_eq!(phone_e164("12", None), None);
    }

    #[test]
    fn ips_and_urls() {
        assert_eq!(
            ip("::ffff:192.0.2.1").map(|i| i.to_string()).as_deref(),
            Some("192.0.2.1")
        );
        assert_eq!(
            ip("[2001:DB8::10]").map(|i| i.to_string()).as_deref(),
            Some("2001:db8::10")
        );
        assert_eq!(
            profile_url("HTTPS://www.Service.example/u/Sample_User_42/").as_deref(),
            Some("service.example/u/Sample_User_42")
        );
    }

    #[test]
    fn placeholders_are_recognised() {
        assert!(is_placeholder(
            IdentifierKind::Email,
            "unknown@mail.example"
        ));
        assert!(is_placeholder(
            IdentifierKind::Email,
            "noreply-123@mail.example"
        ));
        assert!(is_placeholder(IdentifierKind::Phone, "+440000000000"));
        assert!(is_placeholder(IdentifierKind::DeviceId, "000000000000000"));
        assert!(is_placeholder(IdentifierKind::DeviceId, "123456789012345"));
        assert!(is_placeholder(IdentifierKind::Phone, "+447700900000"));
        assert!(!is_placeholder(IdentifierKind::DeviceId, "354672110000070"));
        assert!(!is_placeholder(IdentifierKind::DeviceId, "358991040000000"));
        assert!(is_placeholder(IdentifierKind::IpAddress, "0.0.0.0"));
        assert!(!is_placeholder(
            IdentifierKind::Email,
            "suspect.one@mail.example"
        ));
        assert!(!is_placeholder(IdentifierKind::Phone, "+447700900123"));
    }
}
