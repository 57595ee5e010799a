//! Integration tests: the real app on an ephemeral loopback port, driven
//! over real HTTP. `conformance` has one or more tests per numbered line of
//! docs/CONFORMANCE.md, named after its number; `client` drives
//! every grant with the `oauth2` crate as a real client would.

mod classroom;
mod client;
mod common;
mod conformance;
mod device;
mod fuzz;
mod jwt;
mod limits;
mod misuse;
mod oidc_provider;
mod own_app;
mod own_provider;
mod process;
mod replicas;
mod restart;
mod runs;
mod safety;
mod teaching;
mod third_party;
mod wire;
