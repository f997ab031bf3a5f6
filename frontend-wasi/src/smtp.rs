//! Mail jobs over plain SMTP on wasi:sockets: the message is built by the
//! shared outbox (`samsung_host::outbox::mail`, as for the daemon), sent
//! here with EHLO, optional AUTH PLAIN, MAIL FROM, RCPT TO, DATA. No TLS:
//! the component refuses `MAIL_USE_TLS` / `MAIL_USE_SSL` at start-up (a
//! local relay, or a runtime-side tunnel, does the rest).

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use base64::Engine as _;
use samsung_core::config::MailConfig;
use samsung_core::retry::{Failure, smtp_failure_kind};
use samsung_host::outbox::mail::Mail;
use wstd::future::FutureExt;

use crate::net::Stream;

/// Longest reply line accepted (RFC 5321 allows 512 octets).
const MAX_REPLY: usize = 4096;

/// Sends `mail` through the smarthost in `cfg`; the summary for the log.
pub async fn send(mail: &Mail, cfg: &MailConfig, timeout: Duration) -> Result<String, Failure> {
    let server = format!("SMTP {}:{}", cfg.server, cfg.port);
    let fail = |reply: Option<u16>, what: String| {
        Failure::new(smtp_failure_kind(reply, false), format!("{server}: {what}"))
    };
    let addr = resolve(&cfg.server, cfg.port)
        .await
        .map_err(|e| fail(None, format!("cannot resolve the name: {e}")))?;
    let stream = Stream::connect(addr)
        .timeout(wstd::task::sleep(timeout.into()))
        .await
        .and_then(|r| r)
        .map_err(|e| fail(None, format!("cannot connect: {e}")))?;
    let mut s = Session {
        stream,
        buf: Vec::new(),
        timeout,
    };
    let expect = async |s: &mut Session, what: &str, ok: u16| -> Result<String, Failure> {
        let (code, text) = s
            .reply()
            .await
            .map_err(|e| fail(None, format!("{what}: {e}")))?;
        if code / 100 == ok / 100 {
            Ok(text)
        } else {
            Err(fail(Some(code), format!("{what}: {code} {}", text.trim())))
        }
    };
    expect(&mut s, "greeting", 220).await?;
    s.send(b"EHLO samsung-bridge.local\r\n")
        .await
        .map_err(|e| fail(None, e.to_string()))?;
    let ehlo = expect(&mut s, "EHLO", 250).await?;
    if let Some(user) = &cfg.username {
        let offers_plain = ehlo.lines().any(|l| {
            let l = l.to_ascii_uppercase();
            l.starts_with("AUTH") && l.split_whitespace().any(|m| m == "PLAIN")
        });
        if !offers_plain {
            return Err(Failure::permanent(format!(
                "{server}: MAIL_USERNAME is set but the server offers no AUTH PLAIN \
                 without TLS (the component speaks plain SMTP only)"
            )));
        }
        let password = cfg
            .password
            .as_ref()
            .map(|p| p.expose().as_str())
            .unwrap_or("");
        let token =
            base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{password}"));
        // The line holds the password: it never reaches a log or an error.
        s.send(format!("AUTH PLAIN {token}\r\n").as_bytes())
            .await
            .map_err(|e| fail(None, e.to_string()))?;
        expect(&mut s, "AUTH", 235).await?;
    }
    let envelope = mail.message.envelope();
    let from = envelope.from().map(|a| a.to_string()).unwrap_or_default();
    s.send(format!("MAIL FROM:<{from}>\r\n").as_bytes())
        .await
        .map_err(|e| fail(None, e.to_string()))?;
    expect(&mut s, "MAIL FROM", 250).await?;
    for to in envelope.to() {
        s.send(format!("RCPT TO:<{to}>\r\n").as_bytes())
            .await
            .map_err(|e| fail(None, e.to_string()))?;
        expect(&mut s, "RCPT TO", 250).await?;
    }
    s.send(b"DATA\r\n")
        .await
        .map_err(|e| fail(None, e.to_string()))?;
    expect(&mut s, "DATA", 354).await?;
    s.send(&dot_stuffed(&mail.message.formatted()))
        .await
        .map_err(|e| fail(None, e.to_string()))?;
    expect(&mut s, "the message", 250).await?;
    // The smarthost has the message; a failed goodbye changes nothing.
    let _ = s.send(b"QUIT\r\n").await;
    Ok(mail.summary())
}

/// The smarthost's address: an IP as written, or the first address the
/// runtime resolves (wasi:sockets/ip-name-lookup).
async fn resolve(server: &str, port: u16) -> io::Result<SocketAddr> {
    if let Ok(ip) = server.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    use wasip2::sockets::ip_name_lookup::resolve_addresses;
    use wasip2::sockets::network::IpAddress;
    let network = wasip2::sockets::instance_network::instance_network();
    let lookup = resolve_addresses(&network, server).map_err(crate::net::error)?;
    let pollable = wstd::runtime::AsyncPollable::new(lookup.subscribe());
    loop {
        match lookup.resolve_next_address() {
            Ok(Some(IpAddress::Ipv4(a))) => {
                return Ok(SocketAddr::from(([a.0, a.1, a.2, a.3], port)));
            }
            // The client connects over IPv4 or IPv6 alike; take the first.
            Ok(Some(IpAddress::Ipv6(a))) => {
                let ip = std::net::Ipv6Addr::new(a.0, a.1, a.2, a.3, a.4, a.5, a.6, a.7);
                return Ok(SocketAddr::from((ip, port)));
            }
            Ok(None) => return Err(io::Error::new(io::ErrorKind::NotFound, "no address")),
            Err(wasip2::sockets::network::ErrorCode::WouldBlock) => pollable.wait_for().await,
            Err(e) => return Err(crate::net::error(e)),
        }
    }
}

/// The message with lines starting with `.` doubled and the DATA end
/// marker; line ends as lettre renders them (CRLF).
fn dot_stuffed(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 64 + 5);
    let mut line_start = true;
    for &b in message {
        if line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        line_start = b == b'\n';
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// One SMTP connection: lines out, replies in, each step under the timeout.
struct Session {
    stream: Stream,
    buf: Vec<u8>,
    timeout: Duration,
}

impl Session {
    async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream
            .output
            .write_all(bytes)
            .timeout(wstd::task::sleep(self.timeout.into()))
            .await
            .and_then(|r| r)
    }

    /// The next reply: its code and its text (every line's, without codes).
    async fn reply(&mut self) -> io::Result<(u16, String)> {
        let mut text = String::new();
        loop {
            let line = self.line().await?;
            let code = line
                .get(..3)
                .and_then(|c| c.parse::<u16>().ok())
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "not an SMTP reply"))?;
            text.push_str(line.get(4..).unwrap_or(""));
            text.push('\n');
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok((code, text));
            }
        }
    }

    async fn line(&mut self) -> io::Result<String> {
        loop {
            if let Some(end) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[..end]).into_owned();
                self.buf.drain(..end + 2);
                return Ok(line);
            }
            if self.buf.len() > MAX_REPLY {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "reply line too long",
                ));
            }
            let mut chunk = [0u8; 1024];
            let n = self
                .stream
                .read(&mut chunk)
                .timeout(wstd::task::sleep(self.timeout.into()))
                .await
                .and_then(|r| r)?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the server closed the connection",
                ));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_is_dot_stuffed_and_terminated() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"a\r\n.b\r\n", b"a\r\n..b\r\n.\r\n"),
            (b".\r\n", b"..\r\n.\r\n"),
            (b"x.y", b"x.y\r\n.\r\n"),
            (b"", b"\r\n.\r\n"),
        ];
        for (input, want) in cases {
            assert_eq!(&dot_stuffed(input), want, "{input:?}");
        }
    }
}
