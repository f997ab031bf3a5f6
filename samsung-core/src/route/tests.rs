use super::*;
use alloc::string::ToString;
use proptest::prelude::*;

fn act(kind: ActionKind, instance: Option<&str>) -> Action {
    Action {
        kind,
        instance: instance.map(String::from),
    }
}

#[test]
fn action_parse_table() {
    use ActionKind::*;
    let cases: &[(&str, Result<Action, RouteError>)] = &[
        ("store", Ok(act(Store, None))),
        ("mail", Ok(act(Mail, None))),
        ("email", Ok(act(Mail, None))),
        ("mastodon", Ok(act(Mastodon, None))),
        ("shell", Ok(act(Shell, None))),
        ("drop", Ok(act(Drop, None))),
        ("Mastodon", Ok(act(Mastodon, None))),
        ("mastodon.friends", Ok(act(Mastodon, Some("friends")))),
        ("store.mailfolder", Ok(act(Store, Some("mailfolder")))),
        ("shell.log-2_x", Ok(act(Shell, Some("log-2_x")))),
        ("email.pub", Ok(act(Mail, Some("pub")))),
        ("", Err(RouteError::UnknownAction)),
        ("post", Err(RouteError::UnknownAction)),
        (" store", Err(RouteError::UnknownAction)),
        (".friends", Err(RouteError::UnknownAction)),
        ("a.b.c", Err(RouteError::TooManyDots)),
        ("mastodon.a.b", Err(RouteError::TooManyDots)),
        ("store..", Err(RouteError::TooManyDots)),
        ("store.", Err(RouteError::BadInstance)),
        ("store./etc", Err(RouteError::BadInstance)),
        ("store.a b", Err(RouteError::BadInstance)),
        ("store.ü", Err(RouteError::BadInstance)),
    ];
    for (input, expect) in cases {
        assert_eq!(&Action::parse(input), expect, "input {input:?}");
    }
    let long = alloc::format!("store.{}", "a".repeat(MAX_INSTANCE_LEN + 1));
    assert_eq!(Action::parse(&long), Err(RouteError::BadInstance));
}

#[test]
fn action_display_round_trips() {
    for s in ["store", "mail", "mastodon.friends", "shell.log", "drop"] {
        let a = Action::parse(s).unwrap();
        assert_eq!(a.to_string(), s);
        assert_eq!(Action::parse(&a.to_string()).unwrap(), a);
    }
    assert_eq!(Action::parse("email").unwrap().to_string(), "mail");
}

fn reference_config() -> Routes {
    // The reference's example config.toml [ACTIONS]; it sets MAIL_SERVER.
    let mut r = Routes::new(
        Action::new(ActionKind::Store),
        Action::new(ActionKind::Mail),
    );
    for (t, a) in [
        ("facebook", "mastodon"),
        ("picasa", "store"),
        ("masto@mydomain.com", "mastodon"),
        ("masto-public@mydomain.com", "mastodon.pub"),
        ("store@mydomain.com", "store.mailfolder"),
        ("drop@mydomain.com", "drop"),
    ] {
        r.insert(t, Action::parse(a).unwrap());
    }
    r
}

#[test]
fn lookups_and_defaults() {
    use ActionKind::*;
    let r = reference_config();
    let cases: &[(&str, bool, Action)] = &[
        ("facebook", true, act(Mastodon, None)),
        ("FaceBook", true, act(Mastodon, None)),
        ("picasa", true, act(Store, None)),
        ("youtube", true, act(Store, None)),
        // One table for both, as in the reference.
        ("masto@mydomain.com", true, act(Mastodon, None)),
        ("masto@mydomain.com", false, act(Mastodon, None)),
        (
            "MASTO-PUBLIC@MyDomain.com",
            false,
            act(Mastodon, Some("pub")),
        ),
        (
            "Friends <store@mydomain.com>",
            false,
            act(Store, Some("mailfolder")),
        ),
        ("  drop@mydomain.com ", false, act(Drop, None)),
        ("someone@example.org", false, act(Mail, None)),
        // Not an address: looked up as typed, like the reference does.
        ("facebook", false, act(Mastodon, None)),
        ("nobody", false, act(Mail, None)),
    ];
    for (target, social, expect) in cases {
        let got = if *social {
            r.for_site(target)
        } else {
            r.for_recipient(target)
        };
        assert_eq!(got, expect, "target {target:?} social={social}");
    }
    assert_eq!(r.default_social(), &act(Store, None));
    assert_eq!(r.default_email(), &act(Mail, None));
    assert_eq!(r.iter().count(), 6);
    assert_eq!(r.iter().next(), Some(("facebook", &act(Mastodon, None))));
}

#[test]
fn insert_replaces_case_insensitively_and_custom_defaults() {
    use ActionKind::*;
    let mut r = Routes::new(act(Drop, None), act(Store, Some("inbox")));
    r.insert("Facebook", act(Mastodon, None));
    r.insert("facebook", act(Shell, Some("log")));
    assert_eq!(r.iter().count(), 1);
    assert_eq!(r.for_site("FACEBOOK"), &act(Shell, Some("log")));
    assert_eq!(r.for_site("picasa"), &act(Drop, None));
    assert_eq!(r.for_recipient("x@y"), &act(Store, Some("inbox")));
}

#[test]
fn v22_user_folder() {
    let f = user_folder(b"xiev5kaMeehaimub", "Camera@samsungcamera.com");
    assert_eq!(f, "yZXbyiz-pZX2DqmBjoRl");
    assert_eq!(f.len(), 20);
    assert_ne!(user_folder(b"other", "Camera@samsungcamera.com"), f);
    assert_ne!(
        user_folder(b"xiev5kaMeehaimub", "camera@samsungcamera.com"),
        f
    );
}

#[test]
fn store_folder_uses_instance() {
    let secret = b"xiev5kaMeehaimub";
    let user = "Camera@samsungcamera.com";
    let cases = [
        (act(ActionKind::Store, None), "yZXbyiz-pZX2DqmBjoRl"),
        (act(ActionKind::Store, Some("mailfolder")), "mailfolder"),
        // Not from `parse`: an unsafe instance name falls back to the HMAC folder.
        (act(ActionKind::Store, Some("../x")), "yZXbyiz-pZX2DqmBjoRl"),
    ];
    for (a, expect) in cases {
        assert_eq!(store_folder(&a, secret, user), expect, "{a:?}");
    }
}

#[test]
fn sanitize_table() {
    let long_stem = "a".repeat(300);
    let long_jpg = alloc::format!("{long_stem}.JPG");
    let expect_long_jpg = alloc::format!("{}.JPG", "a".repeat(MAX_FILE_NAME_LEN - 4));
    let long_ext = alloc::format!("x.{long_stem}");
    let cases: &[(&str, Option<&str>)] = &[
        ("SAM_0001.JPG", Some("SAM_0001.JPG")),
        ("../../etc/passwd", Some("etc_passwd")),
        ("..\\..\\windows\\win.ini", Some("windows_win.ini")),
        ("a/b", Some("a_b")),
        ("..", None),
        (".", None),
        ("", None),
        ("/", None),
        ("._.", None),
        (".hidden", Some("hidden")),
        ("My  cool\tphoto .jpg", Some("My_cool_photo_.jpg")),
        ("  spaced  ", Some("spaced")),
        ("file\0name.jpg", Some("filename.jpg")),
        ("Grüße.jpg", Some("Gre.jpg")),
        ("写真.jpg", Some("jpg")),
        ("写真", None),
        ("a*b?c:d\"e<f>g|h", Some("abcdefgh")),
        ("CON", Some("_CON")),
        ("con.txt", Some("_con.txt")),
        ("console.txt", Some("console.txt")),
        ("trailing.", Some("trailing")),
        ("-dash-", Some("-dash-")),
        (&long_jpg, Some(&expect_long_jpg)),
    ];
    for (input, expect) in cases {
        assert_eq!(
            sanitize_file_name(input).as_deref(),
            *expect,
            "input {input:?}"
        );
    }
    // An "extension" too long to be one is cut like the rest.
    let got = sanitize_file_name(&long_ext).unwrap();
    assert_eq!(got.len(), MAX_FILE_NAME_LEN);
    assert!(got.starts_with("x.aaa"));
}

#[test]
fn name_candidates_table() {
    let first = |name: &str| name_candidates(name).take(3).collect::<Vec<_>>();
    assert_eq!(
        first("SAM_0001.JPG"),
        ["SAM_0001.JPG", "SAM_0001-1.JPG", "SAM_0001-2.JPG"]
    );
    assert_eq!(first("a.tar.gz"), ["a.tar.gz", "a.tar-1.gz", "a.tar-2.gz"]);
    assert_eq!(first("noext"), ["noext", "noext-1", "noext-2"]);
    assert_eq!(first(".profile"), [".profile", ".profile-1", ".profile-2"]);
    assert_eq!(
        name_candidates("x.jpg").count(),
        MAX_NAME_CANDIDATES as usize
    );
    assert_eq!(name_candidates("x.jpg").last().unwrap(), "x-9999.jpg");
}

#[test]
fn parse_address_table() {
    let cases: &[(&str, Option<&str>)] = &[
        ("Camera@samsungcamera.com", Some("Camera@samsungcamera.com")),
        ("  a@b.c  ", Some("a@b.c")),
        (
            "Camera <Camera@samsungcamera.com>",
            Some("Camera@samsungcamera.com"),
        ),
        ("\"Doe, John\" <john@example.org>", Some("john@example.org")),
        ("<x@y>", Some("x@y")),
        ("Name < x@y >", Some("x@y")),
        ("no address", None),
        ("", None),
        ("@example.org", None),
        ("user@", None),
        ("Name <unterminated@x", None),
        ("Name <>", None),
        ("a@b, c@d", None),
        ("Name <a b@c>", None),
    ];
    for (input, expect) in cases {
        assert_eq!(parse_address(input), *expect, "input {input:?}");
    }
}

const KINDS: &[&str] = &["store", "mail", "mastodon", "shell", "drop"];

proptest! {
    #[test]
    fn name_candidates_are_distinct_and_keep_the_extension(
        name in "[A-Za-z0-9_-]{0,12}(\\.[A-Za-z0-9]{1,5})?",
        take in 1usize..200,
    ) {
        let names: Vec<String> = name_candidates(&name).take(take).collect();
        prop_assert_eq!(&names[0], &name);
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        prop_assert_eq!(sorted.len(), names.len());
        if let Some(dot) = name.rfind('.').filter(|&d| d > 0) {
            for n in &names {
                prop_assert!(n.ends_with(&name[dot..]));
            }
        }
    }

    #[test]
    fn sanitize_invariants(name in "\\PC{0,300}|[./\\\\ a-zA-Z0-9_-]{0,200}") {
        if let Some(s) = sanitize_file_name(&name) {
            prop_assert!(!s.is_empty());
            prop_assert!(s != "." && s != "..");
            prop_assert!(!s.starts_with('.'));
            prop_assert!(!s.contains(['/', '\\', '\0']));
            prop_assert!(s.len() <= MAX_FILE_NAME_LEN);
            prop_assert!(s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)));
            // Idempotent, so re-sanitising a stored name cannot rename it.
            let again = sanitize_file_name(&s);
            prop_assert_eq!(again.as_deref(), Some(s.as_str()));
        }
    }

    #[test]
    fn action_parse_display(kind in prop::sample::select(KINDS),
                            inst in proptest::option::of("[A-Za-z0-9_-]{1,20}")) {
        let s = match &inst { Some(i) => alloc::format!("{kind}.{i}"), None => String::from(kind) };
        let a = Action::parse(&s).unwrap();
        prop_assert_eq!(a.instance.as_deref(), inst.as_deref());
        prop_assert_eq!(a.to_string(), s);
    }

    #[test]
    fn user_folder_shape(secret in proptest::collection::vec(any::<u8>(), 0..80), user in "\\PC{0,40}") {
        let f = user_folder(&secret, &user);
        prop_assert_eq!(f.len(), 20);
        prop_assert!(f.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }
}
