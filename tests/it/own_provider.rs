//! "Your own provider": the lab's client against an authorization server
//! it did not start in-process: a second lab process here, reached through
//! a raw TCP relay that keeps every byte of every connection, and the npm
//! `oidc-provider` (OpenID Certified) in `oidc_provider`.

use crate::common::*;
use crate::process::{free_port, ready, spawn_with};
use crate::wire::{as_sent, pipe, Kept};
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};

pub(crate) const LEARNER: &str = "oauth2_lab_learner=own-provider-learner-0123456789abcdef";

/// Each connection the relay carried: what went up, what came down.
type Connections = Arc<parking_lot::Mutex<Vec<(Kept, Kept)>>>;

/// A relay on `listener` to `to`, for as many connections as come.
fn relay(listener: TcpListener, to: String) -> Connections {
    let connections: Connections = Default::default();
    let all = connections.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = TcpStream::connect(&to).await else { continue };
            let (up, down): (Kept, Kept) = Default::default();
            all.lock().push((up.clone(), down.clone()));
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            tokio::spawn(async move {
                tokio::join!(pipe(cr, sw, up), pipe(sr, cw, down));
            });
        }
    });
    connections
}

pub(crate) fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Starts a provider run on `lab`: the run's id and the provider's setup.
pub(crate) async fn own_provider(lab: &Lab, args: &str) -> (String, Value) {
    let r = lab.server_fn("start_own_provider", args, Some(LEARNER)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let answer = r.json();
    (answer["view"]["id"].as_str().unwrap().to_string(), answer["setup"].clone())
}

pub(crate) async fn act(lab: &Lab, run: &str, action: &str) -> Reply {
    lab.server_fn("own_provider_act", &format!("run={run}&action={action}"), Some(LEARNER)).await
}

pub(crate) async fn record(lab: &Lab, run: &str) -> Value {
    let r = lab.http.get(lab.url(&format!("/lab/runs/{run}"))).header("Cookie", LEARNER).send().await.unwrap();
    let r = reply(r).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()
}

pub(crate) fn steps(record: &Value) -> Vec<Value> {
    record["steps"].as_array().unwrap().clone()
}

pub(crate) fn kinds(record: &Value) -> Vec<String> {
    steps(record).iter().map(|s| s["kind"].as_str().unwrap().to_string()).collect()
}

/// The response body of the last step of `kind`, as JSON.
pub(crate) fn last_answer(record: &Value, kind: &str) -> Value {
    let step = steps(record).into_iter().rev().find(|s| s["kind"] == kind).unwrap_or_else(|| panic!("no {kind}"));
    serde_json::from_str(step["exchange"]["response"]["body"].as_str().unwrap()).unwrap()
}

/// The browser's redirect to the provider, started at the lab's login
/// page: its Location and the binding cookie the lab set.
pub(crate) async fn begin_sign_in(lab: &Lab, run: &str) -> (url::Url, String) {
    let login =
        lab.http.get(lab.url(&format!("/lab/runs/{run}/login"))).header("Cookie", LEARNER).send().await.unwrap();
    let login = reply(login).await;
    assert_eq!(login.status, StatusCode::FOUND, "{}", login.text);
    let binding = login.header("set-cookie").split(';').next().unwrap().to_string();
    (url::Url::parse(&login.header("location")).unwrap(), binding)
}

/// The browser comes back to the lab's callback from `location`.
pub(crate) async fn finish_sign_in(lab: &Lab, location: &str, binding: &str) -> Reply {
    assert!(location.starts_with(&lab.url("/lab/provider/callback?")), "{location}");
    let back = lab.http.get(location).header("Cookie", format!("{LEARNER}; {binding}")).send().await.unwrap();
    reply(back).await
}

#[tokio::test]
async fn a_second_lab_process_is_played_and_recorded_byte_for_byte() {
    let lab = start().await;
    // The second lab behind a relay: its public URL is the relay's, so
    // every request to it (the lab's client's and the browser's) crosses
    // the relay, which keeps each connection's bytes.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let port = free_port();
    let mut provider = spawn_with("memory", port, &["--public-url", &issuer]);
    let connections = relay(listener, format!("127.0.0.1:{port}"));
    ready(&lab.http, &issuer).await;

    let (run, setup) = own_provider(&lab, &format!("issuer={}", urlencode(&issuer))).await;
    assert_eq!(setup["issuer"], issuer.as_str());
    assert_eq!(setup["token_endpoint"], format!("{issuer}/oauth/token").as_str());
    assert_eq!(setup["registered"], true, "no client id given: registered with RFC 7591");
    assert_eq!(setup["redirect_uri"], lab.url("/lab/provider/callback").as_str());
    assert_eq!(setup["origins"], serde_json::json!([issuer]));
    assert!(setup.get("client_secret").is_none(), "the secret never goes back to a page");

    // Client credentials, then introspection, revocation, introspection.
    let r = act(&lab, &run, "ClientCredentials").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for action in ["Introspect", "Revoke"] {
        let r = act(&lab, &run, action).await;
        assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.text);
    }
    let rec = record(&lab, &run).await;
    assert_eq!(last_answer(&rec, "Introspect")["active"], true);
    act(&lab, &run, "Introspect").await;
    assert_eq!(last_answer(&record(&lab, &run).await, "Introspect")["active"], false, "revoked");

    // The code grant: the learner's browser goes to the provider, signs
    // in as alice there, and comes back to the lab's callback.
    let (authorize, binding) = begin_sign_in(&lab, &run).await;
    let params: std::collections::HashMap<String, String> = authorize.query_pairs().into_owned().collect();
    assert_eq!(params["code_challenge_method"], "S256");
    assert!(params["state"].starts_with(&format!("{run}.")), "{params:?}");
    assert!(params.contains_key("nonce"), "openid is in the default scope");
    let at_provider = Lab { base: issuer.clone(), http: lab.http.clone() };
    let query = authorize.query().unwrap().to_string();
    let page = at_provider.get(&format!("/oauth/authorize?{query}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let cookie = page.header("set-cookie").split(';').next().unwrap().to_string();
    let mut fields =
        vec![("request_id", hidden(&page.text, "request_id")), ("csrf_token", hidden(&page.text, "csrf_token"))];
    for (k, v) in approve_as_alice(&["openid", "profile"]) {
        fields.push((k, v.to_string()));
    }
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let decided = at_provider.post_form_with_cookie("/oauth/authorize", &cookie, &fields).await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER, "{}", decided.text);
    let back = finish_sign_in(&lab, &decided.header("location"), &binding).await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.text);
    assert!(back.text.contains("Signed in at your provider"), "{}", back.text);
    // The same callback again: its state is spent.
    let again = finish_sign_in(&lab, &decided.header("location"), &binding).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);

    for action in ["UserInfo", "Refresh", "Revoke"] {
        let r = act(&lab, &run, action).await;
        assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.text);
    }
    let rec = record(&lab, &run).await;
    assert_eq!(rec["grant"], "OwnProvider");
    assert_eq!(
        kinds(&rec),
        [
            "Discovery",
            "Register",
            "TokenRequest",
            "Introspect",
            "Revoke",
            "Introspect",
            "ClientStart",
            "Callback",
            "TokenRequest",
            // The ID token checked with the provider's keys.
            "Jwks",
            "IdTokenCheck",
            // The replayed callback, refused.
            "Callback",
            "UserInfo",
            "Refresh",
            "Revoke"
        ]
    );
    assert_eq!(last_answer(&rec, "UserInfo")["preferred_username"], "alice");
    assert!(last_answer(&rec, "TokenRequest")["id_token"].is_string());
    let check = steps(&rec).into_iter().find(|s| s["kind"] == "IdTokenCheck").unwrap();
    let names: Vec<&str> = check["checks"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["signature", "iss", "aud", "azp", "exp", "iat", "nonce", "at_hash"]);
    assert!(check["checks"].as_array().unwrap().iter().all(|c| c["pass"] == true), "{check}");
    assert!(last_answer(&rec, "Refresh")["access_token"].is_string());
    // The front channel as the lab saw it: its redirect, the callback, and
    // the replayed callback refused.
    let front: Vec<Value> = steps(&rec).into_iter().filter(|s| s["channel"] == "Front").collect();
    assert_eq!(front.len(), 3);
    assert_eq!(front[0]["exchange"]["response"]["status"], 302);
    assert!(front[1]["exchange"]["request"]["target"].as_str().unwrap().contains("code="));
    assert_eq!(front[1]["exchange"]["response"]["status"], 200);
    assert_eq!(front[2]["exchange"]["response"]["status"], 400);

    // Every back-channel exchange is what crossed the relay, byte for
    // byte: the request whole, the response's head and its body.
    let carried: Vec<(String, String)> = connections
        .lock()
        .iter()
        .map(|(up, down)| {
            (String::from_utf8(up.lock().clone()).unwrap(), String::from_utf8(down.lock().clone()).unwrap())
        })
        .collect();
    let back_channel: Vec<Value> = steps(&rec).into_iter().filter(|s| s["channel"] == "Back").collect();
    assert_eq!(back_channel.len(), 11);
    for step in &back_channel {
        let (sent, answered) = as_sent(step);
        assert!(
            carried.iter().any(|(up, down)| *up == sent && *down == answered),
            "{} is not what the relay carried:\n{sent}\n{answered}",
            step["label"]
        );
    }

    // The record holds live credentials: only its learner reads it.
    let stranger = reply(lab.http.get(lab.url(&format!("/lab/runs/{run}"))).send().await.unwrap()).await;
    assert_eq!(stranger.status, StatusCode::FORBIDDEN);
    let _ = provider.kill();
    let _ = provider.wait();
}

#[tokio::test]
async fn outbound_calls_are_bounded_and_bad_input_gets_a_clear_error() {
    // A lab that refuses private and loopback addresses, as one that does
    // not listen on loopback does by default.
    let lab = start_with(|c| c.outbound_private = false).await;
    let r = lab.server_fn("start_own_provider", &format!("issuer={}", urlencode(&lab.url(""))), Some(LEARNER)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.text.contains("private or loopback"), "{}", r.text);
    // Metadata addresses are refused whatever the flag says.
    let open = start().await;
    for issuer in ["http://169.254.169.254/latest", "http://[fe80::1]:8080/", "http://[::ffff:169.254.169.254]/"] {
        let r = open.server_fn("start_own_provider", &format!("issuer={}", urlencode(issuer)), Some(LEARNER)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{issuer}: {}", r.text);
        assert!(r.text.contains("link-local or cloud-metadata"), "{issuer}: {}", r.text);
    }
    for (args, says) in [
        ("", "issuer, or at least its token endpoint"),
        ("issuer=ftp%3A%2F%2Fexample.org%2F", "not an http or https URL"),
        ("issuer=not%20a%20url", "is not a URL"),
        ("token_endpoint=http%3A%2F%2F127.0.0.1%3A1%2Ftoken", "no registration endpoint"),
    ] {
        let r = open.server_fn("start_own_provider", args, Some(LEARNER)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{args}: {}", r.text);
        assert!(r.text.contains(says), "{args}: {}", r.text);
    }
    // A provider that never answers: the call gives up within its timeout.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = vec![];
        while let Ok((c, _)) = silent.accept().await {
            held.push(c);
        }
    });
    let r = open.server_fn("start_own_provider", &format!("issuer={}", urlencode(&silent_url)), Some(LEARNER)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.text.contains("No answer within 5 seconds"), "{}", r.text);
    // Another learner cannot act in the run.
    let provider = start().await;
    let (run, _) = own_provider(
        &open,
        &format!("token_endpoint={}&client_id=x&client_secret=y", urlencode(&provider.url("/oauth/token"))),
    )
    .await;
    let r = open.server_fn("own_provider_act", &format!("run={run}&action=ClientCredentials"), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    // The provider refuses the unknown client: the step is recorded, and
    // its error comes back.
    let r = act(&open, &run, "ClientCredentials").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.text.contains("invalid_client"), "{}", r.text);
    assert_eq!(kinds(&record(&open, &run).await), ["TokenRequest"]);
}

#[tokio::test]
async fn steps_against_a_provider_are_rate_limited_per_address() {
    let lab = start_with(|c| {
        c.rate_burst = 3;
        c.rate_per_minute = 1;
    })
    .await;
    let mut statuses = vec![];
    for _ in 0..5 {
        statuses.push(act(&lab, "run_nobody", "Refresh").await.status);
    }
    // No such run for this learner: 403, until the address has used its
    // allowance.
    assert_eq!(statuses[0], StatusCode::FORBIDDEN);
    assert_eq!(statuses[4], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    let r = lab.server_fn("start_own_provider", "issuer=http%3A%2F%2F127.0.0.1%3A1", Some(LEARNER)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
}
