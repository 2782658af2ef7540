//! Profiling aid: decodes a stream of 16-byte QoS 0 PUBLISH packets in a loop.
//! `cargo run --profile fast --example decode_loop` (use with perf or valgrind).

use bytes::{Bytes, BytesMut};
use mqtt_napi::codec::{Decoder, Packet, ProtocolVersion, Publish};

fn main() {
    let p = Packet::Publish(Publish {
        topic: "sensors/building-1/floor-2/temperature".try_into().unwrap(),
        payload: Bytes::from(vec![0x5a; 16]),
        ..Default::default()
    });
    let mut stream = BytesMut::new();
    for _ in 0..10_000 {
        p.encode(ProtocolVersion::V4, &mut stream).unwrap();
    }
    let t0 = std::time::Instant::now();
    let mut total = 0usize;
    for _ in 0..300 {
        let mut buf = stream.clone();
        let mut d = Decoder::default();
        while let Ok(p) = d.decode(&mut buf) {
            std::hint::black_box(&p);
            total += 1;
        }
    }
    let dt = t0.elapsed().as_secs_f64();
    eprintln!(
        "{total} packets, {:.1} ns each, {:.2} M/s",
        dt * 1e9 / total as f64,
        total as f64 / dt / 1e6
    );
}
