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

/// Entry points for the fuzz targets in `fuzz/`; not an API.
#[doc(hidden)]
pub mod fuzzing {
    use crate::codec::{Packet, ProtocolVersion};

    /// Reads records from a tape as the native client reads what JS hands it (`send`,
    /// `restore`, `new`), until the tape ends or a record is refused.
    pub fn read_tape(
        words: &[u32],
        data: &[u8],
        payload: &[u8],
    ) -> Vec<Result<(ProtocolVersion, Packet), String>> {
        crate::binding::fuzz_read_tape(words, data, payload)
    }

    /// Writes `p` as a tape record with its byte fields copied out (as a drain does), and
    /// returns the words and the bytes they range over.
    pub fn write_tape(p: &Packet, level: ProtocolVersion) -> (Vec<u32>, Vec<u8>) {
        crate::binding::fuzz_write_tape(p, level)
    }
}
