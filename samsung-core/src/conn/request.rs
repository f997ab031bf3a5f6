//! What a request head asks for: its kind, and how each family of
//! endpoints starts (a fixed answer, an XML body to collect, an e-mail to
//! stream, an upload to stream, a download to look up).

use alloc::string::String;
use alloc::vec::Vec;

use super::download::download_path;
use super::email::{EmailSink, PartKind};
use super::{Connection, Event, Phase, Sink, Waiting, XmlRequest};
use crate::hotspot::{self, CheckHost};
use crate::http::{Method, OwnedResponse, RequestHead};
use crate::multipart::{self, MultipartParser};
use crate::sns::{self, Bridge};
use crate::time::Instant;
use crate::xml::{self, AuthMethod, MediaKind};

/// What a request was, for logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestKind {
    /// A connectivity check (`GET /` on a check host).
    Hotspot(CheckHost),
    /// The landing page (`GET /` on any other host).
    Landing,
    /// ST1000 `GET /security/sso/initialize/time`.
    Time,
    /// ST1000 `GET /social/columbus/serviceproviders/list` (unsupported).
    ServiceList,
    /// NX300 AllShare `POST /security/sso/userprofiles/authentication/emailid` (unsupported).
    AllShare,
    /// `POST /social/columbus/email`.
    Email,
    /// `GET /social/columbus/email` (the reference redirects to `/`).
    EmailPage,
    /// `POST /<site>/auth`.
    Auth,
    /// `POST /<site>/photo`.
    Photo,
    /// `POST /<site>/video`.
    Video,
    /// `PUT /upload/<key>/<file>`.
    Upload,
    /// A read-only download of a stored file (`serve_downloads`).
    Download,
    /// Anything else.
    Unknown,
}

impl RequestKind {
    /// A short name for log lines.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Hotspot(CheckHost::Gld) => "hotspot-gld",
            Self::Hotspot(CheckHost::Yahoo) => "hotspot-yahoo",
            Self::Hotspot(CheckHost::Msn) => "hotspot-msn",
            Self::Landing => "landing",
            Self::Time => "time",
            Self::ServiceList => "service-list",
            Self::AllShare => "allshare-login",
            Self::Email => "email",
            Self::EmailPage => "email-page",
            Self::Auth => "auth",
            Self::Photo => "photo",
            Self::Video => "video",
            Self::Upload => "upload",
            Self::Download => "download",
            Self::Unknown => "unknown",
        }
    }
}

/// A short record of the request for the frontend's log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSummary {
    /// What the request was.
    pub kind: RequestKind,
    /// Request method.
    pub method: Method,
    /// Host (lowercased), if any.
    pub host: Option<String>,
    /// The path (no query) as it may be logged: an upload's session key,
    /// which authorises uploads, is replaced by `[session]`.
    pub loggable_path: String,
    /// User-Agent (the model hint).
    pub user_agent: Option<String>,
    /// The answer's status, once known.
    pub status: Option<u16>,
}

impl Connection {
    /// A complete head: records it for the log and starts its endpoint.
    pub(super) fn start_request(
        &mut self,
        bridge: &mut Bridge,
        now: Instant,
        head: RequestHead,
    ) -> Option<Event<'static>> {
        self.version = head.version;
        self.head_only = head.method == Method::Head;
        let kind = classify_request(&head);
        self.summary = Some(RequestSummary {
            kind,
            method: head.method,
            host: head.host.clone(),
            loggable_path: loggable_path(kind, &head.path),
            user_agent: head.user_agent.clone(),
            status: None,
        });
        let length = head.content_length.unwrap_or(0);
        match kind {
            RequestKind::Hotspot(_)
            | RequestKind::Landing
            | RequestKind::Time
            | RequestKind::ServiceList
            | RequestKind::EmailPage => {
                self.start_fixed(bridge, now, kind, &head, length);
                None
            }
            RequestKind::Auth | RequestKind::Photo | RequestKind::Video | RequestKind::AllShare => {
                self.start_xml(bridge, kind, &head, length);
                None
            }
            RequestKind::Email => self.start_email(bridge, now, &head, length),
            RequestKind::Upload => self.start_upload(bridge, now, &head, length),
            RequestKind::Download | RequestKind::Unknown => self.start_other(bridge, &head, length),
        }
    }

    /// Answers `reply` once the body (if any) has been drained; a body too
    /// large to be worth draining gets a 413 at once and the connection closes.
    fn answer_after_body(&mut self, bridge: &Bridge, length: u64, reply: OwnedResponse) {
        if length == 0 {
            self.respond(reply);
        } else if length > bridge.config().limits.max_upload {
            self.respond(OwnedResponse::error(413, "Body too large"));
        } else {
            self.phase = Phase::Body {
                remaining: length,
                sink: Sink::Discard(reply),
            };
        }
    }

    /// Endpoints whose answer does not depend on a body: hotspot checks,
    /// the landing page, the ST1000 calls, the e-mail page.
    fn start_fixed(
        &mut self,
        bridge: &mut Bridge,
        now: Instant,
        kind: RequestKind,
        head: &RequestHead,
        length: u64,
    ) {
        let read_only = matches!(head.method, Method::Get | Method::Head);
        let reply = match kind {
            RequestKind::Hotspot(check) if read_only => {
                bridge.hotspot().answer(check, self.client, now)
            }
            RequestKind::Landing if read_only => hotspot::landing_reply(head.user_agent.as_deref()),
            RequestKind::Time if read_only => sns::time_reply(now.as_millis()),
            RequestKind::ServiceList => {
                OwnedResponse::error(501, "ST1000 service list is not supported")
            }
            RequestKind::EmailPage if read_only => {
                let mut reply = OwnedResponse::html(302, "");
                reply.headers.push(("Location", String::from("/")));
                reply
            }
            _ => OwnedResponse::error(405, "Method not allowed"),
        };
        self.answer_after_body(bridge, length, reply);
    }

    /// Login, logout, photo/video announces and the AllShare login: an XML
    /// body is collected, then answered.
    fn start_xml(&mut self, bridge: &Bridge, kind: RequestKind, head: &RequestHead, length: u64) {
        if head.method != Method::Post {
            return self.answer_after_body(
                bridge,
                length,
                OwnedResponse::error(405, "Method not allowed"),
            );
        }
        let request = match kind {
            RequestKind::Auth => XmlRequest::Auth,
            RequestKind::Photo => XmlRequest::Announce(MediaKind::Photo),
            RequestKind::Video => XmlRequest::Announce(MediaKind::Video),
            _ => XmlRequest::AllShare,
        };
        let site = site_of(&head.path);
        if request != XmlRequest::AllShare && !sns::SITES.contains(&site) {
            self.answer_after_body(bridge, length, OwnedResponse::error(404, "Unknown site"));
        } else if length == 0 {
            self.respond(OwnedResponse::error(400, "Empty POST payload"));
        } else if length > bridge.config().limits.max_xml as u64 {
            self.answer_after_body(
                bridge,
                length,
                OwnedResponse::error(413, "XML request too large"),
            );
        } else {
            self.phase = Phase::Body {
                remaining: length,
                sink: Sink::Xml {
                    buf: Vec::new(),
                    request,
                    site: String::from(site),
                },
            };
        }
    }

    /// `POST /social/columbus/email`: a multipart body streamed through the
    /// e-mail sink.
    fn start_email(
        &mut self,
        bridge: &mut Bridge,
        now: Instant,
        head: &RequestHead,
        length: u64,
    ) -> Option<Event<'static>> {
        let parser = head
            .content_type
            .as_deref()
            .and_then(multipart::boundary_from_content_type)
            .and_then(|b| MultipartParser::new(b).ok());
        let Some(parser) = parser else {
            self.answer_after_body(
                bridge,
                length,
                OwnedResponse::error(400, "Not a multipart body"),
            );
            return None;
        };
        if length > bridge.config().limits.max_upload {
            self.respond(OwnedResponse::error(413, "E-mail too large"));
            return None;
        }
        let transfer = bridge.next_transfer();
        self.phase = Phase::Body {
            remaining: length,
            sink: Sink::Email(alloc::boxed::Box::new(EmailSink {
                transfer,
                parser,
                part: PartKind::None,
                message_buf: Vec::new(),
                message: None,
                refused: None,
                attachments: 0,
                ended: false,
                chunk: Vec::new(),
            })),
        };
        if length == 0 {
            return self.finish_body(bridge, now);
        }
        None
    }

    /// `PUT /upload/<key>/<file>`: the body is the file.
    fn start_upload(
        &mut self,
        bridge: &mut Bridge,
        now: Instant,
        head: &RequestHead,
        length: u64,
    ) -> Option<Event<'static>> {
        if head.method != Method::Put {
            self.answer_after_body(
                bridge,
                length,
                OwnedResponse::error(405, "Method not allowed"),
            );
            return None;
        }
        let (key, name) = upload_target(&head.path).unwrap_or(("", ""));
        match bridge.begin_upload(key, name, head.content_type.as_deref(), length, now) {
            Err(reply) if length > bridge.config().limits.max_upload => self.respond(reply),
            Err(reply) => self.answer_after_body(bridge, length, reply),
            Ok(upload) => {
                let upload = alloc::boxed::Box::new(upload);
                let ev = Event::UploadStart(upload.clone());
                self.phase = Phase::Body {
                    remaining: length,
                    sink: Sink::Upload(upload),
                };
                return Some(ev);
            }
        }
        None
    }

    /// Any other path: a download when downloads are served, else 404.
    fn start_other(
        &mut self,
        bridge: &Bridge,
        head: &RequestHead,
        length: u64,
    ) -> Option<Event<'static>> {
        if !bridge.config().serve_downloads || !matches!(head.method, Method::Get | Method::Head) {
            self.answer_after_body(bridge, length, OwnedResponse::error(404, "Unknown API"));
            return None;
        }
        match download_path(&head.path) {
            Some(path) if length == 0 => {
                self.waiting_download = true;
                self.phase = Phase::Waiting(Waiting::Download);
                if let Some(s) = self.summary.as_mut() {
                    s.kind = RequestKind::Download;
                }
                return Some(Event::Download { path });
            }
            Some(_) => {
                self.answer_after_body(bridge, length, OwnedResponse::error(400, "GET with a body"))
            }
            None => {
                self.answer_after_body(bridge, length, OwnedResponse::error(404, "No such file"))
            }
        }
        None
    }
}

/// The answer to a complete XML request.
pub(super) fn xml_reply(
    bridge: &mut Bridge,
    now: Instant,
    request: XmlRequest,
    site: &str,
    body: &[u8],
) -> OwnedResponse {
    let doc = String::from_utf8_lossy(body);
    if doc.trim().is_empty() {
        return OwnedResponse::error(400, "Empty POST payload");
    }
    match request {
        XmlRequest::Auth => {
            let Ok(req) = xml::parse_auth(&doc) else {
                return OwnedResponse::error(400, "Malformed auth request");
            };
            match req.method {
                AuthMethod::Login => {
                    if req.oauth || sns::OAUTH_SITES.contains(&site) {
                        return OwnedResponse::error(401, "OAuth not supported");
                    }
                    match bridge.login(site, &req, now) {
                        Ok(key) => sns::login_reply(&key, &bridge.config().screen_name),
                        Err(_) => OwnedResponse::error(401, "Login failed"),
                    }
                }
                AuthMethod::Logout => {
                    bridge.logout(req.session_key.as_deref());
                    sns::logout_reply()
                }
                AuthMethod::Other => OwnedResponse::error(400, "Unsupported auth method"),
            }
        }
        XmlRequest::Announce(kind) => match xml::parse_announce(&doc, kind) {
            Ok(ann) => bridge.announce(site, &ann, now),
            Err(xml::XmlError::MissingSessionKey) => OwnedResponse::error(401, "Session expired"),
            Err(_) => OwnedResponse::error(400, "Malformed announce request"),
        },
        XmlRequest::AllShare => match xml::parse_user_auth(&doc) {
            Ok(req) if bridge.config().is_allowed(&req.login_id) => {
                OwnedResponse::error(501, "Samsung account login is not supported")
            }
            Ok(_) => OwnedResponse::error(401, "Login failed"),
            Err(_) => OwnedResponse::error(400, "Malformed userAuthRequest"),
        },
    }
}

/// What of a request path may be logged: everything but an upload's
/// session key.
fn loggable_path(kind: RequestKind, path: &str) -> String {
    match (kind, upload_target(path)) {
        (RequestKind::Upload, Some((key, name))) => {
            alloc::format!("/upload/[session]/{}", name.replace(key, "[session]"))
        }
        (RequestKind::Upload, None) => String::from("/upload/[…]"),
        _ => String::from(path),
    }
}

/// `/<site>/…` → `<site>`.
fn site_of(path: &str) -> &str {
    path.trim_start_matches('/').split('/').next().unwrap_or("")
}

/// `/upload/<key>/<name>` → (key, name).
fn upload_target(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/upload/")?;
    let (key, name) = rest.split_once('/')?;
    (!key.is_empty() && !name.is_empty() && !name.contains('/')).then_some((key, name))
}

/// Which endpoint a request head addresses (routing by Host for `GET /`,
/// by path otherwise, as the reference does).
pub fn classify_request(head: &RequestHead) -> RequestKind {
    let path = head.path.as_str();
    if path == "/" {
        return match head.host.as_deref().and_then(CheckHost::from_host) {
            Some(check) => RequestKind::Hotspot(check),
            None => RequestKind::Landing,
        };
    }
    match path {
        "/security/sso/initialize/time" => return RequestKind::Time,
        "/social/columbus/serviceproviders/list" => return RequestKind::ServiceList,
        "/security/sso/userprofiles/authentication/emailid" => return RequestKind::AllShare,
        "/social/columbus/email" => {
            return if head.method == Method::Post {
                RequestKind::Email
            } else {
                RequestKind::EmailPage
            };
        }
        _ => {}
    }
    if path.starts_with("/upload/") {
        return RequestKind::Upload;
    }
    let mut parts = path.trim_start_matches('/').split('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(site), Some("auth"), None) if !site.is_empty() => RequestKind::Auth,
        (Some(site), Some("photo"), None) if !site.is_empty() => RequestKind::Photo,
        (Some(site), Some("video"), None) if !site.is_empty() => RequestKind::Video,
        _ => RequestKind::Unknown,
    }
}
