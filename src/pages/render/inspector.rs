//! The inspector, rendered on the server for each step: the step's raw
//! request and response, decoded parameters, Basic credentials, the PKCE
//! proof recomputed from the recorded verifier, and the codes and tokens
//! followed across steps. The page swaps in the current step's HTML.

use crate::run::narration::{channel_note, explain};
use crate::run::{parse_form, Artifact, Exchange, RunRecord, StepKind};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use leptos::prelude::*;
use sha2::{Digest, Sha256};

/// How a secret looks with the mask on.
fn masked(v: &str) -> String {
    let head: String = v.chars().take(4).collect();
    format!("{head}••••••")
}

fn all_text(x: &Exchange) -> String {
    let mut s = request_text(x);
    for (k, v) in &x.response.headers {
        s.push_str(k);
        s.push_str(v);
        s.push('\n');
    }
    s.push_str(&x.response.body);
    s
}

/// Everything of a request a value could travel in, HTTP Basic
/// credentials decoded: a client secret sent that way is sent.
fn request_text(x: &Exchange) -> String {
    let mut s = format!("{}\n", x.request.target);
    for (k, v) in &x.request.headers {
        s.push_str(k);
        s.push_str(v);
        s.push('\n');
    }
    if let Some((id, secret)) = basic(x) {
        s.push_str(&format!("{id}\n{secret}\n"));
    }
    s.push_str(&x.request.body);
    s.push('\n');
    s
}

/// Splits `text` around the run's artifacts and marks each occurrence.
fn highlight(text: &str, artifacts: &[Artifact], mask: bool) -> AnyView {
    let mut parts: Vec<AnyView> = vec![];
    let mut rest = text;
    let candidates: Vec<&Artifact> = artifacts.iter().filter(|a| a.value.len() >= 6).collect();
    loop {
        let next = candidates
            .iter()
            .filter_map(|a| rest.find(&a.value).map(|p| (p, *a)))
            .min_by_key(|(p, a)| (*p, usize::MAX - a.value.len()));
        // (Empty text is left out: rendered to HTML, it would become a space.)
        let Some((pos, a)) = next else {
            if !rest.is_empty() {
                parts.push(rest.to_string().into_any());
            }
            break;
        };
        if pos > 0 {
            parts.push(rest[..pos].to_string().into_any());
        }
        let shown = if mask && a.secret { masked(&a.value) } else { a.value.clone() };
        parts.push(
            view! { <mark class=format!("artifact a-{}", a.name) title=a.name.clone()>{shown}</mark> }.into_any(),
        );
        rest = &rest[pos + a.value.len()..];
    }
    parts.into_iter().collect_view().into_any()
}

fn head_text(start: String, headers: &[(String, String)], mask: bool) -> String {
    let mut s = start;
    for (k, v) in headers {
        let cookie = k.eq_ignore_ascii_case("cookie") || k.eq_ignore_ascii_case("set-cookie");
        let v = if mask && k.eq_ignore_ascii_case("authorization") && v.starts_with("Basic ") {
            "Basic ••••••".to_string()
        } else if mask && cookie {
            v.split_once('=').map(|(name, _)| format!("{name}=••••••")).unwrap_or_else(|| "••••••".into())
        } else {
            v.clone()
        };
        s.push_str(&format!("\n{k}: {v}"));
    }
    s
}

fn is_json(headers: &[(String, String)]) -> bool {
    headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("content-type") && v.contains("json"))
}

fn pretty(body: &str, json: bool) -> String {
    if json {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
            if let Ok(p) = serde_json::to_string_pretty(&v) {
                return p;
            }
        }
    }
    body.to_string()
}

/// Query, form, redirect-query and fragment parameters, decoded.
fn parameters(x: &Exchange) -> Vec<(&'static str, String, String)> {
    let mut rows = vec![];
    if let Some(q) = x.request.query() {
        rows.extend(parse_form(q).into_iter().map(|(k, v)| ("request query", k, v)));
    }
    if x.request.header("content-type").is_some_and(|c| c.starts_with("application/x-www-form-urlencoded")) {
        rows.extend(parse_form(&x.request.body).into_iter().map(|(k, v)| ("request form body", k, v)));
    }
    if let Some(loc) = x.response.header("location") {
        let (before, fragment) = loc.split_once('#').map(|(a, b)| (a, Some(b))).unwrap_or((loc, None));
        if let Some((_, q)) = before.split_once('?') {
            rows.extend(parse_form(q).into_iter().map(|(k, v)| ("Location query", k, v)));
        }
        if let Some(f) = fragment {
            rows.extend(parse_form(f).into_iter().map(|(k, v)| ("Location fragment", k, v)));
        }
    }
    rows
}

/// HTTP Basic client credentials, decoded as RFC 6749 §2.3.1 encodes them.
fn basic(x: &Exchange) -> Option<(String, String)> {
    let value = x.request.header("authorization")?.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(value.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| parse_form(&format!("x={s}")).pop().map(|(_, v)| v).unwrap_or_default();
    Some((unescape(id), unescape(secret)))
}

fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Where a value first appears, and where it is used after `i`.
fn tracked(record: &RunRecord, i: usize) -> Vec<(Artifact, usize, Option<usize>)> {
    let Some(Some(here)) = record.steps.get(i).map(|s| s.exchange.as_ref()) else { return vec![] };
    let here_text = all_text(here);
    record
        .artifacts
        .iter()
        .filter(|a| a.value.len() >= 6 && here_text.contains(&a.value))
        .map(|a| {
            let first = record
                .steps
                .iter()
                .position(|s| s.exchange.as_ref().is_some_and(|x| all_text(x).contains(&a.value)))
                .unwrap_or(i);
            let next = record
                .steps
                .iter()
                .enumerate()
                .skip(i + 1)
                .find(|(_, s)| s.exchange.as_ref().is_some_and(|x| request_text(x).contains(&a.value)))
                .map(|(j, _)| j);
            (a.clone(), first, next)
        })
        .collect()
}

/// Step `i`'s inspector as HTML; with `mask`, secrets are hidden.
pub fn html(record: &RunRecord, i: usize, mask: bool, findings: &[crate::run::findings::Finding]) -> String {
    let Some(step) = record.steps.get(i) else { return String::new() };
    let n = explain(step, record.grant);
    let total = record.steps.len();
    let exchange_view = step.exchange.as_ref().map(|x| exchange_details(record, i, x, mask));
    view! {
        <header class="inspector-head">
            <p class="step-of">{format!("Step {} of {}", i + 1, total)}</p>
            <h2 data-testid="inspector-title">{step.label.clone()}</h2>
            <p class="roles">{step.from.title_in(record.grant)}" → "{step.to.title_in(record.grant)}
                <span class=format!("badge {:?}", step.channel).to_lowercase()>{format!("{:?} channel", step.channel).replace("Local channel", "not on the wire")}</span>
            </p>
            <p class="narration" data-testid="narration">{n.text}" "<a href=n.url target="_blank" rel="external noopener">{n.rfc}</a></p>
            <p class="channel-note">{channel_note(step.channel)}</p>
            {(!findings.is_empty()).then(|| findings_view(findings))}
            {(record.grant == crate::run::Grant::MastodonBot).then(|| crate::run::narration::bot_code(step.kind)).flatten().map(|code| view! {
                <div class="bot-code" data-testid="bot-code">
                    <p>"The seed's bot, in Python with Mastodon.py:"</p>
                    <pre class="raw"><code>{code}</code></pre>
                </div>
            })}
            {crate::run::scenario::is_misuse(step).then(|| {
                let status = step.exchange.as_ref().map(|x| x.response.status).unwrap_or(0);
                let outcome = if status >= 400 {
                    format!("The servers refused it with {status}: the defence held.")
                } else if record.vulnerable {
                    format!("It went through ({status}), because this run's vulnerable switch turned the defence off.")
                } else {
                    format!("It went through ({status}).")
                };
                view! {
                    <p class="misuse-note" data-testid="misuse-note">
                        <strong>"This request tries the misuse. "</strong>
                        {outcome}
                        " (The lab tags it with x-lab-misuse; the response below is the servers' real answer.)"
                    </p>
                }
            })}
        </header>
        {exchange_view.unwrap_or_else(|| view! {
            <p class="local-note">"No HTTP message crossed the wire in this step, so there are no bytes to show."</p>
        }.into_any())}
        {(step.kind == StepKind::IdTokenCheck).then(|| id_token_checks(record, i, mask))}
        {(step.kind == StepKind::UserInfo).then(|| userinfo_note(record, i))}
    }
    .to_html()
}

/// What the learner's program did against the RFCs in this step.
fn findings_view(findings: &[crate::run::findings::Finding]) -> impl IntoView {
    view! {
        <div class="findings" data-testid="findings">
            <h3>"What your program did"</h3>
            <ul>
                {findings.iter().map(|f| view! {
                    <li class=format!("finding {}", f.severity.class()) data-testid="finding">
                        <span class="finding-kind">{f.severity.title()}</span>" "
                        <strong data-testid="finding-title">{f.title.clone()}</strong>". "
                        {f.text.clone()}" "
                        <a href=f.url target="_blank" rel="external noopener">{f.rfc}</a>
                    </li>
                }).collect_view()}
            </ul>
        </div>
    }
}

fn exchange_details(record: &RunRecord, i: usize, x: &Exchange, m: bool) -> AnyView {
    let a = &record.artifacts;
    let verifier = parse_form(&x.request.body).into_iter().find(|(k, _)| k == "code_verifier").map(|(_, v)| v);
    // The challenge this code was issued for: the last one sent before.
    let challenge = record.steps[..i]
        .iter()
        .rev()
        .filter_map(|s| s.exchange.as_ref())
        .flat_map(|x| {
            let loc = x.response.header("location").and_then(|l| l.split_once('?')).map(|(_, q)| q.to_string());
            x.request.query().map(str::to_string).into_iter().chain(loc)
        })
        .find_map(|q| parse_form(&q).into_iter().find(|(k, _)| k == "code_challenge").map(|(_, v)| v));
    view! {
        {messages(x, a, m)}
        {params_table(parameters(x), a, m)}
        {basic(x).map(|(id, secret)| basic_view(id, secret, m))}
        {x.jwt().and_then(|t| crate::run::decode_jwt(&t)).map(|(header, claims)| jwt_view(header, claims, a, m))}
        {id_token_in(x).and_then(|t| crate::run::decode_jwt(&t)).map(|(header, claims)| id_token_view(header, claims, a, m))}
        {verifier.map(|v| pkce_view(v, challenge, m))}
        {tracked_view(tracked(record, i), i)}
    }
    .into_any()
}

/// The request and the response as they crossed.
fn messages(x: &Exchange, a: &[Artifact], m: bool) -> impl IntoView {
    let req_head = head_text(x.request.start_line(), &x.request.headers, m);
    let res_head = head_text(x.response.start_line(), &x.response.headers, m);
    let req_body = pretty(&x.request.body, is_json(&x.request.headers));
    let res_body = pretty(&x.response.body, is_json(&x.response.headers));
    view! {
        <div class="exchange">
            <div class="message">
                <h3>"Request"</h3>
                <pre class="raw head" data-testid="request-head">{highlight(&req_head, a, m)}</pre>
                <pre class="raw body" data-testid="request-body">{highlight(&req_body, a, m)}</pre>
            </div>
            <div class="message">
                <h3>"Response"</h3>
                <pre class="raw head" data-testid="response-head">{highlight(&res_head, a, m)}</pre>
                <pre class="raw body" data-testid="response-body">{highlight(&res_body, a, m)}</pre>
            </div>
        </div>
    }
}

fn params_table(params: Vec<(&'static str, String, String)>, a: &[Artifact], m: bool) -> impl IntoView {
    (!params.is_empty()).then(|| view! {
        <h3>"Parameters, decoded"</h3>
        <div class="table-wrap"><table class="params" data-testid="params">
            <thead><tr><th scope="col">"Where"</th><th scope="col">"Name"</th><th scope="col">"Value"</th></tr></thead>
            <tbody>{params.into_iter().map(|(src, k, v)| view! {
                <tr><td>{src}</td><td><code>{k}</code></td><td class="value">{highlight(&v, a, m)}</td></tr>
            }).collect_view()}</tbody>
        </table></div>
    })
}

fn basic_view(id: String, secret: String, m: bool) -> impl IntoView {
    view! {
        <div class="decoded" data-testid="basic">
            <h3>"HTTP Basic client authentication, decoded"</h3>
            <p><code>"Authorization: Basic base64(urlencode(client_id) \":\" urlencode(client_secret))"</code>" (RFC 6749 §2.3.1)"</p>
            <dl><dt>"client_id"</dt><dd><code>{id}</code></dd>
                <dt>"client_secret"</dt><dd><code>{if m { masked(&secret) } else { secret }}</code></dd></dl>
        </div>
    }
}

fn jwt_view(header: serde_json::Value, claims: serde_json::Value, a: &[Artifact], m: bool) -> impl IntoView {
    let kid = header["kid"].as_str().unwrap_or("").to_string();
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
    view! {
        <div class="decoded jwt-decoded" data-testid="jwt">
            <h3>"JWT access token (RFC 9068), decoded"</h3>
            <p>"Header: "<code>"typ"</code>" is "<code>"at+jwt"</code>" (or "<code>"application/at+jwt"</code>"), so that no other kind of JWT passes for an access token; "<code>"kid"</code>" names the public key in "<a href="/oauth/jwks" rel="external" target="_blank">"/oauth/jwks"</a>" that verifies it."</p>
            <pre class="raw" data-testid="jwt-header">{pretty(&header)}</pre>
            <p>"Claims: who issued it (iss), whom it is about (sub: the user, or the client itself when no user is involved), which client holds it (client_id), which resource server may accept it (aud), until when (exp), and what it grants (scope) (RFC 9068 §2.2)."</p>
            <pre class="raw" data-testid="jwt-claims">{highlight(&pretty(&claims), a, m)}</pre>
            <p class="hint">{format!("The third part is the RS256 signature over the first two. The resource server verifies it with the public key {kid} and checks iss, aud and exp itself, with no call to the authorization server.")}</p>
        </div>
    }
}

/// The PKCE proof, recomputed from the recorded verifier.
fn pkce_view(v: String, challenge: Option<String>, m: bool) -> impl IntoView {
    let computed = s256(&v);
    let ok = challenge.as_deref() == Some(computed.as_str());
    view! {
        <div class="decoded pkce" data-testid="pkce">
            <h3>"PKCE, recomputed from the recorded verifier"</h3>
            <ol class="pkce-chain">
                <li>"code_verifier: "<code>{if m { masked(&v) } else { v.clone() }}</code></li>
                <li>"SHA-256, then base64url without padding (RFC 7636 §4.2): "<code data-testid="pkce-computed">{computed.clone()}</code></li>
                <li>"code_challenge sent at the start: "<code>{challenge.clone().unwrap_or_else(|| "none".into())}</code></li>
            </ol>
            <p class=if ok { "proof ok" } else { "proof bad" } data-testid="pkce-result">
                {if ok { "✓ They match: only the holder of the verifier could redeem this code." } else { "✗ They differ: the server must refuse the code." }}
            </p>
        </div>
    }
}

/// The codes, tokens and secrets of step `i`, with where each first
/// appeared and where it is used next.
fn tracked_view(tracked: Vec<(Artifact, usize, Option<usize>)>, i: usize) -> impl IntoView {
    (!tracked.is_empty()).then(|| view! {
        <h3>"Codes, tokens and secrets in this step"</h3>
        <ul class="tracked" data-testid="tracked">
            {tracked.into_iter().map(|(art, first, next)| view! {
                <li>
                    <mark class=format!("artifact a-{}", art.name)>{art.name.clone()}</mark>
                    {if first == i { " first appears here".to_string() } else { format!(" first appeared in step {}", first + 1) }}
                    {if first != i { Some(view! { " " <button type="button" class="link" aria-label=format!("Go to step {}", first + 1) data-go=first>"go"</button> }) } else { None }}
                    {match next {
                        Some(j) => view! { "; used next in step "{j + 1}" " <button type="button" class="link" aria-label=format!("Go to step {}", j + 1) data-go=j>"go"</button> }.into_any(),
                        None => view! { "; not sent again" }.into_any(),
                    }}
                </li>
            }).collect_view()}
        </ul>
    })
}

/// The ID token a token response carries (OpenID Connect Core 1.0 §3.1.3.3).
/// The ID token a token response carries, or one posted to the app's
/// sign-in endpoint.
fn id_token_in(x: &Exchange) -> Option<String> {
    let answered = serde_json::from_str::<serde_json::Value>(&x.response.body)
        .ok()
        .and_then(|body| body.get("id_token")?.as_str().map(str::to_string));
    answered.or_else(|| {
        x.request.path().ends_with("/id-token").then(|| {
            form_urlencoded::parse(x.request.body.as_bytes())
                .find(|(k, _)| k == "id_token")
                .map(|(_, v)| v.into_owned())
        })?
    })
}

/// The ID token the app checked at step `i`: the last one answered before.
fn id_token_before(record: &RunRecord, i: usize) -> Option<String> {
    record.steps[..i].iter().rev().filter_map(|s| s.exchange.as_ref()).find_map(id_token_in)
}

fn id_token_view(header: serde_json::Value, claims: serde_json::Value, a: &[Artifact], m: bool) -> impl IntoView {
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
    view! {
        <div class="decoded jwt-decoded" data-testid="id-token">
            <h3>"ID token, decoded"</h3>
            <p>"A JWT about the sign-in, for the app to read and check, never for an API: who signed in (sub), at which provider (iss), for which app (aud), when it was issued and expires (iat, exp), when the user authenticated (auth_time), the nonce the app sent, and at_hash, which binds the access token."</p>
            <pre class="raw" data-testid="id-token-header">{pretty(&header)}</pre>
            <pre class="raw" data-testid="id-token-claims">{highlight(&pretty(&claims), a, m)}</pre>
        </div>
    }
}

/// The checks the app made of the ID token at step `i`, pass or fail, with
/// the real values.
fn id_token_checks(record: &RunRecord, i: usize, m: bool) -> impl IntoView {
    let decoded = id_token_before(record, i).and_then(|t| crate::run::decode_jwt(&t));
    let checks = &record.steps[i].checks;
    let all = !checks.is_empty() && checks.iter().all(|c| c.pass);
    // The check a misuse scenario's vulnerable switch has the app ignore,
    // when it is the only one that failed.
    let ignored = record
        .vulnerable
        .then(|| record.scenario.and_then(|s| s.id_token_check()))
        .flatten()
        .filter(|name| !all && checks.iter().filter(|c| !c.pass).all(|c| c.name == *name));
    let (class, verdict) = match (all, ignored) {
        (true, _) => ("proof ok", "✓ Every check passed: the app takes the user to be the sub of this token.".to_string()),
        (false, Some(name)) => ("proof bad", format!("✗ The {name} check failed, but this run's vulnerable switch has the app ignore it: the app takes the user to be the sub of this token, and the attacker is signed in.")),
        (false, None) => ("proof bad", "✗ A check failed: the app refuses this ID token and signs no one in.".to_string()),
    };
    view! {
        {decoded.map(|(h, c)| id_token_view(h, c, &record.artifacts, m))}
        <h3>"What the app checked"</h3>
        <div class="table-wrap"><table class="params id-checks" data-testid="id-token-checks">
            <thead><tr><th scope="col">"Check"</th><th scope="col">"Expected"</th><th scope="col">"In the token"</th><th scope="col">"Result"</th></tr></thead>
            <tbody>{checks.iter().map(|c| view! {
                <tr data-testid=format!("check-{}", c.name) class=if c.pass { "check pass" } else { "check fail" }>
                    <td><code>{c.name.clone()}</code></td>
                    <td class="value" data-label="Expected">{highlight(&c.expected, &record.artifacts, m)}</td>
                    <td class="value" data-label="In the token">{highlight(&c.found, &record.artifacts, m)}</td>
                    <td data-testid="check-result">{if c.pass { "✓ pass" } else { "✗ fail" }}</td>
                </tr>
                <tr class="check-why"><td colspan="4">{c.why.clone()}</td></tr>
            }).collect_view()}</tbody>
        </table></div>
        <p class=class data-testid="id-token-verdict">{verdict}</p>
    }
}

/// Why the app keys its user by `sub`, with the values of this run.
fn userinfo_note(record: &RunRecord, i: usize) -> impl IntoView {
    let answer = record.steps[i]
        .exchange
        .as_ref()
        .and_then(|x| serde_json::from_str::<serde_json::Value>(&x.response.body).ok())
        .unwrap_or_default();
    let from_id_token = id_token_before(record, i).and_then(|t| crate::run::decode_jwt(&t)).map(|(_, c)| c);
    let sub = answer["sub"].as_str().unwrap_or("").to_string();
    let same = from_id_token.as_ref().is_some_and(|c| c["sub"] == answer["sub"]);
    let email = answer["email"].as_str().map(|e| format!("The email ({e})")).unwrap_or_else(|| "An email".into());
    // Against a learner's own provider the lab's client reports what it
    // found; the lab's own relying party refuses a mismatch itself.
    let compared = match (record.grant, &from_id_token) {
        (crate::run::Grant::OwnProvider, Some(_)) if same => {
            ", the same as the ID token's, as OpenID Connect Core 1.0 §5.3.2 requires of a client before it uses the answer.".to_string()
        }
        (crate::run::Grant::OwnProvider, Some(claims)) => format!(
            ", but the ID token's sub is {}: a client must not use this answer (OpenID Connect Core 1.0 §5.3.2).",
            claims["sub"]
        ),
        (crate::run::Grant::OwnProvider, None) => {
            ", and no ID token came before it in this run to compare it with (OpenID Connect Core 1.0 §5.3.2).".to_string()
        }
        _ if same => ", the same as the ID token's: the crate compares them, and would refuse an answer about someone else.".to_string(),
        _ => ", which is not the ID token's sub: the app refuses the answer.".to_string(),
    };
    view! {
        <div class="decoded" data-testid="sub-note">
            <h3>"Why sub, not the email, is the key for the user"</h3>
            <p>{format!("UserInfo says sub {sub}")}{compared}</p>
            <p>{format!("{email} is a claim about the user, not who they are: a user can change it, a provider may hand it to someone else later, and a second provider can claim the same address. sub is unique within its issuer and never reassigned, so a client stores the user as the pair (iss, sub) (OpenID Connect Core 1.0 §5.7).")}</p>
        </div>
    }
}
