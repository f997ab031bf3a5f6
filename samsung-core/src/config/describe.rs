//! [`Config::describe`]: the effective configuration for a person
//! (`samsung-bridge check-config`). Never shows a password, token or key.

use alloc::format;
use alloc::string::String;
use core::fmt::{self, Write as _};

use super::limits::format_size;
use super::{Config, MailSecurity};
use crate::mastodon::Visibility;
use crate::route::{Action, ActionKind};

#[cfg(test)]
mod tests;

/// `folder/name`, as `std::path::Path::join` writes it for a relative name.
fn join(folder: &str, name: &str) -> String {
    if folder.is_empty() || folder.ends_with('/') {
        format!("{folder}{name}")
    } else {
        format!("{folder}/{name}")
    }
}

impl Config {
    /// The effective routing table and settings; `source` names the file
    /// (None: the embedded default).
    pub fn describe(&self, source: Option<&str>) -> String {
        let mut out = String::new();
        let _ = self.write_description(source, &mut out);
        out
    }

    fn write_description(&self, source: Option<&str>, o: &mut String) -> fmt::Result {
        match source {
            Some(p) => writeln!(o, "configuration: {p}")?,
            None => writeln!(o, "configuration: embedded default")?,
        }
        writeln!(o, "listen:         {}", self.listen)?;
        writeln!(o, "upload folder:  {}", self.upload_folder)?;
        writeln!(o, "session folder: {}", self.session_folder)?;
        writeln!(o, "outbox folder:  {}", self.outbox_folder)?;
        if self.insecure_download {
            writeln!(
                o,
                "downloads:      UPLOAD_FOLDER is served without authentication (INSECURE_DOWNLOAD)"
            )?;
        }
        self.write_senders(o)?;
        let secret = if self.secret.expose().is_empty() {
            "not set (empty key)"
        } else {
            "set"
        };
        writeln!(o, "folder key:     SECRET {secret}")?;

        writeln!(o, "routes:")?;
        for (target, action) in self.routes.iter() {
            writeln!(o, "  {target} → {}", self.describe_action(action))?;
        }
        writeln!(
            o,
            "  other social sites → {}",
            self.describe_action(self.routes.default_social())
        )?;
        writeln!(
            o,
            "  other e-mail recipients → {}",
            self.describe_action(self.routes.default_email())
        )?;

        match &self.dns {
            None => writeln!(o, "DNS:            off")?,
            Some(d) => {
                let other = if d.nxdomain { "NXDOMAIN" } else { "REFUSED" };
                writeln!(
                    o,
                    "DNS:            {} answers {} for {}; other names {other}",
                    d.listen,
                    d.address,
                    d.names.join(", ")
                )?;
            }
        }
        let l = &self.limits;
        let secs = |d: crate::time::Duration| d.as_millis() / 1000;
        writeln!(
            o,
            "limits:         max upload {}, {} connections, header timeout {} s, body idle timeout {} s, session idle {} s, shutdown grace {} s",
            format_size(l.max_upload),
            l.max_connections,
            secs(l.header_timeout),
            secs(l.body_timeout),
            secs(l.session_idle),
            secs(l.shutdown_grace)
        )
    }

    fn write_senders(&self, o: &mut String) -> fmt::Result {
        match &self.senders {
            None => writeln!(o, "who may use it: any camera (no SENDERS whitelist)"),
            Some(list) if list.is_empty() => {
                writeln!(o, "who may use it: nobody (SENDERS is empty)")
            }
            Some(list) => {
                writeln!(o, "who may use it: the SENDERS whitelist:")?;
                for s in list {
                    let pw = self
                        .passwords
                        .iter()
                        .any(|(u, _)| u.eq_ignore_ascii_case(s));
                    let pw = if pw { " (password: set)" } else { "" };
                    writeln!(o, "  {s}{pw}")?;
                }
                Ok(())
            }
        }
    }

    fn describe_action(&self, a: &Action) -> String {
        let how = match a.kind {
            ActionKind::Store => {
                let folder = match &a.instance {
                    Some(i) => join(&self.upload_folder, i),
                    None => join(&self.upload_folder, "<HMAC of user>"),
                };
                format!("{folder}/")
            }
            ActionKind::Drop => String::from("discarded"),
            ActionKind::Mail => self.describe_mail(),
            ActionKind::Mastodon => self.describe_mastodon(a),
            ActionKind::Shell => match self.shell.get(&a.instance) {
                None => String::from("(not configured)"),
                Some(sh) => {
                    // Only the program: arguments may carry credentials.
                    let prog = sh.cmd.first().map_or("", String::as_str);
                    let mut s = format!(
                        "runs {prog} per file ({} arguments)",
                        sh.cmd.len().saturating_sub(1)
                    );
                    if sh.stdin.is_some() {
                        s.push_str(" with a STDIN template");
                    }
                    s
                }
            },
        };
        format!("{a} → {how}")
    }

    fn describe_mail(&self) -> String {
        let Some(m) = &self.mail else {
            return String::from("(no MAIL_SERVER)");
        };
        let sec = match m.security {
            MailSecurity::None => "plain SMTP",
            MailSecurity::StartTls => "STARTTLS",
            MailSecurity::Tls => "TLS",
        };
        let mut s = format!("SMTP {}:{} {sec}", m.server, m.port);
        if let Some(u) = &m.username {
            let _ = write!(s, " as {u}");
            if m.password.is_some() {
                s.push_str(" (password: set)");
            }
        }
        match &m.from {
            Some(f) => {
                let _ = write!(s, ", From {f}");
            }
            None => s.push_str(", From the camera's sender"),
        }
        s
    }

    fn describe_mastodon(&self, a: &Action) -> String {
        let Some(m) = self.mastodon.get(&a.instance) else {
            return String::from("(not configured)");
        };
        let token = match &m.token_file {
            Some(f) => format!("token: set (from {f})"),
            None => String::from("token: set (in the config file)"),
        };
        let vis = m.visibility.map_or("account default", Visibility::as_str);
        let mut s = format!("{}, {token}, visibility {vis}", m.base_url);
        if let Some(p) = &m.postscript {
            let _ = write!(s, ", postscript {p:?}");
        }
        s
    }
}
