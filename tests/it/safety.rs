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

#[tokio::test]
async fn a_run_is_written_only_by_its_own_browser_and_the_lab_and_read_by_anyone() {
    use crate::runs::learner_cookie;
    let lab = start().await;
    let (started, run) = start_run(&lab, "ClientCredentials", "Guided", None).await;
    let id = run["id"].as_str().unwrap().to_string();
    let steps = |r: &serde_json::Value| r["steps"].as_array().unwrap().len();
    let before = steps(&run);
    // Another machine, holding the id from a shared link.
    let stranger = lab.reached_from([127, 0, 0, 6]);
    let planted = stranger
        .http
        .post(stranger.url("/x$(touch${IFS}pwned)"))
        .header("x-lab-run", &id)
        .header("x-lab-run-key", "a-guess")
        .body("A".repeat(30_000))
        .send()
        .await
        .unwrap();
    assert_eq!(planted.status(), StatusCode::NOT_FOUND);
    let api = stranger.get_auth("/api/v1/accounts/verify_credentials", "Bearer at_x").await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
    // The run's app refuses to act for them: the run stays as it was.
    let job = stranger.post_form(&format!("/lab/runs/{id}/service"), None, &[]).await;
    assert_eq!(job.status, StatusCode::FORBIDDEN, "{}", job.text);
    assert_eq!(stranger.get(&format!("/lab/runs/{id}/login")).await.status, StatusCode::FORBIDDEN);
    let record = stranger.get(&format!("/lab/runs/{id}")).await;
    assert_eq!(record.status, StatusCode::OK, "anyone with the link reads it");
    assert_eq!(steps(&record.json()), before, "nothing planted");
    assert_eq!(record.json()["status"], "Waiting");
    // Its own browser plays it; the run's key never shows in the record.
    let job = lab.post_form_with_cookie(&format!("/lab/runs/{id}/service"), &learner_cookie(&started), &[]).await;
    assert_eq!(job.status, StatusCode::OK);
    let record = lab.get(&format!("/lab/runs/{id}")).await;
    assert_eq!(record.json()["status"], "Done");
    assert!(steps(&record.json()) > before);
    assert!(!record.text.contains("x-lab-run-key") && !record.text.contains("runkey_"), "{}", record.text);
}

#[tokio::test]
async fn exports_are_inert_a_replayed_script_runs_no_recorded_byte() {
    use crate::runs::learner_cookie;
    let lab = start().await;
    let (started, run) = start_run(&lab, "ClientCredentials", "Guided", None).await;
    let id = run["id"].as_str().unwrap().to_string();
    let cookie = learner_cookie(&started);
    let dir = std::env::temp_dir().join(format!("oauth2-lab-inert-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.display().to_string();
    // The run's own browser records requests whose every field is hostile.
    let send = |method: &str, path: String, content_type: String, authorization: String, body: String| {
        let req = lab
            .http
            .request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), lab.url(&path))
            .header("x-lab-run", &id)
            .header("cookie", &cookie)
            .header("content-type", content_type)
            .header("authorization", authorization)
            .body(body);
        async move { req.send().await.unwrap().status() }
    };
    send(
        "POST",
        format!("/x$(touch$IFS{d}/p1)[link](javascript:alert(1))?state=$(touch$IFS{d}/p2)&q=`touch$IFS{d}/p3`"),
        format!("application/x-www-form-urlencoded; x=\"$(touch {d}/p4)\"'"),
        format!("Bearer $(touch {d}/p5)`touch {d}/p6`"),
        format!("a=$(touch {d}/p7)&b=`touch {d}/p8`&c='\"\n$(touch {d}/p9)\n"),
    )
    .await;
    send(
        "POST",
        "/oauth/register".into(),
        "application/json".into(),
        "Bearer x".into(),
        serde_json::json!({ "client_name": format!("$(touch {d}/p10)'`touch {d}/p11`\""), "grant_types": ["client_credentials"] })
            .to_string(),
    )
    .await;
    send("PWN", format!("/oauth/token?x=$(touch$IFS{d}/p12)"), "text/plain".into(), "Basic x".into(), String::new())
        .await;
    let record = lab.get(&format!("/lab/runs/{id}")).await.json();
    assert!(record["steps"].as_array().unwrap().len() >= 4, "the hostile steps were recorded: {record}");

    let script = lab.get(&format!("/lab/runs/{id}/export.sh")).await.text;
    assert!(!script.contains("-X PWN"), "only known methods are sent");
    let path = dir.join("replay.sh");
    std::fs::write(&path, &script).unwrap();
    // On the blocking pool, so that this runtime goes on serving the lab.
    let (base, cwd) = (lab.base.clone(), dir.clone());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("bash").arg(&path).env("LAB", base).current_dir(cwd).output()
    })
    .await
    .unwrap()
    .expect("bash runs the script");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the script replays to its end: {stderr}\n{script}");
    assert!(stderr.contains("Replayed"), "{stderr}");
    let ran: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.starts_with('p'))
        .collect();
    assert!(ran.is_empty(), "recorded bytes ran as code: {ran:?}\n{script}");

    let md = lab.get(&format!("/lab/runs/{id}/export.md")).await.text;
    // Outside the code fences, a recorded link is text: its heading has
    // every bracket escaped.
    let heading = md.lines().find(|l| l.starts_with("## ") && l.contains("link")).expect("the step's heading");
    assert!(heading.contains(r"\[link\]\(javascript\:alert\(1\)\)"), "{heading}");
    let har = lab.get(&format!("/lab/runs/{id}/export.har")).await;
    assert!(serde_json::from_str::<serde_json::Value>(&har.text).is_ok(), "HAR stays JSON");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_open_registration_cannot_make_the_authorization_server_an_open_redirector() {
    let lab = start().await;
    let evil = lab
        .register(serde_json::json!({
            "client_name": "evil", "redirect_uris": ["https://evil.example/cb"], "grant_types": ["authorization_code"]
        }))
        .await
        .json();
    let id = evil["client_id"].as_str().unwrap();
    let r = lab
        .authorize(&[("client_id", id), ("redirect_uri", "https://evil.example/cb"), ("response_type", "nope")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.header("location").is_empty(), "no redirect before sign-in");
    assert!(r.text.contains("https://evil.example/cb"), "the page names where the error would have gone: {}", r.text);
    assert!(r.text.contains("unsupported_response_type"));
    // A trusted redirect URI (this origin) still gets its error, with iss
    // (RFC 9207).
    let r =
        lab.authorize(&[("client_id", "web-app"), ("redirect_uri", &lab.callback()), ("response_type", "nope")]).await;
    assert_eq!(r.status, StatusCode::FOUND);
    let p = r.location_params();
    assert_eq!(p["error"], "unsupported_response_type");
    assert_eq!(p["iss"], lab.base);
    let meta = lab.get("/.well-known/oauth-authorization-server").await.json();
    assert_eq!(meta["authorization_response_iss_parameter_supported"], true);
}

#[tokio::test]
async fn introspection_tells_a_client_only_about_its_own_tokens() {
    let lab = start().await;
    let web = lab.web_app_tokens().await;
    let at = web["access_token"].as_str().unwrap();
    let service = basic("service", "service-secret");
    let foreign = lab.post_form("/oauth/introspect", Some(&service), &[("token", at)]).await;
    assert_eq!(foreign.text, r#"{"active":false}"#, "another client's token reveals nothing");
    let own = lab.post_form("/oauth/introspect", Some(&lab.web_app()), &[("token", at)]).await.json();
    assert_eq!(own["active"], true);
    for bad in [
        lab.post_form("/oauth/introspect", Some(&basic("service", "wrong")), &[("token", at)]).await,
        lab.post_form("/oauth/introspect", None, &[("token", at), ("client_id", "service"), ("client_secret", "x")])
            .await,
        lab.post_form("/oauth/introspect", None, &[("token", at), ("client_id", "spa")]).await,
    ] {
        assert_eq!(bad.status, StatusCode::UNAUTHORIZED, "{}", bad.text);
        assert!(bad.header("www-authenticate").starts_with("Basic"), "{:?}", bad.headers);
        assert_eq!(bad.error(), "invalid_client");
    }
    let meta = lab.get("/.well-known/oauth-authorization-server").await.json();
    assert_eq!(
        meta["introspection_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_basic", "client_secret_post"])
    );
}

#[tokio::test]
async fn a_callback_planted_in_another_browser_signs_nobody_in() {
    let lab = start().await;
    // Mallory begins the demo web app's login in her browser, signs in as
    // herself, and keeps the callback link instead of following it.
    let started = lab.get("/lab/start").await;
    let url = url::Url::parse(&started.header("location")).unwrap();
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mallory = [("decision", "approve"), ("username", "mallory"), ("password", "attacker"), ("scope", "read")];
    let back = lab.consent(&pairs, &mallory).await;
    let link = back.header("location");
    assert!(link.contains("code=") && link.contains("state="), "{link}");
    // alice opens it in her own browser: refused, nobody signed in.
    let alice = lab.reached_from([127, 0, 0, 7]);
    let opened = alice.get(link.trim_start_matches(&lab.base)).await;
    assert_eq!(opened.status, StatusCode::BAD_REQUEST, "{}", opened.text);
    assert!(opened.text.contains("in this browser"), "{}", opened.text);
    assert!(!opened.text.contains("access-token"));
    // In Mallory's own browser the link still works: the defence is the
    // browser binding, not a broken app.
    let cookie = started.header("set-cookie").split(';').next().unwrap().to_string();
    let own = reply(lab.http.get(&link).header("cookie", cookie).send().await.unwrap()).await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text);
    assert!(own.text.contains(r#""username": "mallory""#));
}

#[tokio::test]
async fn standards_points_loopback_ports_replays_and_pkce_parameters() {
    let lab = start_with(|c| c.code_ttl = std::time::Duration::from_millis(300)).await;
    // RFC 8252 §7.3: a native app's loopback redirect URI, registered
    // without a port, is good at any port; with a port, only at that one.
    let native = lab
        .register(serde_json::json!({
            "client_name": "native", "redirect_uris": ["http://127.0.0.1/cb", "http://127.0.0.1:7000/fixed"],
            "grant_types": ["authorization_code"], "token_endpoint_auth_method": "none"
        }))
        .await
        .json();
    let id = native["client_id"].as_str().unwrap();
    let ch = s256(VERIFIER);
    let lab = &lab;
    let ask = |uri: &'static str| {
        let ch = ch.clone();
        async move {
            lab.authorize(&[
                ("response_type", "code"),
                ("client_id", id),
                ("redirect_uri", uri),
                ("code_challenge", &ch),
                ("code_challenge_method", "S256"),
            ])
            .await
        }
    };
    assert_eq!(ask("http://127.0.0.1:51234/cb").await.status, StatusCode::OK, "any port");
    assert_eq!(ask("http://127.0.0.1:7001/fixed").await.status, StatusCode::BAD_REQUEST, "a registered port holds");
    assert_eq!(ask("http://127.0.0.1:51234/other").await.status, StatusCode::BAD_REQUEST, "the path must match");
    // code_challenge_method alone is invalid_request.
    let r = lab
        .authorize(&[
            ("response_type", "code"),
            ("client_id", "web-app"),
            ("redirect_uri", &lab.callback()),
            ("code_challenge_method", "S256"),
        ])
        .await;
    assert_eq!(r.location_params()["error"], "invalid_request");
    // A code replayed after its 60 seconds (here 300 ms) is still caught,
    // and the tokens issued from it are revoked.
    let code = lab.code_for(&[]).await["code"].clone();
    let redeem = || {
        let (code, cb) = (code.clone(), lab.callback());
        async move {
            lab.token(
                Some(&lab.web_app()),
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", &cb),
                    ("code_verifier", VERIFIER),
                ],
            )
            .await
        }
    };
    let tokens = redeem().await.json();
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let replay = redeem().await;
    assert_eq!(replay.error(), "invalid_grant");
    assert!(replay.json()["error_description"].as_str().unwrap().contains("already used"), "{}", replay.text);
    let at = tokens["access_token"].as_str().unwrap();
    let api = lab.get_auth("/api/v1/accounts/verify_credentials", &format!("Bearer {at}")).await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED, "the replay revoked the code's tokens");
    // The API checks the token before it reads the body.
    let r = lab.post_raw("/api/v1/statuses", "application/json", b"{not json".to_vec(), Some("Bearer at_nope")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
}

#[tokio::test]
async fn one_presenter_opening_classes_without_end_ends_only_their_own_oldest() {
    let lab = start_with(|c| c.rate_per_minute = 0).await;
    let open = |l: &Lab| {
        let l = Lab { base: l.base.clone(), http: l.http.clone() };
        async move {
            let r = l.server_fn("open_class", "", None).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            r.json()[0].as_str().unwrap().to_string()
        }
    };
    let other = open(&lab.reached_from([127, 0, 0, 9])).await;
    let flooder = lab.reached_from([127, 0, 0, 8]);
    let first = open(&flooder).await;
    for _ in 0..12 {
        open(&flooder).await;
    }
    assert_eq!(lab.get(&format!("/lab/classes/{first}/qr.svg")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(lab.get(&format!("/lab/classes/{other}/qr.svg")).await.status, StatusCode::OK, "others' classes go on");
}
