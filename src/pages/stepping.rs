//! Stepping through recorded steps, shared by the grant page, the misuse
//! scenarios and the comparison: the autoplay clock, the keys (← → space
//! Home End), how far playback has revealed, and the address bar kept on
//! the page's permalink.

use crate::run::view::RunView;
use leptos::prelude::*;

/// How far playback has gone: steps past it are not drawn yet, and going
/// back to an earlier step keeps the later ones in view.
pub fn revealing(current: RwSignal<usize>) -> RwSignal<usize> {
    let revealed = RwSignal::new(0usize);
    Effect::new(move |_| {
        let c = current.get();
        if c > revealed.get_untracked() {
            revealed.set(c);
        }
    });
    revealed
}

/// A run just started, or failed to: show it from its first step, and play
/// it back when it is a complete autoplay run (a guided one fills in as the
/// learner acts).
pub fn show_new_run(
    result: Result<RunView, ServerFnError>,
    run: RwSignal<Option<RunView>>,
    current: RwSignal<usize>,
    revealed: RwSignal<usize>,
    playing: RwSignal<bool>,
    error: RwSignal<Option<String>>,
) {
    match result {
        Ok(r) => {
            error.set(None);
            let autoplay = r.mode == crate::run::Mode::Autoplay;
            current.set(0);
            revealed.set(0);
            run.set(Some(r));
            playing.set(autoplay);
        }
        Err(e) => error.set(Some(e.to_string())),
    }
}

/// A run as the page shows it, from `GET /lab/runs/{id}/view`: the server
/// renders each variant once per change of the run (`lab::views`), and the
/// browser's cache asks again with its ETag, so a view it has already
/// comes back as a 304.
pub async fn fetch_view(id: String, mask: bool, bare: bool) -> Result<RunView, ServerFnError> {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        use wasm_bindgen_futures::JsFuture;
        let id: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();
        let url = format!("/lab/runs/{id}/view?mask={mask}&bare={bare}");
        let failed = |_| ServerFnError::new("The lab did not answer. Try again in a moment.");
        let res: web_sys::Response =
            JsFuture::from(window().fetch_with_str(&url)).await.map_err(failed)?.unchecked_into();
        let text = JsFuture::from(res.text().map_err(failed)?).await.map_err(failed)?.as_string().unwrap_or_default();
        if res.ok() {
            return serde_json::from_str(&text).map_err(|_| ServerFnError::new("The lab's answer is not a run."));
        }
        let why = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_string))
            .unwrap_or_else(|| format!("The lab answered {}.", res.status()));
        Err(ServerFnError::new(why))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (id, mask, bare);
        Err(ServerFnError::new("A run's view is fetched by the page in the browser."))
    }
}

/// The step the address names (`step=N`, N from 1), from 0; the first when
/// it names none.
pub fn step_in_address() -> usize {
    super::query_param("step").and_then(|s| s.parse::<usize>().ok()).unwrap_or(1).max(1) - 1
}

/// Opens the run the address names (`run=…&step=N`, N from 1) at that
/// step; nothing when it names none.
pub fn restore_run(
    mask: bool,
    run: RwSignal<Option<RunView>>,
    current: RwSignal<usize>,
    revealed: RwSignal<usize>,
    error: RwSignal<Option<String>>,
) {
    let Some(id) = super::query_param("run") else { return };
    open_run_at(id, step_in_address(), mask, run, current, revealed, error);
}

/// Opens run `id` at `step` (from 0), or where a class's presenter has
/// moved to while it loaded.
pub fn open_run_at(
    id: String,
    step: usize,
    mask: bool,
    run: RwSignal<Option<RunView>>,
    current: RwSignal<usize>,
    revealed: RwSignal<usize>,
    error: RwSignal<Option<String>>,
) {
    leptos::task::spawn_local(async move {
        match fetch_view(id, mask, false).await {
            Ok(r) => {
                let last = r.steps().saturating_sub(1);
                // A class's presenter may have moved on while this loaded.
                let moved = current.get_untracked();
                let at = if moved > 0 { moved.min(last) } else { step.min(last) };
                run.set(Some(r));
                current.set(at);
                revealed.set(at);
            }
            Err(e) => error.set(Some(e.to_string())),
        }
    });
}

/// The "mask secrets" switch: the server renders the inspector with or
/// without the secrets, so when the run on show does not match the switch,
/// it is fetched again.
pub fn follow_mask(mask: RwSignal<bool>, run: RwSignal<Option<RunView>>, error: RwSignal<Option<String>>) {
    Effect::new(move |_| {
        let m = mask.get();
        let Some(id) = run.with(|r| r.as_ref().filter(|r| r.masked != m).map(|r| r.id.clone())) else { return };
        leptos::task::spawn_local(async move {
            match fetch_view(id.clone(), m, false).await {
                // Only onto the same run: a new one may have started since.
                Ok(v) if mask.get_untracked() == m => {
                    // The lab masks a learner's own program's run for
                    // everyone but its learner, whatever the page asks: the
                    // switch then says what is shown.
                    let forced = v.masked != m;
                    run.update(|r| {
                        if r.as_ref().is_some_and(|r| r.id == id) {
                            *r = Some(v);
                        }
                    });
                    if forced {
                        mask.set(!m);
                    }
                }
                Ok(_) => {}
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    });
}

/// `path`, with the query `q` when there is one.
pub fn with_query(path: String, q: &[String]) -> String {
    if q.is_empty() {
        path
    } else {
        format!("{path}?{}", q.join("&"))
    }
}

/// Play from the start again when at the end, else play or pause.
pub fn toggle_play(playing: RwSignal<bool>, current: RwSignal<usize>, last: usize) {
    if playing.get_untracked() {
        playing.set(false);
    } else {
        if current.get_untracked() >= last {
            current.set(0);
        }
        playing.set(true);
    }
}

/// While `playing`, moves `current` on every `period_ms()` until the last
/// of `len()` steps.
pub fn autoplay_clock(
    playing: RwSignal<bool>,
    current: RwSignal<usize>,
    len: impl Fn() -> usize + Copy + Send + Sync + 'static,
    period_ms: impl Fn() -> u64 + Send + Sync + 'static,
) {
    Effect::new(move |_| {
        if !playing.get() {
            return;
        }
        let handle = set_interval_with_handle(
            move || {
                if current.get_untracked() + 1 >= len() {
                    playing.set(false);
                } else {
                    current.update(|c| *c += 1);
                }
            },
            std::time::Duration::from_millis(period_ms()),
        );
        on_cleanup(move || {
            if let Ok(h) = handle {
                h.clear();
            }
        });
    });
}

/// The keys: left and right (or a clicker's Page Down and Page Up) step
/// and pause, space plays and pauses, Home and End jump; ignored while
/// typing or inside the browser pane.
pub fn step_keys(
    playing: RwSignal<bool>,
    current: RwSignal<usize>,
    len: impl Fn() -> usize + Copy + Send + Sync + 'static,
) {
    Effect::new(move |_| {
        let handle = window_event_listener(leptos::ev::keydown, move |e| {
            if e.default_prevented() || e.alt_key() || e.ctrl_key() || e.meta_key() {
                return;
            }
            let tag = document().active_element().map(|el| el.tag_name()).unwrap_or_default();
            if matches!(tag.as_str(), "INPUT" | "SELECT" | "TEXTAREA" | "IFRAME") {
                return;
            }
            let last = len().saturating_sub(1);
            match e.key().as_str() {
                // A presentation clicker sends Page Down and Page Up.
                "ArrowRight" | "PageDown" => {
                    e.prevent_default();
                    playing.set(false);
                    current.update(|c| *c = (*c + 1).min(last));
                }
                "ArrowLeft" | "PageUp" => {
                    e.prevent_default();
                    playing.set(false);
                    current.update(|c| *c = c.saturating_sub(1));
                }
                " " if !matches!(tag.as_str(), "BUTTON" | "A" | "g") => {
                    e.prevent_default();
                    toggle_play(playing, current, last);
                }
                // Handled here, so the page does not jump to its top or end.
                "Home" => {
                    e.prevent_default();
                    current.set(0);
                }
                "End" => {
                    e.prevent_default();
                    current.set(last);
                }
                _ => {}
            }
        });
        on_cleanup(move || handle.remove());
    });
}

/// Keeps the address bar on `permalink` without navigating, with the
/// class's `follow=` on a follower's page.
pub fn keep_address(permalink: Memo<String>, follow: Option<String>) {
    Effect::new(move |_| {
        let mut url = permalink.get();
        if let Some(class) = &follow {
            // A follower's address names the class too, and changes only
            // once the runs it names have loaded: until then, the runs the
            // page loads are the address's.
            if !url.contains("run=") && !url.contains("runs=") {
                return;
            }
            url = super::classroom::with_follow(&url, class);
        }
        if let Ok(history) = window().history() {
            let _ = history.replace_state_with_url(&leptos::wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
    });
}

/// A page of one run (`path`) that a class may follow: keeps the address
/// on `permalink`, and for a follower (`?follow=<class>`) applies the
/// presenter's steps of the same run here, and their new runs in place.
/// For a follower, gives the presenter's step (none until the presenter's
/// first move arrives) and the state of the class's stream.
#[allow(clippy::too_many_arguments)]
pub fn follow_one_run(
    path: String,
    permalink: Memo<String>,
    mask: RwSignal<bool>,
    run: RwSignal<Option<RunView>>,
    current: RwSignal<usize>,
    revealed: RwSignal<usize>,
    error: RwSignal<Option<String>>,
) -> Option<super::classroom::Following> {
    let following = super::query_param("follow");
    keep_address(permalink, following.clone());
    let id = following?;
    let state = super::classroom::Following::new();
    Effect::new(move |_| {
        let same = move |runs: &str| run.with_untracked(|r| r.as_ref().is_some_and(|r| r.id == runs));
        // The presenter's new run opens in place: one fetch of its view,
        // which the lab renders once for the whole class.
        let open = move |id: String| {
            open_run_at(id, current.get_untracked(), mask.get_untracked(), run, current, revealed, error);
            true
        };
        super::classroom::follow_here(id.clone(), path.clone(), same, open, current, state);
    });
    Some(state)
}
