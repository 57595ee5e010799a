//! The device grant's app: a TV that shows a code and polls.

use super::http::{device_client, FirstCall, LabHttp};
use super::page::fail;
use super::page::page;
use super::token::finish_with_token;
use crate::lab::runs::RunClient;
use crate::lab::Lab;
use axum::response::Response;
use leptos::prelude::*;
use oauth2::{Scope, StandardDeviceAuthorizationResponse};
use std::sync::Arc;

/// The device's screen (RFC 8628 §3.3): the app asks for a device code,
/// shows the user code and where to enter it, and polls the token endpoint
/// in the background until the user has decided.
pub async fn device_screen(s: Arc<Lab>, run: String, c: &RunClient) -> Response {
    let shown = s.runs.with(&run, |r| r.device.clone()).flatten();
    let (user_code, uri, complete) = match shown {
        Some(d) => d,
        None => {
            let client = match device_client(&s, c) {
                Ok(c) => c,
                Err(e) => return fail(&s, &run, &e),
            };
            let http = LabHttp::new(&s, &run);
            let details: StandardDeviceAuthorizationResponse = match client
                .exchange_device_code()
                .add_scope(Scope::new("read".into()))
                .add_scope(Scope::new("write".into()))
                .request_async(&http)
                .await
            {
                Ok(d) => d,
                Err(e) => return fail(&s, &run, &format!("The device authorization request failed: {e}")),
            };
            let shown = (
                details.user_code().secret().clone(),
                details.verification_uri().to_string(),
                details.verification_uri_complete().map(|u| u.secret().clone()).unwrap_or_default(),
            );
            s.runs.with(&run, |r| r.device = Some(shown.clone()));
            let (first_poll, polled) = tokio::sync::oneshot::channel();
            let (s, run) = (s.clone(), run.clone());
            tokio::spawn(async move {
                let http = FirstCall { http: LabHttp::new(&s, &run), done: parking_lot::Mutex::new(Some(first_poll)) };
                // The device gives up well before the code's own expiry, so
                // an abandoned guided run stops polling.
                let token = client
                    .exchange_device_access_token(&details)
                    .request_async(&http, tokio::time::sleep, Some(std::time::Duration::from_secs(120)))
                    .await;
                finish_with_token(&s, &run, &client, token.map_err(|e| e.to_string())).await;
            });
            // The screen comes up once the device has polled once, as a
            // device that checks right away would; it also keeps the
            // record's order the same from run to run.
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), polled).await;
            shown
        }
    };
    page(
        "A device without a keyboard",
        view! {
            <p>"This app plays a TV: it cannot show a sign-in form, so it shows a code."</p>
            <p class="device-code">"Code: "<strong data-testid="device-user-code">{user_code}</strong></p>
            <p>"On your phone or computer, open "<code>{uri}</code>" and enter the code, or open "<a href=complete data-testid="verification-link">"the verification page with the code filled in"</a>"."</p>
            <p class="as-note">"Meanwhile the device polls the token endpoint every few seconds; it is told "<code>"authorization_pending"</code>" until you decide."</p>
        },
    )
}
