//! Classroom mode, in the browser: the presenter's controls (open a class,
//! full screen, large type), the follow page, and following on the grant
//! and comparison pages. The server side is `lab/classroom.rs`.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// Opens a class: its id and the presenter's key.
#[server(prefix = "/lab/fn", endpoint = "open_class")]
pub async fn open_class() -> Result<(String, String), ServerFnError> {
    let lab = expect_context::<std::sync::Arc<crate::lab::Lab>>();
    let requester: crate::oauth::Requester = leptos_axum::extract().await?;
    lab.open_class(&requester.key()).await.ok_or_else(|| {
        if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
            opts.set_status(axum::http::StatusCode::SERVICE_UNAVAILABLE);
        }
        ServerFnError::new("The lab holds a fixed number of classes and all are in use. Try again later.")
    })
}

/// Moves the class to `view` (a permalink), for the presenter.
#[server(prefix = "/lab/fn", endpoint = "move_class")]
pub async fn move_class(
    id: String,
    key: String,
    view: String,
    #[server(default)] seq: u64,
) -> Result<(), ServerFnError> {
    let lab = expect_context::<std::sync::Arc<crate::lab::Lab>>();
    lab.find_class(&id).await;
    if lab.classes.is_presenter(&id, &key) {
        lab.share_runs_of(&view).await;
    }
    lab.classes.set(&id, &key, &view, seq).map_err(|(status, why)| {
        if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
            opts.set_status(status);
        }
        ServerFnError::new(why)
    })
}

/// `url` with `follow=<id>` added to its query.
pub fn with_follow(url: &str, id: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}follow={id}")
}

/// The query parameter `name` of a path-and-query.
pub fn param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    crate::run::parse_form(query).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// How a follower's page stands with the presenter's event stream.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Link {
    Connecting,
    Live,
    /// The stream broke; the browser is reconnecting by itself.
    Lost,
    /// Reconnected after being lost.
    Back,
    /// The lab refused the stream (the class has ended): no more retries.
    Ended,
}

/// A follower's state: the presenter's step and the stream.
#[derive(Clone, Copy)]
pub struct Following {
    pub presenter: RwSignal<Option<usize>>,
    pub link: RwSignal<Link>,
}

impl Following {
    pub fn new() -> Self {
        Self { presenter: RwSignal::new(None), link: RwSignal::new(Link::Connecting) }
    }
}

impl Default for Following {
    fn default() -> Self {
        Self::new()
    }
}

/// Listens to class `id` and calls `on_view` with each permalink the
/// presenter shows, until the component goes away; `link` follows the
/// stream as it breaks and comes back.
///
/// EventSource reconnects by itself, sending Last-Event-ID, when the stream
/// breaks; but a phone that loses its network often leaves a dead
/// connection that nothing notices for minutes. So the browser's own
/// `offline` counts as lost at once, and `online` opens a new stream, whose
/// first event is the presenter's view as it stands.
pub fn follow(id: String, link: RwSignal<Link>, on_view: impl Fn(String) + 'static) {
    use leptos::wasm_bindgen::closure::Closure;
    use leptos::wasm_bindgen::JsCast;
    use std::cell::RefCell;
    use std::rc::Rc;
    let on_view = Rc::new(on_view);
    let current: Rc<RefCell<Option<web_sys::EventSource>>> = Rc::default();
    let connect = {
        let current = current.clone();
        Rc::new(move || {
            let Ok(source) = web_sys::EventSource::new(&format!("/lab/classes/{id}/events")) else { return };
            let on_view = on_view.clone();
            let listener = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                if let Some(view) = e.data().as_string().filter(|v| !v.is_empty()) {
                    on_view(view);
                }
            });
            let _ = source.add_event_listener_with_callback("view", listener.as_ref().unchecked_ref());
            listener.forget();
            let opened = Closure::<dyn Fn()>::new(move || {
                link.update(|l| *l = if matches!(*l, Link::Lost | Link::Back) { Link::Back } else { Link::Live })
            });
            source.set_onopen(Some(opened.as_ref().unchecked_ref()));
            opened.forget();
            // A refused stream (the class has ended) is closed for good.
            let watched = source.clone();
            let broke = Closure::<dyn Fn()>::new(move || {
                link.set(if watched.ready_state() == web_sys::EventSource::CLOSED { Link::Ended } else { Link::Lost })
            });
            source.set_onerror(Some(broke.as_ref().unchecked_ref()));
            broke.forget();
            if let Some(old) = current.borrow_mut().replace(source) {
                old.close();
            }
        })
    };
    connect();
    let offline = Closure::<dyn Fn()>::new(move || link.set(Link::Lost));
    let online = Closure::<dyn Fn()>::new(move || connect());
    let _ = window().add_event_listener_with_callback("offline", offline.as_ref().unchecked_ref());
    let _ = window().add_event_listener_with_callback("online", online.as_ref().unchecked_ref());
    let listeners = send_wrapper::SendWrapper::new((offline, online, current));
    on_cleanup(move || {
        let (offline, online, current) = listeners.take();
        let _ = window().remove_event_listener_with_callback("offline", offline.as_ref().unchecked_ref());
        let _ = window().remove_event_listener_with_callback("online", online.as_ref().unchecked_ref());
        let source = current.borrow_mut().take();
        if let Some(source) = source {
            source.close();
        }
    });
}

/// Follows on a grant or comparison page: a new step of the same runs is
/// applied in place, and kept as the presenter's step; a new run on the
/// same page is opened in place by `open_run` when it takes it (it answers
/// whether it did); anything else is a new page.
pub fn follow_here(
    id: String,
    here: String,
    same_runs: impl Fn(&str) -> bool + 'static,
    open_run: impl Fn(String) -> bool + 'static,
    step: RwSignal<usize>,
    following: Following,
) {
    let follow_id = id.clone();
    // The run being opened in place: its steps are applied while it loads.
    let opening = StoredValue::new(None::<String>);
    follow(id, following.link, move |view| {
        let path = view.split('?').next().unwrap_or("");
        let runs = param(&view, "run").or_else(|| param(&view, "runs")).unwrap_or_default();
        // The runs this page shows, or is still loading from its address: a
        // step arriving before they have loaded must not reload the page.
        let search = window().location().search().unwrap_or_default();
        let loading = param(&search, "run").or_else(|| param(&search, "runs"));
        let shown = same_runs(&runs)
            || loading.as_deref() == Some(runs.as_str())
            || opening.with_value(|o| o.as_deref() == Some(runs.as_str()));
        let n = param(&view, "step").and_then(|s| s.parse::<usize>().ok()).unwrap_or(1).max(1) - 1;
        if path == here && !runs.is_empty() && !shown {
            // The step first, so that the run opens at it.
            step.set(n);
            following.presenter.set(Some(n));
            if open_run(runs.clone()) {
                opening.set_value(Some(runs));
                return;
            }
        } else if path == here && !runs.is_empty() {
            step.set(n);
            following.presenter.set(Some(n));
            return;
        }
        let _ = window().location().assign(&with_follow(&view, &follow_id));
    });
}

/// The presenter's bar: open a class (then every view is pushed to it),
/// the follow link, full screen and large type.
#[component]
pub fn PresenterBar(permalink: Memo<String>) -> impl IntoView {
    let class = RwSignal::new(None::<(String, String)>);
    let error = RwSignal::new(None::<String>);
    let presenting = RwSignal::new(false);
    let open = move |_| {
        leptos::task::spawn_local(async move {
            match open_class().await {
                Ok(c) => {
                    class.set(Some(c));
                    presenting.set(true);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    // Every view the presenter shows goes to the class, numbered so that
    // requests overtaking one another cannot leave an old view shown.
    let sent = StoredValue::new(0u64);
    Effect::new(move |_| {
        let view = permalink.get();
        if let Some((id, key)) = class.get() {
            sent.update_value(|n| *n += 1);
            let seq = sent.get_value();
            leptos::task::spawn_local(async move {
                if let Err(e) = move_class(id, key, view, seq).await {
                    error.set(Some(e.to_string()));
                }
            });
        }
    });
    // Large type and high contrast for the projector; a run on show then
    // fills the screen.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = if presenting.get() {
                body.class_list().add_1("presenting")
            } else {
                body.class_list().remove_1("presenting")
            };
        }
        if presenting.get() {
            super::player::stage_in_view();
        }
    });
    // Leaving the page ends large type (in an effect: only in the browser).
    Effect::new(move |_| {
        on_cleanup(move || {
            if let Some(body) = document().body() {
                let _ = body.class_list().remove_1("presenting");
            }
        });
    });
    let full_screen = move |_| {
        if let Some(root) = document().document_element() {
            let _ = root.request_fullscreen();
        }
        presenting.set(true);
    };
    view! {
        <div class="presenter-bar" role="group" aria-label="Classroom">
            {move || match class.get() {
                None => view! {
                    <button type="button" class="button" data-testid="present" on:click=open>"Present to a class"</button>
                }.into_any(),
                Some((id, _)) => {
                    let origin = window().location().origin().unwrap_or_default();
                    let link = format!("{origin}/follow/{id}");
                    view! {
                        <span class="follow-link">"Students open "<a href=link.clone() data-testid="follow-link" target="_blank" rel="external">{link.clone()}</a>" or scan "
                            <img class="follow-qr" src=format!("/lab/classes/{id}/qr.svg") alt="QR code of the follow link" width="120" height="120" data-testid="follow-qr"/>
                        </span>
                    }.into_any()
                }
            }}
            <button type="button" class="button" data-testid="full-screen" on:click=full_screen>"Full screen"</button>
            <label class="switch">
                <input type="checkbox" data-testid="large-type" prop:checked=move || presenting.get() on:change=move |e| presenting.set(event_target_checked(&e))/>
                " Large type"
            </label>
            {move || error.get().map(|e| view! { <span class="as-error" role="alert">{e}</span> })}
        </div>
    }
}

/// What a follower's bar says of the stream, when it has broken.
fn link_note(link: Link) -> Option<&'static str> {
    match link {
        Link::Lost => Some("Lost the presenter. Reconnecting…"),
        Link::Back => Some("Back with the presenter."),
        Link::Ended => Some("The class has ended, or the lab cannot be reached. Reload the page to try again."),
        Link::Connecting | Link::Live => None,
    }
}

/// A follower's bar: that the page follows the presenter, at which step,
/// whether the stream has broken or come back, and, once the follower has
/// stepped elsewhere, the way back.
#[component]
pub fn FollowingBar(current: RwSignal<usize>, following: Following) -> impl IntoView {
    let presenter = following.presenter;
    let away = move || presenter.get().filter(|p| *p != current.get());
    let link = following.link;
    view! {
        <div class="following" role="status" data-testid="following" data-link=move || format!("{:?}", link.get()).to_lowercase()>
            <span>"Following the presenter"{move || presenter.get().map(|p| format!(", at step {}", p + 1))}"."</span>
            {move || link_note(link.get()).map(|note| view! { <span data-testid="follow-link-state">{note}</span> })}
            {move || away().map(|p| view! {
                <button type="button" class="button primary" data-testid="follow-again" on:click=move |_| current.set(p)>
                    {format!("Back to the presenter's step {}", p + 1)}
                </button>
            })}
        </div>
    }
}

/// `/follow/{id}`: waits for the presenter's first view, then opens it.
#[component]
pub fn FollowPage() -> impl IntoView {
    let params = use_params_map();
    let id = params.read_untracked().get("id").unwrap_or_default();
    view! { <Follower id/> }
}

/// Waits for the presenter: an island, small enough to live in the main
/// wasm module (see `src/lib.rs`).
#[island]
fn Follower(id: String) -> impl IntoView {
    super::hydrated();
    let link = RwSignal::new(Link::Connecting);
    let waiting_id = id.clone();
    Effect::new(move |_| {
        let id = waiting_id.clone();
        let follow_id = id.clone();
        follow(id, link, move |view| {
            let _ = window().location().assign(&with_follow(&view, &follow_id));
        });
    });
    view! {
        <main class="page">
            <nav class="crumbs" aria-label="Breadcrumb"><a href="/">"OAuth2 Lab"</a>" / "<span>"Following a class"</span></nav>
            <h1>"Following the presenter"</h1>
            <p class="lead" data-testid="follow-waiting">"This page shows what the presenter shows, step by step, as soon as they pick a grant or a comparison. Nothing to sign in to."</p>
            <p class="hint">{format!("Class {}", id.chars().take(14).collect::<String>())}</p>
            <p class="following" role="status" data-testid="following" data-link=move || format!("{:?}", link.get()).to_lowercase()>
                {move || link_note(link.get()).unwrap_or(if link.get() == Link::Live { "Connected: waiting for the presenter." } else { "Connecting…" })}
            </p>
        </main>
    }
}
