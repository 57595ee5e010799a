//! The run player that the grant and misuse pages share: playback
//! controls, the legend, the diagram and the inspector, and the guided
//! run's browser pane.

use super::runview::{DiagramView, InspectorView};
use crate::run::narration::{channel_name, channel_note};
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
    run.with(|r| match r.as_ref().map(|r| (&r.status, r.grant)) {
        Some((RunStatus::Waiting, grant)) if grant.private() => {
            let n = r.as_ref().map(RunView::steps).unwrap_or(0);
            format!("Recording: {n} {} so far", if n == 1 { "step" } else { "steps" })
        }
        Some((RunStatus::Waiting, _)) => "Waiting for you in the browser pane".to_string(),
        Some((RunStatus::Done, _)) => "Run complete".to_string(),
        Some((RunStatus::Failed(why), _)) => format!("Run ended: {why}"),
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

/// A recorded run: the player (not for a class's follower, whose steps
/// are the presenter's), the legend, the diagram and the inspector.
#[component]
pub fn RunPlayer(
    run: RwSignal<Option<RunView>>,
    current: RwSignal<usize>,
    revealed: RwSignal<usize>,
    playing: RwSignal<bool>,
    speed: RwSignal<u32>,
    mask: RwSignal<bool>,
    #[prop(optional)] follower: bool,
) -> impl IntoView {
    let steps_len = move || run.with(|r| r.as_ref().map(RunView::steps).unwrap_or(0));
    // On the projector, a new run fills the screen: diagram and inspector.
    Effect::new(move |_| {
        if run.with(|r| r.as_ref().map(|r| r.id.clone())).is_some() {
            stage_in_view();
        }
    });
    view! {
        {(!follower).then(|| view! { <Player current revealed playing speed steps_len/> })}
        <Legend/>
        <div class="run-body">
            <DiagramView run current revealed/>
            <InspectorView run current mask/>
        </div>
    }
}

/// The links to run `id`'s record, its exports and `permalink`.
pub fn exports(id: &str, permalink: Memo<String>) -> impl IntoView {
    view! {
        <a href=format!("/lab/runs/{id}") target="_blank" rel="external" data-testid="record-link">"Run record (JSON)"</a>
        <a href=format!("/lab/runs/{id}/export.har") rel="external" download data-testid="export-har">"Export HAR (devtools)"</a>
        <a href=format!("/lab/runs/{id}/export.md") rel="external" download data-testid="export-md">"Export Markdown (Mermaid)"</a>
        <a href=format!("/lab/runs/{id}/export.sh") rel="external" download data-testid="export-sh">"Export curl script (replays it)"</a>
        <a href=move || permalink.get() data-testid="permalink" title="This run at this step, with these options">"Link to this step"</a>
    }
}

/// A run's record, exports and permalink: in line, or for a class's
/// follower, who rarely needs them, folded away.
#[component]
pub fn RunLinks(follower: bool, children: Children) -> impl IntoView {
    if follower {
        view! { <details class="run-links"><summary>"Record and exports"</summary>{children()}</details> }.into_any()
    } else {
        view! { <span class="run-links">{children()}</span> }.into_any()
    }
}

/// In large type (`body.presenting`), scrolls the run's diagram and
/// inspector to the top of the screen, which they then fill, unless they
/// are there already.
pub fn stage_in_view() {
    let presenting = document().body().is_some_and(|b| b.class_list().contains("presenting"));
    if let (true, Ok(Some(stage))) = (presenting, document().query_selector(".run-body")) {
        if stage.get_bounding_client_rect().top().abs() > 2.0 {
            stage.scroll_into_view_with_bool(true);
        }
    }
}

/// The names whose values the address bar hides when secrets are masked.
const SECRET_PARAMS: [&str; 8] =
    ["code", "access_token", "refresh_token", "id_token", "client_secret", "code_verifier", "password", "device_code"];

/// `url` as the address bar shows it: with `mask`, the values of secret
/// parameters in its query and fragment cut to their first four characters.
fn address(url: &str, mask: bool) -> String {
    if !mask {
        return url.to_string();
    }
    let hide = |part: &str| -> String {
        part.split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, v)) if SECRET_PARAMS.contains(&k) => {
                    format!("{k}={}••••••", v.chars().take(4).collect::<String>())
                }
                _ => pair.to_string(),
            })
            .collect::<Vec<_>>()
            .join("&")
    };
    let (rest, fragment) = url.split_once('#').map_or((url, None), |(r, f)| (r, Some(f)));
    let (base, query) = rest.split_once('?').map_or((rest, None), |(b, q)| (b, Some(q)));
    let mut out = base.to_string();
    if let Some(q) = query {
        out.push('?');
        out.push_str(&hide(q));
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(&hide(f));
    }
    out
}

/// The guided run's browser: a real frame, with an address bar that shows
/// where the frame is, query and fragment included, after every
/// navigation, and back and forward buttons.
#[component]
pub fn BrowserPane(url: String, mask: RwSignal<bool>) -> impl IntoView {
    let frame = NodeRef::<leptos::html::Iframe>::new();
    let location = RwSignal::new(url.clone());
    let window_of = move || frame.get_untracked().and_then(|f| f.content_window());
    let loaded = move |_| {
        // The frame's pages are the lab's own origin; another origin's
        // location cannot be read, and the bar says so.
        let href = window_of().map(|w| w.location().href().unwrap_or_else(|_| "(a page of another site)".into()));
        if let Some(href) = href {
            location.set(href);
        }
    };
    let go = move |back: bool| {
        if let Some(h) = window_of().and_then(|w| w.history().ok()) {
            let _ = if back { h.back() } else { h.forward() };
        }
    };
    view! {
        <section class="browser-pane" aria-label="Browser pane: the user agent">
            <div class="browser-bar">
                <button type="button" class="nav" aria-label="Back" data-testid="pane-back" on:click=move |_| go(true)>"←"</button>
                <button type="button" class="nav" aria-label="Forward" data-testid="pane-forward" on:click=move |_| go(false)>"→"</button>
                <output class="address" aria-label="Address of the page in the browser pane" data-testid="address-bar">
                    {move || address(&location.get(), mask.get())}
                </output>
            </div>
            <iframe node_ref=frame src=url on:load=loaded title="Browser pane: the app and the authorization server's pages" data-testid="browser-pane"></iframe>
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

/// The three line styles, each with its channel's name; the inspector
/// says more of the current step's channel.

#[component]
fn Legend() -> impl IntoView {
    view! {
        <ul class="legend" aria-label="Legend">
            {[Channel::Front, Channel::Back, Channel::Local].into_iter().map(|c| view! {
                <li title=channel_note(c)>
                    <svg width="44" height="10" aria-hidden="true"><line x1="2" y1="5" x2="42" y2="5" class=format!("arrow {}", c.class())/></svg>
                    {channel_name(c)}
                </li>
            }).collect_view()}
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
