//! Small primitives: random values, hashes, clocks and parameter parsing.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};
use subtle::ConstantTimeEq;

/// A random value with 256 bits from `rand`'s thread-local CSPRNG, seeded
/// by the operating system (RFC 6749 §10.10 asks for at least 128), base64url without padding,
/// behind a prefix that tells a learner what it is (`at_`, `rt_`, `code_`).
pub fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let mut token = String::with_capacity(prefix.len() + 43);
    token.push_str(prefix);
    URL_SAFE_NO_PAD.encode_string(bytes, &mut token);
    token
}

pub fn sha256(input: &[u8]) -> [u8; 32] {
    Sha256::digest(input).into()
}

/// Compares two secrets in constant time by comparing their SHA-256
/// digests, so neither the content nor the length leaks through timing.
pub fn secrets_equal(given: &str, expected_hash: &[u8; 32]) -> bool {
    sha256(given.as_bytes()).ct_eq(expected_hash).into()
}

/// The PKCE S256 transform (RFC 7636 §4.2).
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(sha256(verifier.as_bytes()))
}

/// RFC 7636 §4.1: 43 to 128 unreserved characters.
pub fn is_pkce_value(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

pub fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

pub fn decode_base64(input: &str) -> Option<Vec<u8>> {
    STANDARD.decode(input.trim()).ok()
}

/// Form or query parameters with RFC 6749's rules applied: a parameter sent
/// without a value is treated as omitted (§3.1), and one sent twice is an
/// error (§3.1, §3.2) whose name is returned.
#[derive(Debug, Default, Clone)]
pub struct Params(HashMap<String, String, foldhash::fast::RandomState>);

impl Params {
    /// Refuses a repeated parameter that the server reads (RFC 6749 §3.1,
    /// §3.2); one it does not know is ignored, repeated or not, as §3.1 and
    /// §3.2 ask (Mastodon.py, for one, sends a field of its own many times).
    pub fn parse(input: &[u8]) -> Result<Self, String> {
        let (params, repeated) = Self::parse_lenient(input);
        match repeated.into_iter().find(|r| is_protocol_parameter(r)) {
            Some(name) => Err(name),
            None => Ok(params),
        }
    }

    /// Keeps the first value of each parameter and lists the repeated ones,
    /// for the authorization endpoint, which must still find where to send
    /// the error.
    pub fn parse_lenient(input: &[u8]) -> (Self, Vec<String>) {
        let mut map = HashMap::default();
        let mut repeated = Vec::new();
        for (k, v) in form_urlencoded::parse(input) {
            if v.is_empty() {
                continue;
            }
            if map.contains_key(k.as_ref()) {
                repeated.push(k.into_owned());
            } else {
                map.insert(k.into_owned(), v.into_owned());
            }
        }
        (Self(map), repeated)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }
}

/// The request parameters this server reads, from RFC 6749 and the RFCs and
/// OpenID specifications it implements.
pub const PROTOCOL_PARAMETERS: [&str; 24] = [
    "grant_type",
    "code",
    "redirect_uri",
    "client_id",
    "client_secret",
    "scope",
    "state",
    "response_type",
    "response_mode",
    "code_verifier",
    "code_challenge",
    "code_challenge_method",
    "refresh_token",
    "username",
    "password",
    "device_code",
    "token",
    "token_type_hint",
    "nonce",
    "prompt",
    "max_age",
    "login_hint",
    "id_token_hint",
    "post_logout_redirect_uri",
];

pub fn is_protocol_parameter(name: &str) -> bool {
    PROTOCOL_PARAMETERS.contains(&name)
}

/// Splits a space-separated scope string (RFC 6749 §3.3) into sorted,
/// unique tokens.
pub fn scope_set(scope: &str) -> Vec<String> {
    let mut v: Vec<String> = scope.split(' ').filter(|s| !s.is_empty()).map(str::to_string).collect();
    v.sort();
    v.dedup();
    v
}

pub fn scope_string(scopes: &[String]) -> String {
    scopes.join(" ")
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// A `Set-Cookie` value for a cookie only this server's own pages read:
/// HttpOnly, SameSite=Strict, on `path`, for `max_age`; Secure when the
/// server is reached over https.
pub fn strict_cookie(
    name: &str,
    value: String,
    path: &str,
    max_age: std::time::Duration,
    secure: bool,
) -> Option<axum::http::HeaderValue> {
    let max_age = cookie::time::Duration::seconds(i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX));
    let c = cookie::Cookie::build((name, value))
        .path(path.to_string())
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .max_age(max_age)
        .secure(secure)
        .build();
    axum::http::HeaderValue::from_str(&c.to_string()).ok()
}

/// The media type of a request's body, lower-case, without parameters
/// (`mime`); empty when there is none or it does not parse.
pub fn media_type(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| ct.parse::<mime::Mime>().ok())
        .map(|m| m.essence_str().to_string())
        .unwrap_or_default()
}

/// Whether the request's media type is `expected`.
pub fn has_media_type(headers: &axum::http::HeaderMap, expected: &mime::Mime) -> bool {
    headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| {
        // The usual header is the bare media type: no parse needed.
        ct.eq_ignore_ascii_case(expected.essence_str())
            || ct.parse::<mime::Mime>().is_ok_and(|m| m.essence_str() == expected.essence_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc7636_appendix_b() {
        assert_eq!(s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn params_refuse_repeats_and_drop_empty_values() {
        assert_eq!(Params::parse(b"scope=read&scope=write").unwrap_err(), "scope");
        // A parameter the server does not read is ignored, repeated or not.
        assert_eq!(Params::parse(b"a=1&a=2&code=c").unwrap().get("code"), Some("c"));
        let p = Params::parse(b"a=&b=2").unwrap();
        assert!(!p.contains("a"));
        assert_eq!(p.get("b"), Some("2"));
    }

    #[test]
    fn tokens_are_long_and_distinct() {
        let a = random_token("at_");
        let b = random_token("at_");
        assert_ne!(a, b);
        assert_eq!(a.len(), 3 + 43);
    }
}
