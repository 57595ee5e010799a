//! A grant's page (`/grants/{grant}`): run the grant for real, then watch
//! its recorded exchanges as a sequence diagram and read each one in the
//! inspector. The page only shows what the run's record holds: the server
//! renders both from it (`pages::render`).

use super::runview::{DiagramView, InspectorView};
use crate::run::narration::{channel_note, deprecation, when_to_use};
use crate::run::view::RunView;
use crate::run::{Channel, Grant, Mode, RunStatus, GRANTS};
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
    let _ = crate::server::runs::agent::start(&s, &id, grant, mode).await;
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
) -> Result<(std::sync::Arc<crate::server::Servers>, String), ServerFnError> {
    use crate::server::util::random_token;
    use crate::server::AppState;
    use axum::http::{header, HeaderMap, HeaderValue};

    let state = expect_context::<AppState>();
    let s = state.servers.clone();
    // Each learner's runs are counted by a cookie, so one learner cannot
    // crowd out the others.
    let headers: HeaderMap = leptos_axum::extract().await?;
    let learner =
        crate::server::util::cookie(&headers, "oauth2_lab_learner").filter(|v| v.len() >= 20 && v.len() <= 80);
    let learner = match learner {
        Some(l) => l,
        None => {
            let l = random_token("");
            let cookie = format!("oauth2_lab_learner={l}; Path=/; HttpOnly; SameSite=Lax; Max-Age=86400");
            if let (Some(opts), Ok(v)) = (use_context::<leptos_axum::ResponseOptions>(), HeaderValue::from_str(&cookie))
            {
                opts.append_header(header::SET_COOKIE, v);
            }
            l
        }
    };
    let id = random_token("run_");
    let start_url = format!("/lab/runs/{id}/login");
    if s.runs.create(&learner, grant, mode, lifecycle, id.clone(), start_url, scenario, vulnerable, jwt).is_none() {
        if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
            opts.set_status(axum::http::StatusCode::SERVICE_UNAVAILABLE);
        }
        return Err(ServerFnError::new(
            "The lab holds a fixed number of runs so that a flood cannot exhaust its memory, and that limit is reached. Try again in a minute.",
        ));
    }
    Ok((s, id))
}

/// A run as it stands, as the page shows it (see `start_run`).
#[server(prefix = "/lab/fn", endpoint = "get_run")]
pub async fn get_run(
    id: String,
    #[server(default)] mask: bool,
    #[server(default)] bare: bool,
) -> Result<RunView, ServerFnError> {
    let state = expect_context::<crate::server::AppState>();
    let record = state.servers.runs.record(&id);
    let view = record.map(|r| super::render::run_view(&r, mask, !bare));
    view.ok_or_else(|| {
        if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
            opts.set_status(axum::http::StatusCode::NOT_FOUND);
        }
        ServerFnError::new("There is no such run; runs expire after an hour.")
    })
}

/// Playback speeds: the option's value, the speed in percent, the label.
/// Whole numbers, so no float parsing or formatting reaches the wasm.
const SPEEDS: [(&str, u32, &str); 4] = [("0.5", 50, "0.5×"), ("1", 100, "1×"), ("2", 200, "2×"), ("4", 400, "4×")];
/// A step's time on screen at 1×, in milliseconds.
const STEP_MS: u32 = 1600;

/// How long a step stays on screen at `percent` speed.
pub fn step_ms(percent: u32) -> u64 {
    u64::from(STEP_MS * 100 / percent.max(1))
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
    let mode = RwSignal::new(Mode::Autoplay);
    let run = RwSignal::new(None::<RunView>);
    let current = RwSignal::new(0usize);
    let revealed = super::stepping::revealing(current);
    let playing = RwSignal::new(false);
    let speed = RwSignal::new(100u32);
    let mask = RwSignal::new(false);
    let lifecycle = RwSignal::new(true);
    let jwt = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let start = ServerAction::<StartRun>::new();
    let steps_len = move || run.with(|r| r.as_ref().map(RunView::steps).unwrap_or(0));
    // The run section is built once per run: a guided run's browser pane
    // must not reload when the record grows.
    let run_key = Memo::new(move |_| run.with(|r| r.as_ref().map(|r| (r.id.clone(), r.mode, r.start_url.clone()))));

    // A new run: autoplay plays from the start; guided follows along.
    Effect::new(move |_| {
        if let Some(result) = start.value().get() {
            super::stepping::show_new_run(result, run, current, revealed, playing, error);
        }
    });

    // Autoplay's clock.
    super::stepping::autoplay_clock(playing, current, steps_len, move || step_ms(speed.get()));

    // Guided: ask the server for the record while the learner works in the
    // browser pane, and show each new step as it happens.
    Effect::new(move |_| {
        let waiting = run.with(|r| {
            r.as_ref().filter(|r| r.mode == Mode::Guided && r.status == RunStatus::Waiting).map(|r| r.id.clone())
        });
        let Some(id) = waiting else { return };
        let handle = set_interval_with_handle(
            move || {
                let id = id.clone();
                leptos::task::spawn_local(async move {
                    let fresh = get_run(id, mask.get_untracked(), false).await;
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

    super::stepping::step_keys(playing, current, steps_len);
    super::stepping::follow_mask(mask, run, error);

    // The address is a permalink: `?mode=guided&lifecycle=0&mask=1` keep the
    // options, `run=…&step=N` the run and its current step, so a reload or
    // a shared link opens the same view. `?autorun=1` (from the chooser)
    // runs the grant as the page opens.
    Effect::new(move |_| {
        if super::query_param("mode").as_deref() == Some("guided") {
            mode.set(Mode::Guided);
        }
        if super::query_param("lifecycle").as_deref() == Some("0") {
            lifecycle.set(false);
        }
        if super::query_param("mask").as_deref() == Some("1") {
            mask.set(true);
        }
        if super::query_param("jwt").as_deref() == Some("1") {
            jwt.set(true);
        }
        if super::query_param("autorun").as_deref() == Some("1") {
            start.dispatch(StartRun {
                grant,
                mode: Mode::Autoplay,
                lifecycle: true,
                jwt: jwt.get_untracked(),
                mask: mask.get_untracked(),
                bare: false,
            });
        } else {
            super::stepping::restore_run(mask.get_untracked(), run, current, revealed, error);
        }
    });
    let permalink = Memo::new(move |_| {
        let mut q = vec![];
        if mode.get() == Mode::Guided {
            q.push("mode=guided".to_string());
        }
        if !lifecycle.get() && grant != Grant::Implicit {
            q.push("lifecycle=0".to_string());
        }
        if mask.get() {
            q.push("mask=1".to_string());
        }
        if jwt.get() {
            q.push("jwt=1".to_string());
        }
        if let Some(id) = run.with(|r| r.as_ref().map(|r| r.id.clone())) {
            q.push(format!("run={id}"));
            q.push(format!("step={}", current.get() + 1));
        }
        let path = format!("/grants/{}", grant.slug());
        super::stepping::with_query(path, &q)
    });
    let following = super::query_param("follow");
    let follower = following.is_some();
    super::stepping::keep_address(permalink, follower);
    // A student following a class: the presenter's steps arrive here.
    if let Some(id) = following.clone() {
        Effect::new(move |_| {
            let same = move |runs: &str| run.with_untracked(|r| r.as_ref().is_some_and(|r| r.id == runs));
            super::classroom::follow_here(id.clone(), format!("/grants/{}", grant.slug()), same, current);
        });
    }
    let run_it = move |_| {
        playing.set(false);
        start.dispatch(StartRun {
            grant,
            mode: mode.get_untracked(),
            lifecycle: lifecycle.get_untracked(),
            jwt: jwt.get_untracked(),
            mask: mask.get_untracked(),
            bare: false,
        });
    };

    view! {
        <main class="page lab">
            <nav class="crumbs" aria-label="Breadcrumb"><a href="/">"OAuth2 Lab"</a>" / "<span>{grant.title()}</span></nav>
            <header class="lab-head">
                <h1>{grant.title()}</h1>
                <p class="lead">{when_to_use(grant)}</p>
                {deprecation(grant).map(|d| view! { <p class="deprecated-banner" role="note"><strong>"Deprecated. "</strong>{d.trim_start_matches("Deprecated. ")}</p> })}
            </header>

            {(!follower).then(|| view! { <super::classroom::PresenterBar permalink/> })}
            {follower.then(|| view! { <p class="following" role="status" data-testid="following">"Following the presenter: their steps appear here as they go."</p> })}
            // A follower watches; the presenter runs.
            {(!follower).then(move || view! {
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
                <button type="button" class="button primary" data-testid="run" on:click=run_it disabled=move || start.pending().get()>
                    {move || if start.pending().get() { "Running…" } else { "Run the grant" }}
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
                <label class="switch">
                    <input type="checkbox" data-testid="mask" prop:checked=move || mask.get() on:change=move |e| mask.set(event_target_checked(&e))/>
                    " Mask secrets"
                </label>
            </section>
            })}
            {move || jwt.get().then(|| view! { <p class="jwt-note" data-testid="jwt-note">{crate::run::narration::JWT_TRADE_OFF}</p> })}

            {move || error.get().map(|e| view! { <p class="as-error" role="alert">{e}</p> })}

            {move || run_key.get().map(|(id, mode, start_url)| {
                let guided_url = (mode == Mode::Guided).then_some(start_url);
                view! {
                    <section class="run" aria-label="The run">
                        <div class="run-meta">
                            <span data-testid="run-status" class=move || status_class(&run)>{move || status_text(&run)}</span>
                            <a href=format!("/lab/runs/{id}") target="_blank" rel="external" data-testid="record-link">"Run record (JSON)"</a>
                            <a href=format!("/lab/runs/{id}/export.har") rel="external" download data-testid="export-har">"Export HAR (devtools)"</a>
                            <a href=format!("/lab/runs/{id}/export.md") rel="external" download data-testid="export-md">"Export Markdown (Mermaid)"</a>
                            <a href=format!("/lab/runs/{id}/export.sh") rel="external" download data-testid="export-sh">"Export curl script (replays it)"</a>
                            <a href=move || permalink.get() data-testid="permalink" title="This run at this step, with these options">"Link to this step"</a>
                        </div>
                        {guided_url.map(|url| view! { <BrowserPane url=url/> })}
                        <RunPlayer run current revealed playing speed mask/>
                    </section>
                }
            })}
            {move || run.with(|r| r.is_none()).then(|| view! {
                <section class="empty">
                    <p>"Press "<strong>"Run the grant"</strong>" to register an app with the embedded authorization server and run this grant for real. Every step you then see is an HTTP exchange that really happened."</p>
                </section>
            })}
        </main>
    }
}

pub fn status_text(run: &RwSignal<Option<RunView>>) -> String {
    run.with(|r| match r.as_ref().map(|r| &r.status) {
        Some(RunStatus::Waiting) => "Waiting for you in the browser pane".to_string(),
        Some(RunStatus::Done) => "Run complete".to_string(),
        Some(RunStatus::Failed(why)) => format!("Run ended: {why}"),
        None => String::new(),
    })
}

pub fn status_class(run: &RwSignal<Option<RunView>>) -> &'static str {
    run.with(|r| match r.as_ref().map(|r| &r.status) {
        Some(RunStatus::Done) => "status done",
        Some(RunStatus::Failed(_)) => "status failed",
        _ => "status waiting",
    })
}

/// A recorded run: the player, the legend, the diagram and the inspector.
#[component]
pub fn RunPlayer(
    run: RwSignal<Option<RunView>>,
    current: RwSignal<usize>,
    revealed: RwSignal<usize>,
    playing: RwSignal<bool>,
    speed: RwSignal<u32>,
    mask: RwSignal<bool>,
) -> impl IntoView {
    let steps_len = move || run.with(|r| r.as_ref().map(RunView::steps).unwrap_or(0));
    view! {
        <Player current revealed playing speed steps_len/>
        <Legend/>
        <div class="run-body">
            <DiagramView run current revealed/>
            <InspectorView run current mask/>
        </div>
    }
}

#[component]
fn BrowserPane(url: String) -> impl IntoView {
    view! {
        <section class="browser-pane" aria-label="Browser pane: the user agent">
            <div class="browser-bar"><span class="dot"></span><span class="dot"></span><span class="dot"></span>
                <span class="browser-title">"User agent (a real browser frame)"</span></div>
            <iframe src=url title="Browser pane: the app and the authorization server's pages" data-testid="browser-pane"></iframe>
        </section>
    }
}

#[component]
fn Player(
    current: RwSignal<usize>,
    revealed: RwSignal<usize>,
    playing: RwSignal<bool>,
    speed: RwSignal<u32>,
    steps_len: impl Fn() -> usize + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let last = move || steps_len().saturating_sub(1);
    view! {
        <div class="player" role="group" aria-label="Playback">
            <button type="button" class="button" aria-label="Restart" on:click=move |_| { current.set(0); revealed.set(0); playing.set(true); }>"Restart"</button>
            <button type="button" class="button" aria-label="Previous step" data-testid="prev"
                on:click=move |_| { playing.set(false); current.update(|c| *c = c.saturating_sub(1)); }>"◀ Previous"</button>
            <button type="button" class="button" data-testid="play" aria-label=move || { if playing.get() { "Pause" } else { "Play" } }
                on:click=move |_| super::stepping::toggle_play(playing, current, last())>
                {move || if playing.get() { "Pause" } else { "▶ Play" }}
            </button>
            <button type="button" class="button" aria-label="Next step" data-testid="next"
                on:click=move |_| { playing.set(false); current.update(|c| *c = (*c + 1).min(last())); }>"Next ▶"</button>
            <label class="speed">"Speed "
                <select on:change=move |e| { let v = event_target_value(&e); speed.set(SPEEDS.iter().find(|s| s.0 == v).map_or(100, |s| s.1)) } data-testid="speed">
                    {SPEEDS.iter().map(|(v, p, l)| view! { <option value=*v selected=*p == 100>{*l}</option> }).collect_view()}
                </select>
            </label>
            <span class="counter" data-testid="counter" aria-live="polite">
                {move || if steps_len() == 0 { "No steps yet".to_string() } else { format!("Step {} / {}", current.get() + 1, steps_len()) }}
            </span>
            <span class="keys">"Keys: ← → step, space plays"</span>
        </div>
    }
}

#[component]
fn Legend() -> impl IntoView {
    view! {
        <ul class="legend" aria-label="Legend">
            <li><svg width="44" height="10" aria-hidden="true"><line x1="2" y1="5" x2="42" y2="5" class="arrow front"/></svg>{channel_note(Channel::Front)}</li>
            <li><svg width="44" height="10" aria-hidden="true"><line x1="2" y1="5" x2="42" y2="5" class="arrow back"/></svg>{channel_note(Channel::Back)}</li>
            <li><svg width="44" height="10" aria-hidden="true"><line x1="2" y1="5" x2="42" y2="5" class="arrow local"/></svg>{channel_note(Channel::Local)}</li>
        </ul>
    }
}
