//! `NativeClient`: the native half of `MqttClient`. JS sends packets as tape records (the
//! same layout as `mqtt-napi/packet`) and drains events in batches: the client's drain
//! function is called when events are waiting (`notifier.rs`), and `drain()` returns all
//! of them as tape records whose bytes are copied into one Buffer.

use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use napi::bindgen_prelude::Buffer;
use napi::Env;
use napi_derive::napi;

use super::client_calls::{core, register, unregister, Core};
use super::client_tape::{read_owned, session_error};
use super::env_hook::EnvHook;
use super::error::{invalid_arg, Code, JsError};
use super::notifier;
use super::tape::TapeReader;
use crate::codec::{Auth, Connect, Packet, ProtocolVersion, MAX_PACKET_SIZE};
use crate::driver::catch_panic::CatchPanic;
use crate::driver::client::{self as driver, Config};
use crate::driver::io::Failure;
use crate::driver::shared::{ClientEvent, Feed, Observe, Shared};
use crate::session::{Options, PingPolicy, Session};
use crate::transport::socks;
use crate::transport::tls::{self, TlsOptions};
use crate::transport::ws::WsOptions;

/// The I/O runtime shared by every client of the process (one thread: the work per packet
/// is small). Failing to start it is reported to JS, not panicked on.
fn runtime() -> Result<&'static tokio::runtime::Runtime, JsError> {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    if let Some(rt) = RT.get() {
        return Ok(rt);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("mqtt-napi-io")
        .enable_all()
        .build()
        .map_err(|e| {
            napi::Error::new(
                Code("ERR_MQTT_NAPI_RUNTIME"),
                format!("cannot start the I/O runtime: {e}"),
            )
        })?;
    // Another thread may have won the race; its runtime is used and ours dropped.
    let _ = RT.set(rt);
    RT.get()
        .ok_or_else(|| napi::Error::new(Code("ERR_MQTT_NAPI_RUNTIME"), "I/O runtime unavailable"))
}

/// How to reach the broker and how to behave; the CONNECT itself comes as a tape record.
#[napi(object)]
pub struct NativeClientOptions {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u32,
    /// More brokers to rotate through on reconnect, as `host:port` strings (MQTT.js
    /// `servers`); when given, they replace `host`/`port`.
    pub servers: Option<Vec<String>>,
    /// Milliseconds between reconnect attempts; 0 turns reconnecting off.
    pub reconnect_period: f64,
    /// Milliseconds allowed to connect and get a CONNACK.
    pub connect_timeout: f64,
    /// Milliseconds of the application's own connect timer, counted from this call and
    /// from each `reconnect`: an attempt still waiting at the opening gate when it has
    /// passed is not opened (the application drops it). None: no such timer.
    pub app_connect_timeout: Option<f64>,
    /// MQTT.js `reschedulePings`.
    pub reschedule_pings: bool,
    /// JS runs MQTT.js's keepalive timer and sends the pings (`ping`), and is told of each
    /// PINGRESP; this side pings and times out only when JS is late (its thread blocked).
    pub js_keepalive: Option<bool>,
    /// After each CONNACK the offline queue waits for `releaseQueue`.
    pub hold_queue: Option<bool>,
    /// MQTT.js `queueQoSZero`.
    pub queue_qos_zero: bool,
    /// MQTT.js `resubscribe`.
    pub resubscribe: bool,
    /// Largest packet accepted from the server; 0 for the protocol's limit.
    pub max_packet_size: f64,
    /// First packet id the default allocator hands out.
    pub first_packet_id: u32,
    /// MQTT.js `autoUseTopicAlias` (MQTT 5).
    pub auto_use_topic_alias: Option<bool>,
    /// MQTT.js `autoAssignTopicAlias` (MQTT 5).
    pub auto_assign_topic_alias: Option<bool>,
    /// TLS (`mqtts://`, `wss://`); absent for plain TCP.
    pub tls: Option<NativeTlsOptions>,
    /// WebSocket (`ws://`, `wss://`); absent for plain MQTT.
    pub ws: Option<NativeWsOptions>,
    /// A SOCKS proxy for TCP and TLS connections (MQTT.js `socksProxy`).
    pub socks: Option<NativeSocksOptions>,
    /// A Unix socket path instead of host and port (`mqtt+unix://`, `unixSocket`).
    pub unix_path: Option<String>,
    /// Connections are Duplex streams JS opens (MQTT.js `streamBuilder`).
    pub js_stream: Option<bool>,
    /// JS decides when and where to reconnect (`reconnect`), as MQTT.js's reconnect timer
    /// does; `reconnectPeriod` and `servers` past the first are then not used here.
    pub app_reconnects: Option<bool>,
}

/// A CONNECT tape record, read and deep-copied.
/// The CONNECT record, and the AUTH record that may follow it (MQTT.js's `authPacket`).
fn read_connect(connect_tape: &[u32], data: &[u8]) -> Result<(Connect, Option<Auth>), JsError> {
    // The packets are read over a copy of the JS bytes: they own everything they hold.
    let mut reader = TapeReader::new(connect_tape, Bytes::copy_from_slice(data), Bytes::new());
    let (_, packet) = reader.packet().map_err(invalid_arg)?;
    let Packet::Connect(connect) = packet else {
        return Err(invalid_arg("the first record must be a CONNECT"));
    };
    let connect = *connect;
    connect.check().map_err(|v| invalid_arg(v.to_string()))?;
    if reader.at_end() {
        return Ok((connect, None));
    }
    let (_, packet) = reader.packet().map_err(invalid_arg)?;
    let Packet::Auth(auth) = packet else {
        return Err(invalid_arg("the record after the CONNECT must be an AUTH"));
    };
    auth.check(connect.level)
        .map_err(|v| invalid_arg(v.to_string()))?;
    Ok((connect, Some(auth)))
}

/// A SOCKS proxy (MQTT.js `socksProxy`, parsed in JS as MQTT.js parses it).
#[napi(object)]
pub struct NativeSocksOptions {
    /// The proxy's host.
    pub host: String,
    /// The proxy's port.
    pub port: u32,
    /// 4 or 5.
    pub version: u32,
    /// The proxy resolves the broker's name (`socks4a:`, `socks5h:`).
    pub remote_dns: bool,
    /// From the URL's user info: SOCKS 5 user name and password, SOCKS 4 user id.
    pub username: Option<String>,
    /// See `username`.
    pub password: Option<String>,
    /// Milliseconds to reach the proxy and finish its handshake (MQTT.js `socksTimeout`).
    pub timeout: f64,
    /// A proxy URL MQTT.js refuses: each connection attempt fails with this message.
    pub error: Option<String>,
}

fn socks_proxy(s: NativeSocksOptions) -> Result<socks::Proxy, Failure> {
    if let Some(message) = s.error {
        return Err(Failure::new("SOCKS", message));
    }
    let port =
        u16::try_from(s.port).map_err(|_| ("SOCKS", "bad SOCKS URL: invalid port".to_string()))?;
    Ok(socks::Proxy {
        host: s.host,
        port,
        version: if s.version == 4 { 4 } else { 5 },
        remote_dns: s.remote_dns,
        auth: s.username.map(|u| (u, s.password.unwrap_or_default())),
        timeout: ms(s.timeout).max(Duration::from_millis(1)),
    })
}

/// MQTT.js's WebSocket options.
#[napi(object)]
pub struct NativeWsOptions {
    /// Request path (default `/mqtt`).
    pub path: String,
    /// Subprotocol (`mqtt`, or `mqttv3.1` at level 3).
    pub protocol: String,
    /// Extra headers, as `[name, value]` pairs.
    pub headers: Vec<Vec<String>>,
}

fn ws_options(w: NativeWsOptions) -> WsOptions {
    WsOptions {
        path: w.path,
        protocol: w.protocol,
        headers: w
            .headers
            .into_iter()
            .filter_map(|mut kv| {
                let v = kv.pop()?;
                let k = kv.pop()?;
                Some((k, v))
            })
            .collect(),
    }
}

/// Node's `tls.connect` options, with PEM contents already read by JS.
#[napi(object)]
pub struct NativeTlsOptions {
    /// Trusted CAs (PEM); absent: the operating system's trust store.
    pub ca: Option<Vec<Buffer>>,
    /// Client certificate chain (PEM), for mutual TLS.
    pub cert: Option<Buffer>,
    /// Client private key (PEM).
    pub key: Option<Buffer>,
    /// Check the server certificate (default true).
    pub reject_unauthorized: Option<bool>,
    /// Name checked against the certificate instead of the host.
    pub servername: Option<String>,
    /// ALPN protocols to offer.
    pub alpn_protocols: Option<Vec<String>>,
}

fn tls_setup(t: NativeTlsOptions) -> Result<driver::TlsSetup, Failure> {
    let opts = TlsOptions {
        ca: t
            .ca
            .unwrap_or_default()
            .iter()
            .map(|b| b.to_vec())
            .collect(),
        cert: t.cert.map(|b| b.to_vec()),
        key: t.key.map(|b| b.to_vec()),
        reject_unauthorized: t.reject_unauthorized.unwrap_or(true),
        alpn: t
            .alpn_protocols
            .unwrap_or_default()
            .into_iter()
            .map(String::into_bytes)
            .collect(),
    };
    let config = tls::client_config(&opts)?;
    Ok(driver::TlsSetup {
        config,
        servername: t.servername,
    })
}

/// One MQTT client connection (and its reconnects).
#[napi]
pub struct NativeClient {
    shared: Arc<Shared>,
    /// The protocol level, fixed by the CONNECT for the client's lifetime.
    version: ProtocolVersion,
    /// Key of this client for the per-message calls (`client_calls.rs`); 0 once ended.
    handle: u32,
    /// Until `start` hands it to the connection task (on the heap: a task's future holds
    /// its arguments twice, and thousands of idle clients each hold one).
    config: Option<Box<Config>>,
    started: bool,
    /// See [`NativeClientOptions::app_connect_timeout`].
    app_connect_timeout: Option<Duration>,
    /// Ends the connection when the JS environment goes away (a worker thread that
    /// terminates) while the client still runs; removed by `end`.
    cleanup: Option<EnvHook<(Weak<Shared>, u32)>>,
}

fn ms(v: f64) -> Duration {
    Duration::from_millis(if v.is_finite() && v > 0.0 {
        v as u64
    } else {
        0
    })
}

#[napi]
impl NativeClient {
    /// `connect_tape`/`data`: the CONNECT to send on every connection, as a tape record.
    #[napi(constructor, catch_unwind)]
    pub fn new(
        env: Env,
        opts: NativeClientOptions,
        connect_tape: &[u32],
        data: &[u8],
    ) -> Result<Self, JsError> {
        let (connect, connect_auth) = read_connect(connect_tape, data)?;
        let version = connect.level;
        let auto_alias = version.is_v5()
            && (opts.auto_use_topic_alias == Some(true)
                || opts.auto_assign_topic_alias == Some(true));
        let mut so = Options::new(connect);
        so.connect_auth = connect_auth;
        so.connect_timeout = ms(opts.connect_timeout).max(Duration::from_millis(1));
        so.pings = match (opts.js_keepalive, opts.reschedule_pings) {
            (Some(true), _) => PingPolicy::Backstop,
            (_, true) => PingPolicy::Traffic,
            (_, false) => PingPolicy::Steady,
        };
        so.queue_qos_zero = opts.queue_qos_zero;
        so.hold_queue = opts.hold_queue.unwrap_or(false);
        so.resubscribe = opts.resubscribe;
        so.first_packet_id = opts.first_packet_id.clamp(1, 65_535) as u16;
        so.auto_use_topic_alias = opts.auto_use_topic_alias.unwrap_or(false);
        so.auto_assign_topic_alias = opts.auto_assign_topic_alias.unwrap_or(false);
        let port = u16::try_from(opts.port).map_err(|_| invalid_arg("port must be 0 to 65535"))?;
        let mut servers = vec![(opts.host, port)];
        if let Some(list) = opts.servers.filter(|l| !l.is_empty()) {
            servers = list
                .iter()
                .map(|s| {
                    let (h, p) = s
                        .rsplit_once(':')
                        .ok_or_else(|| invalid_arg("servers entries are host:port"))?;
                    let p = p
                        .parse::<u16>()
                        .map_err(|_| invalid_arg(format!("bad port in {s}")))?;
                    Ok((
                        h.trim_start_matches('[').trim_end_matches(']').to_string(),
                        p,
                    ))
                })
                .collect::<Result<_, JsError>>()?;
        }
        let config = Config {
            servers,
            reconnect_period: (opts.reconnect_period > 0.0).then(|| ms(opts.reconnect_period)),
            connect_timeout: so.connect_timeout,
            max_packet_size: if opts.max_packet_size >= 1.0 {
                (opts.max_packet_size as usize).min(MAX_PACKET_SIZE)
            } else {
                MAX_PACKET_SIZE
            },
            tls: opts.tls.map(tls_setup),
            ws: opts.ws.map(ws_options),
            socks: opts.socks.map(socks_proxy),
            unix_path: opts.unix_path,
            js_stream: opts.js_stream.unwrap_or(false),
            app_reconnects: opts.app_reconnects.unwrap_or(false),
        };
        // SAFETY: the constructor's own environment, on its thread.
        let ready = unsafe { notifier::ready(env.raw()) }.ok_or_else(|| {
            napi::Error::new(
                Code("ERR_MQTT_NAPI_ENV"),
                "cannot make a client: its JS environment is shutting down",
            )
        })?;
        let session = Session::new(so, Instant::now());
        let handle = register(|handle| Core {
            shared: Shared::new(session, Box::new(move || ready.announce(handle))),
            version,
            auto_alias,
        });
        let shared = core(handle)?.shared.clone();
        let app_connect_timeout = opts.app_connect_timeout.map(ms);
        shared.give_up_after(app_connect_timeout);
        Ok(NativeClient {
            handle,
            shared,
            version,
            config: Some(Box::new(config)),
            started: false,
            app_connect_timeout,
            cleanup: None,
        })
    }

    /// Starts connecting. The client's drain function (`clientAttach`, called first) is
    /// called whenever events wait to be drained.
    #[napi(catch_unwind)]
    pub fn start(&mut self, env: Env) -> Result<(), JsError> {
        let started = self.spawn(&env);
        if started.is_err() {
            // Nothing will finish: the client must not hold the event loop.
            notifier::finished(self.handle);
        }
        started
    }

    /// Takes back a QoS 1/2 PUBLISH    /// Takes back a QoS 1/2 PUBLISH or a PUBREL kept in the application's outgoing store,
    /// as a tape record. Returns false when its packet id is already in use.
    #[napi(catch_unwind)]
    pub fn restore(&self, tape: &[u32], data: &[u8], payload: &[u8]) -> Result<bool, JsError> {
        let packet = read_owned(tape, data, payload)?;
        packet
            .check(self.version)
            .map_err(|v| invalid_arg(v.to_string()))?;
        self.shared
            .command(|s, now| s.restore(packet, now))
            .map_err(session_error)
    }

    /// Turns on or off the reporting of every packet written (`sent`) or read
    /// (`received`), for MQTT.js's `packetsend` and `packetreceive` events.
    #[napi(catch_unwind)]
    pub fn observe(&self, sent: bool, received: bool) {
        self.shared.observe(Observe { sent, received });
    }

    /// Turns on or off the driver's lines (connection attempts and their outcome, the
    /// opening gate, reconnects) as LOG events, for `DEBUG=mqttjs:native`.
    #[napi(catch_unwind)]
    pub fn set_log(&self, on: bool) {
        self.shared.set_log(on);
    }

    /// The key to pass to the per-message functions (`clientSend`, `clientAck`...).
    #[napi(catch_unwind)]
    pub fn handle(&self) -> u32 {
        self.handle
    }

    /// Forgets an outgoing flow (MQTT.js `removeOutgoingMessage`).
    #[napi(catch_unwind)]
    pub fn remove_outgoing(&self, id: u32) -> bool {
        self.shared
            .command(|s, now| s.remove_outgoing(id as u16, now))
    }

    /// The packet id most recently handed out.
    #[napi(catch_unwind)]
    pub fn last_packet_id(&self) -> u32 {
        self.shared.command(|s, _| s.last_packet_id() as u32)
    }

    /// Sends what waits behind the CONNACK (the offline queue, then the resubscription):
    /// JS calls it from its CONNACK handling, as MQTT.js's first `connect` listener sends
    /// its queue, so callbacks of queued messages come before the server can have them.
    #[napi(catch_unwind)]
    pub fn release_queue(&self) {
        self.shared.command(|s, now| s.release_queue(now));
    }

    /// Sends a PINGREQ now (MQTT.js `sendPing`, called by its keepalive timer); nothing
    /// when not connected. JS reports it as sent itself, at once, as MQTT.js does.
    #[napi(catch_unwind)]
    pub fn ping(&self) {
        self.shared.command_deferred(false, |s, now| s.ping(now));
        self.shared.kick();
    }

    /// Unfinished outgoing flows and queued QoS 0 publishes.
    #[napi(catch_unwind)]
    pub fn pending(&self) -> u32 {
        self.shared
            .command(|s, _| (s.in_flight() + s.queued()) as u32)
    }

    /// Which thread reads the current connection now: `js`, `io`, or `none` (no plain
    /// TCP connection read on the JS thread). For tests and diagnostics.
    #[napi(catch_unwind)]
    pub fn read_thread(&self) -> &'static str {
        #[cfg(unix)]
        return self.shared.current_reader();
        #[cfg(not(unix))]
        "none"
    }

    /// Bytes read from the JS Duplex of the current connection (`jsStream`); false when
    /// no such connection takes them (they are dropped, as a closed socket's would be).
    #[napi(catch_unwind)]
    pub fn feed(&self, data: &[u8]) -> bool {
        self.shared
            .feed(Feed::Data(bytes::Bytes::copy_from_slice(data)))
    }

    /// The JS Duplex of the current connection ended, closed or failed.
    #[napi(catch_unwind)]
    pub fn feed_end(&self) {
        self.shared.feed(Feed::End);
    }

    /// Starts the next connection attempt to `host:port` with this CONNECT (a tape record),
    /// after a close (`appReconnects`); the session (in-flight flows, packet ids) carries on.
    #[napi(catch_unwind)]
    pub fn reconnect(
        &self,
        host: String,
        port: u32,
        connect_tape: &[u32],
        data: &[u8],
    ) -> Result<(), JsError> {
        let (connect, auth) = read_connect(connect_tape, data)?;
        let port = u16::try_from(port).map_err(|_| invalid_arg("port must be 0 to 65535"))?;
        self.shared.command(|s, _| s.set_connect(connect, auth));
        self.shared.give_up_after(self.app_connect_timeout);
        self.shared.reconnect(host, port);
        Ok(())
    }

    /// The current TCP connection's `[localAddress, localPort, remoteAddress, remotePort]`
    /// (as Node's socket gives them), or null when there is none (or it is a Unix socket).
    #[napi(catch_unwind)]
    pub fn addresses(&self) -> Option<Vec<String>> {
        let (local, peer) = self.shared.addresses()?;
        Some(vec![
            local.ip().to_string(),
            local.port().to_string(),
            peer.ip().to_string(),
            peer.port().to_string(),
        ])
    }

    /// Drops the current connection; reconnecting follows the usual rules.
    #[napi(catch_unwind)]
    pub fn drop_connection(&self) {
        self.shared.drop_connection();
    }

    /// Stops: after writing what is queued, or at once with `force`.
    #[napi(catch_unwind)]
    pub fn end(&self, force: bool) {
        self.shared.end(force);
    }

    /// Releases what the client holds for JS once it has finished (or is abandoned, as by
    /// `reconnect`): it stops at once, its handle stops working, and the environment no
    /// longer needs to stop it at teardown.
    #[napi(catch_unwind)]
    pub fn dispose(&mut self, env: Env) {
        self.shared.end(true);
        unregister(std::mem::take(&mut self.handle));
        if let Some(hook) = self.cleanup.take() {
            hook.remove(&env);
        }
    }
}

impl NativeClient {
    fn spawn(&mut self, env: &Env) -> Result<(), JsError> {
        if self.started {
            return Err(invalid_arg("already started"));
        }
        let rt = runtime()?;
        let Some(config) = self.config.take() else {
            return Err(invalid_arg("already started"));
        };
        self.started = true;
        let weak = Arc::downgrade(&self.shared);
        let handle = self.handle;
        self.cleanup = EnvHook::add(env, (weak, handle), |(w, _h): (Weak<Shared>, u32)| {
            // The poll handle on this thread's loop must be closed before the loop is.
            #[cfg(unix)]
            super::poll::release(_h);
            if let Some(shared) = w.upgrade() {
                shared.end(true);
            }
        });
        let shared = self.shared.clone();
        rt.spawn(async move {
            // A panic in the driver (a bug) still ends the client for JS: an error and
            // FINISHED, rather than silence.
            if let Err(e) = CatchPanic::new(driver::run(shared.clone(), config)).await {
                shared.emit(ClientEvent::Error(Failure::new(
                    "ERR_MQTT_NAPI_INTERNAL",
                    format!("internal error in the connection task: {e}"),
                )));
                shared.emit(ClientEvent::Finished);
            }
        });
        Ok(())
    }
}

impl Drop for NativeClient {
    fn drop(&mut self) {
        if self.handle != 0 {
            unregister(self.handle);
        }
    }
}
