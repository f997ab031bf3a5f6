//! The e-mail body of a connection: multipart events turned into
//! attachment events, the message part collected and checked.

use alloc::string::String;
use alloc::vec::Vec;

use super::{Attachment, Event, StepOutput};
use crate::http::OwnedResponse;
use crate::multipart::{self, MultipartEvent, MultipartParser};
use crate::sns::{Bridge, TransferId};
use crate::xml::{self, EmailMessage};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PartKind {
    None,
    Message,
    Binary,
    Skip,
}

#[derive(Debug)]
pub(super) struct EmailSink {
    pub(super) transfer: TransferId,
    pub(super) parser: MultipartParser,
    pub(super) part: PartKind,
    pub(super) message_buf: Vec<u8>,
    pub(super) message: Option<EmailMessage>,
    pub(super) refused: Option<OwnedResponse>,
    pub(super) attachments: usize,
    pub(super) ended: bool,
    /// Bytes of a `Data` event that came from the parser's own carry.
    pub(super) chunk: Vec<u8>,
}

pub(super) enum FinishStep {
    Event(Event<'static>),
    Chunk,
    Done,
}

/// One step of the multipart parser over body bytes.
pub(super) fn email_step(e: &mut EmailSink, bridge: &Bridge, chunk: &[u8]) -> StepOutput {
    e.chunk.clear();
    if e.ended {
        // Epilogue after the close delimiter: ignore.
        return StepOutput::Nothing(chunk.len());
    }
    let (n, ev) = match e.parser.feed(chunk) {
        Ok(r) => r,
        Err(err) => {
            e.ended = true;
            e.refused.get_or_insert_with(|| multipart_refusal(err));
            return StepOutput::Nothing(chunk.len());
        }
    };
    let Some(ev) = ev else {
        return StepOutput::Nothing(n);
    };
    match ev {
        MultipartEvent::Data(d) => {
            let Some(range) = subslice_range(chunk, d) else {
                let copy = d.to_vec();
                return match on_part_data(e, bridge, &copy) {
                    true => {
                        e.chunk = copy;
                        StepOutput::ChunkData(n, e.transfer)
                    }
                    false => StepOutput::Nothing(n),
                };
            };
            if on_part_data(e, bridge, &chunk[range.clone()]) {
                StepOutput::InputData(n, e.transfer, range)
            } else {
                StepOutput::Nothing(n)
            }
        }
        other => {
            let other = PartSignal::from(other);
            match on_part_event(e, bridge, other) {
                Some(ev) => StepOutput::Owned(n, ev),
                None => StepOutput::Nothing(n),
            }
        }
    }
}

/// Drains the parser's end-of-body events one at a time.
pub(super) fn email_finish_step(e: &mut EmailSink, bridge: &Bridge) -> FinishStep {
    loop {
        match e.parser.finish() {
            Err(err) => {
                e.ended = true;
                e.refused.get_or_insert_with(|| multipart_refusal(err));
                return FinishStep::Done;
            }
            Ok(None) => {
                e.ended = true;
                return FinishStep::Done;
            }
            Ok(Some(MultipartEvent::Data(d))) => {
                let copy = d.to_vec();
                if on_part_data(e, bridge, &copy) {
                    e.chunk = copy;
                    return FinishStep::Chunk;
                }
            }
            Ok(Some(other)) => {
                let other = PartSignal::from(other);
                if let Some(ev) = on_part_event(e, bridge, other) {
                    return FinishStep::Event(ev);
                }
            }
        }
    }
}

/// Handles part data; returns whether it is to be handed to the frontend.
fn on_part_data(e: &mut EmailSink, bridge: &Bridge, data: &[u8]) -> bool {
    match e.part {
        PartKind::Binary => e.refused.is_none(),
        PartKind::Message => {
            if e.message_buf.len() + data.len() > bridge.config().limits.max_xml {
                e.refused.get_or_insert_with(|| {
                    OwnedResponse::error(413, "E-mail message part too large")
                });
                e.part = PartKind::Skip;
            } else {
                e.message_buf.extend_from_slice(data);
            }
            false
        }
        PartKind::None | PartKind::Skip => false,
    }
}

/// The multipart events that carry no borrowed data.
enum PartSignal {
    Start(multipart::PartHead),
    End,
    Finished,
}

impl From<MultipartEvent<'_>> for PartSignal {
    fn from(ev: MultipartEvent<'_>) -> Self {
        match ev {
            MultipartEvent::PartStart(head) => Self::Start(head),
            MultipartEvent::PartEnd => Self::End,
            // Data is handled before conversion; End and stray data end parts.
            MultipartEvent::End | MultipartEvent::Data(_) => Self::Finished,
        }
    }
}

fn on_part_event(e: &mut EmailSink, bridge: &Bridge, ev: PartSignal) -> Option<Event<'static>> {
    match ev {
        PartSignal::Start(head) => {
            let name = head.name.as_deref().unwrap_or("");
            if name.eq_ignore_ascii_case("message") && e.message.is_none() {
                e.part = PartKind::Message;
                e.message_buf.clear();
                None
            } else if name.eq_ignore_ascii_case("binary")
                || head.file_name.is_some() && !name.eq_ignore_ascii_case("message")
            {
                if e.refused.is_some() {
                    e.part = PartKind::Skip;
                    return None;
                }
                e.part = PartKind::Binary;
                let index = e.attachments;
                e.attachments += 1;
                let file_name = head
                    .file_name
                    .as_deref()
                    .and_then(crate::route::sanitize_file_name)
                    .unwrap_or_else(|| alloc::format!("attachment-{}.jpg", index + 1));
                Some(Event::AttachmentStart(Attachment {
                    transfer: e.transfer,
                    index,
                    file_name,
                    content_type: head.content_type,
                }))
            } else {
                e.part = PartKind::Skip;
                None
            }
        }
        PartSignal::End => {
            let part = core::mem::replace(&mut e.part, PartKind::None);
            match part {
                PartKind::Binary if e.refused.is_none() => Some(Event::AttachmentEnd {
                    transfer: e.transfer,
                }),
                PartKind::Message => {
                    let doc = String::from_utf8_lossy(&e.message_buf).into_owned();
                    e.message_buf = Vec::new();
                    match xml::parse_email(&doc) {
                        Ok(m) => {
                            let sender =
                                crate::route::parse_address(&m.sender).unwrap_or(m.sender.trim());
                            if !bridge.config().is_allowed(sender) {
                                e.refused =
                                    Some(OwnedResponse::error(401, "Sender not in whitelist"));
                            }
                            e.message = Some(m);
                        }
                        Err(err) => {
                            e.refused.get_or_insert_with(|| {
                                OwnedResponse::error(400, email_refusal(err))
                            });
                        }
                    }
                    None
                }
                _ => None,
            }
        }
        PartSignal::Finished => {
            e.ended = true;
            None
        }
    }
}

fn email_refusal(err: xml::XmlError) -> &'static str {
    match err {
        xml::XmlError::MissingSender => "E-mail message has no sender",
        xml::XmlError::NoReceiver => "E-mail message has no receiver",
        _ => "Malformed e-mail message",
    }
}

fn multipart_refusal(err: multipart::MultipartError) -> OwnedResponse {
    match err {
        multipart::MultipartError::Truncated => {
            OwnedResponse::error(400, "Multipart body truncated")
        }
        multipart::MultipartError::TooManyParts => OwnedResponse::error(413, "Too many parts"),
        _ => OwnedResponse::error(400, "Malformed multipart body"),
    }
}

/// Where `inner` lies within `outer`, if it is a subslice of it.
pub(super) fn subslice_range(outer: &[u8], inner: &[u8]) -> Option<core::ops::Range<usize>> {
    let start = (inner.as_ptr() as usize).checked_sub(outer.as_ptr() as usize)?;
    let end = start.checked_add(inner.len())?;
    (end <= outer.len()).then_some(start..end)
}
