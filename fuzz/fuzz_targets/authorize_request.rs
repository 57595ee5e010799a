#![no_main]
//! Fuzz target: see `oauth2_lab::web::fuzzing::Target::Authorize`.

use libfuzzer_sys::fuzz_target;
use oauth2_lab::web::fuzzing::{Harness, Target};
use std::sync::OnceLock;

static HARNESS: OnceLock<Harness> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let harness = HARNESS.get_or_init(Harness::new);
    if let Some(status) = harness.run(Target::Authorize, data) {
        // 503 is the answer of a full store (the fuzzer registers clients
        // by the thousand); any other 5xx is a bug.
        assert!(!status.is_server_error() || status.as_u16() == 503, "{status}");
    }
});
