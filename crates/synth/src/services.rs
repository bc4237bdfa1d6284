//! The fictional electronic service providers (ESPs) that report, and how each shapes its user IDs.

/// How an ESP writes its own user IDs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum IdStyle {
    /// Small sequential numbers: the same number exists on every such service, held by different people.
    Numeric,
    /// Opaque hexadecimal IDs, unique to the service.
    Hex(&'static str),
}

/// How the incident reached the ESP, which picks the `internetDetails` variant.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Chat,
    Web,
    Gaming,
    Email,
}

pub struct Service {
    pub name: &'static str,
    pub company: &'static str,
    pub domain: &'static str,
    pub short: &'static str,
    pub ids: IdStyle,
    pub channel: Channel,
}

pub const SERVICES: [Service; 8] = [
    Service {
        name: "ExampleChat",
        company: "ExampleChat Ltd",
        domain: "examplechat.example",
        short: "ec",
        ids: IdStyle::Numeric,
        channel: Channel::Chat,
    },
    Service {
        name: "PicShare",
        company: "PicShare Inc",
        domain: "picshare.example",
        short: "ps",
        ids: IdStyle::Hex("ps"),
        channel: Channel::Web,
    },
    Service {
        name: "StreamBox",
        company: "StreamBox Media",
        domain: "streambox.test",
        short: "sb",
        ids: IdStyle::Numeric,
        channel: Channel::Web,
    },
    Service {
        name: "GameHub",
        company: "GameHub Interactive",
        domain: "gamehub.example",
        short: "gh",
        ids: IdStyle::Numeric,
        channel: Channel::Gaming,
    },
    Service {
        name: "MailDrop",
        company: "MailDrop Communications",
        domain: "maildrop.example",
        short: "md",
        ids: IdStyle::Hex("md"),
        channel: Channel::Email,
    },
    Service {
        name: "FriendNet",
        company: "FriendNet Social",
        domain: "friendnet.test",
        short: "fn",
        ids: IdStyle::Numeric,
        channel: Channel::Web,
    },
    Service {
        name: "ClipCloud",
        company: "ClipCloud Storage",
        domain: "clipcloud.example",
        short: "cc",
        ids: IdStyle::Hex("cc"),
        channel: Channel::Web,
    },
    Service {
        name: "VidTalk",
        company: "VidTalk Apps",
        domain: "vidtalk.test",
        short: "vt",
        ids: IdStyle::Numeric,
        channel: Channel::Chat,
    },
];

pub const PLATFORM_SUFFIXES: [&str; 3] = ["for Android", "for iOS", "Web"];
