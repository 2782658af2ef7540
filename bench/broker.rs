//! The benchmarks' fast fake broker (not part of the package): `npm run bench` builds it with
//! `cargo build --profile fast --example bench_broker` and starts it on a loopback port.
//!
//! It prints `PORT <n>` once listening, then per connection (MQTT 3.1.1):
//! - CONNECT gets CONNACK; PINGREQ gets PINGRESP; DISCONNECT closes.
//! - SUBSCRIBE to `bench/recv/<count>/<size>/<qos>` gets SUBACK, then `count` PUBLISH packets
//!   of `size` bytes at `qos` on `bench/t`, pre-encoded and written as fast as the socket
//!   takes them (QoS 1 ids cycle through 1..=65535; PUBACKs are read and dropped).
//! - A client whose id is `sink-<count>` is a publisher: its QoS 1 PUBLISH gets PUBACK, QoS 2
//!   PUBREC, PUBREL gets PUBCOMP, and after `count` PUBLISH packets the broker sends one
//!   QoS 0 PUBLISH on `bench/done`.
//!
//! Nothing is routed between clients: it answers as fast as it can, which is the point.
//!
//! `bench_broker <port> [tls <cert.pem> <key.pem>] [ws]`: the same over TLS, WebSocket (any
//! path, binary frames), or WebSocket over TLS.

use bytes::{Bytes, BytesMut};
use mqtt_napi::codec::{
    Ack, ConnAck, DecodeError, Decoder, Packet, ProtocolVersion, Publish, QoS, SubAck,
};
use std::sync::Arc;

use mqtt_napi::transport::ws::WsIo;
use mqtt_napi::transport::Stream;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, WriteHalf};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

const V4: ProtocolVersion = ProtocolVersion::V4;

enum Out {
    Bytes(Bytes),
    /// `count` packets of `len` bytes each, from a chunk that repeats.
    Bulk {
        chunk: Bytes,
        len: usize,
        count: u64,
    },
}

fn encode(p: &Packet, out: &mut BytesMut) {
    if let Err(e) = p.encode(V4, out) {
        eprintln!("bench broker: cannot encode: {e}");
    }
}

/// `count` PUBLISH packets of `size` bytes at `qos`, as a repeating chunk of equal packets.
fn bulk(count: u64, size: usize, qos: QoS) -> Out {
    let payload = Bytes::from(vec![0x5a; size]);
    let per_chunk: u64 = if qos == QoS::AtMostOnce {
        (256 * 1024 / (size + 16)).max(1) as u64
    } else {
        65_535
    };
    let mut chunk = BytesMut::new();
    for i in 0..per_chunk.min(count.max(1)) {
        let p = Packet::Publish(Publish {
            qos,
            packet_id: if qos == QoS::AtMostOnce {
                0
            } else {
                (i % 65_535) as u16 + 1
            },
            topic: "bench/t".try_into().unwrap_or_default(),
            payload: payload.clone(),
            ..Default::default()
        });
        encode(&p, &mut chunk);
    }
    let n = per_chunk.min(count.max(1)) as usize;
    let len = chunk.len() / n;
    Out::Bulk {
        chunk: chunk.freeze(),
        len,
        count,
    }
}

async fn writer<S: AsyncWrite>(mut wr: WriteHalf<S>, mut rx: mpsc::UnboundedReceiver<Out>) {
    while let Some(o) = rx.recv().await {
        let r = match o {
            Out::Bytes(b) => wr.write_all(&b).await,
            Out::Bulk { chunk, len, count } => {
                let per = (chunk.len() / len) as u64;
                let mut left = count;
                let mut r = Ok(());
                while left > 0 && r.is_ok() {
                    let n = left.min(per);
                    r = wr.write_all(&chunk[..n as usize * len]).await;
                    left -= n;
                }
                r
            }
        };
        let r = match r {
            Ok(()) => wr.flush().await,
            e => e,
        };
        if r.is_err() {
            return;
        }
    }
    let _ = wr.shutdown().await;
}

/// `bench/recv/<count>/<size>/<qos>`
fn parse_recv(topic: &str) -> Option<(u64, usize, QoS)> {
    let mut it = topic.strip_prefix("bench/recv/")?.split('/');
    let count = it.next()?.parse().ok()?;
    let size = it.next()?.parse().ok()?;
    let qos = QoS::from_u8(it.next()?.parse().ok()?)?;
    Some((count, size, qos))
}

async fn serve<S: AsyncRead + AsyncWrite + Send + 'static>(stream: S) {
    let (mut rd, wr) = tokio::io::split(stream);
    let (tx, rx) = mpsc::unbounded_channel();
    let w = tokio::spawn(writer(wr, rx));
    let mut decoder = Decoder {
        version: V4,
        ..Default::default()
    };
    let mut buf = BytesMut::with_capacity(256 * 1024);
    let mut sink_left: Option<u64> = None;
    'conn: loop {
        match rd.read_buf(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let mut out = BytesMut::new();
        loop {
            let p = match decoder.decode(&mut buf) {
                Ok(p) => p,
                Err(DecodeError::Incomplete { .. }) => break,
                Err(e) => {
                    eprintln!("bench broker: {e}");
                    break 'conn;
                }
            };
            match p {
                Packet::Connect(c) => {
                    sink_left = c
                        .client_id
                        .as_str()
                        .strip_prefix("sink-")
                        .and_then(|n| n.parse().ok());
                    encode(&Packet::ConnAck(ConnAck::default()), &mut out);
                }
                Packet::PingReq => encode(&Packet::PingResp, &mut out),
                Packet::Subscribe(s) => {
                    let codes = s.filters.iter().map(|f| f.qos as u8).collect();
                    encode(
                        &Packet::SubAck(SubAck {
                            packet_id: s.packet_id,
                            return_codes: codes,
                            ..Default::default()
                        }),
                        &mut out,
                    );
                    for f in &s.filters {
                        if let Some((count, size, qos)) = parse_recv(f.filter.as_str()) {
                            let _ = tx.send(Out::Bytes(out.split().freeze()));
                            let _ = tx.send(bulk(count, size, qos));
                        }
                    }
                }
                Packet::Publish(p) => {
                    match p.qos {
                        QoS::AtMostOnce => {}
                        QoS::AtLeastOnce => {
                            encode(&Packet::PubAck(Ack::new(p.packet_id)), &mut out)
                        }
                        QoS::ExactlyOnce => {
                            encode(&Packet::PubRec(Ack::new(p.packet_id)), &mut out)
                        }
                    }
                    if let Some(left) = sink_left.as_mut() {
                        *left = left.saturating_sub(1);
                        if *left == 0 {
                            sink_left = None;
                            let done = Packet::Publish(Publish {
                                topic: "bench/done".try_into().unwrap_or_default(),
                                ..Default::default()
                            });
                            encode(&done, &mut out);
                        }
                    }
                }
                Packet::PubRel(a) => encode(&Packet::PubComp(Ack::new(a.packet_id)), &mut out),
                Packet::Disconnect(_) => break 'conn,
                _ => {}
            }
        }
        if !out.is_empty() && tx.send(Out::Bytes(out.freeze())).is_err() {
            break;
        }
    }
    drop(tx);
    let _ = w.await;
}

fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bench broker: {e}");
            std::process::exit(1);
        }
    };
    let args: Vec<String> = std::env::args().collect();
    let ws = args.iter().any(|a| a == "ws");
    let tls = args.iter().position(|a| a == "tls").map(|i| {
        let cert = args.get(i + 1).map(String::as_str).unwrap_or("");
        let key = args.get(i + 2).map(String::as_str).unwrap_or("");
        acceptor(cert, key).unwrap_or_else(|e| {
            eprintln!("bench broker: {e}");
            std::process::exit(1);
        })
    });
    rt.block_on(async move {
        let listener = match TcpListener::bind(("127.0.0.1", port)).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("bench broker: cannot listen: {e}");
                std::process::exit(1);
            }
        };
        if let Ok(a) = listener.local_addr() {
            // The bench reads the port from stdout.
            #[allow(clippy::print_stdout)]
            {
                println!("PORT {}", a.port());
            }
        }
        while let Ok((s, _)) = listener.accept().await {
            let _ = s.set_nodelay(true);
            let (tls, ws) = (tls.clone(), ws);
            tokio::spawn(async move {
                let stream: Stream = match tls {
                    Some(acceptor) => match acceptor.accept(s).await {
                        Ok(t) => Box::new(t),
                        Err(e) => return eprintln!("bench broker: TLS: {e}"),
                    },
                    None => Box::new(s),
                };
                if ws {
                    match tokio_tungstenite::accept_hdr_async(stream, subprotocol).await {
                        Ok(w) => serve(WsIo::new(w)).await,
                        Err(e) => eprintln!("bench broker: WebSocket: {e}"),
                    }
                } else {
                    serve(stream).await
                }
            });
        }
    });
}

fn acceptor(cert: &str, key: &str) -> Result<TlsAcceptor, String> {
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|i| i.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{cert}: {e}"))?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{key}: {e}"))?;
    let config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| e.to_string())?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Accepts the `mqtt` subprotocol the clients offer.
#[allow(clippy::result_large_err)]
fn subprotocol(
    req: &tokio_tungstenite::tungstenite::handshake::server::Request,
    mut resp: tokio_tungstenite::tungstenite::handshake::server::Response,
) -> Result<
    tokio_tungstenite::tungstenite::handshake::server::Response,
    tokio_tungstenite::tungstenite::handshake::server::ErrorResponse,
> {
    if let Some(p) = req.headers().get("Sec-WebSocket-Protocol") {
        let chosen = if p.as_bytes().starts_with(b"mqttv3.1") {
            "mqttv3.1"
        } else {
            "mqtt"
        };
        if let Ok(v) = chosen.parse() {
            resp.headers_mut().insert("Sec-WebSocket-Protocol", v);
        }
    }
    Ok(resp)
}
