//! The client driver against a scripted broker on loopback: connect, QoS 1 round trip,
//! reconnect after a drop (with the in-flight PUBLISH resent, DUP set), keepalive (pings
//! answered keep the connection, unanswered ones end it in 1.5 keepalives), and reading
//! paused while the application does not drain its events (backpressure), and the
//! hand-over of reading between the application's thread and the I/O thread.
//!
//! The driver takes its time from tokio's clock (`driver::io::now`): the tests named
//! `paused_time_*` pause it, so minutes of keepalive and exact reconnect periods run at
//! once; the others run on the real clock with short keepalives. Every wait is bounded.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use mqtt_napi::codec::{
    Ack, ConnAck, Connect, DecodeError, Decoder, MqttStr, Packet, ProtocolVersion, Publish, QoS,
};
use mqtt_napi::driver::client::{run, Config};
use mqtt_napi::driver::shared::{ClientEvent, ReadThread, Shared};
use mqtt_napi::session::{Event, Options, Session};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const LEVEL: ProtocolVersion = ProtocolVersion::V4;

/// One connection as the broker sees it.
struct Peer {
    stream: TcpStream,
    buf: BytesMut,
    decoder: Decoder,
}

impl Peer {
    async fn accept(listener: &TcpListener) -> Peer {
        let (stream, _) = tokio::time::timeout(Duration::from_secs(5), listener.accept())
            .await
            .expect("the client connects within 5 s")
            .unwrap();
        Peer {
            stream,
            buf: BytesMut::new(),
            decoder: Decoder::new(LEVEL),
        }
    }

    /// The next packet, or `None` when the client closed or nothing came in `wait`.
    async fn recv_within(&mut self, wait: Duration) -> Option<Packet> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match self.decoder.decode(&mut self.buf) {
                Ok(p) => return Some(p),
                Err(DecodeError::Incomplete { .. }) => {}
                Err(e) => panic!("the client sent bytes that do not decode: {e}"),
            }
            let read = tokio::time::timeout_at(deadline, self.stream.read_buf(&mut self.buf));
            match read.await {
                Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return None,
                Ok(Ok(_)) => {}
            }
        }
    }

    async fn recv(&mut self) -> Packet {
        self.recv_within(Duration::from_secs(5))
            .await
            .expect("a packet within 5 s")
    }

    async fn send(&mut self, p: Packet) {
        let mut out = BytesMut::new();
        p.encode(LEVEL, &mut out).unwrap();
        self.stream.write_all(&out).await.unwrap();
    }

    /// Reads CONNECT and accepts it.
    async fn handshake(&mut self, session_present: bool) {
        assert!(matches!(self.recv().await, Packet::Connect(_)));
        self.send(Packet::ConnAck(ConnAck {
            session_present,
            code: 0,
            ..Default::default()
        }))
        .await;
    }
}

struct Client {
    shared: Arc<Shared>,
    seen: Vec<ClientEvent>,
}

impl Client {
    fn start(port: u16, keep_alive: u16, clean_start: bool) -> Client {
        Client::start_reading(port, keep_alive, clean_start, None)
    }

    /// `read_thread`: who reads plain TCP (`None`: the I/O task, the default).
    fn start_reading(
        port: u16,
        keep_alive: u16,
        clean_start: bool,
        read_thread: Option<ReadThread>,
    ) -> Client {
        let connect = Connect {
            level: LEVEL,
            clean_start,
            keep_alive,
            client_id: MqttStr::new("driver-test").unwrap(),
            ..Default::default()
        };
        let session = Session::new(Options::new(connect), Instant::now());
        let shared = Shared::new(session, Box::new(|| {}));
        if let Some(t) = read_thread {
            shared.set_read_thread(t);
        }
        let cfg = Config {
            servers: vec![("127.0.0.1".into(), port)],
            reconnect_period: Some(Duration::from_millis(100)),
            connect_timeout: Duration::from_secs(5),
            max_packet_size: 1 << 20,
            tls: None,
            ws: None,
            socks: None,
            unix_path: None,
            js_stream: false,
            app_reconnects: false,
        };
        tokio::spawn(run(shared.clone(), Box::new(cfg)));
        Client {
            shared,
            seen: Vec::new(),
        }
    }

    /// Drains events until one matches, within `wait`; returns it.
    async fn wait_for(
        &mut self,
        wait: Duration,
        what: &str,
        f: impl Fn(&ClientEvent) -> bool,
    ) -> ClientEvent {
        // tokio's clock: the real one, or the paused one in `paused_time_*` tests.
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            for e in self.shared.drain() {
                self.seen.push(e.clone());
                if f(&e) {
                    return e;
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no {what} within {wait:?}; seen: {:?}",
                self.seen
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    async fn connected(&mut self) {
        self.wait_for(Duration::from_secs(5), "CONNACK", |e| {
            matches!(e, ClientEvent::Session(Event::Connected(_)))
        })
        .await;
    }

    fn publish(&self, qos: QoS, payload: &'static [u8]) -> u16 {
        self.shared.command(|s, now| {
            s.publish(
                Publish {
                    qos,
                    topic: MqttStr::new("t/driver").unwrap(),
                    payload: Bytes::from_static(payload),
                    ..Default::default()
                },
                now,
            )
            .unwrap()
        })
    }
}

async fn broker() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_qos1_publish_should_complete_when_the_broker_acks_it() {
    let (listener, port) = broker().await;
    let mut client = Client::start(port, 60, true);
    let mut peer = Peer::accept(&listener).await;
    peer.handshake(false).await;
    client.connected().await;

    let id = client.publish(QoS::AtLeastOnce, b"hello");
    let Packet::Publish(p) = peer.recv().await else {
        panic!("PUBLISH expected")
    };
    assert_eq!(
        (p.packet_id, p.qos, &p.payload[..], p.dup),
        (id, QoS::AtLeastOnce, &b"hello"[..], false)
    );
    peer.send(Packet::PubAck(Ack::new(id))).await;
    client
        .wait_for(Duration::from_secs(5), "the PUBACK", |e| {
            matches!(e, ClientEvent::Session(Event::Published { packet_id, .. }) if *packet_id == id)
        })
        .await;
    client.shared.end(true);
    client
        .wait_for(Duration::from_secs(5), "FINISHED", |e| {
            matches!(e, ClientEvent::Finished)
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_drop_the_client_should_reconnect_and_resend_in_flight_with_dup() {
    let (listener, port) = broker().await;
    let mut client = Client::start(port, 60, false);
    let mut peer = Peer::accept(&listener).await;
    peer.handshake(false).await;
    client.connected().await;
    let id = client.publish(QoS::AtLeastOnce, b"again");
    assert!(matches!(peer.recv().await, Packet::Publish(_)));

    // The broker drops the connection without acking.
    drop(peer);
    client
        .wait_for(Duration::from_secs(5), "close", |e| {
            matches!(e, ClientEvent::Close)
        })
        .await;
    let dropped_at = Instant::now();
    let mut peer = Peer::accept(&listener).await;
    // reconnect_period is 100 ms: promptly, not at once and not much later.
    let waited = dropped_at.elapsed();
    assert!(
        waited < Duration::from_secs(2),
        "reconnected after {waited:?}"
    );
    peer.handshake(true).await;
    client.connected().await;
    let Packet::Publish(p) = peer.recv().await else {
        panic!("the in-flight PUBLISH is resent first")
    };
    assert_eq!(
        (p.packet_id, p.dup, &p.payload[..]),
        (id, true, &b"again"[..])
    );
    client.shared.end(true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answered_pings_should_keep_the_connection_and_unanswered_ones_end_it() {
    let (listener, port) = broker().await;
    let mut client = Client::start(port, 1, true);
    let mut peer = Peer::accept(&listener).await;
    peer.handshake(false).await;
    client.connected().await;

    // Three keepalives, every PINGREQ answered: still connected, and pings came.
    let until = Instant::now() + Duration::from_millis(3200);
    let mut pings = 0;
    while Instant::now() < until {
        if let Some(p) = peer.recv_within(Duration::from_millis(200)).await {
            assert!(matches!(p, Packet::PingReq), "{p:?}");
            pings += 1;
            peer.send(Packet::PingResp).await;
        }
    }
    assert!(
        (2..=4).contains(&pings),
        "{pings} pings in 3.2 s at keepalive 1 s"
    );
    assert!(!client
        .shared
        .drain()
        .iter()
        .any(|e| matches!(e, ClientEvent::Error(_) | ClientEvent::Close)));

    // Now the broker stays silent: the connection ends with a keepalive timeout.
    let silent = Instant::now();
    let e = client
        .wait_for(Duration::from_secs(4), "a keepalive timeout", |e| {
            matches!(e, ClientEvent::Error(_))
        })
        .await;
    let ClientEvent::Error(f) = e else {
        unreachable!()
    };
    assert_eq!(f.code, "ERR_KEEPALIVE_TIMEOUT");
    let after = silent.elapsed();
    assert!(
        after < Duration::from_millis(2500),
        "timed out after {after:?}"
    );
    client.shared.end(true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_should_pause_while_events_are_not_drained_and_resume_after() {
    let (listener, port) = broker().await;
    let mut client = Client::start(port, 60, true);
    let mut peer = Peer::accept(&listener).await;
    peer.handshake(false).await;
    client.connected().await;

    // 20,000 QoS 0 messages of 1 KiB: more than the 8,192 events the driver holds undrained.
    let n = 20_000usize;
    let writer = tokio::spawn(async move {
        let mut out = BytesMut::new();
        for _ in 0..n {
            Packet::Publish(Publish {
                topic: MqttStr::new("t/flood").unwrap(),
                payload: Bytes::from(vec![b'x'; 1024]),
                ..Default::default()
            })
            .encode(LEVEL, &mut out)
            .unwrap();
        }
        peer.stream.write_all(&out).await.unwrap();
        peer
    });
    // Not draining for a while: what the driver holds stays bounded.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let held = client.shared.drain();
    let publishes = held
        .iter()
        .filter(|e| matches!(e, ClientEvent::Session(Event::Publish(_))))
        .count();
    assert!(publishes > 0, "some messages arrived");
    assert!(publishes < n, "reading paused: {publishes} held of {n}");
    assert!(
        publishes <= 8192 + 1024,
        "{publishes} events held undrained"
    );
    // Draining lets the rest in.
    let mut total = publishes;
    let deadline = Instant::now() + Duration::from_secs(10);
    while total < n && Instant::now() < deadline {
        total += client
            .shared
            .drain()
            .iter()
            .filter(|e| matches!(e, ClientEvent::Session(Event::Publish(_))))
            .count();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(total, n, "every message after draining");
    let _peer = writer.await.unwrap();
    client.shared.end(true);
}

/// Plays the application's thread as JS does with its poll handle: watches the socket the
/// driver hands it, reads when it is readable, stops watching on a hand-over to the I/O
/// thread, and counts the messages delivered. Records who was reading as it went.
#[cfg(unix)]
fn app_thread(
    shared: Arc<Shared>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<(usize, Vec<&'static str>)> {
    use mqtt_napi::driver::app_read::AppReadOutcome;
    use std::sync::atomic::Ordering;
    std::thread::spawn(move || {
        let mut messages = 0;
        let mut readers: Vec<&'static str> = Vec::new();
        let count = |events: Vec<ClientEvent>| {
            events
                .iter()
                .filter(|e| matches!(e, ClientEvent::Session(Event::Publish(_))))
                .count()
        };
        while !stop.load(Ordering::Relaxed) {
            messages += count(shared.drain());
            let now = shared.current_reader();
            if readers.last() != Some(&now) {
                readers.push(now);
            }
            let Some((id, fd, _sock)) = shared.app_socket() else {
                std::thread::sleep(Duration::from_millis(1));
                continue;
            };
            let mut pfd = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one live pollfd, its count, a 10 ms timeout.
            let ready = unsafe { libc::poll(&mut pfd, 1, 10) };
            if ready <= 0 {
                continue;
            }
            match shared.read_app(id, true, false) {
                AppReadOutcome::Events | AppReadOutcome::Handoff { .. } => {
                    messages += count(shared.drain())
                }
                _ => {}
            }
        }
        messages += count(shared.drain());
        (messages, readers)
    })
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_should_move_to_the_io_thread_while_data_streams_and_come_back_when_quiet() {
    let (listener, port) = broker().await;
    let client = Client::start_reading(port, 60, true, Some(ReadThread::Adaptive));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let app = app_thread(client.shared.clone(), stop.clone());
    let mut peer = Peer::accept(&listener).await;
    peer.handshake(false).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while client.shared.current_reader() != "js" && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(
        client.shared.current_reader(),
        "js",
        "a quiet connection is read by the application"
    );

    // A burst: far more than one read's worth waits, so the I/O thread takes over.
    let burst = 5_000usize;
    let mut out = BytesMut::new();
    for _ in 0..burst {
        Packet::Publish(Publish {
            topic: MqttStr::new("t/burst").unwrap(),
            payload: Bytes::from(vec![b'x'; 1024]),
            ..Default::default()
        })
        .encode(LEVEL, &mut out)
        .unwrap();
    }
    peer.stream.write_all(&out).await.unwrap();
    // Then quiet: small messages, one at a time, until reading is back on the
    // application's thread (a few quiet reads in a row hand it back).
    let mut trickle = 0usize;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        peer.send(Packet::Publish(Publish {
            topic: MqttStr::new("t/trickle").unwrap(),
            payload: Bytes::from_static(b"."),
            ..Default::default()
        }))
        .await;
        trickle += 1;
        if trickle >= 10 && client.shared.current_reader() == "js" {
            break;
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (messages, readers) = app.join().unwrap();
    assert_eq!(messages, burst + trickle, "every message delivered once");
    let handed = readers.windows(3).any(|w| w == ["js", "io", "js"]);
    assert!(handed, "reader went js -> io -> js: {readers:?}");
    client.shared.end(true);
}

// With tokio's time paused (the driver and the session take their time from tokio's clock),
// minutes of keepalive and reconnect run at once and exactly.

#[tokio::test(start_paused = true)]
async fn paused_time_a_minute_keepalive_pings_each_minute_and_times_out_ninety_seconds_after_the_last_answer(
) {
    let (listener, port) = broker().await;
    let mut client = Client::start(port, 60, true);
    let mut peer = Peer::accept(&listener).await;
    peer.handshake(false).await;
    client.connected().await;
    let start = tokio::time::Instant::now();

    // Five and a half minutes, every PINGREQ answered: one a minute, to the second (the
    // clock started a few milliseconds after the CONNACK).
    let window = Duration::from_secs(330);
    let mut pings = Vec::new();
    while start.elapsed() < window {
        if let Some(p) = peer.recv_within(window - start.elapsed()).await {
            assert!(matches!(p, Packet::PingReq), "{p:?}");
            pings.push(start.elapsed().as_secs_f64().round() as u64);
            peer.send(Packet::PingResp).await;
        }
    }
    assert_eq!(pings, [60, 120, 180, 240, 300]);
    assert!(!client
        .shared
        .drain()
        .iter()
        .any(|e| matches!(e, ClientEvent::Error(_) | ClientEvent::Close)));

    // Silence: the next PINGREQ, at 360 s, goes unanswered; 1.5 keepalives after the last
    // PINGRESP (300 s) the connection ends: at 390 s.
    let p = peer.recv_within(Duration::from_secs(120)).await;
    assert!(matches!(p, Some(Packet::PingReq)), "{p:?}");
    assert_eq!(start.elapsed().as_secs_f64().round() as u64, 360);
    let e = client
        .wait_for(Duration::from_secs(120), "a keepalive timeout", |e| {
            matches!(e, ClientEvent::Error(_))
        })
        .await;
    let ClientEvent::Error(f) = e else {
        unreachable!()
    };
    assert_eq!(f.code, "ERR_KEEPALIVE_TIMEOUT");
    let at = start.elapsed().as_secs_f64().round() as u64;
    assert_eq!(at, 390, "timed out at {at} s");
    client.shared.end(true);
}

#[tokio::test(start_paused = true)]
async fn paused_time_a_reconnect_waits_the_reconnect_period_each_time() {
    let (listener, port) = broker().await;
    let mut client = Client::start(port, 60, true);
    let mut peer = Peer::accept(&listener).await;
    peer.handshake(false).await;
    client.connected().await;
    for _ in 0..3 {
        drop(peer);
        let dropped = tokio::time::Instant::now();
        peer = Peer::accept(&listener).await;
        let waited = dropped.elapsed();
        // reconnect_period is 100 ms (Client::start): exactly that, on the paused clock.
        assert!(
            waited >= Duration::from_millis(100) && waited < Duration::from_millis(150),
            "reconnected after {waited:?}"
        );
        peer.handshake(false).await;
        client.connected().await;
    }
    client.shared.end(true);
}
