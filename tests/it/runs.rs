//! Runs, over HTTP: the server function starts a run, the capture layer
//! records it, and the JSON record matches what crossed the wire.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::Value;

/// Calls the `start_run` server function as the page does.
pub async fn start_run(lab: &Lab, grant: &str, mode: &str, cookie: Option<&str>) -> (Reply, Value) {
    start_run_with(lab, grant, mode, true, cookie).await
}

async fn start_run_with(lab: &Lab, grant: &str, mode: &str, lifecycle: bool, cookie: Option<&str>) -> (Reply, Value) {
    let r = lab.server_fn("start_run", &format!("grant={grant}&mode={mode}&lifecycle={lifecycle}"), cookie).await;
    // The server function answers with the run as the page shows it; the
    // record behind it is one GET away.
    let view: Value = serde_json::from_str(&r.text).unwrap_or(Value::Null);
    let v = match view["id"].as_str() {
        Some(id) => lab.get(&format!("/lab/runs/{id}")).await.json(),
        None => Value::Null,
    };
    (r, v)
}

/// The learner cookie a run's start set: the run's own browser sends it.
pub fn learner_cookie(start: &Reply) -> String {
    start.header("set-cookie").split(';').next().unwrap_or_default().to_string()
}

fn labels(record: &Value) -> Vec<String> {
    record["steps"].as_array().unwrap().iter().map(|s| s["label"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn autoplay_code_run_is_recorded_from_the_wire() {
    let lab = start().await;
    let (r, run) = start_run(&lab, "AuthorizationCode", "Autoplay", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(run["status"], "Done");
    assert!(r.header("set-cookie").contains("oauth2_lab_learner="), "a learner cookie");
    assert_eq!(
        labels(&run),
        [
            "POST /oauth/register",
            "GET /lab/runs/…/login",
            "GET /oauth/authorize",
            "user signs in and decides",
            "POST /oauth/authorize",
            "GET /lab/runs/…/callback",
            "POST /oauth/token",
            "GET /api/v1/accounts/verify_credentials",
            "POST /api/v1/statuses",
            "POST /oauth/token",
            "POST /oauth/revoke",
        ]
    );
    let steps = run["steps"].as_array().unwrap();
    // The token response as recorded carries the token the API call used.
    let token_body: Value = serde_json::from_str(steps[6]["exchange"]["response"]["body"].as_str().unwrap()).unwrap();
    let at = token_body["access_token"].as_str().unwrap();
    let api_headers = steps[7]["exchange"]["request"]["headers"].as_array().unwrap();
    let auth = api_headers.iter().find(|h| h[0] == "authorization").unwrap()[1].as_str().unwrap();
    assert_eq!(auth, format!("Bearer {at}"));
    // The consent POST went out with the verifier's challenge earlier, and
    // the token request carries the verifier: PKCE is on the wire.
    let login_location = steps[1]["exchange"]["response"]["headers"].as_array().unwrap();
    let location = login_location.iter().find(|h| h[0] == "location").unwrap()[1].as_str().unwrap();
    assert!(location.contains("code_challenge_method=S256"));
    assert!(steps[6]["exchange"]["request"]["body"].as_str().unwrap().contains("code_verifier="));
    // Responses carry what hyper would add, so the record is whole.
    let token_headers = steps[6]["exchange"]["response"]["headers"].as_array().unwrap();
    assert!(token_headers.iter().any(|h| h[0] == "content-length"));
    assert!(token_headers.iter().any(|h| h[0] == "date"));
    // The server function's answer is that record as the page shows it:
    // the same labels, one diagram step and one inspector pane per step.
    let view: Value = serde_json::from_str(&r.text).unwrap();
    assert_eq!(view["id"], run["id"]);
    assert_eq!(view["status"], "Done");
    assert_eq!(view["labels"].as_array().unwrap().len(), steps.len());
    assert_eq!(
        labels(&run),
        view["labels"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect::<Vec<_>>()
    );
    // The picture: the lane names, the diagram and the same steps as a list,
    // each step once in each.
    let diagram = view["diagram"].as_str().unwrap();
    assert!(diagram.contains("<svg"), "{diagram}");
    assert_eq!(diagram.matches("data-testid=\"lane-name\"").count(), 5);
    assert_eq!(diagram.matches("data-testid=\"step\"").count(), steps.len());
    assert_eq!(diagram.matches("data-testid=\"step-item\"").count(), steps.len());
    assert_eq!(diagram.matches("data-step=").count(), 2 * steps.len());
    let panes = view["inspector"].as_array().unwrap();
    assert_eq!(panes.len(), steps.len());
    let token_pane = panes[6].as_str().unwrap();
    assert!(token_pane.contains("POST /oauth/token"));
    assert!(token_pane.contains(at), "the inspector shows the recorded token");
    assert!(token_pane.contains("They match"), "the PKCE proof, recomputed from the recorded verifier");
}

#[tokio::test]
async fn the_view_masks_secrets_when_asked_and_the_comparison_is_computed_from_records() {
    let lab = start().await;
    let r = lab.server_fn("start_run", "grant=ClientCredentials&mode=Autoplay&lifecycle=true", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let plain: Value = serde_json::from_str(&r.text).unwrap();
    let id = plain["id"].as_str().unwrap().to_string();
    let record = lab.get(&format!("/lab/runs/{id}")).await.json();
    let token_body: Value =
        serde_json::from_str(record["steps"][3]["exchange"]["response"]["body"].as_str().unwrap()).unwrap();
    let at = token_body["access_token"].as_str().unwrap();
    assert!(plain["inspector"][3].as_str().unwrap().contains(at));
    assert_eq!(plain["masked"], false);
    let masked = lab.get(&format!("/lab/runs/{id}/view?mask=true")).await;
    assert_eq!(masked.status, StatusCode::OK, "{}", masked.text);
    let masked: Value = serde_json::from_str(&masked.text).unwrap();
    assert_eq!(masked["masked"], true);
    let pane = masked["inspector"][3].as_str().unwrap();
    assert!(!pane.contains(at), "{pane}");
    assert!(pane.contains(&format!("{}••••••", &at[..4])), "{pane}");
    let registered: Value =
        serde_json::from_str(record["steps"][0]["exchange"]["response"]["body"].as_str().unwrap()).unwrap();
    let secret = registered["client_secret"].as_str().unwrap();
    assert!(plain.to_string().contains(secret));
    assert!(!masked.to_string().contains(secret), "the client secret is hidden in every step");
    // Bare: the diagram without the inspector, for the comparison.
    let bare = lab.get(&format!("/lab/runs/{id}/view?bare=true")).await;
    let bare: Value = serde_json::from_str(&bare.text).unwrap();
    assert_eq!(bare["inspector"].as_array().unwrap().len(), 0);
    assert!(bare["diagram"].as_str().unwrap().contains("data-testid=\"step\""));

    // The comparison table comes from the records of two runs.
    let r = lab.server_fn("start_run", "grant=Password&mode=Autoplay&lifecycle=true&bare=true", None).await;
    let other: Value = serde_json::from_str(&r.text).unwrap();
    let both = format!("{id},{}", other["id"].as_str().unwrap());
    let table = lab.server_fn("compare_table", &format!("runs={both}"), None).await;
    assert_eq!(table.status, StatusCode::OK, "{}", table.text);
    let html: String = serde_json::from_str(&table.text).unwrap();
    assert!(html.starts_with("<table") && html.contains("class=\"compare-table\""), "{html}");
    assert!(html.contains("Client credentials") && html.contains("Resource owner password"));
    let missing = lab.server_fn("compare_table", &format!("runs={id},run_nope"), None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.text);
    let one = lab.server_fn("compare_table", &format!("runs={id}"), None).await;
    assert_eq!(one.status, StatusCode::NOT_FOUND, "{}", one.text);
}

#[tokio::test]
async fn implicit_token_never_reaches_the_clients_server() {
    let lab = start().await;
    let (_, run) = start_run(&lab, "Implicit", "Autoplay", None).await;
    assert_eq!(run["status"], "Done", "{run}");
    let steps = run["steps"].as_array().unwrap();
    let consent = &steps[4]["exchange"]["response"];
    let location =
        consent["headers"].as_array().unwrap().iter().find(|h| h[0] == "location").unwrap()[1].as_str().unwrap();
    let token = location.split("access_token=").nth(1).unwrap().split('&').next().unwrap();
    // Every request the client's own pages received, token-free.
    for s in steps.iter().filter(|s| s["to"] == "Client") {
        let req = serde_json::to_string(&s["exchange"]["request"]).unwrap();
        assert!(!req.contains(token), "the client's server saw the token in {}", s["label"]);
    }
    assert_eq!(steps[6]["kind"], "ReadsFragment");
    assert_eq!(steps[7]["from"], "UserAgent", "browser code calls the API");
}

#[tokio::test]
async fn password_run_shows_the_client_receiving_the_password() {
    let lab = start().await;
    let (_, run) = start_run(&lab, "Password", "Autoplay", None).await;
    let steps = run["steps"].as_array().unwrap();
    let to_client = steps.iter().find(|s| s["kind"] == "PasswordForm").unwrap();
    assert_eq!(to_client["to"], "Client");
    assert!(to_client["exchange"]["request"]["body"].as_str().unwrap().contains("password=wonderland"));
}

#[tokio::test]
async fn a_run_records_the_response_as_it_leaves_the_router() {
    // The router adds `Allow` to a 405 as it finishes the response; the
    // record is taken after that, so it holds the header the client got.
    let lab = start().await;
    let (started, run) = start_run(&lab, "ClientCredentials", "Guided", None).await;
    assert_eq!(run["status"], "Waiting");
    let id = run["id"].as_str().unwrap();
    // The run's own browser, with its learner's cookie.
    let sent = lab
        .http
        .get(lab.url("/oauth/token"))
        .header("x-lab-run", id)
        .header("cookie", learner_cookie(&started))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), StatusCode::METHOD_NOT_ALLOWED);
    let allow = sent.headers()["allow"].to_str().unwrap().to_string();
    assert!(allow.contains("POST"), "{allow}");
    let record = lab.get(&format!("/lab/runs/{id}")).await.json();
    let last = record["steps"].as_array().unwrap().last().unwrap();
    assert_eq!(last["exchange"]["response"]["status"], 405);
    let recorded = last["exchange"]["response"]["headers"].as_array().unwrap();
    assert!(recorded.iter().any(|h| h[0] == "allow" && h[1] == allow.as_str()), "{recorded:?}");
}

#[tokio::test]
async fn guided_run_waits_for_the_learner_and_unknown_runs_are_404() {
    let lab = start().await;
    let (started, run) = start_run(&lab, "ClientCredentials", "Guided", None).await;
    assert_eq!(run["status"], "Waiting");
    assert_eq!(labels(&run), ["POST /oauth/register"]);
    let id = run["id"].as_str().unwrap();
    let job = lab.post_form_with_cookie(&format!("/lab/runs/{id}/service"), &learner_cookie(&started), &[]).await;
    assert_eq!(job.status, StatusCode::OK);
    let record = lab.get(&format!("/lab/runs/{id}")).await.json();
    assert_eq!(record["status"], "Done");
    assert_eq!(labels(&record).len(), 5);
    assert_eq!(lab.get("/lab/runs/run_nope").await.status, StatusCode::NOT_FOUND);
    assert_eq!(lab.get("/lab/runs/run_nope/login").await.status, StatusCode::NOT_FOUND);
    // Server functions given bad input answer 4xx, never 5xx.
    let bad = reply(
        lab.http
            .post(lab.url("/lab/fn/start_run"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("grant=Nope&mode=Autoplay")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text);
    let empty = reply(lab.http.post(lab.url("/lab/fn/start_run")).send().await.unwrap()).await;
    assert!(empty.status.is_client_error(), "{} {}", empty.status, empty.text);
    let gone = lab.get("/lab/runs/run_nope/view").await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.json()["error"], "There is no such run, or the lab no longer keeps it.");
    let bad = lab.get("/lab/runs/run_nope/view?mask=maybe").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text);
}

#[tokio::test]
async fn runs_are_capped_per_learner_and_in_total() {
    let lab = start_with(|c| c.max_runs = 25).await;
    let (r, first) = start_run(&lab, "ClientCredentials", "Guided", None).await;
    let cookie = r.header("set-cookie").split(';').next().unwrap().to_string();
    let first_id = first["id"].as_str().unwrap().to_string();
    for _ in 0..20 {
        let (r, _) = start_run(&lab, "ClientCredentials", "Guided", Some(&cookie)).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    // Twenty-one runs for one learner: the oldest is gone.
    assert_eq!(lab.get(&format!("/lab/runs/{first_id}")).await.status, StatusCode::NOT_FOUND);
    // Other learners fill the rest, then the lab says it is full.
    let mut full = None;
    for _ in 0..10 {
        let (r, _) = start_run(&lab, "ClientCredentials", "Guided", None).await;
        if r.status != StatusCode::OK {
            full = Some(r);
            break;
        }
    }
    let full = full.expect("the run store filled up");
    assert_eq!(full.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(full.text.contains("limit"), "{}", full.text);
}

#[tokio::test]
async fn without_the_lifecycle_a_run_stops_after_using_the_token() {
    let lab = start().await;
    let (_, run) = start_run_with(&lab, "AuthorizationCode", "Autoplay", false, None).await;
    assert_eq!(run["status"], "Done");
    assert_eq!(labels(&run).last().unwrap(), "POST /api/v1/statuses");
    assert_eq!(labels(&run).len(), 9);
}

#[tokio::test]
async fn exports_are_har_and_markdown_and_not_steps_themselves() {
    let lab = start().await;
    let (_, run) = start_run(&lab, "Password", "Autoplay", None).await;
    let id = run["id"].as_str().unwrap();
    let har = lab.get(&format!("/lab/runs/{id}/export.har")).await;
    assert_eq!(har.status, StatusCode::OK);
    assert!(har.header("content-disposition").contains("oauth2-lab-password.har"));
    let har = har.json();
    let exchanges = run["steps"].as_array().unwrap().iter().filter(|s| !s["exchange"].is_null()).count();
    assert_eq!(har["log"]["version"], "1.2");
    assert_eq!(har["log"]["entries"].as_array().unwrap().len(), exchanges);
    let md = lab.get(&format!("/lab/runs/{id}/export.md")).await;
    assert!(md.header("content-type").starts_with("text/markdown"));
    assert!(md.text.contains("```mermaid\nsequenceDiagram"));
    assert!(md.text.contains("password=wonderland"));
    // Fetching the record and exports added no step to the run.
    let again = lab.get(&format!("/lab/runs/{id}")).await.json();
    assert_eq!(again["steps"].as_array().unwrap().len(), run["steps"].as_array().unwrap().len());
    assert_eq!(lab.get("/lab/runs/run_nope/export.har").await.status, StatusCode::NOT_FOUND);
}

/// The curl export replays a run against the live lab: every code, token,
/// state, PKCE value and CSRF token is taken from the new answers, so the
/// replay succeeds where resending the recording would fail.
#[tokio::test]
async fn curl_export_replays_each_grant_with_fresh_values() {
    let lab = start().await;
    for grant in ["AuthorizationCode", "Implicit", "Password", "ClientCredentials", "DeviceCode"] {
        let (_, run) = start_run(&lab, grant, "Autoplay", None).await;
        assert_eq!(run["status"], "Done", "{run}");
        let id = run["id"].as_str().unwrap();
        let script = lab.get(&format!("/lab/runs/{id}/export.sh")).await;
        assert_eq!(script.status, StatusCode::OK);
        assert!(script.header("content-disposition").contains(".sh"), "{}", script.header("content-disposition"));
        let recorded_tokens: Vec<String> = run["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["name"].as_str().unwrap().ends_with("_token"))
            .map(|a| a["value"].as_str().unwrap().to_string())
            .collect();
        assert!(!recorded_tokens.is_empty(), "{grant}: no tokens recorded");
        let path = std::env::temp_dir().join(format!("oauth2-lab-replay-{id}.sh"));
        std::fs::write(&path, &script.text).unwrap();
        let base = lab.base.clone();
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new("bash").arg(&path).env("LAB", base).output().unwrap()
        })
        .await
        .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{grant}: the replay failed\n{stderr}\n{stdout}\n{}", script.text);
        assert!(stderr.contains("Replayed"), "{grant}: {stderr}");
        // The API answered the replay with alice's account (or the
        // service's), and with tokens the recording never saw.
        assert!(stdout.contains("\"access_token\":\"at_") || stdout.contains("access_token=at_"), "{grant}: {stdout}");
        for t in &recorded_tokens {
            assert!(!stdout.contains(t.as_str()), "{grant}: the replay reused the recorded {t}");
        }
    }
}

#[tokio::test]
async fn autoplay_openid_connect_run_discovers_checks_the_id_token_and_asks_userinfo() {
    let lab = start().await;
    let (r, run) = start_run(&lab, "OpenIdConnect", "Autoplay", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(run["status"], "Done", "{run}");
    assert_eq!(
        labels(&run),
        [
            "GET /.well-known/openid-configuration",
            "GET /oauth/jwks",
            "POST /oauth/register",
            "GET /lab/runs/…/login",
            "GET /oauth/authorize",
            "user signs in and decides",
            "POST /oauth/authorize",
            "GET /lab/runs/…/callback",
            "POST /oauth/token",
            "app checks the ID token",
            "GET /oauth/userinfo",
            "GET /api/v1/accounts/verify_credentials",
            "POST /oauth/token",
            "POST /oauth/revoke",
        ]
    );
    let steps = run["steps"].as_array().unwrap();
    let kinds: Vec<&str> = steps.iter().map(|s| s["kind"].as_str().unwrap()).collect();
    assert_eq!(&kinds[..2], ["Discovery", "Jwks"]);
    assert_eq!(kinds[9], "IdTokenCheck");
    assert_eq!(kinds[10], "UserInfo");
    // The authentication request carries openid, a nonce and PKCE.
    let login = steps[3]["exchange"]["response"]["headers"].as_array().unwrap();
    let location = login.iter().find(|h| h[0] == "location").unwrap()[1].as_str().unwrap();
    let query: std::collections::HashMap<String, String> =
        url::Url::parse(location).unwrap().query_pairs().into_owned().collect();
    assert_eq!(query["scope"], "openid profile email read");
    assert_eq!(query["code_challenge_method"], "S256");
    let nonce = &query["nonce"];
    // Every check passed, each from the real values: the nonce is the one
    // sent, aud the run's client, at_hash the access token's.
    let checks = steps[9]["checks"].as_array().unwrap();
    let names: Vec<&str> = checks.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["signature", "iss", "aud", "azp", "exp", "iat", "nonce", "at_hash"]);
    assert!(checks.iter().all(|c| c["pass"] == true), "{checks:?}");
    let token: Value = serde_json::from_str(steps[8]["exchange"]["response"]["body"].as_str().unwrap()).unwrap();
    let id_token = token["id_token"].as_str().unwrap();
    let claims = decode_claims(id_token);
    assert_eq!(&claims["nonce"], nonce.as_str());
    let nonce_check = checks.iter().find(|c| c["name"] == "nonce").unwrap();
    assert_eq!(nonce_check["expected"], nonce.as_str());
    assert_eq!(nonce_check["found"], nonce.as_str());
    let client_id = query["client_id"].as_str();
    assert_eq!(claims["aud"], client_id);
    assert_eq!(checks.iter().find(|c| c["name"] == "aud").unwrap()["found"], client_id);
    assert!(checks.iter().find(|c| c["name"] == "at_hash").unwrap()["expected"]
        .as_str()
        .unwrap()
        .starts_with(claims["at_hash"].as_str().unwrap()));
    // UserInfo is asked with the access token, and names the same sub.
    let userinfo = &steps[10]["exchange"];
    let auth = userinfo["request"]["headers"].as_array().unwrap().iter().find(|h| h[0] == "authorization").unwrap()[1]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(auth, format!("Bearer {}", token["access_token"].as_str().unwrap()));
    let info: Value = serde_json::from_str(userinfo["response"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(info["sub"], claims["sub"]);
    assert_eq!(info["email"], "alice@example.com");
    // The inspector shows the checks, pass by pass, and why sub is the key.
    let view: Value = serde_json::from_str(&r.text).unwrap();
    let pane = view["inspector"][9].as_str().unwrap();
    assert_eq!(pane.matches("✓ pass").count(), 8, "{pane}");
    assert!(pane.contains("data-testid=\"id-token-verdict\"") && pane.contains("Every check passed"), "{pane}");
    assert!(view["inspector"][10].as_str().unwrap().contains("Why sub, not the email"));
    assert!(view["inspector"][8].as_str().unwrap().contains("ID token, decoded"));
}

fn decode_claims(jwt: &str) -> Value {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(jwt.split('.').nth(1).unwrap()).unwrap()).unwrap()
}

/// The seed's bot as a recorded run: the app made at Mastodon's endpoint,
/// the password grant with the app's credentials in the form, the first
/// toot, whose account it is, the token revoked; each step with its line
/// of Mastodon.py in the inspector.
#[tokio::test]
async fn autoplay_mastodon_bot_run_creates_an_app_gets_a_token_and_toots() {
    let lab = start().await;
    let (r, run) = start_run(&lab, "MastodonBot", "Autoplay", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(run["status"], "Done", "{run}");
    assert_eq!(
        labels(&run),
        [
            "POST /api/v1/apps",
            "GET /lab/runs/…/login",
            "user types password into the app",
            "POST /lab/runs/…/password",
            "POST /oauth/token",
            "POST /api/v1/statuses",
            "GET /api/v1/accounts/verify_credentials",
            "POST /oauth/revoke",
        ]
    );
    let steps = run["steps"].as_array().unwrap();
    let body = |i: usize, side: &str| steps[i]["exchange"][side]["body"].as_str().unwrap().to_string();
    let app: Value = serde_json::from_str(&body(0, "response")).unwrap();
    assert!(app["client_secret"].is_string() && app["redirect_uri"] == "urn:ietf:wg:oauth:2.0:oob", "{app}");
    assert!(body(0, "request").contains("client_name="), "a form, as Mastodon.py sends it");
    let token_request = body(4, "request");
    assert!(token_request.contains("grant_type=password") && token_request.contains("client_secret="));
    let token: Value = serde_json::from_str(&body(4, "response")).unwrap();
    assert_eq!(token["scope"], "read write");
    assert!(token["created_at"].is_u64());
    let toot: Value = serde_json::from_str(&body(5, "response")).unwrap();
    assert!(toot["content"].as_str().unwrap().starts_with("<p>Hello, fediverse!"), "{toot}");
    assert_eq!(toot["account"]["username"], "alice");
    assert_eq!(body(7, "response"), "{}");
    // The page's view of the run: each wire step's inspector shows its line
    // of Mastodon.py.
    for line in
        ["Mastodon.create_app", "m.log_in(", "m.toot(", "m.account_verify_credentials()", "m.revoke_access_token()"]
    {
        assert!(r.text.contains(line), "{line} in the inspectors");
    }
}

/// The view a page fetches of a run (`/lab/runs/{id}/view`): its status,
/// ETag and body, asked with `If-None-Match` when given.
async fn view_of(lab: &Lab, id: &str, query: &str, etag: Option<&str>) -> Reply {
    let mut req = lab.http.get(lab.url(&format!("/lab/runs/{id}/view{query}")));
    if let Some(etag) = etag {
        req = req.header("if-none-match", etag);
    }
    reply(req.send().await.unwrap()).await
}

#[tokio::test]
async fn a_finished_runs_view_is_served_with_an_etag_a_304_and_gzip() {
    let lab = start().await;
    let (_, run) = start_run(&lab, "ClientCredentials", "Autoplay", None).await;
    let id = run["id"].as_str().unwrap();
    let first = view_of(&lab, id, "", None).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let etag = first.header("etag");
    assert!(etag.starts_with("W/\"") && etag.ends_with('"') && etag.len() == 28, "{etag}");
    assert_eq!(first.header("cache-control"), "private, no-cache", "an unmasked view holds tokens");
    assert_eq!(first.header("vary"), "accept-encoding");
    assert_eq!(first.header("content-type"), "application/json");
    let view: Value = serde_json::from_str(&first.text).unwrap();
    assert_eq!(view["id"], id);
    assert_eq!(view["labels"].as_array().unwrap().len(), run["steps"].as_array().unwrap().len());

    // A class's worth of pages asking at once all get the same bytes.
    let asks = (0..40).map(|_| view_of(&lab, id, "", None));
    for r in futures_util::future::join_all(asks).await {
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.header("etag"), etag);
        assert_eq!(r.text, first.text);
    }
    // A page that has it gets a 304 and no body; a list of tags and `*`
    // match too, a tag of another view does not.
    let again = view_of(&lab, id, "", Some(&etag)).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.text.is_empty());
    assert_eq!(again.header("etag"), etag);
    assert_eq!(view_of(&lab, id, "", Some(&format!("W/\"x\", {etag}"))).await.status, StatusCode::NOT_MODIFIED);
    assert_eq!(view_of(&lab, id, "", Some("*")).await.status, StatusCode::NOT_MODIFIED);
    assert_eq!(view_of(&lab, id, "", Some("W/\"0123\"")).await.status, StatusCode::OK);

    // Compressed for a client that takes gzip: the same JSON.
    let gz =
        lab.http.get(lab.url(&format!("/lab/runs/{id}/view"))).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    assert_eq!(gz.headers()["etag"].to_str().unwrap(), etag);
    let packed = gz.bytes().await.unwrap();
    assert!(packed.len() * 3 < first.text.len(), "{} bytes packed, {} plain", packed.len(), first.text.len());
    let mut plain = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&packed[..]), &mut plain).unwrap();
    assert_eq!(plain, first.text);
    let refused = lab
        .http
        .get(lab.url(&format!("/lab/runs/{id}/view")))
        .header("accept-encoding", "gzip;q=0")
        .send()
        .await
        .unwrap();
    assert!(refused.headers().get("content-encoding").is_none());

    // Each variant is a view of its own.
    let masked = view_of(&lab, id, "?mask=true", None).await;
    assert_eq!(masked.header("cache-control"), "no-cache");
    assert_ne!(masked.header("etag"), etag);
    assert_eq!(view_of(&lab, id, "?mask=true", Some(&etag)).await.status, StatusCode::OK);
    let bare = view_of(&lab, id, "?bare=true", None).await;
    assert_ne!(bare.header("etag"), etag);
    assert_eq!(bare.json()["inspector"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_run_still_recording_never_serves_a_stale_view_once_it_has_changed() {
    let lab = start().await;
    let (started, run) = start_run(&lab, "ClientCredentials", "Guided", None).await;
    let id = run["id"].as_str().unwrap();
    let waiting = view_of(&lab, id, "", None).await;
    let e1 = waiting.header("etag");
    assert_eq!(waiting.json()["labels"].as_array().unwrap().len(), 1);
    assert_eq!(view_of(&lab, id, "", Some(&e1)).await.status, StatusCode::NOT_MODIFIED, "nothing has changed yet");

    // A step is recorded: the next ask gets it, whatever it holds.
    let sent = lab
        .http
        .get(lab.url("/oauth/token"))
        .header("x-lab-run", id)
        .header("cookie", learner_cookie(&started))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), StatusCode::METHOD_NOT_ALLOWED);
    let grown = view_of(&lab, id, "", Some(&e1)).await;
    assert_eq!(grown.status, StatusCode::OK);
    let e2 = grown.header("etag");
    assert_ne!(e2, e1);
    assert_eq!(grown.json()["labels"].as_array().unwrap().len(), 2);
    assert_eq!(grown.json()["status"], "Waiting");

    // The run finishes: a new status and more steps, never the view before.
    let job = lab.post_form_with_cookie(&format!("/lab/runs/{id}/service"), &learner_cookie(&started), &[]).await;
    assert_eq!(job.status, StatusCode::OK);
    let record = lab.get(&format!("/lab/runs/{id}")).await.json();
    for etag in [&e1, &e2] {
        let done = view_of(&lab, id, "", Some(etag)).await;
        assert_eq!(done.status, StatusCode::OK);
        assert_eq!(done.json()["status"], "Done");
        assert_eq!(done.json()["labels"].as_array().unwrap().len(), record["steps"].as_array().unwrap().len());
    }
    let e3 = view_of(&lab, id, "", None).await.header("etag");
    assert_eq!(view_of(&lab, id, "", Some(&e3)).await.status, StatusCode::NOT_MODIFIED);
}
