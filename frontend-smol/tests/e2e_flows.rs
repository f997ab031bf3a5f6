//! End-to-end flows through the real daemon: e-mails stored on disk and
//! forwarded by SMTP to a real aiosmtpd, social uploads stored at their HMAC
//! paths (never overwritten, also when 16 arrive at once), Mastodon batches
//! and e-mails posted to a real mastodon-mock, the shell action and token
//! files.

mod common;

use std::time::Duration;

use common::*;

/// How long forwarding may take (the outbox runs right after the answer).
const FORWARD_TIMEOUT: Duration = Duration::from_secs(30);

const SUBJECT: &str = "[Samsung Smart Camera] sent you files.";
const BODY: &str = "Sent from Samsung Camera.";

fn email(recipients: &[&str], text: &str, parts: &[Part<'_>], eol: &str) -> Vec<u8> {
    email_request(&email_body(
        CAMERA_USER,
        recipients,
        SUBJECT,
        text,
        parts,
        eol,
    ))
}

fn read(d: &Daemon, rel: &str) -> Vec<u8> {
    std::fs::read(d.uploads().join(rel)).unwrap_or_else(|e| {
        panic!(
            "UPLOAD_FOLDER/{rel} is not readable ({e}); stored files: {:?}",
            d.stored_files()
        )
    })
}

#[test]
fn emails_in_crlf_and_lf_are_stored_at_the_senders_hmac_path_without_overwriting() {
    let d = Daemon::start("email-store", Some(&whitelist_config()));
    let cam = d.camera(2);
    let big = jpeg_of_len(70_000).expect("a 70 kB JPEG");
    for (eol, data) in [("\r\n", TINY_JPEG), ("\n", big.as_slice())] {
        let parts = [Part {
            name: "SAM_4371.JPG",
            content_type: "image/jpeg",
            data,
        }];
        cam.send(&email(&["friend@example.org"], BODY, &parts, eol))
            .assert_succ();
    }
    assert_eq!(
        read(&d, &format!("{CAMERA_FOLDER}/SAM_4371.JPG")),
        TINY_JPEG,
        "the CRLF e-mail's attachment"
    );
    assert_eq!(
        read(&d, &format!("{CAMERA_FOLDER}/SAM_4371-1.JPG")),
        big,
        "the LF e-mail's attachment, with the same name, must get -1 (never overwrite)"
    );
    assert_eq!(d.stored_files().len(), 2, "{:?}", d.stored_files());
}

#[test]
fn emails_are_forwarded_to_smtp_with_headers_body_and_attachments() {
    let smtp = SmtpServer::start();
    let config = format!(
        "{}MAIL_SERVER = \"127.0.0.1\"\nMAIL_PORT = {}\n",
        whitelist_config(),
        smtp.port
    );
    let d = Daemon::start("email-smtp", Some(&config));
    let cam = d.camera(2);
    let second = jpeg_of_len(5000).expect("a 5 kB JPEG");

    // CRLF, one attachment.
    let a = cam.send(&email(
        &["friend@example.org"],
        BODY,
        &[Part {
            name: "SAM_4371.JPG",
            content_type: "image/jpeg",
            data: TINY_JPEG,
        }],
        "\r\n",
    ));
    a.assert_succ();
    assert!(
        a.elapsed < Duration::from_secs(3),
        "the camera waited {:?} for an e-mail that is forwarded later",
        a.elapsed
    );
    // LF, two attachments, the second one image/pjpeg (old compacts).
    cam.send(&email(
        &["other@example.org"],
        "Greetings from the beach",
        &[
            Part {
                name: "SAM_0001.JPG",
                content_type: "image/jpeg",
                data: TINY_JPEG,
            },
            Part {
                name: "SAM_0002.JPG",
                content_type: "image/pjpeg",
                data: &second,
            },
        ],
        "\n",
    ))
    .assert_succ();

    let mails = smtp.wait_messages(2, FORWARD_TIMEOUT);
    assert_eq!(mails.len(), 2, "{mails:#?}");
    let by_rcpt = |r: &str| {
        mails
            .iter()
            .find(|m| m.to.contains(r) || m.rcpt_to.contains(r))
            .unwrap_or_else(|| panic!("no e-mail to {r}: {mails:#?}"))
    };
    for (rcpt, text, names) in [
        ("friend@example.org", BODY, vec!["SAM_4371.JPG"]),
        (
            "other@example.org",
            "Greetings from the beach",
            vec!["SAM_0001.JPG", "SAM_0002.JPG"],
        ),
    ] {
        let m = by_rcpt(rcpt);
        assert!(m.from.contains(CAMERA_USER), "From of {m:#?}");
        assert!(m.to.contains(rcpt), "To of {m:#?}");
        assert_eq!(m.subject, SUBJECT, "Subject of {m:#?}");
        assert_eq!(m.text.trim_end(), text, "body of {m:#?}");
        assert!(
            !m.text.contains("language_sh100_utf8") && !m.text.contains("\\r\\n"),
            "the firmware's language marker reached the mail: {:?}",
            m.text
        );
        let got: Vec<&str> = m.attachments.iter().map(|a| a.filename.as_str()).collect();
        assert_eq!(got, names, "attachments of the mail to {rcpt}");
        for att in &m.attachments {
            assert!(
                att.content_type == "image/jpeg" || att.content_type == "image/pjpeg",
                "attachment {} has type {}",
                att.filename,
                att.content_type
            );
        }
    }
    let m = by_rcpt("friend@example.org");
    assert_eq!(m.attachments[0].data(), TINY_JPEG);
    assert_eq!(m.attachments[0].content_type, "image/jpeg");
    let m = by_rcpt("other@example.org");
    assert_eq!(m.attachments[0].data(), TINY_JPEG);
    assert_eq!(m.attachments[1].data(), second);
    // Forwarded mails are not kept in UPLOAD_FOLDER.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(smtp.messages().len(), 2, "an e-mail was sent twice");
}

#[test]
fn social_uploads_are_stored_at_the_users_hmac_path_and_never_overwritten() {
    let d = Daemon::start("social-store", Some(&whitelist_config()));
    let cam = d.camera(2);
    let first = pattern(10_000, 1);
    let second = pattern(12_345, 2);
    cam.upload_one("picasa", "SAM_0001.JPG", "Holiday", &first);
    cam.upload_one("picasa", "SAM_0001.JPG", "Holiday again", &second);
    assert_eq!(read(&d, &format!("{CAMERA_FOLDER}/SAM_0001.JPG")), first);
    assert_eq!(read(&d, &format!("{CAMERA_FOLDER}/SAM_0001-1.JPG")), second);

    // V7: user `x` → its own HMAC folder (fixture v15).
    let key = cam.login("facebook", LOGIN_V7);
    cam.announce_ok("facebook", &key, "SAM_1234.JPG", "x's photo");
    cam.put(&key, "SAM_1234.JPG", TINY_JPEG).assert_succ();
    assert_eq!(read(&d, &format!("{X_FOLDER}/SAM_1234.JPG")), TINY_JPEG);
    assert_eq!(d.stored_files().len(), 3, "{:?}", d.stored_files());
}

#[test]
fn store_instance_uses_the_instance_folder() {
    let config = format!(
        "{}\n[ACTIONS]\npicasa = \"store.album\"\n",
        whitelist_config()
    );
    let d = Daemon::start("store-instance", Some(&config));
    d.camera(2)
        .upload_one("picasa", "SAM_0007.JPG", "to the album", TINY_JPEG);
    assert_eq!(read(&d, "album/SAM_0007.JPG"), TINY_JPEG);
}

#[test]
fn embedded_default_accepts_any_camera_and_stores_under_uploads() {
    let d = Daemon::start("embedded-default", None);
    let cam = d.camera(3);
    let key = cam.login("facebook", &login_plain("anyone@example.net", "pw"));
    cam.announce_ok("facebook", &key, "SAM_0042.JPG", "hello");
    cam.put(&key, "SAM_0042.JPG", TINY_JPEG).assert_succ();
    let folder = samsung_core::route::user_folder(b"", "anyone@example.net");
    assert_eq!(read(&d, &format!("{folder}/SAM_0042.JPG")), TINY_JPEG);
    // The embedded default keeps its state in ./state.
    let outside: Vec<_> = d
        .all_files()
        .into_iter()
        .filter(|p| !p.starts_with("uploads") && !p.starts_with("state"))
        .collect();
    assert!(
        outside.is_empty(),
        "files outside ./uploads and ./state: {outside:?}"
    );
}

/// A daemon posting to `mastodon` (`extra`: more `[MASTODON]` keys); other
/// e-mail recipients are mailed to a port nobody listens on (unused here).
fn mastodon_daemon(label: &str, mastodon: &MastodonServer, extra: &str) -> Daemon {
    let config = mastodon_config(&mastodon.base_url(), free_port())
        .replace("[MASTODON]\n", &format!("[MASTODON]\n{extra}"));
    Daemon::start(label, Some(&config))
}

#[test]
fn social_batch_becomes_one_mastodon_status_with_two_media_and_alt_texts() {
    let mastodon = MastodonServer::start();
    let d = mastodon_daemon(
        "mastodon-batch",
        &mastodon,
        "POSTSCRIPT = \"#SamsungNX\"\nVISIBILITY = \"unlisted\"\n",
    );
    let cam = d.camera(2);
    let key = cam.login("facebook", LOGIN_V7);
    let second = jpeg_of_len(500).expect("JPEG");
    cam.announce_ok("facebook", &key, "SAM_0001.JPG", "A~alt1~alt2");
    let a = cam.put(&key, "SAM_0001.JPG", TINY_JPEG);
    a.assert_succ();
    assert!(
        a.elapsed < Duration::from_secs(3),
        "PUT took {:?}",
        a.elapsed
    );
    // One photo of two: nothing may be posted yet.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        mastodon.statuses().is_empty(),
        "posted before the batch was complete: {:#?}",
        mastodon.statuses()
    );
    cam.announce_ok("facebook", &key, "SAM_0002.JPG", "A~alt1~alt2");
    cam.put(&key, "SAM_0002.JPG", &second).assert_succ();

    let toots = mastodon.wait_statuses(1, FORWARD_TIMEOUT);
    let t = &toots[0];
    assert_eq!(toots.len(), 1, "{toots:#?}");
    let media: Vec<(&str, Option<&str>)> = t
        .media
        .iter()
        .map(|(ty, d)| (ty.as_str(), d.as_deref()))
        .collect();
    assert_eq!(
        media,
        [("image", Some("alt1")), ("image", Some("alt2"))],
        "media of {t:#?}"
    );
    let text = t.text();
    assert!(text.starts_with('A'), "status text {text:?}");
    assert!(
        text.contains("NX300"),
        "the album (camera model) is missing: {text:?}"
    );
    assert!(
        text.contains("#SamsungNX"),
        "POSTSCRIPT is missing: {text:?}"
    );
    assert!(
        !text.contains("alt1"),
        "alt text leaked into the status: {text:?}"
    );
    assert_eq!(t.visibility, "unlisted");

    // A new caption is a new batch: its own status.
    cam.announce_ok("facebook", &key, "SAM_0003.JPG", "B~alt3");
    cam.put(&key, "SAM_0003.JPG", TINY_JPEG).assert_succ();
    let toots = mastodon.wait_statuses(2, FORWARD_TIMEOUT);
    let t = &toots[1];
    assert!(t.text().starts_with('B'), "{t:#?}");
    assert_eq!(t.media.len(), 1, "{t:#?}");
    assert_eq!(t.media[0].1.as_deref(), Some("alt3"));

    // No alt text with a Mastodon route: the camera learns it (V16).
    cam.announce_ok("facebook", &key, "SAM_0004.JPG", "C");
    let a = cam.put(&key, "SAM_0004.JPG", TINY_JPEG);
    a.assert_status(400);
    assert!(a.text().contains("No alt-text"), "{}", show(&a.raw));

    std::thread::sleep(Duration::from_secs(2));
    let toots = mastodon.statuses();
    assert_eq!(toots.len(), 2, "a status was posted twice: {toots:#?}");
}

#[test]
fn a_batch_larger_than_the_instance_allows_becomes_a_thread() {
    let mastodon = MastodonServer::start();
    let d = mastodon_daemon("mastodon-thread", &mastodon, "");
    let cam = d.camera(2);
    let key = cam.login("facebook", LOGIN_V7);
    let caption = "Many~a1~a2~a3~a4~a5";
    for i in 1..=5 {
        let file = format!("SAM_000{i}.JPG");
        cam.announce_ok("facebook", &key, &file, caption);
        cam.put(&key, &file, &jpeg_of_len(300 + i).expect("JPEG"))
            .assert_succ();
    }
    let toots = mastodon.wait_statuses(2, FORWARD_TIMEOUT);
    std::thread::sleep(Duration::from_secs(1));
    let toots = if mastodon.statuses().len() > toots.len() {
        mastodon.statuses()
    } else {
        toots
    };
    assert_eq!(
        toots.len(),
        2,
        "5 media with at most 4 per status: {toots:#?}"
    );
    let alts = |t: &Toot| -> Vec<String> {
        t.media
            .iter()
            .map(|(_, d)| d.clone().unwrap_or_default())
            .collect()
    };
    assert_eq!(alts(&toots[0]), ["a1", "a2", "a3", "a4"], "{toots:#?}");
    assert_eq!(alts(&toots[1]), ["a5"], "{toots:#?}");
    assert_eq!(
        toots[1].in_reply_to.as_deref(),
        Some(toots[0].id.as_str()),
        "the second part must reply to the first (a thread): {toots:#?}"
    );
    assert!(toots[0].text().starts_with("Many"), "{toots:#?}");
}

#[test]
fn email_to_a_mastodon_recipient_is_posted_and_other_recipients_are_mailed() {
    let mastodon = MastodonServer::start();
    let smtp = SmtpServer::start();
    let config = mastodon_config(&mastodon.base_url(), smtp.port);
    let d = Daemon::start("email-mastodon", Some(&config));
    let cam = d.camera(2);
    // V6g with a pjpeg part (V6c): one post, alt text from the body.
    cam.send(&email(
        &["toot@example.org", "friend@example.org"],
        "Holiday shot!~fancy flower bed",
        &[Part {
            name: "SAM_4371.JPG",
            content_type: "image/pjpeg",
            data: TINY_JPEG,
        }],
        "\r\n",
    ))
    .assert_succ();
    let toots = mastodon.wait_statuses(1, FORWARD_TIMEOUT);
    let t = &toots[0];
    assert!(t.text().starts_with("Holiday shot!"), "{t:#?}");
    assert!(!t.text().contains("fancy flower bed"), "{t:#?}");
    assert_eq!(t.media.len(), 1, "{t:#?}");
    assert_eq!(
        t.media[0].0, "image",
        "pjpeg must be posted as a JPEG image: {t:#?}"
    );
    assert_eq!(t.media[0].1.as_deref(), Some("fancy flower bed"));

    let mails = smtp.wait_messages(1, FORWARD_TIMEOUT);
    assert_eq!(mails.len(), 1, "{mails:#?}");
    let m = &mails[0];
    assert!(m.to.contains("friend@example.org") || m.rcpt_to.contains("friend@example.org"));
    assert!(
        !m.rcpt_to.contains("toot@example.org"),
        "the Mastodon recipient was mailed too: {m:#?}"
    );
    assert_eq!(m.attachments.len(), 1);
    assert_eq!(m.attachments[0].data(), TINY_JPEG);

    // Two attachments but one alt text: refused, nothing posted or mailed.
    let a = cam.send(&email(
        &["toot@example.org"],
        "Holiday shot!~fancy flower bed",
        &[
            Part {
                name: "SAM_0001.JPG",
                content_type: "image/jpeg",
                data: TINY_JPEG,
            },
            Part {
                name: "SAM_0002.JPG",
                content_type: "image/jpeg",
                data: TINY_JPEG,
            },
        ],
        "\r\n",
    ));
    a.assert_status(400);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(mastodon.statuses().len(), 1, "{:#?}", mastodon.statuses());
    assert_eq!(smtp.messages().len(), 1);
}

#[test]
fn an_email_to_a_store_and_a_mail_recipient_keeps_every_byte_for_both() {
    // Reference bug §9.3 #6: after one recipient's action read the
    // attachment, the next one got an empty file.
    let smtp = SmtpServer::start();
    let config = format!(
        "{}MAIL_SERVER = \"127.0.0.1\"\nMAIL_PORT = {}\n\n[ACTIONS]\n\"keep@example.org\" = \"store\"\n\"drop@example.org\" = \"drop\"\n",
        whitelist_config(),
        smtp.port
    );
    let d = Daemon::start("store-and-mail", Some(&config));
    let data = jpeg_of_len(40_000).expect("JPEG");
    d.camera(2)
        .send(&email(
            &["keep@example.org", "friend@example.org", "drop@example.org"],
            BODY,
            &[
                Part {
                    name: "SAM_0001.JPG",
                    content_type: "image/jpeg",
                    data: &data,
                },
                Part {
                    name: "SAM_0001.JPG",
                    content_type: "image/jpeg",
                    data: TINY_JPEG,
                },
            ],
            "\r\n",
        ))
        .assert_succ();
    assert_eq!(read(&d, &format!("{CAMERA_FOLDER}/SAM_0001.JPG")), data);
    assert_eq!(
        read(&d, &format!("{CAMERA_FOLDER}/SAM_0001-1.JPG")),
        TINY_JPEG,
        "two attachments with one name: the second gets -1"
    );
    let mails = smtp.wait_messages(1, FORWARD_TIMEOUT);
    std::thread::sleep(Duration::from_millis(500));
    let mails = if smtp.messages().len() > mails.len() {
        smtp.messages()
    } else {
        mails
    };
    assert_eq!(mails.len(), 1, "only friend@ is mailed: {mails:#?}");
    let m = &mails[0];
    assert!(
        m.rcpt_to.contains("friend@example.org")
            && !m.rcpt_to.contains("keep@")
            && !m.rcpt_to.contains("drop@"),
        "envelope recipients {:?}",
        m.rcpt_to
    );
    assert_eq!(m.attachments.len(), 2, "{m:#?}");
    assert_eq!(
        m.attachments[0].data(),
        data,
        "the mailed copy is not whole"
    );
    assert_eq!(m.attachments[1].data(), TINY_JPEG);
}

#[test]
fn the_shell_action_gets_the_values_as_arguments_never_as_shell_code() {
    let tmp = TempDir::new("shell-out");
    let out = tmp.path().join("calls.txt");
    let pwned = tmp.path().join("pwned");
    let script = format!(
        "printf '%s|%s|%s|%s|%s\\n' \"$1\" \"$2\" \"$3\" \"$4\" \"$5\" >> {out}; cat >> {out}; echo >> {out}",
        out = out.display()
    );
    let config = format!(
        "{}\n[SHELL]\nCMD = [\"sh\", \"-c\", {script:?}, \"sh\", \"{{sender}}\", \"{{recipient}}\", \"{{filename}}\", \"{{subject}}\", \"{{body}}\"]\nSTDIN = \"stdin says {{subject}}\"\n\n[ACTIONS]\n\"run@example.org\" = \"shell\"\npicasa = \"shell\"\n",
        whitelist_config()
    );
    let d = Daemon::start("shell", Some(&config));
    let cam = d.camera(2);
    let evil = format!("$(touch {p}) `touch {p}`; touch {p}", p = pwned.display());
    cam.send(&email(
        &["run@example.org"],
        &evil,
        &[Part {
            name: "SAM_0009.JPG",
            content_type: "image/jpeg",
            data: TINY_JPEG,
        }],
        "\r\n",
    ))
    .assert_succ();
    cam.upload_one("picasa", "SAM_0010.JPG", "social shell", TINY_JPEG);
    let calls = wait_for(FORWARD_TIMEOUT, || {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        (text.matches("stdin says").count() >= 2).then_some(text)
    })
    .unwrap_or_else(|| {
        panic!(
            "the shell command did not run twice within {FORWARD_TIMEOUT:?}; output so far: {:?}",
            std::fs::read_to_string(&out).unwrap_or_default()
        )
    });
    assert!(
        !pwned.exists(),
        "camera text was run as shell code:\n{calls}"
    );
    let lines: Vec<&str> = calls.lines().filter(|l| l.contains('|')).collect();
    let mail_call = lines
        .iter()
        .find(|l| l.contains("run@example.org"))
        .unwrap_or_else(|| panic!("no call for the e-mail: {calls}"));
    let fields: Vec<&str> = mail_call.splitn(5, '|').collect();
    assert_eq!(fields[0], CAMERA_USER, "{{sender}} in {mail_call:?}");
    assert_eq!(fields[1], "run@example.org", "{{recipient}}");
    assert!(
        fields[2].ends_with("SAM_0009.JPG"),
        "{{filename}} in {mail_call:?}"
    );
    assert_eq!(
        std::fs::read(fields[2]).ok(),
        Some(TINY_JPEG.to_vec()),
        "{{filename}} {} should be the stored file",
        fields[2]
    );
    assert_eq!(fields[3], SUBJECT, "{{subject}}");
    assert_eq!(fields[4], evil, "{{body}} must arrive verbatim");
    assert!(calls.contains(&format!("stdin says {SUBJECT}")), "{calls}");
    assert!(
        lines.iter().any(|l| l.contains("SAM_0010.JPG")),
        "no call for the social upload: {calls}"
    );
}

#[test]
fn a_reference_token_file_names_the_instance_and_the_token() {
    // The migrating user's `mastodon.secret` (Mastodon.py's to_file format:
    // token, base URL, client id, client secret) and no BASE_URL.
    let mastodon = MastodonServer::start();
    let mut d = Daemon::prepare(
        "token-file",
        Some(&format!(
            "{}\n[MASTODON]\nTOKEN = \"mastodon.secret\"\n\n[ACTIONS]\nfacebook = \"mastodon\"\n",
            whitelist_config()
        )),
    );
    std::fs::write(
        d.dir.join("mastodon.secret"),
        format!(
            "{MASTODON_TOKEN}\n{}\nclient-id-e2e\nclient-secret-e2e\n",
            mastodon.base_url()
        ),
    )
    .expect("write mastodon.secret");
    d.spawn();
    let cam = d.camera(2);
    let key = cam.login("facebook", LOGIN_V7);
    cam.announce_ok("facebook", &key, "SAM_0001.JPG", "From the file~alt");
    cam.put(&key, "SAM_0001.JPG", TINY_JPEG).assert_succ();
    let toots = mastodon.wait_statuses(1, FORWARD_TIMEOUT);
    assert!(toots[0].text().starts_with("From the file"), "{toots:#?}");
    assert!(!d.log().contains("client-secret-e2e"), "{}", d.log());
}

#[test]
fn sixteen_parallel_uploads_with_one_file_name_never_overwrite_each_other() {
    let d = Daemon::start("same-name-race", Some(&whitelist_config()));
    const N: usize = 16;
    let keys: Vec<String> = (0..N)
        .map(|i| {
            d.camera(40 + i as u8)
                .login("youtube", &login_plain(CAMERA_USER, "secret"))
        })
        .collect();
    for (i, key) in keys.iter().enumerate() {
        d.camera(40 + i as u8)
            .announce_ok("youtube", key, "SAM_0001.JPG", "same name");
    }
    let answers = parallel(N, |i| {
        d.camera(40 + i as u8).put(
            &keys[i],
            "SAM_0001.JPG",
            &pattern(50_000 + i, 1000 + i as u32),
        )
    });
    for (i, a) in answers.iter().enumerate() {
        assert!(a.is_succ(), "camera {i}: {}", show(&a.raw));
    }
    let stored = d.stored_files();
    assert_eq!(stored.len(), N, "{stored:?}");
    // Every content is there exactly once.
    let mut found = [false; N];
    for p in &stored {
        let data = std::fs::read(d.uploads().join(p)).expect("stored file");
        let i = data.len() - 50_000;
        assert!(
            i < N && data == pattern(50_000 + i, 1000 + i as u32) && !found[i],
            "{} holds a wrong, torn or duplicated upload",
            p.display()
        );
        found[i] = true;
    }
}

#[test]
fn a_file_announced_again_with_a_new_caption_is_uploaded_into_the_new_batch() {
    // A camera whose PUT never happened (WiFi gone, daemon restarted, …)
    // announces the same photo again with an edited caption: the PUT belongs
    // to the latest announce (the reference keeps only the latest).
    let d = Daemon::start("re-announce", Some(&whitelist_config()));
    let cam = d.camera(2);
    let key = cam.login("youtube", &login_plain(CAMERA_USER, "secret"));
    cam.announce_ok("youtube", &key, "SAM_0001.JPG", "first caption");
    cam.announce_ok("youtube", &key, "SAM_0001.JPG", "edited caption");
    let a = cam.put(&key, "SAM_0001.JPG", TINY_JPEG);
    assert!(
        a.is_succ(),
        "PUT after re-announcing with a new caption: {}",
        show(&a.raw)
    );
    assert_eq!(
        std::fs::read(d.uploads().join(CAMERA_FOLDER).join("SAM_0001.JPG")).ok(),
        Some(TINY_JPEG.to_vec())
    );
}
