//! The only code that names napi: native classes and functions for JS, and the conversion
//! of engine errors to JS errors. JS-facing names follow mqtt-packet (`messageId`,
//! `reasonCode`); the conversion happens here and in `lib/`, never deeper.

// napi exports must be `pub` even though the module is private.
#![allow(unreachable_pub)]
// In `cargo test` builds nothing registers the exports, so everything they reach looks
// unused; the real build checks dead code.
#![cfg_attr(test, allow(dead_code))]

mod client;
mod client_calls;
mod client_tape;
mod env_hook;
mod error;
mod fast_calls;
mod packet;
#[cfg(unix)]
mod poll;
mod tape;
