#![recursion_limit = "256"]
//! OAuth2 Lab: learn, teach and compare OAuth 2.0 grants against a real
//! authorization server and resource server that run inside this app.

pub mod app;
pub mod demo;
pub mod pages;
pub mod run;
#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Readable panic messages in development; the release build leaves
    // the hook (and the formatting it pulls in) out of the wasm.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    // As `leptos::mount::hydrate_lazy`, which the lazy routes need, and
    // then tells browser tests (and the curious) the page is interactive.
    wasm_bindgen_futures::spawn_local(async {
        let body = leptos::prelude::document().body();
        let Some(body) = body else { return };
        leptos::mount::hydrate_from_async(body.clone(), app::App).await.forget();
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
