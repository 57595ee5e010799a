//! No learner can break, write into or hijack another learner's work: each
//! attack, tried for real against a lab on loopback, and refused.

use crate::common::*;
use crate::runs::start_run;
use reqwest::StatusCode;

fn web_app_request(lab: &Lab) -> Vec<(&'static str, String)> {
    vec![
        ("response_type", "code".into()),
        ("client_id", "web-app".into()),
        ("redirect_uri", lab.callback()),
        ("state", "xyz".into()),
        ("code_challenge", s256(VERIFIER)),
        ("code_challenge_method", "S256".into()),
    ]
}

#[tokio::test]
async fn one_learners_failed_sign_ins_lock_out_neither_other_learners_nor_the_labs_runs() {
    let lab = start_with(|c| c.rate_per_minute = 0).await;
    let mallory = lab.reached_from([127, 0, 0, 2]);
    let request = web_app_request(&lab);
    let pairs: Vec<(&str, &str)> = request.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let wrong = [("decision", "approve"), ("username", "alice"), ("password", "wrong"), ("scope", "read")];
    let mut last = String::new();
    for _ in 0..8 {
        last = mallory.consent(&pairs, &wrong).await.text;
    }
    assert!(last.contains("Too many failed sign-ins for alice"), "the guesser is locked out: {last}");
    // alice signs in from another machine, and the lab's own runs play.
    let other = lab.reached_from([127, 0, 0, 3]);
    let back = other.consent(&pairs, &approve_as_alice(&["read"])).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.text);
    assert!(back.location_params().contains_key("code"));
    let (_, run) = start_run(&mallory, "AuthorizationCode", "Autoplay", None).await;
    assert_eq!(run["status"], "Done", "{run}");
}

#[tokio::test]
async fn one_client_filling_the_token_store_crowds_out_only_its_own_oldest_tokens() {
    let lab = start_with(|c| {
        c.max_tokens = 40;
        c.max_tokens_per_client = 10;
        c.rate_per_minute = 0;
    })
    .await;
    let first = lab.service_token("read").await;
    for _ in 0..60 {
        lab.service_token("read").await;
    }
    let newest = lab.service_token("read").await;
    let me = |t: &str| format!("Bearer {t}");
    let gone = lab.get_auth("/api/v1/accounts/verify_credentials", &me(&first)).await;
    assert_eq!(gone.status, StatusCode::UNAUTHORIZED, "the client's oldest token made way");
    let kept = lab.get_auth("/api/v1/accounts/verify_credentials", &me(&newest)).await;
    assert_eq!(kept.status, StatusCode::OK);
    // Everyone else still gets tokens.
    assert!(lab.password_tokens("read").await["access_token"].is_string());
    assert!(lab.web_app_tokens().await["access_token"].is_string());
}

#[tokio::test]
async fn one_address_registering_without_end_replaces_only_its_own_oldest_clients() {
    let lab = start_with(|c| {
        c.max_clients = 30;
        c.max_clients_per_requester = 5;
        c.rate_per_minute = 0;
    })
    .await;
    let flooder = lab.reached_from([127, 0, 0, 4]);
    let app = serde_json::json!({ "client_name": "flood", "grant_types": ["client_credentials"] });
    let first = flooder.register(app.clone()).await.json();
    for _ in 0..40 {
        assert_eq!(flooder.register(app.clone()).await.status, StatusCode::CREATED);
    }
    let id = first["client_id"].as_str().unwrap();
    let secret = first["client_secret"].as_str().unwrap();
    let gone = lab.token(Some(&basic(id, secret)), &[("grant_type", "client_credentials")]).await;
    assert_eq!(gone.error(), "invalid_client", "the address's oldest client made way");
    let other = lab.reached_from([127, 0, 0, 5]).register(app).await;
    assert_eq!(other.status, StatusCode::CREATED, "{}", other.text);
}
