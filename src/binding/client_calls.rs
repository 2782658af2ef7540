//! The calls `MqttClient` makes per message, as plain functions over a client handle.
//!
//! napi-rs 3 checks the receiver of every class-method call (a lookup in its reference map
//! and a registry lock): measured here at 450-600 ns per call, against ~90 ns for a plain
//! function, which is more than the work of a publish. So `NativeClient` keeps what runs
//! once per connection, and these functions take `handle` (from `NativeClient.handle()`),
//! a key into a table per JS thread (worker threads keep theirs apart). A handle whose
//! client has ended is ignored (acks, flush, drain) or refused (send).

use std::cell::RefCell;
use std::sync::Arc;

use napi::bindgen_prelude::{BufferSlice, Uint32Array};
use napi::Env;
use napi_derive::napi;

use super::client_tape::{
    event_packet, packet_id_mut, read_owned, session_error, write_packet, CLOSE, ERROR, FINISHED,
    LOG, OPEN_STREAM, PACKET, RECEIVED, RECONNECT, SENT, STREAM_END, STREAM_WRITE, WRITTEN,
};
use super::error::{invalid_arg, Code, JsError};
use super::tape::OUT_OF_LINE;
use bytes::Bytes;

use crate::codec::{MqttStr, Packet, Properties, ProtocolVersion, Publish, QoS, MAX_PACKET_SIZE};
use crate::driver::shared::{ClientEvent, Shared};
use crate::session::{Event, Session, SessionError};

/// What the per-message calls need of a client.
pub(super) struct Core {
    pub(super) shared: Arc<Shared>,
    /// The protocol level, fixed by the CONNECT for the client's lifetime.
    pub(super) version: ProtocolVersion,
    /// Topic aliases are chosen natively (MQTT 5 auto options): the PUBLISH written may
    /// differ from the one JS sent, so its `packetsend` comes from the native side.
    pub(super) auto_alias: bool,
}

thread_local! {
    /// Clients by handle - 1. Slots are not reused (a handle never names another client);
    /// an ended client leaves an empty slot of one pointer.
    static CLIENTS: RefCell<Vec<Option<Arc<Core>>>> = const { RefCell::new(Vec::new()) };
    /// Topic names validated once and kept by id (see `topic_id`).
    static TOPICS: RefCell<Vec<MqttStr>> = const { RefCell::new(Vec::new()) };
    /// The bytes of a drain, before they are copied into a JS Buffer; kept between drains
    /// so large batches do not fault in fresh pages each time (see `client_drain`).
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Largest scratch buffer kept between drains.
const MAX_SCRATCH: usize = 16 << 20;

/// Most topics one thread keeps by id; past it, `topic_id` refuses and JS sends strings.
const MAX_TOPICS: usize = 10_000;

/// Enters a client in this thread's table; `make` gets the handle it will have.
pub(super) fn register(make: impl FnOnce(u32) -> Core) -> u32 {
    CLIENTS.with(|c| {
        let mut c = c.borrow_mut();
        let handle = c.len() as u32 + 1;
        c.push(Some(Arc::new(make(handle))));
        handle
    })
}

/// Removes a client from the table (its handle then refers to nothing).
pub(super) fn unregister(handle: u32) {
    #[cfg(unix)]
    super::poll::release(handle);
    super::notifier::detach(handle);
    // At thread exit the table may be gone already: nothing to remove then.
    let _ = CLIENTS.try_with(|c| {
        if let Some(slot) = c.borrow_mut().get_mut((handle as usize).wrapping_sub(1)) {
            *slot = None;
        }
    });
}

pub(super) fn core(handle: u32) -> Result<Arc<Core>, JsError> {
    CLIENTS
        .try_with(|c| {
            c.borrow()
                .get((handle as usize).wrapping_sub(1))
                .cloned()
                .flatten()
        })
        .ok()
        .flatten()
        .ok_or_else(|| napi::Error::new(Code("ERR_MQTT_CLIENT_DISCONNECTED"), "client ended"))
}

/// Validates a topic name once and keeps it: publishes then name it by id, and skip the
/// string's conversion, its checks and its allocation. None past [`MAX_TOPICS`].
pub(super) fn topic_id(topic: String) -> Result<Option<u32>, JsError> {
    let t = MqttStr::from_bytes(Bytes::from(topic.into_bytes()))
        .map_err(|v| invalid_arg(v.to_string()))?;
    Packet::Publish(Publish {
        topic: t.clone(),
        ..Default::default()
    })
    .check(ProtocolVersion::V5)
    .map_err(|v| invalid_arg(v.to_string()))?;
    Ok(TOPICS.with(|ts| {
        let mut ts = ts.borrow_mut();
        (ts.len() < MAX_TOPICS).then(|| {
            ts.push(t);
            ts.len() as u32 - 1
        })
    }))
}

/// A PUBLISH without properties to a topic kept by [`topic_id`]: as [`client_publish`],
/// without validating again what cannot be wrong.
pub(super) fn client_publish_topic(
    handle: u32,
    topic: u32,
    payload: &[u8],
    flags: u32,
    message_id: u32,
) -> Result<u32, JsError> {
    let topic = TOPICS
        .with(|ts| ts.borrow().get(topic as usize).cloned())
        .ok_or_else(|| invalid_arg("unknown topic id"))?;
    if payload.len() > MAX_PACKET_SIZE - 16 - topic.len() {
        return Err(invalid_arg("payload too large for one packet"));
    }
    let p = publish_from_parts(topic, payload, flags, message_id)?;
    let core = core(handle)?;
    let observed = core.auto_alias;
    core.shared
        .command_deferred(observed, |s, now| s.publish(p, now))
        .map(u32::from)
        .map_err(session_error)
}

/// Sends a packet described by a tape record: PUBLISH, SUBSCRIBE, UNSUBSCRIBE, AUTH or
/// DISCONNECT (which ends the session). A messageId of 0 asks for a fresh one. Returns
/// the packet id (0 when there is none). The bytes go out at the next `client_flush`.
pub(super) fn client_send(
    handle: u32,
    tape: &[u32],
    data: &[u8],
    payload: &[u8],
) -> Result<u32, JsError> {
    submit(handle, read_owned(tape, data, payload)?)
}

/// The common PUBLISH without properties, straight from its parts (no tape): `flags` is
/// QoS (bits 0-1), retain (bit 2) and DUP (bit 3). As `client_send` otherwise.
pub(super) fn client_publish(
    handle: u32,
    topic: String,
    payload: &[u8],
    flags: u32,
    message_id: u32,
) -> Result<u32, JsError> {
    let topic = MqttStr::from_bytes(Bytes::from(topic.into_bytes()))
        .map_err(|v| invalid_arg(v.to_string()))?;
    let p = publish_from_parts(topic, payload, flags, message_id)?;
    submit(handle, Packet::Publish(p))
}

/// A PUBLISH without properties; `flags`: QoS (bits 0-1), retain (bit 2), DUP (bit 3).
fn publish_from_parts(
    topic: MqttStr,
    payload: &[u8],
    flags: u32,
    message_id: u32,
) -> Result<Publish, JsError> {
    Ok(Publish {
        qos: QoS::from_u8((flags & 3) as u8).ok_or_else(|| invalid_arg("Invalid QoS"))?,
        retain: flags & 4 != 0,
        dup: flags & 8 != 0,
        packet_id: message_id as u16,
        topic,
        payload: Bytes::copy_from_slice(payload),
        properties: Properties::new(),
    })
}

/// Validates an owned packet and hands it to the session, to be written at the next
/// `client_flush`.
fn submit(handle: u32, mut packet: Packet) -> Result<u32, JsError> {
    // Id 0 asks the session for one: validate as if it had one already.
    let placeholder = match packet_id_mut(&mut packet) {
        Some(id) if *id == 0 => {
            *id = 1;
            true
        }
        _ => false,
    };
    let core = core(handle)?;
    let checked = packet.check(core.version);
    if let (true, Some(id)) = (placeholder, packet_id_mut(&mut packet)) {
        *id = 0;
    }
    checked.map_err(|v| invalid_arg(v.to_string()))?;
    let observed = core.auto_alias && matches!(packet, Packet::Publish(_));
    let run = |s: &mut Session, now| match packet {
        Packet::Publish(p) => s.publish(p, now),
        Packet::Subscribe(p) => s.subscribe(p, now),
        Packet::Unsubscribe(p) => s.unsubscribe(p, now),
        Packet::Auth(a) => {
            s.auth(a, now);
            Ok(0)
        }
        Packet::Disconnect(d) => {
            s.disconnect(d, now);
            Ok(0)
        }
        _ => Err(SessionError::NotConnected),
    };
    // Written at the next `flush()` (JS calls it once per turn of its event loop).
    let r = core.shared.command_deferred(observed, run);
    r.map(u32::from).map_err(session_error)
}

/// The application handled incoming PUBLISH `id`: PUBACK (QoS 1) or PUBREC (QoS 2).
pub(super) fn client_ack(handle: u32, id: u32, qos: u32, reason_code: u32) {
    let qos = QoS::from_u8(qos as u8).unwrap_or(QoS::AtMostOnce);
    if let Ok(c) = core(handle) {
        c.shared.command_deferred(true, |s, now| {
            s.ack_incoming(id as u16, qos, reason_code as u8, now)
        });
    }
}

/// The application delivered incoming QoS 2 message `id` after PUBREL: PUBCOMP.
pub(super) fn client_complete(handle: u32, id: u32) {
    if let Ok(c) = core(handle) {
        c.shared
            .command_deferred(true, |s, now| s.complete_incoming(id as u16, now));
    }
}

/// Writes what `client_send`, `client_ack` and `client_complete` queued since the last flush.
pub(super) fn client_flush(handle: u32) {
    if let Ok(c) = core(handle) {
        c.shared.kick();
    }
}

/// A mark for every byte queued so far; a WRITTEN event reports when the socket has
/// taken them. 0 when nothing is waiting to be written.
pub(super) fn client_write_mark(handle: u32) -> f64 {
    core(handle).map_or(0.0, |c| c.shared.write_mark() as f64)
}

/// Every waiting event, as `[words, bytes, large]`: event records on a tape (see the
/// module docs), the bytes their ranges point into, and the large payloads that travel as
/// Buffers of their own (undefined when none).
#[napi(catch_unwind)]
pub fn client_drain<'env>(
    env: &'env Env,
    handle: u32,
) -> Result<
    (
        Uint32Array,
        BufferSlice<'env>,
        Option<Vec<BufferSlice<'env>>>,
    ),
    JsError,
> {
    let Ok(core) = core(handle) else {
        let empty = BufferSlice::copy_from(env, [])
            .map_err(|e| napi::Error::new(Code("ERR_MQTT_NAPI_BUFFER"), e.reason.clone()))?;
        return Ok((Uint32Array::new(Vec::new()), empty, None));
    };
    let events = core.shared.drain();
    // A new connection to read on this thread, or the end of one, is noticed here, after
    // the drain has cleared `signaled`: a connection the I/O thread registers from now on
    // announces itself (another drain comes), one registered before is seen by this sync.
    // (Synced first, one registered between the sync and the drain went unnoticed, its
    // socket unread until something else woke the client.)
    #[cfg(unix)]
    super::poll::sync(handle);
    let version = core.version;
    let mut words = Vec::with_capacity(events.len() * 8);
    // Sized up front: large payloads are copied once, never moved by growth.
    let size: usize = events
        .iter()
        .map(|e| match e {
            ClientEvent::Session(Event::Publish(p)) => {
                // Large payloads travel out of line, not through these bytes.
                let payload = if p.payload.len() >= OUT_OF_LINE {
                    0
                } else {
                    p.payload.len()
                };
                payload + p.topic.len() + p.properties.body_len()
            }
            ClientEvent::StreamWrite(b) => b.len(),
            ClientEvent::Log(l) => l.len(),
            _ => 64,
        })
        .sum();
    let mut bytes = SCRATCH.with(|s| std::mem::take(&mut *s.borrow_mut()));
    bytes.clear();
    bytes.reserve(size);
    let mut large = Vec::new();
    for e in events {
        match e {
            ClientEvent::Session(ev) => {
                words.push(PACKET);
                let p = event_packet(ev);
                write_packet(&mut words, &mut bytes, Some(&mut large), &p, version);
            }
            ClientEvent::Sent(p) => {
                words.push(SENT);
                write_packet(&mut words, &mut bytes, None, &p, version);
            }
            ClientEvent::Received(p) => {
                words.push(RECEIVED);
                write_packet(&mut words, &mut bytes, None, &p, version);
            }
            ClientEvent::Error(f) => {
                // ERROR code-range message-range reason (0: none).
                words.push(ERROR);
                for s in [f.code.as_bytes(), f.message.as_bytes()] {
                    let start = bytes.len() as u32;
                    bytes.extend_from_slice(s);
                    words.extend_from_slice(&[start, bytes.len() as u32]);
                }
                words.push(f.reason.map_or(0, u32::from));
            }
            ClientEvent::Written { upto, dropped } => {
                words.extend_from_slice(&[
                    WRITTEN,
                    upto as u32,
                    (upto >> 32) as u32,
                    dropped as u32,
                ]);
            }
            ClientEvent::StreamWrite(b) => {
                let start = bytes.len() as u32;
                bytes.extend_from_slice(&b);
                words.extend_from_slice(&[STREAM_WRITE, start, bytes.len() as u32]);
            }
            ClientEvent::Log(l) => {
                let start = bytes.len() as u32;
                bytes.extend_from_slice(l.as_bytes());
                words.extend_from_slice(&[LOG, start, bytes.len() as u32]);
            }
            ClientEvent::OpenStream => words.push(OPEN_STREAM),
            ClientEvent::StreamEnd => words.push(STREAM_END),
            ClientEvent::Close => words.push(CLOSE),
            ClientEvent::Reconnect => words.push(RECONNECT),
            ClientEvent::Finished => {
                // Nothing more will come: the client stops holding the event loop.
                super::notifier::finished(handle);
                words.push(FINISHED)
            }
        }
    }
    // Copied into memory V8 allocates and accounts for: an external Buffer over our
    // Vec is invisible to the GC's heuristics, and megabytes of drained batches would
    // pile up before a collection.
    let out = BufferSlice::copy_from(env, &bytes)
        .map_err(|e| napi::Error::new(Code("ERR_MQTT_NAPI_BUFFER"), e.reason.clone()));
    if bytes.capacity() <= MAX_SCRATCH {
        SCRATCH.with(|s| *s.borrow_mut() = bytes);
    }
    let large = if large.is_empty() {
        None
    } else {
        Some(
            large
                .into_iter()
                .map(|b| out_of_line(env, b))
                .collect::<napi::Result<Vec<_>>>()
                .map_err(|e| napi::Error::new(Code("ERR_MQTT_NAPI_BUFFER"), e.reason.clone()))?,
        )
    };
    Ok((Uint32Array::new(words), out?, large))
}

/// A large payload as a Buffer of its own over the bytes as read: no copy. V8 is told of
/// the memory it holds (so its collections keep pace with it), and freeing the Buffer
/// frees the bytes.
fn out_of_line(env: &Env, b: Bytes) -> napi::Result<BufferSlice<'_>> {
    let len = b.len();
    let ptr = b.as_ptr().cast_mut();
    // SAFETY: `ptr..ptr + len` stays valid while `b` lives, and `b` lives in the finalizer
    // hint until the Buffer is collected. No other Buffer starts at this address while
    // this one lives: each payload is its own range of the bytes read, and nothing in Rust
    // reads these bytes again (JS may write to them).
    let buf = unsafe {
        BufferSlice::from_external(env, ptr, len, b, |env, b| {
            let _ = env.adjust_external_memory(-(b.len() as i64));
            drop(b);
        })
    }?;
    let _ = env.adjust_external_memory(len as i64);
    Ok(buf)
}
