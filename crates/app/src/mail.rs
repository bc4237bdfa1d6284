//! Handing an e-mail to the force's SMTP relay (RFC 5321): a mail server on the force's network, such as a
//! local Postfix, that delivers onwards. Severn speaks plain SMTP to it — EHLO, MAIL FROM, RCPT TO, DATA —
//! and keeps nothing but whether the relay accepted the message.

use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// How long the relay has for each reply.
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// Where mail goes and whom it is from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relay {
    /// `host:port` of the relay.
    pub address: String,
    /// The sender's address.
    pub from: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("{0:?} is not an e-mail address Severn will send to")]
    Address(String),
    #[error("the SMTP relay {relay}: {what}")]
    Relay { relay: String, what: String },
}

/// Whether `address` is one plain mailbox: something@domain, no spaces, angle brackets or line breaks (which
/// would let a stored address add recipients or commands).
pub fn plain_address(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && address.len() <= 254
        && !address.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"')
        })
}

/// One conversation with the relay.
struct Session {
    relay: String,
    read: BufReader<tokio::net::tcp::OwnedReadHalf>,
    write: tokio::net::tcp::OwnedWriteHalf,
}

impl Session {
    fn failed(&self, what: String) -> MailError {
        MailError::Relay {
            relay: self.relay.clone(),
            what,
        }
    }

    /// Reads a reply (one or more lines "CODE-text", the last "CODE text") and checks its code.
    async fn expect(&mut self, code: &str) -> Result<(), MailError> {
        loop {
            let mut line = String::new();
            let read = tokio::time::timeout(REPLY_TIMEOUT, self.read.read_line(&mut line)).await;
            let n = match read {
                Err(_) => return Err(self.failed("no reply within 10 s".into())),
                Ok(Err(e)) => return Err(self.failed(format!("reading its reply: {e}"))),
                Ok(Ok(n)) => n,
            };
            if n == 0 {
                return Err(self.failed("it closed the connection".into()));
            }
            if !line.starts_with(code) {
                return Err(self.failed(format!("it answered {:?}", line.trim_end())));
            }
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok(());
            }
        }
    }

    async fn say(&mut self, text: &str) -> Result<(), MailError> {
        let written = self.write.write_all(format!("{text}\r\n").as_bytes()).await;
        written.map_err(|e| self.failed(format!("writing to it: {e}")))
    }
}

/// Sends one message to one recipient through `relay`.
pub async fn send(relay: &Relay, to: &str, subject: &str, body: &str) -> Result<(), MailError> {
    for address in [relay.from.as_str(), to] {
        if !plain_address(address) {
            return Err(MailError::Address(address.to_owned()));
        }
    }
    let failed = |what: String| MailError::Relay {
        relay: relay.address.clone(),
        what,
    };
    let stream = tokio::time::timeout(REPLY_TIMEOUT, TcpStream::connect(&relay.address))
        .await
        .map_err(|_| failed("no connection within 10 s".into()))?
        .map_err(|e| failed(format!("cannot connect: {e}")))?;
    let (read, write) = stream.into_split();
    let mut session = Session {
        relay: relay.address.clone(),
        read: BufReader::new(read),
        write,
    };
    session.expect("220").await?;
    session.say("EHLO severn").await?;
    session.expect("250").await?;
    session.say(&format!("MAIL FROM:<{}>", relay.from)).await?;
    session.expect("250").await?;
    session.say(&format!("RCPT TO:<{to}>")).await?;
    session.expect("250").await?;
    session.say("DATA").await?;
    session.expect("354").await?;
    let subject: String = subject.chars().filter(|c| !c.is_control()).collect();
    let mut message = format!(
        "From: <{}>\r\nTo: <{to}>\r\nSubject: {subject}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n",
        relay.from
    );
    for line in body.lines() {
        // A line that starts with a dot is sent with another (RFC 5321 4.5.2), so it cannot end the message.
        if line.starts_with('.') {
            message.push('.');
        }
        message.push_str(line);
        message.push_str("\r\n");
    }
    message.push('.');
    session.say(&message).await?;
    session.expect("250").await?;
    session.say("QUIT").await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_mailboxes_are_sent_to() {
        assert!(plain_address("alex.morgan@severnshire-police.example"));
        for bad in [
            "no-at-sign",
            "@example.org",
            "a@localhost",
            "a@example.org>\r\nRCPT TO:<b@example.org",
            "a b@example.org",
            "a@example.org,b@example.org",
        ] {
            assert!(!plain_address(bad), "{bad:?}");
        }
    }
}
