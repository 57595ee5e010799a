//! `/compare`: two to four grants run together, their diagrams in columns
//! stepping in sync, and a table computed from the recorded runs. The
//! address is a permalink (`?grants=…&runs=…&step=N`).

use super::runview::DiagramView;
use super::stepping::fetch_view;
use crate::run::view::RunView;
use crate::run::{Grant, Mode, GRANTS};
use leptos::prelude::*;

const STEP_MS: u64 = 1400;

/// The comparison table of runs (their ids, comma-separated), as HTML.
#[server(prefix = "/lab/fn", endpoint = "compare_table")]
pub async fn compare_table(runs: String) -> Result<String, ServerFnError> {
    let lab = expect_context::<std::sync::Arc<crate::lab::Lab>>();
    let mut records = vec![];
    for id in runs.split(',').take(4) {
        match lab.record(id).await {
            Some(r) => records.push(r),
            None => {
                records.clear();
                break;
            }
        }
    }
    let records = Some(records).filter(|r| r.len() >= 2).ok_or_else(|| {
        if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
            opts.set_status(axum::http::StatusCode::NOT_FOUND);
        }
        ServerFnError::new("Compare two to four runs that exist; the lab keeps runs for a limited time.")
    })?;
    Ok(super::render::compare_table(&records))
}

#[component]
pub fn ComparePage() -> impl IntoView {
    view! { <CompareLab/> }
}

/// The comparison's interactive part: an island (see `grant::GrantLab`).
#[island(lazy)]
fn CompareLab() -> impl IntoView {
    super::hydrated();
    let chosen = RwSignal::new(GRANTS[..4].to_vec());
    let runs = RwSignal::new(Vec::<RunView>::new());
    let table = RwSignal::new(None::<String>);
    let current = RwSignal::new(0usize);
    let playing = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let longest = move || runs.with(|r| r.iter().map(RunView::steps).max().unwrap_or(0));

    let run_them = move || {
        let grants = chosen.get_untracked();
        busy.set(true);
        playing.set(false);
        leptos::task::spawn_local(async move {
            let mut done = vec![];
            for g in grants {
                match super::grant::start_run(g, Mode::Autoplay, true, false, false, true).await {
                    Ok(r) => done.push(r),
                    Err(e) => error.set(Some(e.to_string())),
                }
            }
            current.set(0);
            runs.set(done);
            busy.set(false);
            playing.set(true);
        });
    };

    // Permalink in, then out.
    restore_from_address(chosen, runs, current, error, run_them);
    let permalink = Memo::new(move |_| permalink(chosen, runs, current));
    let following = super::query_param("follow");
    let follower = following.is_some();
    super::stepping::keep_address(permalink, following.clone());
    let state = super::classroom::Following::new();
    if let Some(id) = following.clone() {
        Effect::new(move |_| {
            let same = move |ids: &str| {
                runs.with_untracked(|r| r.iter().map(|r| r.id.as_str()).collect::<Vec<_>>().join(",") == ids)
            };
            // New runs load as a new page: the comparison fetches several.
            super::classroom::follow_here(id.clone(), "/compare".to_string(), same, |_| false, current, state);
        });
    }

    // The table, computed on the server from the runs' records.
    fetch_table(runs, table, error);

    // The shared clock and the keys: ← → space Home End.
    super::stepping::autoplay_clock(playing, current, longest, || STEP_MS);
    super::stepping::step_keys(playing, current, longest);

    view! {
        <main class="page compare" class:follower=follower>
            <nav class="crumbs" aria-label="Breadcrumb"><a href="/">"OAuth2 Lab"</a>" / "<span>"Side by side"</span></nav>
            <h1>"Grants side by side"</h1>
            <p class="lead">"Pick two to four grants. The lab runs each for real, then steps through them together; the table under them is computed from what crossed the wire."</p>
            {(!follower).then(|| view! { <super::classroom::PresenterBar permalink/> })}
            {follower.then(|| view! { <super::classroom::FollowingBar current following=state/> })}
            {(!follower).then(|| view! { <GrantPicker chosen busy run_them=Callback::new(move |_: ()| run_them())/> })}
            {move || error.get().map(|e| view! { <p class="as-error" role="alert">{e}</p> })}
            {(!follower).then(|| view! { <ComparePlayer runs current playing permalink/> })}
            <CompareColumns runs current/>
            {move || table.get().map(|t| view! {
                <h2>"How they compare"</h2>
                <p class="hint">"Counted and traced from the recorded runs above."</p>
                <div class="table-wrap" inner_html=t></div>
            })}
        </main>
    }
}

/// The address in: the grants picked, and the runs and step of a
/// permalink; `?autorun=1` runs them as the page opens.
fn restore_from_address(
    chosen: RwSignal<Vec<Grant>>,
    runs: RwSignal<Vec<RunView>>,
    current: RwSignal<usize>,
    error: RwSignal<Option<String>>,
    run_them: impl Fn() + 'static,
) {
    Effect::new(move |_| {
        if let Some(list) = super::query_param("grants") {
            let picked: Vec<Grant> = list.split(',').filter_map(Grant::from_slug).collect();
            if picked.len() >= 2 {
                chosen.set(picked);
            }
        }
        if let Some(ids) = super::query_param("runs") {
            let step = super::stepping::step_in_address();
            let ids: Vec<String> = ids.split(',').map(str::to_string).take(4).collect();
            leptos::task::spawn_local(async move {
                let mut found = vec![];
                for id in ids {
                    match fetch_view(id, false, true).await {
                        Ok(r) => found.push(r),
                        Err(e) => error.set(Some(e.to_string())),
                    }
                }
                runs.set(found);
                current.set(step);
            });
        } else if super::query_param("autorun").as_deref() == Some("1") {
            run_them();
        }
    });
}

/// The address out: the grants, and once they have run, the runs and the
/// current step.
fn permalink(chosen: RwSignal<Vec<Grant>>, runs: RwSignal<Vec<RunView>>, current: RwSignal<usize>) -> String {
    let grants: Vec<&str> = chosen.get().iter().map(|g| g.slug()).collect();
    let mut url = format!("/compare?grants={}", grants.join(","));
    let ids: Vec<String> = runs.with(|r| r.iter().map(|r| r.id.clone()).collect());
    if !ids.is_empty() {
        url.push_str(&format!("&runs={}&step={}", ids.join(","), current.get() + 1));
    }
    url
}

/// The comparison table, computed on the server from the runs' records,
/// fetched whenever the runs change.
fn fetch_table(runs: RwSignal<Vec<RunView>>, table: RwSignal<Option<String>>, error: RwSignal<Option<String>>) {
    Effect::new(move |_| {
        let ids: Vec<String> = runs.with(|r| r.iter().map(|r| r.id.clone()).collect());
        table.set(None);
        if ids.len() < 2 {
            return;
        }
        leptos::task::spawn_local(async move {
            match compare_table(ids.join(",")).await {
                Ok(t) => table.set(Some(t)),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    });
}

/// Which grants to compare, and the button that runs them.
#[component]
fn GrantPicker(chosen: RwSignal<Vec<Grant>>, busy: RwSignal<bool>, run_them: Callback<()>) -> impl IntoView {
    let toggle = move |g: Grant, on: bool| {
        chosen.update(|c| {
            if on && !c.contains(&g) {
                c.push(g);
                c.sort_by_key(|x| GRANTS.iter().position(|y| y == x));
            } else if !on {
                c.retain(|x| *x != g);
            }
        })
    };
    view! {
        <section class="controls" aria-label="Which grants">
            <fieldset class="mode">
                <legend>"Grants"</legend>
                {GRANTS.iter().map(|g| {
                    let g = *g;
                    view! {
                        <label>
                            <input type="checkbox" data-testid=format!("pick-{}", g.slug())
                                prop:checked=move || chosen.with(|c| c.contains(&g))
                                on:change=move |e| toggle(g, event_target_checked(&e))/>
                            " "{g.title()}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            <button type="button" class="button primary" data-testid="run-compare"
                disabled=move || busy.get() || !(2..=4).contains(&chosen.with(Vec::len))
                on:click=move |_| run_them.run(())>
                {move || if busy.get() { "Running…" } else { "Run side by side" }}
            </button>
            <span class="hint">"Keys: ← → step, space plays, Home and End."</span>
        </section>
    }
}

/// One player for all the columns.
#[component]
fn ComparePlayer(
    runs: RwSignal<Vec<RunView>>,
    current: RwSignal<usize>,
    playing: RwSignal<bool>,
    permalink: Memo<String>,
) -> impl IntoView {
    let longest = move || runs.with(|r| r.iter().map(RunView::steps).max().unwrap_or(0));
    move || {
        (!runs.with(Vec::is_empty)).then(|| view! {
        <div class="player" role="group" aria-label="Step all grants together">
            <button type="button" class="button" aria-label="Previous step" data-testid="compare-prev"
                on:click=move |_| { playing.set(false); current.update(|c| *c = c.saturating_sub(1)); }>"← Previous"</button>
            <button type="button" class="button" data-testid="compare-play" on:click=move |_| super::stepping::toggle_play(playing, current, longest().saturating_sub(1))>
                {move || if playing.get() { "Pause" } else { "Play" }}
            </button>
            <button type="button" class="button" aria-label="Next step" data-testid="compare-next"
                on:click=move |_| { playing.set(false); current.update(|c| *c = (*c + 1).min(longest().saturating_sub(1))); }>"Next →"</button>
            <span class="step-count" data-testid="compare-step">{move || format!("Step {} of {}", current.get() + 1, longest())}</span>
            <a href=move || permalink.get() data-testid="compare-permalink">"Link to this step"</a>
        </div>
    })
    }
}

/// A column per run, each following the shared step.
#[component]
fn CompareColumns(runs: RwSignal<Vec<RunView>>, current: RwSignal<usize>) -> impl IntoView {
    view! {
        <div class="compare-cols">
            {move || runs.get().into_iter().map(|r| {
                let len = r.steps();
                let title = r.grant.title();
                let run = RwSignal::new(Some(r));
                let cur = RwSignal::new(0usize);
                let rev = RwSignal::new(0usize);
                // Each column follows the shared step, stopping at its last.
                Effect::new(move |_| {
                    let at = current.get().min(len.saturating_sub(1));
                    cur.set(at);
                    rev.set(at);
                });
                view! {
                    <section class="compare-col" data-testid="compare-col">
                        <h2>{title}</h2>
                        <p class="col-step">{move || {
                            let c = current.get();
                            if c >= len { format!("done in {len} steps") } else {
                                run.with(|r| r.as_ref().and_then(|r| r.labels.get(c)).map(|l| format!("{}. {l}", c + 1)).unwrap_or_default())
                            }
                        }}</p>
                        <DiagramView run current=cur revealed=rev/>
                    </section>
                }
            }).collect_view()}
        </div>
    }
}
