//! A photo streamed from the camera socket into the server's
//! `POST /api/v2/media` as it arrives: nothing of it is kept on the board.

use alloc::format;
use alloc::string::String;

use samsung_core::mastodon::{ApiAnswer, BaseUrl, MediaUpload, read_answer};

use super::link::{Link, LinkError};
use crate::app::App;
use crate::upstream::Upstream;

/// What a finished media upload gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MediaId {
    /// The server's id.
    pub(crate) id: String,
    /// Still processing (202): the post job polls it before posting.
    pub(crate) processing: bool,
}

/// The file being sent.
pub(crate) struct MediaFile<'f> {
    pub(crate) instance: Option<&'f str>,
    pub(crate) file_name: &'f str,
    pub(crate) content_type: &'f str,
    pub(crate) alt: Option<&'f str>,
    /// Exact length when known (a social PUT); None: sent chunked (an
    /// e-mail attachment, whose length shows only at its end).
    pub(crate) len: Option<u64>,
}

/// An upload in progress.
pub(crate) struct MediaStream<'a, U: Upstream + 'a> {
    link: Link<'a, U>,
    suffix: alloc::vec::Vec<u8>,
    chunked: bool,
    sent: u64,
}

impl<'a, U: Upstream + 'a> MediaStream<'a, U> {
    /// Connects and sends the head and the body up to the file's bytes.
    pub(crate) async fn open(
        app: &'a App<U>,
        url: &'a BaseUrl,
        file: &MediaFile<'_>,
    ) -> Result<Self, LinkError> {
        let Some(account) = app.config().mastodon(file.instance) else {
            return Err((
                samsung_core::mastodon::TransportErrorKind::BadUrl,
                format!("no [MASTODON] section for {:?}", file.instance),
            ));
        };
        let boundary = format!("samsung-bridge-{:016x}", app.random());
        let upload = MediaUpload::new(
            &boundary,
            file.file_name,
            file.content_type,
            file.alt,
            file.len.unwrap_or(0),
        );
        let ep = url.endpoint(&account.token);
        let (head, chunked) = match file.len {
            Some(_) => (upload.head(&ep), false),
            None => (upload.head_chunked(&ep), true),
        };
        let mut link = Link::open(app, url).await?;
        link.send(&head).await?;
        let mut s = Self {
            link,
            suffix: upload.body_suffix(),
            chunked,
            sent: 0,
        };
        s.body(&upload.body_prefix()).await?;
        Ok(s)
    }

    /// Sends file bytes.
    pub(crate) async fn write(&mut self, data: &[u8]) -> Result<(), LinkError> {
        self.sent += data.len() as u64;
        self.body(data).await
    }

    async fn body(&mut self, data: &[u8]) -> Result<(), LinkError> {
        if data.is_empty() {
            return Ok(());
        }
        if self.chunked {
            let size = format!("{:x}\r\n", data.len());
            self.link.send(size.as_bytes()).await?;
            self.link.send(data).await?;
            self.link.send(b"\r\n").await
        } else {
            self.link.send(data).await
        }
    }

    /// Sends the end of the body and reads the server's answer: the media
    /// id when it accepted the file.
    pub(crate) async fn finish(mut self) -> Result<(MediaId, u64), LinkError> {
        let suffix = core::mem::take(&mut self.suffix);
        self.body(&suffix).await?;
        if self.chunked {
            self.link.send(b"0\r\n\r\n").await?;
        }
        let answer = self.link.receive().await?;
        let body = String::from_utf8_lossy(&answer.body);
        let what = |s: &str| {
            (
                samsung_core::mastodon::TransportErrorKind::Other,
                format!(
                    "the server refused the media: HTTP {} {}",
                    answer.status,
                    excerpt(s)
                ),
            )
        };
        match read_answer(answer.status, &body) {
            ApiAnswer::Done(id) => Ok((
                MediaId {
                    id,
                    processing: false,
                },
                self.sent,
            )),
            ApiAnswer::Processing(id) => Ok((
                MediaId {
                    id,
                    processing: true,
                },
                self.sent,
            )),
            _ => Err(what(&body)),
        }
    }
}

/// The start of a server's error text, on one line.
fn excerpt(s: &str) -> String {
    s.chars()
        .take(160)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
