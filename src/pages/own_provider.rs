//! "Your own provider" (`/own-provider`): the learner names an
//! authorization server by its issuer or its endpoints, and a client there
//! (or lets the lab register one, RFC 7591); the lab's client then plays
//! the code grant with PKCE (the learner signs in at the provider in a new
//! tab), client credentials, refresh, revocation, introspection and
//! UserInfo against it, and every exchange appears in the same diagram and
//! inspector as the lab's own runs (`lab::provider`).

// `start_own_provider` takes the form's fields one by one, as a form posts
// them; the server macro repeats its arguments in the code it writes.
#![allow(clippy::too_many_arguments)]

use super::player::{status_class, status_text, RunPlayer};
use crate::run::view::{ProviderAction, ProviderSetup, RunView};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnProviderRun {
    pub setup: ProviderSetup,
    pub view: RunView,
}

/// Starts a run against the provider the fields name: discovery when
/// there is an issuer, registration when there is no client id.
#[server(prefix = "/lab/fn", endpoint = "start_own_provider")]
pub async fn start_own_provider(
    #[server(default)] issuer: String,
    #[server(default)] authorization_endpoint: String,
    #[server(default)] token_endpoint: String,
    #[server(default)] revocation_endpoint: String,
    #[server(default)] introspection_endpoint: String,
    #[server(default)] userinfo_endpoint: String,
    #[server(default)] client_id: String,
    #[server(default)] client_secret: String,
    #[server(default)] scope: String,
    #[server(default)] mask: bool,
) -> Result<OwnProviderRun, ServerFnError> {
    use crate::run::{Grant, Mode};
    let form = crate::run::view::ProviderForm {
        issuer,
        authorization_endpoint,
        token_endpoint,
        revocation_endpoint,
        introspection_endpoint,
        userinfo_endpoint,
        client_id,
        client_secret,
        scope,
    };
    if form.issuer.trim().is_empty() && form.token_endpoint.trim().is_empty() {
        status(axum::http::StatusCode::BAD_REQUEST);
        return Err(ServerFnError::new("Give your provider's issuer, or at least its token endpoint."));
    }
    let (s, id) = super::grant::new_run(Grant::OwnProvider, Mode::Guided, false, None, false, false).await?;
    let setup = match crate::lab::provider::set_up(&s, &id, &form).await {
        Ok(setup) => setup,
        Err(why) => {
            s.runs.finish(&id, crate::run::RunStatus::Failed(why.clone()));
            status(axum::http::StatusCode::BAD_REQUEST);
            return Err(ServerFnError::new(why));
        }
    };
    let record = s.runs.record(&id).ok_or_else(|| ServerFnError::new("The run expired."))?;
    Ok(OwnProviderRun { setup, view: super::render::run_view(&record, mask, true) })
}

#[cfg(feature = "ssr")]
fn status(code: axum::http::StatusCode) {
    if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
        opts.set_status(code);
    }
}

/// The provider and client of run `run`, for the browser that started it.
#[server(prefix = "/lab/fn", endpoint = "own_provider_setup")]
pub async fn own_provider_setup(run: String) -> Result<ProviderSetup, ServerFnError> {
    let s = super::own_app::owner_of(&run).await?;
    s.runs
        .with(&run, |r| r.outside.as_ref().map(|p| p.setup.clone()))
        .flatten()
        .ok_or_else(|| ServerFnError::new("This run is no longer live in this lab process."))
}

/// Plays one back-channel step of run `run`.
#[server(prefix = "/lab/fn", endpoint = "own_provider_act")]
pub async fn own_provider_act(run: String, action: ProviderAction) -> Result<(), ServerFnError> {
    let s = super::own_app::owner_of(&run).await?;
    if s.runs.with(&run, |r| r.record.status != crate::run::RunStatus::Waiting).unwrap_or(true) {
        status(axum::http::StatusCode::BAD_REQUEST);
        return Err(ServerFnError::new("This run has ended: start a new one."));
    }
    crate::lab::provider::act(&s, &run, action).await.map_err(|why| {
        status(axum::http::StatusCode::BAD_REQUEST);
        ServerFnError::new(why)
    })
}

#[component]
pub fn OwnProviderPage() -> impl IntoView {
    view! { <OwnProviderLab/> }
}

/// A text field of the form.
fn field(
    label: &'static str,
    testid: &'static str,
    placeholder: &'static str,
    value: RwSignal<String>,
) -> impl IntoView {
    view! {
        <label class="provider-field">
            <span>{label}</span>
            <input type="text" data-testid=testid placeholder=placeholder autocomplete="off" spellcheck="false"
                prop:value=move || value.get() on:input=move |e| value.set(event_target_value(&e))/>
        </label>
    }
}

/// The page's interactive part.
#[island(lazy)]
fn OwnProviderLab() -> impl IntoView {
    super::hydrated();
    let live = super::own_app::Live::new();
    let super::own_app::Live { run, current, revealed, playing, speed, mask, error } = live;
    let setup = RwSignal::new(None::<ProviderSetup>);
    let issuer = RwSignal::new(String::new());
    let authorization_endpoint = RwSignal::new(String::new());
    let token_endpoint = RwSignal::new(String::new());
    let revocation_endpoint = RwSignal::new(String::new());
    let introspection_endpoint = RwSignal::new(String::new());
    let userinfo_endpoint = RwSignal::new(String::new());
    let client_id = RwSignal::new(String::new());
    let client_secret = RwSignal::new(String::new());
    let scope = RwSignal::new(String::new());
    let start = ServerAction::<StartOwnProvider>::new();
    let act = ServerAction::<OwnProviderAct>::new();
    let stop = ServerAction::<super::own_app::StopOwnApp>::new();

    Effect::new(move |_| match start.value().get() {
        Some(Ok(r)) => {
            setup.set(Some(r.setup));
            live.show(r.view);
        }
        Some(Err(e)) => error.set(Some(e.to_string())),
        None => {}
    });
    Effect::new(move |_| match act.value().get() {
        Some(Err(e)) => error.set(Some(e.to_string())),
        Some(Ok(())) => error.set(None),
        None => {}
    });
    let (permalink, following) = live.follow("/own-provider", stop, setup, own_provider_setup);
    let follower = following.is_some();
    let run_id = Memo::new(move |_| run.with(|r| r.as_ref().map(|r| r.id.clone())));
    let waiting = move || run.with(|r| r.as_ref().is_some_and(|r| r.status == crate::run::RunStatus::Waiting));
    let connect = move |_| {
        start.dispatch(StartOwnProvider {
            issuer: issuer.get_untracked(),
            authorization_endpoint: authorization_endpoint.get_untracked(),
            token_endpoint: token_endpoint.get_untracked(),
            revocation_endpoint: revocation_endpoint.get_untracked(),
            introspection_endpoint: introspection_endpoint.get_untracked(),
            userinfo_endpoint: userinfo_endpoint.get_untracked(),
            client_id: client_id.get_untracked(),
            client_secret: client_secret.get_untracked(),
            scope: scope.get_untracked(),
            mask: mask.get_untracked(),
        });
    };

    view! {
        <main class="page lab own-provider" class:follower=follower>
            <nav class="crumbs" aria-label="Breadcrumb"><a href="/">"OAuth2 Lab"</a>" / "<span>"Your own provider"</span></nav>
            <header class="lab-head">
                <h1>"Your own provider"</h1>
                <p class="lead">"Name an authorization server: the lab's client, which follows the RFCs, plays the code grant with PKCE, client credentials, refresh, revocation, introspection and UserInfo against it. Every request it sends and every answer appears here as it crossed the wire."</p>
            </header>
            {(!follower).then(|| view! { <super::classroom::PresenterBar permalink/> })}
            {following.map(|following| view! { <super::classroom::FollowingBar current following/> })}
            {move || (!follower && setup.with(Option::is_none) && run.with(Option::is_none)).then(|| view! {
                <section class="controls provider-form" aria-label="Your provider">
                    {field("Issuer (the lab reads its metadata: OpenID discovery, else RFC 8414)", "issuer", "https://accounts.example.com", issuer)}
                    <details class="provider-endpoints">
                        <summary>"Or its endpoints, by hand (these override what the metadata says)"</summary>
                        {field("Authorization endpoint", "authorization-endpoint", "https://as.example.com/authorize", authorization_endpoint)}
                        {field("Token endpoint", "token-endpoint", "https://as.example.com/token", token_endpoint)}
                        {field("Revocation endpoint (RFC 7009)", "revocation-endpoint", "", revocation_endpoint)}
                        {field("Introspection endpoint (RFC 7662)", "introspection-endpoint", "", introspection_endpoint)}
                        {field("UserInfo endpoint", "userinfo-endpoint", "", userinfo_endpoint)}
                    </details>
                    {field("Client id (leave empty and the lab registers one, where the provider offers RFC 7591)", "client-id", "", client_id)}
                    <label class="provider-field">
                        <span>"Client secret"</span>
                        <input type="password" data-testid="client-secret-input" autocomplete="off"
                            prop:value=move || client_secret.get() on:input=move |e| client_secret.set(event_target_value(&e))/>
                    </label>
                    {field("Scope (empty: openid profile at an OpenID provider)", "scope", "openid profile", scope)}
                    <button type="button" class="button primary" data-testid="connect" on:click=connect disabled=move || start.pending().get()>
                        {move || if start.pending().get() { "Reading its metadata…" } else { "Connect" }}
                    </button>
                    <p class="own-note">"The lab calls only the origins of the issuer and of the endpoints it names, each call within 5 seconds and 1 MiB; never a link-local or cloud-metadata address."</p>
                </section>
            })}
            {move || error.get().map(|e| view! { <p class="as-error" role="alert" data-testid="provider-error">{e}</p> })}
            {move || setup.get().map(|p| {
                let id = run_id.get().unwrap_or_default();
                view! { <ProviderCard setup=p run=id act waiting=Signal::derive(waiting)/> }
            })}
            {move || run_id.get().map(|id| {
                let links = super::player::exports(&id, permalink);
                let stop_id = id.clone();
                view! {
                    <section class="run" aria-label="The lab's client and your provider">
                        <div class="run-meta">
                            <span data-testid="run-status" class=move || status_class(&run)>{move || status_text(&run)}</span>
                            {move || (!follower && setup.with(Option::is_some) && waiting()).then(|| {
                                let id = stop_id.clone();
                                view! { <button type="button" class="button" data-testid="stop" on:click=move |_| { stop.dispatch(super::own_app::StopOwnApp { run: id.clone() }); }>"End the run"</button> }
                            })}
                            <super::player::RunLinks follower>{links}</super::player::RunLinks>
                        </div>
                        {(!follower).then(|| view! { <div class="controls"><super::player::MaskSwitch mask/></div> })}
                        <RunPlayer run current revealed playing speed mask follower/>
                    </section>
                }
            })}
        </main>
    }
}

/// The provider as the lab found it, and the steps the lab's client can
/// play against it.
#[component]
fn ProviderCard(
    setup: ProviderSetup,
    run: String,
    act: ServerAction<OwnProviderAct>,
    waiting: Signal<bool>,
) -> impl IntoView {
    let row = |name: &'static str, value: Option<String>, testid: &'static str| {
        view! { <tr><th scope="row">{name}</th><td><code data-testid=testid>{value.unwrap_or_else(|| "none".into())}</code></td></tr> }
    };
    let how = if setup.registered {
        "registered by the lab (RFC 7591)"
    } else if setup.confidential {
        "yours, with its secret"
    } else {
        "yours, public (no secret)"
    };
    let button = |label: &'static str, testid: &'static str, action: ProviderAction, offered: bool, run: String| {
        let disabled = move || !offered || !waiting.get() || act.pending().get();
        view! {
            <button type="button" class="button" data-testid=testid disabled=disabled
                on:click=move |_| { act.dispatch(OwnProviderAct { run: run.clone(), action }); }>{label}</button>
        }
    };
    let login = format!("/lab/runs/{run}/login");
    let can_sign_in = setup.authorization_endpoint.is_some();
    view! {
        <section class="own-setup" aria-label="Your provider" data-testid="provider-setup">
            <h2>"Your provider"</h2>
            <table class="setup-table">
                <tbody>
                    {row("issuer", setup.issuer.clone(), "issuer-found")}
                    {row("authorization endpoint", setup.authorization_endpoint.clone(), "authorization-found")}
                    {row("token endpoint", setup.token_endpoint.clone(), "token-found")}
                    {row("revocation endpoint", setup.revocation_endpoint.clone(), "revocation-found")}
                    {row("introspection endpoint", setup.introspection_endpoint.clone(), "introspection-found")}
                    {row("UserInfo endpoint", setup.userinfo_endpoint.clone(), "userinfo-found")}
                    {row("client_id", Some(format!("{} ({how})", setup.client_id)), "provider-client-id")}
                    {row("client authentication", Some(setup.auth_method.clone()), "auth-method")}
                    {row("scope", Some(if setup.scope.is_empty() { "the provider's default".into() } else { setup.scope.clone() }), "scope-found")}
                    {row("redirect URI to register", Some(setup.redirect_uri.clone()), "redirect-uri")}
                    {row("origins the lab calls", Some(setup.origins.join(" ")), "origins")}
                </tbody>
            </table>
            <div class="provider-actions" role="group" aria-label="Steps to play">
                {can_sign_in.then(|| view! {
                    <a class="button primary" data-testid="sign-in" href=login target="_blank" rel="noopener">"Sign in at your provider (new tab)"</a>
                })}
                {button("Client credentials", "client-credentials", ProviderAction::ClientCredentials, setup.token_endpoint.is_some(), run.clone())}
                {button("Refresh", "refresh", ProviderAction::Refresh, setup.token_endpoint.is_some(), run.clone())}
                {button("Introspect", "introspect", ProviderAction::Introspect, setup.introspection_endpoint.is_some(), run.clone())}
                {button("UserInfo", "userinfo", ProviderAction::UserInfo, setup.userinfo_endpoint.is_some(), run.clone())}
                {button("Revoke", "revoke", ProviderAction::Revoke, setup.revocation_endpoint.is_some(), run.clone())}
            </div>
            <p class="own-note">"Providers refuse to be framed, so the sign-in opens in a new tab; the steps appear here as the lab sees them. Refresh, introspection, UserInfo and revocation use the latest token the run holds."</p>
        </section>
    }
}
