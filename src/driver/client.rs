//! The client driver: joins a [`Session`] to a transport, and keeps reconnecting.
//!
//! The session and the bytes waiting to be written live in [`Shared`], behind one mutex that
//! the application's thread (JS) and the I/O task both take briefly. A command such as
//! `publish` runs on the caller's thread, encodes straight into the write buffer and wakes
//! the writer only when that buffer goes from empty to non-empty. Events for the
//! application are queued and announced once through `notify` until drained.
//!
//! Per connection, two tasks: a reader (socket reads, decoding, the session's timers) and a
//! writer (flushes the write buffer). On plain TCP and TLS, whoever queues bytes while the
//! writer is idle writes them itself without blocking ([`writer`](super::writer)); the
//! writer task takes what the socket did not. Keepalive runs here, on tokio's clock, so a busy JS
//! event loop cannot make the connection time out.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::mpsc::unbounded_channel;

use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::ClientConfig;

#[cfg(unix)]
use super::app_read::{watch_readable, AppReadOutcome};
#[cfg(unix)]
use super::app_tls::AppTls;
use super::gate;
#[cfg(unix)]
use super::io::AppSocket;
use super::io::{io_failure, now, Failure, ReadBuffer};
use super::js_stream::JsStream;
#[cfg(unix)]
use super::shared::ReadThread;
use super::shared::{backlogged, ClientEvent, Shared};
use super::writer::{Direct, Writer};
use crate::codec::{Decoder, MAX_PACKET_SIZE};
use crate::transport::ws::{self, WsOptions};
use crate::transport::{self, tls, Stream};

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
    /// Boxed: the TLS state is large, and only the connection's heap should hold it.
    Tls(Box<TlsStream<TcpStream>>),
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
                transport::socks::connect(proxy, host, port)
                    .await
                    .map_err(Failure::from)?
            }
            None => connect_tcp(shared, host, port).await?,
        };
        note_addresses(shared, &tcp);
        match tls {
            None if cfg.ws.is_none() => return Ok(Opened::Tcp(tcp)),
            None => Box::new(tcp),
            Some(t) => {
                let name = tls::server_name(t.servername.as_deref(), host)?;
                let stream = tls::handshake(tcp, t.config.clone(), name).await?;
                if cfg.ws.is_none() {
                    return Ok(Opened::Tls(Box::new(stream)));
                }
                Box::new(stream)
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

/// Opens plain TCP, the common case, without [`open`]'s state for the other transports.
async fn open_tcp(shared: &Shared, host: &str, port: u16) -> Result<Opened, Failure> {
    let tcp = connect_tcp(shared, host, port).await?;
    note_addresses(shared, &tcp);
    Ok(Opened::Tcp(tcp))
}

/// Opens TCP to the server once its gate lets the attempt start (see [`gate`]); the
/// attempt's permit is kept with the session until its CONNACK or its end.
async fn connect_tcp(shared: &Shared, host: &str, port: u16) -> Result<TcpStream, Failure> {
    let ticket = match gate::gate(host, port) {
        Some(g) => {
            let limit = g.window().limit;
            let waiting = Instant::now();
            let ticket = g.enter().await;
            let waited = waiting.elapsed();
            if waited >= Duration::from_millis(1) {
                shared.log(format_args!(
                    "waited {} ms at the opening gate of {host}:{port} (window {limit})",
                    waited.as_millis()
                ));
            }
            Some(ticket)
        }
        None => None,
    };
    if ticket.is_some() && shared.given_up() {
        shared.log(format_args!(
            "the connect timeout ran out at the opening gate: {host}:{port} not opened"
        ));
        // The application's connect timer ran out while this attempt waited at the gate;
        // its drop is on the way (the application's thread runs timers one by one, while
        // the permit came from another client's drop). Opening now would show the server
        // a client that has given up. The permit goes back; the drop (or, with the event
        // loop blocked, the native timeout) ends the attempt.
        drop(ticket);
        return std::future::pending().await;
    }
    let started = Instant::now();
    let tcp = transport::tcp::connect(host, port)
        .await
        .map_err(Failure::from)?;
    if let Some(t) = ticket {
        t.opened(started.elapsed());
        shared.lock().opening = Some(t);
    }
    Ok(tcp)
}

/// Keeps the connection's addresses for the application (`stream.localPort`...).
fn note_addresses(shared: &Shared, tcp: &TcpStream) {
    if let (Ok(local), Ok(peer)) = (tcp.local_addr(), tcp.peer_addr()) {
        shared.lock().addresses = Some((local, peer));
    }
}

/// The transport's name in log lines.
fn transport_name(cfg: &Config) -> &'static str {
    if cfg.js_stream {
        return "an application stream";
    }
    if cfg.unix_path.is_some() {
        return "a Unix socket";
    }
    match (cfg.ws.is_some(), cfg.tls.is_some(), cfg.socks.is_some()) {
        (true, true, _) => "WebSocket over TLS",
        (true, false, _) => "WebSocket",
        (false, true, true) => "TLS through a SOCKS proxy",
        (false, true, false) => "TLS",
        (false, false, true) => "TCP through a SOCKS proxy",
        (false, false, false) => "TCP",
    }
}

/// Plain TCP only: no Unix socket, proxy, TLS, WebSocket or application stream.
fn plain_tcp(cfg: &Config) -> bool {
    !cfg.js_stream
        && cfg.unix_path.is_none()
        && cfg.socks.is_none()
        && cfg.tls.is_none()
        && cfg.ws.is_none()
}

/// Awaits what `open` starts within the connect timeout; `None` when woken first (a
/// dropped connection or the end). Started here and polled by hand: a future passed in, or
/// `select!`, would keep its state twice over in the task's, which plain TCP's opening is
/// part of.
async fn within_timeout<F: Future<Output = Result<Opened, Failure>>>(
    shared: &Shared,
    timeout: Duration,
    open: impl FnOnce() -> F,
) -> Option<Result<Result<Opened, Failure>, tokio::time::error::Elapsed>> {
    let mut opening = pin!(tokio::time::timeout(timeout, open()));
    let mut woken = pin!(shared.wake.notified());
    std::future::poll_fn(|cx| {
        // The wake first: an end or a dropped connection wins over an opening that finished
        // in the same turn.
        if woken.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        if let Poll::Ready(r) = opening.as_mut().poll(cx) {
            return Poll::Ready(Some(r));
        }
        Poll::Pending
    })
    .await
}

/// Connects, runs the connection, and reconnects after `reconnect_period`, until ended.
pub async fn run(shared: Arc<Shared>, cfg: Box<Config>) {
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
        shared.log(format_args!(
            "connecting to {host}:{port} over {}, attempt {turn}",
            transport_name(&cfg)
        ));
        let started = Instant::now();
        // Plain TCP opens in the task's own state, smaller than the connection's after it.
        // The other transports' opening (TLS and WebSocket handshakes, SOCKS) takes more, and
        // the task's size is its largest state: it is boxed, on the heap only while opening.
        // (Not boxing plain TCP also spares the I/O thread's heap: thousands of clients
        // connecting at once left it holey, the boxes freed between the sockets' lasting
        // registrations, ~1 KiB of RSS per client.)
        let opened = if plain_tcp(&cfg) {
            within_timeout(&shared, cfg.connect_timeout, || {
                open_tcp(&shared, &host, *port)
            })
            .await
        } else {
            within_timeout(&shared, cfg.connect_timeout, || {
                Box::pin(open(&shared, &host, *port, &cfg))
            })
            .await
        };
        // Ended while opening: the connection is not used (no CONNECT goes out for a client
        // its program has ended, which a server would see as a client arriving).
        let opened = match opened {
            Some(Ok(Ok(_))) if shared.ending().0 => None,
            o => o,
        };
        if let Some(Ok(Ok(_))) = opened {
            shared.log(format_args!(
                "connected to {host}:{port} in {:.1} ms",
                started.elapsed().as_secs_f64() * 1e3
            ));
        }
        let failure = match opened {
            // Woken while opening: a dropped connection (the application's connect timeout)
            // is this attempt, not the next one.
            None => {
                shared.take_drop();
                None
            }
            Some(Ok(Ok(Opened::Tcp(stream)))) => tcp_connection(&shared, stream, &cfg).await.err(),
            Some(Ok(Ok(Opened::Tls(stream)))) => tls_connection(&shared, stream, &cfg).await.err(),
            Some(Ok(Ok(Opened::Other(stream)))) => {
                let (rd, wr) = tokio::io::split(stream);
                connection(&shared, Reading::Task(rd), Writer::Stream(wr), &cfg)
                    .await
                    .err()
            }
            Some(Ok(Err(failure))) => Some(failure),
            Some(Err(_)) => Some(Failure::new(
                "ETIMEDOUT",
                format!("connect ETIMEDOUT {host}:{port}"),
            )),
        };
        #[cfg(unix)]
        shared.end_app_read();
        {
            let mut g = shared.lock();
            g.write.direct = None;
            g.write.writing = false;
            g.addresses = None;
            g.opening = None;
            g.session.handle_connection_lost();
            shared.discard_out(&mut g);
        }
        match &failure {
            Some(f) => shared.log(format_args!(
                "connection to {host}:{port} ended: {}: {}",
                f.code, f.message
            )),
            None => shared.log(format_args!("connection to {host}:{port} closed")),
        }
        if let Some(failure) = failure {
            if !shared.ending().1 {
                shared.emit(ClientEvent::Error(failure));
            }
        }
        shared.emit(ClientEvent::Close);
        if cfg.app_reconnects {
            // The application's reconnect timer (or reconnect()) says when and where.
            loop {
                if shared.ending().0 {
                    break;
                }
                if let Some(server) = shared.lock().stop.next_server.take() {
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
        shared.log(format_args!("reconnecting in {} ms", period.as_millis()));
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

/// Runs a plain TCP connection: read on the application's thread when it watches sockets
/// (see [`super::app_read`]), else by the I/O task; written directly (see [`writer`]).
async fn tcp_connection(
    shared: &Arc<Shared>,
    stream: TcpStream,
    cfg: &Config,
) -> Result<(), Failure> {
    #[cfg(unix)]
    if shared.lock().reader.thread != ReadThread::Io {
        let (rd, wr) = app_connection(shared, stream, None, cfg)?;
        return connection(shared, rd, wr, cfg).await;
    }
    let (rd, wr) = stream.into_split();
    let wr = Direct::Half(Arc::new(wr));
    shared.lock().write.direct = Some(wr.clone());
    connection(shared, Reading::Task(rd), Writer::Direct(wr), cfg).await
}

/// Runs a TLS connection (not WebSocket): read on the application's thread like plain TCP
/// (see [`super::app_tls`]), else by the I/O task through tokio-rustls.
async fn tls_connection(
    shared: &Arc<Shared>,
    stream: Box<TlsStream<TcpStream>>,
    cfg: &Config,
) -> Result<(), Failure> {
    #[cfg(unix)]
    if shared.lock().reader.thread != ReadThread::Io {
        let (tcp, conn) = stream.into_inner();
        let (rd, wr) = app_connection(shared, tcp, Some(Arc::new(AppTls::new(conn))), cfg)?;
        return connection(shared, rd, wr, cfg).await;
    }
    let stream: Stream = stream;
    let (rd, wr) = tokio::io::split(stream);
    connection(shared, Reading::Task(rd), Writer::Stream(wr), cfg).await
}

/// Sets up a connection read on the application's thread (see [`super::app_read`]), plain
/// TCP or, with `tls`, TLS, and written directly by whichever thread queues the bytes. Not
/// async: the caller awaits [`connection`] itself, so the task holds no extra frame.
#[cfg(unix)]
fn app_connection(
    shared: &Arc<Shared>,
    tcp: TcpStream,
    tls: Option<Arc<AppTls>>,
    cfg: &Config,
) -> Result<(Reading<tokio::net::tcp::OwnedReadHalf>, Writer), Failure> {
    let (sock, id) = shared
        .begin_app_read(tcp, decoder(shared, cfg), tls.clone())
        .map_err(|e| io_failure(&e))?;
    let wr = match tls {
        Some(tls) => Direct::AppTls(sock, tls),
        None => Direct::App(sock),
    };
    shared.lock().write.direct = Some(wr.clone());
    Ok((Reading::App(id), Writer::Direct(wr)))
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
        g.session.handle_connected(now());
        shared.flush(&mut g);
    }
    let writer = async {
        loop {
            let (buf, ending, force) = {
                let mut g = shared.lock();
                let buf = g.write.out.split();
                g.write.writing = !buf.is_empty();
                (buf, g.stop.ending, g.stop.force)
            };
            if force {
                return Ok::<(), Failure>(());
            }
            // The writes are boxed: they take more state than the rest of the connection
            // while it idles, and a task's size is its largest state.
            if !buf.is_empty() {
                Box::pin(wr.write_all(&buf))
                    .await
                    .map_err(|e| io_failure(&e))?;
                let mut g = shared.lock();
                g.write.writing = false;
                shared.settle(&mut g, buf.len() as u64, false);
                continue;
            }
            // What a write from another thread left sealed but unwritten (TLS).
            if wr.has_pending() {
                Box::pin(wr.flush_pending())
                    .await
                    .map_err(|e| io_failure(&e))?;
            }
            if ending {
                // Everything queued before `end` (DISCONNECT last) is out; no other thread
                // writes from here on.
                shared.lock().write.direct = None;
                Box::pin(wr.shutdown()).await;
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
    let mut rb = ReadBuffer::default();
    let mut decoder = decoder(shared, cfg);
    let mut paused = false;
    loop {
        let deadline = shared.lock().session.poll_timeout();
        tokio::select! {
            r = rb.read_from(&mut rd), if !paused => {
                let (n, room) = r.map_err(|e| io_failure(&e))?;
                if n == 0 {
                    // The server closed its side cleanly: a close, not an error (as a
                    // Node socket reports a FIN).
                    return Ok(());
                }
                let mut g = shared.lock();
                let r = shared.take_packets(&mut g, &mut rb.buf, &mut decoder);
                shared.flush(&mut g);
                r?;
                drop(g);
                rb.done(n, room);
                paused = shared.backlogged();
            }
            _ = shared.drained.notified(), if paused => {
                paused = shared.backlogged();
            }
            _ = sleep_until(deadline) => {
                let mut g = shared.lock();
                if paused {
                    g.session.handle_backlog(now());
                }
                let r = g.session.handle_timeout(now());
                shared.flush(&mut g);
                r.map_err(Failure::from)?;
            }
            _ = shared.wake.notified() => {
                match woken(shared) {
                    Woken::Stop => return Ok(()),
                    Woken::Ending => {
                        // Give the writer time to flush DISCONNECT, then stop reading.
                        let _ = tokio::time::timeout(Duration::from_secs(1), rd.read_buf(&mut rb.buf)).await;
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
            g.reader.app_timer = g.session.poll_timeout();
            g.reader.app_timer
        };
        tokio::select! {
            _ = sleep_until(deadline) => {
                let more = shared.read_app(id, false, false) == AppReadOutcome::More;
                if let Some(end) = shared.take_app_end(id) {
                    return end;
                }
                let mut g = shared.lock();
                if more || backlogged(&g) {
                    g.session.handle_backlog(now());
                }
                let r = g.session.handle_timeout(now());
                shared.flush(&mut g);
                r.map_err(Failure::from)?;
            }
            ready = readable(watch.as_ref()), if !paused => {
                let mut guard = ready.map_err(|e| io_failure(&e))?;
                if shared.read_app(id, false, false) != AppReadOutcome::More {
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
                        let until = now() + Duration::from_secs(1);
                        while shared.take_app_end(id).is_none() {
                            let left = until.saturating_duration_since(now());
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

/// Waits until `watch` is readable; never, without one. The wait is boxed: only a
/// connection whose data streams in has one, and inline it would take 176 bytes of every
/// idle connection's task.
#[cfg(unix)]
async fn readable(
    watch: Option<&AppSocket>,
) -> std::io::Result<tokio::io::unix::AsyncFdReadyGuard<'_, std::net::TcpStream>> {
    match watch {
        Some(w) => Box::pin(w.readable()).await,
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
