//! `state` bound to the browser that began a login (RFC 6749 §10.12, RFC
//! 9700 §4.7.1): the app sets a cookie with a random value when it sends
//! the browser to the authorization server, keeps its digest beside the
//! `state`, and the callback counts only when that cookie comes back. A
//! callback link planted in another browser (Mallory's, opened by alice)
//! carries a `state`, but not alice's cookie for it.

use super::tags::APP_BROWSER_COOKIE;
use crate::oauth::util::{cookie, random_token, secrets_equal, sha256};
use axum::http::{HeaderMap, HeaderValue};

/// The browser's app cookie: its value's digest, to keep with the
/// `state`, and the `Set-Cookie` to send when the browser has none yet.
pub fn browser(headers: &HeaderMap, path: &str) -> ([u8; 32], Option<HeaderValue>) {
    if let Some(v) = cookie(headers, APP_BROWSER_COOKIE).filter(|v| (32..=100).contains(&v.len())) {
        return (sha256(v.as_bytes()), None);
    }
    let value = random_token("");
    let c = cookie::Cookie::build((APP_BROWSER_COOKIE, value.clone()))
        .path(path.to_string())
        .http_only(true)
        // Lax: the callback is a top-level navigation from the
        // authorization server, which must bring it.
        .same_site(cookie::SameSite::Lax)
        .max_age(cookie::time::Duration::hours(1))
        .build();
    (sha256(value.as_bytes()), HeaderValue::from_str(&c.to_string()).ok())
}

/// Whether the callback's browser is the one `state` was sent to.
pub fn same_browser(headers: &HeaderMap, bound: Option<&[u8; 32]>) -> bool {
    let Some(bound) = bound else { return false };
    cookie(headers, APP_BROWSER_COOKIE).is_some_and(|v| secrets_equal(&v, bound))
}
