//! Mastodon jobs against mastodon-mock.

use std::fs;
use std::time::{Duration, Instant};

use samsung_core::mastodon::{MediaProgress, idempotency_key, status_text};
use samsung_core::sns::BatchRef;
use serde_json::{Value, json};

use super::*;

#[test]
fn batch_of_two_photos_is_one_status_with_alt_texts() {
    let m = Mastodon::shared();
    let tmp = TempDir::new("batch2");
    let dir = tmp.path().join("outbox");
    let outbox = Outbox::open(&dir, with_mastodon(&m, &m.token)).unwrap();
    let files = media(tmp.path(), 2, false);
    for (i, f) in files.iter().enumerate() {
        let batch = BatchRef {
            id: String::from("00c0ffee00c0ffee"),
            index: i,
            expected: Some(2),
            caption: String::from("Holiday & friends 100%"),
            alt: Some(format!("flower bed {}", i + 1)),
            album: Some(String::from("NX300")),
            last: i == 1,
        };
        outbox
            .add_batch_media(
                None,
                &batch,
                &f.path,
                &f.file_name,
                f.content_type.as_deref(),
            )
            .unwrap();
        assert!(!f.path.exists(), "the file is taken over (renamed)");
    }
    let listed = Outbox::list(&dir).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].state, JobState::Collecting);
    assert_eq!(listed[0].detail, "2 of 2 files");

    let id = outbox.finish_batch("00c0ffee00c0ffee").unwrap().unwrap();
    assert_eq!(outbox.finish_batch("00c0ffee00c0ffee").unwrap(), None);
    let workers = outbox.start();
    let done = wait_state(&dir, &id, JobState::Done);
    assert!(workers.shutdown());
    assert_eq!(done.attempts, 1);

    let statuses = m.statuses();
    assert_eq!(statuses.len(), 1, "{statuses:?}");
    let s = &statuses[0];
    assert_eq!(
        m.source_text(s),
        status_text(
            "Holiday & friends 100%",
            Some("NX300"),
            Some("#samsung #nx300")
        )
    );
    assert_eq!(s["visibility"], "unlisted");
    let att = media_of(s);
    assert_eq!(att.len(), 2);
    for (i, a) in att.iter().enumerate() {
        assert_eq!(a["description"], format!("flower bed {}", i + 1));
        assert_eq!(a["type"], "image");
        assert!(a["url"].as_str().unwrap().ends_with(".JPG"));
        // The multipart body carried the file byte for byte.
        assert_eq!(m.fetch(a["url"].as_str().unwrap()), photo(i));
    }
    let url = s["url"].as_str().unwrap();
    assert_eq!(
        done.result.as_deref(),
        Some(format!("status {url}").as_str())
    );
    assert!(!dir.join("batches/00c0ffee00c0ffee").exists());
    assert_eq!(
        disk::list_names(&dir.join("done").join(id.as_str())).unwrap(),
        ["job.json", "state.json"],
        "a finished job keeps its JSON only"
    );
}

#[test]
fn more_media_than_the_limit_become_a_thread() {
    let m = Mastodon::shared();
    let tmp = TempDir::new("thread");
    let dir = tmp.path().join("outbox");
    // mastodon-mock advertises 4 attachments per status: that limit wins.
    let settings = OutboxSettings {
        max_media_per_status: Some(40),
        ..with_mastodon(&m, &m.token)
    };
    let outbox = Outbox::open(&dir, settings).unwrap();
    let files = media(tmp.path(), 5, true);
    let id = outbox
        .enqueue_mastodon(None, "Five shots", None, &files)
        .unwrap();
    // The caller may delete its files once the job is queued.
    for f in &files {
        fs::remove_file(&f.path).unwrap();
    }
    let workers = outbox.start();
    let done = wait_state(&dir, &id, JobState::Done);
    assert!(workers.shutdown());

    let statuses = m.statuses();
    assert_eq!(statuses.len(), 2, "{statuses:?}");
    let (first, second) = (&statuses[0], &statuses[1]);
    assert_eq!(m.source_text(first), "Five shots\n\n#samsung #nx300");
    assert_eq!(m.source_text(second), "(2/2)");
    assert_eq!(first["in_reply_to_id"], Value::Null);
    assert_eq!(second["in_reply_to_id"], first["id"]);
    let alts: Vec<Value> = statuses
        .iter()
        .flat_map(media_of)
        .map(|a| a["description"].clone())
        .collect();
    assert_eq!(media_of(first).len(), 4);
    assert_eq!(media_of(second).len(), 1);
    assert_eq!(
        alts,
        (1..=5)
            .map(|i| json!(format!("alt text {i}")))
            .collect::<Vec<_>>()
    );
    assert!(done.result.unwrap().starts_with("thread "));
}

#[test]
fn server_errors_are_retried_and_the_status_is_posted_once() {
    let m = Mastodon::start();
    let tmp = TempDir::new("503");
    let dir = tmp.path().join("outbox");
    m.fault(
        json!({"match": {"methods": ["POST"], "path": "/api/v1/statuses"},
                   "effect": {"type": "status", "status": 503}, "count": 3}),
    );
    m.fault(
        json!({"match": {"methods": ["POST"], "path": "/api/v2/media"},
                   "effect": {"type": "status", "status": 502}, "count": 1}),
    );
    let outbox = Outbox::open(&dir, with_mastodon(&m, &m.token)).unwrap();
    let id = outbox
        .enqueue_mastodon(None, "Flaky LTE", None, &media(tmp.path(), 1, false))
        .unwrap();
    let workers = outbox.start();
    let done = wait_state(&dir, &id, JobState::Done);
    assert!(workers.shutdown());
    assert_eq!(
        done.attempts, 5,
        "1 media failure + 3 status failures + success"
    );
    assert_eq!(m.faults_left(), 0);
    let statuses = m.statuses();
    assert_eq!(statuses.len(), 1);
    assert_eq!(media_of(&statuses[0]).len(), 1);
}

#[test]
fn a_status_posted_before_a_crash_is_not_posted_again() {
    // The earlier run posted part 0 but crashed before recording it: the
    // same Idempotency-Key makes Mastodon answer with that status.
    let m = Mastodon::shared();
    let tmp = TempDir::new("idem");
    let dir = tmp.path().join("outbox");
    let outbox = Outbox::open(&dir, with_mastodon(&m, &m.token)).unwrap();
    let id = outbox
        .enqueue_mastodon(None, "Only once", None, &[])
        .unwrap();
    let (status, earlier) = read_json(
        m.agent
            .post(format!("{}/api/v1/statuses", m.base))
            .header("Authorization", format!("Bearer {}", m.token))
            .header("Idempotency-Key", idempotency_key(id.as_str(), 0))
            .send_form([("status", "Only once (earlier run)")]),
    );
    assert_eq!(status, 200);
    let workers = outbox.start();
    let done = wait_state(&dir, &id, JobState::Done);
    assert!(workers.shutdown());
    assert_eq!(m.statuses().len(), 1);
    assert_eq!(
        done.result.unwrap(),
        format!("status {}", earlier["url"].as_str().unwrap())
    );
}

#[test]
fn restart_resumes_without_uploading_again_or_posting_twice() {
    let m = Mastodon::start();
    let tmp = TempDir::new("restart");
    let dir = tmp.path().join("outbox");
    m.fault(
        json!({"match": {"methods": ["POST"], "path": "/api/v1/statuses"},
                   "effect": {"type": "status", "status": 503}}),
    );
    let outbox = Outbox::open(&dir, with_mastodon(&m, &m.token)).unwrap();
    assert!(
        Outbox::open(&dir, fast()).is_err(),
        "a second daemon on the same outbox is refused"
    );
    let id = outbox
        .enqueue_mastodon(
            None,
            "Across restarts",
            Some("NX mini"),
            &media(tmp.path(), 2, true),
        )
        .unwrap();
    let workers = outbox.start();
    let t0 = Instant::now();
    loop {
        let st: disk::JobProgress =
            disk::read_json(&dir.join("jobs").join(id.as_str()).join("state.json")).unwrap();
        if st.retry.attempts >= 2 {
            assert!(
                st.mastodon
                    .media
                    .iter()
                    .all(|p| matches!(p, MediaProgress::Done(_))),
                "{st:?}"
            );
            assert!(
                st.retry.last_error.as_deref().unwrap().contains("HTTP 503"),
                "{st:?}"
            );
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(workers.shutdown());
    drop(outbox);
    assert_eq!(job(&dir, &id).state, JobState::Retrying);

    // Every upload fails from now on: only the recorded media ids can make the post.
    m.clear_faults();
    m.fault(
        json!({"match": {"methods": ["POST"], "path": "/api/v2/media"},
                   "effect": {"type": "status", "status": 500}}),
    );
    let outbox = Outbox::open(&dir, with_mastodon(&m, &m.token)).unwrap();
    let workers = outbox.start();
    wait_state(&dir, &id, JobState::Done);
    assert!(workers.shutdown());
    let statuses = m.statuses();
    assert_eq!(statuses.len(), 1);
    assert_eq!(media_of(&statuses[0]).len(), 2);
    assert_eq!(
        m.source_text(&statuses[0]),
        "Across restarts\n\n\u{1F4F7}\u{FE0F} NX mini\n\n#samsung #nx300"
    );
}

#[test]
fn queued_jobs_survive_a_restart_and_debris_is_dropped() {
    let m = Mastodon::shared();
    let tmp = TempDir::new("queued");
    let dir = tmp.path().join("outbox");
    let outbox = Outbox::open(&dir, with_mastodon(&m, &m.token)).unwrap();
    let id = outbox
        .enqueue_mastodon(
            None,
            "Queued before the restart",
            None,
            &media(tmp.path(), 1, false),
        )
        .unwrap();
    drop(outbox);
    // A job half-assembled when the power went: never a job.
    fs::create_dir_all(dir.join("tmp/20260101T000000.000Z-deadbeef")).unwrap();
    fs::write(dir.join("tmp/20260101T000000.000Z-deadbeef/media-0"), b"x").unwrap();

    let outbox = Outbox::open(&dir, with_mastodon(&m, &m.token)).unwrap();
    assert!(disk::list_names(&dir.join("tmp")).unwrap().is_empty());
    assert_eq!(Outbox::list(&dir).unwrap().len(), 1);
    let workers = outbox.start();
    wait_state(&dir, &id, JobState::Done);
    assert!(workers.shutdown());
    drop(outbox);
    // Opening again later finds nothing to do.
    let outbox = Outbox::open(&dir, with_mastodon(&m, &m.token)).unwrap();
    let workers = outbox.start();
    std::thread::sleep(Duration::from_millis(300));
    assert!(workers.shutdown());
    assert_eq!(m.statuses().len(), 1);
}

#[test]
fn media_still_processing_is_polled_before_posting() {
    let m = Mastodon::start();
    let tmp = TempDir::new("202");
    let dir = tmp.path().join("outbox");
    // mastodon-mock processes synchronously: make an existing upload look
    // like a video Mastodon is still transcoding.
    let media_id = m.upload_directly(b"not really a video");
    m.fault(
        json!({"match": {"methods": ["POST"], "path": "/api/v2/media"},
                   "effect": {"type": "status", "status": 202,
                              "body": {"id": media_id, "type": "video", "url": null}},
                   "count": 1}),
    );
    m.fault(
        json!({"match": {"methods": ["GET"], "path": format!("/api/v1/media/{media_id}")},
                   "effect": {"type": "status", "status": 206,
                              "body": {"id": media_id, "type": "video", "url": null}},
                   "count": 2}),
    );
    let outbox = Outbox::open(&dir, with_mastodon(&m, &m.token)).unwrap();
    let video = tmp.path().join("clip.tmp");
    fs::write(&video, b"MP4").unwrap();
    let id = outbox
        .enqueue_mastodon(
            None,
            "A video",
            None,
            &[MediaFile {
                path: video,
                file_name: String::from("SAM_0042.MP4"),
                content_type: None,
                alt: None,
            }],
        )
        .unwrap();
    let workers = outbox.start();
    let done = wait_state(&dir, &id, JobState::Done);
    assert!(workers.shutdown());
    assert_eq!(done.attempts, 1);
    assert_eq!(m.faults_left(), 0, "both 206 answers were polled");
    let statuses = m.statuses();
    assert_eq!(statuses.len(), 1);
    assert_eq!(media_of(&statuses[0])[0]["id"], json!(media_id));
}

#[test]
fn unauthorized_is_a_permanent_failure_until_retry() {
    let m = Mastodon::start();
    let tmp = TempDir::new("401");
    let dir = tmp.path().join("outbox");
    m.fault(
        json!({"match": {"methods": ["POST"], "path": "/api/v2/media"},
                   "effect": {"type": "status", "status": 401,
                              "body": {"error": "The access token is invalid"}},
                   "count": 1}),
    );
    let outbox = Outbox::open(&dir, with_mastodon(&m, &m.token)).unwrap();
    let id = outbox
        .enqueue_mastodon(None, "Token trouble", None, &media(tmp.path(), 1, false))
        .unwrap();
    let workers = outbox.start();
    let failed = wait_state(&dir, &id, JobState::Failed);
    assert_eq!(failed.attempts, 1);
    assert_eq!(
        failed.last_error.as_deref(),
        Some("uploading SAM_0001.JPG: HTTP 401: The access token is invalid")
    );
    assert_eq!(failed.next_attempt_ms, None);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(job(&dir, &id).attempts, 1, "not retried by itself");
    assert!(m.statuses().is_empty());
    let table = Outbox::render_list(&Outbox::list(&dir).unwrap(), disk::now_ms());
    assert!(
        table.contains("failed") && table.contains("HTTP 401"),
        "{table}"
    );

    // `samsung-bridge outbox retry` from another process: the running daemon notices.
    assert_eq!(Outbox::retry_now(&dir).unwrap(), 1);
    let done = wait_state(&dir, &id, JobState::Done);
    assert!(workers.shutdown());
    assert_eq!(done.attempts, 2);
    assert_eq!(m.statuses().len(), 1);
}

#[test]
fn a_fixed_token_and_retry_requeue_a_failed_job_across_restarts() {
    let m = Mastodon::shared();
    let tmp = TempDir::new("badtoken");
    let dir = tmp.path().join("outbox");
    let outbox = Outbox::open(&dir, with_mastodon(&m, "wrong_token")).unwrap();
    let id = outbox
        .enqueue_mastodon(None, "Bad token", None, &media(tmp.path(), 1, false))
        .unwrap();
    let workers = outbox.start();
    let failed = wait_state(&dir, &id, JobState::Failed);
    assert!(workers.shutdown());
    drop(outbox);
    assert!(
        failed.last_error.as_deref().unwrap().contains("HTTP 401"),
        "{failed:?}"
    );
    // Still failed after a restart, until `outbox retry` (no daemon running).
    assert_eq!(Outbox::retry_now(&dir).unwrap(), 1);
    let outbox = Outbox::open(&dir, with_mastodon(&m, &m.token)).unwrap();
    let workers = outbox.start();
    wait_state(&dir, &id, JobState::Done);
    assert!(workers.shutdown());
    assert_eq!(m.statuses().len(), 1);
}

#[test]
fn an_orphaned_batch_is_posted_after_the_idle_time() {
    use samsung_core::sns::{Bridge, BridgeConfig, BridgeEvent, Limits};
    use samsung_core::time::Duration as CoreDuration;

    let m = Mastodon::shared();
    let tmp = TempDir::new("orphan");
    let dir = tmp.path().join("outbox");
    let outbox = Outbox::open(&dir, with_mastodon(&m, &m.token)).unwrap();
    let f = tmp.path().join("f");
    fs::write(&f, photo(0)).unwrap();
    let batch = BatchRef {
        id: String::from("1111222233334444"),
        index: 0,
        expected: Some(3),
        caption: String::from("Left open"),
        alt: None,
        album: None,
        last: false,
    };
    outbox
        .add_batch_media(None, &batch, &f, "SAM_0001.JPG", Some("image/jpeg"))
        .unwrap();
    // A restart lost the session: the core has never heard of this batch.
    // The daemon offers it, and the core's one batch-close rule decides.
    let idle = CoreDuration::from_millis(300);
    let config = BridgeConfig {
        limits: Limits {
            batch_idle: idle,
            ..Limits::default()
        },
        ..BridgeConfig::default()
    };
    let mut bridge = Bridge::new(config, [9; 32]);
    let open = outbox.open_batches().unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(
        (open[0].id.as_str(), open[0].files),
        ("1111222233334444", 1)
    );
    crate::server::adopt_batches(&mut bridge, &open);
    let stored = crate::server::instant(open[0].last_activity);
    let due = bridge.poll_timeout().unwrap();
    assert_eq!(due, stored + idle);
    bridge.handle_timeout(samsung_core::time::Instant::from_millis(
        due.as_millis() - 1,
    ));
    assert_eq!(bridge.poll_event(), None, "closed before its idle time");
    bridge.handle_timeout(due);
    let Some(BridgeEvent::BatchClosed { batch, uploaded }) = bridge.poll_event() else {
        panic!("the core did not close the idle batch");
    };
    assert_eq!((batch.as_str(), uploaded), ("1111222233334444", 1));
    crate::server::post_closed_batch(&outbox, &batch, uploaded);
    let workers = outbox.start();
    wait_until("the batch to be posted", Duration::from_secs(30), || {
        m.statuses().len() == 1
    });
    assert!(workers.shutdown());
    assert!(!dir.join("batches/1111222233334444").exists());
}

#[test]
fn logs_tell_what_happened_and_never_the_token() {
    let logs = capture_logs();
    let m = Mastodon::shared();
    let tmp = TempDir::new("logs");
    let dir = tmp.path().join("outbox");
    let mut settings = with_mastodon(&m, &m.token);
    settings
        .mastodon
        .insert(Some(String::from("bad")), m.config("wrong_S3CRET_token"));
    let outbox = Outbox::open(&dir, settings).unwrap();
    let good = outbox
        .enqueue_mastodon(None, "Logged", None, &media(tmp.path(), 1, false))
        .unwrap();
    let bad = outbox
        .enqueue_mastodon(
            Some("bad"),
            "Not posted",
            None,
            &media(tmp.path(), 1, false),
        )
        .unwrap();
    let workers = outbox.start();
    let url = wait_state(&dir, &good, JobState::Done).result.unwrap();
    wait_state(&dir, &bad, JobState::Failed);
    assert!(workers.shutdown());
    let text = logs();
    let lines = |id: &JobId| -> Vec<String> {
        text.lines()
            .filter(|l| l.contains(id.as_str()))
            .map(str::to_owned)
            .collect()
    };
    let good_log = lines(&good).join("\n");
    assert!(
        good_log.contains("queued: e-mail, 1 file") && good_log.contains("target=mastodon"),
        "{good_log}"
    );
    let status_url = url.trim_start_matches("status ");
    assert!(
        good_log.contains("posted e-mail as status") && good_log.contains(status_url),
        "{good_log}"
    );
    let bad_log = lines(&bad).join("\n");
    assert!(
        bad_log.contains("failed permanently: uploading SAM_0001.JPG: HTTP 401"),
        "{bad_log}"
    );
    assert!(!text.contains("S3CRET"), "a token reached the log:\n{text}");
    assert!(!text.contains(&m.token), "a token reached the log:\n{text}");
}

#[test]
fn a_job_of_the_previous_release_is_resumed_and_posted_once() {
    let m = Mastodon::shared();
    let tmp = TempDir::new("old-release");
    let dir = tmp.path().join("outbox");
    // Left mid-way by the previous release (c6691ad): media 0 uploaded,
    // media 1 pending, the layout's `per_status` fixed, no newer keys.
    let uploaded = m.upload_as("SAM_0001.JPG", "image/jpeg", &photo(0));
    let id = "20261127T085501.123Z-0ld0ld01";
    let job_dir = dir.join("jobs").join(id);
    fs::create_dir_all(&job_dir).unwrap();
    fs::write(job_dir.join("media-0"), photo(0)).unwrap();
    fs::write(job_dir.join("media-1"), photo(1)).unwrap();
    let job_json = r#"{
  "version": 1,
  "id": "20261127T085501.123Z-0ld0ld01",
  "created_ms": 1795769701123,
  "kind": "mastodon",
  "instance": null,
  "caption": "Left by the old release",
  "album": "NX300",
  "media": [
    {
      "file": "media-0",
      "file_name": "SAM_0001.JPG",
      "content_type": "image/jpeg",
      "alt": "first"
    },
    {
      "file": "media-1",
      "file_name": "SAM_0002.JPG",
      "content_type": "image/jpeg",
      "alt": "second"
    }
  ],
  "source": "batch 00c0ffee00c0ffee"
}
"#;
    let state_json = format!(
        r#"{{
  "attempts": 1,
  "round_attempts": 1,
  "next_attempt_ms": 0,
  "last_error": "uploading SAM_0002.JPG: HTTP 503",
  "failed": false,
  "done_ms": null,
  "result": null,
  "per_status": 4,
  "media": [
    {{
      "state": "done",
      "id": "{uploaded}"
    }},
    {{
      "state": "pending"
    }}
  ]
}}
"#
    );
    fs::write(job_dir.join("job.json"), job_json).unwrap();
    fs::write(job_dir.join("state.json"), state_json).unwrap();

    let outbox = Outbox::open(&dir, with_mastodon(&m, &m.token)).unwrap();
    let workers = outbox.start();
    let done = wait_state(&dir, &JobId::parse(id).unwrap(), JobState::Done);
    assert!(workers.shutdown());
    assert_eq!(done.attempts, 2);
    let statuses = m.statuses();
    assert_eq!(statuses.len(), 1, "{statuses:?}");
    assert_eq!(
        m.source_text(&statuses[0]),
        "Left by the old release\n\n\u{1F4F7}\u{FE0F} NX300\n\n#samsung #nx300"
    );
    let att = media_of(&statuses[0]);
    assert_eq!(att.len(), 2);
    assert_eq!(att[0]["id"], json!(uploaded), "not uploaded again");
    assert_eq!(att[1]["description"], "second");
    assert_eq!(m.fetch(att[1]["url"].as_str().unwrap()), photo(1));
}

#[test]
fn the_instance_limits_come_from_api_v2_instance_once_per_server() {
    let m = Mastodon::start();
    let tmp = TempDir::new("limits");
    let dir = tmp.path().join("outbox");
    // Answered once: a second question would get mastodon-mock's own 4.
    m.fault(
        json!({"match": {"methods": ["GET"], "path": "/api/v2/instance"},
                   "effect": {"type": "status", "status": 200, "body": {
                       "uri": "m.example",
                       "configuration": {
                           "statuses": {"max_media_attachments": 2},
                           "media_attachments": {"description_limit": 10}}}},
                   "count": 1}),
    );
    let outbox = Outbox::open(&dir, with_mastodon(&m, &m.token)).unwrap();
    let workers = outbox.start();
    let alts = ["ÄÖÜäöüßẞ📷é and more", "short", "0123456789"];
    for caption in ["First", "Second"] {
        let mut files = media(tmp.path(), 3, false);
        for (f, alt) in files.iter_mut().zip(alts) {
            f.alt = Some(alt.to_owned());
        }
        let id = outbox
            .enqueue_mastodon(None, caption, None, &files)
            .unwrap();
        wait_state(&dir, &id, JobState::Done);
    }
    assert!(workers.shutdown());
    assert_eq!(m.faults_left(), 0, "the instance was asked");
    let statuses = m.statuses();
    let layout: Vec<usize> = statuses.iter().map(|s| media_of(s).len()).collect();
    assert_eq!(layout, [2, 1, 2, 1], "both jobs: 2 per status");
    assert_eq!(statuses[1]["in_reply_to_id"], statuses[0]["id"]);
    assert_eq!(statuses[3]["in_reply_to_id"], statuses[2]["id"]);
    let descriptions: Vec<Value> = statuses
        .iter()
        .flat_map(media_of)
        .map(|a| a["description"].clone())
        .collect();
    let cut = json!("ÄÖÜäöüßẞ📷…");
    assert_eq!(
        descriptions,
        [
            cut.clone(),
            json!("short"),
            json!("0123456789"),
            cut,
            json!("short"),
            json!("0123456789")
        ]
    );
}

#[test]
fn two_videos_become_a_thread() {
    let m = Mastodon::shared();
    let tmp = TempDir::new("videos");
    let dir = tmp.path().join("outbox");
    let outbox = Outbox::open(&dir, with_mastodon(&m, &m.token)).unwrap();
    let files: Vec<MediaFile> = (0..2)
        .map(|i| {
            let path = tmp.path().join(format!("clip-{i}"));
            fs::write(&path, format!("MP4 clip {i}")).unwrap();
            MediaFile {
                path,
                file_name: format!("SAM_{:04}.MP4", i + 1),
                content_type: Some(String::from("video/mp4")),
                alt: None,
            }
        })
        .collect();
    let id = outbox
        .enqueue_mastodon(None, "Two clips", None, &files)
        .unwrap();
    let workers = outbox.start();
    let done = wait_state(&dir, &id, JobState::Done);
    assert!(workers.shutdown());
    let statuses = m.statuses();
    assert_eq!(statuses.len(), 2, "{statuses:?}");
    for s in &statuses {
        let att = media_of(s);
        assert_eq!(att.len(), 1);
        assert_eq!(att[0]["type"], "video");
    }
    assert_eq!(statuses[1]["in_reply_to_id"], statuses[0]["id"]);
    assert_eq!(m.source_text(&statuses[1]), "(2/2)");
    assert!(done.result.unwrap().starts_with("thread "));
}

#[test]
fn a_500_on_the_status_post_is_looked_up_then_posted_once() {
    let m = Mastodon::start();
    let tmp = TempDir::new("500");
    let dir = tmp.path().join("outbox");
    m.fault(
        json!({"match": {"methods": ["POST"], "path": "/api/v1/statuses"},
                   "effect": {"type": "status", "status": 500}, "count": 1}),
    );
    // Counts the lookup: a rule that changes nothing but is used up.
    m.fault(
        json!({"match": {"methods": ["GET"], "path": "/api/v1/accounts/verify_credentials"},
                   "effect": {"type": "latency", "delay_ms": 0}, "count": 1}),
    );
    let outbox = Outbox::open(&dir, with_mastodon(&m, &m.token)).unwrap();
    let id = outbox
        .enqueue_mastodon(None, "Maybe posted", None, &media(tmp.path(), 1, true))
        .unwrap();
    let workers = outbox.start();
    let done = wait_state(&dir, &id, JobState::Done);
    assert!(workers.shutdown());
    assert_eq!(done.attempts, 2);
    assert_eq!(m.faults_left(), 0, "the second attempt looked first");
    let statuses = m.statuses();
    assert_eq!(statuses.len(), 1);
    assert_eq!(media_of(&statuses[0]).len(), 1);
}

#[test]
fn a_status_created_without_an_answer_is_found_and_not_posted_again() {
    let logs = capture_logs();
    let m = Mastodon::start();
    let tmp = TempDir::new("found");
    let dir = tmp.path().join("outbox");
    // The first post is carried out, but its answer is lost on the way. A
    // second post would be refused, and fail the job.
    let proxy = LoseFirstAnswer::start(&m.base, b"POST /api/v1/statuses ");
    m.fault(
        json!({"match": {"methods": ["POST"], "path": "/api/v1/statuses"},
                   "effect": {"type": "latency", "delay_ms": 0}, "count": 1}),
    );
    m.fault(
        json!({"match": {"methods": ["POST"], "path": "/api/v1/statuses"},
                   "effect": {"type": "status", "status": 418}, "count": 1}),
    );
    let mut config = m.config(&m.token);
    config.base_url = proxy.base.clone();
    let settings = OutboxSettings {
        mastodon: BTreeMap::from([(None, config)]),
        ..fast()
    };
    let outbox = Outbox::open(&dir, settings).unwrap();
    let id = outbox
        .enqueue_mastodon(None, "Found later", None, &media(tmp.path(), 2, false))
        .unwrap();
    let workers = outbox.start();
    let done = wait_state(&dir, &id, JobState::Done);
    assert!(workers.shutdown());
    assert_eq!(done.attempts, 2);
    assert_eq!(m.faults_left(), 1, "one post only");
    let statuses = m.statuses();
    assert_eq!(statuses.len(), 1);
    assert_eq!(media_of(&statuses[0]).len(), 2);
    assert_eq!(
        done.result.as_deref(),
        Some(format!("status {}", statuses[0]["url"].as_str().unwrap()).as_str())
    );
    let text = logs();
    assert!(
        text.lines()
            .any(|l| l.contains(id.as_str()) && l.contains("found after a post without an answer")),
        "{text}"
    );
}
