//! Codec tests that span packets: streaming, size limits, property-based round trips, and
//! decoding arbitrary bytes. Per-packet byte fixtures live beside each packet.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;

use super::*;

/// Encodes one packet to a Vec.
pub(crate) fn encode(p: &Packet, v: ProtocolVersion) -> Vec<u8> {
    let mut b = BytesMut::new();
    p.encode(v, &mut b)
        .unwrap_or_else(|e| panic!("encode {p:?}: {e}"));
    assert_eq!(b.len(), p.encoded_len(v));
    b.to_vec()
}

/// Decodes every packet in `bytes`; panics on error or leftovers.
pub(crate) fn decode_all(bytes: &[u8], v: ProtocolVersion) -> Vec<Packet> {
    let mut d = Decoder::new(v);
    let mut buf = BytesMut::from(bytes);
    let mut out = Vec::new();
    while !buf.is_empty() {
        out.push(
            d.decode(&mut buf)
                .unwrap_or_else(|e| panic!("decode {bytes:?}: {e}")),
        );
    }
    out
}

/// The error message for bytes that must not decode.
pub(crate) fn decode_err(bytes: &[u8], v: ProtocolVersion) -> String {
    let mut d = Decoder::new(v);
    let mut buf = BytesMut::from(bytes);
    match d.decode(&mut buf) {
        Ok(p) => panic!("decoded {p:?} from {bytes:?}"),
        Err(DecodeError::Incomplete { .. }) => panic!("incomplete, not invalid: {bytes:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn partial_packet_should_be_incomplete_and_consume_nothing() {
    let bytes = encode(
        &Packet::Publish(Publish {
            topic: "t".try_into().unwrap(),
            payload: Bytes::from_static(b"0123456789"),
            ..Default::default()
        }),
        ProtocolVersion::V4,
    );
    let mut d = Decoder::default();
    for cut in 0..bytes.len() {
        let mut buf = BytesMut::from(&bytes[..cut]);
        match d.decode(&mut buf) {
            Err(DecodeError::Incomplete { needed }) => {
                assert!(
                    needed >= 1 && needed <= bytes.len() - cut,
                    "cut {cut}: {needed}"
                );
                assert_eq!(buf.len(), cut, "nothing consumed");
            }
            other => panic!("cut {cut}: {other:?}"),
        }
    }
}

#[test]
fn packets_fed_byte_by_byte_should_all_decode() {
    let packets = vec![
        Packet::PingReq,
        Packet::Publish(Publish {
            topic: "a".try_into().unwrap(),
            payload: Bytes::from(vec![7u8; 300]),
            ..Default::default()
        }),
        Packet::PubAck(Ack::new(3)),
        Packet::Disconnect(Disconnect::default()),
    ];
    let bytes: Vec<u8> = packets
        .iter()
        .flat_map(|p| encode(p, ProtocolVersion::V4))
        .collect();
    let mut d = Decoder::default();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for b in bytes {
        buf.extend_from_slice(&[b]);
        loop {
            match d.decode(&mut buf) {
                Ok(p) => out.push(p),
                Err(DecodeError::Incomplete { .. }) => break,
                Err(e) => panic!("{e}"),
            }
        }
    }
    assert_eq!(out, packets);
}

#[test]
fn oversized_packet_should_be_refused_from_its_fixed_header() {
    // A PUBLISH announcing 200 MB: only the five header bytes are present.
    let header = [0x30, 0x80, 0x84, 0xaf, 0x5f];
    let mut d = Decoder {
        max_packet_size: 1024 * 1024,
        ..Default::default()
    };
    let mut buf = BytesMut::from(&header[..]);
    match d.decode(&mut buf) {
        Err(e @ DecodeError::PacketTooLarge { cmd, size, max }) => {
            assert_eq!(cmd, "publish");
            assert_eq!(size, 5 + 200_000_000);
            assert_eq!(max, 1024 * 1024);
            assert_eq!(e.reason_code(), Some(PACKET_TOO_LARGE));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn reserved_packet_type_should_be_malformed() {
    assert!(decode_err(&[0x00, 0], ProtocolVersion::V4).contains("reserved"));
}

#[test]
fn reserved_flags_should_be_malformed_for_every_fixed_type() {
    for t in [1u8, 2, 4, 5, 7, 9, 11, 12, 13, 14, 15] {
        let err = decode_err(&[(t << 4) | 0x01, 0], ProtocolVersion::V5);
        assert!(err.contains("MQTT-2.1.3-1"), "type {t}: {err}");
    }
    for t in [6u8, 8, 10] {
        let err = decode_err(&[(t << 4), 0], ProtocolVersion::V5);
        assert!(err.contains("MQTT-2.1.3-1"), "type {t}: {err}");
    }
}

#[test]
fn fifth_remaining_length_byte_should_be_malformed() {
    let err = decode_err(&[0x30, 0xff, 0xff, 0xff, 0xff, 0x7f], ProtocolVersion::V4);
    assert!(err.contains("MQTT-1.5.5-1"), "{err}");
}

#[test]
fn ping_with_body_should_be_malformed() {
    assert!(decode_err(&[0xc0, 1, 0], ProtocolVersion::V4).contains("remaining length of 0"));
}

#[test]
fn encoding_over_a_limit_should_fail_with_sizes() {
    let p = Packet::Publish(Publish {
        topic: "t".try_into().unwrap(),
        payload: Bytes::from(vec![0u8; 100]),
        ..Default::default()
    });
    let mut b = BytesMut::new();
    let err = p
        .encode_limited(ProtocolVersion::V4, 50, &mut b)
        .unwrap_err();
    assert_eq!(err, EncodeError::PacketTooLarge { size: 105, max: 50 });
    assert!(b.is_empty(), "nothing written on failure");
}

#[test]
fn shrink_should_drop_reason_string_then_user_properties() {
    let s = |v: &str| MqttStr::new(v).unwrap();
    let mut p = Packet::PubAck(Ack {
        packet_id: 1,
        reason_code: 0x80,
        properties: Properties(vec![
            Property::UserProperty(s("k"), s("v")),
            Property::ReasonString(s("a long reason string")),
        ]),
        full_form: true,
    });
    assert!(p.shrink_to(ProtocolVersion::V5, 16));
    let Packet::PubAck(a) = &p else {
        unreachable!()
    };
    assert_eq!(a.properties.0, vec![Property::UserProperty(s("k"), s("v"))]);
    assert!(p.shrink_to(ProtocolVersion::V5, 6));
    assert!(!p.shrink_to(ProtocolVersion::V5, 3));
}

#[test]
fn decoder_should_learn_level_from_connect() {
    let c = Packet::Connect(Box::new(Connect {
        level: ProtocolVersion::V5,
        client_id: "x".try_into().unwrap(),
        ..Default::default()
    }));
    let mut bytes = encode(&c, ProtocolVersion::V5);
    bytes.extend(encode(
        &Packet::Disconnect(Disconnect {
            reason_code: 4,
            ..Default::default()
        }),
        ProtocolVersion::V5,
    ));
    let got = decode_all(&bytes, ProtocolVersion::V4);
    assert_eq!(
        got[1],
        Packet::Disconnect(Disconnect {
            reason_code: 4,
            ..Default::default()
        })
    );
}

// ---- property-based tests -------------------------------------------------------------

fn mqtt_string(re: &'static str) -> impl Strategy<Value = MqttStr> {
    proptest::string::string_regex(re)
        .unwrap()
        .prop_map(|s| MqttStr::new(&s).unwrap())
}

fn text() -> impl Strategy<Value = MqttStr> {
    mqtt_string("[a-zA-Z0-9 é✓/_-]{0,12}")
}

fn topic() -> impl Strategy<Value = MqttStr> {
    mqtt_string("[a-z0-9é]{1,6}(/[a-z0-9]{0,5}){0,3}")
}

fn filter() -> impl Strategy<Value = MqttStr> {
    prop_oneof![
        topic(),
        mqtt_string("[a-z]{1,4}/\\+(/[a-z]{1,3})?"),
        mqtt_string("([a-z]{1,4}/)?#"),
        mqtt_string("\\$share/[a-z]{1,4}/[a-z]{1,4}(/#)?"),
    ]
}

fn binary() -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..20).prop_map(Bytes::from)
}

fn property(ctx: Context) -> BoxedStrategy<Property> {
    use Property::*;
    let all: Vec<BoxedStrategy<Property>> = vec![
        (0u8..=1).prop_map(PayloadFormatIndicator).boxed(),
        any::<u32>().prop_map(MessageExpiryInterval).boxed(),
        text().prop_map(ContentType).boxed(),
        topic().prop_map(ResponseTopic).boxed(),
        binary().prop_map(CorrelationData).boxed(),
        (1u32..=VAR_INT_MAX)
            .prop_map(SubscriptionIdentifier)
            .boxed(),
        any::<u32>().prop_map(SessionExpiryInterval).boxed(),
        text().prop_map(AssignedClientIdentifier).boxed(),
        any::<u16>().prop_map(ServerKeepAlive).boxed(),
        text().prop_map(AuthenticationMethod).boxed(),
        binary().prop_map(AuthenticationData).boxed(),
        (0u8..=1).prop_map(RequestProblemInformation).boxed(),
        any::<u32>().prop_map(WillDelayInterval).boxed(),
        (0u8..=1).prop_map(RequestResponseInformation).boxed(),
        text().prop_map(ResponseInformation).boxed(),
        text().prop_map(ServerReference).boxed(),
        text().prop_map(ReasonString).boxed(),
        (1u16..).prop_map(ReceiveMaximum).boxed(),
        any::<u16>().prop_map(TopicAliasMaximum).boxed(),
        (1u16..).prop_map(TopicAlias).boxed(),
        (0u8..=1).prop_map(MaximumQos).boxed(),
        (0u8..=1).prop_map(RetainAvailable).boxed(),
        (text(), text())
            .prop_map(|(k, v)| UserProperty(k, v))
            .boxed(),
        (1u32..).prop_map(MaximumPacketSize).boxed(),
        (0u8..=1).prop_map(WildcardSubscriptionAvailable).boxed(),
        (0u8..=1).prop_map(SubscriptionIdentifierAvailable).boxed(),
        (0u8..=1).prop_map(SharedSubscriptionAvailable).boxed(),
    ];
    // Keep the strategies whose property is allowed in `ctx`.
    let allowed: Vec<_> = all
        .into_iter()
        .filter(|s| {
            let mut runner = proptest::test_runner::TestRunner::deterministic();
            let p = s.new_tree(&mut runner).unwrap().current();
            Properties(vec![p]).check(ctx).is_ok()
        })
        .collect();
    proptest::strategy::Union::new(allowed).boxed()
}

/// A valid property list for `ctx` at `v`: empty below level 5, no forbidden repeats.
fn properties(ctx: Context, v: ProtocolVersion) -> BoxedStrategy<Properties> {
    if !v.is_v5() {
        return Just(Properties::new()).boxed();
    }
    proptest::collection::vec(property(ctx), 0..5)
        .prop_map(move |list| {
            let mut out: Vec<Property> = Vec::new();
            for p in list {
                let mut candidate = out.clone();
                candidate.push(p);
                if Properties(candidate.clone()).check(ctx).is_ok() {
                    out = candidate;
                }
            }
            Properties(out)
        })
        .boxed()
}

fn version() -> impl Strategy<Value = ProtocolVersion> {
    prop_oneof![
        Just(ProtocolVersion::V3),
        Just(ProtocolVersion::V4),
        Just(ProtocolVersion::V5)
    ]
}

fn qos() -> impl Strategy<Value = QoS> {
    prop_oneof![
        Just(QoS::AtMostOnce),
        Just(QoS::AtLeastOnce),
        Just(QoS::ExactlyOnce)
    ]
}

fn packet(v: ProtocolVersion) -> BoxedStrategy<Packet> {
    let v5 = v.is_v5();
    let connect = (
        any::<bool>(),
        any::<u16>(),
        properties(Context::Connect, v),
        text(),
        proptest::option::of((
            topic(),
            binary(),
            qos(),
            any::<bool>(),
            properties(Context::Will, v),
        )),
        proptest::option::of(text()),
        proptest::option::of(binary()),
        any::<bool>(),
    )
        .prop_map(move |(clean, ka, props, id, will, user, pass, bridge)| {
            let password = if user.is_some() || v5 { pass } else { None };
            Packet::Connect(Box::new(Connect {
                protocol_name: ProtocolName::for_level(v),
                level: v,
                bridge,
                clean_start: clean,
                keep_alive: ka,
                properties: props,
                client_id: id,
                will: will.map(|(topic, payload, qos, retain, properties)| Will {
                    topic,
                    payload,
                    qos,
                    retain,
                    properties,
                }),
                username: user,
                password,
            }))
        });
    let connack_code = if v5 {
        proptest::sample::select(vec![0u8, 0x80, 0x85, 0x87, 0x9f]).boxed()
    } else {
        (0u8..=5).boxed()
    };
    let connack = (any::<bool>(), connack_code, properties(Context::ConnAck, v)).prop_map(
        |(sp, code, properties)| {
            Packet::ConnAck(ConnAck {
                session_present: sp && code == 0,
                code,
                properties,
            })
        },
    );
    let publish = (
        any::<bool>(),
        qos(),
        any::<bool>(),
        topic(),
        1u16..,
        properties(Context::Publish, v),
        binary(),
    )
        .prop_map(|(dup, qos, retain, topic, id, properties, payload)| {
            let q0 = qos == QoS::AtMostOnce;
            Packet::Publish(Publish {
                dup: dup && !q0,
                qos,
                retain,
                topic,
                packet_id: if q0 { 0 } else { id },
                properties,
                payload,
            })
        });
    let ack_code = if v5 {
        proptest::sample::select(vec![0u8, 0x10, 0x80, 0x97]).boxed()
    } else {
        Just(0u8).boxed()
    };
    let ack = (
        0u8..4,
        1u16..,
        ack_code,
        properties(Context::PubAck, v),
        any::<bool>(),
    )
        .prop_map(move |(kind, id, code, properties, full)| {
            let code = if kind >= 2 && code != 0 { 0x92 } else { code };
            let full_form = v5 && (full || code != 0 || !properties.is_empty());
            let a = Ack {
                packet_id: id,
                reason_code: code,
                properties,
                full_form,
            };
            match kind {
                0 => Packet::PubAck(a),
                1 => Packet::PubRec(a),
                2 => Packet::PubRel(a),
                _ => Packet::PubComp(a),
            }
        });
    let subscription = (filter(), qos(), any::<bool>(), any::<bool>(), 0u8..=2).prop_map(
        move |(filter, qos, nl, rap, rh)| {
            let shared = filter.starts_with("$share/");
            Subscription {
                filter,
                qos,
                no_local: v5 && nl && !shared,
                retain_as_published: v5 && rap,
                retain_handling: if v5 { rh } else { 0 },
            }
        },
    );
    let subscribe = (
        1u16..,
        properties(Context::Subscribe, v),
        proptest::collection::vec(subscription, 1..4),
    )
        .prop_map(|(packet_id, properties, filters)| {
            Packet::Subscribe(Subscribe {
                packet_id,
                properties,
                filters,
            })
        });
    let suback_codes = if v5 {
        proptest::sample::select(vec![0u8, 1, 2, 0x80, 0x87, 0xa2]).boxed()
    } else {
        proptest::sample::select(vec![0u8, 1, 2, 0x80]).boxed()
    };
    let suback = (
        1u16..,
        properties(Context::SubAck, v),
        proptest::collection::vec(suback_codes, 1..4),
    )
        .prop_map(|(packet_id, properties, return_codes)| {
            Packet::SubAck(SubAck {
                packet_id,
                properties,
                return_codes,
            })
        });
    let unsubscribe = (
        1u16..,
        properties(Context::Unsubscribe, v),
        proptest::collection::vec(filter(), 1..4),
    )
        .prop_map(|(packet_id, properties, filters)| {
            Packet::Unsubscribe(Unsubscribe {
                packet_id,
                properties,
                filters,
            })
        });
    let unsuback = (
        1u16..,
        properties(Context::UnsubAck, v),
        proptest::collection::vec(proptest::sample::select(vec![0u8, 0x11, 0x80, 0x91]), 1..4),
    )
        .prop_map(move |(packet_id, properties, codes)| {
            Packet::UnsubAck(UnsubAck {
                packet_id,
                properties,
                reason_codes: if v5 { codes } else { Vec::new() },
            })
        });
    let disconnect_code = if v5 {
        proptest::sample::select(vec![0u8, 4, 0x80, 0x8e, 0xa2]).boxed()
    } else {
        Just(0u8).boxed()
    };
    let disconnect = (disconnect_code, properties(Context::Disconnect, v)).prop_map(
        |(reason_code, properties)| {
            Packet::Disconnect(Disconnect {
                reason_code,
                properties,
            })
        },
    );
    let mut all = vec![
        connect.boxed(),
        connack.boxed(),
        publish.boxed(),
        ack.boxed(),
        subscribe.boxed(),
        suback.boxed(),
        unsubscribe.boxed(),
        unsuback.boxed(),
        Just(Packet::PingReq).boxed(),
        Just(Packet::PingResp).boxed(),
        disconnect.boxed(),
    ];
    if v5 {
        let auth = (
            proptest::sample::select(vec![0u8, 0x18, 0x19]),
            properties(Context::Auth, v),
        )
            .prop_map(|(reason_code, properties)| {
                Packet::Auth(Auth {
                    reason_code,
                    properties,
                })
            });
        all.push(auth.boxed());
    }
    proptest::strategy::Union::new(all).boxed()
}

fn versioned_packets() -> impl Strategy<Value = (ProtocolVersion, Vec<Packet>)> {
    version().prop_flat_map(|v| (Just(v), proptest::collection::vec(packet(v), 1..6)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn decoding_what_was_encoded_should_give_the_same_packets((v, packets) in versioned_packets()) {
        let mut bytes = BytesMut::new();
        for p in &packets {
            p.encode(v, &mut bytes).unwrap();
        }
        let expected_len: usize = packets.iter().map(|p| p.encoded_len(v)).sum();
        prop_assert_eq!(bytes.len(), expected_len);
        let mut d = Decoder::new(v);
        let mut out = Vec::new();
        while !bytes.is_empty() {
            out.push(d.decode(&mut bytes).unwrap());
        }
        prop_assert_eq!(out, packets);
    }

    #[test]
    fn decoding_arbitrary_bytes_should_never_panic(
        v in version(),
        bytes in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut d = Decoder { version: v, max_packet_size: 150 };
        let mut buf = BytesMut::from(&bytes[..]);
        while let Ok(p) = d.decode(&mut buf) {
            // Whatever decoded must encode again at the level it was read at.
            let mut out = BytesMut::new();
            let level = match &p { Packet::Connect(c) => c.level, _ => d.version };
            prop_assert!(p.encode(level, &mut out).is_ok(), "{:?}", p);
        }
    }

    #[test]
    fn mutated_valid_packets_should_never_panic(
        (v, packets) in versioned_packets(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = BytesMut::new();
        for p in &packets {
            p.encode(v, &mut bytes).unwrap();
        }
        let mut raw = bytes.to_vec();
        for (i, b) in flips {
            let i = i.index(raw.len());
            raw[i] = b;
        }
        let mut d = Decoder::new(v);
        let mut buf = BytesMut::from(&raw[..]);
        while d.decode(&mut buf).is_ok() {}
    }
}

#[test]
fn a_fixed_size_packet_claiming_another_size_is_refused_from_its_fixed_header() {
    // A CONNACK claiming 256 MiB below MQTT 5: refused with five bytes read.
    let mut buf = BytesMut::from(&[0x20, 0xff, 0xff, 0xff, 0x7f][..]);
    let err = Decoder::new(ProtocolVersion::V4)
        .decode(&mut buf)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("connack must have a remaining length of 2"),
        "{err}"
    );
    // At MQTT 5 a CONNACK has properties: only the maximum packet size bounds it.
    let mut buf = BytesMut::from(&[0x20, 0xff, 0xff, 0xff, 0x7f][..]);
    let mut d = Decoder {
        version: ProtocolVersion::V5,
        max_packet_size: 1024,
    };
    assert!(matches!(
        d.decode(&mut buf),
        Err(DecodeError::PacketTooLarge { .. })
    ));
    // The right sizes still decode.
    let mut buf = BytesMut::from(&[0x20, 2, 0, 0, 0xd0, 0][..]);
    let mut d = Decoder::new(ProtocolVersion::V4);
    assert!(matches!(d.decode(&mut buf), Ok(Packet::ConnAck(_))));
    assert!(matches!(d.decode(&mut buf), Ok(Packet::PingResp)));
}

#[test]
fn a_3_1_1_connack_read_at_mqtt_5_is_its_refusal() {
    // A broker that speaks only 3.1.1 answers a level-5 CONNECT with `20 02 00 01`
    // (unacceptable protocol version), without the property length MQTT 5 has: read as
    // that refusal, as mqtt-packet reads it, so programs can fall back to 3.1.1.
    let mut buf = BytesMut::from(&[0x20, 2, 0, 1][..]);
    match Decoder::new(ProtocolVersion::V5).decode(&mut buf) {
        Ok(Packet::ConnAck(c)) => {
            assert_eq!(c.code, 1);
            assert!(!c.session_present);
            assert!(c.properties.is_empty());
        }
        other => panic!("{other:?}"),
    }
    // A property length that is there but short is still malformed.
    let mut buf = BytesMut::from(&[0x20, 3, 0, 0, 5][..]);
    assert!(Decoder::new(ProtocolVersion::V5).decode(&mut buf).is_err());
}
