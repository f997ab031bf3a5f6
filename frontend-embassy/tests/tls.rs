//! Forwarding over TLS (mbedtls-rs, the board's TLS code) to mastodon-mock
//! serving a certificate from a CA the test makes, trusted through the
//! configuration's `[TLS] CA`: a photo batch and an e-mail are posted; a
//! certificate for another name, or from another CA, is refused with a
//! clear log line and the camera gets an error answer.

mod common;

use std::time::Duration;

use common::mock::{Mock, Pki, Scratch};
use common::*;
use samsung_bridge_embassy::App;
use samsung_bridge_embassy::host::{OsRng, TcpUpstream, unix_millis_now};
use samsung_bridge_embassy::tls::TlsClient;
use samsung_conformance::template::jpeg_of_len;

#[test]
fn tls_with_verification_posts_and_refuses_wrong_certificates() {
    let dir = Scratch::new("pki");
    let good = Pki::new(&dir.0, "good");
    let other = Pki::new(&dir.0, "other");
    let mock = Mock::start_tls(&good);
    let stranger = Mock::start_tls(&other);
    let ca = std::fs::read_to_string(&good.ca_pem).expect("CA");
    let config = board_config(&format!(
        "[MASTODON.good]\nBASE_URL = \"https://localhost:{p}\"\nTOKEN = \"alice_token\"\n\
         [MASTODON.wrongname]\nBASE_URL = \"https://127.0.0.1:{p}\"\nTOKEN = \"alice_token\"\n\
         [MASTODON.otherca]\nBASE_URL = \"https://localhost:{q}\"\nTOKEN = \"alice_token\"\n\
         [ACTIONS]\nfacebook = \"mastodon.good\"\n\"good@example.org\" = \"mastodon.good\"\n\
         \"name@example.org\" = \"mastodon.wrongname\"\n\"ca@example.org\" = \"mastodon.otherca\"\n\
         [TLS]\nCA = '''\n{ca}'''\n",
        p = mock.port,
        q = stranger.port,
    ));
    let rng: &'static mut OsRng = Box::leak(Box::new(OsRng));
    let tls = TlsClient::new(rng, config.extra_ca_pem.as_deref()).expect("TLS set-up");
    let app: &'static App<TcpUpstream> = Box::leak(Box::new(
        App::new(config, TcpUpstream::new(), [9; 32]).with_tls(tls),
    ));
    app.set_unix_time(unix_millis_now());
    let (photo, attached) = (jpeg_of_len(40_000).unwrap(), jpeg_of_len(3_000).unwrap());
    let toots = run(app, async |cam| {
        // A social photo streamed over TLS (Content-Length framing).
        let key = login(cam, "facebook").await;
        assert_eq!(
            status(&announce(cam, "facebook", &key, "T.JPG", "Over TLS~t").await),
            200
        );
        let a = exchange(cam, &put_request(&key, "T.JPG", &photo)).await;
        assert_eq!(
            body(&a),
            "<Response Status=\"succ\" />",
            "{}",
            String::from_utf8_lossy(&a)
        );
        // An e-mail attachment over TLS (chunked framing).
        let req = email(
            &["good@example.org"],
            "Mail over TLS~m",
            &[("M.JPG", "image/jpeg", &attached)],
        );
        assert_eq!(
            body(&exchange(cam, &req).await),
            "<Response Status=\"succ\" />"
        );
        // The certificate names localhost, not 127.0.0.1.
        let req = email(
            &["name@example.org"],
            "x~y",
            &[("N.JPG", "image/jpeg", &attached)],
        );
        let a = exchange(cam, &req).await;
        assert_eq!(status(&a), 500, "{}", body(&a));
        // A certificate from a CA nobody trusts.
        let req = email(
            &["ca@example.org"],
            "x~y",
            &[("C.JPG", "image/jpeg", &attached)],
        );
        let a = exchange(cam, &req).await;
        assert_eq!(status(&a), 500, "{}", body(&a));
        eventually("both statuses", Duration::from_secs(60), || {
            let t = mock.statuses();
            (t.len() >= 2).then_some(t)
        })
        .await
    });
    let lines = log_lines();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("127.0.0.1") && l.contains("not for this host name")),
        "no clear line for the wrong name: {lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("localhost") && l.contains("not trusted")),
        "no clear line for the unknown CA: {lines:#?}"
    );
    assert_eq!(toots.len(), 2, "{toots:#?}");
    let mut texts: Vec<&str> = toots.iter().map(|t| t.text.as_str()).collect();
    texts.sort();
    assert!(
        texts[0].starts_with("Mail over TLS") && texts[1].starts_with("Over TLS"),
        "{texts:?}"
    );
    let bytes: Vec<Vec<u8>> = toots
        .iter()
        .map(|t| mock.get_bytes(&t.media[0].1))
        .collect();
    assert!(
        bytes.contains(&photo) && bytes.contains(&attached),
        "the media bytes on the server differ"
    );
    assert!(
        stranger.statuses().is_empty(),
        "nothing may reach the server with the wrong certificate"
    );
}
