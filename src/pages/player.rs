//! The run player that the grant and misuse pages share: playback
//! controls, the legend, the diagram and the inspector, and the guided
//! run's browser pane.

use super::runview::{DiagramView, InspectorView};
use crate::run::narration::channel_note;
use crate::run::view::RunView;
use crate::run::{Channel, RunStatus};
use leptos::prelude::*;

/// Playback speeds: the option's value, the speed in percent, the label.
/// Whole numbers, so no float parsing or formatting reaches the wasm.
const SPEEDS: [(&str, u32, &str); 4] = [("0.5", 50, "0.5×"), ("1", 100, "1×"), ("2", 200, "2×"), ("4", 400, "4×")];
/// A step's time on screen at 1×, in milliseconds.
const STEP_MS: u32 = 1600;

/// How long a step stays on screen at `percent` speed.
pub fn step_ms(percent: u32) -> u64 {
    u64::from(STEP_MS * 100 / percent.max(1))
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
pub fn BrowserPane(url: String) -> impl IntoView {
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

/// The switch that masks secrets in the inspector.
#[component]
pub fn MaskSwitch(mask: RwSignal<bool>) -> impl IntoView {
    view! {
        <label class="switch">
            <input type="checkbox" data-testid="mask" prop:checked=move || mask.get() on:change=move |e| mask.set(event_target_checked(&e))/>
            " Mask secrets"
        </label>
    }
}
