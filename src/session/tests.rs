//! Session tests: a clock the test moves, and the server's side played by hand.

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::*;
use crate::codec::{MqttStr, Properties, Subscription};

fn s(v: &str) -> MqttStr {
    MqttStr::new(v).unwrap()
}

fn connect(clean: bool, keep_alive: u16, level: ProtocolVersion) -> Connect {
    Connect {
        level,
        clean_start: clean,
        keep_alive,
        client_id: s("test"),
        ..Default::default()
    }
}

struct Harness {
    session: Session,
    now: Instant,
}

impl Harness {
    fn new(opts: Options) -> Self {
        let now = Instant::now();
        Harness {
            session: Session::new(opts, now),
            now,
        }
    }

    fn v4(clean: bool) -> Self {
        Self::new(Options::new(connect(clean, 60, ProtocolVersion::V4)))
    }

    fn advance(&mut self, secs: f64) {
        self.now += Duration::from_secs_f64(secs);
    }

    fn sent(&mut self) -> Vec<Packet> {
        std::iter::from_fn(|| self.session.poll_transmit()).collect()
    }

    fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.session.poll_event()).collect()
    }

    fn recv(&mut self, p: Packet) -> Result<(), SessionError> {
        self.session.handle_packet(p, self.now)
    }

    /// Opens a connection and answers CONNECT with CONNACK(session_present).
    fn connect(&mut self, session_present: bool) {
        self.session.handle_connected(self.now);
        let sent = self.sent();
        assert!(matches!(sent[0], Packet::Connect(_)), "{sent:?}");
        self.recv(Packet::ConnAck(ConnAck {
            session_present,
            code: 0,
            ..Default::default()
        }))
        .unwrap();
        assert!(self.session.is_connected());
    }

    fn publish(&mut self, topic: &str, qos: QoS) -> u16 {
        let p = Publish {
            qos,
            topic: s(topic),
            payload: Bytes::from_static(b"x"),
            ..Default::default()
        };
        self.session.publish(p, self.now).unwrap()
    }
}

fn incoming(id: u16, qos: QoS) -> Packet {
    Packet::Publish(Publish {
        qos,
        packet_id: id,
        topic: s("in"),
        payload: Bytes::from_static(b"m"),
        ..Default::default()
    })
}

#[test]
fn connack_should_emit_connected_and_flush_the_offline_queue() {
    let mut h = Harness::v4(true);
    h.publish("a", QoS::AtMostOnce);
    assert_eq!(h.session.queued(), 1);
    h.connect(false);
    assert!(matches!(h.events()[0], Event::Connected(_)));
    let sent = h.sent();
    assert!(matches!(&sent[..], [Packet::Publish(p)] if p.topic.as_str() == "a"));
    assert_eq!(h.session.queued(), 0);
}

#[test]
fn refused_connack_should_emit_refused() {
    let mut h = Harness::v4(true);
    h.session.handle_connected(h.now);
    let r = h.recv(Packet::ConnAck(ConnAck {
        code: 5,
        ..Default::default()
    }));
    assert_eq!(
        r,
        Err(SessionError::Refused(5)),
        "the driver closes the connection"
    );
    assert!(matches!(
        h.events()[0],
        Event::Refused(ConnAck { code: 5, .. })
    ));
    assert!(!h.session.is_connected());
}

#[test]
fn a_packet_before_connack_should_be_a_protocol_error() {
    let mut h = Harness::v4(true);
    h.session.handle_connected(h.now);
    assert!(h.recv(incoming(0, QoS::AtMostOnce)).is_err());
}

#[test]
fn missing_connack_should_time_out() {
    let mut h = Harness::v4(true);
    h.session.handle_connected(h.now);
    assert_eq!(
        h.session.poll_timeout(),
        Some(h.now + Duration::from_secs(30))
    );
    h.advance(30.0);
    assert_eq!(
        h.session.handle_timeout(h.now),
        Err(SessionError::ConnectTimeout)
    );
}

#[test]
fn qos1_publish_should_complete_on_puback_and_free_its_id() {
    let mut h = Harness::v4(true);
    h.connect(false);
    h.sent();
    let id = h.publish("t", QoS::AtLeastOnce);
    assert_eq!(h.session.in_flight(), 1);
    h.recv(Packet::PubAck(Ack::new(id))).unwrap();
    assert!(matches!(
        h.events().last(),
        Some(Event::Published {
            kind: PacketType::PubAck,
            ..
        })
    ));
    assert_eq!(h.session.in_flight(), 0);
}

#[test]
fn incoming_pubrec_should_send_pubrel_and_pubcomp_should_complete() {
    let mut h = Harness::v4(true);
    h.connect(false);
    h.events();
    h.sent();
    let id = h.publish("t", QoS::ExactlyOnce);
    h.sent();
    h.recv(Packet::PubRec(Ack::new(id))).unwrap();
    assert_eq!(h.sent(), vec![Packet::PubRel(Ack::new(id))]);
    // The application's store now keeps the PUBREL in place of the PUBLISH.
    assert_eq!(h.events(), vec![Event::Released(Ack::new(id))]);
    h.recv(Packet::PubComp(Ack::new(id))).unwrap();
    assert!(matches!(
        h.events()[..],
        [Event::Published {
            kind: PacketType::PubComp,
            ..
        }]
    ));
    assert_eq!(h.session.in_flight(), 0);
}

#[test]
fn unacked_publishes_and_pubrels_should_be_resent_in_order_after_reconnect() {
    let mut h = Harness::v4(false);
    h.connect(false);
    h.sent();
    let a = h.publish("a", QoS::AtLeastOnce);
    let b = h.publish("b", QoS::ExactlyOnce);
    let c = h.publish("c", QoS::ExactlyOnce);
    h.recv(Packet::PubRec(Ack::new(b))).unwrap();
    h.sent();
    h.session.handle_connection_lost();
    // A publish made while offline is sent after the resends, without DUP.
    let d = h.publish("d", QoS::AtLeastOnce);
    h.connect(true);
    let sent = h.sent();
    let summary: Vec<(u16, &str, bool)> = sent
        .iter()
        .map(|p| match p {
            Packet::Publish(p) => (p.packet_id, "publish", p.dup),
            Packet::PubRel(a) => (a.packet_id, "pubrel", false),
            other => panic!("{other:?}"),
        })
        .collect();
    // PUBRELs first (each frees a place the server keeps for a QoS 2 message), then the
    // PUBLISHes in their order, one at a time below MQTT 5 while old ones are resent, and
    // then the window opens again.
    assert_eq!(summary, vec![(b, "pubrel", false), (a, "publish", true)]);
    h.recv(Packet::PubAck(Ack::new(a))).unwrap();
    assert!(matches!(&h.sent()[..], [Packet::Publish(p)] if p.packet_id == c && p.dup));
    let e = h.publish("e", QoS::AtLeastOnce);
    assert!(
        h.sent().is_empty(),
        "a new publish waits behind the resends"
    );
    h.recv(Packet::PubRec(Ack::new(c))).unwrap();
    assert!(matches!(&h.sent()[..], [Packet::PubRel(r)] if r.packet_id == c));
    h.recv(Packet::PubComp(Ack::new(c))).unwrap();
    assert!(matches!(&h.sent()[..], [Packet::Publish(p)] if p.packet_id == d && !p.dup));
    h.recv(Packet::PubComp(Ack::new(b))).unwrap();
    h.recv(Packet::PubAck(Ack::new(d))).unwrap();
    // The resends are done: the held publish goes, and new ones go at once.
    assert!(matches!(&h.sent()[..], [Packet::Publish(p)] if p.packet_id == e));
    h.publish("f", QoS::AtLeastOnce);
    h.publish("g", QoS::AtLeastOnce);
    assert_eq!(h.sent().len(), 2);
}

#[test]
fn incoming_qos1_should_be_acked_only_when_the_application_says() {
    let mut h = Harness::v4(true);
    h.connect(false);
    h.events();
    h.sent();
    h.recv(incoming(7, QoS::AtLeastOnce)).unwrap();
    assert!(matches!(h.events()[..], [Event::Publish(_)]));
    assert!(
        h.sent().is_empty(),
        "no PUBACK before the application handled it"
    );
    h.session.ack_incoming(7, QoS::AtLeastOnce, 0, h.now);
    assert_eq!(h.sent(), vec![Packet::PubAck(Ack::new(7))]);
}

#[test]
fn incoming_qos2_should_be_delivered_once_even_when_resent() {
    let mut h = Harness::v4(true);
    h.connect(false);
    h.events();
    h.sent();
    h.recv(incoming(9, QoS::ExactlyOnce)).unwrap();
    assert_eq!(h.events().len(), 1);
    h.session.ack_incoming(9, QoS::ExactlyOnce, 0, h.now);
    assert_eq!(h.sent(), vec![Packet::PubRec(Ack::new(9))]);
    // The server did not see our PUBREC and resends with DUP.
    let Packet::Publish(mut again) = incoming(9, QoS::ExactlyOnce) else {
        unreachable!()
    };
    again.dup = true;
    h.recv(Packet::Publish(again)).unwrap();
    assert!(h.events().is_empty(), "not delivered twice");
    assert_eq!(h.sent(), vec![Packet::PubRec(Ack::new(9))]);
    h.recv(Packet::PubRel(Ack::new(9))).unwrap();
    assert!(matches!(h.events()[..], [Event::PubRel(_)]));
    h.session.complete_incoming(9, h.now);
    assert_eq!(h.sent(), vec![Packet::PubComp(Ack::new(9))]);
    // A resent PUBREL after completion is answered without an event.
    h.recv(Packet::PubRel(Ack::new(9))).unwrap();
    assert!(h.events().is_empty());
    assert_eq!(h.sent(), vec![Packet::PubComp(Ack::new(9))]);
}

#[test]
fn quiet_connection_should_ping_then_time_out_without_pingresp() {
    let mut h = Harness::new(Options::new(connect(true, 10, ProtocolVersion::V4)));
    h.connect(false);
    h.sent();
    h.advance(10.0);
    h.session.handle_timeout(h.now).unwrap();
    assert_eq!(h.sent(), vec![Packet::PingReq]);
    h.advance(5.0);
    assert_eq!(
        h.session.handle_timeout(h.now),
        Err(SessionError::KeepaliveTimeout)
    );
}

#[test]
fn pingresp_should_keep_the_connection() {
    let mut h = Harness::new(Options::new(connect(true, 10, ProtocolVersion::V4)));
    h.connect(false);
    h.advance(10.0);
    h.session.handle_timeout(h.now).unwrap();
    h.advance(1.0);
    h.recv(Packet::PingResp).unwrap();
    h.advance(8.0);
    assert_eq!(h.session.handle_timeout(h.now), Ok(()));
}

#[test]
fn server_keep_alive_should_replace_ours() {
    let mut h = Harness::new(Options::new(connect(true, 60, ProtocolVersion::V5)));
    h.session.handle_connected(h.now);
    let props = crate::codec::Properties(vec![Property::ServerKeepAlive(5)]);
    h.recv(Packet::ConnAck(ConnAck {
        properties: props,
        ..Default::default()
    }))
    .unwrap();
    assert_eq!(
        h.session.poll_timeout(),
        Some(h.now + Duration::from_secs(5))
    );
}

#[test]
fn reconnect_without_session_should_resubscribe() {
    let mut h = Harness::v4(true);
    h.connect(false);
    h.sent();
    let sub = Subscribe {
        packet_id: 0,
        properties: Default::default(),
        filters: vec![Subscription {
            filter: s("a/#"),
            qos: QoS::AtLeastOnce,
            ..Default::default()
        }],
    };
    let id = h.session.subscribe(sub, h.now).unwrap();
    h.recv(Packet::SubAck(SubAck {
        packet_id: id,
        properties: Default::default(),
        return_codes: vec![1],
    }))
    .unwrap();
    h.session.handle_connection_lost();
    h.connect(false);
    let sent = h.sent();
    assert!(
        matches!(&sent[..], [Packet::Subscribe(s)] if s.filters[0].filter.as_str() == "a/#"),
        "{sent:?}"
    );
}

#[test]
fn reconnect_should_send_flows_then_offline_queue_then_resubscription() {
    let mut h = Harness::v4(true);
    h.connect(false);
    let sub = Subscribe {
        packet_id: 0,
        properties: Default::default(),
        filters: vec![Subscription {
            filter: s("a/#"),
            qos: QoS::AtLeastOnce,
            ..Default::default()
        }],
    };
    let id = h.session.subscribe(sub, h.now).unwrap();
    h.recv(Packet::SubAck(SubAck {
        packet_id: id,
        properties: Default::default(),
        return_codes: vec![1],
    }))
    .unwrap();
    let inflight = h.publish("inflight", QoS::AtLeastOnce);
    h.sent();
    h.session.handle_connection_lost();
    h.publish("offline1", QoS::AtLeastOnce);
    h.publish("offline0", QoS::AtMostOnce);
    h.connect(false);
    let names = |sent: Vec<Packet>| -> Vec<String> {
        sent.iter()
            .map(|p| match p {
                Packet::Publish(p) => format!("publish {}", p.topic.as_str()),
                Packet::Subscribe(s) => format!("subscribe {}", s.filters[0].filter.as_str()),
                other => format!("{other:?}"),
            })
            .collect()
    };
    // Below MQTT 5 the QoS 1/2 flows go one at a time while the old ones are resent, and
    // a QoS 0 publish queued after one that waits keeps its place behind it (call order).
    assert_eq!(names(h.sent()), ["publish inflight", "subscribe a/#"]);
    h.recv(Packet::PubAck(Ack::new(inflight))).unwrap();
    assert_eq!(names(h.sent()), ["publish offline1", "publish offline0"]);
}

#[test]
fn first_connection_should_not_resubscribe_and_session_present_should_skip_it() {
    let mut h = Harness::v4(false);
    h.connect(false);
    h.sent();
    let sub = Subscribe {
        packet_id: 0,
        properties: Default::default(),
        filters: vec![Subscription {
            filter: s("x"),
            ..Default::default()
        }],
    };
    let id = h.session.subscribe(sub, h.now).unwrap();
    h.recv(Packet::SubAck(SubAck {
        packet_id: id,
        properties: Default::default(),
        return_codes: vec![0],
    }))
    .unwrap();
    h.session.handle_connection_lost();
    h.connect(true);
    assert!(h.sent().is_empty(), "the server kept the session");
}

#[test]
fn offline_qos0_without_queueing_should_fail() {
    let mut opts = Options::new(connect(true, 60, ProtocolVersion::V4));
    opts.queue_qos_zero = false;
    let mut h = Harness::new(opts);
    let p = Publish {
        topic: s("t"),
        ..Default::default()
    };
    assert_eq!(h.session.publish(p, h.now), Err(SessionError::NotConnected));
}

#[test]
fn ids_in_use_should_be_refused_and_removed_flows_should_free_them() {
    let mut h = Harness::v4(true);
    h.connect(false);
    let id = h.publish("t", QoS::AtLeastOnce);
    let again = Publish {
        qos: QoS::AtLeastOnce,
        packet_id: id,
        topic: s("t"),
        ..Default::default()
    };
    assert_eq!(
        h.session.publish(again.clone(), h.now),
        Err(SessionError::PacketIdInUse(id))
    );
    assert!(h.session.remove_outgoing(id, h.now));
    assert_eq!(h.session.publish(again, h.now), Ok(id));
}

#[test]
fn disconnect_should_end_the_session() {
    let mut h = Harness::v4(true);
    h.connect(false);
    h.sent();
    h.session.disconnect(Disconnect::default(), h.now);
    assert_eq!(h.sent(), vec![Packet::Disconnect(Disconnect::default())]);
    assert!(h.session.is_ended());
    assert_eq!(
        h.session.publish(
            Publish {
                topic: s("t"),
                ..Default::default()
            },
            h.now
        ),
        Err(SessionError::NotConnected)
    );
}

#[test]
fn server_only_packets_should_be_protocol_errors() {
    let mut h = Harness::v4(true);
    h.connect(false);
    assert!(h.recv(Packet::PingReq).is_err());
}

fn stored_publish(id: u16, topic: &str) -> Packet {
    Packet::Publish(Publish {
        qos: QoS::AtLeastOnce,
        packet_id: id,
        topic: s(topic),
        payload: Bytes::from_static(b"kept"),
        ..Default::default()
    })
}

#[test]
fn restored_flows_should_be_resent_first_with_dup_and_end_on_their_acks() {
    let mut h = Harness::v4(true);
    let fresh = h.publish("new", QoS::AtLeastOnce);
    assert_eq!(h.session.restore(stored_publish(7, "old"), h.now), Ok(true));
    assert_eq!(
        h.session.restore(Packet::PubRel(Ack::new(8)), h.now),
        Ok(true)
    );
    assert_eq!(h.session.in_flight(), 3);
    h.connect(false);
    let sent = h.sent();
    let summary: Vec<_> = sent
        .iter()
        .map(|p| match p {
            Packet::Publish(p) => (p.packet_id, p.dup, "publish"),
            Packet::PubRel(a) => (a.packet_id, false, "pubrel"),
            _ => (0, false, "other"),
        })
        .collect();
    assert_eq!(summary, vec![(8, false, "pubrel"), (7, true, "publish")]);
    h.recv(Packet::PubAck(Ack::new(7))).unwrap();
    assert!(matches!(&h.sent()[..], [Packet::Publish(p)] if p.packet_id == fresh));
    h.recv(Packet::PubComp(Ack::new(8))).unwrap();
    let ended: Vec<_> = h
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Published { packet_id, .. } => Some(packet_id),
            _ => None,
        })
        .collect();
    assert_eq!(ended, vec![7, 8]);
    assert_eq!(h.session.in_flight(), 1);
}

#[test]
fn restoring_an_id_in_use_or_a_packet_without_a_flow_should_be_refused() {
    let mut h = Harness::v4(true);
    let id = h.publish("a", QoS::AtLeastOnce);
    assert_eq!(h.session.restore(stored_publish(id, "b"), h.now), Ok(false));
    let qos0 = Packet::Publish(Publish {
        topic: s("c"),
        ..Default::default()
    });
    assert!(h.session.restore(qos0, h.now).is_err());
    assert!(h.session.restore(Packet::PingReq, h.now).is_err());
    assert_eq!(h.session.in_flight(), 1);
}

#[test]
fn a_flow_restored_while_connected_should_be_sent_at_once() {
    let mut h = Harness::v4(true);
    h.connect(false);
    h.sent();
    assert_eq!(
        h.session.restore(stored_publish(9, "late"), h.now),
        Ok(true)
    );
    assert!(matches!(&h.sent()[..], [Packet::Publish(p)] if p.packet_id == 9 && p.dup));
}

#[test]
fn a_second_connack_is_a_protocol_error() {
    // As MQTT.js 5.16: a duplicate CONNACK on one connection closes it (code 130 in JS).
    let mut h = Harness::v4(true);
    h.connect(false);
    assert!(h.recv(Packet::ConnAck(ConnAck::default())).is_err());
}

#[test]
fn an_auth_given_with_the_connect_should_follow_every_connect() {
    let mut h = Harness::v4(true);
    let mut c = connect(true, 60, ProtocolVersion::V4);
    c.client_id = s("again");
    let auth = Auth {
        reason_code: 0,
        properties: Default::default(),
    };
    h.session.set_connect(c, Some(auth.clone()));
    for _ in 0..2 {
        h.session.handle_connected(h.now);
        let sent = h.sent();
        assert!(
            matches!(&sent[..], [Packet::Connect(_), Packet::Auth(a)] if *a == auth),
            "{sent:?}"
        );
        h.session.handle_connection_lost();
    }
}

#[test]
fn set_connect_changes_the_next_connect_but_not_the_level() {
    let mut h = Harness::v4(true);
    h.connect(false);
    h.session.handle_connection_lost();
    let mut c = connect(true, 30, ProtocolVersion::V5);
    c.password = Some(Bytes::from_static(b"rotated"));
    h.session.set_connect(c, None);
    h.session.handle_connected(h.now);
    let sent = h.sent();
    let Packet::Connect(c) = &sent[0] else {
        panic!("{sent:?}")
    };
    assert_eq!(c.level, ProtocolVersion::V4);
    assert_eq!(c.keep_alive, 30);
    assert_eq!(c.password.as_deref(), Some(&b"rotated"[..]));
}

#[test]
fn a_publish_larger_than_the_servers_maximum_packet_size_is_refused_and_not_sent() {
    let mut h = Harness::new(Options::new(connect(true, 60, ProtocolVersion::V5)));
    h.session.handle_connected(h.now);
    h.sent();
    h.recv(Packet::ConnAck(ConnAck {
        properties: Properties(vec![Property::MaximumPacketSize(20)]),
        ..Default::default()
    }))
    .unwrap();
    h.events();
    let big = Publish {
        qos: QoS::AtLeastOnce,
        topic: s("t"),
        payload: Bytes::from(vec![0u8; 100]),
        ..Default::default()
    };
    assert!(matches!(
        h.session.publish(big, h.now),
        Err(SessionError::PacketTooLarge { max: 20, .. })
    ));
    assert!(h.sent().is_empty());
    assert_eq!(h.session.in_flight(), 0);
    assert!(h.publish("t", QoS::AtLeastOnce) > 0);
    assert_eq!(h.sent().len(), 1);
}

#[test]
fn an_ack_of_the_wrong_kind_is_a_protocol_error_and_an_unknown_one_is_ignored() {
    let mut h = Harness::v4(true);
    h.connect(false);
    let id = h.publish("t", QoS::AtLeastOnce);
    h.sent();
    let err = h.recv(Packet::PubRec(Ack::new(id))).unwrap_err();
    assert!(
        err.to_string().contains(&format!(
            "pubrec does not answer the publish pending on message id {id}"
        )),
        "{err}"
    );
    assert!(h
        .recv(Packet::PubAck(Ack::new(id.wrapping_add(100))))
        .is_ok());
    let mut h = Harness::v4(true);
    h.connect(false);
    let id = h.publish("t", QoS::AtLeastOnce);
    assert!(h
        .recv(Packet::SubAck(SubAck {
            packet_id: id,
            ..Default::default()
        }))
        .is_err());
}

#[test]
fn a_puback_or_pubcomp_finishes_a_qos2_publish_as_mqttjs_does() {
    for kind in [PacketType::PubAck, PacketType::PubComp] {
        let mut h = Harness::v4(true);
        h.connect(false);
        let id = h.publish("t", QoS::ExactlyOnce);
        h.sent();
        let ack = Ack::new(id);
        let p = if kind == PacketType::PubAck {
            Packet::PubAck(ack)
        } else {
            Packet::PubComp(ack)
        };
        h.recv(p).unwrap();
        assert_eq!(h.session.in_flight(), 0, "{kind:?}");
        assert!(h.sent().is_empty(), "no PUBREL after {kind:?}");
    }
}

#[test]
fn no_more_publishes_are_in_flight_than_the_servers_receive_maximum() {
    let mut h = Harness::new(Options::new(connect(true, 60, ProtocolVersion::V5)));
    h.session.handle_connected(h.now);
    h.sent();
    h.recv(Packet::ConnAck(ConnAck {
        properties: Properties(vec![Property::ReceiveMaximum(2)]),
        ..Default::default()
    }))
    .unwrap();
    h.events();
    let ids: Vec<u16> = (0..5).map(|_| h.publish("t", QoS::AtLeastOnce)).collect();
    let sent_ids = |sent: Vec<Packet>| -> Vec<u16> {
        sent.iter()
            .filter_map(|p| match p {
                Packet::Publish(p) => Some(p.packet_id),
                _ => None,
            })
            .collect()
    };
    assert_eq!(sent_ids(h.sent()), ids[..2]);
    // Each ack lets the next one go, in order.
    h.recv(Packet::PubAck(Ack::new(ids[0]))).unwrap();
    assert_eq!(sent_ids(h.sent()), ids[2..3]);
    h.recv(Packet::PubAck(Ack::new(ids[1]))).unwrap();
    h.recv(Packet::PubAck(Ack::new(ids[2]))).unwrap();
    assert_eq!(sent_ids(h.sent()), ids[3..5]);
    // After a reconnect: the unacknowledged ones again, within the quota, DUP set.
    h.session.handle_connection_lost();
    h.session.handle_connected(h.now);
    h.sent();
    h.recv(Packet::ConnAck(ConnAck {
        properties: Properties(vec![Property::ReceiveMaximum(1)]),
        ..Default::default()
    }))
    .unwrap();
    let again = h.sent();
    assert_eq!(sent_ids(again.clone()), ids[3..4]);
    assert!(matches!(&again[0], Packet::Publish(p) if p.dup));
    h.recv(Packet::PubAck(Ack::new(ids[3]))).unwrap();
    assert_eq!(sent_ids(h.sent()), ids[4..5]);
    assert_eq!(h.session.in_flight(), 1);
}

#[test]
fn more_incoming_qos2_than_our_receive_maximum_is_a_protocol_error() {
    let mut c = connect(true, 60, ProtocolVersion::V5);
    c.properties = Properties(vec![Property::ReceiveMaximum(2)]);
    let mut h = Harness::new(Options::new(c));
    h.connect(false);
    let incoming = |id: u16| {
        Packet::Publish(Publish {
            qos: QoS::ExactlyOnce,
            packet_id: id,
            topic: s("t"),
            ..Default::default()
        })
    };
    h.recv(incoming(1)).unwrap();
    h.recv(incoming(2)).unwrap();
    // A resend of one already in flight is not a new one.
    h.recv(incoming(2)).unwrap();
    let err = h.recv(incoming(3)).unwrap_err();
    assert!(
        err.to_string().contains("Receive Maximum exceeded"),
        "{err}"
    );
    // Once one is completed, there is room again.
    let mut h2 = Harness::new(Options::new({
        let mut c = connect(true, 60, ProtocolVersion::V5);
        c.properties = Properties(vec![Property::ReceiveMaximum(1)]);
        c
    }));
    h2.connect(false);
    h2.recv(incoming(1)).unwrap();
    h2.session.ack_incoming(1, QoS::ExactlyOnce, 0, h2.now);
    h2.session.complete_incoming(1, h2.now);
    h2.recv(incoming(2)).unwrap();
}

#[test]
fn offline_subscribes_should_go_with_qos0_publishes_in_call_order_after_the_stored_flows() {
    // MQTT.js sends its outgoing store (QoS 1/2) first, then its offline queue, which holds
    // QoS 0 publishes, subscribes and unsubscribes in the order they were made.
    let mut h = Harness::v4(true);
    let filter = |f: &str| Subscription {
        filter: s(f),
        ..Default::default()
    };
    h.publish("a", QoS::AtMostOnce);
    let sub = Subscribe {
        packet_id: 0,
        properties: Default::default(),
        filters: vec![filter("s")],
    };
    h.session.subscribe(sub, h.now).unwrap();
    h.publish("b", QoS::AtMostOnce);
    let unsub = Unsubscribe {
        packet_id: 0,
        properties: Default::default(),
        filters: vec![s("s")],
    };
    h.session.unsubscribe(unsub, h.now).unwrap();
    h.publish("c", QoS::AtLeastOnce);
    assert_eq!(h.session.queued(), 2);
    h.connect(false);
    let sent: Vec<String> = h
        .sent()
        .iter()
        .map(|p| match p {
            Packet::Publish(p) => format!("publish {}", p.topic.as_str()),
            Packet::Subscribe(s) => format!("subscribe {}", s.filters[0].filter.as_str()),
            Packet::Unsubscribe(u) => format!("unsubscribe {}", u.filters[0].as_str()),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        sent,
        [
            "publish c",
            "publish a",
            "subscribe s",
            "publish b",
            "unsubscribe s"
        ]
    );
    assert_eq!(h.session.queued(), 0);
}

#[test]
fn a_held_queue_should_wait_for_release_then_go_in_order_before_new_packets() {
    let mut opts = Options::new(connect(true, 60, ProtocolVersion::V4));
    opts.hold_queue = true;
    let mut h = Harness::new(opts);
    h.publish("queued", QoS::AtMostOnce);
    h.publish("stored", QoS::AtLeastOnce);
    h.connect(false);
    let topics = |sent: Vec<Packet>| -> Vec<String> {
        sent.iter()
            .map(|p| match p {
                Packet::Publish(p) => p.topic.as_str().to_string(),
                other => format!("{other:?}"),
            })
            .collect()
    };
    assert_eq!(topics(h.sent()), ["stored"], "flows go at once");
    // Made before the application has handled the CONNACK: behind the queue.
    h.publish("meanwhile", QoS::AtMostOnce);
    assert!(h.sent().is_empty());
    h.session.release_queue(h.now);
    assert_eq!(topics(h.sent()), ["queued", "meanwhile"]);
    h.publish("after", QoS::AtMostOnce);
    assert_eq!(topics(h.sent()), ["after"]);
}

#[test]
fn nothing_should_be_sent_after_disconnect() {
    // Found by fuzzing: an acknowledgement the application made after ending went out after
    // DISCONNECT [MQTT-3.14.4-1].
    let mut h = Harness::v4(true);
    h.connect(false);
    h.session.disconnect(Disconnect::default(), h.now);
    assert!(matches!(h.sent()[..], [Packet::Disconnect(_)]));
    h.session.complete_incoming(1, h.now);
    h.session.ack_incoming(2, QoS::AtLeastOnce, 0, h.now);
    assert!(h.sent().is_empty());
}

#[test]
fn release_queues_should_free_only_empty_queues() {
    let mut h = Harness::v4(true);
    h.connect(false);
    h.publish("a", QoS::AtMostOnce);
    assert!(h.session.transmit.capacity() > 0);
    // The Connected event still waits: its queue keeps its room, then lets it go.
    h.session.release_queues();
    assert!(h.session.events.capacity() > 0);
    assert_eq!(h.events().len(), 1);
    h.session.release_queues();
    assert_eq!(h.session.events.capacity(), 0);
    // A packet still waits: its queue keeps its room.
    assert!(h.session.transmit.capacity() > 0);
    assert_eq!(h.sent().len(), 1);
    h.session.release_queues();
    assert_eq!(h.session.transmit.capacity(), 0);
    // Still works afterwards.
    h.publish("b", QoS::AtMostOnce);
    assert_eq!(h.sent().len(), 1);
}

#[test]
fn below_mqtt5_at_most_19_qos2_publishes_await_pubrec_and_later_publishes_keep_their_order() {
    let mut h = Harness::v4(true);
    h.connect(false);
    h.sent();
    // QoS 1 alone is not limited.
    let ones: Vec<u16> = (0..100)
        .map(|_| h.publish("q1", QoS::AtLeastOnce))
        .collect();
    assert_eq!(h.sent().len(), 100);
    for id in ones {
        h.recv(Packet::PubAck(Ack::new(id))).unwrap();
    }
    let twos: Vec<u16> = (0..20).map(|_| h.publish("q2", QoS::ExactlyOnce)).collect();
    let behind = h.publish("q1", QoS::AtLeastOnce);
    let published = |sent: Vec<Packet>| -> Vec<u16> {
        sent.iter()
            .filter_map(|p| match p {
                Packet::Publish(p) => Some(p.packet_id),
                _ => None,
            })
            .collect()
    };
    assert_eq!(published(h.sent()), twos[..19]);
    // A QoS 2 flow holds its place until its PUBREC (the PUBREL, which frees the broker's
    // place, goes out ahead of what was waiting); the QoS 1 publish waited behind the held
    // QoS 2 one (call order).
    h.recv(Packet::PubRec(Ack::new(twos[0]))).unwrap();
    let sent = h.sent();
    assert!(matches!(&sent[0], Packet::PubRel(r) if r.packet_id == twos[0]));
    assert_eq!(published(sent), vec![twos[19], behind]);
    h.recv(Packet::PubComp(Ack::new(twos[0]))).unwrap();
    assert!(h.sent().is_empty());
    // An error PUBREC ends the flow and frees its place too.
    let next = h.publish("q2", QoS::ExactlyOnce);
    assert!(published(h.sent()).is_empty());
    h.recv(Packet::PubRec(Ack {
        reason_code: 0x80,
        ..Ack::new(twos[1])
    }))
    .unwrap();
    assert_eq!(published(h.sent()), vec![next]);
}

#[test]
fn at_mqtt5_pubrels_are_resent_first_and_take_none_of_the_receive_maximum() {
    let mut h = Harness::new(Options::new(connect(false, 60, ProtocolVersion::V5)));
    let connack = |h: &mut Harness, max: u16| {
        h.session.handle_connected(h.now);
        h.sent();
        h.recv(Packet::ConnAck(ConnAck {
            session_present: true,
            properties: Properties(vec![Property::ReceiveMaximum(max)]),
            ..Default::default()
        }))
        .unwrap();
    };
    connack(&mut h, 10);
    let a = h.publish("a", QoS::AtLeastOnce);
    let b = h.publish("b", QoS::ExactlyOnce);
    let c = h.publish("c", QoS::ExactlyOnce);
    h.recv(Packet::PubRec(Ack::new(b))).unwrap();
    h.recv(Packet::PubRec(Ack::new(c))).unwrap();
    h.sent();
    h.session.handle_connection_lost();
    connack(&mut h, 1);
    let sent: Vec<(u16, &str)> = h
        .sent()
        .iter()
        .map(|p| match p {
            Packet::Publish(p) => (p.packet_id, "publish"),
            Packet::PubRel(r) => (r.packet_id, "pubrel"),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(sent, vec![(b, "pubrel"), (c, "pubrel"), (a, "publish")]);
}
