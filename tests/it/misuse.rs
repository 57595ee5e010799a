//! The misuse scenarios, run as the page runs them (the `start_scenario`
//! server function), judged from their recorded traffic: each attack is
//! refused, and with the lab-only switch on, only that defence gives way.

use crate::common::*;
use axum::http::StatusCode;
use serde_json::Value;

async fn scenario(lab: &Lab, name: &str, vulnerable: bool) -> Value {
    let r = lab.server_fn("start_scenario", &format!("scenario={name}&vulnerable={vulnerable}"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let view: Value = serde_json::from_str(&r.text).unwrap();
    let v = lab.get(&format!("/lab/runs/{}", view["id"].as_str().unwrap())).await.json();
    assert_eq!(v["status"], "Done", "{name}: {v}");
    v
}

fn steps(record: &Value) -> &Vec<Value> {
    record["steps"].as_array().unwrap()
}

fn header<'a>(headers: &'a Value, name: &str) -> Option<&'a str> {
    headers.as_array()?.iter().find(|h| h[0].as_str() == Some(name)).and_then(|h| h[1].as_str())
}

/// (label, from, status, response body, request target) of each recorded
/// exchange, in order.
fn exchanges(record: &Value) -> Vec<(String, String, u64, String, String)> {
    steps(record)
        .iter()
        .filter(|s| !s["exchange"].is_null())
        .map(|s| {
            let x = &s["exchange"];
            (
                s["label"].as_str().unwrap().to_string(),
                s["from"].as_str().unwrap().to_string(),
                x["response"]["status"].as_u64().unwrap(),
                x["response"]["body"].as_str().unwrap().to_string(),
                x["request"]["target"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The statuses of the requests tagged as the misuse.
fn misuse_statuses(record: &Value) -> Vec<u64> {
    steps(record)
        .iter()
        .filter(|s| header(&s["exchange"]["request"]["headers"], "x-lab-misuse").is_some())
        .map(|s| s["exchange"]["response"]["status"].as_u64().unwrap())
        .collect()
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or(Value::Null)
}

fn has_attacker(record: &Value) -> bool {
    steps(record).iter().any(|s| s["from"] == "Attacker")
}

#[tokio::test]
async fn csrf_state_is_refused_and_without_state_checks_alice_ends_up_in_mallorys_account() {
    let lab = start().await;
    let run = scenario(&lab, "CsrfState", false).await;
    assert!(has_attacker(&run));
    assert_eq!(misuse_statuses(&run), [400], "the forged callback is refused");
    let x = exchanges(&run);
    let callback = x.iter().position(|e| e.0.ends_with("/callback")).unwrap();
    assert!(x[callback].4.contains("code="), "the planted callback carries Mallory's code");
    assert!(!x[callback..].iter().any(|e| e.0 == "POST /oauth/token"), "the code is never redeemed");

    let run = scenario(&lab, "CsrfState", true).await;
    assert_eq!(run["vulnerable"], true);
    assert_eq!(misuse_statuses(&run), [200]);
    let me = exchanges(&run).into_iter().find(|e| e.0 == "GET /api/v1/accounts/verify_credentials").unwrap();
    assert_eq!(json(&me.3)["username"], "mallory", "alice's app session is Mallory's account");
}

#[tokio::test]
async fn a_suffix_matched_redirect_uri_is_refused_and_the_go_oauth2_rule_leaks_the_code() {
    let lab = start().await;
    let run = scenario(&lab, "RedirectUri", false).await;
    assert_eq!(misuse_statuses(&run), [400], "an error page, not a redirect");
    let x = exchanges(&run);
    let authorize = x.iter().find(|e| e.0 == "GET /oauth/authorize").unwrap();
    assert!(authorize.4.contains("redirect_uri=http%3A%2F%2Fattacker-127.0.0.1"), "{}", authorize.4);
    assert!(!x.iter().any(|e| e.0 == "POST /oauth/token"));

    let run = scenario(&lab, "RedirectUri", true).await;
    let statuses = misuse_statuses(&run);
    assert_eq!(statuses, [200, 303, 200, 200], "consent page, code to the attacker, token, API");
    let steps = steps(&run);
    let consent = steps.iter().find(|s| s["label"] == "POST /oauth/authorize").unwrap();
    let location = header(&consent["exchange"]["response"]["headers"], "location").unwrap();
    assert!(location.starts_with("http://attacker-127.0.0.1:") && location.contains("code="), "{location}");
    let me = exchanges(&run).into_iter().rfind(|e| e.0 == "GET /api/v1/accounts/verify_credentials").unwrap();
    assert_eq!(me.1, "Attacker");
    assert_eq!(json(&me.3)["username"], "alice");
}

#[tokio::test]
async fn a_stolen_code_without_the_verifier_is_refused_while_the_app_still_redeems_it() {
    let lab = start().await;
    let run = scenario(&lab, "StolenCode", false).await;
    let x = exchanges(&run);
    let mallory: Vec<_> = x.iter().filter(|e| e.1 == "Attacker").collect();
    assert_eq!(mallory.len(), 2, "no verifier, then a made-up one");
    assert!(mallory.iter().all(|e| e.2 == 400 && json(&e.3)["error"] == "invalid_grant"));
    assert!(!mallory[0].4.contains("code_verifier"));
    let app = x.iter().rfind(|e| e.0 == "POST /oauth/token").unwrap();
    assert_eq!((app.1.as_str(), app.2), ("Client", 200), "the real app, with its verifier, still gets the token");

    let run = scenario(&lab, "StolenCode", true).await;
    assert_eq!(misuse_statuses(&run), [200, 200], "token, then the API as alice");
    let x = exchanges(&run);
    let app = x.iter().rfind(|e| e.0 == "POST /oauth/token").unwrap();
    assert_eq!((app.1.as_str(), app.2), ("Client", 400), "the code was spent by the attacker");
}

#[tokio::test]
async fn a_replayed_code_is_refused_and_revokes_what_it_issued() {
    let lab = start().await;
    let run = scenario(&lab, "CodeReplay", false).await;
    let x = exchanges(&run);
    let replay = x.iter().find(|e| e.1 == "Attacker").unwrap();
    assert_eq!(replay.2, 400);
    assert_eq!(json(&replay.3)["error"], "invalid_grant");
    let last = x.last().unwrap();
    assert_eq!((last.0.as_str(), last.1.as_str(), last.2), ("GET /api/v1/accounts/verify_credentials", "Client", 401));

    let run = scenario(&lab, "CodeReplay", true).await;
    assert_eq!(misuse_statuses(&run), [200, 200]);
    assert_eq!(exchanges(&run).last().unwrap().2, 200, "without the defence the app's token stays live");
}

#[tokio::test]
async fn a_reused_refresh_token_revokes_the_family() {
    let lab = start().await;
    let run = scenario(&lab, "RefreshReuse", false).await;
    let x = exchanges(&run);
    let reuse = x.iter().find(|e| e.1 == "Attacker").unwrap();
    assert_eq!((reuse.2, json(&reuse.3)["error"].clone()), (400, Value::from("invalid_grant")));
    assert_eq!(x.last().unwrap().2, 401, "the app's newer access token is revoked too");

    let run = scenario(&lab, "RefreshReuse", true).await;
    assert_eq!(misuse_statuses(&run), [200, 200]);
}

#[tokio::test]
async fn an_expired_token_gets_401_on_the_fast_lab_clock_then_refresh_works() {
    let lab = start().await;
    let run = scenario(&lab, "ExpiredToken", false).await;
    assert!(steps(&run).iter().any(|s| s["kind"] == "LabClock"));
    let x = exchanges(&run);
    let introspections: Vec<_> = x.iter().filter(|e| e.0 == "POST /oauth/introspect").collect();
    assert_eq!(json(&introspections[0].3)["active"], true, "before");
    assert_eq!(json(&introspections[1].3)["active"], false, "after");
    let misuse =
        steps(&run).iter().find(|s| header(&s["exchange"]["request"]["headers"], "x-lab-misuse").is_some()).unwrap();
    let res = &misuse["exchange"]["response"];
    assert_eq!(res["status"], 401);
    assert!(header(&res["headers"], "www-authenticate").unwrap().contains("invalid_token"));
    assert!(res["body"].as_str().unwrap().contains("expired"));
    let refresh = x.iter().rfind(|e| e.0 == "POST /oauth/token").unwrap();
    assert_eq!(refresh.2, 200);
    assert_eq!(x.last().unwrap().2, 200, "the new access token works");
}

#[tokio::test]
async fn insufficient_scope_is_403_naming_the_scope() {
    let lab = start().await;
    let run = scenario(&lab, "InsufficientScope", true).await;
    assert_eq!(run["vulnerable"], false, "no switch for this one");
    let misuse =
        steps(&run).iter().find(|s| header(&s["exchange"]["request"]["headers"], "x-lab-misuse").is_some()).unwrap();
    let res = &misuse["exchange"]["response"];
    assert_eq!(res["status"], 403);
    let challenge = header(&res["headers"], "www-authenticate").unwrap();
    assert!(challenge.contains("insufficient_scope") && challenge.contains("scope=\"write:statuses\""), "{challenge}");
    let me = exchanges(&run).into_iter().find(|e| e.0 == "GET /api/v1/accounts/verify_credentials").unwrap();
    assert_eq!(me.2, 200, "reading still works");
}

#[tokio::test]
async fn a_revoked_token_is_inactive_and_refused() {
    let lab = start().await;
    let run = scenario(&lab, "RevokedToken", false).await;
    let x = exchanges(&run);
    assert_eq!(x.iter().find(|e| e.0 == "POST /oauth/revoke").unwrap().2, 200);
    assert_eq!(json(&x.iter().find(|e| e.0 == "POST /oauth/introspect").unwrap().3)["active"], false);
    assert_eq!(misuse_statuses(&run), [401]);
}

#[tokio::test]
async fn a_token_in_the_url_is_refused_and_the_switch_only_affects_its_own_run() {
    let lab = start().await;
    let run = scenario(&lab, "TokenInUrl", false).await;
    assert_eq!(misuse_statuses(&run), [400]);
    let x = exchanges(&run);
    let misuse = x.last().unwrap();
    assert!(misuse.4.contains("access_token="));
    assert_eq!(json(&misuse.3)["error"], "invalid_request");
    assert_eq!(misuse.1, "UserAgent", "browser code sent it");

    let run = scenario(&lab, "TokenInUrl", true).await;
    assert_eq!(misuse_statuses(&run), [200]);
    // The switch was on only while the scenario played: the same token in
    // the URL is refused now.
    let token = run["artifacts"].as_array().unwrap().iter().find(|a| a["name"] == "access_token").unwrap();
    let r = lab
        .get(&format!("/api/v1/accounts/verify_credentials?access_token={}", token["value"].as_str().unwrap()))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Nor can anyone add a step to the finished record, to change its verdict.
    let id = run["id"].as_str().unwrap();
    let forged =
        lab.http.get(lab.url("/oauth/jwks")).header("x-lab-run", id).header("x-lab-misuse", "x").send().await.unwrap();
    assert_eq!(forged.status(), StatusCode::OK);
    let after = lab.get(&format!("/lab/runs/{id}")).await.json();
    assert_eq!(after["steps"].as_array().unwrap().len(), steps(&run).len());
    // Another client's token in the URL is still refused.
    let token = lab.service_token("read").await;
    let r = lab.get(&format!("/api/v1/accounts/verify_credentials?access_token={token}")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_tutorials_get_with_the_secret_in_the_url_is_refused_and_the_switch_shows_what_it_leaks() {
    let lab = start().await;
    let run = scenario(&lab, "SecretInUrl", false).await;
    assert_eq!(run["grant"], "ClientCredentials");
    let x = exchanges(&run);
    let get = x.iter().find(|e| e.0.starts_with("GET /oauth/token")).unwrap();
    assert!(get.4.contains("client_secret="), "the seed's request: {}", get.4);
    assert_eq!(get.2, 405);
    assert_eq!(json(&get.3)["error"], "invalid_request");
    assert!(json(&get.3)["error_description"].as_str().unwrap().contains("RFC 6749 section 2.3.1"));
    assert_eq!(misuse_statuses(&run), [405]);
    assert!(!has_attacker(&run));
    // The service then asks properly, with POST and HTTP Basic, and uses
    // its token.
    let post = x.iter().position(|e| e.0 == "POST /oauth/token").unwrap();
    assert_eq!(x[post].2, 200);
    assert_eq!(x[post + 1].2, 200, "{:?}", x[post + 1]);
    let step = &steps(&run).iter().filter(|s| !s["exchange"].is_null()).nth(post).unwrap()["exchange"]["request"];
    assert!(header(&step["headers"], "authorization").unwrap().starts_with("Basic "));
    assert!(!step["target"].as_str().unwrap().contains('?'));

    let run = scenario(&lab, "SecretInUrl", true).await;
    assert_eq!(run["vulnerable"], true);
    // The GET works, and Mallory, who read the URL in a log, gets a token
    // of her own with the secret and uses it.
    assert_eq!(misuse_statuses(&run), [200, 200, 200]);
    assert!(has_attacker(&run));
    let x = exchanges(&run);
    assert!(x.iter().any(|e| e.1 == "Attacker" && e.0 == "POST /oauth/token" && e.2 == 200));
    // The switch was for that run only: the same GET is refused now.
    let secret = run["artifacts"].as_array().unwrap().iter().find(|a| a["name"] == "client_secret").unwrap();
    let id = x[0].3.clone();
    let client_id = json(&id)["client_id"].as_str().unwrap().to_string();
    let r = lab
        .get(&format!(
            "/oauth/token?grant_type=client_credentials&client_id={client_id}&client_secret={}&scope=read",
            secret["value"].as_str().unwrap()
        ))
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
}

/// The names of the checks that failed at the run's last ID token check,
/// and that step's label.
fn last_failed_checks(record: &Value) -> (Vec<String>, String) {
    let step = steps(record).iter().rfind(|s| s["kind"] == "IdTokenCheck").expect("an ID token check");
    let failed = step["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["pass"] == false)
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    (failed, step["label"].as_str().unwrap().to_string())
}

/// The ID token Mallory posted to the app, decoded: (header, claims).
fn posted_id_token(record: &Value) -> (String, Value, Value) {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let post = steps(record).iter().rfind(|s| s["kind"] == "IdTokenSignIn").expect("a posted ID token");
    let body = post["exchange"]["request"]["body"].as_str().unwrap();
    let token = form_urlencoded::parse(body.as_bytes()).find(|(k, _)| k == "id_token").unwrap().1.into_owned();
    let header = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').next().unwrap()).unwrap()).unwrap();
    (token.clone(), header, posted_claims(&token))
}

fn posted_claims(jwt: &str) -> Value {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(jwt.split('.').nth(1).unwrap()).unwrap()).unwrap()
}

/// The nonce the app sent in Mallory's own sign-in.
fn mallorys_nonce(record: &Value) -> String {
    let login = steps(record)
        .iter()
        .find(|s| s["from"] == "Attacker" && s["label"].as_str().unwrap().ends_with("/login"))
        .expect("Mallory's sign-in at the app");
    let location = header(&login["exchange"]["response"]["headers"], "location").unwrap();
    url::Url::parse(location).unwrap().query_pairs().find(|(k, _)| k == "nonce").unwrap().1.into_owned()
}

/// An ID token scenario: refused, with only `check` failing; with the switch,
/// the app ignores that check and signs Mallory in as alice.
async fn id_token_scenario(lab: &Lab, name: &str, check: &str) -> (Value, Value) {
    let run = scenario(lab, name, false).await;
    assert_eq!(run["grant"], "OpenIdConnect");
    assert!(has_attacker(&run));
    assert_eq!(misuse_statuses(&run), [401], "{name}");
    let answer = exchanges(&run).into_iter().rfind(|e| e.0.ends_with("/id-token")).unwrap();
    assert_eq!(json(&answer.3)["error"], "invalid_token", "{}", answer.3);
    let post = steps(&run).iter().rfind(|s| s["kind"] == "IdTokenSignIn").unwrap();
    let challenge = header(&post["exchange"]["response"]["headers"], "www-authenticate").unwrap();
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert!(json(&answer.3).get("sub").is_none());
    assert_eq!(last_failed_checks(&run).0, [check], "{name}: only the {check} check fails");

    let broken = scenario(lab, name, true).await;
    assert_eq!(broken["vulnerable"], true);
    assert_eq!(misuse_statuses(&broken), [200], "{name} with the switch");
    let (failed, label) = last_failed_checks(&broken);
    assert_eq!(failed, [check], "the check still fails, from the real values");
    assert!(label.ends_with(&format!("ignoring {check}")), "{label}");
    let answer = exchanges(&broken).into_iter().rfind(|e| e.0.ends_with("/id-token")).unwrap();
    assert_eq!(json(&answer.3)["signed_in"], true);
    // alice's sub, as the provider issued it in her sign-in.
    let issued = exchanges(&broken).into_iter().find(|e| json(&e.3).get("id_token").is_some()).unwrap();
    let alice = posted_claims(json(&issued.3)["id_token"].as_str().unwrap());
    assert_eq!(json(&answer.3)["sub"], alice["sub"], "{}", answer.3);
    (run, broken)
}

#[tokio::test]
async fn an_id_token_replayed_into_another_sign_in_fails_its_nonce_check() {
    let lab = start().await;
    let (run, _) = id_token_scenario(&lab, "IdTokenReplay", "nonce").await;
    // The token is alice's, as the app's token response carried it, and its
    // nonce is her sign-in's, not Mallory's.
    let (token, _, claims) = posted_id_token(&run);
    let issued = exchanges(&run).into_iter().find(|e| e.0 == "POST /oauth/token").unwrap();
    assert_eq!(json(&issued.3)["id_token"], token.as_str());
    assert_ne!(claims["nonce"], mallorys_nonce(&run).as_str());
    // The app's sign-in endpoint answers bad input in RFC 6750's format.
    let id = run["id"].as_str().unwrap();
    for body in [&[][..], &[("id_token", "")], &[("id_token", "not-a-jwt")]] {
        let r = lab.post_form(&format!("/lab/runs/{id}/id-token"), None, body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body:?}: {}", r.text);
        assert_eq!(r.json()["error"], "invalid_request");
    }
    // The finished record takes no more steps, whatever is posted.
    let before = steps(&lab.get(&format!("/lab/runs/{id}")).await.json()).len();
    use base64::Engine;
    let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let huge = format!(
        "{}.{}.",
        b64(serde_json::json!({"alg": "none"})),
        b64(
            serde_json::json!({"iss": format!("https://a.example/{}", "i".repeat(5000)), "sub": "s", "aud": "a", "exp": 1, "iat": 1})
        )
    );
    let r = lab.post_form(&format!("/lab/runs/{id}/id-token"), None, &[("id_token", huge.as_str())]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert_eq!(steps(&lab.get(&format!("/lab/runs/{id}")).await.json()).len(), before);
    let r = lab.post_form("/lab/runs/run_nosuch/id-token", None, &[("id_token", "a.b.c")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_id_token_issued_to_another_client_fails_its_aud_check() {
    let lab = start().await;
    let (run, _) = id_token_scenario(&lab, "IdTokenAudience", "aud").await;
    // Mallory's site registered, alice signed in there with the app's nonce,
    // and the site's ID token names the site as its audience.
    let x = exchanges(&run);
    let site = x.iter().find(|e| e.1 == "Attacker" && e.0 == "POST /oauth/register").unwrap();
    let quiz = json(&site.3)["client_id"].as_str().unwrap().to_string();
    let (_, _, claims) = posted_id_token(&run);
    assert_eq!(claims["aud"], quiz.as_str());
    assert_eq!(claims["nonce"], mallorys_nonce(&run).as_str());
}

#[tokio::test]
async fn an_id_token_at_the_api_is_refused_as_no_access_token() {
    let lab = start().await;
    let run = scenario(&lab, "IdTokenAsAccessToken", false).await;
    assert_eq!(misuse_statuses(&run), [401]);
    let x = exchanges(&run);
    let issued = x.iter().find(|e| e.0 == "POST /oauth/token").unwrap();
    let id_token = json(&issued.3)["id_token"].as_str().unwrap().to_string();
    let misuse =
        steps(&run).iter().rfind(|s| header(&s["exchange"]["request"]["headers"], "x-lab-misuse").is_some()).unwrap();
    let request = &misuse["exchange"]["request"];
    assert_eq!(header(&request["headers"], "authorization"), Some(format!("Bearer {id_token}").as_str()));
    let answer = json(misuse["exchange"]["response"]["body"].as_str().unwrap());
    assert_eq!(answer["error"], "invalid_token");
    assert!(answer["error_description"].as_str().unwrap().contains("typ"), "{answer}");
    assert!(header(&misuse["exchange"]["response"]["headers"], "www-authenticate").unwrap().contains("invalid_token"));
}

#[tokio::test]
async fn a_tampered_id_token_fails_its_signature_check_and_alg_none_too() {
    let lab = start().await;
    let (run, _) = id_token_scenario(&lab, "IdTokenTampered", "signature").await;
    let (token, head, claims) = posted_id_token(&run);
    assert_eq!(head["alg"], "RS256");
    assert!(!token.ends_with('.'), "the provider's signature is kept");
    assert_eq!(claims["nonce"], mallorys_nonce(&run).as_str(), "set to get past the nonce check");

    let (run, _) = id_token_scenario(&lab, "IdTokenAlgNone", "signature").await;
    let (token, head, claims) = posted_id_token(&run);
    assert_eq!(head["alg"], "none");
    assert!(token.ends_with('.'), "no signature");
    assert_eq!(claims["nonce"], mallorys_nonce(&run).as_str());
}
