//! The client driver: joins a [`Session`] to a transport, and keeps reconnecting.
//!
//! The session and the bytes waiting to be written live in [`Shared`], behind one mutex that
//! the application's thread (JS) and the I/O task both take briefly. A command such as
//! `publish` runs on the caller's thread, encodes straight into the write buffer and wakes
//! the writer only when that buffer goes from empty to non-empty. Events for the
//! application are queued and announced once through `notify` until drained.
//!
//! Per connection, two tasks: a reader (socket reads, decoding, the session's timers) and a
//! writer (flushes the write buffer). On plain TCP, whoever queues bytes while the writer is
//! idle writes them itself without blocking ([`writer`](super::writer)); the writer task
//! takes what the socket did not. Keepalive runs here, on tokio's clock, so a busy JS
//! event loop cannot make the connection time out.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
use tokio::sync::Notify;

use tokio::net::TcpStream;
use tokio_rustls::rustls::ClientConfig;

#[cfg(unix)]
use super::app_read::{watch_readable, AppReadOutcome, AppSocket, ReadThread};
use super::js_stream::{Feed, JsStream};
use super::writer::{self, Direct, Writer};
use crate::codec::{DecodeError, Decoder, Packet, MAX_PACKET_SIZE};
use crate::session::{Event, Session, SessionError};
use crate::transport::ws::{self, WsOptions};
use crate::transport::{self, tls, Stream};

/// Reading pauses while this many events wait for the application...
const MAX_PENDING_EVENTS: usize = 8192;
/// ...or this many bytes of received topics and payloads: memory stays bounded when the
/// application is slower than the network (the server's TCP window does the rest).
const MAX_PENDING_BYTES: usize = 8 << 20;

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct Config {
    /// Brokers to try, in turn: each reconnect moves to the next (MQTT.js `servers`).
    pub servers: Vec<(String, u16)>,
    /// Wait between a lost connection and the next attempt; `None` means do not reconnect.
    pub reconnect_period: Option<Duration>,
    /// Time allowed to open the connection and get a CONNACK.
    pub connect_timeout: Duration,
    /// Largest packet accepted from the server.
    pub max_packet_size: usize,
    /// TLS over the TCP connection (`mqtts://`); `None` for plain TCP. An options error
    /// (bad PEM...) is reported as each connection attempt's failure, as Node reports it.
    pub tls: Option<Result<TlsSetup, Failure>>,
    /// MQTT over WebSocket (`ws://`, or `wss://` with `tls`).
    pub ws: Option<WsOptions>,
    /// TCP through a SOCKS proxy (`socksProxy`); a refused proxy URL is each connection
    /// attempt's failure, as MQTT.js reports it.
    pub socks: Option<Result<transport::socks::Proxy, Failure>>,
    /// A Unix domain socket to connect to instead of `servers` (`mqtt+unix://`).
    pub unix_path: Option<String>,
    /// Each connection is a Duplex that JS opens (see [`super::js_stream`]).
    pub js_stream: bool,
    /// The application decides when (and where) to reconnect, as MQTT.js's reconnect
    /// timer does: after a close the driver waits for [`Shared::reconnect`] or the end,
    /// and `reconnect_period` and `servers` past the first are not used.
    pub app_reconnects: bool,
}

/// How to run TLS on each connection.
#[derive(Debug, Clone)]
pub struct TlsSetup {
    /// Built once per client from the application's options.
    pub config: Arc<ClientConfig>,
    /// Checked against the certificate instead of the host (Node's `servername`).
    pub servername: Option<String>,
}

/// An open connection, before the driver splits it.
enum Opened {
    Tcp(TcpStream),
    Other(Stream),
}

/// Opens the connection: TCP (or a Unix socket), then TLS and the WebSocket upgrade if
/// asked.
async fn open(
    shared: &Arc<Shared>,
    host: &str,
    port: u16,
    cfg: &Config,
) -> Result<Opened, Failure> {
    if cfg.js_stream {
        let (tx, rx) = unbounded_channel();
        shared.lock().feed = Some(tx);
        shared.emit(ClientEvent::OpenStream);
        return Ok(Opened::Other(Box::new(JsStream {
            rx,
            pending: Bytes::new(),
            shared: shared.clone(),
        })));
    }
    let tls = cfg
        .tls
        .as_ref()
        .map(|t| t.as_ref().map_err(Clone::clone))
        .transpose()?;
    let stream: Stream = if let Some(path) = &cfg.unix_path {
        Box::new(transport::unix::connect(path).await?)
    } else {
        let tcp = match &cfg.socks {
            Some(proxy) => {
                let proxy = proxy.as_ref().map_err(Clone::clone)?;
                transport::socks::connect(proxy, host, port).await
            }
            None => transport::tcp::connect(host, port).await,
        }
        .map_err(|e| (e.code(), e.to_string()))?;
        if let (Ok(local), Ok(peer)) = (tcp.local_addr(), tcp.peer_addr()) {
            shared.lock().addresses = Some((local, peer));
        }
        match tls {
            None if cfg.ws.is_none() => return Ok(Opened::Tcp(tcp)),
            None => Box::new(tcp),
            Some(t) => {
                let name = tls::server_name(t.servername.as_deref(), host)
                    .map_err(|e| (e.code, e.message))?;
                Box::new(tls::handshake(tcp, t.config.clone(), name).await?)
            }
        }
    };
    match &cfg.ws {
        Some(w) => Ok(Opened::Other(Box::new(
            ws::handshake(stream, host, port, tls.is_some(), w).await?,
        ))),
        None => Ok(Opened::Other(stream)),
    }
}

/// What the application is told, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    /// A session event (packets the application handles).
    Session(Event),
    /// A connection failed or broke; `code` is errno-style or an MQTT error code.
    Error {
        /// `ECONNREFUSED`, `ERR_KEEPALIVE_TIMEOUT`, `ERR_MQTT_MALFORMED`...
        code: &'static str,
        /// For a person.
        message: String,
    },
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

/// State shared by the application's thread and the I/O tasks.
pub struct Inner {
    /// The protocol state.
    pub session: Session,
    /// Encoded packets waiting for the writer.
    pub out: BytesMut,
    /// Events waiting for the application.
    pub events: Vec<ClientEvent>,
    pub(super) signaled: bool,
    /// Bytes were queued by deferred commands without waking the writer yet.
    unkicked: bool,
    /// Bytes of topics and payloads in `events`.
    pending_bytes: usize,
    observe: Observe,
    /// Bytes ever queued for writing, and ever settled (written or discarded).
    queued: u64,
    written: u64,
    /// The highest mark the application waits for; 0 when none.
    watch: u64,
    ending: bool,
    force: bool,
    drop_connection: bool,
    /// The connection's socket, for writing from the thread that queued (plain TCP only).
    direct: Option<Direct>,
    /// The writer task holds bytes taken from `out` that are not written yet.
    writing: bool,
    /// Where JS feeds its Duplex's bytes, while a JS-stream connection is open.
    feed: Option<UnboundedSender<Feed>>,
    /// The broker the application asked to reconnect to (`app_reconnects`).
    next_server: Option<(String, u16)>,
    /// Local and remote address of the current TCP connection (Node's socket fields).
    addresses: Option<(std::net::SocketAddr, std::net::SocketAddr)>,
    /// Which thread reads plain TCP sockets (see [`super::app_read`]).
    #[cfg(unix)]
    pub(super) read_thread: ReadThread,
    /// The current connection's state when the application reads it.
    #[cfg(unix)]
    pub(super) app: Option<super::app_read::AppRead>,
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

/// The shared half of a client; see the module docs.
pub struct Shared {
    inner: Mutex<Inner>,
    writer: Notify,
    pub(super) wake: Notify,
    /// Signalled when the application drained the events (reading may resume).
    drained: Notify,
    pub(super) notify: Box<dyn Fn() + Send + Sync>,
}

impl Shared {
    /// `notify` is called (from any thread) when events become available after a drain.
    pub fn new(session: Session, notify: Box<dyn Fn() + Send + Sync>) -> Arc<Self> {
        Arc::new(Shared {
            inner: Mutex::new(Inner {
                session,
                out: BytesMut::new(),
                events: Vec::new(),
                signaled: false,
                unkicked: false,
                pending_bytes: 0,
                observe: Observe::default(),
                queued: 0,
                written: 0,
                watch: 0,
                ending: false,
                force: false,
                drop_connection: false,
                direct: None,
                writing: false,
                feed: None,
                next_server: None,
                addresses: None,
                #[cfg(unix)]
                read_thread: ReadThread::Io,
                #[cfg(unix)]
                app: None,
                #[cfg(unix)]
                app_id: 0,
                in_app_read: false,
                #[cfg(unix)]
                app_timer: None,
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
        let r = f(&mut g.session, Instant::now());
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
        let r = f(&mut g.session, Instant::now());
        let observe = g.observe;
        g.observe.sent &= observed;
        let was_empty = g.out.is_empty();
        self.queue_output(&mut g);
        if was_empty && !g.out.is_empty() {
            g.unkicked = true;
        }
        self.queue_events(&mut g);
        g.observe = observe;
        r
    }

    /// Wakes the writer for what deferred commands queued.
    pub fn kick(&self) {
        let mut g = self.lock();
        if std::mem::take(&mut g.unkicked) {
            self.push_out(&mut g);
        }
    }

    /// Gets the queued bytes moving: written here and now if the writer task is idle and
    /// the socket takes them, else by the writer task, woken for it.
    fn push_out(&self, g: &mut Inner) {
        if g.out.is_empty() {
            return;
        }
        if !g.writing && !g.force {
            if let Some(w) = &g.direct {
                let n = writer::try_write(w, &g.out);
                if n > 0 {
                    let _ = g.out.split_to(n);
                    self.settle(g, n as u64, false);
                }
            }
        }
        if !g.out.is_empty() {
            self.writer.notify_one();
        }
    }

    /// A mark for everything queued so far: a [`ClientEvent::Written`] event reports when
    /// the socket took those bytes. 0 when they are settled already.
    pub fn write_mark(&self) -> u64 {
        let mut g = self.lock();
        if g.written >= g.queued {
            return 0;
        }
        g.watch = g.watch.max(g.queued);
        g.queued
    }

    /// Counts `n` bytes as written, reporting progress if the application waits for it.
    fn settle(&self, g: &mut Inner, n: u64, dropped: bool) {
        g.written += n;
        if g.watch > 0 {
            g.events.push(ClientEvent::Written {
                upto: g.written,
                dropped,
            });
            if g.written >= g.watch {
                g.watch = 0;
            }
            self.announce(g);
        }
    }

    /// Discards the bytes not written (the connection is gone), settling them as dropped.
    fn discard_out(&self, g: &mut Inner) {
        g.out.clear();
        let n = g.queued - g.written;
        if n > 0 {
            self.settle(g, n, true);
        }
    }

    /// Sets which packets are reported; see [`Observe`].
    pub fn observe(&self, observe: Observe) {
        self.lock().observe = observe;
    }

    /// Moves the session's packets into the write buffer and its events into the queue,
    /// waking the writer and the application as needed.
    pub(super) fn flush(&self, g: &mut Inner) {
        let was_empty = g.out.is_empty() || g.unkicked;
        self.queue_output(g);
        if was_empty && !g.out.is_empty() {
            g.unkicked = false;
            self.push_out(g);
        }
        self.queue_events(g);
    }

    /// Encodes the session's packets into the write buffer.
    fn queue_output(&self, g: &mut Inner) {
        let before = g.out.len();
        let version = g.session.version();
        while let Some(p) = g.session.poll_transmit() {
            if g.observe.sent {
                g.events.push(ClientEvent::Sent(p.clone()));
            }
            // Packets reach the session validated, so encoding cannot fail but on a bug;
            // such a packet is dropped rather than bringing the process down.
            let _ = p.encode(version, &mut g.out);
        }
        g.queued += (g.out.len() - before) as u64;
    }

    /// Moves the session's events to the application's queue and announces them.
    fn queue_events(&self, g: &mut Inner) {
        while let Some(e) = g.session.poll_event() {
            if let Event::Publish(p) = &e {
                g.pending_bytes += p.payload.len() + p.topic.len();
            }
            g.events.push(ClientEvent::Session(e));
        }
        self.announce(g);
    }

    fn announce(&self, g: &mut Inner) {
        // A read on the application's thread delivers its events itself, at its end.
        if !g.signaled && !g.in_app_read && !g.events.is_empty() {
            g.signaled = true;
            (self.notify)();
        }
    }

    /// Queues an event for the application and announces it.
    pub fn emit(&self, e: ClientEvent) {
        let mut g = self.lock();
        g.events.push(e);
        self.announce(&mut g);
    }

    /// Takes every queued event; the next event will be announced again.
    pub fn drain(&self) -> Vec<ClientEvent> {
        let events = {
            let mut g = self.lock();
            g.signaled = false;
            g.pending_bytes = 0;
            std::mem::take(&mut g.events)
        };
        self.drained.notify_one();
        events
    }

    /// True when the application is behind and reading should wait for a drain.
    fn backlogged(&self) -> bool {
        backlogged(&self.lock())
    }

    /// Asks the driver to stop: after flushing what is queued (DISCONNECT included), or at
    /// once with `force`.
    pub fn end(&self, force: bool) {
        {
            let mut g = self.lock();
            g.ending = true;
            g.force |= force;
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
        self.lock().drop_connection = true;
        self.wake.notify_one();
    }

    /// Local and remote address of the current TCP connection, if any.
    pub fn addresses(&self) -> Option<(std::net::SocketAddr, std::net::SocketAddr)> {
        self.lock().addresses
    }

    /// Starts the next connection attempt, to `host:port` (`app_reconnects` only).
    pub fn reconnect(&self, host: String, port: u16) {
        self.lock().next_server = Some((host, port));
        self.wake.notify_one();
    }

    fn take_drop(&self) -> bool {
        std::mem::take(&mut self.lock().drop_connection)
    }

    fn ending(&self) -> (bool, bool) {
        let g = self.lock();
        (g.ending, g.force)
    }
}

/// Connects, runs the connection, and reconnects after `reconnect_period`, until ended.
pub async fn run(shared: Arc<Shared>, cfg: Config) {
    let mut turn = 0usize;
    let mut next = cfg.servers.first().cloned();
    loop {
        if shared.ending().0 {
            break;
        }
        let Some((host, port)) = next.take() else {
            break;
        };
        let port = &port;
        turn += 1;
        let opened = tokio::select! {
            r = tokio::time::timeout(cfg.connect_timeout, open(&shared, &host, *port, &cfg)) => Some(r),
            _ = shared.wake.notified() => None,
        };
        let failure = match opened {
            // Woken while opening: a dropped connection (the application's connect timeout)
            // is this attempt, not the next one.
            None => {
                shared.take_drop();
                None
            }
            Some(Ok(Ok(Opened::Tcp(stream)))) => tcp_connection(&shared, stream, &cfg).await.err(),
            Some(Ok(Ok(Opened::Other(stream)))) => {
                let (rd, wr) = tokio::io::split(stream);
                connection(&shared, Reading::Task(rd), Writer::Stream(wr), &cfg)
                    .await
                    .err()
            }
            Some(Ok(Err(failure))) => Some(failure),
            Some(Err(_)) => Some(("ETIMEDOUT", format!("connect ETIMEDOUT {host}:{port}"))),
        };
        #[cfg(unix)]
        shared.end_app_read();
        {
            let mut g = shared.lock();
            g.direct = None;
            g.writing = false;
            g.addresses = None;
            g.session.handle_connection_lost();
            shared.discard_out(&mut g);
        }
        if let Some((code, message)) = failure {
            if !shared.ending().1 {
                shared.emit(ClientEvent::Error { code, message });
            }
        }
        shared.emit(ClientEvent::Close);
        if cfg.app_reconnects {
            // The application's reconnect timer (or reconnect()) says when and where.
            loop {
                if shared.ending().0 {
                    break;
                }
                if let Some(server) = shared.lock().next_server.take() {
                    next = Some(server);
                    break;
                }
                shared.wake.notified().await;
            }
            continue;
        }
        let Some(period) = cfg.reconnect_period else {
            break;
        };
        if shared.ending().0 {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = shared.wake.notified() => {}
        }
        if shared.ending().0 {
            break;
        }
        shared.emit(ClientEvent::Reconnect);
        if !cfg.servers.is_empty() {
            next = Some(cfg.servers[turn % cfg.servers.len()].clone());
        }
    }
    shared.emit(ClientEvent::Finished);
}

fn backlogged(g: &Inner) -> bool {
    g.events.len() >= MAX_PENDING_EVENTS || g.pending_bytes >= MAX_PENDING_BYTES
}

/// Why a connection failed: Node-style code and message.
pub type Failure = (&'static str, String);

fn session_failure(e: SessionError) -> Failure {
    match e {
        SessionError::KeepaliveTimeout => ("ERR_KEEPALIVE_TIMEOUT", "Keepalive timeout".into()),
        SessionError::ConnectTimeout => ("ERR_CONNACK_TIMEOUT", "connack timeout".into()),
        SessionError::Refused(code) => ("ERR_MQTT_REFUSED", format!("connection refused: {code}")),
        other => ("ERR_MQTT_PROTOCOL", other.to_string()),
    }
}

/// A plain TCP connection: read by the application's thread when it can watch the socket
/// (see [`super::app_read`]), else by the I/O task; written directly (see [`writer`]).
async fn tcp_connection(
    shared: &Arc<Shared>,
    stream: TcpStream,
    cfg: &Config,
) -> Result<(), Failure> {
    #[cfg(unix)]
    if shared.lock().read_thread != ReadThread::Io {
        let (sock, id) = shared
            .begin_app_read(stream, decoder(shared, cfg))
            .map_err(|e| io_failure(&e))?;
        let wr = Direct::App(sock);
        shared.lock().direct = Some(wr.clone());
        let rd = Reading::<tokio::net::tcp::OwnedReadHalf>::App(id);
        return connection(shared, rd, Writer::Direct(wr), cfg).await;
    }
    let (rd, wr) = stream.into_split();
    let wr = Direct::Half(Arc::new(wr));
    shared.lock().direct = Some(wr.clone());
    connection(shared, Reading::Task(rd), Writer::Direct(wr), cfg).await
}

/// Who reads a connection.
enum Reading<R> {
    /// The I/O task, from this stream.
    Task(R),
    /// The application's thread, connection `id` (see [`super::app_read`]).
    #[cfg(unix)]
    App(u64),
}

fn decoder(shared: &Shared, cfg: &Config) -> Decoder {
    Decoder {
        version: shared.lock().session.version(),
        max_packet_size: cfg.max_packet_size.min(MAX_PACKET_SIZE),
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
        let now = Instant::now();
        loop {
            match decoder.decode(buf) {
                Ok(p) => {
                    if g.observe.received {
                        g.events.push(ClientEvent::Received(p.clone()));
                    }
                    g.session.handle_packet(p, now).map_err(session_failure)?;
                }
                Err(DecodeError::Incomplete { .. }) => return Ok(()),
                Err(e) => {
                    let code = crate::error::Error::from(e.clone()).code();
                    return Err((code, e.to_string()));
                }
            }
        }
    }
}

/// Runs one connection until it closes, fails, or the client ends.
async fn connection<R: AsyncRead + Unpin>(
    shared: &Arc<Shared>,
    reading: Reading<R>,
    mut wr: Writer,
    cfg: &Config,
) -> Result<(), Failure> {
    {
        let mut g = shared.lock();
        shared.discard_out(&mut g);
        g.session.handle_connected(Instant::now());
        shared.flush(&mut g);
    }
    let writer = async {
        loop {
            let (buf, ending, force) = {
                let mut g = shared.lock();
                let buf = g.out.split();
                g.writing = !buf.is_empty();
                (buf, g.ending, g.force)
            };
            if force {
                return Ok(());
            }
            if !buf.is_empty() {
                wr.write_all(&buf).await.map_err(|e| io_failure(&e))?;
                let mut g = shared.lock();
                g.writing = false;
                shared.settle(&mut g, buf.len() as u64, false);
                continue;
            }
            if ending {
                // Everything queued before `end` (DISCONNECT last) is out; no other thread
                // writes from here on.
                shared.lock().direct = None;
                wr.shutdown().await;
                return Ok(());
            }
            shared.writer.notified().await;
        }
    };
    let reader = async {
        match reading {
            Reading::Task(rd) => task_reader(shared, rd, cfg).await,
            #[cfg(unix)]
            Reading::App(id) => app_reader(shared, id).await,
        }
    };
    tokio::select! {
        r = writer => {
            // The writer ends first on end(): wait briefly for the server to close.
            r?;
            Ok(())
        }
        r = reader => r,
    }
}

/// The I/O task reads the connection.
async fn task_reader(
    shared: &Arc<Shared>,
    mut rd: impl AsyncRead + Unpin,
    cfg: &Config,
) -> Result<(), Failure> {
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let mut decoder = decoder(shared, cfg);
    let mut paused = false;
    loop {
        let deadline = shared.lock().session.poll_timeout();
        tokio::select! {
            r = rd.read_buf(&mut buf), if !paused => {
                let n = r.map_err(|e| io_failure(&e))?;
                if n == 0 {
                    // The server closed its side cleanly: a close, not an error (as a
                    // Node socket reports a FIN).
                    return Ok(());
                }
                let mut g = shared.lock();
                let r = shared.take_packets(&mut g, &mut buf, &mut decoder);
                shared.flush(&mut g);
                r?;
                drop(g);
                if buf.capacity() < 4096 {
                    buf.reserve(64 * 1024);
                }
                paused = shared.backlogged();
            }
            _ = shared.drained.notified(), if paused => {
                paused = shared.backlogged();
            }
            _ = sleep_until(deadline) => {
                let mut g = shared.lock();
                if paused {
                    g.session.handle_backlog(Instant::now());
                }
                let r = g.session.handle_timeout(Instant::now());
                shared.flush(&mut g);
                r.map_err(session_failure)?;
            }
            _ = shared.wake.notified() => {
                match woken(shared) {
                    Woken::Stop => return Ok(()),
                    Woken::Ending => {
                        // Give the writer time to flush DISCONNECT, then stop reading.
                        let _ = tokio::time::timeout(Duration::from_secs(1), rd.read_buf(&mut buf)).await;
                        return Ok(());
                    }
                    Woken::Go => {}
                }
            }
        }
    }
}

/// The application's thread reads the connection; this task keeps its timers, reading
/// what waits itself before a timer runs (the application may be busy), and reads the
/// connection while the application's read handed it over (data streams in).
#[cfg(unix)]
async fn app_reader(shared: &Arc<Shared>, id: u64) -> Result<(), Failure> {
    // While this task reads: the socket under a second descriptor, registered for
    // readability (the first stays registered for writability only).
    let mut watch: Option<AppSocket> = None;
    let mut paused = false;
    loop {
        if let Some(end) = shared.take_app_end(id) {
            return end;
        }
        match (shared.io_read_socket(id), watch.is_some()) {
            (Some(sock), false) => {
                watch = Some(watch_readable(&sock).map_err(|e| io_failure(&e))?);
            }
            (None, true) => watch = None,
            _ => {}
        }
        let deadline = {
            let mut g = shared.lock();
            g.app_timer = g.session.poll_timeout();
            g.app_timer
        };
        tokio::select! {
            _ = sleep_until(deadline) => {
                let more = shared.read_app(id, false) == AppReadOutcome::More;
                if let Some(end) = shared.take_app_end(id) {
                    return end;
                }
                let mut g = shared.lock();
                if more || backlogged(&g) {
                    g.session.handle_backlog(Instant::now());
                }
                let r = g.session.handle_timeout(Instant::now());
                shared.flush(&mut g);
                r.map_err(session_failure)?;
            }
            ready = readable(watch.as_ref()), if !paused => {
                let mut guard = ready.map_err(|e| io_failure(&e))?;
                if shared.read_app(id, false) != AppReadOutcome::More {
                    // The read emptied the socket; its next data is a new edge.
                    guard.clear_ready();
                }
                // The application is behind: read on once it drained.
                paused = shared.backlogged();
            }
            _ = shared.drained.notified(), if paused => {
                paused = shared.backlogged();
            }
            _ = shared.wake.notified() => {
                match woken(shared) {
                    Woken::Stop => return Ok(()),
                    Woken::Ending => {
                        // Give the writer time to flush DISCONNECT and the server time to
                        // close, then stop.
                        let until = Instant::now() + Duration::from_secs(1);
                        while shared.take_app_end(id).is_none() {
                            let left = until.saturating_duration_since(Instant::now());
                            if tokio::time::timeout(left, shared.wake.notified()).await.is_err() {
                                break;
                            }
                        }
                        return Ok(());
                    }
                    Woken::Go => {}
                }
            }
        }
    }
}

/// Waits until `watch` is readable; never, without one.
#[cfg(unix)]
async fn readable(
    watch: Option<&AppSocket>,
) -> std::io::Result<tokio::io::unix::AsyncFdReadyGuard<'_, std::net::TcpStream>> {
    match watch {
        Some(w) => w.readable().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}

/// Why the reader was woken.
enum Woken {
    /// Close the connection now (dropped, or a forced end).
    Stop,
    /// The client ends: let DISCONNECT go out first.
    Ending,
    /// Something else (the application's read may have ended the connection).
    Go,
}

fn woken(shared: &Shared) -> Woken {
    if shared.take_drop() {
        return Woken::Stop;
    }
    match shared.ending() {
        (_, true) => Woken::Stop,
        (true, false) => {
            shared.writer.notify_one();
            Woken::Ending
        }
        _ => Woken::Go,
    }
}

pub(super) fn io_failure(e: &std::io::Error) -> Failure {
    let t = transport::Error::Io {
        context: "socket".into(),
        source: std::io::Error::new(e.kind(), e.to_string()),
    };
    (t.code(), e.to_string())
}
