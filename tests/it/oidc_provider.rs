//! "Your own provider" against an OpenID provider the lab did not write:
//! the npm `oidc-provider` (OpenID Certified), installed by the setup
//! script (tests/oidc-provider) and started here on a loopback port. Its
//! development sign-in pages take any login; the test's browser fills
//! them in as a learner would in the new tab.

use crate::common::*;
use crate::own_provider::{act, begin_sign_in, finish_sign_in, kinds, last_answer, own_provider, record, urlencode};
use crate::process::free_port;
use reqwest::StatusCode;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The provider's process, stopped when the test ends, passed or failed.
struct Node(Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// oidc-provider on a free loopback port, with the lab's client
/// registered for `redirect_uri`: the process and its issuer.
async fn oidc_provider(redirect_uri: &str) -> (Node, String) {
    let port = free_port();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc-provider");
    let child = Node(
        Command::new("node")
            .current_dir(dir)
            .args(["server.mjs", &port.to_string(), redirect_uri])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs tests/oidc-provider/server.mjs (scripts/setup.sh installs it)"),
    );
    let issuer = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    for _ in 0..100 {
        let up = http.get(format!("{issuer}/.well-known/openid-configuration")).send().await;
        if up.is_ok_and(|r| r.status().is_success()) {
            return (child, issuer);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("oidc-provider did not start at {issuer}");
}

/// The learner's browser at the provider, from the authorization request
/// on: it follows redirects and fills in each form (any login, then
/// consent) until the provider sends it back to `callback`.
async fn sign_in_at_provider(start: &str, callback: &str) -> String {
    let browser =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut next = browser.get(start).send().await.unwrap();
    for _ in 0..12 {
        if next.status().is_redirection() {
            let location = next.headers()["location"].to_str().unwrap().to_string();
            let location = next.url().join(&location).unwrap().to_string();
            if location.starts_with(callback) {
                return location;
            }
            next = browser.get(&location).send().await.unwrap();
            continue;
        }
        assert_eq!(next.status(), StatusCode::OK, "{}", next.url());
        let page_url = next.url().clone();
        let html = next.text().await.unwrap();
        let (action, mut fields) = {
            let doc = scraper::Html::parse_document(&html);
            let form =
                doc.select(&scraper::Selector::parse("form").unwrap()).next().unwrap_or_else(|| panic!("{html}"));
            let action = form.value().attr("action").unwrap().to_string();
            let inputs = scraper::Selector::parse("input[type=hidden]").unwrap();
            let fields: Vec<(String, String)> = form
                .select(&inputs)
                .map(|i| {
                    (i.value().attr("name").unwrap().to_string(), i.value().attr("value").unwrap_or("").to_string())
                })
                .collect();
            (action, fields)
        };
        if html.contains("name=\"login\"") {
            fields.push(("login".into(), "alice".into()));
            fields.push(("password".into(), "wonderland".into()));
        }
        next = browser.post(page_url.join(&action).unwrap()).form(&fields).send().await.unwrap();
    }
    panic!("the provider never sent the browser back to {callback}");
}

#[tokio::test]
async fn oidc_provider_is_played_with_a_client_given_and_with_one_registered() {
    let lab = start().await;
    let callback = lab.url("/lab/provider/callback");
    let (_node, issuer) = oidc_provider(&callback).await;

    // The client the provider was configured with, and the scope to ask.
    let args = format!(
        "issuer={}&client_id=lab-client&client_secret=lab-secret&scope={}",
        urlencode(&issuer),
        urlencode("openid profile offline_access")
    );
    let (run, setup) = own_provider(&lab, &args).await;
    assert_eq!(setup["issuer"], issuer.as_str());
    assert_eq!(setup["authorization_endpoint"], format!("{issuer}/auth").as_str());
    assert_eq!(setup["registered"], false);
    assert_eq!(setup["confidential"], true);

    let (authorize, binding) = begin_sign_in(&lab, &run).await;
    assert_eq!(
        authorize.query_pairs().find(|(k, _)| k == "prompt").unwrap().1,
        "consent",
        "offline_access asks for it"
    );
    let back = sign_in_at_provider(authorize.as_str(), &callback).await;
    assert!(back.contains("iss="), "oidc-provider names itself in the response (RFC 9207): {back}");
    let page = finish_sign_in(&lab, &back, &binding).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("Signed in at your provider"), "{}", page.text);
    for action in ["UserInfo", "Introspect", "Refresh", "Revoke", "Introspect"] {
        let r = act(&lab, &run, action).await;
        assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.text);
    }
    let rec = record(&lab, &run).await;
    assert_eq!(
        kinds(&rec),
        [
            "Discovery",
            "ClientStart",
            "Callback",
            "TokenRequest",
            "Jwks",
            "IdTokenCheck",
            "UserInfo",
            "Introspect",
            "Refresh",
            "Revoke",
            "Introspect"
        ]
    );
    let token = last_answer(&rec, "TokenRequest");
    assert!(token["id_token"].is_string() && token["refresh_token"].is_string(), "{token}");
    // oidc-provider's ID token passes every check, its signature by a key
    // from its jwks_uri included.
    let check = rec["steps"].as_array().unwrap().iter().find(|s| s["kind"] == "IdTokenCheck").unwrap().clone();
    assert!(check["checks"].as_array().unwrap().iter().all(|c| c["pass"] == true), "{check}");
    assert_eq!(last_answer(&rec, "UserInfo")["sub"], "alice");
    assert_eq!(last_answer(&rec, "UserInfo")["preferred_username"], "alice");
    assert_eq!(last_answer(&rec, "Introspect")["active"], false, "the refreshed token was revoked");
    assert!(last_answer(&rec, "Refresh")["access_token"].is_string());
    // A response that names another issuer is refused (RFC 9207), as a
    // code from another server would be.
    let (authorize, binding) = begin_sign_in(&lab, &run).await;
    let back = sign_in_at_provider(authorize.as_str(), &callback).await;
    let forged = back.replace(&format!("iss={}", urlencode(&issuer)), "iss=http%3A%2F%2Fas.example");
    assert_ne!(forged, back);
    let page = finish_sign_in(&lab, &forged, &binding).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.text);
    assert!(page.text.contains("mix-up"), "{}", page.text);
    assert_eq!(kinds(&record(&lab, &run).await).len(), 13, "the redirect and the refused callback are recorded");

    // No client id: the lab registers one (RFC 7591), then asks for a token
    // for itself.
    let args = format!("issuer={}&scope={}", urlencode(&issuer), urlencode("api:read"));
    let (run, setup) = own_provider(&lab, &args).await;
    assert_eq!(setup["registered"], true);
    assert_eq!(setup["confidential"], true);
    let r = act(&lab, &run, "ClientCredentials").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = act(&lab, &run, "Introspect").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let rec = record(&lab, &run).await;
    assert_eq!(kinds(&rec), ["Discovery", "Register", "TokenRequest", "Introspect"]);
    assert_eq!(last_answer(&rec, "Register")["redirect_uris"][0], callback.as_str());
    assert_eq!(last_answer(&rec, "TokenRequest")["token_type"], "Bearer");
    assert_eq!(last_answer(&rec, "Introspect")["active"], true);
}
