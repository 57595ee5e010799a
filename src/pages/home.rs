//! The home page: what the lab is, the grants, and the demo users and
//! clients the embedded servers hold.

use crate::demo::{DEMO_CLIENTS, DEMO_USERS};
use crate::run::Grant;
use leptos::prelude::*;

struct GrantCard {
    grant: Grant,
    name: &'static str,
    rfc: &'static str,
    rfc_url: &'static str,
    when: &'static str,
    status: &'static str,
    deprecated: bool,
}

const GRANTS: [GrantCard; 7] = [
    GrantCard {
        grant: Grant::AuthorizationCode,
        name: "Authorization code with PKCE",
        rfc: "RFC 6749 §4.1, RFC 7636",
        rfc_url: "https://www.rfc-editor.org/rfc/rfc6749#section-4.1",
        when: "Any app that acts for a user: web apps, single-page apps and native apps. The user signs in at the authorization server, never in the app.",
        status: "Recommended",
        deprecated: false,
    },
    GrantCard {
        grant: Grant::ClientCredentials,
        name: "Client credentials",
        rfc: "RFC 6749 §4.4",
        rfc_url: "https://www.rfc-editor.org/rfc/rfc6749#section-4.4",
        when: "A service that acts for itself, with no user: back-end jobs and machine-to-machine calls.",
        status: "For confidential clients acting for themselves",
        deprecated: false,
    },
    GrantCard {
        grant: Grant::Implicit,
        name: "Implicit",
        rfc: "RFC 6749 §4.2",
        rfc_url: "https://www.rfc-editor.org/rfc/rfc6749#section-4.2",
        when: "Only to learn from: the token comes back in the URL fragment. Use authorization code with PKCE instead.",
        status: "Deprecated: SHOULD NOT (RFC 9700 §2.1.2), removed in the OAuth 2.1 draft",
        deprecated: true,
    },
    GrantCard {
        grant: Grant::Password,
        name: "Resource owner password",
        rfc: "RFC 6749 §4.3",
        rfc_url: "https://www.rfc-editor.org/rfc/rfc6749#section-4.3",
        when: "Only to learn from: the app sees the user's password. Use authorization code with PKCE instead.",
        status: "Deprecated: MUST NOT (RFC 9700 §2.4), removed in the OAuth 2.1 draft",
        deprecated: true,
    },
    GrantCard {
        grant: Grant::DeviceCode,
        name: "Device authorization",
        rfc: "RFC 8628",
        rfc_url: "https://www.rfc-editor.org/rfc/rfc8628",
        when: "A device short of a keyboard or a browser (a TV, a console, a command-line tool on a server with no browser): it shows a code, and the user approves on a phone.",
        status: "For devices without a browser or a keyboard",
        deprecated: false,
    },
    GrantCard {
        grant: Grant::OpenIdConnect,
        name: "OpenID Connect sign-in",
        rfc: "OpenID Connect Core 1.0 §3.1",
        rfc_url: "https://openid.net/specs/openid-connect-core-1_0.html#CodeFlowAuth",
        when: "\"Sign in with ...\": the code grant with the openid scope. The app gets an ID token that says who signed in, checks it, and asks UserInfo.",
        status: "The standard way to sign users in",
        deprecated: false,
    },
    GrantCard {
        grant: Grant::MastodonBot,
        name: "The Mastodon bot of the seeds",
        rfc: "RFC 6749 §4.3",
        rfc_url: "https://www.rfc-editor.org/rfc/rfc6749#section-4.3",
        when: "The seed's three steps as Mastodon.py takes them: create an app, a token from the user's password, the first toot. Each step shows its line of client code.",
        status: "Deprecated: the password grant, which Mastodon 4.4 removed",
        deprecated: true,
    },
];

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <main class="page">
            <header class="hero">
                <h1>"OAuth2 Lab"</h1>
                <p class="lead">
                    "Learn, teach and compare OAuth 2.0 grants. This app runs a real authorization server and a real resource server, "
                    "and every request and response the lab shows is one that really crossed the wire."
                </p>
                <p>
                    <a class="button primary" href="/lab/start" rel="external">
                        "Run an authorization code grant as the user"
                    </a>
                </p>
                <p class="hint">"You will sign in on the authorization server's own page: try alice / wonderland."</p>
            </header>

            <section aria-labelledby="grants-title">
                <h2 id="grants-title">"The four grants of RFC 6749, and the device grant"</h2>
                <p>"Pick a grant to run it for real and watch every request and response, step by step. Not sure which one fits your app? "
                    <a href="/choose">"Answer six questions"</a>". Choosing between them? "
                    <a href="/compare" data-testid="compare-link">"Run them side by side"</a>". Want to see attacks fail? "
                    <a href="/misuse" data-testid="misuse-link">"Try the misuse scenarios"</a>"."</p>
                <ul class="grants">
                    {GRANTS
                        .iter()
                        .map(|g| {
                            view! {
                                <li class="grant" class:deprecated=g.deprecated>
                                    <h3><a href=format!("/grants/{}", g.grant.slug())>{g.name}</a></h3>
                                    <p class="status">{g.status}</p>
                                    <p>{g.when}</p>
                                    <p class="rfc"><a href=g.rfc_url>{g.rfc}</a></p>
                                    <p><a class="button" href=format!("/grants/{}", g.grant.slug())>"Watch it run"</a></p>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </section>

            <section aria-labelledby="own-title">
                <h2 id="own-title">"Your own app"</h2>
                <p>"Bring your own program: the lab registers a client for it, and every request your program makes with that client appears as a run, live, with what it did against the RFCs marked on its steps. "
                    <a class="button" href="/own-app" data-testid="own-app-link">"Watch your own app"</a></p>
            </section>

            <section aria-labelledby="own-provider-title">
                <h2 id="own-provider-title">"Your own provider"</h2>
                <p>"Bring your own authorization server: give its issuer or its endpoints, and the lab's client plays the code grant with PKCE, client credentials, refresh, revocation, introspection and UserInfo against it, with every exchange recorded as it crossed the wire. "
                    <a class="button" href="/own-provider" data-testid="own-provider-link">"Try your own provider"</a></p>
            </section>

            <section aria-labelledby="users-title">
                <h2 id="users-title">"Demo users (resource owners)"</h2>
                <table>
                    <thead><tr><th scope="col">"Username"</th><th scope="col">"Password"</th><th scope="col">"Name and email"</th></tr></thead>
                    <tbody>
                        {DEMO_USERS
                            .iter()
                            .map(|(u, p, n, e)| view! { <tr><td><code>{*u}</code></td><td><code>{*p}</code></td><td>{*n}<br/><span class="email">{*e}</span></td></tr> })
                            .collect_view()}
                    </tbody>
                </table>
            </section>

            <DemoClients/>

            <section aria-labelledby="endpoints-title">
                <h2 id="endpoints-title">"Endpoints"</h2>
                <ul class="endpoints">
                    <li><a href="/.well-known/oauth-authorization-server" rel="external"><code>"/.well-known/oauth-authorization-server"</code></a>" authorization server metadata (RFC 8414)"</li>
                    <li><a href="/.well-known/oauth-protected-resource" rel="external"><code>"/.well-known/oauth-protected-resource"</code></a>" resource server metadata (RFC 9728)"</li>
                    <li><code>"POST /oauth/register"</code>" dynamic client registration (RFC 7591)"</li>
                    <li><code>"GET /oauth/authorize"</code>" sign-in and consent (RFC 6749 §3.1)"</li>
                    <li><code>"POST /oauth/token"</code>" token endpoint (RFC 6749 §3.2)"</li>
                    <li><code>"POST /oauth/revoke"</code>" and "<code>"POST /oauth/introspect"</code>" (RFC 7009, RFC 7662)"</li>
                    <li><code>"POST /oauth/device_authorization"</code>" and the verification page "<code>"/oauth/device"</code>" (RFC 8628)"</li>
                    <li><a href="/oauth/jwks" rel="external"><code>"/oauth/jwks"</code></a>" the public key that verifies JWT access tokens (RFC 9068, RFC 7517)"</li>
                    <li><code>"GET /api/v1/accounts/verify_credentials"</code>", "<code>"POST /api/v1/statuses"</code>", "<code>"GET /api/v1/timelines/home"</code>" the Mastodon-shaped API"</li>
                </ul>
            </section>
        </main>
    }
}

/// The demo clients, with their secrets shown on request: the home page's
/// one island, small enough to live in the main wasm module (see
/// `src/lib.rs`).
#[island]
fn DemoClients() -> impl IntoView {
    super::hydrated();
    let (show_secrets, set_show_secrets) = signal(false);
    view! {
            <section aria-labelledby="clients-title">
                <div class="section-head">
                    <h2 id="clients-title">"Demo clients"</h2>
                    <button
                        type="button"
                        class="button"
                        data-testid="toggle-secrets"
                        aria-pressed=move || show_secrets.get().to_string()
                        on:click=move |_| set_show_secrets.update(|v| *v = !*v)
                    >
                        {move || if show_secrets.get() { "Hide client secrets" } else { "Show client secrets" }}
                    </button>
                </div>
                <p>"One pre-registered client per kind of app. Redirect URIs are on this lab's own address."</p>
                <div class="table-wrap">
                    <table>
                        <thead>
                            <tr>
                                <th scope="col">"client_id"</th>
                                <th scope="col">"Kind of app"</th>
                                <th scope="col">"Secret"</th>
                                <th scope="col">"Grants"</th>
                                <th scope="col">"Redirect URI"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {DEMO_CLIENTS
                                .iter()
                                .map(|c| {
                                    let secret = c.secret;
                                    view! {
                                        <tr>
                                            <td><code>{c.client_id}</code></td>
                                            <td>{c.kind}</td>
                                            <td data-testid=format!("secret-{}", c.client_id)>
                                                {move || match (secret, show_secrets.get()) {
                                                    (None, _) => "none (public client)".to_string(),
                                                    (Some(s), true) => s.to_string(),
                                                    (Some(_), false) => "••••••••".to_string(),
                                                }}
                                            </td>
                                            <td>{c.grant_types.join(", ")}</td>
                                            <td>
                                                {if c.redirect_path.is_empty() {
                                                    view! { <span>"none"</span> }.into_any()
                                                } else {
                                                    view! { <code>{c.redirect_path}</code> }.into_any()
                                                }}
                                            </td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>
            </section>
    }
}
