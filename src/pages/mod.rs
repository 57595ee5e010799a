//! One module per page, and the parts of the grant page.

pub mod chooser;
pub mod classroom;
pub mod compare;
pub mod diagram;
pub mod grant;
pub mod home;
pub mod inspector;
pub mod misuse;
pub mod stepping;
