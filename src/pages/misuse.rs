//! Misuse scenarios (`/misuse`, `/misuse/{scenario}`): each one a real run
//! in which the attack is tried and the servers' defence answers. The
//! verdict is read from the recorded response to the request that tried
//! it; a lab-only switch, per run and off by default, turns that one
//! defence off to show what it stops.

use super::player::{status_class, status_text};
use crate::run::scenario::{Scenario, CLOCK_SPEEDS, DEFAULT_CLOCK_SPEED, SCENARIOS};
use crate::run::view::RunView;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// Plays a misuse scenario; the run is complete when this returns. The
/// answer is the run as the page shows it (see `grant::start_run`).
#[server(prefix = "/lab/fn", endpoint = "start_scenario")]
pub async fn start_scenario(
    scenario: Scenario,
    vulnerable: bool,
    #[server(default)] clock_speed: u64,
    #[server(default)] mask: bool,
) -> Result<RunView, ServerFnError> {
    use crate::run::Mode;
    let (s, id) =
        super::grant::new_run(scenario.grant(), Mode::Autoplay, false, Some(scenario), vulnerable, false).await?;
    // A failed run is still a record worth showing.
    let speed = if CLOCK_SPEEDS.contains(&clock_speed) { clock_speed } else { DEFAULT_CLOCK_SPEED };
    let _ = crate::lab::misuse::play(&s, &id, scenario, speed).await;
    let record = s.runs.record(&id).ok_or_else(|| ServerFnError::new("The run expired."))?;
    Ok(super::render::run_view(&record, mask, true))
}

#[component]
pub fn MisuseIndex() -> impl IntoView {
    view! {
        <main class="page">
            <nav class="crumbs" aria-label="Breadcrumb"><a href="/">"OAuth2 Lab"</a>" / "<span>"Misuse scenarios"</span></nav>
            <h1>"Misuse scenarios"</h1>
            <p class="lead">"Each scenario is a real run: the attack is tried against the embedded servers, and you see the defence hold, with the RFC section that asks for it. Where it teaches something, a lab-only switch turns that one defence off for one run, to show what it stops."</p>
            <h2>"OAuth 2.0"</h2>
            <ScenarioList oidc=false/>
            <h2>"OpenID Connect: the ID token"</h2>
            <p>"What a relying party checks of an ID token, and why an API refuses one. In the first four, exactly one of the app's eight checks fails, and the run shows all eight with the real values; in the last, the resource server refuses the token."</p>
            <ScenarioList oidc=true/>
        </main>
    }
}

/// The scenarios of the OpenID Connect grant, or the others.
#[component]
fn ScenarioList(oidc: bool) -> impl IntoView {
    let of = move |s: &&Scenario| (s.grant() == crate::run::Grant::OpenIdConnect) == oidc;
    view! {
        <ul class="scenario-list">
            {SCENARIOS.iter().filter(of).map(|s| {
                let a = s.about();
                view! {
                    <li>
                        <h3><a href=format!("/misuse/{}", s.slug()) data-testid="scenario-link">{a.title}</a></h3>
                        <p>{a.defence}</p>
                        <p class="muted">{a.rfc}{a.switch.map(|_| " · has a vulnerable switch")}</p>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

#[component]
pub fn MisusePage() -> impl IntoView {
    let params = use_params_map();
    let scenario = Memo::new(move |_| params.read().get("scenario").and_then(|g| Scenario::from_slug(&g)));
    move || match scenario.get() {
        Some(s) => view! { <ScenarioLab scenario=s/> }.into_any(),
        None => view! {
            <main class="page">
                <h1>"No such scenario"</h1>
                <p><a href="/misuse">"The misuse scenarios"</a></p>
            </main>
        }
        .into_any(),
    }
}

/// A scenario's interactive part: an island (see `grant::GrantLab`).
#[island(lazy)]
fn ScenarioLab(scenario: Scenario) -> impl IntoView {
    super::hydrated();
    let about = scenario.about();
    let run = RwSignal::new(None::<RunView>);
    let current = RwSignal::new(0usize);
    let revealed = super::stepping::revealing(current);
    let playing = RwSignal::new(false);
    let speed = RwSignal::new(100u32);
    let mask = RwSignal::new(false);
    let vulnerable = RwSignal::new(false);
    let clock_speed = RwSignal::new(DEFAULT_CLOCK_SPEED);
    let error = RwSignal::new(None::<String>);
    let start = ServerAction::<StartScenario>::new();
    let steps_len = move || run.with(|r| r.as_ref().map(RunView::steps).unwrap_or(0));
    let run_id = Memo::new(move |_| run.with(|r| r.as_ref().map(|r| r.id.clone())));

    Effect::new(move |_| {
        if let Some(result) = start.value().get() {
            super::stepping::show_new_run(result, run, current, revealed, playing, error);
        }
    });
    super::stepping::autoplay_clock(playing, current, steps_len, move || super::player::step_ms(speed.get()));
    super::stepping::step_keys(playing, current, steps_len);
    super::stepping::follow_mask(mask, run, error);

    // The permalink: `?vulnerable=1&run=…&step=N`.
    Effect::new(move |_| {
        if super::query_param("vulnerable").as_deref() == Some("1") && about.switch.is_some() {
            vulnerable.set(true);
        }
        super::stepping::restore_run(mask.get_untracked(), run, current, revealed, error);
    });
    let permalink = Memo::new(move |_| permalink(scenario, vulnerable, run_id, current));
    let following = super::stepping::follow_one_run(
        format!("/misuse/{}", scenario.slug()),
        permalink,
        mask,
        run,
        current,
        revealed,
        error,
    );
    let follower = following.is_some();
    let running = Signal::derive(move || start.pending().get());
    let run_it = Callback::new(move |_: ()| {
        playing.set(false);
        start.dispatch(StartScenario {
            scenario,
            vulnerable: vulnerable.get_untracked(),
            clock_speed: clock_speed.get_untracked(),
            mask: mask.get_untracked(),
        });
    });

    view! {
        <main class="page lab" class:follower=follower>
            <ScenarioFacts scenario/>
            {(!follower).then(|| view! { <super::classroom::PresenterBar permalink/> })}
            {following.map(|following| view! { <super::classroom::FollowingBar current following/> })}
            // A follower watches; the presenter runs.
            {(!follower).then(move || view! { <ScenarioControls scenario vulnerable clock_speed mask running run_it/> })}
            {move || error.get().map(|e| view! { <p class="as-error" role="alert">{e}</p> })}
            <Verdict run current playing/>
            {move || run_id.get().map(|id| view! {
                <section class="run" aria-label="The run">
                    <div class="run-meta">
                        <span data-testid="run-status" class=move || status_class(&run)>{move || status_text(&run)}</span>
                        <super::player::RunLinks follower>
                            <a href=format!("/lab/runs/{id}") target="_blank" rel="external" data-testid="record-link">"Run record (JSON)"</a>
                            <a href=format!("/lab/runs/{id}/export.har") rel="external" download>"Export HAR (devtools)"</a>
                            <a href=format!("/lab/runs/{id}/export.md") rel="external" download>"Export Markdown (Mermaid)"</a>
                            <a href=move || permalink.get() data-testid="permalink">"Link to this step"</a>
                        </super::player::RunLinks>
                    </div>
                    <super::player::RunPlayer run current revealed playing speed mask follower/>
                </section>
            })}
            {move || run.with(|r| r.is_none()).then(|| view! {
                <section class="empty">
                    <p>"Press "<strong>"Run the scenario"</strong>" to play it against the embedded servers. Alice, the app and Mallory, the attacker, each send real requests; every step is one that crossed the wire."</p>
                </section>
            })}
        </main>
    }
}

/// The address: `/misuse/{scenario}?vulnerable=1&run=…&step=N`.
fn permalink(
    scenario: Scenario,
    vulnerable: RwSignal<bool>,
    run_id: Memo<Option<String>>,
    current: RwSignal<usize>,
) -> String {
    let mut q = vec![];
    if vulnerable.get() {
        q.push("vulnerable=1".to_string());
    }
    if let Some(id) = run_id.get() {
        q.push(format!("run={id}"));
        q.push(format!("step={}", current.get() + 1));
    }
    super::stepping::with_query(format!("/misuse/{}", scenario.slug()), &q)
}

/// Run the scenario, and its switches: the lab clock's speed, the
/// vulnerable switch, masking.
#[component]
fn ScenarioControls(
    scenario: Scenario,
    vulnerable: RwSignal<bool>,
    clock_speed: RwSignal<u64>,
    mask: RwSignal<bool>,
    running: Signal<bool>,
    run_it: Callback<()>,
) -> impl IntoView {
    let about = scenario.about();
    view! {
        <section class="controls" aria-label="Run controls">
            <button type="button" class="button primary" data-testid="run" on:click=move |_| run_it.run(()) disabled=move || running.get()>
                {move || if running.get() { "Running…" } else { "Run the scenario" }}
            </button>
            {scenario.has_clock().then(|| view! {
                <label class="speed">"Lab clock "
                    <select data-testid="clock-speed" on:change=move |e| clock_speed.set(event_target_value(&e).parse().unwrap_or(DEFAULT_CLOCK_SPEED))>
                        {CLOCK_SPEEDS.iter().map(|s| view! {
                            <option value=s.to_string() selected=*s == DEFAULT_CLOCK_SPEED>{format!("{s}× (an hour in {}.{} s)", 36_000 / s / 10, 36_000 / s % 10)}</option>
                        }).collect_view()}
                    </select>
                </label>
            })}
            {about.switch.map(|what| view! {
                <label class="switch vulnerable">
                    <input type="checkbox" data-testid="vulnerable" prop:checked=move || vulnerable.get() on:change=move |e| vulnerable.set(event_target_checked(&e))/>
                    " Vulnerable (lab only, this run only): "{what}
                </label>
            })}
            <super::player::MaskSwitch mask/>
        </section>
    }
}

/// What the servers answered to the misuse, once the run has it.
#[component]
fn Verdict(run: RwSignal<Option<RunView>>, current: RwSignal<usize>, playing: RwSignal<bool>) -> impl IntoView {
    let judged =
        Memo::new(move |_| run.with(|r| r.as_ref().and_then(|r| r.verdict.clone().map(|v| (v, r.vulnerable)))));
    move || {
        judged.get().map(|((step, held, answer), vulnerable)| {
        let (class, text) = if held {
            ("verdict held", format!("Defence held: the servers answered {answer} to the misuse (step {}).", step + 1))
        } else if vulnerable {
            ("verdict broken", format!("Attack succeeded, because the vulnerable switch turned the defence off: {answer} at step {}.", step + 1))
        } else {
            ("verdict broken", format!("The misuse was not refused: {answer} at step {}.", step + 1))
        };
        view! {
            <p class=class role="status" data-testid="verdict">{text}" "
                <button type="button" class="button" on:click=move |_| { playing.set(false); current.set(step); }>"Show that step"</button>
            </p>
        }
    })
    }
}

/// The scenario's title, what is tried and the defence, with its RFC.
#[component]
fn ScenarioFacts(scenario: Scenario) -> impl IntoView {
    let about = scenario.about();
    view! {
        <nav class="crumbs" aria-label="Breadcrumb"><a href="/">"OAuth2 Lab"</a>" / "<a href="/misuse">"Misuse scenarios"</a>" / "<span>{about.title}</span></nav>
        <header class="lab-head">
            <h1>{about.title}</h1>
        </header>
        <div class="scenario-facts">
            <section><h2>"What is tried"</h2><p data-testid="attack">{about.attack}</p></section>
            <section><h2>"The defence"</h2><p data-testid="defence">{about.defence}" "<a href=about.url target="_blank" rel="external noopener">{about.rfc}</a></p></section>
        </div>
    }
}
