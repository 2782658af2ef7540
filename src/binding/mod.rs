//! The only code that names napi: native classes and functions for JS, and the conversion
//! of engine errors to JS errors. JS-facing names follow mqtt-packet (`messageId`,
//! `reasonCode`); the conversion happens here and in `lib/`, never deeper.

// napi exports must be `pub` even though the module is private.
#![allow(unreachable_pub)]

mod client;
mod error;
mod packet;
mod tape;
