//! The tape reader: what JS hands the native client (`new`, `restore`, `send`) as words and
//! byte ranges. Arbitrary words over arbitrary bytes must read as packets or as an error,
//! never a panic; a packet read that encodes must decode and encode to the same bytes, and
//! must come back the same through the tape writer and the reader again.
//! Run: `cargo +nightly fuzz run tape` (or RUSTC_BOOTSTRAP=1 on stable).
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use mqtt_napi::codec::{Decoder, Packet};
use mqtt_napi::fuzzing::{read_tape, write_tape};

fuzz_target!(|input: &[u8]| {
    // [n: words as u16s] [words...] [bytes...]; small word values keep ranges in bounds often.
    let Some((&n, rest)) = input.split_first() else {
        return;
    };
    let n = (n as usize).min(rest.len() / 2);
    let (head, bytes) = rest.split_at(n * 2);
    let words: Vec<u32> = head
        .chunks(2)
        .map(|c| {
            let w = u16::from_le_bytes([c[0], c[1]]) as u32;
            // The top bit widens a word to the values a tape can carry (u32::MAX ranges).
            if w & 0x8000 != 0 {
                w << 16 | w
            } else {
                w
            }
        })
        .collect();
    let (data, payload) = bytes.split_at(bytes.len() / 2);
    for (level, packet) in read_tape(&words, data, payload).into_iter().flatten() {
        let mut out = BytesMut::new();
        if packet.encode(level, &mut out).is_err() {
            continue;
        }
        let level = match &packet {
            Packet::Connect(c) => c.level,
            _ => level,
        };
        // What is sent is what the encoder wrote: decoding it and encoding again gives the
        // same bytes (fields a level cannot carry, such as a reason code below level 5, are
        // dropped by the first encode, as mqtt-packet drops them).
        let wire = out.clone().freeze();
        let mut decoder = Decoder {
            version: level,
            max_packet_size: usize::MAX,
        };
        let back = decoder
            .decode(&mut out)
            .expect("an encoded packet must decode");
        let mut again = BytesMut::new();
        back.encode(level, &mut again)
            .expect("a decoded packet must encode");
        assert_eq!(
            &again[..],
            &wire[..],
            "encode(decode(encode(p))) != encode(p)"
        );
        let (w, d) = write_tape(&packet, level);
        let again = read_tape(&w, &d, &d);
        assert_eq!(again.len(), 1);
        let (lvl, p2) = again
            .into_iter()
            .next()
            .unwrap()
            .expect("a written record must read");
        assert_eq!(lvl, level);
        assert_eq!(p2, packet, "the tape writer and reader disagree");
    }
});
