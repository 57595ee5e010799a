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
