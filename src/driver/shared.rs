//! The state a client's threads share: the session, the bytes waiting to be written and
//! the events waiting for the application, behind one mutex ([`Shared`]), and the commands
//! that run on the caller's thread under it. The connection loop (`client.rs`) and the
//! reader on the application's thread (`app_read.rs`) are built on this file; it names
//! neither.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::Notify;

#[cfg(unix)]
use super::app_tls::AppTls;
use super::gate::Ticket;
#[cfg(unix)]
use super::io::AppSocket;
use super::io::{now, Failure, ReadBuffer};
use super::writer::{self, Direct};
use crate::codec::{DecodeError, Decoder, Packet};
use crate::session::{Event, Session};

/// Reading pauses while this many events wait for the application...
const MAX_PENDING_EVENTS: usize = 8192;
/// ...or this many bytes of received topics and payloads: memory stays bounded when the
/// application is slower than the network (the server's TCP window does the rest).
const MAX_PENDING_BYTES: usize = 8 << 20;

/// What JS feeds from its Duplex.
#[derive(Debug)]
pub enum Feed {
    /// Bytes the Duplex read.
    Data(Bytes),
    /// The Duplex ended, closed or failed (JS reports the error itself).
    End,
}

/// Which thread reads a client's plain TCP connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadThread {
    /// The I/O task, always (also where the application cannot watch sockets).
    Io,
    /// The application's thread while the connection is quiet, the I/O thread while
    /// data streams in.
    Adaptive,
    /// The application's thread, always.
    App,
}

/// The reading state of a connection read on the application's thread.
pub(super) struct AppRead {
    pub(super) sock: Arc<AppSocket>,
    /// The TLS session over the socket, for `mqtts://` (see [`super::app_tls`]).
    pub(super) tls: Option<Arc<AppTls>>,
    pub(super) buf: ReadBuffer,
    pub(super) decoder: Decoder,
    /// Which connection: a poll handle of an earlier one must stop.
    pub(super) id: u64,
    /// Set when the connection ended (clean close or failure), for the I/O task.
    pub(super) end: Option<Result<(), Failure>>,
    /// The I/O task reads now (data streams in); the application's poll handle is stopped.
    pub(super) io: bool,
    /// Quiet reads in a row by the I/O task (see [`QUIET_READS`]).
    pub(super) quiet: u8,
}

/// What the application is told, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    /// A session event (packets the application handles).
    Session(Event),
    /// A connection failed or broke.
    Error(Failure),
    /// The connection closed.
    Close,
    /// A new connection attempt begins.
    Reconnect,
    /// The driver stopped for good (after `end`, or without reconnecting).
    Finished,
    /// A packet was queued for writing (only while `observe.sent` is on).
    Sent(Packet),
    /// A packet arrived, before the session handles it (only while `observe.received`).
    Received(Packet),
    /// The bytes queued up to mark `upto` (see [`Shared::write_mark`]) are settled:
    /// written to the socket, or `dropped` with a connection that closed before.
    Written {
        /// Count of bytes queued since the client started.
        upto: u64,
        /// True when the bytes since the previous report were discarded, not written.
        dropped: bool,
    },
    /// JS opens a new Duplex for a connection attempt (`js_stream` only).
    OpenStream,
    /// Bytes for JS to write to its Duplex.
    StreamWrite(Bytes),
    /// JS ends its Duplex: the driver is done with it.
    StreamEnd,
    /// A line about what the driver did (only while the application logs, see
    /// [`Shared::log`]).
    Log(String),
}

/// Which packets to copy into events for the application (MQTT.js `packetsend` and
/// `packetreceive`); off unless someone listens, as copying costs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Observe {
    /// Report every packet written.
    pub sent: bool,
    /// Report every packet read.
    pub received: bool,
}

/// State shared by the application's thread and the I/O tasks, grouped by role.
pub struct Inner {
    /// The protocol state.
    pub session: Session,
    /// What waits to be written, and how far writing got.
    pub write: WriteQueue,
    /// What waits for the application.
    pub events: EventQueue,
    /// Why and how the connection or the client is to stop.
    pub(super) stop: Stop,
    /// Who reads plain TCP connections, and the state of a read on the application's thread.
    pub(super) reader: Reader,
    /// Where JS feeds its Duplex's bytes, while a JS-stream connection is open.
    pub(super) feed: Option<UnboundedSender<Feed>>,
    /// Local and remote address of the current TCP connection (Node's socket fields).
    pub(super) addresses: Option<(std::net::SocketAddr, std::net::SocketAddr)>,
    /// The connection attempt's permit at its server's gate, until the CONNACK (see
    /// [`super::gate`]).
    pub(super) opening: Option<Ticket>,
}

/// The write side: encoded packets for the writer, and the marks the application waits on.
#[derive(Default)]
pub struct WriteQueue {
    /// Encoded packets waiting for the writer.
    pub out: BytesMut,
    /// Bytes were queued by deferred commands without waking the writer yet.
    pub(super) unkicked: bool,
    /// Bytes ever queued for writing, and ever settled (written or discarded).
    pub(super) queued: u64,
    pub(super) written: u64,
    /// The highest mark the application waits for; 0 when none.
    pub(super) watch: u64,
    /// The connection's socket, for writing from the thread that queued (plain TCP only).
    pub(super) direct: Option<Direct>,
    /// The writer task holds bytes taken from `out` that are not written yet.
    pub(super) writing: bool,
}

/// The events for the application, announced once through `notify` until drained.
#[derive(Default)]
pub struct EventQueue {
    /// In order.
    pub list: Vec<ClientEvent>,
    /// `notify` was called and the application has not drained since.
    pub(super) signaled: bool,
    /// Bytes of topics and payloads in `list`.
    pub(super) pending_bytes: usize,
    /// Which packets are copied into events.
    pub(super) observe: Observe,
    /// The application logs the driver's steps (`DEBUG=mqttjs:native`).
    pub(super) log: bool,
}

/// Ending and dropping, as the application asked.
#[derive(Default)]
pub(super) struct Stop {
    /// `end` was called: finish writing, then stop.
    pub(super) ending: bool,
    /// ... without waiting for anything (`end(true)`).
    pub(super) force: bool,
    /// Close the current connection (the application's timeout), then go on as configured.
    pub(super) drop_connection: bool,
    /// The broker the application asked to reconnect to (`app_reconnects`).
    pub(super) next_server: Option<(String, u16)>,
    /// When the application gives up on the current attempt (its connect timer): an
    /// attempt the opening gate lets through after it is not opened.
    pub(super) give_up_at: Option<Instant>,
}

/// Who reads plain TCP connections (see [`super::app_read`]).
pub(super) struct Reader {
    /// Which thread reads plain TCP sockets.
    #[cfg(unix)]
    pub(super) thread: ReadThread,
    /// The current connection's state when the application reads it.
    #[cfg(unix)]
    pub(super) app: Option<AppRead>,
    /// Counts connections read by the application.
    #[cfg(unix)]
    pub(super) app_id: u64,
    /// A read on the application's thread is running: it delivers events itself.
    pub(super) in_app_read: bool,
    /// When the I/O task's timer for a connection read by the application fires: a read
    /// that makes the session's next deadline earlier wakes the task to re-arm it.
    #[cfg(unix)]
    pub(super) app_timer: Option<Instant>,
}

impl Default for Reader {
    fn default() -> Self {
        Reader {
            #[cfg(unix)]
            thread: ReadThread::Io,
            #[cfg(unix)]
            app: None,
            #[cfg(unix)]
            app_id: 0,
            in_app_read: false,
            #[cfg(unix)]
            app_timer: None,
        }
    }
}

/// The shared half of a client; see the module docs.
pub struct Shared {
    inner: Mutex<Inner>,
    pub(super) writer: Notify,
    pub(super) wake: Notify,
    /// Signalled when the application drained the events (reading may resume).
    pub(super) drained: Notify,
    pub(super) notify: Box<dyn Fn() + Send + Sync>,
}

impl Shared {
    /// `notify` is called (from any thread) when events become available after a drain.
    pub fn new(session: Session, notify: Box<dyn Fn() + Send + Sync>) -> Arc<Self> {
        Arc::new(Shared {
            inner: Mutex::new(Inner {
                session,
                write: WriteQueue::default(),
                events: EventQueue::default(),
                stop: Stop::default(),
                reader: Reader::default(),
                feed: None,
                addresses: None,
                opening: None,
            }),
            writer: Notify::new(),
            wake: Notify::new(),
            drained: Notify::new(),
            notify,
        })
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, Inner> {
        // A poisoned lock means a panic while holding it; the state is still the last
        // consistent one we wrote, so keep going rather than propagate the panic.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs a command against the session, then flushes what it produced.
    pub fn command<R>(&self, f: impl FnOnce(&mut Session, Instant) -> R) -> R {
        let mut g = self.lock();
        let r = f(&mut g.session, now());
        self.flush(&mut g);
        r
    }

    /// As [`Shared::command`], but the writer is not woken until [`Shared::kick`]: the
    /// application batches what it sends in one turn of its event loop into one write,
    /// and saves a thread wake-up per packet. `observed` false: what the command produces
    /// is not echoed as [`ClientEvent::Sent`] (the application reports it itself).
    pub fn command_deferred<R>(
        &self,
        observed: bool,
        f: impl FnOnce(&mut Session, Instant) -> R,
    ) -> R {
        let mut g = self.lock();
        let r = f(&mut g.session, now());
        let observe = g.events.observe;
        g.events.observe.sent &= observed;
        let was_empty = g.write.out.is_empty();
        self.queue_output(&mut g);
        if was_empty && !g.write.out.is_empty() {
            g.write.unkicked = true;
        }
        self.queue_events(&mut g);
        g.events.observe = observe;
        r
    }

    /// Wakes the writer for what deferred commands queued.
    pub fn kick(&self) {
        let mut g = self.lock();
        if std::mem::take(&mut g.write.unkicked) {
            self.push_out(&mut g);
        }
    }

    /// Gets the queued bytes moving: written here and now if the writer task is idle and
    /// the socket takes them, else by the writer task, woken for it.
    fn push_out(&self, g: &mut Inner) {
        if g.write.out.is_empty() {
            return;
        }
        if !g.write.writing && !g.stop.force {
            if let Some(w) = &g.write.direct {
                let n = writer::try_write(w, &g.write.out);
                if writer::unwritten(w) {
                    self.writer.notify_one();
                }
                if n > 0 {
                    let _ = g.write.out.split_to(n);
                    self.settle(g, n as u64, false);
                }
            }
        }
        if !g.write.out.is_empty() {
            self.writer.notify_one();
        }
    }

    /// A mark for everything queued so far: a [`ClientEvent::Written`] event reports when
    /// the socket took those bytes. 0 when they are settled already.
    pub fn write_mark(&self) -> u64 {
        let mut g = self.lock();
        if g.write.written >= g.write.queued {
            return 0;
        }
        g.write.watch = g.write.watch.max(g.write.queued);
        g.write.queued
    }

    /// Counts `n` bytes as written, reporting progress if the application waits for it.
    pub(super) fn settle(&self, g: &mut Inner, n: u64, dropped: bool) {
        g.write.written += n;
        if g.write.watch > 0 {
            g.events.list.push(ClientEvent::Written {
                upto: g.write.written,
                dropped,
            });
            if g.write.written >= g.write.watch {
                g.write.watch = 0;
            }
            self.announce(g);
        }
    }

    /// Discards the bytes not written (the connection is gone), settling them as dropped.
    pub(super) fn discard_out(&self, g: &mut Inner) {
        g.write.out.clear();
        let n = g.write.queued - g.write.written;
        if n > 0 {
            self.settle(g, n, true);
        }
    }

    /// Sets which packets are reported; see [`Observe`].
    /// Turns on or off the lines of [`Shared::log`].
    pub fn set_log(&self, on: bool) {
        self.lock().events.log = on;
    }

    /// Tells the application a step of the driver (a connection attempt and its outcome,
    /// a wait at the opening gate, a reconnect), when it logs them: formatted only then.
    /// Not called with the lock held.
    pub fn log(&self, line: std::fmt::Arguments<'_>) {
        let mut g = self.lock();
        if g.events.log {
            g.events.list.push(ClientEvent::Log(line.to_string()));
            self.announce(&mut g);
        }
    }

    pub fn observe(&self, observe: Observe) {
        self.lock().events.observe = observe;
    }

    /// Moves the session's packets into the write buffer and its events into the queue,
    /// waking the writer and the application as needed.
    pub(super) fn flush(&self, g: &mut Inner) {
        let was_empty = g.write.out.is_empty() || g.write.unkicked;
        let packets = self.queue_output(g);
        if was_empty && !g.write.out.is_empty() {
            g.write.unkicked = false;
            self.push_out(g);
        }
        let events = self.queue_events(g);
        // Quiet: a burst keeps its queues' room, an idle connection holds none.
        if packets + events <= 1 {
            g.session.release_queues();
        }
    }

    /// Encodes the session's packets into the write buffer. Returns how many.
    fn queue_output(&self, g: &mut Inner) -> usize {
        let before = g.write.out.len();
        let version = g.session.version();
        let mut n = 0;
        while let Some(p) = g.session.poll_transmit() {
            n += 1;
            if g.events.observe.sent {
                g.events.list.push(ClientEvent::Sent(p.clone()));
            }
            // Packets reach the session validated, so encoding cannot fail but on a bug;
            // such a packet is dropped rather than bringing the process down.
            let _ = p.encode(version, &mut g.write.out);
        }
        g.write.queued += (g.write.out.len() - before) as u64;
        n
    }

    /// Moves the session's events to the application's queue and announces them. Returns
    /// how many.
    fn queue_events(&self, g: &mut Inner) -> usize {
        let mut n = 0;
        while let Some(e) = g.session.poll_event() {
            n += 1;
            if let Event::Publish(p) = &e {
                g.events.pending_bytes += p.payload.len() + p.topic.len();
            }
            g.events.list.push(ClientEvent::Session(e));
        }
        self.announce(g);
        n
    }

    fn announce(&self, g: &mut Inner) {
        // A read on the application's thread delivers its events itself, at its end.
        if !g.events.signaled && !g.reader.in_app_read && !g.events.list.is_empty() {
            g.events.signaled = true;
            (self.notify)();
        }
    }

    /// Queues an event for the application and announces it.
    pub fn emit(&self, e: ClientEvent) {
        let mut g = self.lock();
        g.events.list.push(e);
        self.announce(&mut g);
    }

    /// Takes every queued event; the next event will be announced again.
    pub fn drain(&self) -> Vec<ClientEvent> {
        let events = {
            let mut g = self.lock();
            g.events.signaled = false;
            g.events.pending_bytes = 0;
            std::mem::take(&mut g.events.list)
        };
        self.drained.notify_one();
        events
    }

    /// True when the application is behind and reading should wait for a drain.
    pub(super) fn backlogged(&self) -> bool {
        backlogged(&self.lock())
    }

    /// Asks the driver to stop: after flushing what is queued (DISCONNECT included), or at
    /// once with `force`.
    pub fn end(&self, force: bool) {
        {
            let mut g = self.lock();
            g.stop.ending = true;
            g.stop.force |= force;
        }
        self.wake.notify_one();
        self.writer.notify_one();
    }

    /// Bytes (or the end) of the JS Duplex; false when no JS-stream connection takes them.
    pub fn feed(&self, f: Feed) -> bool {
        self.lock()
            .feed
            .as_ref()
            .is_some_and(|tx| tx.send(f).is_ok())
    }

    pub(super) fn close_feed(&self) {
        self.lock().feed = None;
    }

    /// Closes the current connection (as destroying a socket would); the driver then
    /// reconnects as it does after any lost connection.
    pub fn drop_connection(&self) {
        self.lock().stop.drop_connection = true;
        self.wake.notify_one();
    }

    /// Local and remote address of the current TCP connection, if any.
    pub fn addresses(&self) -> Option<(std::net::SocketAddr, std::net::SocketAddr)> {
        self.lock().addresses
    }

    /// Starts the next connection attempt, to `host:port` (`app_reconnects` only).
    pub fn reconnect(&self, host: String, port: u16) {
        self.lock().stop.next_server = Some((host, port));
        self.wake.notify_one();
    }

    /// The application's connect timer for the attempt starting now runs for `after`.
    pub fn give_up_after(&self, after: Option<Duration>) {
        self.lock().stop.give_up_at = after.map(|d| now() + d);
    }

    /// The application's connect timer for this attempt has run out.
    pub(super) fn given_up(&self) -> bool {
        self.lock().stop.give_up_at.is_some_and(|t| now() >= t)
    }

    pub(super) fn take_drop(&self) -> bool {
        std::mem::take(&mut self.lock().stop.drop_connection)
    }

    pub(super) fn ending(&self) -> (bool, bool) {
        let g = self.lock();
        (g.stop.ending, g.stop.force)
    }
}

impl Shared {
    /// Decodes the packets complete in `buf` and hands them to the session. The caller
    /// flushes what they produced, error or not.
    pub(super) fn take_packets(
        &self,
        g: &mut Inner,
        buf: &mut BytesMut,
        decoder: &mut Decoder,
    ) -> Result<(), Failure> {
        let now = now();
        loop {
            match decoder.decode(buf) {
                Ok(p) => {
                    if g.events.observe.received {
                        g.events.list.push(ClientEvent::Received(p.clone()));
                    }
                    g.session.handle_packet(p, now).map_err(Failure::from)?;
                    if g.opening.is_some() && g.session.is_connected() {
                        if let Some(t) = g.opening.take() {
                            t.connected();
                        }
                    }
                }
                Err(DecodeError::Incomplete { .. }) => return Ok(()),
                Err(e) => return Err(e.into()),
            }
        }
    }
}

pub(super) fn backlogged(g: &Inner) -> bool {
    g.events.list.len() >= MAX_PENDING_EVENTS || g.events.pending_bytes >= MAX_PENDING_BYTES
}
