//! mqtt_napi: a native MQTT engine for Node.js.
//!
//! Dependencies point one way: `binding -> driver -> (session, transport) -> codec`.
//!
//! - [`codec`]: bytes to packets and back for MQTT 3.1, 3.1.1 and 5.0. No I/O, no clock.
//! - [`session`]: the protocol state machine (packet ids, in-flight stores, keepalive).
//! - [`transport`]: tokio I/O (TCP, TLS, WebSocket, JS-fed streams).
//! - [`driver`]: small tokio loops joining a session to a transport.
//! - `binding`: the only code that names napi; compiled out of `cargo test`'s rlib users.
//!
//! See `shared/DESIGN.md` for the architecture and the costs that shaped it.

pub mod codec;
pub mod driver;
pub mod error;
pub mod session;
pub mod transport;

mod binding;
