//! The only code that names napi: native classes and functions for JS, and the conversion
//! of engine errors to JS errors. JS-facing names follow mqtt-packet (`messageId`,
//! `reasonCode`); the conversion happens here and in `lib/`, never deeper.

// napi exports must be `pub` even though the module is private.
#![allow(unreachable_pub)]
// In `cargo test` builds nothing registers the exports, so everything they reach looks
// unused; the real build checks dead code.
#![cfg_attr(test, allow(dead_code))]

mod blocking;
mod client;
mod client_calls;
mod client_tape;
mod diagnostics;
mod env_hook;
mod error;
mod fast_calls;
mod notifier;
mod packet;
#[cfg(unix)]
mod poll;
mod tape;

/// For `crate::fuzzing`: the tape reader over copies of the given bytes.
pub(crate) fn fuzz_read_tape(
    words: &[u32],
    data: &[u8],
    payload: &[u8],
) -> Vec<Result<(crate::codec::ProtocolVersion, crate::codec::Packet), String>> {
    let mut r = tape::TapeReader::new(
        words,
        bytes::Bytes::copy_from_slice(data),
        bytes::Bytes::copy_from_slice(payload),
    );
    let mut out = Vec::new();
    while !r.at_end() {
        let next = r.packet();
        let stop = next.is_err();
        out.push(next);
        if stop {
            break;
        }
    }
    out
}

/// For `crate::fuzzing`: one tape record for `p`, its ranges copied out.
pub(crate) fn fuzz_write_tape(
    p: &crate::codec::Packet,
    level: crate::codec::ProtocolVersion,
) -> (Vec<u32>, Vec<u8>) {
    let mut words = Vec::new();
    let mut data = Vec::new();
    tape::TapeWriter {
        words: &mut words,
        ranges: tape::Ranges::Copied(&mut data),
        large: None,
    }
    .packet(p, level, p.first_byte(), 0);
    (words, data)
}
