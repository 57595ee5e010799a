//! Clients from other ecosystems, unmodified from their registries, against
//! the running lab: Authlib (Python) as an OpenID Connect relying party.
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
async fn run(script: &str, args: Vec<String>) -> serde_json::Value {
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
