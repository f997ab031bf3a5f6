//! Sans-IO implementation of Samsung's camera "Social Network Services" API.
//!
//! (crate docs: run loop and drain contract are written in `conn` once it lands)
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

pub mod crypto;
pub mod dns;
pub mod mastodon;
pub mod multipart;
pub mod route;
pub mod time;
pub mod xml;
