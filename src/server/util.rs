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
    pub fn parse(input: &[u8]) -> Result<Self, String> {
        let (params, repeated) = Self::parse_lenient(input);
        match repeated.into_iter().next() {
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
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The media type of a request's body as sent, without parameters.
fn media_type_as_sent(headers: &axum::http::HeaderMap) -> &str {
    let ct = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    ct.split(';').next().unwrap_or("").trim()
}

/// Whether the request's media type is `expected`, compared
/// case-insensitively without allocating (it runs on every token request).
pub fn has_media_type(headers: &axum::http::HeaderMap, expected: &str) -> bool {
    media_type_as_sent(headers).eq_ignore_ascii_case(expected)
}

/// The media type of a request's body, lower-case, without parameters.
pub fn media_type(headers: &axum::http::HeaderMap) -> String {
    media_type_as_sent(headers).to_ascii_lowercase()
}

/// Minimal HTML escaping for the server-rendered pages.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
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
        assert_eq!(Params::parse(b"a=1&a=2").unwrap_err(), "a");
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
