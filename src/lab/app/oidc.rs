//! The OpenID Connect run's app: a relying party on the `openidconnect`
//! crate. It discovers the provider and its keys, signs the user in with
//! the code flow, PKCE and a nonce, checks the ID token as OpenID Connect
//! Core 1.0 §3.1.3.7 lists (each check recorded with its real values),
//! asks UserInfo, then uses, refreshes and revokes the access token.

use super::http::LabHttp;
use super::page::{fail, page};
use super::token::after_revocation;
use crate::lab::binding;
use crate::lab::runs::RunClient;
use crate::lab::Lab;
use crate::oauth::endpoints::REVOKE;
use crate::run::{Grant, IdTokenCheck, Role, RunStatus, Step, StepKind};
use axum::response::Response;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreIdTokenClaims, CoreIdTokenVerifier, CoreProviderMetadata,
    CoreRevocableToken, CoreUserInfoClaims,
};
use openidconnect::{
    AccessToken, AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, RevocationUrl, Scope, TokenResponse,
};
use std::sync::Arc;

/// The scopes the app asks for: who the user is, and to read their account.
pub const SCOPES: [&str; 4] = ["openid", "profile", "email", "read"];

/// The app as the crate builds it from the provider's metadata.
type RelyingParty =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointSet, EndpointMaybeSet, EndpointMaybeSet>;

/// Discovery, as a relying party begins: the provider's metadata, then its
/// keys from `jwks_uri` (OpenID Connect Discovery 1.0 §4). Both requests are
/// the run's, and kept for the rest of it.
pub async fn discover(s: &Lab, run: &str) -> Result<Arc<CoreProviderMetadata>, String> {
    let http = LabHttp::new(s, run);
    let issuer = IssuerUrl::new(s.settings.public_url.clone()).map_err(|e| e.to_string())?;
    let provider = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .map_err(|e| format!("discovery failed: {}", error_chain(&e)))?;
    let provider = Arc::new(provider);
    s.runs.with(run, |r| r.provider = Some(provider.clone()));
    Ok(provider)
}

/// An error with what caused it, as one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

fn relying_party(s: &Lab, run: &str, c: &RunClient) -> Result<RelyingParty, String> {
    let provider =
        s.runs.with(run, |r| r.provider.clone()).flatten().ok_or("the app has not discovered the provider")?;
    // The oauth2 family insists on https for revocation (RFC 7009 §2);
    // `LabHttp` carries https://127.0.0.1 to the lab's plain port.
    let revocation = format!("{}{REVOKE}", s.settings.internal_url).replacen("http://", "https://", 1);
    Ok(CoreClient::from_provider_metadata(
        (*provider).clone(),
        ClientId::new(c.client_id.clone()),
        c.client_secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(c.redirect_uri.clone()).map_err(|e| e.to_string())?)
    .set_revocation_url(RevocationUrl::new(revocation).map_err(|e| e.to_string())?))
}

/// Where the app's login sends the browser: the authentication request
/// (Core 1.0 §3.1.2.1), with state, a nonce and a PKCE challenge, which it
/// keeps for the callback.
pub fn authentication_request(s: &Lab, run: &str, c: &RunClient) -> Result<(String, String, String), String> {
    let client = relying_party(s, run, c)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request =
        client.authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random);
    for scope in SCOPES.iter().filter(|s| **s != "openid") {
        request = request.add_scope(Scope::new(scope.to_string()));
    }
    let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
    s.runs.with(run, |r| r.nonce = Some(nonce.secret().clone()));
    Ok((url.to_string(), state.secret().clone(), verifier.secret().clone()))
}

/// The callback's work once `state` has been checked: redeem the code,
/// check the ID token, ask UserInfo, use the access token at the API, then
/// refresh and revoke.
pub async fn redeem(s: &Lab, run: &str, c: &RunClient, code: String, verifier: Option<String>) -> Response {
    let client = match relying_party(s, run, c) {
        Ok(c) => c,
        Err(e) => return fail(s, run, &e),
    };
    let http = LabHttp::new(s, run);
    let mut exchange = match client.exchange_code(AuthorizationCode::new(code)) {
        Ok(x) => x,
        Err(e) => return fail(s, run, &e.to_string()),
    };
    if let Some(v) = verifier {
        exchange = exchange.set_pkce_verifier(PkceCodeVerifier::new(v));
    }
    let token = match exchange.request_async(&http).await {
        Ok(t) => t,
        Err(e) => return fail(s, run, &format!("The token request failed: {}", error_chain(&e))),
    };
    let Some(id_token) = token.id_token() else {
        return fail(s, run, "The token response has no id_token, though the app asked for the openid scope.");
    };
    // A nonce is good for one sign-in: the app forgets it once it is used.
    let nonce = s.runs.with(run, |r| r.nonce.take()).flatten().map(Nonce::new);
    let claims = match check_and_record(s, run, &client, id_token, nonce.as_ref(), Some(token.access_token()), None) {
        Ok(claims) => claims,
        Err(why) => return fail(s, run, &format!("The app refused the ID token: {why}")),
    };
    // UserInfo, with the sub the ID token named: a UserInfo answer about
    // someone else is refused (Core 1.0 §5.3.2).
    let info: Result<CoreUserInfoClaims, String> =
        match client.user_info(token.access_token().clone(), Some(claims.subject().clone())) {
            Ok(request) => request.request_async(&http).await.map_err(|e| error_chain(&e)),
            Err(e) => Err(e.to_string()),
        };
    let info = match info {
        Ok(i) => i,
        Err(e) => return fail(s, run, &format!("UserInfo failed: {e}")),
    };
    let base = &s.settings.internal_url;
    let at = token.access_token().secret().clone();
    let _ = http
        .request(reqwest::Method::GET, format!("{base}/api/v1/accounts/verify_credentials"))
        .bearer_auth(&at)
        .send()
        .await;
    let lifecycle = s.runs.with(run, |r| r.record.lifecycle).unwrap_or(true);
    if lifecycle {
        if let Some(rt) = token.refresh_token() {
            let fresh = match client.exchange_refresh_token(rt) {
                Ok(request) => request.request_async(&http).await.map_err(|e| error_chain(&e)),
                Err(e) => Err(e.to_string()),
            };
            let fresh = match fresh {
                Ok(f) => f,
                Err(e) => return fail(s, run, &format!("The refresh failed: {e}")),
            };
            let latest = fresh.refresh_token().cloned().unwrap_or_else(|| rt.clone());
            if let Ok(req) = client.revoke_token(CoreRevocableToken::RefreshToken(latest)) {
                let _ = req.request_async(&http).await;
            }
            after_revocation(s, run, &http, fresh.access_token().secret()).await;
        }
    }
    s.runs.finish(run, RunStatus::Done);
    let name = info.name().and_then(|n| n.get(None)).map(|n| n.to_string()).unwrap_or_default();
    let sub = claims.subject().to_string();
    page(
        "Signed in",
        view! {
            <p>"The app checked the ID token and signed you in as "<strong>{name}</strong>" (sub "<code>{sub}</code>"). Back in the lab, step through what happened."</p>
        },
    )
}

/// Checks an ID token as the app does, records the step that shows each
/// check, and gives the claims if every check passed. `skip` names a check
/// the app makes but ignores: a misuse scenario's vulnerable switch.
pub fn check_and_record(
    s: &Lab,
    run: &str,
    client: &RelyingParty,
    id_token: &CoreIdToken,
    nonce: Option<&Nonce>,
    access_token: Option<&AccessToken>,
    skip: Option<&str>,
) -> Result<CoreIdTokenClaims, String> {
    let issuer = s.runs.with(run, |r| r.provider.as_ref().map(|p| p.issuer().clone())).flatten();
    let Some(issuer) = issuer else { return Err("the app has not discovered the provider".into()) };
    let (checks, verdict) = check(client, &issuer, id_token, nonce, access_token);
    let failed: Vec<&str> = checks.iter().filter(|c| !c.pass).map(|c| c.name.as_str()).collect();
    let skipped = skip.filter(|name| !failed.is_empty() && failed.iter().all(|f| f == name));
    let label = match skipped {
        Some(name) => format!("app checks the ID token, ignoring {name}"),
        None => "app checks the ID token".into(),
    };
    let verdict = match (verdict, skipped) {
        // Everything else passed: the claims as the token states them.
        (Err(_), Some(_)) => claims_unchecked(id_token).ok_or_else(|| "the token does not parse".to_string()),
        (v, _) => v,
    };
    let step = Step { checks, ..Step::local(StepKind::IdTokenCheck, Role::Client, Role::Client, label) };
    s.runs.push(run, s.runs.next_seq(), step);
    verdict
}

/// The claims as the token states them, nothing checked.
fn claims_unchecked(id_token: &CoreIdToken) -> Option<CoreIdTokenClaims> {
    let unchecked = CoreIdTokenVerifier::new_insecure_without_verification().set_time_fn(long_ago);
    id_token.claims(&unchecked, |_: Option<&Nonce>| Ok(())).ok().cloned()
}

/// A time no ID token is expired at, for the checks that look at
/// something else.
fn long_ago() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
}

/// The most of a value from the token a check row keeps: a posted token can
/// carry claims of any length.
const MAX_FOUND: usize = 256;

fn row(name: &str, expected: String, found: String, result: Result<(), String>, why: &str) -> IdTokenCheck {
    let pass = result.is_ok();
    let found = match found.char_indices().nth(MAX_FOUND) {
        Some((cut, _)) => format!("{}…", &found[..cut]),
        None => found,
    };
    let found = match result {
        Err(e) if !e.is_empty() => format!("{found} ({e})"),
        _ => found,
    };
    IdTokenCheck { name: name.into(), expected, found, pass, why: why.into() }
}

/// Each check of Core 1.0 §3.1.3.7 on its own, by the crate where the crate
/// makes it, and the crate's own verdict over all of them.
pub fn check<A, D, I, R, T, U>(
    client: &CoreClient<A, D, I, R, T, U>,
    issuer: &IssuerUrl,
    id_token: &CoreIdToken,
    nonce: Option<&Nonce>,
    access_token: Option<&AccessToken>,
) -> (Vec<IdTokenCheck>, Result<CoreIdTokenClaims, String>)
where
    A: openidconnect::EndpointState,
    D: openidconnect::EndpointState,
    I: openidconnect::EndpointState,
    R: openidconnect::EndpointState,
    T: openidconnect::EndpointState,
    U: openidconnect::EndpointState,
{
    let full = client.id_token_verifier();
    let any_nonce = |_: Option<&Nonce>| Ok(());
    let claims = claims_unchecked(id_token);
    let only =
        |verifier: &CoreIdTokenVerifier| id_token.claims(verifier, any_nonce).map(|_| ()).map_err(|e| e.to_string());
    let raw = id_token.to_string();
    let header = crate::run::decode_jwt(&raw).map(|(h, _)| h).unwrap_or_default();
    let client_id = client.client_id().to_string();
    let mut checks = vec![];

    let signature = full.clone().require_issuer_match(false).require_audience_match(false).set_time_fn(long_ago);
    checks.push(row(
        "signature",
        "RS256, by a key from the provider's jwks_uri".into(),
        format!("alg {}, kid {}", header["alg"].as_str().unwrap_or("none"), header["kid"].as_str().unwrap_or("none")),
        only(&signature),
        "Only the provider holds the private key, so a valid signature means the provider issued these claims and no one changed them since. The alg comes from the app's own list, never from the token: a token that says alg none, or is changed by one byte, fails (OpenID Connect Core 1.0 §3.1.3.7, steps 6 to 8).",
    ));

    let Some(claims) = claims else {
        return (checks, Err("the token does not parse as an ID token".to_string()));
    };
    let iss =
        CoreIdTokenVerifier::new_public_client(ClientId::new(client_id.clone()), issuer.clone(), Default::default())
            .insecure_disable_signature_check()
            .require_audience_match(false)
            .set_time_fn(long_ago);
    checks.push(row(
        "iss",
        issuer.to_string(),
        claims.issuer().to_string(),
        only(&iss),
        "The issuer must be exactly the one the app discovered, so that a token from another provider is not taken for this one's (OpenID Connect Core 1.0 §3.1.3.7, step 2).",
    ));

    let aud =
        CoreIdTokenVerifier::new_public_client(ClientId::new(client_id.clone()), issuer.clone(), Default::default())
            .insecure_disable_signature_check()
            .require_issuer_match(false)
            .set_time_fn(long_ago);
    let audiences: Vec<String> = claims.audiences().iter().map(|a| a.to_string()).collect();
    checks.push(row(
        "aud",
        format!("contains {client_id}"),
        audiences.join(", "),
        only(&aud),
        "An ID token is meant for one app. One issued to another client, say a site the user also signs in to, must not sign the user in here: otherwise that site could sign in as the user everywhere (OpenID Connect Core 1.0 §3.1.3.7, step 3).",
    ));

    let azp = claims.authorized_party().map(|p| p.to_string());
    let azp_result = match (&azp, audiences.len()) {
        (Some(p), _) if *p != client_id => Err(format!("azp is {p}")),
        (None, n) if n > 1 => Err("several audiences and no azp".into()),
        _ => Ok(()),
    };
    checks.push(row(
        "azp",
        format!("absent with one audience, else {client_id}"),
        azp.unwrap_or_else(|| "absent".into()),
        azp_result,
        "With several audiences, azp names the one party the token was issued to, and it must be this app. The crate leaves this check to the app, so the lab makes it (OpenID Connect Core 1.0 §3.1.3.7, steps 4 and 5).",
    ));

    let now = Utc::now();
    let exp = CoreIdTokenVerifier::new_insecure_without_verification();
    checks.push(row(
        "exp",
        format!("later than now, {}", now.format("%H:%M:%S UTC")),
        claims.expiration().format("%H:%M:%S UTC").to_string(),
        only(&exp),
        "An expired ID token is refused, which limits how long a stolen one is worth anything (OpenID Connect Core 1.0 §3.1.3.7, step 9).",
    ));

    let iat = CoreIdTokenVerifier::new_insecure_without_verification()
        .set_time_fn(long_ago)
        .set_issue_time_verifier_fn(move |iat| {
            let age = now.signed_duration_since(iat).num_seconds();
            if age < -60 {
                Err("issued in the future".into())
            } else if age > 600 {
                Err(format!("issued {age} s ago"))
            } else {
                Ok(())
            }
        });
    checks.push(row(
        "iat",
        "within the last 10 minutes, at most 60 s ahead".into(),
        claims.issue_time().format("%H:%M:%S UTC").to_string(),
        only(&iat),
        "The issue time tells the app how old the token is; an old one is refused, so the app need remember nonces only that long. How old is too old is the app's choice (OpenID Connect Core 1.0 §3.1.3.7, step 10).",
    ));

    let nonce_check = CoreIdTokenVerifier::new_insecure_without_verification().set_time_fn(long_ago);
    let nonce_result = match nonce {
        Some(n) => id_token.claims(&nonce_check, n).map(|_| ()).map_err(|e| e.to_string()),
        None => Err("the app kept no nonce".into()),
    };
    checks.push(row(
        "nonce",
        nonce.map(|n| n.secret().clone()).unwrap_or_else(|| "the nonce the app sent".into()),
        claims.nonce().map(|n| n.secret().clone()).unwrap_or_else(|| "absent".into()),
        nonce_result,
        "The app sent a random nonce with this sign-in and kept it. The same value must come back in the token, which ties the token to this sign-in: an ID token replayed from another one carries another nonce (OpenID Connect Core 1.0 §3.1.3.7, step 11).",
    ));

    let expected_hash = access_token.and_then(|at| {
        let alg = id_token.signing_alg().ok()?;
        let key = id_token.signing_key(&full).ok()?;
        AccessTokenHash::from_token(at, alg, key).ok()
    });
    let found_hash = claims.access_token_hash().map(|h| h.as_str().to_string());
    let hash_result = match (access_token, &expected_hash, &found_hash) {
        // No access token came with this ID token: nothing to bind.
        (None, _, _) | (_, _, None) => Ok(()),
        (_, Some(e), Some(f)) if e.as_str() == f => Ok(()),
        (_, None, Some(_)) => Err("no key to hash with".into()),
        _ => Err("it does not match".into()),
    };
    checks.push(row(
        "at_hash",
        match (access_token, expected_hash) {
            (None, _) => "nothing to compare: no access token came with this ID token".into(),
            (_, Some(h)) => format!("{}: the left half of SHA-256(access token), base64url", h.as_str()),
            (_, None) => "the hash of the access token".into(),
        },
        found_hash.unwrap_or_else(|| "absent (optional in the code flow)".into()),
        hash_result,
        "at_hash binds the access token to the ID token: an access token swapped in from elsewhere does not match it (OpenID Connect Core 1.0 §3.1.3.6, §3.1.3.8).",
    ));

    let crate_verdict = nonce.map_or_else(
        || Err("the app kept no nonce".to_string()),
        |n| id_token.claims(&full, n).map(|_| ()).map_err(|e| e.to_string()),
    );
    let failed: Vec<String> = checks.iter().filter(|c| !c.pass).map(|c| c.name.clone()).collect();
    let verdict = match crate_verdict {
        Err(e) => Err(e),
        Ok(()) if !failed.is_empty() => Err(format!("failed: {}", failed.join(", "))),
        Ok(()) => Ok(claims),
    };
    (checks, verdict)
}

/// The app's sign-in with an ID token its front end hands it, as the script
/// of a "Sign in with" button does: `POST id_token=...`. The token is
/// checked like the one from the token endpoint, against the nonce the app
/// keeps for this browser's sign-in; a refusal is RFC 6750's invalid_token.
pub async fn sign_in_with_id_token(
    axum::extract::State(s): axum::extract::State<Arc<Lab>>,
    axum::extract::Path(run): axum::extract::Path<String>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    let refuse = |status: StatusCode, error: &str, why: String| {
        (status, axum::Json(serde_json::json!({ "error": error, "error_description": why }))).into_response()
    };
    let parts = s.runs.with(&run, |r| (r.record.grant == Grant::OpenIdConnect).then(|| r.client.clone()).flatten());
    let Some(c) = parts.flatten() else {
        return refuse(StatusCode::NOT_FOUND, "invalid_request", "No OpenID Connect run has this id.".into());
    };
    let raw = form_urlencoded::parse(&body).find(|(k, _)| k == "id_token").map(|(_, v)| v.into_owned());
    let Some(raw) = raw.filter(|t| !t.is_empty()) else {
        return refuse(StatusCode::BAD_REQUEST, "invalid_request", "The id_token field is missing.".into());
    };
    let id_token: CoreIdToken = match raw.parse() {
        Ok(t) => t,
        Err(e) => {
            return refuse(StatusCode::BAD_REQUEST, "invalid_request", format!("The id_token is not a JWT: {e}."))
        }
    };
    let client = match relying_party(&s, &run, &c) {
        Ok(c) => c,
        Err(e) => return refuse(StatusCode::CONFLICT, "invalid_request", format!("The app cannot sign in yet: {e}.")),
    };
    // The nonce of the sign-in this browser began, used up by this attempt.
    let nonce = s
        .runs
        .with(&run, |r| binding::same_browser(&headers, r.state_browser.as_ref()).then(|| r.nonce.take()))
        .flatten()
        .flatten()
        .map(Nonce::new);
    let skip = s.runs.switch_of(&run).and_then(|sc| sc.id_token_check());
    match check_and_record(&s, &run, &client, &id_token, nonce.as_ref(), None, skip) {
        Ok(claims) => {
            axum::Json(serde_json::json!({ "signed_in": true, "sub": claims.subject().as_str() })).into_response()
        }
        Err(why) => {
            let mut res = refuse(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                format!("The app refused the ID token ({why}), so no one is signed in (OpenID Connect Core 1.0 section 3.1.3.7)."),
            );
            // RFC 6750 §3: a 401 says how to authenticate.
            res.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"the lab's app\", error=\"invalid_token\""),
            );
            res
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_check_row_keeps_at_most_256_characters_of_a_claim() {
        let row = super::row("iss", "x".into(), "é".repeat(5000), Ok(()), "");
        assert_eq!(row.found.chars().count(), super::MAX_FOUND + 1, "256 characters and an ellipsis");
        assert_eq!(super::row("iss", "x".into(), "short".into(), Ok(()), "").found, "short");
    }
}
