//! "Your own app" (`/own-app`): the lab registers a client for the
//! learner's own program, shows where the servers are, and records every
//! request the program makes with that client or its tokens, live, in the
//! same diagram and inspector as the lab's own runs, with what the program
//! did against the RFCs marked on its steps (`run::findings`).

use super::player::{status_class, status_text, RunPlayer};
use crate::run::view::{ClientSetup, RunView};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnAppRun {
    pub setup: ClientSetup,
    pub view: RunView,
}

/// Registers a client for the learner's program, with `redirect_uris` (one
/// per line), a secret unless `public`, and starts the run that records
/// it.
#[server(prefix = "/lab/fn", endpoint = "start_own_app")]
pub async fn start_own_app(
    redirect_uris: String,
    public: bool,
    #[server(default)] jwt: bool,
    #[server(default)] mask: bool,
) -> Result<OwnAppRun, ServerFnError> {
    use crate::run::{Grant, Mode};
    let uris = crate::lab::own_app::redirect_uris(&redirect_uris).map_err(|e| {
        status(axum::http::StatusCode::BAD_REQUEST);
        ServerFnError::new(e)
    })?;
    let (s, id) = super::grant::new_run(Grant::OwnApp, Mode::Guided, false, None, false, jwt).await?;
    let setup = crate::lab::own_app::register(&s, &id, uris, public).await;
    let setup = match setup {
        Ok(setup) => setup,
        Err(why) => {
            s.runs.finish(&id, crate::run::RunStatus::Failed(why.clone()));
            status(axum::http::StatusCode::BAD_REQUEST);
            return Err(ServerFnError::new(format!("The authorization server refused the registration: {why}")));
        }
    };
    let record = s.runs.record(&id).ok_or_else(|| ServerFnError::new("The run expired."))?;
    Ok(OwnAppRun { setup, view: super::render::run_view(&record, mask, true) })
}

/// The status of a server function's answer that is an error.
#[cfg(feature = "ssr")]
fn status(code: axum::http::StatusCode) {
    if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
        opts.set_status(code);
    }
}

/// The learner whose run `run` is, from the request's cookie.
#[cfg(feature = "ssr")]
pub(super) async fn owner_of(run: &str) -> Result<std::sync::Arc<crate::lab::Lab>, ServerFnError> {
    let s = expect_context::<std::sync::Arc<crate::lab::Lab>>();
    let headers: axum::http::HeaderMap = leptos_axum::extract().await?;
    let learner = crate::oauth::util::cookie(&headers, crate::lab::tags::LEARNER_COOKIE);
    if !s.runs.is_owner(run, learner.as_deref()) {
        status(axum::http::StatusCode::FORBIDDEN);
        return Err(ServerFnError::new(
            "Only the browser that registered this client sees its setup. The recorded run is still here below.",
        ));
    }
    Ok(s)
}

/// The setup of run `run`, for the browser that registered it.
#[server(prefix = "/lab/fn", endpoint = "own_app_setup")]
pub async fn own_app_setup(run: String) -> Result<ClientSetup, ServerFnError> {
    let s = owner_of(&run).await?;
    crate::lab::own_app::setup(&s, &run).ok_or_else(|| ServerFnError::new("The run expired."))
}

/// Stops recording run `run`: the requests that follow are served and not
/// recorded.
#[server(prefix = "/lab/fn", endpoint = "stop_own_app")]
pub async fn stop_own_app(run: String) -> Result<(), ServerFnError> {
    let s = owner_of(&run).await?;
    s.runs.finish(&run, crate::run::RunStatus::Done);
    Ok(())
}

/// What the "your own app" and "your own provider" pages share: a run
/// recorded live, its player's state, and how it is followed.
#[derive(Clone, Copy)]
pub(super) struct Live {
    pub run: RwSignal<Option<RunView>>,
    pub current: RwSignal<usize>,
    pub revealed: RwSignal<usize>,
    pub playing: RwSignal<bool>,
    pub speed: RwSignal<u32>,
    pub mask: RwSignal<bool>,
    pub error: RwSignal<Option<String>>,
}

impl Live {
    pub fn new() -> Self {
        let current = RwSignal::new(0usize);
        Self {
            run: RwSignal::new(None),
            current,
            revealed: super::stepping::revealing(current),
            playing: RwSignal::new(false),
            speed: RwSignal::new(100),
            mask: RwSignal::new(false),
            error: RwSignal::new(None),
        }
    }

    /// Shows a run that has just started, from its first step.
    pub fn show(self, view: RunView) {
        self.error.set(None);
        self.current.set(0);
        self.revealed.set(0);
        self.run.set(Some(view));
    }

    /// Follows the run as a guided run's page does, with the keys, the
    /// clock and the mask; marks it complete once `stop` has answered; and
    /// keeps a permalink (`path?run=…&step=N`) in the address, which opens
    /// the run again with its setup (`setup_of`, answered only in the
    /// browser that started it). Returns the permalink, and a class
    /// follower's state when this page follows a presenter.
    pub fn follow<S, F, Fut>(
        self,
        path: &'static str,
        stop: ServerAction<StopOwnApp>,
        setup: RwSignal<Option<S>>,
        setup_of: F,
    ) -> (Memo<String>, Option<super::classroom::Following>)
    where
        S: Send + Sync + 'static,
        F: Fn(String) -> Fut + Copy + 'static,
        Fut: std::future::Future<Output = Result<S, ServerFnError>> + 'static,
    {
        let Live { run, current, revealed, playing, speed, mask, error } = self;
        let steps_len = move || run.with(|r| r.as_ref().map(RunView::steps).unwrap_or(0));
        // Stopped: the status comes with the next view.
        Effect::new(move |_| {
            if let Some(Ok(())) = stop.value().get() {
                run.update(|r| {
                    if let Some(r) = r {
                        r.status = crate::run::RunStatus::Done;
                    }
                });
            }
        });
        super::grant::follow_guided_run(run, current, mask, error);
        super::stepping::step_keys(playing, current, steps_len);
        super::stepping::autoplay_clock(playing, current, steps_len, move || super::player::step_ms(speed.get()));
        super::stepping::follow_mask(mask, run, error);
        Effect::new(move |_| {
            if super::query_param("mask").as_deref() == Some("1") {
                mask.set(true);
            }
            super::stepping::restore_run(mask.get_untracked(), run, current, revealed, error);
            if let Some(id) = super::query_param("run") {
                leptos::task::spawn_local(async move {
                    if let Ok(s) = setup_of(id).await {
                        setup.set(Some(s));
                    }
                });
            }
        });
        let permalink = Memo::new(move |_| {
            let mut q = vec![];
            if mask.get() {
                q.push("mask=1".to_string());
            }
            if let Some(id) = run.with(|r| r.as_ref().map(|r| r.id.clone())) {
                q.push(format!("run={id}"));
                q.push(format!("step={}", current.get() + 1));
            }
            super::stepping::with_query(path.to_string(), &q)
        });
        let following =
            super::stepping::follow_one_run(path.to_string(), permalink, mask, run, current, revealed, error);
        (permalink, following)
    }
}

#[component]
pub fn OwnAppPage() -> impl IntoView {
    view! { <OwnAppLab/> }
}

/// The page's interactive part.
#[island(lazy)]
fn OwnAppLab() -> impl IntoView {
    super::hydrated();
    let live = Live::new();
    let Live { run, current, revealed, playing, speed, mask, error } = live;
    let setup = RwSignal::new(None::<ClientSetup>);
    let uris = RwSignal::new(String::new());
    let public = RwSignal::new(false);
    let jwt = RwSignal::new(false);
    let start = ServerAction::<StartOwnApp>::new();
    let stop = ServerAction::<StopOwnApp>::new();

    Effect::new(move |_| match start.value().get() {
        Some(Ok(r)) => {
            setup.set(Some(r.setup));
            live.show(r.view);
        }
        Some(Err(e)) => error.set(Some(e.to_string())),
        None => {}
    });
    // A permalink opens the run; its setup shows only in the browser that
    // registered it.
    let (permalink, following) = live.follow("/own-app", stop, setup, own_app_setup);
    let follower = following.is_some();
    // The run's section is built once per run: the player must not be
    // built again each time the record grows.
    let run_id = Memo::new(move |_| run.with(|r| r.as_ref().map(|r| r.id.clone())));
    let register = move |_| {
        start.dispatch(StartOwnApp {
            redirect_uris: uris.get_untracked(),
            public: public.get_untracked(),
            jwt: jwt.get_untracked(),
            mask: mask.get_untracked(),
        });
    };

    view! {
        <main class="page lab own-app" class:follower=follower>
            <nav class="crumbs" aria-label="Breadcrumb"><a href="/">"OAuth2 Lab"</a>" / "<span>"Your own app"</span></nav>
            <header class="lab-head">
                <h1>"Your own app"</h1>
                <p class="lead">"Point your own program at the lab. It registers a client for you; you run your program with it, and every request your program makes with that client or its tokens appears here as it happens, with what it did against the RFCs and the security best practice (RFC 9700) marked on its steps."</p>
            </header>
            {(!follower).then(|| view! { <super::classroom::PresenterBar permalink/> })}
            {following.map(|following| view! { <super::classroom::FollowingBar current following/> })}
            {move || (!follower && setup.with(Option::is_none) && run.with(Option::is_none)).then(|| view! {
                <section class="controls own-app-form" aria-label="Register a client">
                    <label class="uris">
                        <span>"Redirect URIs, one per line (leave empty for a program that uses no browser)"</span>
                        <textarea rows="3" data-testid="redirect-uris" placeholder="http://127.0.0.1:8000/callback"
                            prop:value=move || uris.get() on:input=move |e| uris.set(event_target_value(&e))></textarea>
                    </label>
                    <fieldset class="mode">
                        <legend>"Your program"</legend>
                        <label><input type="radio" name="kind" checked=move || !public.get() on:change=move |_| public.set(false)/>" keeps a secret (a server or a bot): a confidential client"</label>
                        <label><input type="radio" name="kind" data-testid="public" checked=move || public.get() on:change=move |_| public.set(true)/>" runs on the user's device (a native or single-page app): a public client"</label>
                    </fieldset>
                    <label class="switch">
                        <input type="checkbox" data-testid="jwt" prop:checked=move || jwt.get() on:change=move |e| jwt.set(event_target_checked(&e))/>
                        " JWT access tokens (RFC 9068)"
                    </label>
                    <button type="button" class="button primary" data-testid="register" on:click=register disabled=move || start.pending().get()>
                        {move || if start.pending().get() { "Registering…" } else { "Register my client" }}
                    </button>
                </section>
            })}
            {move || error.get().map(|e| view! { <p class="as-error" role="alert">{e}</p> })}
            {move || setup.get().map(|s| view! { <SetupCard setup=s mask/> })}
            {move || run_id.get().map(|id| {
                let links = super::player::exports(&id, permalink);
                let stop_id = id.clone();
                view! {
                    <section class="run" aria-label="Your program's requests">
                        <div class="run-meta">
                            <span data-testid="run-status" class=move || status_class(&run)>{move || status_text(&run)}</span>
                            {move || (!follower && setup.with(Option::is_some) && run.with(|r| r.as_ref().is_some_and(|r| r.status == crate::run::RunStatus::Waiting))).then(|| {
                                let id = stop_id.clone();
                                view! { <button type="button" class="button" data-testid="stop" on:click=move |_| { stop.dispatch(StopOwnApp { run: id.clone() }); }>"Stop recording"</button> }
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

/// The client and the servers' addresses, and programs that use them.
#[component]
fn SetupCard(setup: ClientSetup, mask: RwSignal<bool>) -> impl IntoView {
    let ClientSetup { client_id, client_secret, redirect_uris, base_url } = setup;
    let row = |name: &'static str, value: String, testid: &'static str| {
        view! { <tr><th scope="row">{name}</th><td><code data-testid=testid>{value}</code></td></tr> }
    };
    let redirect = redirect_uris.first().cloned();
    let examples = examples(&client_id, client_secret.as_deref(), redirect.as_deref(), &base_url);
    let examples_secret = client_secret.clone();
    view! {
        <section class="own-setup" aria-label="Your client" data-testid="own-setup">
            <h2>"Your client"</h2>
            <table class="setup-table">
                <tbody>
                    {row("client_id", client_id.clone(), "client-id")}
                    {client_secret.clone().map(|s| {
                        // Masked with the run's secrets, for a projector.
                        let shown = move || if mask.get() { format!("{}••••••", s.chars().take(11).collect::<String>()) } else { s.clone() };
                        view! { <tr><th scope="row">"client_secret"</th><td><code data-testid="client-secret">{shown}</code></td></tr> }
                    })}
                    {row("redirect URIs", if redirect_uris.is_empty() { "none".to_string() } else { redirect_uris.join(" ") }, "redirect-list")}
                    {row("base URL (issuer, Mastodon API)", base_url.clone(), "base-url")}
                    {row("metadata (RFC 8414)", format!("{base_url}/.well-known/oauth-authorization-server"), "metadata-url")}
                    {row("OpenID discovery", format!("{base_url}/.well-known/openid-configuration"), "discovery-url")}
                    {row("authorization endpoint", format!("{base_url}/oauth/authorize"), "authorize-url")}
                    {row("token endpoint", format!("{base_url}/oauth/token"), "token-url")}
                    {row("users to sign in as", "alice / wonderland, bob / builder".to_string(), "users")}
                </tbody>
            </table>
            <p class="own-note">"Every request that names this client_id or carries one of its tokens is recorded below, from any program, as it reaches the lab. Requests that name neither, such as reading the metadata, are served but not recorded."</p>
            {examples.into_iter().map(|(title, code)| {
                let secret = examples_secret.clone();
                let code = move || match (&secret, mask.get()) {
                    (Some(s), true) => code.replace(s.as_str(), "CLIENT_SECRET"),
                    _ => code.clone(),
                };
                view! {
                    <details class="own-example">
                        <summary>{title}</summary>
                        <pre class="raw"><code>{code}</code></pre>
                    </details>
                }
            }).collect_view()}
        </section>
    }
}

/// Programs to try the client with: curl, requests-oauthlib and Mastodon.py.
fn examples(id: &str, secret: Option<&str>, redirect: Option<&str>, base: &str) -> Vec<(&'static str, String)> {
    let mut out = vec![];
    if let Some(secret) = secret {
        out.push((
            "curl: a token for the client itself, and an API call",
            format!(
                "TOKEN=$(curl -s -u '{id}:{secret}' -d grant_type=client_credentials -d scope=read \\\n  {base}/oauth/token | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')\ncurl -s -H \"Authorization: Bearer $TOKEN\" {base}/api/v1/apps/verify_credentials"
            ),
        ));
    }
    if let Some(redirect) = redirect {
        let secret_arg = secret.map(|s| format!(", client_secret=\"{s}\"")).unwrap_or_default();
        out.push((
            "Python, requests-oauthlib: the code grant with PKCE",
            format!(
                "from requests_oauthlib import OAuth2Session\n\ns = OAuth2Session(\"{id}\", redirect_uri=\"{redirect}\", scope=[\"read\"], pkce=\"S256\")\nurl, state = s.authorization_url(\"{base}/oauth/authorize\")\nprint(\"Open\", url)  # sign in as alice / wonderland\ntoken = s.fetch_token(\"{base}/oauth/token\"{secret_arg},\n                      authorization_response=input(\"The address you were sent to: \"))\nprint(s.get(\"{base}/api/v1/accounts/verify_credentials\").json())"
            ),
        ));
    }
    if let Some(secret) = secret {
        out.push((
            "Python, Mastodon.py: the seeds' bot",
            format!(
                "from mastodon import Mastodon\n\nm = Mastodon(client_id=\"{id}\", client_secret=\"{secret}\", api_base_url=\"{base}\")\nm.log_in(\"alice\", \"wonderland\", scopes=[\"read\", \"write\"], allow_http=True)\nm.toot(\"Hello from my own bot\")\nprint(m.account_verify_credentials()[\"username\"])"
            ),
        ));
    }
    out
}
