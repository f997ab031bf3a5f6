use alloc::string::ToString;
use alloc::vec;

use super::*;
use crate::crypto::Secret;
use crate::route::Routes;
use crate::sns::{Bridge, BridgeConfig, TransferId};
use crate::xml::{EmailMessage, MediaKind};

fn action(spec: &str) -> Action {
    Action::parse(spec).unwrap()
}

fn batch(index: usize, expected: Option<usize>) -> BatchRef {
    BatchRef {
        id: String::from("00112233aabbccdd"),
        index,
        expected,
        caption: String::from("Holiday"),
        alt: Some(String::from("a beach")),
        album: Some(String::from("NX300")),
        last: expected.is_some_and(|n| index + 1 == n),
    }
}

fn upload(spec: &str, batch: BatchRef) -> Upload {
    Upload {
        transfer: TransferId(7),
        user: String::from("Camera@samsungcamera.com"),
        site: String::from("facebook"),
        folder: String::from("yZXbyiz-pZX2DqmBjoRl"),
        action: action(spec),
        file_name: String::from("SAM_0001.JPG"),
        kind: MediaKind::Photo,
        content_type: Some(String::from("image/jpeg")),
        length: 3,
        batch,
    }
}

#[test]
fn upload_plans_by_action() {
    let folder = || String::from("yZXbyiz-pZX2DqmBjoRl");
    let shell_values = ShellValues {
        sender: String::from("Camera@samsungcamera.com"),
        recipient: String::from("facebook"),
        subject: String::from("NX300"),
        body: String::from("Holiday"),
    };
    let table: [(&str, BatchRef, Vec<Delivery>); 8] = [
        (
            "drop",
            batch(0, None),
            vec![Delivery::Drop { recipient: None }],
        ),
        (
            "store",
            batch(0, None),
            vec![Delivery::Store {
                recipient: None,
                folder: folder(),
            }],
        ),
        (
            "mail",
            batch(0, None),
            vec![
                Delivery::Store {
                    recipient: None,
                    folder: folder(),
                },
                Delivery::Warning(DeliveryWarning::MailOnSocialSite {
                    site: String::from("facebook"),
                }),
            ],
        ),
        (
            "shell",
            batch(0, None),
            vec![Delivery::Shell {
                instance: None,
                folder: folder(),
                values: shell_values.clone(),
            }],
        ),
        (
            "shell.resize",
            batch(0, None),
            vec![Delivery::Shell {
                instance: Some(String::from("resize")),
                folder: folder(),
                values: shell_values,
            }],
        ),
        (
            "mastodon",
            batch(0, Some(2)),
            vec![Delivery::AddToBatch {
                instance: None,
                batch: batch(0, Some(2)),
            }],
        ),
        (
            "mastodon.friends",
            batch(1, Some(2)),
            vec![
                Delivery::AddToBatch {
                    instance: Some(String::from("friends")),
                    batch: batch(1, Some(2)),
                },
                Delivery::CloseBatch {
                    batch: String::from("00112233aabbccdd"),
                },
            ],
        ),
        // Without alt texts the camera did not say how many files come:
        // the batch is closed by its idle time, not by a file.
        (
            "mastodon",
            batch(3, None),
            vec![Delivery::AddToBatch {
                instance: None,
                batch: batch(3, None),
            }],
        ),
    ];
    for (spec, batch, want) in table {
        assert_eq!(plan_upload(&upload(spec, batch)), want, "{spec}");
    }
}

#[test]
fn a_mail_warning_reads_like_the_log_line() {
    let w = DeliveryWarning::MailOnSocialSite {
        site: String::from("picasa"),
    };
    assert_eq!(
        w.to_string(),
        "action mail for site picasa: the social API has no recipient; stored only"
    );
}

const SENDER_FOLDER: &str = "yZXbyiz-pZX2DqmBjoRl";

/// An accepted e-mail from the V22 camera user to `receivers`, routed by
/// `actions` (recipient → action; others get the e-mail default `mail`).
fn email(receivers: &[&str], actions: &[(&str, &str)], body: &str, attachments: usize) -> Email {
    let mut routes = Routes::new(action("store"), action("mail"));
    for (target, spec) in actions {
        routes.insert(target, action(spec));
    }
    let config = BridgeConfig {
        secret: Secret::new(b"xiev5kaMeehaimub".to_vec()),
        routes,
        ..BridgeConfig::default()
    };
    let message = EmailMessage {
        sender: String::from("Camera <Camera@samsungcamera.com>"),
        receivers: receivers.iter().map(|r| r.to_string()).collect(),
        title: String::from("[Samsung Smart Camera] sent you files."),
        body: String::from(body),
    };
    let email = Bridge::new(config, [1; 32])
        .accept_email(TransferId(3), message, attachments)
        .unwrap();
    assert_eq!(email.folder, SENDER_FOLDER);
    email
}

fn mail(to: &[&str], body: &str) -> Delivery {
    Delivery::Mail(MailDelivery {
        from: String::from("Camera <Camera@samsungcamera.com>"),
        to: to.iter().map(|r| r.to_string()).collect(),
        subject: String::from("[Samsung Smart Camera] sent you files."),
        body: String::from(body),
    })
}

fn shell(instance: Option<&str>, recipient: &str, body: &str) -> Delivery {
    Delivery::Shell {
        instance: instance.map(String::from),
        folder: String::from(SENDER_FOLDER),
        values: ShellValues {
            sender: String::from("Camera@samsungcamera.com"),
            recipient: String::from(recipient),
            subject: String::from("[Samsung Smart Camera] sent you files."),
            body: String::from(body),
        },
    }
}

/// Recipients as the camera sent them, recipient → action, the plan.
type EmailCase = (
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
    Vec<Delivery>,
);

#[test]
fn email_plans_by_action() {
    let some = |s: &str| Some(String::from(s));
    let table: [EmailCase; 8] = [
        (&["a@x.org"], &[], vec![mail(&["a@x.org"], "Hi")]),
        (
            &["a@x.org"],
            &[("a@x.org", "drop")],
            vec![Delivery::Drop {
                recipient: some("a@x.org"),
            }],
        ),
        (
            &["a@x.org"],
            &[("a@x.org", "store")],
            vec![Delivery::Store {
                recipient: some("a@x.org"),
                folder: String::from(SENDER_FOLDER),
            }],
        ),
        (
            &["a@x.org"],
            &[("a@x.org", "store.family")],
            vec![Delivery::Store {
                recipient: some("a@x.org"),
                folder: String::from("family"),
            }],
        ),
        (
            &["a@x.org"],
            &[("a@x.org", "shell")],
            vec![shell(None, "a@x.org", "Hi")],
        ),
        // A shell instance names the command; the files still go to the
        // sender's folder.
        (
            &["a@x.org"],
            &[("a@x.org", "shell.resize")],
            vec![shell(Some("resize"), "a@x.org", "Hi")],
        ),
        // Every `mail` recipient gets the same one mail, after the others,
        // and duplicates are merged.
        (
            &["c@x.org", "b@x.org", "Bob <b@x.org>", "a@x.org"],
            &[("b@x.org", "store")],
            vec![
                Delivery::Store {
                    recipient: some("b@x.org"),
                    folder: String::from(SENDER_FOLDER),
                },
                mail(&["a@x.org", "c@x.org"], "Hi"),
            ],
        ),
        (
            &["d@x.org", "a@x.org", "b@x.org", "c@x.org"],
            &[("a@x.org", "drop"), ("c@x.org", "shell")],
            vec![
                Delivery::Drop {
                    recipient: some("a@x.org"),
                },
                shell(None, "c@x.org", "Hi"),
                mail(&["b@x.org", "d@x.org"], "Hi"),
            ],
        ),
    ];
    for (receivers, actions, want) in table {
        let e = email(receivers, actions, "Hi", 1);
        assert_eq!(plan_email(&e), want, "{receivers:?} {actions:?}");
    }
}

#[test]
fn a_mastodon_recipient_posts_the_caption_with_one_alt_per_file() {
    let e = email(
        &["toot@x.org", "friend@x.org"],
        &[("toot@x.org", "mastodon.friends")],
        "Beach day~sand~sea",
        2,
    );
    assert_eq!(
        plan_email(&e),
        [
            Delivery::MastodonPost {
                recipient: String::from("toot@x.org"),
                instance: Some(String::from("friends")),
                caption: String::from("Beach day"),
                alts: vec![String::from("sand"), String::from("sea")],
            },
            mail(&["friend@x.org"], "Beach day~sand~sea"),
        ]
    );
}
