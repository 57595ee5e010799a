//! Clients from other ecosystems, unmodified from their registries, against
//! the running lab: Authlib (Python) as an OpenID Connect relying party, and
//! Mastodon.py as the seed's bot.
//! `scripts/setup.sh test` installs them into `.venv-tests`
//! (`tests/python/requirements.txt`); `LAB_TEST_PYTHON` names another
//! interpreter that has them.

use crate::common::*;
use std::path::PathBuf;

fn python() -> PathBuf {
    if let Ok(p) = std::env::var("LAB_TEST_PYTHON") {
        return p.into();
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv-tests/bin/python");
    assert!(p.exists(), "{} is missing: scripts/setup.sh test installs the third-party clients", p.display());
    p
}

/// Runs `tests/python/<script>` with `args`; its standard output as JSON.
pub async fn run(script: &str, args: Vec<String>) -> serde_json::Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python").join(script);
    let out = tokio::task::spawn_blocking(move || std::process::Command::new(python()).arg(path).args(args).output())
        .await
        .unwrap()
        .expect("the Python client runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{script} failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{script} printed no JSON ({e}): {stdout}"))
}

#[tokio::test]
async fn authlib_signs_in_with_discovery_and_validates_the_id_token() {
    let lab = start().await;
    let seen = run("authlib_rp.py", vec![lab.url("")]).await;
    assert_eq!(seen["aud"], "web-app");
    assert_eq!(seen["nonce"], true);
    assert_eq!(seen["email"], "alice@example.com");
    assert_eq!(seen["name"], "Alice Liddell");
    let sub = seen["sub"].as_str().unwrap();
    assert!(!sub.is_empty() && sub != "alice" && !sub.contains('@'), "an opaque sub: {sub}");
}

/// The seed's bot with Mastodon.py, unmodified: create an app, the password
/// grant, toot, read, verify credentials, delete, revoke; then the code flow
/// with granular scopes and the out-of-band code.
#[tokio::test]
async fn mastodon_py_runs_the_seeds_bot_and_the_code_flow() {
    let lab = start().await;
    let seen = run("mastodon_bot.py", vec![lab.url("")]).await;
    let bot = &seen["bot"];
    assert_eq!(bot["instance_version"], "4.3.0");
    assert_eq!(bot["username"], "alice");
    // The toot's text comes back escaped, as HTML: nothing posted runs as code.
    assert_eq!(bot["content"], "<p>Hello, fediverse! My first toot, from a bot in OAuth2 Lab &lt;3</p>");
    assert_eq!(bot["again"], bot["content"]);
    assert_eq!(bot["on_home"], true);
    assert_eq!(bot["app_name"], "oauth2-lab seed bot");
    assert_eq!(bot["app_website"], "https://example.org/bot");
    assert_eq!(bot["deleted_text"], "Hello, fediverse! My first toot, from a bot in OAuth2 Lab <3");
    assert_eq!(bot["revoked"], true, "the revoked token no longer works");
    // The app made with /api/v1/apps is a client of the RFC 6749 token
    // endpoint like any other: with HTTP Basic, for a token of its own.
    use base64::Engine;
    let (id, secret) = (bot["client_id"].as_str().unwrap(), bot["client_secret"].as_str().unwrap());
    let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}")));
    let own =
        lab.post_form("/oauth/token", Some(&basic), &[("grant_type", "client_credentials"), ("scope", "read")]).await;
    assert_eq!(own.status, axum::http::StatusCode::OK, "{}", own.text);
    assert!(own.json()["created_at"].as_u64().is_some(), "Mastodon's created_at: {}", own.text);

    let code = &seen["code"];
    assert_eq!(code["username"], "bob");
    assert_eq!(code["toot"], "<p>Signed in with the code flow</p>");
    // read:accounts and write:statuses were granted, read:statuses was not.
    assert!(code["timeline_refused"].as_str().unwrap().contains("403"), "{code}");
}
