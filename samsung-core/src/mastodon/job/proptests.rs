//! The exactly-once property of [`super::PostJob`]: whatever transient
//! failures and crashes hit whichever step, a server with Mastodon's
//! idempotency (or its 500-on-repeat bug, or Pixelfed's lack of it) ends
//! up with each status of the thread exactly once, in order, with the
//! right media.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use proptest::prelude::*;

use super::harness::*;
use super::*;

fn fault(code: u8) -> Fault {
    // Half of the requests fail, so that faults reach the later steps too.
    match code % 18 {
        0 => Fault::Refuse(503),
        1 => Fault::Refuse(502),
        2 => Fault::RateLimited(30),
        3 => Fault::Late(500),
        4 => Fault::Late(502),
        5 => Fault::Lost,
        6 => Fault::Connect,
        7 => Fault::Timeout,
        8 => Fault::Crash,
        _ => Fault::None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn each_status_is_posted_exactly_once(
        kinds in proptest::collection::vec(proptest::bool::weighted(0.25), 0..7),
        max in 1usize..7,
        keys in 0u8..3,
        processing_polls in 0u32..3,
        numeric_ids: bool,
        faults in proptest::collection::vec(any::<u8>(), 0..40),
        crashes in proptest::collection::vec(proptest::bool::weighted(0.2), 0..40),
    ) {
        let files: Vec<MediaSpec> = kinds
            .iter()
            .enumerate()
            .map(|(i, &video)| {
                let (name, t) = if video {
                    (format!("SAM_{i:04}.MP4"), "video/mp4")
                } else {
                    (format!("SAM_{i:04}.JPG"), "image/jpeg")
                };
                media(&name, t, Some(&format!("alt {i}")))
            })
            .collect();
        let mut h = Harness::new(spec(files));
        h.model.keys = [Keys::Honoured, Keys::Error500, Keys::Ignored][usize::from(keys)];
        h.model.limits = Some(InstanceLimits { max_media_attachments: max, description_limit: 1500 });
        h.model.processing_polls = processing_polls;
        h.model.numeric_ids = numeric_ids;
        let (mut request, mut save) = (0usize, 0usize);
        let end = h.run_with(
            200,
            &mut |_: &Request| {
                request += 1;
                faults.get(request - 1).map_or(Fault::None, |&c| fault(c))
            },
            &mut || {
                save += 1;
                crashes.get(save - 1).copied().unwrap_or(false)
            },
        );
        let End::Finished(summary) = end else {
            return Err(TestCaseError::fail(format!("{end:?}")));
        };

        // The expected thread: runs of up to `max`, a video alone.
        let parts = layout::thread_layout(&kinds, max);
        let mut expected = Vec::new();
        let mut next = 0;
        for (k, &n) in parts.iter().enumerate() {
            let text = if k == 0 { first_text() } else { format!("({}/{})", k + 1, parts.len()) };
            expected.push((text, (next..next + n).collect::<Vec<usize>>(), true));
            next += n;
        }
        prop_assert_eq!(h.thread(), expected);
        let urls: Vec<String> = h
            .model
            .statuses
            .iter()
            .map(|s| format!("{BASE}/@alice/{}", s.id))
            .collect();
        let kind = if urls.len() == 1 { "status" } else { "thread" };
        prop_assert_eq!(summary, format!("{kind} {}", urls.join(" ")));
        for m in h.model.media.iter().filter(|m| m.attached) {
            prop_assert_eq!(m.description.clone(), Some(format!("alt {}", m.file)));
        }
        prop_assert_eq!(
            h.stored.statuses.iter().map(|s| s.id.to_string()).collect::<Vec<_>>(),
            h.model.statuses.iter().map(|s| s.id.clone()).collect::<Vec<_>>()
        );
    }
}
