//! One module per page, and the parts of the grant page.

pub mod chooser;
pub mod classroom;
pub mod compare;
pub mod grant;
pub mod home;
pub mod misuse;
#[cfg(feature = "ssr")]
pub mod render;
pub mod runview;
pub mod stepping;
