//! Media types of the files the cameras send: the camera's own header when
//! it says something, else a guess from the file name. One table for every
//! use (Mastodon media, mail attachments, downloads), so a file is sent as the
//! same type wherever it goes.

use alloc::borrow::Cow;

/// The type of bytes nobody described.
pub const OCTET_STREAM: &str = "application/octet-stream";

/// Extensions (lowercase) the cameras and their users produce, and their types.
const BY_EXTENSION: &[(&str, &str)] = &[
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("png", "image/png"),
    ("gif", "image/gif"),
    ("mp4", "video/mp4"),
    ("mov", "video/quicktime"),
    ("avi", "video/x-msvideo"),
    ("3gp", "video/3gpp"),
    ("mts", "video/mp2t"),
    ("m2ts", "video/mp2t"),
    ("wav", "audio/wav"),
    ("txt", "text/plain; charset=utf-8"),
];

/// The type of a file named `file_name`, from its extension (ASCII case
/// ignored); [`OCTET_STREAM`] when the extension is unknown or missing.
pub fn type_from_name(file_name: &str) -> &'static str {
    let Some((_, ext)) = file_name.rsplit_once('.') else {
        return OCTET_STREAM;
    };
    BY_EXTENSION
        .iter()
        .find(|(e, _)| e.eq_ignore_ascii_case(ext))
        .map_or(OCTET_STREAM, |&(_, t)| t)
}

/// The type to send a file as: the camera's `given` type, normalised
/// ([`crate::mastodon::media_type`]: `image/pjpeg` → `image/jpeg`), unless it
/// is missing or only says [`OCTET_STREAM`]; then the guess from the name.
pub fn content_type<'a>(given: Option<&'a str>, file_name: &str) -> Cow<'a, str> {
    match given.map(crate::mastodon::media_type) {
        Some(t) if t != OCTET_STREAM => t,
        _ => Cow::Borrowed(type_from_name(file_name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_from_names() {
        let table = [
            ("SAM_0001.JPG", "image/jpeg"),
            ("a.jpeg", "image/jpeg"),
            ("a.PNG", "image/png"),
            ("a.gif", "image/gif"),
            ("SAM_0002.MP4", "video/mp4"),
            ("a.mov", "video/quicktime"),
            ("a.avi", "video/x-msvideo"),
            ("a.3gp", "video/3gpp"),
            ("HMX.MTS", "video/mp2t"),
            ("a.m2ts", "video/mp2t"),
            ("memo.wav", "audio/wav"),
            ("notes.txt", "text/plain; charset=utf-8"),
            ("noext", OCTET_STREAM),
            ("trailing.", OCTET_STREAM),
            ("a.jpg.exe", OCTET_STREAM),
            ("", OCTET_STREAM),
        ];
        for (name, want) in table {
            assert_eq!(type_from_name(name), want, "{name}");
        }
    }

    #[test]
    fn the_camera_type_wins_unless_it_says_nothing() {
        let table: [(Option<&str>, &str, &str); 8] = [
            (Some("image/pjpeg"), "x", "image/jpeg"),
            (Some("IMAGE/JPEG; q=1"), "x", "image/jpeg"),
            (Some("video/mp4"), "a.jpg", "video/mp4"),
            (None, "SAM_0001.JPG", "image/jpeg"),
            (Some(""), "SAM_0002.MP4", "video/mp4"),
            (Some("application/octet-stream"), "a.mov", "video/quicktime"),
            (Some("bad\r\ntype"), "a.png", "image/png"),
            (None, "noext", OCTET_STREAM),
        ];
        for (given, name, want) in table {
            assert_eq!(content_type(given, name), want, "{given:?} {name}");
        }
    }
}
