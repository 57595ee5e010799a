//! "Your own app": the lab registers a client for the learner's program and
//! records every request the program makes with it or its tokens. The
//! programs here are written with libraries from PyPI (requests-oauthlib,
//! Mastodon.py) and know nothing of the lab.

use crate::common::*;
use crate::third_party::run as python;
use reqwest::StatusCode;
use serde_json::Value;

const LEARNER: &str = "oauth2_lab_learner=own-app-learner-0123456789abcdef";

/// Registers a client for the learner's own program: the run's id and the
/// client's setup.
pub(crate) async fn own_app(lab: &Lab, redirect_uri: &str) -> (String, Value) {
    let args = format!("redirect_uris={}&public=false", urlencode(redirect_uri));
    let r = lab.server_fn("start_own_app", &args, Some(LEARNER)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let answer = r.json();
    (answer["view"]["id"].as_str().unwrap().to_string(), answer["setup"].clone())
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub(crate) async fn record(lab: &Lab, run: &str) -> Value {
    let r = lab.http.get(lab.url(&format!("/lab/runs/{run}"))).header("Cookie", LEARNER).send().await.unwrap();
    let r = reply(r).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()
}

fn kinds(record: &Value) -> Vec<String> {
    record["steps"].as_array().unwrap().iter().map(|s| s["kind"].as_str().unwrap().to_string()).collect()
}

/// The inspector of every step, as the page shows it, for the learner.
async fn inspectors(lab: &Lab, run: &str) -> Vec<String> {
    let r = lab.http.get(lab.url(&format!("/lab/runs/{run}/view"))).header("Cookie", LEARNER).send().await.unwrap();
    let view = reply(r).await.json();
    view["inspector"].as_array().unwrap().iter().map(|i| i.as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn a_requests_oauthlib_program_is_recorded_with_its_findings() {
    let lab = start().await;
    let redirect = "http://127.0.0.1:8765/callback";
    let (run, setup) = own_app(&lab, redirect).await;
    let (id, secret) = (setup["client_id"].as_str().unwrap(), setup["client_secret"].as_str().unwrap());
    assert_eq!(setup["redirect_uris"][0], redirect);
    assert_eq!(setup["base_url"], lab.url(""));
    let seen =
        python("own_app.py", vec!["oauthlib".into(), lab.url(""), id.into(), secret.into(), redirect.into()]).await;
    assert_eq!(seen["username"], "alice");
    assert_eq!(seen["toot_status"], 403, "the token was granted read only");

    let rec = record(&lab, &run).await;
    assert_eq!(rec["grant"], "OwnApp");
    assert_eq!(rec["status"], "Waiting", "still recording");
    let kinds = kinds(&rec);
    assert_eq!(
        kinds,
        [
            "Register",
            "AuthorizeRequest",
            "UserSignsIn",
            "Consent",
            "TokenRequest",
            "VerifyCredentials",
            "PostStatus",
            "VerifyCredentials"
        ],
        "every request of the program, in order"
    );
    let steps = rec["steps"].as_array().unwrap();
    // The program's own bytes: requests-oauthlib's user agent and its
    // HTTP Basic credentials.
    let token = &steps[4]["exchange"]["request"];
    let ua = token["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0].as_str().unwrap().eq_ignore_ascii_case("user-agent"))
        .unwrap()[1]
        .clone();
    assert!(ua.as_str().unwrap().starts_with("python-requests/"), "{ua}");
    assert!(token["headers"].as_array().unwrap().iter().any(|h| h[0]
        .as_str()
        .unwrap()
        .eq_ignore_ascii_case("authorization")
        && h[1].as_str().unwrap().starts_with("Basic ")));

    let pages = inspectors(&lab, &run).await;
    assert!(pages[1].contains("No PKCE"), "the authorization request has no code_challenge: {}", pages[1]);
    assert!(!pages[1].contains("No state"), "requests-oauthlib sends state");
    assert!(pages[6].contains("A scope it was not granted"), "{}", pages[6]);
    assert!(pages[7].contains("The access token in the URL"), "{}", pages[7]);
    assert!(!pages[4].contains("class=\"findings\""), "a Basic-authenticated token request is fine: {}", pages[4]);
}

#[tokio::test]
async fn the_seeds_bot_with_mastodon_py_shows_up_step_by_step() {
    let lab = start().await;
    let (run, setup) = own_app(&lab, "").await;
    let (id, secret) = (setup["client_id"].as_str().unwrap(), setup["client_secret"].as_str().unwrap());
    let seen = python("own_app.py", vec!["mastodon".into(), lab.url(""), id.into(), secret.into()]).await;
    assert_eq!(seen["username"], "alice");
    assert_eq!(seen["content"], "<p>Hello from my own bot</p>");
    let rec = record(&lab, &run).await;
    let kinds = kinds(&rec);
    for kind in ["Register", "TokenRequest", "PostStatus", "VerifyCredentials", "Revoke"] {
        assert!(kinds.contains(&kind.to_string()), "{kind} in {kinds:?}");
    }
    let token_step = kinds.iter().position(|k| k == "TokenRequest").unwrap();
    let pages = inspectors(&lab, &run).await;
    assert!(pages[token_step].contains("The password grant"), "{}", pages[token_step]);
    assert!(pages[token_step].contains("The secret in the body"), "{}", pages[token_step]);
}

/// Only the program's own requests join its run: not a request tagged
/// with the run's id by someone without its key, not another client's.
/// And only the learner who registered it reads its secrets.
#[tokio::test]
async fn an_own_app_run_takes_only_its_clients_requests_and_keeps_its_secrets() {
    let lab = start().await;
    let (run, setup) = own_app(&lab, "").await;
    let (id, secret) = (setup["client_id"].as_str().unwrap(), setup["client_secret"].as_str().unwrap());
    let before = kinds(&record(&lab, &run).await).len();
    // A stranger's request, tagged with the run's id.
    let tagged = lab
        .http
        .post(lab.url("/oauth/token"))
        .header("x-lab-run", &run)
        .header("Authorization", basic(id, secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(tagged.status(), StatusCode::OK);
    // Another client's token request.
    lab.service_token("read").await;
    assert_eq!(kinds(&record(&lab, &run).await).len(), before, "neither joins the run");
    // The client's own request does, by its Basic credentials.
    let own = lab.token(Some(&basic(id, secret)), &[("grant_type", "client_credentials"), ("scope", "read")]).await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text);
    let token = own.json()["access_token"].as_str().unwrap().to_string();
    // And a call with its token, by the client the token was issued to.
    let api = lab.get_auth("/api/v1/apps/verify_credentials", &format!("Bearer {token}")).await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.text);
    let after = kinds(&record(&lab, &run).await);
    assert_eq!(after[before..], ["TokenRequest", "Other"], "{after:?}");

    // Anyone else: no record, no exports, and a masked view.
    for path in ["", "/export.har", "/export.md", "/export.sh"] {
        let r = lab.get(&format!("/lab/runs/{run}{path}")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.text);
    }
    let view = lab.get(&format!("/lab/runs/{run}/view?mask=false")).await;
    assert_eq!(view.status, StatusCode::OK);
    assert_eq!(view.json()["masked"], true);
    assert!(!view.text.contains(secret), "the client secret is not shown to others");
    assert!(!view.text.contains(&token), "nor its tokens");
    // The setup is the learner's too.
    let other = lab.server_fn("own_app_setup", &format!("run={run}"), None).await;
    assert_ne!(other.status, StatusCode::OK, "{}", other.text);
    let mine = lab.server_fn("own_app_setup", &format!("run={run}"), Some(LEARNER)).await;
    assert_eq!(mine.json()["client_secret"], secret);
}

/// A stopped run takes no more steps; a redirect URI the registry refuses
/// comes back as its error.
#[tokio::test]
async fn stopping_ends_the_recording_and_a_bad_redirect_uri_is_refused() {
    let lab = start().await;
    let (run, setup) = own_app(&lab, "").await;
    let (id, secret) = (setup["client_id"].as_str().unwrap(), setup["client_secret"].as_str().unwrap());
    let stop = lab.server_fn("stop_own_app", &format!("run={run}"), Some(LEARNER)).await;
    assert_eq!(stop.status, StatusCode::OK, "{}", stop.text);
    let before = kinds(&record(&lab, &run).await).len();
    lab.token(Some(&basic(id, secret)), &[("grant_type", "client_credentials")]).await;
    let rec = record(&lab, &run).await;
    assert_eq!(rec["status"], "Done");
    assert_eq!(kinds(&rec).len(), before);

    let bad =
        lab.server_fn("start_own_app", "redirect_uris=http%3A%2F%2Fexample.com%2Fcb&public=false", Some(LEARNER)).await;
    assert_ne!(bad.status, StatusCode::OK);
    assert!(bad.text.contains("not loopback"), "{}", bad.text);
}
