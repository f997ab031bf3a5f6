//! The body of a request: counted down, handed to its sink (XML buffer,
//! upload, e-mail parser, discard), and concluded with an answer or a final
//! event.

use super::email::{EmailSink, FinishStep, email_finish_step, email_step};
use super::{AbortReason, Connection, Event, Phase, Sink, StepOutput, Waiting};
use crate::http::OwnedResponse;
use crate::sns::Bridge;
use crate::time::Instant;

impl Connection {
    pub(super) fn step_body(
        &mut self,
        bridge: &mut Bridge,
        now: Instant,
        input: &[u8],
    ) -> StepOutput {
        let Phase::Body { remaining, sink } = &mut self.phase else {
            return StepOutput::Nothing(input.len());
        };
        if *remaining == 0 {
            return match self.finish_body(bridge, now) {
                Some(ev) => StepOutput::Owned(0, ev),
                None => self.chunk_or_nothing(),
            };
        }
        let take = usize::try_from(*remaining)
            .unwrap_or(usize::MAX)
            .min(input.len());
        let chunk = &input[..take];
        let max_xml = bridge.config().limits.max_xml;
        let outcome = match sink {
            Sink::Discard(_) => StepOutput::Nothing(take),
            Sink::Xml { buf, .. } => {
                if buf.len() + take > max_xml {
                    *sink = Sink::Discard(OwnedResponse::error(413, "XML request too large"));
                } else {
                    buf.extend_from_slice(chunk);
                }
                StepOutput::Nothing(take)
            }
            Sink::Upload(u) => {
                if take == 0 {
                    StepOutput::Nothing(0)
                } else {
                    StepOutput::InputData(take, u.transfer, 0..take)
                }
            }
            Sink::Email(e) => email_step(e, bridge, chunk),
        };
        let used = match &outcome {
            StepOutput::Nothing(n)
            | StepOutput::Owned(n, _)
            | StepOutput::InputData(n, _, _)
            | StepOutput::ChunkData(n, _) => *n,
        };
        *remaining -= used as u64;
        if *remaining == 0 && matches!(outcome, StepOutput::Nothing(_)) {
            if let Some(ev) = self.finish_body(bridge, now) {
                return StepOutput::Owned(used, ev);
            }
            if let StepOutput::ChunkData(_, t) = self.chunk_or_nothing() {
                return StepOutput::ChunkData(used, t);
            }
        }
        outcome
    }

    /// After `finish_body` produced carry data for the e-mail sink.
    pub(super) fn chunk_or_nothing(&mut self) -> StepOutput {
        match &self.phase {
            Phase::Body {
                sink: Sink::Email(e),
                ..
            } if !e.chunk.is_empty() => StepOutput::ChunkData(0, e.transfer),
            _ => StepOutput::Nothing(0),
        }
    }

    /// The body is complete: decide the answer or hand out the final event.
    /// For e-mail this is called repeatedly while the parser still yields
    /// events (its carry data lands in `chunk`).
    pub(super) fn finish_body(
        &mut self,
        bridge: &mut Bridge,
        now: Instant,
    ) -> Option<Event<'static>> {
        let phase = core::mem::replace(&mut self.phase, Phase::Closed);
        let Phase::Body { sink, remaining } = phase else {
            self.phase = phase;
            return None;
        };
        match sink {
            Sink::Discard(reply) => self.respond(reply),
            Sink::Xml { buf, request, site } => {
                let reply = super::request::xml_reply(bridge, now, request, &site, &buf);
                self.respond(reply);
            }
            Sink::Upload(u) => {
                let transfer = u.transfer;
                self.phase = Phase::Waiting(Waiting::Upload(u));
                return Some(Event::UploadComplete { transfer });
            }
            Sink::Email(mut e) => {
                e.chunk.clear();
                if !e.ended {
                    match email_finish_step(&mut e, bridge) {
                        FinishStep::Event(ev) => {
                            self.phase = Phase::Body {
                                remaining,
                                sink: Sink::Email(e),
                            };
                            return Some(ev);
                        }
                        FinishStep::Chunk => {
                            self.phase = Phase::Body {
                                remaining,
                                sink: Sink::Email(e),
                            };
                            return None;
                        }
                        FinishStep::Done => {}
                    }
                }
                return self.conclude_email(bridge, e);
            }
        }
        None
    }

    pub(super) fn conclude_email(
        &mut self,
        bridge: &mut Bridge,
        e: alloc::boxed::Box<EmailSink>,
    ) -> Option<Event<'static>> {
        let delivered = e.attachments > 0;
        let refusal = if let Some(reply) = e.refused {
            Some(reply)
        } else {
            match e.message {
                None => Some(OwnedResponse::error(400, "No 'message' part in the e-mail")),
                Some(message) => match bridge.accept_email(e.transfer, message, e.attachments) {
                    Ok(email) => {
                        self.phase = Phase::Waiting(Waiting::Email(e.transfer));
                        return Some(Event::EmailComplete(alloc::boxed::Box::new(email)));
                    }
                    Err(reply) => Some(reply),
                },
            }
        };
        if let Some(reply) = refusal {
            self.respond(reply);
        }
        delivered.then_some(Event::Aborted {
            transfer: e.transfer,
            reason: AbortReason::Refused,
        })
    }
}
