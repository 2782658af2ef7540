//! The session state machine under random sequences of calls and server packets (decoded
//! from the input, or acks made up for ids in use). (A PUBREL answers the server's PUBREC with
//! its id, whatever it is, so it is not a new flow.) It must never panic; every packet it
//! asks to send must encode; what it sends as a new flow carries a non-zero packet id; it
//! never has more flows in flight than it was given; after a connection ends and another
//! opens, the first packet is CONNECT; once ended (DISCONNECT), it sends nothing more.
//! Run: `cargo +nightly fuzz run session` (or RUSTC_BOOTSTRAP=1 on stable).
#![no_main]

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use mqtt_napi::codec::{
    Ack, ConnAck, Connect, Decoder, Disconnect, MqttStr, Packet, ProtocolVersion, Publish, QoS,
    SubAck, Subscribe, Subscription, UnsubAck, Unsubscribe,
};
use mqtt_napi::session::{Options, Session};

struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn take(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }
}

fn qos(b: u8) -> QoS {
    match b % 3 {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}

fn topic(b: u8) -> MqttStr {
    MqttStr::new(["a", "a/b", "c/d/e"][b as usize % 3]).unwrap()
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let Some(control) = input.byte() else { return };
    let version = [
        ProtocolVersion::V3,
        ProtocolVersion::V4,
        ProtocolVersion::V5,
    ][control as usize % 3];
    let connect = Connect {
        level: version,
        clean_start: control & 4 != 0,
        keep_alive: if control & 8 != 0 { 0 } else { 10 },
        client_id: MqttStr::new("fuzz").unwrap(),
        ..Default::default()
    };
    let mut opts = Options::new(connect);
    opts.hold_queue = control & 16 != 0;
    opts.queue_qos_zero = control & 32 == 0;
    let mut now = Instant::now();
    let mut session = Session::new(opts, now);
    let mut given = 0usize; // QoS 1/2 publishes, subscribes and unsubscribes accepted
    let mut ids: Vec<u16> = Vec::new(); // packet ids seen going out, for made-up acks
    let mut expect_connect = false;

    while let Some(op) = input.byte() {
        let arg = input.byte().unwrap_or(0);
        let id = || {
            ids.get(arg as usize % ids.len().max(1))
                .copied()
                .unwrap_or(1)
        };
        let made_up = |kind: u8, id: u16| -> Packet {
            let ack = Ack {
                packet_id: id,
                reason_code: if arg & 0x80 != 0 { 0x80 } else { 0 },
                ..Default::default()
            };
            match kind % 6 {
                0 => Packet::PubAck(ack),
                1 => Packet::PubRec(ack),
                2 => Packet::PubComp(ack),
                3 => Packet::PubRel(ack),
                4 => Packet::SubAck(SubAck {
                    packet_id: id,
                    return_codes: vec![arg % 3],
                    ..Default::default()
                }),
                _ => Packet::UnsubAck(UnsubAck {
                    packet_id: id,
                    reason_codes: if version == ProtocolVersion::V5 {
                        vec![0]
                    } else {
                        vec![]
                    },
                    ..Default::default()
                }),
            }
        };
        let result = match op % 14 {
            0 => {
                session.handle_connected(now);
                expect_connect = !session.is_ended();
                Ok(())
            }
            1 => {
                session.handle_connection_lost();
                Ok(())
            }
            2 => {
                let p = Publish {
                    qos: qos(arg),
                    topic: topic(arg >> 2),
                    payload: Bytes::from_static(b"x"),
                    ..Default::default()
                };
                let q = p.qos;
                session.publish(p, now).map(|_| {
                    if q != QoS::AtMostOnce {
                        given += 1
                    }
                })
            }
            3 => {
                let s = Subscribe {
                    filters: vec![Subscription {
                        filter: topic(arg),
                        qos: qos(arg >> 2),
                        ..Default::default()
                    }],
                    ..Default::default()
                };
                session.subscribe(s, now).map(|_| given += 1)
            }
            4 => {
                let u = Unsubscribe {
                    filters: vec![topic(arg)],
                    ..Default::default()
                };
                session.unsubscribe(u, now).map(|_| given += 1)
            }
            5 => {
                // A server packet from the input's bytes.
                let bytes = input.take(arg as usize);
                let mut buf = BytesMut::from(bytes);
                match (Decoder {
                    version,
                    max_packet_size: 4096,
                })
                .decode(&mut buf)
                {
                    Ok(p) => session.handle_packet(p, now),
                    Err(_) => Ok(()),
                }
            }
            6 => session.handle_packet(made_up(arg, id()), now),
            7 => session.handle_packet(
                Packet::ConnAck(ConnAck {
                    session_present: arg & 1 != 0,
                    code: if arg & 2 != 0 { 0x87 } else { 0 },
                    ..Default::default()
                }),
                now,
            ),
            8 => {
                now += Duration::from_millis(arg as u64 * 100);
                session.handle_timeout(now)
            }
            9 => {
                session.ack_incoming(id(), qos(arg), 0, now);
                Ok(())
            }
            10 => {
                session.complete_incoming(id(), now);
                Ok(())
            }
            11 => {
                session.remove_outgoing(id(), now);
                Ok(())
            }
            12 => {
                session.release_queue(now);
                Ok(())
            }
            _ => {
                session.disconnect(Disconnect::default(), now);
                Ok(())
            }
        };
        let _ = result; // refusals are fine; panics are not

        let ended = session.is_ended() && !matches!(op % 14, 13);
        let mut first = true;
        while let Some(p) = session.poll_transmit() {
            assert!(!ended, "sent after the session ended: {p:?}");
            if expect_connect && first {
                assert!(
                    matches!(p, Packet::Connect(_)),
                    "a new connection starts with CONNECT, not {p:?}"
                );
                expect_connect = false;
            }
            first = false;
            let level = match &p {
                Packet::Connect(c) => c.level,
                _ => version,
            };
            let mut out = BytesMut::new();
            p.encode(level, &mut out).unwrap_or_else(|e| {
                panic!("the session sent a packet that does not encode: {p:?}: {e}")
            });
            let new_id = match &p {
                Packet::Publish(x) if x.qos != QoS::AtMostOnce => Some(x.packet_id),
                Packet::Subscribe(x) => Some(x.packet_id),
                Packet::Unsubscribe(x) => Some(x.packet_id),
                _ => None,
            };
            if let Some(pid) = new_id {
                assert_ne!(pid, 0, "an outgoing flow with packet id 0: {p:?}");
                if !ids.contains(&pid) {
                    ids.push(pid);
                }
            }
            if let Packet::Publish(x) = &p {
                if x.qos != QoS::AtMostOnce && !ids.contains(&x.packet_id) {
                    ids.push(x.packet_id);
                }
            }
        }
        while session.poll_event().is_some() {}
        assert!(
            session.in_flight() <= given,
            "{} flows in flight, {given} given",
            session.in_flight()
        );
    }
});
