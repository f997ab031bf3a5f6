//! Subcommands: `check-config`, `mastodon-login`, `decrypt`.
//!
//! Each returns an exit code or an error message for `main` to print; none
//! of them prints a password, token or client secret unless asked to
//! (`decrypt --show-password`).

use std::fs::OpenOptions;
use std::io::{BufRead, Write};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use samsung_core::crypto::{self, Secret};
use samsung_core::xml::{self, AuthMethod};

use crate::config::{self, Config, TokenFile};

/// The application name registered on the Mastodon server.
pub const APP_NAME: &str = "samsung-bridge";
/// Out-of-band redirect: the server shows the code instead of redirecting.
pub const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";
/// What posting needs: statuses and media uploads.
pub const POST_SCOPES: &str = "write:statuses write:media";
/// What the login asks for: posting, plus reading the own account and its
/// statuses, so that a post whose answer was lost is looked up instead of
/// posted again (servers that ignore `Idempotency-Key`, or answer a repeated
/// one with 500). Without the read scopes the outbox still works; it relies
/// on `Idempotency-Key` alone.
pub const SCOPES: &str = "write:statuses write:media read:accounts read:statuses";
/// Time allowed for each request to the Mastodon server.
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest server error text repeated in a message.
const MAX_ERROR_TEXT: usize = 200;

/// `samsung-bridge check-config [FILE]`: loads FILE (or the embedded default when None), prints warnings and describe(); returns the process exit code (0 valid, 1 invalid with the error printed to stderr).
pub fn check_config(path: Option<&Path>) -> i32 {
    check_config_to(path, &mut std::io::stdout(), &mut std::io::stderr())
}

fn check_config_to(path: Option<&Path>, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let config = match path {
        Some(p) => Config::load(p),
        None => Ok(Config::embedded_default()),
    };
    match config {
        Ok(c) => {
            for w in &c.model.warnings {
                let _ = writeln!(err, "warning: {w}");
            }
            let _ = write!(out, "{}", c.describe());
            let _ = writeln!(out, "configuration is valid");
            0
        }
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            1
        }
    }
}

// ---------------------------------------------------------------------------
// mastodon-login

/// `samsung-bridge mastodon-login https://INSTANCE [--out FILE]`: registers an app named "samsung-bridge" (POST /api/v1/apps: client_name, redirect_uris=urn:ietf:wg:oauth:2.0:oob, scopes "write:statuses write:media", website), prints the authorize URL (GET /oauth/authorize?response_type=code&client_id=…&redirect_uri=urn:ietf:wg:oauth:2.0:oob&scope=write:statuses+write:media), reads the code from stdin (prompt on stderr), exchanges it (POST /oauth/token grant_type=authorization_code …), verifies it (GET /api/v1/accounts/verify_credentials → print "logged in as @user"), writes the token file (default `mastodon.secret`, mode 0600, refuse to overwrite without --force) in the format `Config` reads. Uses ureq (blocking). http:// base URLs allowed (for local servers; print a warning). Clear errors for network failures/HTTP errors (never print the token or client secret).
pub fn mastodon_login(
    base_url: &str,
    out: &Path,
    force: bool,
    input: &mut dyn BufRead,
) -> Result<(), String> {
    let base = config::normalize_base_url(base_url).map_err(|e| format!("server URL: {e}"))?;
    if base.starts_with("http://") {
        eprintln!(
            "warning: {base} is plain http://: the authorization code and the token travel unencrypted (use this only for a server on this machine or network)"
        );
    }
    if !force && out.exists() {
        return Err(format!(
            "{} exists; use --force to replace it",
            out.display()
        ));
    }
    let api = Api::new(&base);

    // 1. Register the application.
    let mut form = vec![
        ("client_name", APP_NAME),
        ("redirect_uris", OOB),
        ("scopes", SCOPES),
    ];
    if let Some(site) = option_env!("CARGO_PKG_REPOSITORY").filter(|s| !s.is_empty()) {
        form.push(("website", site));
    }
    let app = api.post_form("/api/v1/apps", &form, "registering the application")?;
    let client_id = json_str(&app, "client_id", "registering the application")?;
    let client_secret = Secret::new(json_str(
        &app,
        "client_secret",
        "registering the application",
    )?);

    // 2. The user authorizes it in a browser and copies the code.
    println!(
        "Open this page in a browser, log in and authorize {APP_NAME}:\n\n{}\n",
        authorize_url(&base, &client_id)
    );
    eprint!("Authorization code: ");
    let _ = std::io::stderr().flush();
    let mut code = String::new();
    input
        .read_line(&mut code)
        .map_err(|e| format!("reading the authorization code: {e}"))?;
    let code = code.trim();
    if code.is_empty() {
        return Err(String::from("no authorization code entered"));
    }

    // 3. Exchange the code for an access token.
    let token = api.post_form(
        "/oauth/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", &client_id),
            ("client_secret", client_secret.expose()),
            ("redirect_uri", OOB),
            ("scope", SCOPES),
        ],
        "exchanging the authorization code",
    )?;
    let access_token = Secret::new(json_str(
        &token,
        "access_token",
        "exchanging the authorization code",
    )?);
    if !access_token.expose().chars().all(|c| c.is_ascii_graphic()) {
        return Err(String::from(
            "exchanging the authorization code: the server sent an access token with spaces or control characters",
        ));
    }
    if let Some(granted) = token.get("scope").and_then(|s| s.as_str()) {
        let missing: Vec<&str> = POST_SCOPES
            .split(' ')
            .filter(|s| !granted.split([' ', '+']).any(|g| g == *s || g == "write"))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "the server granted {granted:?} but posting needs {}",
                missing.join(" ")
            ));
        }
    }

    // 4. Check that the token works, and for whom.
    let account = api.get_authorized(
        "/api/v1/accounts/verify_credentials",
        &access_token,
        "verifying the token",
    )?;
    let acct = account
        .get("acct")
        .or_else(|| account.get("username"))
        .and_then(|a| a.as_str())
        .unwrap_or("?");
    println!("logged in as @{acct} on {base}");

    // 5. Save it where the configuration's TOKEN can name it.
    let file = TokenFile {
        token: access_token,
        base_url: Some(base),
        client_id: Some(client_id),
        client_secret: Some(client_secret),
    };
    write_private(out, &file.render(), force)?;
    println!(
        "token written to {} (use it as TOKEN = \"{}\" in [MASTODON])",
        out.display(),
        out.display()
    );
    Ok(())
}

/// The page where the user authorizes the application.
fn authorize_url(base: &str, client_id: &str) -> String {
    format!(
        "{base}/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope={}",
        samsung_core::percent::encode(client_id),
        samsung_core::percent::encode(OOB),
        SCOPES.replace(' ', "+")
    )
}

/// A Mastodon server reached with ureq; every error names the step.
struct Api {
    base: String,
    agent: ureq::Agent,
}

impl Api {
    fn new(base: &str) -> Api {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(HTTP_TIMEOUT))
            .user_agent(concat!("samsung-bridge/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Api {
            base: base.to_owned(),
            agent,
        }
    }

    fn post_form(
        &self,
        path: &str,
        form: &[(&str, &str)],
        step: &str,
    ) -> Result<serde_json::Value, String> {
        let url = format!("{}{path}", self.base);
        let response = self.agent.post(&url).send_form(form.iter().copied());
        self.json(response, path, step)
    }

    fn get_authorized(
        &self,
        path: &str,
        token: &Secret<String>,
        step: &str,
    ) -> Result<serde_json::Value, String> {
        let url = format!("{}{path}", self.base);
        let response = self
            .agent
            .get(&url)
            .header("Authorization", &format!("Bearer {}", token.expose()))
            .call();
        self.json(response, path, step)
    }

    fn json(
        &self,
        response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
        path: &str,
        step: &str,
    ) -> Result<serde_json::Value, String> {
        let mut response =
            response.map_err(|e| format!("{step}: cannot reach {}: {e}", self.base))?;
        let status = response.status();
        let body = response
            .body_mut()
            .read_to_string()
            .map_err(|e| format!("{step}: reading the answer of {}{path}: {e}", self.base))?;
        if !status.is_success() {
            return Err(format!(
                "{step}: {}{path} answered HTTP {}{}",
                self.base,
                status.as_u16(),
                error_text(&body)
            ));
        }
        serde_json::from_str(&body).map_err(|_| {
            format!(
                "{step}: {}{path} did not answer with JSON (is {} a Mastodon server?)",
                self.base, self.base
            )
        })
    }
}

/// `: <error_description>` of an OAuth/Mastodon error body, or its first characters.
fn error_text(body: &str) -> String {
    let text = match serde_json::from_str::<serde_json::Value>(body) {
        Ok(v) => ["error_description", "error", "detail"]
            .iter()
            .find_map(|k| v.get(*k).and_then(|d| d.as_str()).map(String::from))
            .unwrap_or_default(),
        Err(_) => body.to_owned(),
    };
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_ERROR_TEXT)
        .collect();
    let text = text.trim();
    if text.is_empty() {
        String::new()
    } else {
        format!(": {text}")
    }
}

fn json_str(v: &serde_json::Value, key: &str, step: &str) -> Result<String, String> {
    v.get(key)
        .and_then(|s| s.as_str())
        .filter(|s| !s.is_empty())
        .map(String::from)
        .ok_or_else(|| format!("{step}: the answer has no {key}"))
}

/// Writes a file only its owner can read: a new file, or (with `replace`) a
/// temporary one renamed over the old, so that a failure leaves the old token intact.
fn write_private(path: &Path, content: &str, replace: bool) -> Result<(), String> {
    let shown = path.display();
    let target: PathBuf = if replace {
        let name = path
            .file_name()
            .ok_or_else(|| format!("{shown} is not a file name"))?;
        let mut tmp = name.to_os_string();
        tmp.push(format!(".tmp-{}", std::process::id()));
        path.with_file_name(tmp)
    } else {
        path.to_path_buf()
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&target)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists if !replace => {
                format!("{shown} exists; use --force to replace it")
            }
            _ => format!("cannot create {}: {e}", target.display()),
        })?;
    let written = file
        .write_all(content.as_bytes())
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            if replace {
                std::fs::rename(&target, path)
            } else {
                Ok(())
            }
        });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&target);
        return Err(format!("cannot write {shown}: {e}"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// decrypt

/// `samsung-bridge decrypt FILE [--show-password]`: FILE is a captured login request (raw HTTP request with head, or just the XML body; tolerate either, CRLF or LF); prints `user: …` and, only with --show-password, `password: …`; also prints which mode (encrypted with CryptSessionKey / plain HMX-QF30) and the site from the request line if present. Returns exit code; clear errors (file missing, not a login request, decryption failure with the reason).
pub fn decrypt(path: &Path, show_password: bool, out: &mut dyn Write) -> i32 {
    match decrypt_report(path, show_password) {
        Ok(report) => {
            let _ = out.write_all(report.as_bytes());
            0
        }
        Err(e) => {
            eprintln!("error: {}: {e}", path.display());
            1
        }
    }
}

fn decrypt_report(path: &Path, show_password: bool) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => String::from("does not exist"),
        _ => format!("cannot read: {e}"),
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let (site, body) = split_request(&text)?;
    let req = xml::parse_auth(body).map_err(|e| format!("not a login request: {e}"))?;
    match req.method {
        AuthMethod::Login => {}
        AuthMethod::Logout => {
            return Err(String::from(
                "a logout request (Method=\"logout\"), which carries no credentials",
            ));
        }
        AuthMethod::Other => {
            return Err(String::from(
                "not a login request (Method is not \"login\")",
            ));
        }
    }
    let (Some(user), Some(password)) = (&req.user, &req.password) else {
        let what = if req.oauth {
            "an OAuth login, which carries no credentials"
        } else {
            "not a login request: no UserName/Password values"
        };
        return Err(String::from(what));
    };
    let creds = crypto::decrypt_credentials(user, password, req.crypt_session_key.as_deref())
        .map_err(|e| format!("decryption failed: {e}"))?;
    let mut out = String::new();
    if let Some(site) = site {
        out.push_str(&format!("site: {site}\n"));
    }
    let mode = match req.crypt_session_key {
        Some(_) => "encrypted with CryptSessionKey (AES-128-CBC)",
        None => "plain (HMX-QF30: CryptSessionKey without a value)",
    };
    out.push_str(&format!("mode: {mode}\n"));
    out.push_str(&format!("user: {}\n", creds.user));
    if show_password {
        out.push_str(&format!("password: {}\n", creds.password.expose()));
    }
    Ok(out)
}

/// Splits a captured request into the site of its request line (if it has
/// one) and the XML body; a file with just the body is accepted too.
fn split_request(text: &str) -> Result<(Option<String>, &str), String> {
    let text = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if text.starts_with('<') {
        return Ok((None, text));
    }
    let head_end = [("\r\n\r\n", 4), ("\n\n", 2), ("\n\r\n", 3)]
        .iter()
        .filter_map(|(sep, len)| text.find(sep).map(|i| (i, i + len)))
        .min();
    let (head, body) = match head_end {
        Some((end, body_start)) => (&text[..end], &text[body_start..]),
        None => (text, ""),
    };
    let request_line = head.lines().next().unwrap_or_default().trim();
    let mut parts = request_line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    // Absolute form (`POST http://snsgw.samsungmobile.com/facebook/auth`).
    let path = match target.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => target,
    };
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        [site, auth]
            if auth.eq_ignore_ascii_case("auth") && method.eq_ignore_ascii_case("POST") =>
        {
            if body.trim().is_empty() {
                return Err(String::from(
                    "the request has no body (the NX300 sometimes sends an empty login)",
                ));
            }
            Ok((Some((*site).to_owned()), body))
        }
        _ => Err(format!(
            "not a login request: the request line {:?} is not POST /<site>/auth",
            request_line.chars().take(100).collect::<String>()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use std::net::TcpListener;
    use std::process::{Child, Command, Stdio};
    use std::time::Instant;

    use crate::testutil::Temp;

    fn scratch() -> Temp {
        crate::testutil::scratch("tools")
    }

    fn file(content: &str) -> Temp {
        crate::testutil::file("tools", "capture.txt", content)
    }

    // --- check-config -------------------------------------------------------

    fn run_check(path: Option<&Path>) -> (i32, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = check_config_to(path, &mut out, &mut err);
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn check_config_exit_codes_and_output() {
        let (code, out, err) = run_check(None);
        assert_eq!(code, 0);
        assert!(out.contains("configuration: embedded default"), "{out}");
        assert!(out.ends_with("configuration is valid\n"), "{out}");
        assert!(err.is_empty(), "{err}");

        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/config");
        let (code, out, err) = run_check(Some(&fixtures.join("reference-2024.toml")));
        assert_eq!(code, 0, "{err}");
        assert!(
            err.contains("warning: MASTODON_TOKEN is deprecated"),
            "{err}"
        );
        assert!(
            out.contains("example@mastodon.social → mastodon → https://mastodon.social"),
            "{out}"
        );
        assert!(
            !out.contains("YOUR_ACCESS_TOKEN") && !out.contains("password\n"),
            "{out}"
        );

        let bad = file("MAIL_SERVER = \"x\"\nMAIL_PORT = \"abc\"\n");
        let (code, out, err) = run_check(Some(&bad));
        assert_eq!(code, 1);
        assert!(out.is_empty(), "{out}");
        assert_eq!(
            err,
            format!(
                "error: {}: MAIL_PORT: expected an integer 1-65535, got \"abc\"\n",
                bad.display()
            )
        );
        let (code, _, err) = run_check(Some(Path::new("/nonexistent/config.toml")));
        assert_eq!(code, 1);
        assert!(err.contains("does not exist"), "{err}");
    }

    // --- decrypt ------------------------------------------------------------

    use samsung_core::testing::V7_BODY;

    /// V9: V8's key with a multi-block user name.
    const V9_BODY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Request Method="login" Timeout="3000" CameraCryptKey="844e7f0f">
<UserName Value="7SWeVZO1ja%2FtUg7RXw4uUgYmQ0yN2DENOlei0k0q2Ys%3D"/>
<Password Value="ROLCnrin5ZEQjiFaLz3E7g%3D%3D"/>
<PersistKey Use="true"/>
4p4uaaq422af3"/>
<SessionKey Type="APIF"/>
<CryptSessionKey Use="true" Type="SHA1" Value="/////xAAwKRSAQAAAPAHtv////8QAMCkUgEAAADwB7Y="/>
</Request>
"#;

    const V10_BODY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Request Method="login" Timeout="3000">
<UserName Value="Camera%40samsungcamera.com"/>
<Password Value="secret"/>
<CryptSessionKey Use="true" Type="SHA1"/>
</Request>
"#;

    fn request(line: &str, body: &str, eol: &str) -> String {
        let head = format!(
            "{line}{eol}Host: snsgw.samsungmobile.com{eol}Content-Length: {}{eol}{eol}",
            body.len()
        );
        format!("{head}{}", body.replace('\n', eol))
    }

    fn run_decrypt(content: &str, show: bool) -> (i32, String) {
        let path = file(content);
        let mut out = Vec::new();
        let code = decrypt(&path, show, &mut out);
        (code, String::from_utf8(out).unwrap())
    }

    #[test]
    fn decrypt_captured_logins() {
        let cases = [
            (
                "V7 CRLF",
                request("POST /facebook/auth HTTP/1.1", V7_BODY, "\r\n"),
                "site: facebook\nmode: encrypted with CryptSessionKey (AES-128-CBC)\nuser: x\n",
                "z",
            ),
            (
                "V9 absolute form, LF",
                request(
                    "POST http://snsgw.samsungmobile.com/picasa/auth HTTP/1.1",
                    V9_BODY,
                    "\n",
                ),
                "site: picasa\nmode: encrypted with CryptSessionKey (AES-128-CBC)\nuser: Camera@samsungcamera.com\n",
                "secret",
            ),
            (
                "V10 plain",
                request("POST /youtube/auth HTTP/1.1", V10_BODY, "\r\n"),
                "site: youtube\nmode: plain (HMX-QF30: CryptSessionKey without a value)\nuser: Camera@samsungcamera.com\n",
                "secret",
            ),
            (
                "body only",
                format!("\n{V7_BODY}"),
                "mode: encrypted with CryptSessionKey (AES-128-CBC)\nuser: x\n",
                "z",
            ),
        ];
        for (name, content, want, password) in cases {
            assert_eq!(
                run_decrypt(&content, false),
                (0, String::from(want)),
                "{name}"
            );
            assert_eq!(
                run_decrypt(&content, true),
                (0, format!("{want}password: {password}\n")),
                "{name}"
            );
        }
    }

    #[test]
    fn decrypt_errors() {
        let logout = "<Request Method=\"logout\" SessionKey=\"0123\"></Request>";
        let bad_key = V7_BODY.replace("//////S3mbZSAQAA/LOitv////9IIgS2UgEAAAAQBLY=", "AAAA");
        let bad_cipher = V7_BODY.replace("uFK%2Fz%2BkEchpulalnJr1rBw%3D%3D", "uFK%2Fz%2BkE");
        let cases = [
            ("logout", String::from(logout), "logout request"),
            (
                "no request",
                String::from("<html>hello</html>"),
                "not a login request: no <Request> element",
            ),
            (
                "photo",
                request("POST /facebook/photo HTTP/1.1", V7_BODY, "\r\n"),
                "is not POST /<site>/auth",
            ),
            (
                "empty auth",
                String::from("POST /facebook/auth HTTP/1.1\r\nContent-Length: 0\r\n\r\n"),
                "no body",
            ),
            (
                "bad key",
                bad_key,
                "decryption failed: session key is not 32 bytes",
            ),
            ("bad ciphertext", bad_cipher, "decryption failed"),
            (
                "oauth",
                String::from("<Request Method=\"login\"><OAuth Version=\"1.0\"/></Request>"),
                "OAuth",
            ),
        ];
        for (name, content, want) in cases {
            let err = decrypt_report(&file(&content), true).unwrap_err();
            assert!(err.contains(want), "{name}: {err}");
            assert_eq!(run_decrypt(&content, false).0, 1, "{name}");
        }
        let err = decrypt_report(Path::new("/nonexistent/capture"), false).unwrap_err();
        assert_eq!(err, "does not exist");
    }

    // --- mastodon-login -------------------------------------------------------

    #[test]
    fn authorize_url_shape() {
        assert_eq!(
            authorize_url("https://m.example", "a b/c"),
            "https://m.example/oauth/authorize?response_type=code&client_id=a%20b%2Fc&redirect_uri=urn%3Aietf%3Awg%3Aoauth%3A2.0%3Aoob&scope=write:statuses+write:media+read:accounts+read:statuses"
        );
        assert_eq!(
            error_text(r#"{"error":"invalid_grant","error_description":"The code\nexpired"}"#),
            ": The code expired"
        );
        assert_eq!(error_text("<html>"), ": <html>");
        assert_eq!(error_text(""), "");
    }

    #[test]
    fn private_files_are_created_once_and_replaced_on_request() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = scratch();
        let path = dir.join("mastodon.secret");
        write_private(&path, "one\n", false).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let err = write_private(&path, "two\n", false).unwrap_err();
        assert!(err.contains("exists; use --force"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one\n");
        write_private(&path, "two\n", true).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two\n");
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let err = write_private(Path::new("/nonexistent/dir/x"), "", false).unwrap_err();
        assert!(err.contains("cannot create"), "{err}");
    }

    /// A `mastodon_mock serve` process, killed on drop.
    struct MockServer {
        child: Child,
        base: String,
        log: PathBuf,
        _dir: Temp,
    }

    impl Drop for MockServer {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    fn free_port() -> u16 {
        TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    fn agent() -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .new_agent()
    }

    /// Starts the mock from `$SAMSUNG_TEST_VENV` (default `<workspace>/.venv`);
    /// fails, never skips, when it is missing.
    fn start_mock() -> MockServer {
        let venv = std::env::var_os("SAMSUNG_TEST_VENV")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv"));
        let exe = venv.join("bin/mastodon_mock");
        assert!(
            exe.is_file(),
            "mastodon-mock is missing: {} does not exist. Create it with \
             `python3 -m venv {v} && {v}/bin/pip install mastodon-mock aiosmtpd` \
             (scripts/test-all does), or set SAMSUNG_TEST_VENV to a venv that has it",
            exe.display(),
            v = venv.display()
        );
        let port = free_port();
        let dir = scratch();
        let log = dir.join("mastodon_mock.log");
        let log_file = std::fs::File::create(&log).unwrap();
        let child = Command::new(&exe)
            .args([
                "serve",
                "--in-memory",
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", exe.display()));
        let mut mock = MockServer {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
            _dir: dir,
        };
        let started = Instant::now();
        let agent = agent();
        loop {
            if let Ok(r) = agent.get(&format!("{}/api/v1/instance", mock.base)).call()
                && r.status().is_success()
            {
                return mock;
            }
            let exited = mock.child.try_wait().unwrap();
            if exited.is_some() || started.elapsed() > Duration::from_secs(60) {
                let log = std::fs::read_to_string(&mock.log).unwrap_or_default();
                panic!("mastodon_mock did not come up ({exited:?}):\n{log}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn read_json(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> serde_json::Value {
        let mut r = r.unwrap();
        let status = r.status();
        let body = r.body_mut().read_to_string().unwrap();
        assert!(status.is_success(), "HTTP {status}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    /// The code the user would copy from the authorize page: the mock's
    /// account picker posts the chosen account back and shows the code.
    fn authorization_code(base: &str, username: &str) -> String {
        let mut r = agent()
            .post(&format!("{base}/oauth/authorize"))
            .send_form([
                ("username", username),
                ("redirect_uri", OOB),
                ("scope", SCOPES),
            ])
            .unwrap();
        let html = r.body_mut().read_to_string().unwrap();
        let code = html
            .split("Authorization code: ")
            .nth(1)
            .and_then(|rest| rest.split('<').next())
            .unwrap_or_else(|| panic!("no code in {html}"));
        code.trim().to_owned()
    }

    #[test]
    fn mastodon_login_against_mastodon_mock() {
        let mock = start_mock();
        let base = mock.base.clone();
        let account = read_json(
            agent()
                .post(&format!("{base}/api/v1/_mock/dev_user"))
                .header("Content-Type", "application/json")
                .send(r#"{"username":"camera"}"#),
        );
        assert_eq!(account["username"], "camera");

        // The whole flow; the trailing slash of the URL is dropped.
        let dir = scratch();
        let out = dir.join("mastodon.secret");
        let code = authorization_code(&base, "camera");
        mastodon_login(
            &format!("{base}/"),
            &out,
            false,
            &mut Cursor::new(format!("{code}\n")),
        )
        .unwrap_or_else(|e| {
            panic!(
                "{e}\n{}",
                std::fs::read_to_string(&mock.log).unwrap_or_default()
            )
        });

        // The file is private, in the reference's format, and what Config reads.
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let text = std::fs::read_to_string(&out).unwrap();
        let written = TokenFile::parse(&text).unwrap();
        assert_eq!(written.base_url.as_deref(), Some(base.as_str()));
        assert!(written.client_id.is_some() && written.client_secret.is_some());
        assert_eq!(text.lines().count(), 4);
        let config = Config::from_str(
            &format!(
                "SENDERS = [\"cam@example.org\"]\nSECRET = \"s\"\n[MASTODON]\nTOKEN = \"{}\"\n[ACTIONS]\nfacebook = \"mastodon\"\n",
                out.display()
            ),
            None,
        )
        .unwrap();
        let m = &config.model.mastodon[&None];
        assert_eq!(m.base_url, base);
        assert_eq!(m.token.expose(), written.token.expose());

        // The token belongs to the account and may post.
        let bearer = format!("Bearer {}", m.token.expose());
        let me = read_json(
            agent()
                .get(&format!("{base}/api/v1/accounts/verify_credentials"))
                .header("Authorization", &bearer)
                .call(),
        );
        assert_eq!(me["username"], "camera");
        let status = read_json(
            agent()
                .post(&format!("{base}/api/v1/statuses"))
                .header("Authorization", &bearer)
                .send_form([("status", "hello from samsung-bridge")]),
        );
        assert!(status["id"].is_string(), "{status}");

        // No overwrite without --force (checked before any request), with it a new token.
        let err = mastodon_login(&base, &out, false, &mut Cursor::new("x\n")).unwrap_err();
        assert!(err.contains("exists; use --force"), "{err}");
        let code = authorization_code(&base, "camera");
        mastodon_login(&base, &out, true, &mut Cursor::new(format!("{code}\n"))).unwrap();
        let replaced = TokenFile::parse(&std::fs::read_to_string(&out).unwrap()).unwrap();
        assert_ne!(replaced.token.expose(), written.token.expose());

        // A wrong code: the server's error, no secret in the message.
        let other = dir.join("other.secret");
        let err =
            mastodon_login(&base, &other, false, &mut Cursor::new("wrong-code\n")).unwrap_err();
        assert!(
            err.starts_with("exchanging the authorization code: "),
            "{err}"
        );
        assert!(err.contains("HTTP 400: invalid_grant"), "{err}");
        assert!(!other.exists());
        let err = mastodon_login(&base, &other, false, &mut Cursor::new("\n")).unwrap_err();
        assert_eq!(err, "no authorization code entered");

        // Not a Mastodon server / nobody listening / not a URL.
        let err = mastodon_login(
            &format!("{base}/nothing-here"),
            &other,
            false,
            &mut Cursor::new(""),
        )
        .unwrap_err();
        assert!(
            err.contains("registering the application") && err.contains("HTTP 404"),
            "{err}"
        );
        drop(mock);
        let closed = format!("http://127.0.0.1:{}", free_port());
        let err = mastodon_login(&closed, &other, false, &mut Cursor::new("")).unwrap_err();
        assert!(
            err.contains("registering the application: cannot reach"),
            "{err}"
        );
        let err =
            mastodon_login("mastodon.social", &other, false, &mut Cursor::new("")).unwrap_err();
        assert!(
            err.starts_with("server URL: expected an http:// or https:// URL"),
            "{err}"
        );
        assert!(!other.exists());
    }
}
