//! Mail jobs against aiosmtpd, shell jobs, batches and the listing.

use std::collections::BTreeMap;
use std::fs;
use std::time::Duration;

use samsung_core::sns::BatchRef;

use super::*;
use crate::config::{MailConfig, ShellConfig};

#[test]
fn missing_instance_fails_with_the_reason() {
    let tmp = TempDir::new("noinst");
    let dir = tmp.path().join("outbox");
    let outbox = Outbox::open(&dir, fast()).unwrap();
    let id = outbox
        .enqueue_mastodon(Some("work"), "x", None, &[])
        .unwrap();
    let mail = outbox
        .enqueue_mail(MailJob {
            from: String::from("cam@example.org"),
            to: vec![String::from("friend@example.org")],
            subject: String::new(),
            body: String::new(),
            attachments: vec![],
        })
        .unwrap();
    let workers = outbox.start();
    let f = wait_state(&dir, &id, JobState::Failed);
    assert_eq!(
        f.last_error.as_deref(),
        Some("no [MASTODON.work] section in the configuration")
    );
    assert_eq!(f.target, "mastodon.work");
    let f = wait_state(&dir, &mail, JobState::Failed);
    assert_eq!(
        f.last_error.as_deref(),
        Some("no MAIL_SERVER in the configuration")
    );
    assert!(workers.shutdown());
}

#[test]
fn batch_bookkeeping_and_crash_recovery() {
    let tmp = TempDir::new("batchbook");
    let dir = tmp.path().join("outbox");
    let outbox = Outbox::open(&dir, fast()).unwrap();
    assert_eq!(outbox.finish_batch("0123456789abcdef").unwrap(), None);
    assert!(outbox.finish_batch("../etc").is_err());
    let f = tmp.path().join("f");
    let batch = |index: usize| BatchRef {
        id: String::from("feedfeedfeedfeed"),
        index,
        expected: Some(3),
        caption: String::from("c"),
        alt: None,
        album: None,
        last: false,
    };
    for index in [2, 0] {
        fs::write(&f, format!("file {index}")).unwrap();
        outbox
            .add_batch_media(
                Some("work"),
                &batch(index),
                &f,
                &format!("{index}.jpg"),
                None,
            )
            .unwrap();
    }
    // A crash between storing a file and its entry: the file alone does not count.
    fs::write(dir.join("batches/feedfeedfeedfeed/0001.media"), b"orphan").unwrap();
    // A crash after the job id was chosen, before the job was committed.
    fs::write(
        dir.join("batches/feedfeedfeedfeed/job"),
        "20260101T000000.000Z-00000001",
    )
    .unwrap();
    drop(outbox);
    let outbox = Outbox::open(&dir, fast()).unwrap();
    assert!(dir.join("batches/feedfeedfeedfeed").exists());
    let id = outbox.finish_batch("feedfeedfeedfeed").unwrap().unwrap();
    assert_eq!(id.as_str(), "20260101T000000.000Z-00000001");
    let (job, _) = disk::load_job(&dir.join("jobs").join(id.as_str())).unwrap();
    let disk::JobSpec::Mastodon(spec) = job.spec else {
        panic!("{job:?}")
    };
    assert_eq!(spec.instance.as_deref(), Some("work"));
    let names: Vec<&str> = spec.media.iter().map(|m| m.file_name.as_str()).collect();
    assert_eq!(names, ["0.jpg", "2.jpg"], "ordered by index");
    assert_eq!(
        fs::read(dir.join("jobs").join(id.as_str()).join("media-1")).unwrap(),
        b"file 2"
    );
    // A crash after the commit, before the batch was removed: open cleans up.
    fs::create_dir_all(dir.join("batches/abababababababab")).unwrap();
    fs::write(dir.join("batches/abababababababab/job"), id.as_str()).unwrap();
    drop(outbox);
    let _outbox = Outbox::open(&dir, fast()).unwrap();
    assert!(!dir.join("batches/abababababababab").exists());
}

#[test]
fn mail_with_two_attachments_arrives_complete() {
    let tmp = TempDir::new("mail");
    let smtp = Smtp::start(free_port(), tmp.path());
    let dir = tmp.path().join("outbox");
    let settings = OutboxSettings {
        mail: Some(Smtp::config(smtp.port)),
        ..fast()
    };
    let outbox = Outbox::open(&dir, settings).unwrap();
    let mut files = media(tmp.path(), 2, false);
    files[1].file_name = String::from("Köln am Rhein.JPG");
    let id = outbox
        .enqueue_mail(MailJob {
            from: String::from("Kamera Ü <camera@example.org>"),
            to: vec![
                String::from("friend@example.org"),
                String::from("other@example.net"),
            ],
            subject: String::from("Grüße aus Köln 📷"),
            body: String::from("Schöne Grüße!\nZweite Zeile."),
            attachments: files.clone(),
        })
        .unwrap();
    let workers = outbox.start();
    let done = wait_state(&dir, &id, JobState::Done);
    assert!(workers.shutdown());
    assert_eq!(done.result.as_deref(), Some("mail sent to 2 recipients"));

    let msgs = Smtp::messages(&smtp.maildir);
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    let msg = &msgs[0];
    assert_eq!(msg["from"], "Kamera Ü <camera@example.org>");
    assert_eq!(msg["to"], "friend@example.org, other@example.net");
    assert_eq!(msg["rcpt"], "friend@example.org, other@example.net");
    assert_eq!(msg["subject"], "Grüße aus Köln 📷");
    assert_eq!(msg["message_id"], format!("<{id}@samsung-bridge.local>"));
    assert_eq!(
        msg["body"]
            .as_str()
            .unwrap()
            .replace("\r\n", "\n")
            .trim_end(),
        "Schöne Grüße!\nZweite Zeile."
    );
    let atts = msg["attachments"].as_array().unwrap();
    assert_eq!(atts.len(), 2);
    for (i, a) in atts.iter().enumerate() {
        assert_eq!(a["name"], files[i].file_name.as_str());
        assert_eq!(a["type"], "image/jpeg", "image/pjpeg is sent as image/jpeg");
        assert_eq!(a["hex"].as_str().unwrap(), hex(&photo(i)));
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn mail_is_retried_until_the_smarthost_is_back() {
    let tmp = TempDir::new("smtpdown");
    let port = free_port();
    let dir = tmp.path().join("outbox");
    let settings = OutboxSettings {
        mail: Some(MailConfig {
            from: Some(String::from("bridge@example.org")),
            ..Smtp::config(port)
        }),
        ..fast()
    };
    let outbox = Outbox::open(&dir, settings).unwrap();
    let id = outbox
        .enqueue_mail(MailJob {
            from: String::from("camera@example.org"),
            to: vec![String::from("friend@example.org")],
            subject: String::from("Plain"),
            body: String::from("No attachments."),
            attachments: vec![],
        })
        .unwrap();
    let workers = outbox.start();
    wait_until("two failed attempts", Duration::from_secs(30), || {
        let j = job(&dir, &id);
        j.state == JobState::Retrying && j.attempts >= 2
    });
    let j = job(&dir, &id);
    assert!(
        j.last_error
            .as_deref()
            .unwrap()
            .starts_with(&format!("SMTP 127.0.0.1:{port}")),
        "{j:?}"
    );
    let smtp = Smtp::start(port, tmp.path());
    wait_state(&dir, &id, JobState::Done);
    assert!(workers.shutdown());
    let msgs = Smtp::messages(&smtp.maildir);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["from"], "bridge@example.org");
    assert_eq!(msgs[0]["reply_to"], "camera@example.org");
    assert_eq!(msgs[0]["multipart"], false);
}

fn shell_settings(cmd: &[&str], stdin: Option<&str>) -> OutboxSettings {
    OutboxSettings {
        shell: BTreeMap::from([(
            Some(String::from("archive")),
            ShellConfig {
                cmd: cmd.iter().map(|s| s.to_string()).collect(),
                stdin: stdin.map(str::to_owned),
            },
        )]),
        shell_max_attempts: 3,
        ..fast()
    }
}

fn shell_values(filename: &str) -> ShellValues {
    ShellValues {
        sender: String::from("cam@example.org"),
        recipient: String::from("archive@bridge"),
        filename: filename.to_owned(),
        subject: String::from("It's {body}; $(not run)"),
        body: String::from("Text~alt"),
    }
}

#[test]
fn shell_command_gets_arguments_and_stdin() {
    let tmp = TempDir::new("shell");
    let out = tmp.path().join("out.txt");
    let dir = tmp.path().join("outbox");
    let script = "printf '%s\\n' \"$@\" > \"$0\"; cat >> \"$0\"";
    let out_s = out.to_str().unwrap();
    let settings = shell_settings(
        &[
            "/bin/sh",
            "-c",
            script,
            out_s,
            "{sender}",
            "{subject}",
            "--file={filename}",
            "{{x}}",
        ],
        Some("to={recipient}\nbody={body}\n"),
    );
    let outbox = Outbox::open(&dir, settings).unwrap();
    let id = outbox
        .enqueue_shell(Some("archive"), shell_values("/up/a b.jpg"))
        .unwrap();
    let workers = outbox.start();
    let done = wait_state(&dir, &id, JobState::Done);
    assert!(workers.shutdown());
    assert_eq!(done.result.as_deref(), Some("command exited 0"));
    assert_eq!(done.target, "shell.archive");
    assert_eq!(
        fs::read_to_string(&out).unwrap(),
        "cam@example.org\nIt's {body}; $(not run)\n--file=/up/a b.jpg\n{x}\nto=archive@bridge\nbody=Text~alt\n"
    );
}

#[test]
fn shell_failures_are_retried_then_kept_as_failed() {
    let tmp = TempDir::new("shellfail");
    let counter = tmp.path().join("count");
    let dir = tmp.path().join("outbox");
    // Fails twice, then succeeds.
    let script = "n=$(cat \"$0\" 2>/dev/null || echo 0); n=$((n+1)); echo $n > \"$0\"; \
                  [ $n -ge 3 ] || { echo \"boom $n\" >&2; exit 4; }";
    let settings = shell_settings(&["/bin/sh", "-c", script, counter.to_str().unwrap()], None);
    let outbox = Outbox::open(&dir, settings).unwrap();
    let flaky = outbox
        .enqueue_shell(Some("archive"), shell_values("/up/1.jpg"))
        .unwrap();
    let workers = outbox.start();
    let done = wait_state(&dir, &flaky, JobState::Done);
    assert_eq!(done.attempts, 3);
    assert!(workers.shutdown());
    drop(outbox);

    let settings = shell_settings(&["/bin/sh", "-c", "echo 'no space left' >&2; exit 1"], None);
    let outbox = Outbox::open(&dir, settings).unwrap();
    let broken = outbox
        .enqueue_shell(Some("archive"), shell_values("/up/2.jpg"))
        .unwrap();
    let workers = outbox.start();
    let failed = wait_state(&dir, &broken, JobState::Failed);
    assert!(workers.shutdown());
    assert_eq!(failed.attempts, 3, "shell_max_attempts");
    assert_eq!(
        failed.last_error.as_deref(),
        Some("/bin/sh exit status: 1: no space left")
    );
}

#[test]
fn list_and_retry_on_an_outbox_without_daemon() {
    let tmp = TempDir::new("cli");
    assert!(Outbox::retry_now(&tmp.path().join("nothing")).is_err());
    let dir = tmp.path().join("outbox");
    let outbox = Outbox::open(&dir, fast()).unwrap();
    let a = outbox
        .enqueue_shell(None, shell_values("/up/x.jpg"))
        .unwrap();
    drop(outbox);
    let listed = Outbox::list(&dir).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, a.as_str());
    assert_eq!(listed[0].state, JobState::Queued);
    assert_eq!(listed[0].kind, JobKind::Shell);
    assert_eq!(listed[0].detail, "file /up/x.jpg");
    assert_eq!(Outbox::retry_now(&dir).unwrap(), 1);
    assert!(dir.join(disk::RETRY_MARKER).exists());
    let table = Outbox::render_list(&listed, disk::now_ms());
    assert!(
        table.starts_with(a.as_str()) && table.contains("queued"),
        "{table}"
    );
    assert_eq!(Outbox::render_list(&[], 0), "outbox is empty\n");
}
