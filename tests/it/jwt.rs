//! JWT access tokens (RFC 9068): a run that asks for them gets signed
//! tokens whose key is in the JWKS, the resource server checks them on its
//! own, and a revoked one still passes there while introspection says
//! inactive: the format's trade-off, on the wire.

use crate::common::*;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use reqwest::StatusCode;
use serde_json::Value;

async fn jwt_run(lab: &Lab, grant: &str, jwt: bool) -> Value {
    let r = lab.server_fn("start_run", &format!("grant={grant}&mode=Autoplay&lifecycle=true&jwt={jwt}"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let view: Value = serde_json::from_str(&r.text).unwrap();
    let v = lab.get(&format!("/lab/runs/{}", view["id"].as_str().unwrap())).await.json();
    assert_eq!(v["status"], "Done", "{v}");
    v
}

fn exchanges(run: &Value) -> Vec<&Value> {
    run["steps"].as_array().unwrap().iter().filter(|s| !s["exchange"].is_null()).collect()
}

#[tokio::test]
async fn a_jwt_run_gets_rfc_9068_tokens_checked_by_the_jwks_key() {
    let lab = start().await;
    let meta = lab.get("/.well-known/oauth-authorization-server").await.json();
    assert_eq!(meta["jwks_uri"], lab.url("/oauth/jwks"));
    let jwks = lab.get("/oauth/jwks").await.json();
    let key = &jwks["keys"][0];
    assert_eq!(
        (key["kty"].as_str(), key["alg"].as_str(), key["use"].as_str()),
        (Some("RSA"), Some("RS256"), Some("sig"))
    );

    let run = jwt_run(&lab, "AuthorizationCode", true).await;
    assert_eq!(run["jwt"], true);
    let steps = exchanges(&run);
    let token_step = steps.iter().find(|s| s["label"] == "POST /oauth/token").unwrap();
    let body: Value = serde_json::from_str(token_step["exchange"]["response"]["body"].as_str().unwrap()).unwrap();
    let token = body["access_token"].as_str().unwrap();

    let header = decode_header(token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(header.kid.as_deref(), key["kid"].as_str());
    // Verified here with the public key from the JWKS, as any resource
    // server would.
    let public = DecodingKey::from_rsa_components(key["n"].as_str().unwrap(), key["e"].as_str().unwrap()).unwrap();
    let mut v = Validation::new(Algorithm::RS256);
    v.set_issuer(&[lab.base.as_str()]);
    v.set_audience(&[format!("{}/api/v1", lab.base)]);
    let claims = decode::<Value>(token, &public, &v).unwrap().claims;
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["scope"], "read write");
    assert_eq!(claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(), 3600);
    assert!(claims["client_id"].as_str().unwrap().starts_with("app_"));
    assert!(claims["jti"].as_str().unwrap().len() >= 43);

    // The trade-off: after revocation the API, which checks the JWT alone,
    // still answers 200, while introspection says inactive.
    let revoke = steps.iter().position(|s| s["label"] == "POST /oauth/revoke").unwrap();
    let after: Vec<_> =
        steps[revoke + 1..].iter().map(|s| (s["label"].as_str().unwrap(), &s["exchange"]["response"])).collect();
    assert_eq!(after[0].0, "GET /api/v1/accounts/verify_credentials");
    assert_eq!(after[0].1["status"], 200);
    assert_eq!(after[1].0, "POST /oauth/introspect");
    let introspection: Value = serde_json::from_str(after[1].1["body"].as_str().unwrap()).unwrap();
    assert_eq!(introspection["active"], false);

    // A tampered token fails the signature.
    let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
    parts[1] = parts[1].chars().rev().collect();
    let r = lab.get_auth("/api/v1/accounts/verify_credentials", &format!("Bearer {}", parts.join("."))).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.header("www-authenticate").contains("invalid_token"));
}

#[tokio::test]
async fn without_the_switch_tokens_stay_opaque_and_client_credentials_jwts_name_the_client() {
    let lab = start().await;
    let run = jwt_run(&lab, "AuthorizationCode", false).await;
    let token = run["artifacts"].as_array().unwrap().iter().find(|a| a["name"] == "access_token").unwrap();
    assert!(token["value"].as_str().unwrap().starts_with("at_"));
    assert!(!exchanges(&run).iter().any(|s| s["label"] == "POST /oauth/introspect"));

    let run = jwt_run(&lab, "ClientCredentials", true).await;
    let token = run["artifacts"].as_array().unwrap().iter().find(|a| a["name"] == "access_token").unwrap();
    let token = token["value"].as_str().unwrap();
    let payload = token.split('.').nth(1).unwrap();
    use base64::Engine;
    let claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert_eq!(claims["sub"], claims["client_id"], "no user: sub is the client (RFC 9068 section 2.2)");
}
