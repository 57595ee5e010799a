//! Lines 36 to 39: Mastodon's apps, instance, OAuth and statuses, as a
//! Mastodon client meets them.

use crate::common::*;
use axum::http::StatusCode;
use serde_json::{json, Value};

/// An app made through Mastodon's endpoint, as JSON.
async fn app(lab: &Lab, body: Value) -> Reply {
    reply(lab.http.post(lab.url("/api/v1/apps")).json(&body).send().await.unwrap()).await
}

#[tokio::test]
async fn line_36_apps_are_made_from_a_form_or_json_into_the_one_registry() {
    let lab = start().await;
    let form = lab
        .post_form(
            "/api/v1/apps",
            None,
            &[
                ("client_name", "bot"),
                ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob\nhttps://bot.example/cb"),
                ("scopes", "read write:statuses"),
                ("website", "https://bot.example"),
                ("unknown", "ignored"),
            ],
        )
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text);
    let a = form.json();
    for field in ["id", "name", "website", "scopes", "redirect_uris", "redirect_uri", "client_id", "client_secret"] {
        assert!(!a[field].is_null(), "{field} in {a}");
    }
    assert_eq!(a["redirect_uris"], json!(["urn:ietf:wg:oauth:2.0:oob", "https://bot.example/cb"]));
    assert_eq!(a["redirect_uri"], "urn:ietf:wg:oauth:2.0:oob\nhttps://bot.example/cb");
    assert_eq!(a["website"], "https://bot.example");
    assert!(a["client_secret_expires_at"].as_u64().is_some());
    let j = app(
        &lab,
        json!({"client_name": "bot2", "redirect_uris": ["https://a.example/cb"], "scopes": ["read", "write"]}),
    )
    .await;
    assert_eq!(j.status, StatusCode::OK, "{}", j.text);
    assert_eq!(j.json()["redirect_uris"], json!(["https://a.example/cb"]));
    assert_eq!(j.json()["scopes"], json!(["read", "write"]), "an array of scopes, all of them");

    // The app is a client like any other: its secret by Basic or in the form.
    let (id, secret) = (a["client_id"].as_str().unwrap(), a["client_secret"].as_str().unwrap());
    let t = lab.token(Some(&basic(id, secret)), &[("grant_type", "client_credentials"), ("scope", "read")]).await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.text);
    let t2 =
        lab.token(None, &[("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret)]).await;
    assert_eq!(t2.status, StatusCode::OK, "{}", t2.text);
    let me = lab
        .get_auth("/api/v1/apps/verify_credentials", &format!("Bearer {}", t.json()["access_token"].as_str().unwrap()))
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!(me.json()["name"], "bot");
    assert_eq!(me.json()["scopes"], json!(["read", "write:statuses"]));
    assert_eq!(me.json()["website"], "https://bot.example", "kept as the client's client_uri");
    assert_eq!(lab.get("/api/v1/apps/verify_credentials").await.status, StatusCode::UNAUTHORIZED);

    for (body, why) in [
        (json!({"redirect_uris": "https://a.example/cb"}), "name"),
        (json!({"client_name": "x"}), "Redirect URI"),
        (json!({"client_name": "x", "redirect_uris": "http://a.example/cb"}), "http"),
        (json!({"client_name": "x", "redirect_uris": "https://a.example/cb", "scopes": "admin:read"}), "admin:read"),
        (
            json!({"client_name": "x", "redirect_uris": "https://a.example/cb", "website": "javascript:alert(1)"}),
            "client_uri",
        ),
    ] {
        let r = app(&lab, body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", r.text);
        let e = r.json()["error"].as_str().unwrap().to_string();
        assert!(e.starts_with("Validation failed: ") && e.contains(why), "{e}");
    }
    let r = lab.post_raw("/api/v1/apps", "application/json", b"{".to_vec(), None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn line_37_the_instance_answers_its_version_with_or_without_a_slash() {
    let lab = start().await;
    for path in ["/api/v1/instance", "/api/v1/instance/", "/api/v2/instance", "/api/v2/instance/"] {
        let r = lab.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        let v = r.json();
        let version = v["version"].as_str().unwrap();
        assert_eq!(version.split('.').count(), 3, "{version}");
        assert!(version.split('.').all(|p| p.parse::<u32>().is_ok()));
        assert_eq!(v["api_versions"]["mastodon"], 2);
        let domain = v.get("domain").or(v.get("uri")).and_then(Value::as_str).unwrap();
        assert_eq!(format!("http://{domain}"), lab.url(""), "the domain with its port");
    }
    assert_eq!(lab.get("/api/v2/instance").await.json()["configuration"]["statuses"]["max_characters"], 500);
}

#[tokio::test]
async fn line_38_out_of_band_codes_mastodon_scopes_created_at_and_revoke_answers_json() {
    let lab = start().await;
    let a = app(
        &lab,
        json!({"client_name": "oob", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read write follow push"}),
    )
    .await
    .json();
    let (id, secret) = (a["client_id"].as_str().unwrap().to_string(), a["client_secret"].as_str().unwrap().to_string());
    let oob = "urn:ietf:wg:oauth:2.0:oob";
    // The page shows a code to copy, never a token: not for implicit.
    let implicit = lab
        .register(json!({"redirect_uris": [oob], "grant_types": ["implicit"], "token_endpoint_auth_method": "none"}))
        .await;
    assert_eq!(implicit.status, StatusCode::BAD_REQUEST, "{}", implicit.text);
    assert_eq!(implicit.json()["error"], "invalid_redirect_uri");
    let shown = lab
        .consent(
            &[
                ("response_type", "code"),
                ("client_id", &id),
                ("redirect_uri", oob),
                ("scope", "read:statuses follow"),
                ("state", "s"),
            ],
            &approve_as_alice(&["read:statuses", "follow"]),
        )
        .await;
    assert_eq!(shown.status, StatusCode::OK, "a page, not a redirect: {}", shown.text);
    assert!(shown.header("location").is_empty());
    let start = shown.text.find("id=\"authorization-code\"").expect("the code on the page");
    let code = shown.text[start..].split('>').nth(1).unwrap().split('<').next().unwrap().to_string();
    let t = lab
        .token(
            None,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", oob),
                ("client_id", &id),
                ("client_secret", &secret),
                ("oauth_info", "a"),
                ("oauth_info", "b"),
            ],
        )
        .await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.text);
    let t = t.json();
    assert_eq!(t["scope"], "follow read:statuses");
    assert!(t["created_at"].as_u64().unwrap() > 1_700_000_000);
    let at = t["access_token"].as_str().unwrap().to_string();
    // read:statuses reads the timeline; it does not post, nor read the account.
    let bearer = format!("Bearer {at}");
    assert_eq!(lab.get_auth("/api/v1/timelines/home", &bearer).await.status, StatusCode::OK);
    let post = lab.post_form("/api/v1/statuses", Some(&bearer), &[("status", "x")]).await;
    assert_eq!(post.status, StatusCode::FORBIDDEN);
    assert!(post.header("www-authenticate").contains("scope=\"write:statuses\""));
    let me = lab.get_auth("/api/v1/accounts/verify_credentials", &bearer).await;
    assert_eq!(me.status, StatusCode::FORBIDDEN);
    // A repeated protocol parameter is still refused.
    let twice = lab
        .token(
            None,
            &[
                ("grant_type", "client_credentials"),
                ("scope", "read"),
                ("scope", "write"),
                ("client_id", &id),
                ("client_secret", &secret),
            ],
        )
        .await;
    assert_eq!(twice.status, StatusCode::BAD_REQUEST);
    // Revocation answers {}, with the Bearer header a Mastodon client sends.
    let r = reply(
        lab.http
            .post(lab.url("/oauth/revoke"))
            .header("Authorization", &bearer)
            .form(&[("token", at.as_str()), ("client_id", &id), ("client_secret", &secret)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json(), json!({}));
    assert_eq!(lab.get_auth("/api/v1/timelines/home", &bearer).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn line_39_statuses_are_mastodon_entities_read_by_id_and_deleted_by_their_owner() {
    let lab = start().await;
    let alice = format!("Bearer {}", lab.password_tokens("read write").await["access_token"].as_str().unwrap());
    let posted = lab.post_form("/api/v1/statuses/", Some(&alice), &[("status", "<b>bold</b> & \"quoted\"")]).await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.text);
    let s = posted.json();
    assert_eq!(s["content"], "<p>&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;</p>");
    for field in [
        "id",
        "uri",
        "url",
        "created_at",
        "visibility",
        "spoiler_text",
        "media_attachments",
        "mentions",
        "tags",
        "emojis",
        "reblogs_count",
        "favourites_count",
        "replies_count",
    ] {
        assert!(s.get(field).is_some(), "{field} in {s}");
    }
    for field in ["id", "username", "acct", "display_name", "url", "avatar", "created_at", "statuses_count"] {
        assert!(s["account"].get(field).is_some(), "account {field} in {s}");
    }
    assert!(s.get("text").is_none());
    let id = s["id"].as_str().unwrap();
    let anyone = lab.get(&format!("/api/v1/statuses/{id}")).await;
    assert_eq!(anyone.status, StatusCode::OK);
    assert_eq!(anyone.json()["content"], s["content"]);
    assert_eq!(lab.get("/api/v1/statuses/999999").await.json()["error"], "Record not found");
    let me = lab.get_auth("/api/v1/accounts/verify_credentials/", &alice).await.json();
    assert_eq!(me["username"], "alice");
    assert!(me["source"].is_object());

    // bob cannot delete alice's status; alice can, and gets its source.
    let bob = lab
        .token(
            None,
            &[
                ("grant_type", "password"),
                ("username", "bob"),
                ("password", "builder"),
                ("scope", "read write"),
                ("client_id", "first-party"),
                ("client_secret", "first-party-secret"),
            ],
        )
        .await
        .json();
    let bob = format!("Bearer {}", bob["access_token"].as_str().unwrap());
    let del = |auth: String| {
        let lab = &lab;
        async move {
            reply(
                lab.http
                    .delete(lab.url(&format!("/api/v1/statuses/{id}")))
                    .header("Authorization", auth)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    assert_eq!(del(bob).await.status, StatusCode::NOT_FOUND);
    let gone = del(alice.clone()).await;
    assert_eq!(gone.status, StatusCode::OK, "{}", gone.text);
    assert_eq!(gone.json()["text"], "<b>bold</b> & \"quoted\"");
    assert_eq!(lab.get(&format!("/api/v1/statuses/{id}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(del(alice).await.status, StatusCode::NOT_FOUND);
}
