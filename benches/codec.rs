//! Decode and encode rates of the codec alone for PUBLISH with 16 B and 1 KiB payloads, at
//! QoS 0 and 1, measured per packet over a stream of packets as a socket would deliver it.
//! Run: `cargo bench --bench codec`.

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mqtt_napi::codec::{Decoder, Packet, ProtocolVersion, Publish, QoS};

const N: usize = 10_000;

fn publish(size: usize, qos: QoS, i: usize) -> Packet {
    Packet::Publish(Publish {
        qos,
        packet_id: if qos == QoS::AtMostOnce {
            0
        } else {
            (i % 65_535 + 1) as u16
        },
        topic: "sensors/building-1/floor-2/temperature".try_into().unwrap(),
        payload: Bytes::from(vec![0x5a; size]),
        ..Default::default()
    })
}

fn stream(size: usize, qos: QoS) -> (Vec<Packet>, BytesMut) {
    let packets: Vec<Packet> = (0..N).map(|i| publish(size, qos, i)).collect();
    let mut buf = BytesMut::new();
    for p in &packets {
        p.encode(ProtocolVersion::V4, &mut buf).unwrap();
    }
    (packets, buf)
}

fn bench(c: &mut Criterion) {
    for (size, qos, name) in [
        (16, QoS::AtMostOnce, "16B qos0"),
        (1024, QoS::AtMostOnce, "1KiB qos0"),
        (16, QoS::AtLeastOnce, "16B qos1"),
    ] {
        let (packets, bytes) = stream(size, qos);
        let mut g = c.benchmark_group(format!("publish {name}"));
        g.throughput(Throughput::Elements(N as u64));
        g.bench_function("decode", |b| {
            b.iter(|| {
                let mut buf = bytes.clone();
                let mut d = Decoder::default();
                let mut n = 0;
                while let Ok(p) = d.decode(&mut buf) {
                    std::hint::black_box(&p);
                    n += 1;
                }
                assert_eq!(n, N);
            })
        });
        g.bench_function("encode", |b| {
            let mut out = BytesMut::with_capacity(bytes.len());
            b.iter(|| {
                out.clear();
                for p in &packets {
                    p.encode(ProtocolVersion::V4, &mut out).unwrap();
                }
                std::hint::black_box(&out);
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
