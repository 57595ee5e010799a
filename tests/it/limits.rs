//! Limits: per-address rate limits on sign-ins, registrations and runs, and
//! the memory ceiling. Other loopback addresses (127.0.0.x) stand in for
//! other machines.

use crate::common::*;
use crate::runs::start_run;
use reqwest::StatusCode;
use serde_json::json;

fn app_metadata() -> serde_json::Value {
    json!({ "client_name": "limits", "redirect_uris": ["https://app.example/cb"], "grant_types": ["authorization_code"] })
}

#[tokio::test]
async fn registrations_past_the_burst_get_429_and_other_addresses_carry_on() {
    let lab = start_with(|c| {
        c.rate_per_minute = 6;
        c.rate_burst = 3;
    })
    .await;
    let flooder = lab.reached_from([127, 0, 0, 2]);
    for _ in 0..3 {
        assert_eq!(flooder.register(app_metadata()).await.status, StatusCode::CREATED);
    }
    let refused = flooder.register(app_metadata()).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.error(), "too_many_requests");
    assert!(refused.json()["error_description"].as_str().unwrap().contains("3 at once, then 6 a minute"));
    let wait: u64 = refused.header("retry-after").parse().expect("Retry-After in seconds");
    assert!((1..=10).contains(&wait), "Retry-After {wait}");
    // Another address is untouched, and so are the flooder's other requests.
    let other = lab.reached_from([127, 0, 0, 3]);
    assert_eq!(other.register(app_metadata()).await.status, StatusCode::CREATED);
    assert_eq!(flooder.get("/.well-known/oauth-authorization-server").await.status, StatusCode::OK);
    let token = flooder.token(Some(&basic("service", "service-secret")), &[("grant_type", "client_credentials")]).await;
    assert_eq!(token.status, StatusCode::OK);
}

#[tokio::test]
async fn sign_in_attempts_are_limited_per_address() {
    let lab = start_with(|c| {
        c.rate_per_minute = 6;
        c.rate_burst = 2;
    })
    .await;
    let guesser = lab.reached_from([127, 0, 0, 4]);
    let statuses: Vec<StatusCode> = {
        let mut out = vec![];
        for guess in ["a", "b", "c", "d"] {
            let r = guesser
                .post_form(
                    "/oauth/authorize",
                    None,
                    &[("username", "alice"), ("password", guess), ("decision", "approve"), ("request", "x")],
                )
                .await;
            out.push(r.status);
        }
        out
    };
    assert!(statuses[..2].iter().all(|s| *s != StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    assert_eq!(statuses[2..], [StatusCode::TOO_MANY_REQUESTS, StatusCode::TOO_MANY_REQUESTS]);
}

#[tokio::test]
async fn a_runs_own_registration_and_sign_in_count_only_as_the_learners_one_start() {
    let lab = start_with(|c| {
        c.rate_per_minute = 6;
        c.rate_burst = 3;
    })
    .await;
    let learner = lab.reached_from([127, 0, 0, 5]);
    // Each autoplay run registers a client, asks for authorization and
    // signs alice in over the lab's loopback: three limited requests, filed
    // under the run, not the learner. With a burst of 3, three whole runs
    // still finish.
    for _ in 0..3 {
        let (r, run) = start_run(&learner, "AuthorizationCode", "Autoplay", None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(run["status"], "Done", "{run}");
    }
    let (r, _) = start_run(&learner, "AuthorizationCode", "Autoplay", None).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text.starts_with("ServerError|Too many"), "{}", r.text);
}

#[tokio::test]
async fn above_the_memory_ceiling_new_state_gets_503_and_the_rest_still_works() {
    // A one-byte ceiling: the first reading of the gauge is above it.
    let lab = start_with(|c| c.memory_ceiling = Some(1)).await;
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let token = lab.token(Some(&basic("service", "service-secret")), &[("grant_type", "client_credentials")]).await;
    assert_eq!(token.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(token.error(), "temporarily_unavailable");
    assert!(token.json()["error_description"].as_str().unwrap().contains("memory ceiling"));
    assert_eq!(token.header("retry-after"), "10");
    assert_eq!(lab.register(app_metadata()).await.status, StatusCode::SERVICE_UNAVAILABLE);
    let (r, _) = start_run(&lab, "ClientCredentials", "Autoplay", None).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.text.starts_with("ServerError|The lab is at its memory ceiling"), "{}", r.text);
    // Reading goes on.
    assert_eq!(lab.get("/.well-known/oauth-authorization-server").await.status, StatusCode::OK);
}

#[tokio::test]
async fn authorization_requests_are_limited_per_address_since_each_holds_a_page() {
    let lab = start_with(|c| {
        c.rate_per_minute = 6;
        c.rate_burst = 2;
    })
    .await;
    let flooder = lab.reached_from([127, 0, 0, 6]);
    let query = format!(
        "/oauth/authorize?response_type=code&client_id=web-app&redirect_uri={}&state=s&code_challenge={}&code_challenge_method=S256",
        form(&[("x", &lab.callback())]).trim_start_matches("x="),
        s256("a-verifier-of-at-least-forty-three-characters-long-xx")
    );
    for _ in 0..2 {
        assert_eq!(flooder.get(&query).await.status, StatusCode::OK);
    }
    let refused = flooder.get(&query).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.error(), "too_many_requests");
    assert_eq!(lab.reached_from([127, 0, 0, 7]).get(&query).await.status, StatusCode::OK);
}
