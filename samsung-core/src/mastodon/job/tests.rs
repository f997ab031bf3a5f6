//! Scenario tests of [`super::PostJob`] against the server model, with a
//! simulated clock (see `model.rs`).

use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use super::harness::*;
use super::*;

fn finished(end: End) -> String {
    match end {
        End::Finished(s) => s,
        other => panic!("not finished: {other:?}"),
    }
}

fn failed(end: End) -> Failure {
    match end {
        End::Failed(f) => f,
        other => panic!("not failed: {other:?}"),
    }
}

fn url(h: &Harness, i: usize) -> String {
    alloc::format!("{BASE}/@alice/{}", h.model.statuses[i].id)
}

#[test]
fn two_photos_become_one_status_with_their_alt_texts() {
    let mut h = Harness::new(spec(photos(2)));
    let summary = finished(h.attempt(&mut ok(), &mut no_crash()));
    assert_eq!(
        h.sent,
        [
            "GET /api/v2/instance",
            "POST /api/v2/media",
            "POST /api/v2/media",
            "POST /api/v1/statuses"
        ]
    );
    assert_eq!(summary, alloc::format!("status {}", url(&h, 0)));
    assert_eq!(h.thread(), [(first_text(), vec![0, 1], true)]);
    let alts: Vec<_> = h
        .model
        .media
        .iter()
        .map(|m| m.description.clone())
        .collect();
    assert_eq!(alts, [Some("alt 1".to_string()), Some("alt 2".to_string())]);
    assert_eq!(h.model.statuses[0].visibility.as_deref(), Some("unlisted"));
    assert_eq!(h.limits, Some(InstanceLimits::default()));
    let stored = &h.stored;
    assert_eq!(stored.per_status, Some(4));
    assert_eq!(stored.parts, [2]);
    assert!(!stored.maybe_posted);
    assert_eq!(stored.statuses[0].id, h.model.statuses[0].id);
    assert!(matches!(
        h.events.last(),
        Some(PostEvent::StatusPosted {
            part: 0,
            parts: 1,
            found: false,
            ..
        })
    ));
}

#[test]
fn the_idempotency_key_is_the_previous_releases() {
    assert_eq!(
        idempotency_key("20261127T085501.123Z-3fa9c2d1", 1),
        "samsung-bridge-20261127T085501.123Z-3fa9c2d1-1"
    );
    let mut h = Harness::new(spec(photos(5)));
    let mut keys = Vec::new();
    finished(h.attempt(
        &mut |r: &Request| {
            let head = core::str::from_utf8(&r.head).unwrap();
            if let Some(k) = head.split("Idempotency-Key: ").nth(1) {
                keys.push(k.split("\r\n").next().unwrap().to_string());
            }
            Fault::None
        },
        &mut no_crash(),
    ));
    assert_eq!(
        keys,
        [
            "samsung-bridge-20261127T085501.123Z-3fa9c2d1-0",
            "samsung-bridge-20261127T085501.123Z-3fa9c2d1-1"
        ]
    );
}

#[test]
fn more_media_than_the_instance_allows_become_a_chained_thread() {
    let mut h = Harness::new(spec(photos(5)));
    h.model.limits = Some(InstanceLimits {
        max_media_attachments: 2,
        description_limit: 1500,
    });
    let summary = finished(h.run());
    assert_eq!(
        h.thread(),
        [
            (first_text(), vec![0, 1], true),
            ("(2/3)".to_string(), vec![2, 3], true),
            ("(3/3)".to_string(), vec![4], true),
        ]
    );
    assert_eq!(
        summary,
        alloc::format!("thread {} {} {}", url(&h, 0), url(&h, 1), url(&h, 2))
    );
    // The user's limit caps too; the instance's wins when lower.
    let mut h = Harness::new(spec(photos(3)));
    h.options.max_media_per_status = Some(1);
    finished(h.run());
    assert_eq!(h.model.statuses.len(), 3);
    // GoToSocial allows 6.
    let mut h = Harness::new(spec(photos(6)));
    h.model.limits = Some(InstanceLimits {
        max_media_attachments: 6,
        description_limit: 1500,
    });
    finished(h.run());
    assert_eq!(h.thread(), [(first_text(), vec![0, 1, 2, 3, 4, 5], true)]);
}

#[test]
fn without_instance_limits_four_media_and_1500_characters() {
    let mut long = "ä".repeat(1499);
    long.push_str("öü");
    let mut files = photos(5);
    files[0].alt = Some(long);
    let mut h = Harness::new(spec(files));
    h.model.limits = None;
    finished(h.run());
    assert_eq!(h.thread()[0].1, [0, 1, 2, 3]);
    assert_eq!(h.thread()[1].1, [4]);
    let d = h.model.media[0].description.clone().unwrap();
    assert_eq!(d.chars().count(), 1500);
    assert!(d.ends_with("ää…"), "{d}");
    assert_eq!(h.limits, None, "nothing learnt, nothing cached");
}

#[test]
fn known_limits_are_not_asked_again() {
    let mut h = Harness::new(spec(photos(1)));
    h.limits = Some(InstanceLimits {
        max_media_attachments: 1,
        description_limit: 4,
    });
    finished(h.run());
    assert_eq!(h.model.count("GET /api/v2/instance"), 0);
    assert_eq!(h.model.media[0].description.as_deref(), Some("alt…"));
}

#[test]
fn alt_texts_over_the_limit_are_cut_on_a_character_boundary() {
    let files = vec![
        media("A.JPG", "image/jpeg", Some("📷 flower bed")),
        media("B.JPG", "image/jpeg", Some("  \t ")),
        media("C.JPG", "image/jpeg", Some("äöüß")),
        media("D.JPG", "image/jpeg", None),
    ];
    let mut h = Harness::new(spec(files));
    h.model.limits = Some(InstanceLimits {
        max_media_attachments: 4,
        description_limit: 3,
    });
    finished(h.run());
    let alts: Vec<_> = h
        .model
        .media
        .iter()
        .map(|m| m.description.as_deref())
        .collect();
    assert_eq!(alts, [Some("📷 …"), None, Some("äö…"), None]);
}

#[test]
fn two_videos_become_a_thread_and_a_video_goes_alone() {
    let videos = vec![
        media("A.MP4", "video/mp4", None),
        media("B.MP4", "video/mp4", None),
    ];
    let mut h = Harness::new(spec(videos));
    finished(h.run());
    assert_eq!(
        h.thread(),
        [
            (first_text(), vec![0], true),
            ("(2/2)".to_string(), vec![1], true)
        ]
    );
    let mixed = vec![
        media("A.JPG", "image/jpeg", None),
        media("B.JPG", "image/pjpeg", None),
        media("C.MOV", "video/quicktime", None),
        media("D.JPG", "image/jpeg", None),
    ];
    let mut h = Harness::new(spec(mixed));
    finished(h.run());
    let files: Vec<_> = h.thread().into_iter().map(|t| t.1).collect();
    assert_eq!(files, [vec![0, 1], vec![2], vec![3]]);
}

#[test]
fn server_errors_are_transient_and_the_next_attempt_looks_before_posting() {
    let mut h = Harness::new(spec(photos(1)));
    let f = failed(h.attempt(
        &mut nth("POST /api/v1/statuses", 0, Fault::Refuse(503)),
        &mut no_crash(),
    ));
    assert_eq!(f.reason, "posting the status: HTTP 503");
    assert!(!f.is_permanent());
    assert!(h.stored.maybe_posted, "a 503 may have posted it");
    h.sent.clear();
    finished(h.attempt(&mut ok(), &mut no_crash()));
    assert_eq!(
        h.sent,
        [
            "GET /api/v1/accounts/verify_credentials",
            "GET /api/v1/accounts/1/statuses",
            "POST /api/v1/statuses"
        ],
        "not found, so posted"
    );
    assert_eq!(h.model.statuses.len(), 1);
    assert!(!h.stored.maybe_posted);
}

#[test]
fn a_status_created_despite_a_500_is_found_and_not_posted_again() {
    for keys in [Keys::Honoured, Keys::Error500, Keys::Ignored] {
        let mut h = Harness::new(spec(photos(5)));
        h.model.keys = keys;
        // Part 2 is created, but the answer is a 500.
        let end = h.attempt(
            &mut nth("POST /api/v1/statuses", 1, Fault::Late(500)),
            &mut no_crash(),
        );
        assert_eq!(failed(end).reason, "posting the status: HTTP 500");
        finished(h.attempt(&mut ok(), &mut no_crash()));
        assert_eq!(h.model.count("POST /api/v1/statuses"), 2, "{keys:?}");
        assert_eq!(h.thread().len(), 2);
        assert!(h.thread().iter().all(|t| t.2));
        assert!(h.events.iter().any(|e| matches!(
            e,
            PostEvent::StatusPosted {
                part: 1,
                parts: 2,
                found: true,
                ..
            }
        )));
    }
}

#[test]
fn a_lost_answer_and_a_crash_mid_post_are_found_too() {
    for fault in [Fault::Lost, Fault::Crash] {
        let mut h = Harness::new(spec(Vec::new()));
        h.model.keys = Keys::Ignored;
        let end = h.attempt(&mut nth("POST /api/v1/statuses", 0, fault), &mut no_crash());
        assert!(matches!(end, End::Failed(_) | End::Crashed));
        finished(h.run());
        // Text-only: recognised by text and reply target.
        assert_eq!(h.model.statuses.len(), 1, "{fault:?}");
        assert_eq!(h.model.statuses[0].media.len(), 0);
    }
}

#[test]
fn a_text_only_status_older_than_the_job_is_not_taken_for_it() {
    let mut h = Harness::new(spec(Vec::new()));
    h.model.keys = Keys::Ignored;
    // The same text, posted a day before the job (by an earlier job).
    h.model.seed_status(START - 86_400_000, &first_text());
    failed(h.attempt(
        &mut nth("POST /api/v1/statuses", 0, Fault::Refuse(502)),
        &mut no_crash(),
    ));
    finished(h.attempt(&mut ok(), &mut no_crash()));
    assert_eq!(
        h.model.statuses.len(),
        2,
        "posted: the old one is not this job's"
    );
    assert_eq!(h.model.count("GET /api/v1/accounts/1/statuses"), 1);
}

#[test]
fn a_refused_lookup_posts_again_under_the_same_key() {
    let mut h = Harness::new(spec(photos(1)));
    h.model.lookup_status = Some(403);
    failed(h.attempt(
        &mut nth("POST /api/v1/statuses", 0, Fault::Lost),
        &mut no_crash(),
    ));
    finished(h.attempt(&mut ok(), &mut no_crash()));
    assert!(h.events.iter().any(|e| matches!(
        e,
        PostEvent::LookupUnavailable { reason } if reason == "HTTP 403: This action is outside the authorized scopes"
    )));
    assert_eq!(h.model.statuses.len(), 1, "the key made the repeat a no-op");
    assert_eq!(h.model.count("POST /api/v1/statuses"), 2);
}

#[test]
fn a_lookup_answered_with_5xx_ends_the_attempt() {
    let mut h = Harness::new(spec(photos(1)));
    failed(h.attempt(
        &mut nth("POST /api/v1/statuses", 0, Fault::Timeout),
        &mut no_crash(),
    ));
    let f = failed(h.attempt(
        &mut nth("GET /api/v1/accounts/1/statuses", 0, Fault::Refuse(502)),
        &mut no_crash(),
    ));
    assert_eq!(
        f.reason,
        "looking for the status posted without an answer: HTTP 502"
    );
    assert!(!f.is_permanent());
    assert_eq!(
        h.model.count("POST /api/v1/statuses"),
        0,
        "not posted while unsure"
    );
    finished(h.run());
    assert_eq!(h.model.statuses.len(), 1);
}

#[test]
fn rate_limits_carry_retry_after() {
    let mut h = Harness::new(spec(photos(1)));
    let f = failed(h.attempt(
        &mut nth("POST /api/v2/media", 0, Fault::RateLimited(300)),
        &mut no_crash(),
    ));
    assert_eq!(
        f.reason,
        "uploading SAM_0001.JPG: HTTP 429: Too many requests"
    );
    assert!(!f.is_permanent());
    assert_eq!(f.retry_after, Some(Duration::from_secs(300)));
}

#[test]
fn a_bad_token_and_validation_errors_are_permanent() {
    let mut h = Harness::new(spec(photos(1)));
    let mut job = PostJob::new(
        Instant::from_millis(START),
        h.spec.clone(),
        PostProgress::default(),
        BASE,
        Secret::new(String::from("wrong_token")),
        Some(InstanceLimits::default()),
        h.options,
    );
    assert_eq!(
        job.poll_event(),
        Some(PostEvent::ProgressChanged),
        "one for all changes"
    );
    assert_eq!(job.poll_event(), None);
    let req = job.poll_request(1).unwrap();
    let (status, body) = h.model.handle(START, &req);
    job.handle_response(Instant::from_millis(START), status, body.as_bytes(), None);
    assert_eq!(
        job.poll_event(),
        Some(PostEvent::Failed(Failure::permanent(
            "uploading SAM_0001.JPG: HTTP 401: The access token is invalid"
        )))
    );
    assert_eq!(job.poll_event(), None);
    assert_eq!(job.poll_request(2), None, "the attempt is over");
    assert_eq!(job.poll_timeout(), None);

    // 422 on the post: refused, so nothing is left to look for.
    let mut h = Harness::new(spec(photos(1)));
    let f = failed(h.run_with(
        3,
        &mut nth("POST /api/v1/statuses", 0, Fault::Refuse(422)),
        &mut || false,
    ));
    assert_eq!(f.reason, "posting the status: HTTP 422");
    assert!(f.is_permanent());
    assert!(!h.stored.maybe_posted);
    assert_eq!(h.model.statuses.len(), 0);
}

#[test]
fn transport_errors_are_transient_except_a_lost_file() {
    let cases = [
        (TransportErrorKind::Connect, false),
        (TransportErrorKind::Tls, false),
        (TransportErrorKind::Timeout, false),
        (TransportErrorKind::ClosedEarly, false),
        (TransportErrorKind::BadResponse, false),
        (TransportErrorKind::Other, false),
        (TransportErrorKind::BadUrl, true),
        (TransportErrorKind::File, true),
    ];
    for (kind, permanent) in cases {
        let mut job = PostJob::new(
            Instant::from_millis(START),
            spec(photos(1)),
            PostProgress::default(),
            BASE,
            Secret::new(String::from(TOKEN)),
            Some(InstanceLimits::default()),
            PostOptions::default(),
        );
        while job.poll_event().is_some() {}
        assert!(job.poll_request(7).is_some());
        job.handle_transport_error(Instant::from_millis(START), kind, "it broke");
        let Some(PostEvent::Failed(f)) = job.poll_event() else {
            panic!("{kind:?}: no failure");
        };
        assert_eq!(f.reason, "uploading SAM_0001.JPG: it broke");
        assert_eq!(f.is_permanent(), permanent, "{kind:?}");
    }
}

#[test]
fn media_still_processing_is_polled_with_growing_waits() {
    let mut h = Harness::new(spec(photos(1)));
    h.model.processing_polls = 5;
    h.options.poll_interval = Duration::from_secs(2);
    h.options.processing_wait = Duration::from_secs(60);
    finished(h.run());
    // 202, then 206 five times, then 200: waits from min(base, 1 s), doubling to 10 s.
    assert_eq!(h.waits, [1000, 2000, 4000, 8000, 10_000, 10_000]);
    assert_eq!(h.model.count("GET /api/v1/media/110000000000000001"), 6);
    assert!(h.events.iter().any(|e| matches!(
        e,
        PostEvent::MediaUploaded {
            media: 0,
            processing: true,
            ..
        }
    )));
    assert_eq!(h.thread()[0].1, [0]);

    let mut h = Harness::new(spec(photos(1)));
    h.model.processing_polls = 100;
    h.options.poll_interval = Duration::from_millis(100);
    h.options.processing_wait = Duration::from_secs(5);
    let f = failed(h.attempt(&mut ok(), &mut no_crash()));
    assert_eq!(
        f.reason,
        "media 110000000000000001 still processing after 5 s"
    );
    assert!(!f.is_permanent());
    assert_eq!(
        h.stored.media,
        [MediaProgress::Processing(String::from(
            "110000000000000001"
        ))]
    );
    // The next attempt polls the same media; no second upload.
    h.model.media[0].polls_left = 0;
    finished(h.attempt(&mut ok(), &mut no_crash()));
    assert_eq!(h.model.count("POST /api/v2/media"), 1);
}

#[test]
fn media_gone_while_processing_is_uploaded_again() {
    let mut h = Harness::new(spec(photos(2)));
    h.model.processing_polls = 1;
    let f = failed(h.attempt(
        &mut nth(
            "GET /api/v1/media/110000000000000001",
            0,
            Fault::Refuse(404),
        ),
        &mut no_crash(),
    ));
    assert_eq!(
        f.reason,
        "media 110000000000000001 disappeared while processing; uploading it again"
    );
    assert!(!f.is_permanent());
    assert_eq!(
        h.stored.media,
        [MediaProgress::Pending, MediaProgress::Pending]
    );
    finished(h.run());
    assert_eq!(h.model.count("POST /api/v2/media"), 3);
    assert_eq!(h.thread()[0].1, [0, 1]);
}

#[test]
fn a_crash_at_any_step_resumes_from_the_stored_progress() {
    // Crash at the n-th save, then at the n-th request, for every n
    // until a run has no crash left to take.
    for at_request in [false, true] {
        for n in 0.. {
            let mut h = Harness::new(spec(photos(5)));
            h.model.limits = Some(InstanceLimits {
                max_media_attachments: 2,
                description_limit: 1500,
            });
            h.model.processing_polls = 1;
            h.model.keys = Keys::Ignored;
            let (mut saves, mut requests) = (0, 0);
            let mut crashed = false;
            let first = h.attempt(
                &mut |_: &Request| {
                    requests += 1;
                    if at_request && requests == n + 1 {
                        crashed = true;
                        return Fault::Crash;
                    }
                    Fault::None
                },
                &mut || {
                    saves += 1;
                    !at_request && saves == n + 1
                },
            );
            if let End::Finished(_) = first {
                assert!(!crashed && n > 3, "every step was crashed at once");
                break;
            }
            assert_eq!(first, End::Crashed);
            finished(h.run());
            let files: Vec<_> = h.thread().into_iter().map(|t| (t.1, t.2)).collect();
            assert_eq!(
                files,
                [(vec![0, 1], true), (vec![2, 3], true), (vec![4], true)],
                "crash at {} {n}",
                if at_request { "request" } else { "save" }
            );
        }
    }
}

#[test]
fn numeric_and_128_bit_ids_stay_exact_strings() {
    let mut h = Harness::new(spec(photos(3)));
    h.model.numeric_ids = true;
    h.model.limits = Some(InstanceLimits {
        max_media_attachments: 2,
        description_limit: 1500,
    });
    finished(h.run());
    let ids: Vec<&str> = h.model.statuses.iter().map(|s| s.id.as_str()).collect();
    assert!(ids[0].len() > 20, "{ids:?}");
    assert_eq!(
        h.stored
            .statuses
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>(),
        ids
    );
    assert!(h.thread().iter().all(|t| t.2), "replies name the exact ids");
    // And found by lookup after a 500.
    let mut h = Harness::new(spec(photos(1)));
    h.model.numeric_ids = true;
    failed(h.attempt(
        &mut nth("POST /api/v1/statuses", 0, Fault::Late(500)),
        &mut no_crash(),
    ));
    finished(h.attempt(&mut ok(), &mut no_crash()));
    assert_eq!(h.stored.statuses[0].id, h.model.statuses[0].id);
    assert_eq!(h.model.statuses.len(), 1);
}

#[test]
fn progress_of_the_previous_release_resumes() {
    // One media uploaded, one pending, `per_status` fixed, no `parts`.
    let mut h = Harness::new(spec(photos(2)));
    failed(h.attempt(
        &mut nth("POST /api/v2/media", 1, Fault::Connect),
        &mut no_crash(),
    ));
    let uploaded = h.model.media[0].id.clone();
    h.stored = PostProgress {
        per_status: Some(4),
        media: vec![
            MediaProgress::Done(uploaded.clone()),
            MediaProgress::Pending,
        ],
        ..PostProgress::default()
    };
    h.limits = None;
    h.model.log.clear();
    finished(h.run());
    assert_eq!(
        h.model.count("POST /api/v2/media"),
        1,
        "only the pending one"
    );
    assert_eq!(h.model.statuses.len(), 1);
    assert_eq!(h.model.statuses[0].media[0], uploaded);
    assert_eq!(h.stored.parts, [2]);

    // Mid-thread: the rest follows the old layout (runs of `per_status`),
    // replying to the status posted before.
    let mut h = Harness::new(spec(photos(3)));
    let ids: Vec<String> = (0..3).map(|i| h.model.upload_for_test(i)).collect();
    let first = h.model.seed_status(START, "earlier part");
    h.stored = PostProgress {
        per_status: Some(2),
        media: ids.iter().cloned().map(MediaProgress::Done).collect(),
        statuses: vec![PostedStatus {
            id: first.clone(),
            url: None,
        }],
        ..PostProgress::default()
    };
    finished(h.run());
    let last = h.model.statuses.last().unwrap();
    assert_eq!(last.media, [ids[2].clone()]);
    assert_eq!(last.in_reply_to.as_deref(), Some(first.as_str()));
    assert_eq!(last.text, "(2/2)");
    assert_eq!(h.stored.parts, [2, 1]);
}

#[test]
fn instance_answers_decide_between_fallback_and_retry() {
    // 404 (an older server): the defaults, the layout fixed.
    let mut h = Harness::new(spec(photos(1)));
    h.model.limits = None;
    finished(h.attempt(&mut ok(), &mut no_crash()));
    assert_eq!(h.stored.per_status, Some(4));
    // 503: nothing fixed, the attempt fails, the next asks again.
    let mut h = Harness::new(spec(photos(1)));
    let f = failed(h.attempt(
        &mut nth("GET /api/v2/instance", 0, Fault::Refuse(503)),
        &mut no_crash(),
    ));
    assert_eq!(f.reason, "asking for the instance's limits: HTTP 503");
    assert_eq!((h.stored.per_status, h.stored.parts.len()), (None, 0));
    let f = failed(h.attempt(
        &mut nth("GET /api/v2/instance", 0, Fault::Timeout),
        &mut no_crash(),
    ));
    assert_eq!(f.reason, "asking for the instance's limits: timed out");
    finished(h.attempt(&mut ok(), &mut no_crash()));
    let asked = h
        .sent
        .iter()
        .filter(|r| *r == "GET /api/v2/instance")
        .count();
    assert_eq!(asked, 3);
}

#[test]
fn a_bad_base_url_fails_permanently() {
    let mut job = PostJob::new(
        Instant::from_millis(START),
        spec(photos(1)),
        PostProgress::default(),
        "mastodon.social",
        Secret::new(String::from(TOKEN)),
        None,
        PostOptions::default(),
    );
    assert!(job.server().is_none());
    assert_eq!(
        job.poll_event(),
        Some(PostEvent::Failed(Failure::permanent(
            "base URL: expected an http:// or https:// URL"
        )))
    );
    assert_eq!(job.poll_request(1), None);
}

#[test]
fn requeue_keeps_attached_media_and_those_of_a_maybe_posted_part() {
    let done = |id: &str| MediaProgress::Done(id.into());
    let posted = PostedStatus {
        id: "s1".into(),
        url: None,
    };
    let mut p = PostProgress {
        per_status: Some(2),
        media: vec![done("1"), done("2"), done("3"), done("4"), done("5")],
        statuses: vec![posted.clone()],
        parts: vec![2, 2, 1],
        maybe_posted: true,
    };
    p.requeue();
    assert_eq!(
        p.media,
        [
            done("1"),
            done("2"),
            done("3"),
            done("4"),
            MediaProgress::Pending
        ]
    );
    p.maybe_posted = false;
    p.requeue();
    assert_eq!(
        p.media,
        [
            done("1"),
            done("2"),
            MediaProgress::Pending,
            MediaProgress::Pending,
            MediaProgress::Pending
        ]
    );
    assert_eq!(p.statuses, [posted]);
}
