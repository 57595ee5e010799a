//! A run in the page: the server-rendered diagram and inspector
//! (`pages::render`) put in place, with playback's state applied to them.
//! The diagram's steps are revealed and marked current by their
//! `data-step`; a click or Enter on a step, or on a "go" button in the
//! inspector (`data-go`), selects that step.

use crate::run::view::RunView;
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;

/// The number in `attr` of the nearest element at or above an event's
/// target that has it.
fn index_at(target: Option<web_sys::EventTarget>, attr: &str) -> Option<usize> {
    let el = target?.dyn_into::<web_sys::Element>().ok()?;
    el.closest(&format!("[{attr}]")).ok()??.get_attribute(attr)?.parse().ok()
}

/// Reveals the steps up to `revealed` and marks step `current`, in the
/// diagram and in the list alike (each step is in both, by `data-step`).
fn show_steps(wrap: &web_sys::Element, current: usize, revealed: usize) {
    let Ok(steps) = wrap.query_selector_all("[data-step]") else { return };
    for n in 0..steps.length() {
        let Some(step) = steps.item(n).and_then(|n| n.dyn_into::<web_sys::Element>().ok()) else { continue };
        let Some(i) = step.get_attribute("data-step").and_then(|v| v.parse::<usize>().ok()) else { continue };
        let classes = step.class_list();
        let _ = classes.toggle_with_force("pending", i > revealed);
        let _ = classes.toggle_with_force("current", i == current);
        let _ = step.set_attribute("tabindex", if i > revealed { "-1" } else { "0" });
        if i == current {
            let _ = step.set_attribute("aria-current", "step");
            keep_in_view(&step);
        } else {
            let _ = step.remove_attribute("aria-current");
        }
    }
    scale_text(wrap);
}

/// Scrolls the box that scrolls around `el`, if one does (the step list on
/// a narrow screen, the diagram on the projector), so that `el` is in
/// view; the page itself stays where it is.
fn keep_in_view(el: &web_sys::Element) {
    let row = el.get_bounding_client_rect();
    if row.width() == 0.0 && row.height() == 0.0 {
        return; // not on show: the other of diagram and list is
    }
    let Ok(Some(scroller)) = el.closest(".step-list, .diagram-wrap") else { return };
    if scroller.scroll_height() <= scroller.client_height() {
        // A class's follower on a narrow screen: the page itself follows
        // the presenter's step.
        if el.closest(".follower .step-list").ok().flatten().is_some()
            && (row.top() < 0.0 || row.bottom() > viewport_height())
        {
            el.scroll_into_view_with_bool(row.top() < 0.0);
        }
        return;
    }
    // The lane names stay at the top of the diagram and cover its rows.
    let covered = if scroller.class_list().contains("diagram-wrap") {
        scroller.query_selector(".lanes").ok().flatten().map_or(0.0, |l| l.get_bounding_client_rect().height())
    } else {
        0.0
    };
    let view = scroller.get_bounding_client_rect();
    let top = view.top() + covered;
    let by = if row.top() < top {
        row.top() - top - 8.0
    } else if row.bottom() > view.bottom() {
        row.bottom() - view.bottom() + 8.0
    } else {
        return;
    };
    scroller.set_scroll_top(scroller.scroll_top() + by as i32);
}

fn viewport_height() -> f64 {
    window().inner_height().ok().and_then(|h| h.as_f64()).unwrap_or(0.0)
}

/// Tells the diagram's CSS how many of its units make a CSS pixel
/// (`--units-per-px`, in thousandths), so that large type can set its
/// text in pixels on the screen however the diagram is scaled.
fn scale_text(wrap: &web_sys::Element) {
    let Ok(Some(svg)) = wrap.query_selector("svg.diagram") else { return };
    let shown = svg.get_bounding_client_rect().width();
    let units = svg.get_attribute("viewBox").and_then(|v| v.split(' ').nth(2)?.parse::<u32>().ok());
    if let Some(units) = units.filter(|_| shown >= 1.0) {
        let milli = (f64::from(units) * 1000.0 / shown) as u32;
        let _ = svg.set_attribute("style", &format!("--units-per-px: {milli}"));
    }
}

#[component]
pub fn DiagramView(
    run: RwSignal<Option<RunView>>,
    current: RwSignal<usize>,
    revealed: RwSignal<usize>,
) -> impl IntoView {
    let wrap = NodeRef::<leptos::html::Div>::new();
    // One effect puts a new diagram in place and then marks its steps, so
    // the marks always land on the diagram on show; the markup is only
    // replaced when it changed, so stepping keeps the arrows' animation.
    Effect::new(move |shown: Option<Option<String>>| {
        let diagram = run.with(|r| r.as_ref().map(|r| r.diagram.clone()));
        let (c, r) = (current.get(), revealed.get());
        let wrap = wrap.get()?;
        if shown.as_ref() != Some(&diagram) {
            wrap.set_inner_html(diagram.as_deref().unwrap_or(""));
        }
        show_steps(&wrap, c, r);
        // On the projector, every step is shown on the full screen.
        super::player::stage_in_view();
        diagram
    });
    // A new size changes the diagram's scale, and large type follows it.
    Effect::new(move |_| {
        let handle = window_event_listener(leptos::ev::resize, move |_| {
            if let Some(wrap) = wrap.get_untracked() {
                scale_text(&wrap);
            }
        });
        on_cleanup(move || handle.remove());
    });
    view! {
        <div class="diagram-wrap" node_ref=wrap
            on:click=move |e| {
                if let Some(i) = index_at(e.target(), "data-step") {
                    current.set(i);
                }
            }
            on:keydown=move |e| {
                if e.key() == "Enter" || e.key() == " " {
                    if let Some(i) = index_at(e.target(), "data-step") {
                        e.prevent_default();
                        current.set(i);
                    }
                }
            }
        ></div>
    }
}

/// The current step's inspector. While the run on show does not match the
/// "mask secrets" switch (its masked copy is on the way), it shows nothing
/// rather than secrets the switch says are hidden.
#[component]
pub fn InspectorView(run: RwSignal<Option<RunView>>, current: RwSignal<usize>, mask: RwSignal<bool>) -> impl IntoView {
    let html = move || {
        let m = mask.get();
        run.with(|r| {
            let r = r.as_ref().filter(|r| r.masked == m)?;
            r.inspector.get(current.get().min(r.inspector.len().checked_sub(1)?)).cloned()
        })
    };
    view! {
        <section class="inspector" aria-label="Inspector" data-testid="inspector" inner_html=html
            on:click=move |e| {
                if let Some(j) = index_at(e.target(), "data-go") {
                    current.set(j);
                }
            }
        ></section>
    }
}
