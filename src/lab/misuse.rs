//! The misuse scenarios, played for real: alice's browser, the run's app
//! (the `oauth2` crate, as in every run) and Mallory's own requests, all
//! over loopback and all recorded by the capture layer. The request that
//! tries the misuse carries `x-lab-misuse`; what the servers answer to it
//! is the verdict.

use super::agent::{Browser, DEMO_USER};
use super::app::http::{app_client, register_as, LabHttp};
use super::app::oidc;
use super::runs::RunClient;
use super::Lab;
use crate::oauth::endpoints::{INTROSPECT, REGISTER, TOKEN};
use crate::oauth::protocol::GrantType;
use crate::run::scenario::{Scenario, MISUSE_HEADER};
use crate::run::{Grant, Role, RunStatus, Step, StepKind};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use oauth2::{AccessToken, PkceCodeChallenge, RefreshToken, Scope, StandardRevocableToken, TokenResponse};
use std::time::Duration;

const MALLORY: (&str, &str) = ("mallory", "attacker");
/// The longest a fast-clock scenario waits for a token to expire.
const MAX_CLOCK_WAIT: Duration = Duration::from_secs(30);

/// Plays `scenario` in run `run`, which the caller created.
pub async fn play(s: &Lab, run: &str, scenario: Scenario, clock_speed: u64) -> Result<(), String> {
    // However the scenario ends, its request dropped or timed out
    // included, its vulnerable switch goes off.
    let _disarm = Disarm { s, run };
    if scenario.grant() == Grant::OpenIdConnect {
        // The relying party discovers the provider before it registers.
        oidc::discover(s, run).await?;
    }
    let c = register_as(s, run, scenario.grant(), scenario.public_client()).await?;
    let result = match scenario {
        Scenario::CsrfState => csrf_state(s, run, &c).await,
        Scenario::RedirectUri => redirect_uri(s, run, &c).await,
        Scenario::StolenCode => stolen_code(s, run, &c).await,
        Scenario::CodeReplay => code_replay(s, run, &c).await,
        Scenario::RefreshReuse => refresh_reuse(s, run, &c).await,
        Scenario::ExpiredToken => expired_token(s, run, &c, clock_speed).await,
        Scenario::InsufficientScope => {
            let mut alice = Browser::alice(s).of(run);
            // alice unticks write on the consent page; the app then tries
            // to post (see `finish_with_token`).
            let back = alice.sign_in(run, DEMO_USER, &["read"]).await?;
            alice.get(&back).await.map(drop)
        }
        Scenario::RevokedToken => revoked_token(s, run, &c).await,
        Scenario::TokenInUrl => token_in_url(s, run).await,
        Scenario::SecretInUrl => secret_in_url(s, run, &c).await,
        Scenario::IdTokenReplay => id_token_replay(s, run).await,
        Scenario::IdTokenAudience => id_token_audience(s, run).await,
        Scenario::IdTokenAsAccessToken => id_token_as_access_token(s, run).await,
        Scenario::IdTokenTampered => id_token_forged(s, run, Scenario::IdTokenTampered).await,
        Scenario::IdTokenAlgNone => id_token_forged(s, run, Scenario::IdTokenAlgNone).await,
    };
    match &result {
        Ok(()) => s.runs.finish_scenario(run, RunStatus::Done),
        Err(e) => s.runs.finish_scenario(run, RunStatus::Failed(e.clone())),
    }
    result
}

/// Turns a run's vulnerable switch off when dropped.
struct Disarm<'a> {
    s: &'a Lab,
    run: &'a str,
}

impl Drop for Disarm<'_> {
    fn drop(&mut self) {
        self.s.runs.disarm(self.run);
    }
}

/// A step off the wire, where it happens in the story.
fn note(s: &Lab, run: &str, kind: StepKind, from: Role, to: Role, label: &str) {
    let step = Step::local(kind, from, to, label);
    s.runs.push(run, s.runs.next_seq(), step);
}

fn query_value(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1.split('#').next()?;
    form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

fn enc(v: &str) -> String {
    form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

/// A value from the JSON body of the `nth` recorded response that has it.
fn recorded(s: &Lab, run: &str, name: &str, nth: usize) -> Result<String, String> {
    let record = s.runs.record(run).ok_or("the run expired")?;
    record
        .steps
        .iter()
        .filter_map(|st| st.exchange.as_ref())
        .filter_map(|x| serde_json::from_str::<serde_json::Value>(&x.response.body).ok())
        .filter_map(|v| v.get(name).and_then(|t| t.as_str()).map(str::to_string))
        .nth(nth)
        .ok_or_else(|| format!("no {name} was recorded"))
}

/// alice signs in through the app, and her browser brings the code back to
/// the app, which redeems it and uses the token.
async fn alice_runs_the_app(s: &Lab, run: &str) -> Result<String, String> {
    let mut alice = Browser::alice(s).of(run);
    let back = alice.sign_in(run, DEMO_USER, &["read", "write"]).await?;
    alice.get(&back).await?;
    Ok(back)
}

/// Mallory's token endpoint request, as a script would send it.
async fn mallory_token(
    s: &Lab,
    run: &str,
    fields: &[(&str, &str)],
    tag: &'static str,
) -> Result<(u16, String), String> {
    let mut mallory = Browser::mallory(s).of(run);
    mallory.misuse = Some(tag);
    let (status, _, body) = mallory.post_form(TOKEN, fields).await?;
    Ok((status, body))
}

/// A call to the API with `token` in the Authorization header.
async fn api_as(b: &mut Browser<'_>, token: &str) -> Result<u16, String> {
    let url = format!("{}/api/v1/accounts/verify_credentials", b.s.settings.internal_url);
    let req = b.http.get(url).bearer_auth(token);
    Ok(b.send(req).await?.0)
}

/// The app's own calls: the API, introspection.
async fn app_api(s: &Lab, run: &str, token: &str, misuse: Option<&str>) -> Result<u16, String> {
    let http = LabHttp::new(s, run);
    let mut req = http
        .request(reqwest::Method::GET, format!("{}/api/v1/accounts/verify_credentials", s.settings.internal_url))
        .bearer_auth(token);
    if let Some(tag) = misuse {
        req = req.header(MISUSE_HEADER, tag);
    }
    Ok(req.send().await.map_err(|e| e.to_string())?.status().as_u16())
}

async fn app_introspect(s: &Lab, run: &str, c: &RunClient, token: &str) -> Result<(), String> {
    let http = LabHttp::new(s, run);
    http.request(reqwest::Method::POST, format!("{}{INTROSPECT}", s.settings.internal_url))
        .basic_auth(&c.client_id, c.client_secret.as_deref())
        .form(&[("token", token), ("token_type_hint", "access_token")])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

async fn csrf_state(s: &Lab, run: &str, c: &RunClient) -> Result<(), String> {
    let tag = Scenario::CsrfState.slug();
    // Mallory asks for a code for her own account, through the real app's
    // client_id and redirect URI, and stops before her browser delivers it.
    let mut mallory = Browser::mallory(s).of(run);
    let url = format!(
        "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope=read%20write",
        enc(&c.client_id),
        enc(&c.redirect_uri)
    );
    let planted = mallory.approve(&url, MALLORY, &["read", "write"]).await?;
    note(s, run, StepKind::Attack, Role::Attacker, Role::UserAgent, "plants the callback link in a page alice opens");
    let mut alice = Browser::alice(s).of(run);
    alice.misuse = Some(tag);
    alice.get(&planted).await?;
    Ok(())
}

async fn redirect_uri(s: &Lab, run: &str, c: &RunClient) -> Result<(), String> {
    let tag = Scenario::RedirectUri.slug();
    let host = url::Url::parse(&c.redirect_uri).map_err(|e| e.to_string())?;
    let host = format!(
        "{}{}",
        host.host_str().unwrap_or("localhost"),
        host.port().map(|p| format!(":{p}")).unwrap_or_default()
    );
    let evil = format!("http://attacker-{host}/steal");
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    note(s, run, StepKind::Attack, Role::Attacker, Role::UserAgent, "sends alice a sign-in link to attacker-…");
    let link = format!(
        "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope=read%20write&state=x&code_challenge={}&code_challenge_method=S256",
        enc(&c.client_id),
        enc(&evil),
        challenge.as_str()
    );
    let mut alice = Browser::alice(s).of(run);
    alice.misuse = Some(tag);
    let (status, _, page) = alice.get(&link).await?;
    if status != 200 {
        // The defence held: an error page, no redirect, no code.
        return Ok(());
    }
    let stolen = alice.consent(&page, DEMO_USER, &["read", "write"]).await?;
    let code = query_value(&stolen, "code").ok_or("no code in the redirect")?;
    note(
        s,
        run,
        StepKind::Attack,
        Role::UserAgent,
        Role::Attacker,
        "the browser goes to attacker-…/steal: Mallory reads the code",
    );
    let (status, body) = mallory_token(
        s,
        run,
        &[
            ("grant_type", GrantType::AuthorizationCode.as_str()),
            ("code", &code),
            ("redirect_uri", &evil),
            ("client_id", &c.client_id),
            ("code_verifier", verifier.secret()),
        ],
        tag,
    )
    .await?;
    if status == 200 {
        let token = serde_json::from_str::<serde_json::Value>(&body).ok();
        let token = token.as_ref().and_then(|v| v["access_token"].as_str()).ok_or("no access token")?;
        let mut mallory = Browser::mallory(s).of(run);
        mallory.misuse = Some(tag);
        api_as(&mut mallory, token).await?;
    }
    Ok(())
}

async fn stolen_code(s: &Lab, run: &str, c: &RunClient) -> Result<(), String> {
    let tag = Scenario::StolenCode.slug();
    let mut alice = Browser::alice(s).of(run);
    let back = alice.sign_in(run, DEMO_USER, &["read", "write"]).await?;
    let code = query_value(&back, "code").ok_or("no code in the redirect")?;
    note(
        s,
        run,
        StepKind::Attack,
        Role::UserAgent,
        Role::Attacker,
        "a malicious app on the same redirect URI gets the code too",
    );
    let base = [
        ("grant_type", GrantType::AuthorizationCode.as_str()),
        ("code", code.as_str()),
        ("redirect_uri", c.redirect_uri.as_str()),
        ("client_id", c.client_id.as_str()),
    ];
    let (status, body) = mallory_token(s, run, &base, tag).await?;
    let token = if status == 200 {
        Some(body)
    } else {
        let made_up = "M".repeat(43);
        let mut wrong = base.to_vec();
        wrong.push(("code_verifier", &made_up));
        let (status, body) = mallory_token(s, run, &wrong, tag).await?;
        (status == 200).then_some(body)
    };
    if let Some(body) = token {
        let v: serde_json::Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
        let mut mallory = Browser::mallory(s).of(run);
        mallory.misuse = Some(tag);
        api_as(&mut mallory, v["access_token"].as_str().unwrap_or_default()).await?;
    }
    // alice's browser reaches the real app, which redeems the code with
    // its verifier.
    alice.get(&back).await?;
    Ok(())
}

async fn code_replay(s: &Lab, run: &str, c: &RunClient) -> Result<(), String> {
    let tag = Scenario::CodeReplay.slug();
    let mut alice = Browser::alice(s).of(run);
    let back = alice.sign_in(run, DEMO_USER, &["read", "write"]).await?;
    let verifier = s.runs.with(run, |r| r.pkce_verifier.clone()).flatten().unwrap_or_default();
    alice.get(&back).await?;
    let app_token = recorded(s, run, "access_token", 0)?;
    let code = query_value(&back, "code").ok_or("no code in the redirect")?;
    note(s, run, StepKind::Attack, Role::Attacker, Role::Attacker, "finds the code and the verifier in a log");
    let (status, body) = mallory_token(
        s,
        run,
        &[
            ("grant_type", GrantType::AuthorizationCode.as_str()),
            ("code", &code),
            ("redirect_uri", &c.redirect_uri),
            ("client_id", &c.client_id),
            ("code_verifier", &verifier),
        ],
        tag,
    )
    .await?;
    if status == 200 {
        let v: serde_json::Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
        let mut mallory = Browser::mallory(s).of(run);
        mallory.misuse = Some(tag);
        api_as(&mut mallory, v["access_token"].as_str().unwrap_or_default()).await?;
    }
    // The app uses its own token again: revoked with the family, unless
    // the switch let the replay through.
    app_api(s, run, &app_token, None).await?;
    Ok(())
}

async fn refresh_reuse(s: &Lab, run: &str, c: &RunClient) -> Result<(), String> {
    let tag = Scenario::RefreshReuse.slug();
    alice_runs_the_app(s, run).await?;
    let stolen = recorded(s, run, "refresh_token", 0)?;
    note(s, run, StepKind::Attack, Role::Attacker, Role::Attacker, "steals the app's refresh token");
    let client = app_client(s, c)?;
    let http = LabHttp::new(s, run);
    let fresh = client
        .exchange_refresh_token(&RefreshToken::new(stolen.clone()))
        .request_async(&http)
        .await
        .map_err(|e| format!("the app's refresh failed: {e}"))?;
    let (status, body) = mallory_token(
        s,
        run,
        &[("grant_type", GrantType::RefreshToken.as_str()), ("refresh_token", &stolen), ("client_id", &c.client_id)],
        tag,
    )
    .await?;
    app_api(s, run, fresh.access_token().secret(), None).await?;
    if status == 200 {
        let v: serde_json::Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
        let mut mallory = Browser::mallory(s).of(run);
        mallory.misuse = Some(tag);
        api_as(&mut mallory, v["access_token"].as_str().unwrap_or_default()).await?;
    }
    Ok(())
}

async fn expired_token(s: &Lab, run: &str, c: &RunClient, speed: u64) -> Result<(), String> {
    let tag = Scenario::ExpiredToken.slug();
    alice_runs_the_app(s, run).await?;
    let access = recorded(s, run, "access_token", 0)?;
    let refresh = recorded(s, run, "refresh_token", 0)?;
    app_introspect(s, run, c, &access).await?;
    let expires_at = s.auth.tokens.get(&access).await.map(|r| r.expires_at).ok_or("the access token is gone")?;
    s.runs.start_clock(run, speed);
    let waited = std::time::Instant::now();
    while s.auth.now(&c.client_id) < expires_at {
        if waited.elapsed() > MAX_CLOCK_WAIT {
            return Err("the access token lives too long for the lab clock to pass it".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    s.runs.stop_clock(run);
    let waited = waited.elapsed().as_secs_f64();
    note(
        s,
        run,
        StepKind::LabClock,
        Role::Client,
        Role::Client,
        &format!("lab clock at {speed}×: an hour passes in {waited:.1} s"),
    );
    app_api(s, run, &access, Some(tag)).await?;
    app_introspect(s, run, c, &access).await?;
    let client = app_client(s, c)?;
    let http = LabHttp::new(s, run);
    let fresh = client
        .exchange_refresh_token(&RefreshToken::new(refresh))
        .request_async(&http)
        .await
        .map_err(|e| format!("the refresh failed: {e}"))?;
    app_api(s, run, fresh.access_token().secret(), None).await?;
    Ok(())
}

async fn revoked_token(s: &Lab, run: &str, c: &RunClient) -> Result<(), String> {
    let tag = Scenario::RevokedToken.slug();
    alice_runs_the_app(s, run).await?;
    let access = recorded(s, run, "access_token", 0)?;
    let client = app_client(s, c)?;
    let http = LabHttp::new(s, run);
    client
        .revoke_token(StandardRevocableToken::AccessToken(AccessToken::new(access.clone())))
        .map_err(|e| e.to_string())?
        .request_async(&http)
        .await
        .map_err(|e| format!("the revocation failed: {e}"))?;
    app_introspect(s, run, c, &access).await?;
    app_api(s, run, &access, Some(tag)).await?;
    Ok(())
}

async fn token_in_url(s: &Lab, run: &str) -> Result<(), String> {
    let tag = Scenario::TokenInUrl.slug();
    alice_runs_the_app(s, run).await?;
    let access = recorded(s, run, "access_token", 0)?;
    // A single-page app's script, in alice's browser, puts the token in
    // the URL.
    let mut alice = Browser::alice(s).of(run);
    alice.misuse = Some(tag);
    let url = format!("{}/api/v1/accounts/verify_credentials?access_token={}", s.settings.internal_url, enc(&access));
    let req = alice.http.get(url);
    alice.send(req).await?;
    Ok(())
}

/// The go-oauth2 tutorial's own request (the first seed): GET /token with
/// the client secret in the query. Refused, the service then asks
/// properly; with the switch on it works, and Mallory reads the URL in a
/// proxy's log.
async fn secret_in_url(s: &Lab, run: &str, c: &RunClient) -> Result<(), String> {
    let tag = Scenario::SecretInUrl.slug();
    let secret = c.client_secret.as_deref().ok_or("the service has no secret")?;
    let fields = [
        ("grant_type", GrantType::ClientCredentials.as_str()),
        ("client_id", c.client_id.as_str()),
        ("client_secret", secret),
        ("scope", "read"),
    ];
    let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    let http = LabHttp::new(s, run);
    let res = http
        .request(reqwest::Method::GET, format!("{}{TOKEN}?{query}", s.settings.internal_url))
        .header(MISUSE_HEADER, tag)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if res.status().is_success() {
        note(
            s,
            run,
            StepKind::Attack,
            Role::Attacker,
            Role::Attacker,
            "reads the URL, client secret and all, in a proxy's access log",
        );
        let (status, body) = mallory_token(s, run, &fields, tag).await?;
        if status == 200 {
            let v: serde_json::Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
            let mut mallory = Browser::mallory(s).of(run);
            mallory.misuse = Some(tag);
            api_as(&mut mallory, v["access_token"].as_str().unwrap_or_default()).await?;
        }
        return Ok(());
    }
    // The service asks as RFC 6749 §3.2 and §2.3.1 have it: POST, with
    // its secret in the Authorization header.
    let token = app_client(s, c)?
        .exchange_client_credentials()
        .add_scope(Scope::new("read".into()))
        .request_async(&http)
        .await
        .map_err(|e| format!("the service's token request failed: {e}"))?;
    app_api(s, run, token.access_token().secret(), None).await?;
    Ok(())
}

/// alice signs in to the OpenID Connect app, and the ID token its token
/// response carried ends up where Mallory reads it.
async fn alices_id_token_leaks(s: &Lab, run: &str) -> Result<String, String> {
    let mut alice = Browser::alice(s).of(run);
    let back = alice.sign_in(run, DEMO_USER, &oidc::SCOPES).await?;
    alice.get(&back).await?;
    let token = recorded(s, run, "id_token", 0)?;
    note(s, run, StepKind::Attack, Role::Attacker, Role::Attacker, "finds alice's ID token in a log");
    Ok(token)
}

/// Mallory starts a sign-in of her own at the app and reads the nonce in the
/// authentication request; the app keeps it for her browser.
async fn mallory_begins_a_sign_in<'a>(s: &'a Lab, run: &str) -> Result<(Browser<'a>, String), String> {
    let mut mallory = Browser::mallory(s).of(run);
    let (status, location, _) = mallory.get(&format!("/lab/runs/{run}/login")).await?;
    if status != 302 {
        return Err(format!("the app answered {status} instead of redirecting"));
    }
    let nonce = query_value(&location, "nonce").ok_or("no nonce in the authentication request")?;
    Ok((mallory, nonce))
}

/// Mallory posts `id_token` to the app's sign-in endpoint: the misuse.
async fn mallory_signs_in_with(
    mallory: &mut Browser<'_>,
    run: &str,
    id_token: &str,
    tag: &'static str,
) -> Result<(), String> {
    mallory.misuse = Some(tag);
    mallory.post_form(&format!("/lab/runs/{run}/id-token"), &[("id_token", id_token)]).await?;
    Ok(())
}

async fn id_token_replay(s: &Lab, run: &str) -> Result<(), String> {
    let tag = Scenario::IdTokenReplay.slug();
    let stolen = alices_id_token_leaks(s, run).await?;
    let (mut mallory, _) = mallory_begins_a_sign_in(s, run).await?;
    mallory_signs_in_with(&mut mallory, run, &stolen, tag).await
}

/// Mallory's own site signs alice in with the app's nonce, and Mallory
/// posts the ID token it got, issued to her site, to the app.
async fn id_token_audience(s: &Lab, run: &str) -> Result<(), String> {
    let tag = Scenario::IdTokenAudience.slug();
    let (mut mallory, nonce) = mallory_begins_a_sign_in(s, run).await?;
    let site = "https://quiz.attacker.example/signed-in";
    let meta = serde_json::json!({
        "client_name": "Mallory's quiz",
        "redirect_uris": [site],
        "grant_types": ["authorization_code"],
        "scope": "openid profile email",
        "token_endpoint_auth_method": "none",
    });
    let req = mallory.http.post(format!("{}{REGISTER}", s.settings.internal_url)).json(&meta);
    let (status, _, body) = mallory.send(req).await?;
    let quiz: serde_json::Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
    let quiz = quiz["client_id"]
        .as_str()
        .filter(|_| status == 201)
        .ok_or(format!("her site's registration failed: {body}"))?;
    note(
        s,
        run,
        StepKind::Attack,
        Role::Attacker,
        Role::UserAgent,
        "invites alice to her quiz site, which signs in with the app's nonce",
    );
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let url = format!(
        "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid%20profile%20email&state=quiz&nonce={}&code_challenge={}&code_challenge_method=S256",
        enc(quiz),
        enc(site),
        enc(&nonce),
        challenge.as_str()
    );
    let mut alice = Browser::alice(s).of(run);
    let back = alice.approve(&url, DEMO_USER, &["openid", "profile", "email"]).await?;
    let code = query_value(&back, "code").ok_or("no code in the redirect to her site")?;
    let (_, _, body) = mallory
        .post_form(
            TOKEN,
            &[
                ("grant_type", GrantType::AuthorizationCode.as_str()),
                ("code", &code),
                ("redirect_uri", site),
                ("client_id", quiz),
                ("code_verifier", verifier.secret()),
            ],
        )
        .await?;
    let token: serde_json::Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
    let id_token = token["id_token"].as_str().ok_or("her site got no ID token")?;
    mallory_signs_in_with(&mut mallory, run, id_token, tag).await
}

async fn id_token_as_access_token(s: &Lab, run: &str) -> Result<(), String> {
    let tag = Scenario::IdTokenAsAccessToken.slug();
    let stolen = alices_id_token_leaks(s, run).await?;
    let mut mallory = Browser::mallory(s).of(run);
    mallory.misuse = Some(tag);
    api_as(&mut mallory, &stolen).await.map(drop)
}

/// alice's ID token with its nonce set to `nonce`: its signature kept
/// (tampered), or its header turned to alg none and the signature dropped.
fn forge(id_token: &str, nonce: &str, alg_none: bool) -> Result<String, String> {
    let mut parts = id_token.split('.');
    let (Some(header), Some(payload), Some(signature)) = (parts.next(), parts.next(), parts.next()) else {
        return Err("the ID token is not a JWS".into());
    };
    let claims = URL_SAFE_NO_PAD.decode(payload).map_err(|e| e.to_string())?;
    let mut claims: serde_json::Value = serde_json::from_slice(&claims).map_err(|e| e.to_string())?;
    claims["nonce"] = nonce.into();
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    Ok(if alg_none {
        format!("{}.{payload}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#))
    } else {
        format!("{header}.{payload}.{signature}")
    })
}

async fn id_token_forged(s: &Lab, run: &str, scenario: Scenario) -> Result<(), String> {
    let stolen = alices_id_token_leaks(s, run).await?;
    let (mut mallory, nonce) = mallory_begins_a_sign_in(s, run).await?;
    let alg_none = scenario == Scenario::IdTokenAlgNone;
    let forged = forge(&stolen, &nonce, alg_none)?;
    let what = if alg_none {
        "sets the nonce to her sign-in's, the header to alg none, and drops the signature"
    } else {
        "sets the nonce to her sign-in's and keeps the provider's signature"
    };
    note(s, run, StepKind::Attack, Role::Attacker, Role::Attacker, what);
    mallory_signs_in_with(&mut mallory, run, &forged, scenario.slug()).await
}
