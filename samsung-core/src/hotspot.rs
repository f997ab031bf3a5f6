//! Connectivity ("hotspot") checks and the landing page (PROTOCOL.md §3).
//!
//! Before uploading, a camera fetches `/` from a model-specific host and
//! decides from the answer whether it is behind a captive portal:
//!
//! * `gld.samsungosp.com` wants a 200 with an `ETag` and an nginx `Server`
//!   header (NX mini fw 1.10) — every other gld model is happy with that too.
//! * `www.yahoo.co.kr` / `www.msn.com` want either a redirect whose
//!   `Location` has `yahoo.`/`msn.` at character index ≤ 11, or a 200 that
//!   sets a cookie on `.yahoo.co.kr` / `.msn.com`. Models differ in which
//!   branch they accept (the WB37F only takes the cookie), so answers
//!   alternate — per client address, unlike the reference's process-global
//!   flag (PROTOCOL.md §9.3 #10): of any two consecutive checks from one
//!   camera, one is the redirect and one the cookie.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

use crate::ClientAddr;
use crate::http::OwnedResponse;
use crate::time::{Duration, Instant};

/// How many client addresses the alternation remembers; the least recently
/// seen is forgotten first.
pub const MAX_HOTSPOT_CLIENTS: usize = 256;
/// After this long without a check, a client starts again with a redirect.
pub const HOTSPOT_MEMORY: Duration = Duration::from_secs(600);
/// Longest User-Agent echoed on the landing page (keeps the answer in one segment).
pub const MAX_ECHOED_AGENT: usize = 160;

/// Which connectivity check a `GET /` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckHost {
    /// `gld.samsungosp.com` (NX300/NX500/NX1/NX mini).
    Gld,
    /// `www.yahoo.co.kr` (ST200F, WB850F, EX2F and other compacts).
    Yahoo,
    /// `www.msn.com` (WB35F/WB36F/WB37F/WB1100F).
    Msn,
}

impl CheckHost {
    /// Recognises a (lowercased, port-less) `Host` as a check host.
    pub fn from_host(host: &str) -> Option<Self> {
        match host {
            "gld.samsungosp.com" => Some(Self::Gld),
            "www.yahoo.co.kr" | "yahoo.co.kr" => Some(Self::Yahoo),
            "www.msn.com" | "msn.com" => Some(Self::Msn),
            _ => None,
        }
    }
}

/// Per-client alternation state for the Yahoo/MSN checks.
#[derive(Debug, Clone, Default)]
pub struct HotspotState {
    /// (client, answer the next check with a redirect, last seen)
    clients: Vec<(ClientAddr, bool, Instant)>,
}

impl HotspotState {
    /// An empty state: every client's first check gets the redirect.
    pub fn new() -> Self {
        Self::default()
    }

    /// The answer to a connectivity check from `client`.
    pub fn answer(&mut self, check: CheckHost, client: ClientAddr, now: Instant) -> OwnedResponse {
        match check {
            CheckHost::Gld => gld_reply(),
            CheckHost::Yahoo | CheckHost::Msn => {
                if self.next_is_redirect(client, now) {
                    redirect_reply(check)
                } else {
                    cookie_reply(check)
                }
            }
        }
    }

    /// Flips and returns this client's phase.
    fn next_is_redirect(&mut self, client: ClientAddr, now: Instant) -> bool {
        if let Some(entry) = self.clients.iter_mut().find(|e| e.0 == client) {
            let redirect = if now.saturating_since(entry.2) > HOTSPOT_MEMORY {
                true
            } else {
                entry.1
            };
            entry.1 = !redirect;
            entry.2 = now;
            return redirect;
        }
        if self.clients.len() >= MAX_HOTSPOT_CLIENTS
            && let Some(oldest) = (0..self.clients.len()).min_by_key(|&i| self.clients[i].2)
        {
            self.clients.swap_remove(oldest);
        }
        self.clients.push((client, false, now));
        true
    }
}

/// The NX-mini-compatible gld answer: 200, `Server: nginx…`, `ETag`, empty body.
pub fn gld_reply() -> OwnedResponse {
    OwnedResponse {
        status: 200,
        content_type: None,
        headers: alloc::vec![
            ("Server", String::from("nginx/notreally")),
            ("ETag", String::from("\"deadbeef\"")),
        ],
        body: Vec::new(),
        content_length: None,
    }
}

/// `302` to `http://yahoo.com` / `http://msn.com` (`yahoo.` at index 7).
pub fn redirect_reply(check: CheckHost) -> OwnedResponse {
    let location = match check {
        CheckHost::Msn => "http://msn.com",
        _ => "http://yahoo.com",
    };
    OwnedResponse {
        status: 302,
        content_type: Some(crate::http::TEXT_HTML),
        headers: alloc::vec![("Location", String::from(location))],
        body: Vec::new(),
        content_length: None,
    }
}

/// `200` with a cookie on the check's domain, leading dot byte-exact.
pub fn cookie_reply(check: CheckHost) -> OwnedResponse {
    let (domain, body) = match check {
        CheckHost::Msn => (".msn.com", "MSN"),
        _ => (".yahoo.co.kr", "YAHOO!"),
    };
    let mut cookie = String::new();
    let _ = write!(cookie, "samsung=hotspot; Domain={domain}; Path=/");
    OwnedResponse {
        status: 200,
        content_type: Some(crate::http::TEXT_HTML),
        headers: alloc::vec![("Set-Cookie", cookie)],
        body: body.as_bytes().to_vec(),
        content_length: None,
    }
}

/// The page a camera's browser (or a curious human) sees on any other host:
/// says the bridge runs and what to check when a camera still fails.
pub fn landing_reply(user_agent: Option<&str>) -> OwnedResponse {
    let mut agent: String = user_agent
        .unwrap_or("(none)")
        .chars()
        .take(MAX_ECHOED_AGENT)
        .collect();
    if agent.is_empty() {
        agent.push_str("(none)");
    }
    let mut body = String::new();
    let _ = write!(
        body,
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>samsung-bridge</title></head><body>\
<h1>samsung-bridge is running</h1>\
<p>Samsung NX will never die! This server answers the camera API of Samsung WiFi cameras.</p>\
<p>If your camera opened this page instead of uploading, check that DNS points \
gld.samsungosp.com, www.samsungimaging.com, www.ospserver.net, snsgw.samsungmobile.com, \
www.yahoo.co.kr and www.msn.com at this server, that it answers on port 80, and that its \
address is not in 192.168.x.x (use 10.x.x.x).</p>\
<p>Your browser: <code>{}</code></p></body></html>",
        crate::xml::escape(&agent)
    );
    OwnedResponse::html(200, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(r: &'a OwnedResponse, name: &str) -> Option<&'a str> {
        r.headers.iter().find(|h| h.0 == name).map(|h| h.1.as_str())
    }

    fn is_redirect(r: &OwnedResponse, needle: &str) -> bool {
        (300..400).contains(&r.status)
            && header(r, "Location").is_some_and(|l| l.find(needle).is_some_and(|i| i <= 11))
    }

    fn is_cookie(r: &OwnedResponse, domain: &str) -> bool {
        r.status == 200
            && header(r, "Set-Cookie")
                .is_some_and(|c| c.contains(&alloc::format!("Domain={domain};")))
    }

    #[test]
    fn hosts() {
        assert_eq!(
            CheckHost::from_host("gld.samsungosp.com"),
            Some(CheckHost::Gld)
        );
        assert_eq!(
            CheckHost::from_host("www.yahoo.co.kr"),
            Some(CheckHost::Yahoo)
        );
        assert_eq!(CheckHost::from_host("www.msn.com"), Some(CheckHost::Msn));
        assert_eq!(CheckHost::from_host("www.samsungimaging.com"), None);
    }

    #[test]
    fn gld_has_etag_and_nginx() {
        let r = gld_reply();
        assert_eq!(r.status, 200);
        assert!(r.body.is_empty());
        assert!(header(&r, "Server").unwrap().starts_with("nginx"));
        assert!(header(&r, "ETag").is_some());
    }

    #[test]
    fn alternation_is_per_client() {
        let mut s = HotspotState::new();
        let a = ClientAddr::from_ipv4([10, 0, 0, 2]);
        let b = ClientAddr::from_ipv4([10, 0, 0, 3]);
        let t = Instant::from_millis(0);
        assert!(is_redirect(&s.answer(CheckHost::Yahoo, a, t), "yahoo."));
        // Another camera in between does not shift `a`'s phase.
        assert!(is_redirect(&s.answer(CheckHost::Yahoo, b, t), "yahoo."));
        assert!(is_cookie(&s.answer(CheckHost::Yahoo, a, t), ".yahoo.co.kr"));
        assert!(is_cookie(&s.answer(CheckHost::Yahoo, b, t), ".yahoo.co.kr"));
        assert!(is_redirect(&s.answer(CheckHost::Msn, a, t), "msn."));
        assert!(is_cookie(&s.answer(CheckHost::Msn, a, t), ".msn.com"));
    }

    #[test]
    fn any_two_consecutive_checks_cover_both_branches() {
        let mut s = HotspotState::new();
        let c = ClientAddr::from_ipv4([10, 1, 2, 3]);
        let mut prev: Option<OwnedResponse> = None;
        for i in 0..9u64 {
            let r = s.answer(CheckHost::Msn, c, Instant::from_millis(i * 1000));
            if let Some(p) = prev {
                let pair = [&p, &r];
                assert!(pair.iter().any(|x| is_redirect(x, "msn.")));
                assert!(pair.iter().any(|x| is_cookie(x, ".msn.com")));
            }
            prev = Some(r);
        }
    }

    #[test]
    fn table_is_bounded_and_forgets_old_clients() {
        let mut s = HotspotState::new();
        for i in 0..(MAX_HOTSPOT_CLIENTS as u32 + 50) {
            let ip = i.to_be_bytes();
            s.answer(
                CheckHost::Yahoo,
                ClientAddr::from_ipv4(ip),
                Instant::from_millis(u64::from(i)),
            );
        }
        assert_eq!(s.clients.len(), MAX_HOTSPOT_CLIENTS);
        let c = ClientAddr::from_ipv4([10, 9, 9, 9]);
        assert!(is_redirect(
            &s.answer(CheckHost::Yahoo, c, Instant::from_millis(0)),
            "yahoo."
        ));
        let later = Instant::from_millis(0) + HOTSPOT_MEMORY + Duration::from_secs(1);
        assert!(is_redirect(&s.answer(CheckHost::Yahoo, c, later), "yahoo."));
    }

    #[test]
    fn landing_page_escapes_agent_and_stays_small() {
        let evil = "<script>alert(1)</script>".repeat(40);
        let r = landing_reply(Some(&evil));
        let body = core::str::from_utf8(&r.body).unwrap();
        assert!(!body.contains("<script>"));
        assert!(body.contains("samsung-bridge is running"));
        let mut buf = [0u8; 2048];
        let n = r.render(crate::http::Version::Http11, &mut buf).unwrap();
        assert!(n <= 1460, "landing page must fit one segment, is {n}");
    }
}
