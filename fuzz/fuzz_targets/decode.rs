//! Feeds arbitrary bytes to the streaming decoder at each protocol level, in random chunk
//! sizes, with a size limit; whatever decodes must encode again and decode to the same
//! packet. Run: `cargo +nightly fuzz run decode` (or RUSTC_BOOTSTRAP=1 on stable).
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use mqtt_napi::codec::{DecodeError, Decoder, Packet, ProtocolVersion};

fuzz_target!(|data: &[u8]| {
    let Some((&control, input)) = data.split_first() else {
        return;
    };
    let version = match control % 3 {
        0 => ProtocolVersion::V3,
        1 => ProtocolVersion::V4,
        _ => ProtocolVersion::V5,
    };
    let chunk = 1 + (control as usize >> 2);
    let mut decoder = Decoder {
        version,
        max_packet_size: 4096,
    };
    let mut buf = BytesMut::new();
    for piece in input.chunks(chunk) {
        buf.extend_from_slice(piece);
        loop {
            match decoder.decode(&mut buf) {
                Ok(packet) => roundtrip(&packet, &decoder),
                Err(DecodeError::Incomplete { .. }) => break,
                Err(_) => return,
            }
        }
    }
});

fn roundtrip(packet: &Packet, decoder: &Decoder) {
    let level = match packet {
        Packet::Connect(c) => c.level,
        _ => decoder.version,
    };
    let mut out = BytesMut::new();
    packet
        .encode(level, &mut out)
        .expect("a decoded packet must encode");
    let mut again = Decoder {
        version: level,
        max_packet_size: usize::MAX,
    };
    let back = again
        .decode(&mut out)
        .expect("an encoded packet must decode");
    assert_eq!(&back, packet, "decode(encode(p)) != p");
    assert!(out.is_empty());
}
