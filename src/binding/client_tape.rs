//! What crosses the JS boundary for a client, below both the class (`client.rs`) and the
//! per-message calls (`client_calls.rs`): the kinds of the drained event tape, packet records
//! read from and written for JS, and session errors as JS errors.

use bytes::Bytes;
use napi_derive::napi;

use super::error::{invalid_arg, Code, JsError};
use super::tape::{Ranges, TapeReader, TapeWriter};
use crate::codec::{Packet, PacketType, ProtocolVersion, QoS};
use crate::session::{Event, SessionError};

/// Event kinds on the drained tape; a PACKET is followed by a packet record.
pub(super) const PACKET: u32 = 1;
pub(super) const ERROR: u32 = 2;
pub(super) const CLOSE: u32 = 3;
pub(super) const RECONNECT: u32 = 4;
pub(super) const FINISHED: u32 = 5;
pub(super) const SENT: u32 = 6;
pub(super) const RECEIVED: u32 = 7;
pub(super) const WRITTEN: u32 = 8;
pub(super) const OPEN_STREAM: u32 = 9;
pub(super) const STREAM_WRITE: u32 = 10;
pub(super) const STREAM_END: u32 = 11;
pub(super) const LOG: u32 = 12;

/// The event kinds by name, for lib/native-events.js: the values are defined here only.
#[napi(catch_unwind)]
pub fn event_kinds() -> std::collections::HashMap<String, u32> {
    [
        ("PACKET", PACKET),
        ("ERROR", ERROR),
        ("CLOSE", CLOSE),
        ("RECONNECT", RECONNECT),
        ("FINISHED", FINISHED),
        ("SENT", SENT),
        ("RECEIVED", RECEIVED),
        ("WRITTEN", WRITTEN),
        ("OPEN_STREAM", OPEN_STREAM),
        ("STREAM_WRITE", STREAM_WRITE),
        ("STREAM_END", STREAM_END),
        ("LOG", LOG),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// A session's refusal of a command, as a JS error with a code.
pub(super) fn session_error(e: SessionError) -> JsError {
    napi::Error::new(Code(e.code()), e.to_string())
}

/// Reads one packet record from JS memory into a packet that owns all its bytes: the
/// record's bytes are copied once, and the packet's fields are slices of that copy.
pub(super) fn read_owned(tape: &[u32], data: &[u8], payload: &[u8]) -> Result<Packet, JsError> {
    let (_, packet) = TapeReader::new(
        tape,
        Bytes::copy_from_slice(data),
        Bytes::copy_from_slice(payload),
    )
    .packet()
    .map_err(invalid_arg)?;
    Ok(packet)
}

pub(super) fn write_packet(
    words: &mut Vec<u32>,
    bytes: &mut Vec<u8>,
    large: Option<&mut Vec<bytes::Bytes>>,
    p: &Packet,
    version: ProtocolVersion,
) {
    let body = p.body_len(version);
    TapeWriter {
        words,
        ranges: Ranges::Copied(bytes),
        large,
    }
    .packet(p, version, p.first_byte(), body);
}

/// The packet id a command needs the session to track, if any.
pub(super) fn packet_id_mut(p: &mut Packet) -> Option<&mut u16> {
    match p {
        Packet::Publish(p) if p.qos != QoS::AtMostOnce => Some(&mut p.packet_id),
        Packet::Subscribe(p) => Some(&mut p.packet_id),
        Packet::Unsubscribe(p) => Some(&mut p.packet_id),
        _ => None,
    }
}

/// The packet that carries a session event to JS.
pub(super) fn event_packet(e: Event) -> Packet {
    match e {
        Event::Connected(c) | Event::Refused(c) => Packet::ConnAck(c),
        Event::Publish(p) => Packet::Publish(p),
        Event::PubRel(a) => Packet::PubRel(a),
        Event::Published { ack, kind, .. } => match kind {
            PacketType::PubRec => Packet::PubRec(ack),
            PacketType::PubComp => Packet::PubComp(ack),
            _ => Packet::PubAck(ack),
        },
        Event::Released(a) => Packet::PubRec(a),
        Event::SubAck(s) => Packet::SubAck(s),
        Event::UnsubAck(u) => Packet::UnsubAck(u),
        Event::Disconnect(d) => Packet::Disconnect(d),
        Event::Auth(a) => Packet::Auth(a),
        Event::PingResp => Packet::PingResp,
    }
}
