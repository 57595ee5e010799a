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

/// Reveals the steps up to `revealed` and marks step `current`.
fn show_steps(svg: &web_sys::Element, current: usize, revealed: usize) {
    let Ok(steps) = svg.query_selector_all("[data-step]") else { return };
    for i in 0..steps.length() {
        let Some(step) = steps.item(i).and_then(|n| n.dyn_into::<web_sys::Element>().ok()) else { continue };
        let i = i as usize;
        let classes = step.class_list();
        let _ = classes.toggle_with_force("pending", i > revealed);
        let _ = classes.toggle_with_force("current", i == current);
        let _ = step.set_attribute("tabindex", if i > revealed { "-1" } else { "0" });
        if i == current {
            let _ = step.set_attribute("aria-current", "step");
        } else {
            let _ = step.remove_attribute("aria-current");
        }
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
        diagram
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
