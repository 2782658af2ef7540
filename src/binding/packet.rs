//! `NativeParser` and `encodePacket`: the native half of `require('mqtt-napi/packet')`.
//! Packets cross as tape records (see `tape.rs`); JS builds the packet objects.

use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use napi::bindgen_prelude::{Uint32ArraySlice, Uint8ArraySlice};
use napi_derive::napi;

use super::error::{invalid_arg, Code, JsError, JsResultExt};
use super::tape::{Ranges, TapeReader, TapeWriter};
use crate::codec::{read_header, DecodeError, Decoder, ProtocolVersion, MAX_PACKET_SIZE};

/// `state[2]` after `parse`: every complete packet was written; wait for more bytes.
const DONE: u32 = 0;
/// The tape filled up; call again with the bytes from `state[0]` on.
const TAPE_FULL: u32 = 1;
/// The bytes are invalid; `lastError()` says why.
const FAILED: u32 = 2;
/// One record needs more words than the whole tape has: `state[3]` words.
const GROW_TAPE: u32 = 3;

fn version_from(v: u32) -> Result<ProtocolVersion, JsError> {
    ProtocolVersion::from_level(v as u8)
        .filter(|_| v <= 5)
        .ok_or_else(|| invalid_arg(format!("protocolVersion must be 3, 4 or 5, got {v}")))
}

fn size_from(max: f64) -> usize {
    if max.is_finite() && max >= 1.0 {
        (max as usize).min(MAX_PACKET_SIZE)
    } else {
        MAX_PACKET_SIZE
    }
}

/// A streaming MQTT parser for JS. Holds the protocol level (learned from CONNECT) and the
/// size limit; JS holds the bytes of a packet that is not complete yet.
#[napi]
pub struct NativeParser {
    decoder: Decoder,
    record: Vec<u32>,
    error: Option<(String, &'static str, u8)>,
}

#[napi]
impl NativeParser {
    /// `version`: protocol level (3, 4, 5); `max_packet_size`: largest packet accepted,
    /// fixed header included (0 for the protocol's limit).
    #[napi(constructor, catch_unwind)]
    pub fn new(version: u32, max_packet_size: f64) -> Result<Self, JsError> {
        Ok(NativeParser {
            decoder: Decoder {
                version: version_from(version)?,
                max_packet_size: size_from(max_packet_size),
            },
            record: Vec::new(),
            error: None,
        })
    }

    /// The level packets are read at; CONNECT changes it.
    #[napi(getter)]
    pub fn version(&self) -> u32 {
        self.decoder.version as u32
    }

    /// Sets the level packets are read at.
    #[napi(setter)]
    pub fn set_version(&mut self, v: u32) -> Result<(), JsError> {
        self.decoder.version = version_from(v)?;
        Ok(())
    }

    /// Decodes every complete packet at the start of `data` into `tape`, and writes
    /// `[bytes consumed, words written, status, needed]` into `state`. `needed` is, when
    /// the status is DONE, the number of bytes still missing for the next packet (a lower
    /// bound while its fixed header is incomplete).
    #[napi(catch_unwind)]
    pub fn parse(
        &mut self,
        data: &[u8],
        mut tape: Uint32ArraySlice,
        mut state: Uint32ArraySlice,
    ) -> Result<(), JsError> {
        // SAFETY: JS is blocked in this call, and nothing else in Rust refers to these
        // typed arrays' memory while the slices live (they end with this call).
        let (tape, state) = unsafe { (tape.as_mut(), state.as_mut()) };
        if state.len() < 4 {
            return Err(invalid_arg("state must have 4 slots"));
        }
        self.error = None;
        // The input is lent for this call, not copied (copying cost 10-30% of the parse
        // rate, most for large payloads): the packets decoded below are slices of it, each
        // written to the tape and dropped before the next.
        lent(data, &[], |mut rest, _| {
            let base = rest.as_ptr() as usize;
            let (mut consumed, mut words, mut status, mut needed) = (0usize, 0usize, DONE, 0usize);
            loop {
                let header = match read_header(&rest, self.decoder.max_packet_size) {
                    Ok(h) if h.frame_len() <= rest.len() => h,
                    Ok(h) => {
                        needed = h.frame_len() - rest.len();
                        break;
                    }
                    Err(DecodeError::Incomplete { needed: n }) => {
                        needed = if rest.is_empty() { 0 } else { n };
                        break;
                    }
                    Err(e) => {
                        self.fail(e);
                        status = FAILED;
                        break;
                    }
                };
                let mut frame = rest.split_to(header.frame_len());
                let body = frame.split_off(header.header_len);
                let packet = match self.decoder.decode_body(header.first_byte, body) {
                    Ok(p) => p,
                    Err(e) => {
                        self.fail(e);
                        status = FAILED;
                        break;
                    }
                };
                let level = match &packet {
                    crate::codec::Packet::Connect(c) => c.level,
                    _ => self.decoder.version,
                };
                self.record.clear();
                TapeWriter {
                    words: &mut self.record,
                    ranges: Ranges::Borrowed(base),
                    large: None,
                }
                .packet(&packet, level, header.first_byte, header.body_len);
                if words + self.record.len() > tape.len() {
                    status = if words == 0 { GROW_TAPE } else { TAPE_FULL };
                    needed = self.record.len();
                    break;
                }
                tape[words..words + self.record.len()].copy_from_slice(&self.record);
                words += self.record.len();
                consumed += header.frame_len();
            }
            state[0] = consumed as u32;
            state[1] = words as u32;
            state[2] = status;
            state[3] = needed as u32;
            Ok(())
        })
    }

    /// `[message, code, reasonCode]` of the last failed parse, or null.
    #[napi(catch_unwind)]
    pub fn last_error(&self) -> Option<(String, String, u32)> {
        self.error
            .as_ref()
            .map(|(m, c, r)| (m.clone(), c.to_string(), *r as u32))
    }
}

impl NativeParser {
    fn fail(&mut self, e: DecodeError) {
        let reason = e.reason_code().unwrap_or(0);
        let e = crate::error::Error::from(e);
        self.error = Some((e.to_string(), e.code(), reason));
    }
}

/// Encodes the packet described by the tape record in `tape` (strings in `data`, a PUBLISH
/// payload in `payload`) into `out` from `out_offset` on. Returns the bytes written, or minus the size needed
/// when `out` is too small. `max_packet_size` (0 for none) trims reason strings and user
/// properties from acknowledgements as the spec allows, then refuses what is still larger.
// Registered with napi at load time; a test build sees no caller.
#[cfg_attr(test, allow(dead_code))]
#[napi(catch_unwind)]
pub fn encode_packet(
    tape: &[u32],
    data: &[u8],
    payload: &[u8],
    mut out: Uint8ArraySlice,
    out_offset: u32,
    max_packet_size: f64,
) -> Result<f64, JsError> {
    // SAFETY: as in `NativeParser::parse`: JS waits for this call and nothing else in Rust
    // refers to `out`; `data` and `payload` may be views of other memory only.
    let out = unsafe { out.as_mut() };
    let out = out
        .get_mut(out_offset as usize..)
        .ok_or_else(|| invalid_arg("out_offset past the end"))?;
    // The inputs are lent for this call (see `NativeParser::parse`): the packet built over
    // them is encoded and dropped before it returns.
    lent(data, payload, |data, payload| {
        let (level, mut packet) = TapeReader::new(tape, data, payload)
            .packet()
            .map_err(|m| napi::Error::new(Code("ERR_INVALID_ARG_VALUE"), m))?;
        let max = size_from(max_packet_size);
        if max < MAX_PACKET_SIZE {
            packet.shrink_to(level, max);
        }
        let total = packet.checked_len(level, max).js()?;
        if total > out.len() {
            return Ok(-(total as f64));
        }
        let mut w = &mut out[..total];
        packet.write(level, &mut w);
        Ok(total as f64)
    })
}

/// JS memory lent to Rust for one call, as `Bytes`.
struct Loan {
    ptr: *const u8,
    len: usize,
    /// The loans of the call still alive, on the lending call's stack (see [`lent`]).
    live: *const AtomicUsize,
}

// SAFETY: the memory is only read, and only during the call that lent it; `live` is read
// and written atomically, and outlives every loan (`lent` does not return before they end).
unsafe impl Send for Loan {}

impl AsRef<[u8]> for Loan {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: `lent` does not return while a `Bytes` over this loan exists.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl Drop for Loan {
    fn drop(&mut self) {
        // SAFETY: as for `Send` above.
        unsafe { (*self.live).fetch_sub(1, Ordering::Release) };
    }
}

/// Runs `f` over `a` and `b` as `Bytes` without copying them, and makes sure nothing made
/// from them outlives the call: each `Bytes` and its slices share one owner, dropped with the
/// last of them; if one is still alive when `f` has returned, a slice was kept somewhere, and
/// the process stops rather than let Rust read JS memory that may be freed or reused.
fn lent<R>(a: &[u8], b: &[u8], f: impl FnOnce(Bytes, Bytes) -> R) -> R {
    let live = AtomicUsize::new(2);
    let loan = |d: &[u8]| {
        Bytes::from_owner(Loan {
            ptr: d.as_ptr(),
            len: d.len(),
            live: &live,
        })
    };
    let r = f(loan(a), loan(b));
    if live.load(Ordering::Acquire) != 0 {
        eprintln!("mqtt-napi: bytes lent by JS were kept past the call that lent them");
        std::process::abort();
    }
    r
}

/// The MQTT 5 properties as lib/packet-tape.js needs them, `[id, name, type]` each, from
/// the codec's one table (`codec::properties::PROPERTIES`).
#[napi(catch_unwind)]
pub fn property_table() -> Vec<(u32, String, String)> {
    crate::codec::properties::PROPERTIES
        .iter()
        .map(|p| (p.id as u32, p.js_name.to_string(), p.js_type.to_string()))
        .collect()
}
