//! Property tests: generated input for the parsers the servers expose
//! (token request, Basic auth, authorization request, registration JSON)
//! never yields a 5xx, and every refusal is in the RFC's format. Rate
//! limits are off here: they would answer 429 before the parsers run.

use crate::common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;

const KEYS: [&str; 14] = [
    "grant_type",
    "code",
    "client_id",
    "client_secret",
    "scope",
    "redirect_uri",
    "code_verifier",
    "refresh_token",
    "username",
    "password",
    "token",
    "response_type",
    "state",
    "code_challenge",
];

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("authorization_code".to_string()),
        Just("client_credentials".to_string()),
        Just("password".to_string()),
        Just("refresh_token".to_string()),
        Just("web-app".to_string()),
        Just("service".to_string()),
        Just("read write".to_string()),
        "\\PC{0,40}",
        "[%&=+a-zA-Z0-9]{0,30}",
    ]
}

fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((prop::sample::select(KEYS.to_vec()).prop_map(str::to_string), value()), 0..8)
}

fn authorization() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some(basic("service", "service-secret"))),
        Just(Some(basic("web-app", "web-app-secret"))),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(|b| {
            Some(format!("Basic {}", base64::Engine::encode(&base64::engine::general_purpose::STANDARD, b)))
        }),
        "\\PC{0,30}".prop_map(Some),
    ]
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "\\PC{0,20}".prop_map(Value::String),
        Just(Value::String("https://example.com/cb".into())),
        Just(Value::String("http://127.0.0.1/cb".into())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop::sample::select(vec![
                        "redirect_uris",
                        "grant_types",
                        "response_types",
                        "scope",
                        "token_endpoint_auth_method",
                        "client_name",
                        "other",
                    ]),
                    inner
                ),
                0..6
            )
            .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

fn runner() -> TestRunner {
    TestRunner::new(Config { cases: 150, failure_persistence: None, ..Config::default() })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

#[test]
fn token_endpoint_never_5xx_and_errors_are_rfc_json() {
    let rt = runtime();
    let lab = rt.block_on(start_with(|c| c.rate_per_minute = 0));
    runner()
        .run(&(pairs(), authorization()), |(pairs, auth)| {
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let r = rt.block_on(lab.token(auth.as_deref(), &pairs));
            prop_assert!(r.status.as_u16() < 500, "{} {}", r.status, r.text);
            if r.status.is_client_error() {
                let v: Value = serde_json::from_str(&r.text).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert!(v["error"].is_string() && v["error_description"].is_string(), "{}", r.text);
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn authorization_endpoint_never_5xx_and_never_redirects_elsewhere() {
    let rt = runtime();
    let lab = rt.block_on(start_with(|c| c.rate_per_minute = 0));
    let callback = lab.callback();
    let strategy = (pairs(), prop::option::of(prop::sample::select(vec!["web-app", "spa", "service", "nobody"])));
    runner()
        .run(&strategy, |(mut pairs, client)| {
            if let Some(c) = client {
                pairs.push(("client_id".into(), c.into()));
            }
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let r = rt.block_on(lab.authorize(&pairs));
            prop_assert!(r.status.as_u16() < 500, "{} {}", r.status, r.text);
            if r.status.is_redirection() {
                let loc = r.header("location");
                prop_assert!(loc.starts_with(&callback) || loc.starts_with(&lab.spa_callback()), "{loc}");
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn registration_never_5xx() {
    let rt = runtime();
    let lab = rt.block_on(start_with(|c| c.rate_per_minute = 0));
    runner()
        .run(&json(), |meta| {
            let r = rt.block_on(lab.register(meta.clone()));
            prop_assert!(r.status.as_u16() < 500, "{meta}: {} {}", r.status, r.text);
            prop_assert!(r.status.as_u16() == 201 || r.status.as_u16() == 400, "{meta}: {}", r.status);
            Ok(())
        })
        .unwrap();
}

#[test]
fn params_and_basic_parsing_never_panic() {
    runner()
        .run(&prop::collection::vec(any::<u8>(), 0..200), |bytes| {
            let _ = oauth2_lab::oauth::util::Params::parse(&bytes);
            let _ = oauth2_lab::oauth::util::Params::parse_lenient(&bytes);
            let _ = oauth2_lab::run::parse_form(&String::from_utf8_lossy(&bytes));
            Ok(())
        })
        .unwrap();
}

/// The cargo-fuzz corpus (fuzz/corpus, seeds plus what `bench/fuzz.sh`
/// found worth keeping) replayed through the router on stable Rust: no
/// input may get a 5xx or panic.
#[test]
fn committed_fuzz_corpus_never_5xx() {
    use oauth2_lab::web::fuzzing::{Harness, Target};
    let harness = Harness::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    for target in Target::ALL {
        let dir = root.join(target.name());
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            if let Some(status) = harness.run(target, &data) {
                assert!(status.as_u16() < 500, "{}: {status}", path.display());
                seen += 1;
            }
        }
        assert!(seen >= 4, "{}: only {seen} inputs replayed", target.name());
    }
}

/// The device grant's endpoints and the verification form, and bearer
/// tokens shaped like JWTs, with generated input: never a 5xx.
#[test]
fn device_endpoints_and_jwt_shaped_bearers_never_5xx() {
    let rt = runtime();
    let lab = rt.block_on(start_with(|c| c.rate_per_minute = 0));
    let keys = prop::sample::select(vec![
        "client_id",
        "scope",
        "user_code",
        "csrf_token",
        "decision",
        "username",
        "device_code",
    ]);
    let fields = prop::collection::vec((keys.prop_map(str::to_string), value()), 0..6);
    let bearer = prop_oneof![
        "eyJ[A-Za-z0-9_-]{0,40}\\.[A-Za-z0-9_-]{0,60}\\.[A-Za-z0-9_-]{0,40}",
        "[A-Za-z0-9_.-]{0,80}",
        "\\PC{0,40}",
    ];
    runner()
        .run(&(fields, authorization(), bearer), |(fields, auth, bearer)| {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            for path in ["/oauth/device_authorization", "/oauth/device"] {
                let r = rt.block_on(lab.post_form(path, auth.as_deref(), &pairs));
                prop_assert!(r.status.as_u16() < 500, "{path}: {} {}", r.status, r.text);
            }
            let query = form(&pairs);
            let r = rt.block_on(lab.get(&format!("/oauth/device?{query}")));
            prop_assert!(r.status.as_u16() < 500, "GET /oauth/device?{query}: {}", r.status);
            let r = rt.block_on(lab.get_auth("/api/v1/accounts/verify_credentials", &format!("Bearer {bearer}")));
            prop_assert!(r.status.as_u16() < 500 && r.status.as_u16() != 200, "{bearer}: {}", r.status);
            Ok(())
        })
        .unwrap();
}
