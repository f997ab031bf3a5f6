//! Evaluates an exchange's expectations against what the simulated
//! frontend observed, plus the checks every answer must pass (V21), and
//! what a fixture does not mention must not have happened.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use samsung_core::sns::BridgeEvent;
use samsung_core::xml::MediaKind;

use crate::fixture::{Check, Exchange, Expect};
use crate::harness::Observed;
use crate::template::Template;
use crate::wire::expand;

/// The largest answer that surely fits one TCP segment (Ethernet MSS).
pub const MAX_RESPONSE_LEN: usize = 1460;

/// A response split into its parts.
struct Response<'a> {
    status_line: &'a str,
    headers: Vec<(&'a str, &'a str)>,
    body: &'a [u8],
}

fn parse_response(bytes: &[u8]) -> Option<Response<'_>> {
    let end = find(bytes, b"\r\n\r\n")?;
    let head = std::str::from_utf8(&bytes[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let headers = lines
        .map(|l| l.split_once(':').map(|(n, v)| (n.trim(), v.trim())))
        .collect::<Option<Vec<_>>>()?;
    Some(Response {
        status_line,
        headers,
        body: &bytes[end + 4..],
    })
}

impl Response<'_> {
    fn status(&self) -> &str {
        self.status_line.split(' ').nth(1).unwrap_or("")
    }
    fn values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|&(_, v)| v)
            .collect()
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Bytes for a failure message: printable, cut after a few hundred bytes.
pub fn show(bytes: &[u8]) -> String {
    const MAX: usize = 300;
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX)]);
    let mut s = format!("{text:?}");
    if bytes.len() > MAX {
        let _ = write!(s, "… ({} bytes)", bytes.len());
    }
    s
}

pub(crate) struct Ctx<'a> {
    pub(crate) obs: &'a Observed,
    pub(crate) vars: &'a mut BTreeMap<String, String>,
    /// Batch labels (`id=@a`) → batch id.
    pub(crate) labels: &'a mut BTreeMap<String, String>,
    pub(crate) now: u64,
    pub(crate) fails: Vec<String>,
}

impl Ctx<'_> {
    fn expand(&mut self, t: &Template) -> Vec<u8> {
        expand(t, self.vars, 0, &mut self.fails)
    }
    fn text(&mut self, t: &Template) -> String {
        String::from_utf8_lossy(&self.expand(t)).into_owned()
    }
}

/// Checks `ex`'s expectations and the implicit ones against what happened.
pub(crate) fn evaluate(ex: &Exchange, request: &[u8], ctx: &mut Ctx<'_>) {
    let Some(bytes) = ctx.obs.response.as_deref() else {
        return;
    };
    ctx.fails.extend(check_answer(request, bytes));
    let Some(resp) = parse_response(bytes) else {
        return;
    };
    let mut attachment_lines = 0;
    let mut upload_mentioned = false;
    let mut closed_expected = Vec::new();
    for e in &ex.expects {
        let before = ctx.fails.len();
        match &e.check {
            Check::Upload(_) | Check::Batch(_) => upload_mentioned = true,
            Check::Stored { .. } => upload_mentioned |= !ctx.obs.uploads.is_empty(),
            Check::Attachment(_) => attachment_lines += 1,
            Check::BatchClosed(n) => closed_expected.push(*n),
            _ => {}
        }
        check_one(e, &resp, attachment_lines, ctx);
        for fail in &mut ctx.fails[before..] {
            *fail = format!("line {} `{}`: {fail}", e.line, e.text);
        }
    }
    strictness(
        ex,
        upload_mentioned,
        attachment_lines,
        &closed_expected,
        ctx,
    );
}

/// V21: what every answer must be, whatever the request: in the request's
/// HTTP version, a well-formed status line, a `Content-Length` equal to the
/// body length, `Connection: close`, no `Transfer-Encoding`, and small
/// enough for one TCP segment.
pub fn check_answer(request: &[u8], bytes: &[u8]) -> Vec<String> {
    let Some(resp) = parse_response(bytes) else {
        return vec![format!("malformed answer {}", show(bytes))];
    };
    let mut fails = Vec::new();
    let request_line = request.split(|&b| b == b'\r').next().unwrap_or_default();
    let version = String::from_utf8_lossy(request_line)
        .rsplit(' ')
        .next()
        .filter(|v| *v == "HTTP/1.0" || *v == "HTTP/1.1")
        .map(str::to_string);
    if let Some(v) = version
        && !resp.status_line.starts_with(&format!("{v} "))
    {
        fails.push(format!(
            "V21: answer `{}` is not in the request's {v}",
            resp.status_line
        ));
    }
    let mut parts = resp.status_line.splitn(3, ' ');
    let well_formed = parts.next().is_some_and(|v| v.starts_with("HTTP/1."))
        && parts
            .next()
            .is_some_and(|s| s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()))
        && parts.next().is_some_and(|r| !r.is_empty());
    if !well_formed {
        fails.push(format!("V21: malformed status line `{}`", resp.status_line));
    }
    match resp.values("Content-Length").as_slice() {
        [v] if v.parse() == Ok(resp.body.len()) => {}
        other => fails.push(format!(
            "V21: Content-Length {other:?} but the body has {} bytes",
            resp.body.len()
        )),
    }
    if !resp
        .values("Connection")
        .iter()
        .any(|v| v.eq_ignore_ascii_case("close"))
    {
        fails.push("V21: no `Connection: close`".into());
    }
    if !resp.values("Transfer-Encoding").is_empty() {
        fails.push("V21: Transfer-Encoding in an answer to an HTTP/1.0 camera".into());
    }
    if bytes.len() >= MAX_RESPONSE_LEN {
        fails.push(format!(
            "V21: the answer has {} bytes, not under {MAX_RESPONSE_LEN} (one segment)",
            bytes.len()
        ));
    }
    fails
}

fn check_one(e: &Expect, resp: &Response<'_>, attachment_lines: usize, ctx: &mut Ctx<'_>) {
    let body = resp.body;
    let fail = |ctx: &mut Ctx<'_>, msg: String| ctx.fails.push(msg);
    match &e.check {
        Check::Status(pattern) => {
            let got = resp.status();
            let ok = got.len() == 3
                && pattern
                    .bytes()
                    .zip(got.bytes())
                    .all(|(p, g)| p == b'x' || p == g);
            if !ok {
                fail(
                    ctx,
                    format!("got `{}` with body {}", resp.status_line, show(body)),
                );
            }
        }
        Check::Header { name, test } => {
            let values = resp.values(name);
            let ok = test.holds(&values, |t| ctx.text(t));
            if !ok {
                fail(ctx, format!("{name} values: {values:?}"));
            }
        }
        Check::BodyExact(t) => {
            let want = ctx.expand(t);
            if body != want.as_slice() {
                fail(ctx, format!("body is {}", show(body)));
            }
        }
        Check::BodyEmpty => {
            if !body.is_empty() {
                fail(ctx, format!("body is {}", show(body)));
            }
        }
        Check::BodyContains(t) | Check::BodyLacks(t) => {
            let want = ctx.expand(t);
            let found = find(body, &want).is_some();
            if found != matches!(e.check, Check::BodyContains(_)) {
                fail(ctx, format!("body is {}", show(body)));
            }
        }
        Check::BodyStarts(t) => {
            let want = ctx.expand(t);
            if !body.starts_with(&want) {
                fail(ctx, format!("body is {}", show(body)));
            }
        }
        Check::BodyEnds(t) => {
            let want = ctx.expand(t);
            if !body.ends_with(&want) {
                fail(ctx, format!("body is {}", show(body)));
            }
        }
        Check::Capture { var, before, after } => {
            let (before, after) = (ctx.expand(before), ctx.expand(after));
            let value = find(body, &before).and_then(|i| {
                let rest = &body[i + before.len()..];
                find(rest, &after).map(|j| &rest[..j])
            });
            match value.map(std::str::from_utf8) {
                Some(Ok(v)) => {
                    ctx.vars.insert(var.clone(), v.to_string());
                }
                _ => fail(ctx, format!("nothing to capture in {}", show(body))),
            }
        }
        Check::VarUnixMsNow(var) => {
            let got = ctx.vars.get(var).cloned().unwrap_or_default();
            // The simulated clock is fixed: the answer must be exactly it.
            if got.parse::<u64>() != Ok(ctx.now) {
                fail(ctx, format!("{var} = {got:?}, the clock says {}", ctx.now));
            }
        }
        Check::Upload(fields) => check_upload(fields, ctx),
        Check::Batch(fields) => check_batch(fields, ctx),
        Check::Stored { file, folder } => check_stored(file, folder, ctx),
        Check::Attachment(fields) => check_attachment(fields, attachment_lines - 1, ctx),
        Check::Email(fields) => check_email(fields, ctx),
        Check::Aborted(reason) => {
            let aborts = &ctx.obs.aborts;
            if aborts.is_empty() || reason.is_some_and(|r| aborts.iter().any(|a| a.1 != r)) {
                fail(ctx, format!("aborts: {aborts:?}"));
            }
        }
        Check::BatchClosed(n) => {
            let found =
                ctx.obs.bridge_events.iter().any(
                    |ev| matches!(ev, BridgeEvent::BatchClosed { uploaded, .. } if uploaded == n),
                );
            if !found {
                fail(ctx, format!("bridge events: {:?}", ctx.obs.bridge_events));
            }
        }
    }
}

/// Compares `field=value` expectations with actual values, reporting each mismatch.
fn compare(ctx: &mut Ctx<'_>, what: &str, field: &str, want: &Template, got: &[u8]) {
    let want = ctx.expand(want);
    if want == got {
        return;
    }
    let printable = |b: &[u8]| b.len() <= 200 && std::str::from_utf8(b).is_ok();
    let msg = if printable(got) && printable(&want) {
        format!("{what} {field} is {}, not {}", show(got), show(&want))
    } else {
        let at = got.iter().zip(&want).position(|(a, b)| a != b);
        let at = at.unwrap_or(got.len().min(want.len()));
        format!(
            "{what} {field} has {} bytes, expected {}; first difference at offset {at}",
            got.len(),
            want.len()
        )
    };
    ctx.fails.push(msg);
}

fn opt(v: Option<&str>) -> &str {
    v.unwrap_or("none")
}

fn kind_str(k: MediaKind) -> &'static str {
    match k {
        MediaKind::Photo => "photo",
        MediaKind::Video => "video",
    }
}

fn the_upload(ctx: &mut Ctx<'_>) -> Option<usize> {
    match ctx.obs.uploads.len() {
        1 => Some(0),
        n => {
            ctx.fails.push(format!("{n} uploads stored, expected one"));
            None
        }
    }
}

fn check_upload(fields: &[(String, Template)], ctx: &mut Ctx<'_>) {
    let Some(i) = the_upload(ctx) else { return };
    let obs = ctx.obs;
    let stored = &obs.uploads[i];
    let u = &stored.upload;
    for (field, want) in fields {
        let got: Vec<u8> = match field.as_str() {
            "file" => u.file_name.clone().into_bytes(),
            "folder" => u.folder.clone().into_bytes(),
            "user" => u.user.clone().into_bytes(),
            "site" => u.site.clone().into_bytes(),
            "action" => u.action.to_string().into_bytes(),
            "kind" => kind_str(u.kind).into(),
            "type" => opt(u.content_type.as_deref()).into(),
            "length" => u.length.to_string().into_bytes(),
            _ => stored.data.clone(),
        };
        compare(ctx, "upload", field, want, &got);
    }
}

fn check_batch(fields: &[(String, Template)], ctx: &mut Ctx<'_>) {
    let Some(i) = the_upload(ctx) else { return };
    let b = &ctx.obs.uploads[i].upload.batch;
    for (field, want) in fields {
        if field == "id" {
            let label = want.to_string();
            match ctx.labels.get(&label) {
                Some(id) if *id != b.id => ctx
                    .fails
                    .push(format!("batch {} is not batch {label} ({id})", b.id)),
                Some(_) => {}
                None => {
                    if let Some((other, _)) = ctx.labels.iter().find(|(_, id)| **id == b.id) {
                        ctx.fails.push(format!(
                            "batch {label} is the same batch as {other} ({})",
                            b.id
                        ));
                    }
                    ctx.labels.insert(label, b.id.clone());
                }
            }
            continue;
        }
        let got = match field.as_str() {
            "index" => b.index.to_string(),
            "expected" => b.expected.map_or("none".into(), |n| n.to_string()),
            "last" => b.last.to_string(),
            "caption" => b.caption.clone(),
            "alt" => opt(b.alt.as_deref()).to_string(),
            _ => opt(b.album.as_deref()).to_string(),
        };
        compare(ctx, "batch", field, want, got.as_bytes());
    }
}

fn check_stored(file: &Template, folder: &Template, ctx: &mut Ctx<'_>) {
    let file = ctx.text(file);
    let obs = ctx.obs;
    if let Some(u) = obs.uploads.iter().find(|u| u.upload.file_name == file) {
        compare(ctx, "upload", "folder", folder, u.upload.folder.as_bytes());
    } else if obs
        .attachments
        .iter()
        .any(|a| a.attachment.file_name == file)
    {
        match obs.emails.as_slice() {
            [email] => compare(ctx, "e-mail", "folder", folder, email.folder.as_bytes()),
            _ => ctx.fails.push(format!(
                "{} e-mails for attachment {file}",
                obs.emails.len()
            )),
        }
    } else {
        ctx.fails.push(format!("no stored file named {file:?}"));
    }
}

fn check_attachment(fields: &[(String, Template)], line_index: usize, ctx: &mut Ctx<'_>) {
    let index = match fields.iter().find(|(k, _)| k == "index") {
        Some((_, t)) => ctx.text(t).parse().unwrap_or(usize::MAX),
        None => line_index,
    };
    let obs = ctx.obs;
    let Some(stored) = obs.attachments.get(index) else {
        ctx.fails.push(format!(
            "no attachment {index}; {} stored",
            obs.attachments.len()
        ));
        return;
    };
    let a = &stored.attachment;
    for (field, want) in fields {
        let got: Vec<u8> = match field.as_str() {
            "index" => a.index.to_string().into_bytes(),
            "name" => a.file_name.clone().into_bytes(),
            "type" => opt(a.content_type.as_deref()).into(),
            "mastodon-type" => a
                .content_type
                .as_deref()
                .map_or("none".into(), |t| {
                    samsung_core::mastodon::media_type(t).into_owned()
                })
                .into_bytes(),
            "length" => stored.data.len().to_string().into_bytes(),
            _ => stored.data.clone(),
        };
        compare(ctx, "attachment", field, want, &got);
    }
}

fn check_email(fields: &[(String, Template)], ctx: &mut Ctx<'_>) {
    let obs = ctx.obs;
    let [email] = obs.emails.as_slice() else {
        ctx.fails.push(format!(
            "{} e-mails accepted, expected one",
            obs.emails.len()
        ));
        return;
    };
    let join = |it: &mut dyn Iterator<Item = String>, sep: &str| it.collect::<Vec<_>>().join(sep);
    for (field, want) in fields {
        let got = match field.as_str() {
            "sender" => email.sender_address.clone(),
            "recipients" => join(&mut email.routes.iter().map(|r| r.recipient.clone()), ","),
            "actions" => join(&mut email.routes.iter().map(|r| r.action.to_string()), ","),
            "subject" => email.message.title.clone(),
            "body" => email.message.body.clone(),
            "caption" => email.caption.clone(),
            "alts" => email.alts.join("|"),
            "folder" => email.folder.clone(),
            _ => email.attachments.to_string(),
        };
        compare(ctx, "e-mail", field, want, got.as_bytes());
    }
}

/// What a fixture does not mention must not have happened.
fn strictness(
    ex: &Exchange,
    upload_mentioned: bool,
    attachment_lines: usize,
    closed_expected: &[usize],
    ctx: &mut Ctx<'_>,
) {
    let obs = ctx.obs;
    let has = |f: fn(&Check) -> bool| ex.expects.iter().any(|e| f(&e.check));
    if !upload_mentioned && !obs.uploads.is_empty() {
        let names: Vec<&str> = obs
            .uploads
            .iter()
            .map(|u| u.upload.file_name.as_str())
            .collect();
        ctx.fails
            .push(format!("unexpected stored uploads {names:?}"));
    }
    if attachment_lines != obs.attachments.len() {
        let names: Vec<&str> = obs
            .attachments
            .iter()
            .map(|a| a.attachment.file_name.as_str())
            .collect();
        ctx.fails.push(format!(
            "{} `attachment` lines but stored attachments are {names:?}",
            attachment_lines
        ));
    }
    if !has(|c| matches!(c, Check::Email(_))) && !obs.emails.is_empty() {
        ctx.fails.push(format!(
            "unexpected accepted e-mail from {}",
            obs.emails[0].sender_address
        ));
    }
    if !has(|c| matches!(c, Check::Aborted(_))) && !obs.aborts.is_empty() {
        ctx.fails
            .push(format!("unexpected aborts {:?}", obs.aborts));
    }
    if !obs.downloads.is_empty() {
        ctx.fails
            .push(format!("unexpected download requests {:?}", obs.downloads));
    }
    let closed = obs
        .bridge_events
        .iter()
        .filter(|e| matches!(e, BridgeEvent::BatchClosed { .. }))
        .count();
    if closed != closed_expected.len() || obs.bridge_events.len() != closed {
        ctx.fails
            .push(format!("unexpected bridge events {:?}", obs.bridge_events));
    }
}
