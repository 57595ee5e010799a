//! A grant's page (`/grants/{grant}`): run the grant for real, then watch
//! its recorded exchanges as a sequence diagram and read each one in the
//! inspector. The page only shows what the run's record holds: the server
//! renders both from it (`pages::render`).

use super::player::{status_class, status_text, step_ms, BrowserPane, MaskSwitch, RunPlayer};
use crate::run::narration::{deprecation, when_to_use};
use crate::run::view::RunView;
use crate::run::{Grant, Mode, RunStatus, GRANTS};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// Starts a run. An autoplay run is complete when this returns; a guided
/// run waits for the learner in the browser pane. The answer is the run as
/// the page shows it, with secrets masked when `mask`; `bare` leaves out
/// the inspector (the comparison draws diagrams only).
#[server(prefix = "/lab/fn", endpoint = "start_run")]
pub async fn start_run(
    grant: Grant,
    mode: Mode,
    lifecycle: bool,
    #[server(default)] jwt: bool,
    #[server(default)] mask: bool,
    #[server(default)] bare: bool,
) -> Result<RunView, ServerFnError> {
    let (s, id) = new_run(grant, mode, lifecycle, None, false, jwt).await?;
    // A failed run is still a record worth showing.
    let _ = crate::lab::agent::start(&s, &id, grant, mode).await;
    let record = s.runs.record(&id).ok_or_else(|| ServerFnError::new("The run expired."))?;
    Ok(super::render::run_view(&record, mask, !bare))
}

/// Creates a run for the learner (known by a cookie) in the run store.
#[cfg(feature = "ssr")]
pub async fn new_run(
    grant: Grant,
    mode: Mode,
    lifecycle: bool,
    scenario: Option<crate::run::scenario::Scenario>,
    vulnerable: bool,
    jwt: bool,
) -> Result<(std::sync::Arc<crate::lab::Lab>, String), ServerFnError> {
    use crate::oauth::util::random_token;
    use axum::http::{header, HeaderMap, HeaderValue};

    let s = expect_context::<std::sync::Arc<crate::lab::Lab>>();
    // Each learner's runs are counted by a cookie, so one learner cannot
    // crowd out the others.
    let headers: HeaderMap = leptos_axum::extract().await?;
    let learner = crate::oauth::util::cookie(&headers, crate::lab::tags::LEARNER_COOKIE)
        .filter(|v| v.len() >= 20 && v.len() <= 80);
    let learner = match learner {
        Some(l) => l,
        None => {
            let l = random_token("");
            let cookie = cookie::Cookie::build((crate::lab::tags::LEARNER_COOKIE, l.clone()))
                .path("/")
                .http_only(true)
                .same_site(cookie::SameSite::Lax)
                .max_age(cookie::time::Duration::days(1))
                .build();
            if let (Some(opts), Ok(v)) =
                (use_context::<leptos_axum::ResponseOptions>(), HeaderValue::from_str(&cookie.to_string()))
            {
                opts.append_header(header::SET_COOKIE, v);
            }
            l
        }
    };
    let requester: crate::oauth::Requester = leptos_axum::extract().await?;
    let id = random_token("run_");
    let start_url = format!("/lab/runs/{id}/login");
    if s.runs
        .create(&learner, &requester.key(), grant, mode, lifecycle, id.clone(), start_url, scenario, vulnerable, jwt)
        .is_none()
    {
        if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
            opts.set_status(axum::http::StatusCode::SERVICE_UNAVAILABLE);
        }
        return Err(ServerFnError::new(
            "The lab holds a fixed number of runs so that a flood cannot exhaust its memory, and that limit is reached. Try again in a minute.",
        ));
    }
    Ok((s, id))
}

#[component]
pub fn GrantPage() -> impl IntoView {
    let params = use_params_map();
    let grant = Memo::new(move |_| params.read().get("grant").and_then(|g| Grant::from_slug(&g)));
    move || match grant.get() {
        Some(g) => view! { <GrantLab grant=g/> }.into_any(),
        None => view! {
            <main class="page">
                <h1>"No such grant"</h1>
                <p>"The lab knows these grants:"</p>
                <GrantLinks/>
            </main>
        }
        .into_any(),
    }
}

#[component]
pub fn GrantLinks() -> impl IntoView {
    view! {
        <ul class="grant-links">
            {GRANTS
                .iter()
                .map(|g| view! { <li><a href=format!("/grants/{}", g.slug())>{g.title()}</a></li> })
                .collect_view()}
        </ul>
    }
}

/// The grant page's interactive part: an island, hydrated from its own
/// wasm chunk; the rest of the page is server-rendered HTML.
#[island(lazy)]
fn GrantLab(grant: Grant) -> impl IntoView {
    super::hydrated();
    let options = Options {
        mode: RwSignal::new(Mode::Autoplay),
        lifecycle: RwSignal::new(true),
        jwt: RwSignal::new(false),
        mask: RwSignal::new(false),
    };
    let run = RwSignal::new(None::<RunView>);
    let current = RwSignal::new(0usize);
    let revealed = super::stepping::revealing(current);
    let playing = RwSignal::new(false);
    let speed = RwSignal::new(100u32);
    let error = RwSignal::new(None::<String>);
    let start = ServerAction::<StartRun>::new();
    let steps_len = move || run.with(|r| r.as_ref().map(RunView::steps).unwrap_or(0));

    // A new run: autoplay plays from the start; guided follows along.
    Effect::new(move |_| {
        if let Some(result) = start.value().get() {
            super::stepping::show_new_run(result, run, current, revealed, playing, error);
        }
    });
    super::stepping::autoplay_clock(playing, current, steps_len, move || step_ms(speed.get()));
    follow_guided_run(run, current, options.mask, error);
    super::stepping::step_keys(playing, current, steps_len);
    super::stepping::follow_mask(options.mask, run, error);
    options_from_address(grant, options, start, run, current, revealed, error);
    let permalink = Memo::new(move |_| permalink(grant, options, run, current));
    // A student following a class: the presenter's steps arrive here.
    let following = super::stepping::follow_one_run(
        format!("/grants/{}", grant.slug()),
        permalink,
        options.mask,
        run,
        current,
        revealed,
        error,
    );
    let follower = following.is_some();
    let running = Signal::derive(move || start.pending().get());
    let run_it = Callback::new(move |_: ()| {
        playing.set(false);
        start.dispatch(options.start(grant));
    });

    view! {
        <main class="page lab" class:follower=follower>
            <nav class="crumbs" aria-label="Breadcrumb"><a href="/">"OAuth2 Lab"</a>" / "<span>{grant.title()}</span></nav>
            <header class="lab-head">
                <h1>{grant.title()}</h1>
                <p class="lead">{when_to_use(grant)}</p>
                {deprecation(grant).map(|d| view! { <p class="deprecated-banner" role="note"><strong>"Deprecated. "</strong>{d.trim_start_matches("Deprecated. ")}</p> })}
            </header>

            {(!follower).then(|| view! { <super::classroom::PresenterBar permalink/> })}
            {following.map(|following| view! { <super::classroom::FollowingBar current following/> })}
            // A follower watches; the presenter runs.
            {(!follower).then(move || view! { <RunControls grant options running run_it/> })}
            {move || options.jwt.get().then(|| view! { <p class="jwt-note" data-testid="jwt-note">{crate::run::narration::JWT_TRADE_OFF}</p> })}

            {move || error.get().map(|e| view! { <p class="as-error" role="alert">{e}</p> })}
            <RunSection run current revealed playing speed mask=options.mask permalink follower/>
            {move || run.with(|r| r.is_none()).then(|| view! {
                <section class="empty">
                    <p>"Press "<strong>"Run the grant"</strong>" to register an app with the embedded authorization server and run this grant for real. Every step you then see is an HTTP exchange that really happened."</p>
                </section>
            })}
        </main>
    }
}

/// The options a learner sets before a run; the address keeps them.
#[derive(Clone, Copy)]
struct Options {
    mode: RwSignal<Mode>,
    /// Refresh and revoke the token once it has been used.
    lifecycle: RwSignal<bool>,
    jwt: RwSignal<bool>,
    mask: RwSignal<bool>,
}

impl Options {
    fn start(self, grant: Grant) -> StartRun {
        StartRun {
            grant,
            mode: self.mode.get_untracked(),
            lifecycle: self.lifecycle.get_untracked(),
            jwt: self.jwt.get_untracked(),
            mask: self.mask.get_untracked(),
            bare: false,
        }
    }
}

/// Guided: ask the server for the record while the learner works in the
/// browser pane, and show each new step as it happens.
pub(super) fn follow_guided_run(
    run: RwSignal<Option<RunView>>,
    current: RwSignal<usize>,
    mask: RwSignal<bool>,
    error: RwSignal<Option<String>>,
) {
    Effect::new(move |_| {
        let waiting = run.with(|r| {
            r.as_ref().filter(|r| r.mode == Mode::Guided && r.status == RunStatus::Waiting).map(|r| r.id.clone())
        });
        let Some(id) = waiting else { return };
        let handle = set_interval_with_handle(
            move || {
                let id = id.clone();
                leptos::task::spawn_local(async move {
                    let fresh = super::stepping::fetch_view(id, mask.get_untracked(), false).await;
                    if let Err(e) = &fresh {
                        // The run is gone (expired): stop asking.
                        error.set(Some(e.to_string()));
                        run.update(|r| {
                            if let Some(r) = r {
                                r.status = RunStatus::Failed("the run is no longer on the server".into());
                            }
                        });
                    }
                    if let Ok(fresh) = fresh {
                        let grew = run.with_untracked(|r| r.as_ref().map(RunView::steps) != Some(fresh.steps()));
                        let changed =
                            grew || run.with_untracked(|r| r.as_ref().map(|r| &r.status) != Some(&fresh.status));
                        if changed {
                            current.set(fresh.steps().saturating_sub(1));
                            run.set(Some(fresh));
                        }
                    }
                });
            },
            std::time::Duration::from_millis(700),
        );
        on_cleanup(move || {
            if let Ok(h) = handle {
                h.clear();
            }
        });
    });
}

/// The address is a permalink: `?mode=guided&lifecycle=0&mask=1` keep the
/// options, `run=…&step=N` the run and its current step, so a reload or a
/// shared link opens the same view. `?autorun=1` (from the chooser) runs
/// the grant as the page opens.
fn options_from_address(
    grant: Grant,
    options: Options,
    start: ServerAction<StartRun>,
    run: RwSignal<Option<RunView>>,
    current: RwSignal<usize>,
    revealed: RwSignal<usize>,
    error: RwSignal<Option<String>>,
) {
    Effect::new(move |_| {
        if super::query_param("mode").as_deref() == Some("guided") {
            options.mode.set(Mode::Guided);
        }
        if super::query_param("lifecycle").as_deref() == Some("0") {
            options.lifecycle.set(false);
        }
        if super::query_param("mask").as_deref() == Some("1") {
            options.mask.set(true);
        }
        if super::query_param("jwt").as_deref() == Some("1") {
            options.jwt.set(true);
        }
        if super::query_param("autorun").as_deref() == Some("1") {
            start.dispatch(StartRun { mode: Mode::Autoplay, lifecycle: true, ..options.start(grant) });
        } else {
            super::stepping::restore_run(options.mask.get_untracked(), run, current, revealed, error);
        }
    });
}

/// This page, its options, its run and the current step, as an address.
fn permalink(grant: Grant, options: Options, run: RwSignal<Option<RunView>>, current: RwSignal<usize>) -> String {
    let mut q = vec![];
    if options.mode.get() == Mode::Guided {
        q.push("mode=guided".to_string());
    }
    if !options.lifecycle.get() && grant != Grant::Implicit {
        q.push("lifecycle=0".to_string());
    }
    if options.mask.get() {
        q.push("mask=1".to_string());
    }
    if options.jwt.get() {
        q.push("jwt=1".to_string());
    }
    if let Some(id) = run.with(|r| r.as_ref().map(|r| r.id.clone())) {
        q.push(format!("run={id}"));
        q.push(format!("step={}", current.get() + 1));
    }
    super::stepping::with_query(format!("/grants/{}", grant.slug()), &q)
}

/// How to run the grant, and the button that runs it.
#[component]
fn RunControls(grant: Grant, options: Options, running: Signal<bool>, run_it: Callback<()>) -> impl IntoView {
    let Options { mode, lifecycle, jwt, mask } = options;
    view! {
        <section class="controls" aria-label="Run controls">
            <fieldset class="mode">
                <legend>"How to run"</legend>
                <label>
                    <input type="radio" name="mode" value="autoplay" checked=move || mode.get() == Mode::Autoplay
                        on:change=move |_| mode.set(Mode::Autoplay)/>
                    " Autoplay: the lab signs in as alice, then plays it back"
                </label>
                <label>
                    <input type="radio" name="mode" value="guided" checked=move || mode.get() == Mode::Guided
                        on:change=move |_| mode.set(Mode::Guided)/>
                    {if grant.has_user() { " Guided: you are the user, in the browser pane" } else { " Guided: you start the service, in the browser pane" }}
                </label>
            </fieldset>
            <button type="button" class="button primary" data-testid="run" on:click=move |_| run_it.run(()) disabled=move || running.get()>
                {move || if running.get() { "Running…" } else { "Run the grant" }}
            </button>
            {(grant != Grant::Implicit).then(|| view! {
                <label class="switch">
                    <input type="checkbox" data-testid="lifecycle" prop:checked=move || lifecycle.get() on:change=move |e| lifecycle.set(event_target_checked(&e))/>
                    {if grant == Grant::ClientCredentials { " Then revoke the token" } else { " Then refresh and revoke the token" }}
                </label>
            })}
            <label class="switch">
                <input type="checkbox" data-testid="jwt" prop:checked=move || jwt.get() on:change=move |e| jwt.set(event_target_checked(&e))/>
                " JWT access tokens (RFC 9068)"
            </label>
            <MaskSwitch mask/>
        </section>
    }
}

/// The run once there is one: its status, record and exports, the guided
/// run's browser pane, and the player. Built once per run: a guided run's
/// browser pane must not reload when the record grows.
#[component]
fn RunSection(
    run: RwSignal<Option<RunView>>,
    current: RwSignal<usize>,
    revealed: RwSignal<usize>,
    playing: RwSignal<bool>,
    speed: RwSignal<u32>,
    mask: RwSignal<bool>,
    permalink: Memo<String>,
    follower: bool,
) -> impl IntoView {
    let run_key = Memo::new(move |_| run.with(|r| r.as_ref().map(|r| (r.id.clone(), r.mode, r.start_url.clone()))));
    move || {
        run_key.get().map(|(id, mode, start_url)| {
            let guided_url = (mode == Mode::Guided).then_some(start_url);
            let links = super::player::exports(&id, permalink);
            view! {
                <section class="run" aria-label="The run">
                    <div class="run-meta">
                        <span data-testid="run-status" class=move || status_class(&run)>{move || status_text(&run)}</span>
                        <super::player::RunLinks follower>{links}</super::player::RunLinks>
                    </div>
                    {guided_url.map(|url| view! { <BrowserPane url=url mask/> })}
                    <RunPlayer run current revealed playing speed mask follower/>
                </section>
            }
        })
    }
}
