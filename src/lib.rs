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
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // Tells browser tests (and the curious) that the page is interactive.
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
