//! The sections of the file: [MASTODON]/[SHELL] with instances, mail,
//! DNS, limits.

use super::*;

/// A `[MASTODON]`/`[MASTODON.<name>]` table before inheritance: each field with
/// the key it came from.
#[derive(Debug, Clone, Default)]
pub(super) struct MastodonRaw {
    pub(super) base_url: Option<(String, String)>,
    pub(super) token: Option<(Secret<String>, String)>,
    pub(super) postscript: Option<String>,
    pub(super) visibility: Option<Option<Visibility>>,
}

impl MastodonRaw {
    /// Reads `BASE_URL`, `TOKEN`, … (`prefix` is `MASTODON_` for the old top-level keys).
    pub(super) fn read(sec: &mut Section<'_>, prefix: &str) -> Result<MastodonRaw> {
        let [url_key, token_key, postscript_key, visibility_key] =
            ["BASE_URL", "TOKEN", "POSTSCRIPT", "VISIBILITY"].map(|k| format!("{prefix}{k}"));
        let base_url = match sec.nonempty(&url_key)? {
            None => None,
            Some(url) => Some((
                normalize_base_url(&url).map_err(|e| ConfigError::new(sec.key(&url_key), e))?,
                sec.key(&url_key),
            )),
        };
        let token = match sec.secret(&token_key)? {
            Some(t) if t.trim().is_empty() => {
                return Err(ConfigError::new(sec.key(&token_key), "must not be empty"));
            }
            Some(t) => Some((Secret::new(t.trim().to_owned()), sec.key(&token_key))),
            None => None,
        };
        let postscript = sec.string(&postscript_key)?;
        let visibility = match sec.string(&visibility_key)? {
            None => None,
            Some(v) if v.trim().is_empty() => Some(None),
            Some(v) => Some(Some(Visibility::parse(&v).ok_or_else(|| {
                ConfigError::new(
                    sec.key(&visibility_key),
                    format!("expected public, unlisted, private or direct, got {v:?}"),
                )
            })?)),
        };
        Ok(MastodonRaw {
            base_url,
            token,
            postscript,
            visibility,
        })
    }

    pub(super) fn is_empty(&self) -> bool {
        self.base_url.is_none()
            && self.token.is_none()
            && self.postscript.is_none()
            && self.visibility.is_none()
    }

    /// `self` over `defaults`; neither is changed (unlike the reference, §9.3 #4).
    pub(super) fn over(&self, defaults: &MastodonRaw) -> MastodonRaw {
        MastodonRaw {
            base_url: self.base_url.clone().or_else(|| defaults.base_url.clone()),
            token: self.token.clone().or_else(|| defaults.token.clone()),
            postscript: self
                .postscript
                .clone()
                .or_else(|| defaults.postscript.clone()),
            visibility: self.visibility.or(defaults.visibility),
        }
    }

    /// The usable instance, or why not (with the key at fault).
    pub(super) fn resolve(&self, section: &str) -> Result<MastodonConfig> {
        let Some((token_value, token_key)) = &self.token else {
            return Err(ConfigError::new(
                format!("{section}.TOKEN"),
                "missing (the access token, or the token file written by `samsung-bridge mastodon-login`)",
            ));
        };
        let raw = token_value.expose();
        let path = Path::new(raw);
        let (token, token_file, file_url) = if path.exists() || looks_like_path(raw) {
            let text = std::fs::read_to_string(path).map_err(|e| {
                let hint = if e.kind() == std::io::ErrorKind::NotFound {
                    " (`samsung-bridge mastodon-login https://your.server --out FILE` writes one)"
                } else {
                    ""
                };
                ConfigError::new(
                    token_key.clone(),
                    format!("token file {}: {}{hint}", path.display(), io_reason(&e)),
                )
            })?;
            let file = TokenFile::parse(&text).map_err(|e| {
                ConfigError::new(
                    token_key.clone(),
                    format!("token file {} {e}", path.display()),
                )
            })?;
            (file.token, Some(path.to_path_buf()), file.base_url)
        } else {
            if !valid_token(raw) {
                return Err(ConfigError::new(
                    token_key.clone(),
                    "the token has spaces or control characters",
                ));
            }
            (token_value.clone(), None, None)
        };
        // A token file names its server. A BASE_URL set where the TOKEN is
        // (or closer to the instance) must agree with it; one inherited from
        // a less specific place gives way to the file.
        let specificity = |key: &str| key.matches('.').count();
        let base_url = match (&self.base_url, file_url) {
            (Some((_, url_key)), Some(from_file))
                if specificity(url_key) < specificity(token_key) =>
            {
                from_file
            }
            (Some((url, key)), Some(from_file)) if !url.eq_ignore_ascii_case(&from_file) => {
                return Err(ConfigError::new(
                    key.clone(),
                    format!(
                        "{url} differs from the server in token file {} ({from_file})",
                        token_file.as_deref().unwrap_or(path).display()
                    ),
                ));
            }
            (Some((url, _)), _) => url.clone(),
            (None, Some(from_file)) => from_file,
            (None, None) => {
                return Err(ConfigError::new(
                    format!("{section}.BASE_URL"),
                    "missing (needed unless TOKEN names a token file that contains the server's URL)",
                ));
            }
        };
        Ok(MastodonConfig {
            base_url,
            token,
            token_file,
            postscript: self.postscript.clone().filter(|p| !p.is_empty()),
            visibility: self.visibility.flatten(),
        })
    }
}

pub(super) fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => String::from("does not exist"),
        std::io::ErrorKind::PermissionDenied => String::from("permission denied"),
        std::io::ErrorKind::IsADirectory => String::from("is a directory"),
        std::io::ErrorKind::InvalidData => String::from("is not UTF-8 text"),
        _ => e.to_string(),
    }
}

/// A `[SHELL]`/`[SHELL.<name>]` table before inheritance.
#[derive(Debug, Clone, Default)]
pub(super) struct ShellRaw {
    pub(super) cmd: Option<Vec<String>>,
    pub(super) stdin: Option<String>,
}

impl ShellRaw {
    pub(super) fn read(sec: &mut Section<'_>) -> Result<ShellRaw> {
        Ok(ShellRaw {
            cmd: sec.string_list("CMD")?,
            stdin: sec.string("STDIN")?,
        })
    }

    pub(super) fn over(&self, defaults: &ShellRaw) -> ShellRaw {
        ShellRaw {
            cmd: self.cmd.clone().or_else(|| defaults.cmd.clone()),
            stdin: self.stdin.clone().or_else(|| defaults.stdin.clone()),
        }
    }

    pub(super) fn resolve(&self, section: &str) -> Result<ShellConfig> {
        match &self.cmd {
            Some(cmd) if cmd.first().is_some_and(|c| !c.trim().is_empty()) => Ok(ShellConfig {
                cmd: cmd.clone(),
                stdin: self.stdin.clone(),
            }),
            Some(_) => Err(ConfigError::new(
                format!("{section}.CMD"),
                "must name a program",
            )),
            None => Err(ConfigError::new(
                format!("{section}.CMD"),
                "missing (the command as a list: [\"program\", \"{filename}\", …])",
            )),
        }
    }
}

/// Reads `[MASTODON]`-like tables: the default keys, and sub-tables as instances.
pub(super) fn read_instances<'a, R>(
    table: &'a Table,
    name: &str,
    warnings: &mut Vec<String>,
    read: impl Fn(&mut Section<'a>) -> Result<R>,
) -> Result<(R, BTreeMap<String, R>)> {
    let mut sec = Section::new(name.to_owned(), table);
    let defaults = read(&mut sec)?;
    let mut instances = BTreeMap::new();
    for (k, v) in table {
        let Value::Table(t) = v else { continue };
        sec.used.insert(k.clone());
        let path = sec.key(k);
        if Action::parse(&format!("store.{k}")).is_err() {
            warnings.push(format!(
                "[{path}] can never be used: instance names are letters, digits, '_' and '-' (at most 64)"
            ));
            continue;
        }
        let mut inner = Section::new(path, t);
        instances.insert(k.clone(), read(&mut inner)?);
        inner.finish(warnings);
    }
    sec.finish(warnings);
    Ok((defaults, instances))
}

// ---------------------------------------------------------------------------
// Sizes

/// `4096`, `"500MB"`, `"2 GiB"`, `"1.5G"` is not accepted (integers only).
pub(super) fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let num: u64 = num.parse().ok()?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" => KIB,
        "m" | "mb" => 1000 * 1000,
        "mib" => MIB,
        "g" | "gb" => 1000 * 1000 * 1000,
        "gib" => GIB,
        "t" | "tb" => 1000 * 1000 * 1000 * 1000,
        "tib" => 1024 * GIB,
        _ => return None,
    };
    num.checked_mul(factor)
}

/// `4 GiB`, `500 MB`, `1234 bytes`.
pub(super) fn format_size(n: u64) -> String {
    for (unit, f) in [
        ("TiB", 1024 * GIB),
        ("GiB", GIB),
        ("MiB", MIB),
        ("KiB", KIB),
    ] {
        if n >= f && n.is_multiple_of(f) {
            return format!("{} {unit}", n / f);
        }
    }
    for (unit, f) in [
        ("TB", 1_000_000_000_000),
        ("GB", 1_000_000_000),
        ("MB", 1_000_000),
        ("kB", 1000),
    ] {
        if n >= f && n.is_multiple_of(f) {
            return format!("{} {unit}", n / f);
        }
    }
    format!("{n} bytes")
}

/// `MAIL_*`: None without `MAIL_SERVER`.
pub(super) fn read_mail(top: &mut Section<'_>, w: &mut Vec<String>) -> Result<Option<MailConfig>> {
    let server = top.nonempty("MAIL_SERVER")?;
    let port = top.integer("MAIL_PORT", 1, 65535)?;
    let username = top.string("MAIL_USERNAME")?.filter(|u| !u.is_empty());
    let password = top.secret("MAIL_PASSWORD")?.filter(|p| !p.is_empty());
    let tls = top.boolean("MAIL_USE_TLS")?.unwrap_or(false);
    let ssl = top.boolean("MAIL_USE_SSL")?.unwrap_or(false);
    let from = match top.get("MAIL_DEFAULT_SENDER") {
        None => None,
        Some(Value::String(s)) => Some(s.trim().to_owned()),
        // Flask-Mail also takes a (name, address) pair.
        Some(Value::Array(a)) if a.len() == 2 => match (&a[0], &a[1]) {
            (Value::String(name), Value::String(addr)) => {
                Some(format!("{} <{}>", name.trim(), addr.trim()))
            }
            _ => {
                return Err(top.type_error(
                    "MAIL_DEFAULT_SENDER",
                    "a string or [name, address]",
                    &a[0],
                    false,
                ));
            }
        },
        Some(v) => {
            return Err(top.type_error(
                "MAIL_DEFAULT_SENDER",
                "a string or [name, address]",
                v,
                false,
            ));
        }
    };
    let from = top
        .nonempty("MAIL_FROM")?
        .or(from)
        .filter(|f| !f.is_empty());
    let Some(server) = server else {
        let set: Vec<&str> = [
            "MAIL_PORT",
            "MAIL_USERNAME",
            "MAIL_PASSWORD",
            "MAIL_USE_TLS",
            "MAIL_USE_SSL",
        ]
        .into_iter()
        .filter(|k| top.table.contains_key(*k))
        .collect();
        if !set.is_empty() {
            w.push(format!(
                "{} ignored: MAIL_SERVER is not set",
                set.join(", ")
            ));
        }
        return Ok(None);
    };
    if tls && ssl {
        return Err(ConfigError::new(
            "MAIL_USE_SSL",
            "MAIL_USE_SSL (TLS from the start, port 465) and MAIL_USE_TLS (STARTTLS, port 587) exclude each other",
        ));
    }
    let security = match (tls, ssl) {
        (_, true) => MailSecurity::Tls,
        (true, false) => MailSecurity::StartTls,
        (false, false) => MailSecurity::None,
    };
    if server.eq_ignore_ascii_case("CHANGEME") {
        w.push(String::from(
            "MAIL_SERVER is \"CHANGEME\", the placeholder of the reference's example config",
        ));
    }
    let local = ["localhost", "127.0.0.1", "::1"].contains(&server.as_str());
    if security == MailSecurity::None && password.is_some() && !local {
        w.push(format!(
            "MAIL_PASSWORD is sent unencrypted to {server}: set MAIL_USE_TLS = true (STARTTLS) or MAIL_USE_SSL = true"
        ));
    }
    if password.is_some() && username.is_none() {
        w.push(String::from(
            "MAIL_PASSWORD ignored: MAIL_USERNAME is not set",
        ));
    }
    let port = match port {
        Some(p) => u16::try_from(p).unwrap_or(DEFAULT_MAIL_PORT),
        None if security == MailSecurity::Tls => DEFAULT_MAIL_SSL_PORT,
        None => DEFAULT_MAIL_PORT,
    };
    Ok(Some(MailConfig {
        server,
        port,
        password: password.filter(|_| username.is_some()).map(Secret::new),
        username,
        security,
        from,
    }))
}

/// Warnings about an `[ACTIONS]` target that no camera will ever send.
pub(super) fn check_target(target: &str, key: &str, w: &mut Vec<String>) {
    if target.contains('@') {
        return;
    }
    let site = target.to_ascii_lowercase();
    if sns::OAUTH_SITES.contains(&site.as_str()) {
        w.push(format!(
            "{key}: cameras log in to {target} through OAuth, which samsung-bridge cannot do; this entry is never used"
        ));
    } else if !sns::SITES.contains(&site.as_str()) {
        w.push(format!(
            "{key}: {target} is neither a site the cameras know ({}) nor an e-mail address",
            sns::SITES.join(", ")
        ));
    }
}

pub(super) fn read_dns(table: &Table, w: &mut Vec<String>) -> Result<DnsConfig> {
    let mut sec = Section::new(String::from("DNS"), table);
    let listen = match sec.socket_addr("LISTEN")? {
        Some(a) => a,
        None => DEFAULT_DNS_LISTEN,
    };
    let Some(address) = sec.string("ADDRESS")? else {
        return Err(ConfigError::new(
            "DNS.ADDRESS",
            "missing: the IPv4 address the Samsung host names resolve to (this machine's, e.g. \"10.0.0.1\")",
        ));
    };
    let address: Ipv4Addr = address.trim().parse().map_err(|_| {
        ConfigError::new(
            "DNS.ADDRESS",
            format!("expected an IPv4 address like \"10.0.0.1\", got {address:?}"),
        )
    })?;
    match dns::address_fit(address.octets()) {
        AddressFit::Recommended => {}
        AddressFit::Untested => w.push(format!(
            "DNS.ADDRESS {address}: cameras are known to work with 10.x.x.x addresses; this one is untested"
        )),
        AddressFit::Rejected => w.push(format!(
            "DNS.ADDRESS {address}: cameras reject this address (192.168.x.x looks like a hotspot to them; loopback and multicast are unreachable); use a 10.x.x.x address"
        )),
    }
    let names = sec.string_list("NAMES")?.unwrap_or_else(|| {
        dns::SAMSUNG_HOSTNAMES
            .iter()
            .map(|n| String::from(*n))
            .collect()
    });
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let responder = DnsResponder::new(&refs, address.octets(), dns::DEFAULT_TTL, Unlisted::Refused)
        .map_err(|e| {
            ConfigError::new(
                "DNS.NAMES",
                format!(
                    "{e} (at most {} names of at most {} bytes)",
                    dns::MAX_NAMES,
                    dns::MAX_NAME_LEN
                ),
            )
        })?;
    let names: Vec<String> = responder.names().map(String::from).collect();
    if names.is_empty() {
        w.push(String::from(
            "DNS.NAMES is empty: the DNS listener answers nothing",
        ));
    }
    let nxdomain = match sec
        .string("UNLISTED")?
        .map(|s| s.trim().to_ascii_lowercase())
    {
        None => false,
        Some(s) if s == "refused" => false,
        Some(s) if s == "nxdomain" => true,
        Some(s) => {
            return Err(ConfigError::new(
                "DNS.UNLISTED",
                format!("expected \"refused\" or \"nxdomain\", got {s:?}"),
            ));
        }
    };
    sec.finish(w);
    Ok(DnsConfig {
        listen,
        address,
        names,
        nxdomain,
    })
}

pub(super) fn read_limits(table: &Table, w: &mut Vec<String>) -> Result<LimitsConfig> {
    let mut sec = Section::new(String::from("LIMITS"), table);
    let mut l = LimitsConfig::default();
    match sec.get("MAX_UPLOAD") {
        None => {}
        Some(v) => {
            let n = match v {
                Value::Integer(i) => u64::try_from(*i).ok(),
                Value::String(s) => parse_size(s),
                _ => None,
            };
            l.max_upload = n.filter(|n| *n > 0).ok_or_else(|| {
                sec.type_error(
                    "MAX_UPLOAD",
                    "a size in bytes (4294967296) or with a unit (\"4 GiB\", \"500MB\")",
                    v,
                    false,
                )
            })?;
        }
    }
    if let Some(n) = sec.integer("MAX_CONNECTIONS", 1, 1_000_000)? {
        l.max_connections = usize::try_from(n).unwrap_or(usize::MAX);
    }
    if let Some(d) = sec.seconds("HEADER_TIMEOUT", 1)? {
        l.header_timeout = d;
    }
    if let Some(d) = sec.seconds("BODY_TIMEOUT", 1)? {
        l.body_timeout = d;
    }
    if let Some(d) = sec.seconds("SESSION_IDLE", 1)? {
        l.session_idle = d;
    }
    if let Some(d) = sec.seconds("SHUTDOWN_GRACE", 0)? {
        l.shutdown_grace = d;
    }
    sec.finish(w);
    Ok(l)
}
