//! The fixed answers of the social and e-mail endpoints.

use alloc::string::String;
use core::fmt::Write as _;

use crate::http::OwnedResponse;

/// The login answer (PROTOCOL.md §2.3), byte-compatible with the reference.
pub fn login_reply(key: &str, screen_name: &str) -> OwnedResponse {
    let mut body = String::new();
    let _ = write!(
        body,
        "<Response SessionKey=\"{key}\">\n<PersistKey Value=\"\"/>\n<CryptSessionKey Value=\"{key}\"/>\n<LoginPeopleID=\"{}\"/>\n<OAuth URL=\"http://snsgw.samsungmobile.com/oauth\"/>\n</Response>",
        crate::xml::escape(screen_name)
    );
    OwnedResponse::html(200, body)
}

/// The answer to a stored upload or an accepted e-mail.
pub fn succ_reply() -> OwnedResponse {
    OwnedResponse::html(200, "<Response Status=\"succ\" />")
}

/// The logout answer of the reference.
pub fn logout_reply() -> OwnedResponse {
    OwnedResponse::html(200, "Logged out for real!")
}

/// The ST1000 time answer, for a wall clock in milliseconds since the Unix epoch.
pub fn time_reply(unix_millis: u64) -> OwnedResponse {
    let mut body = String::new();
    let _ = write!(
        body,
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><initializeResult><currentServerTime>{unix_millis}</currentServerTime></initializeResult>"
    );
    OwnedResponse::html(200, body)
}
