//! PUBLISH [MQTT-3.3]: an application message, in either direction.
//!
//! ```text
//! fixed header flags: 3 DUP | 2-1 QoS | 0 RETAIN
//! | topic name | [packet id if QoS > 0] | [v5: properties] | payload (rest of the packet) |
//! ```

use bytes::{BufMut, Bytes};

use super::primitives::{check_topic_name, put_binary, MqttStr, Reader};
use super::{check_packet_id, Context, Properties, ProtocolVersion, QoS, Violation};

/// PUBLISH.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Publish {
    /// Redelivery of an earlier attempt (QoS 1 and 2 only) [MQTT-3.3.1-2].
    pub dup: bool,
    /// Delivery guarantee.
    pub qos: QoS,
    /// Retained message.
    pub retain: bool,
    /// Topic name; empty only at level 5 with a topic alias.
    pub topic: MqttStr,
    /// Packet identifier, non-zero when QoS > 0; 0 for QoS 0.
    pub packet_id: u16,
    /// Properties (level 5).
    pub properties: Properties,
    /// Application payload.
    pub payload: Bytes,
}

impl Publish {
    pub(crate) fn header_flags(&self) -> u8 {
        ((self.dup as u8) << 3) | ((self.qos as u8) << 1) | self.retain as u8
    }

    pub(crate) fn decode(
        flags: u8,
        body: Bytes,
        version: ProtocolVersion,
    ) -> Result<Publish, Violation> {
        // read_header already refused QoS 3.
        let qos = QoS::from_u8((flags >> 1) & 0b11)
            .ok_or_else(|| Violation::malformed("MQTT-3.3.1-4", "PUBLISH QoS must not be 3"))?;
        let dup = flags & 0x08 != 0;
        if dup && qos == QoS::AtMostOnce {
            return Err(Violation::malformed(
                "MQTT-3.3.1-2",
                "DUP must be 0 for a QoS 0 PUBLISH",
            ));
        }
        let mut r = Reader::new(body);
        let topic = r.string("topic name")?;
        // A QoS 1/2 PUBLISH with packet identifier 0 breaks [MQTT-2.2.1-3], but brokers and
        // test servers send it and MQTT.js (mqtt-packet) takes it, acking id 0: so is it read
        // here. Encoding one is still refused.
        let packet_id = if qos != QoS::AtMostOnce {
            r.u16("packet identifier")?
        } else {
            0
        };
        let properties = if version.is_v5() {
            Properties::decode(&mut r, Context::Publish)?
        } else {
            Properties::new()
        };
        check_topic_name(&topic, properties.topic_alias().is_some())?;
        let payload = r.into_rest();
        Ok(Publish {
            dup,
            qos,
            retain: flags & 1 != 0,
            topic,
            packet_id,
            properties,
            payload,
        })
    }

    pub(crate) fn check(&self, version: ProtocolVersion) -> Result<(), Violation> {
        if self.dup && self.qos == QoS::AtMostOnce {
            return Err(Violation::malformed(
                "MQTT-3.3.1-2",
                "DUP must be 0 for a QoS 0 PUBLISH",
            ));
        }
        if self.qos != QoS::AtMostOnce {
            check_packet_id(self.packet_id, "a QoS 1 or 2 PUBLISH")?;
        }
        super::check_no_properties(&self.properties, version, "PUBLISH")?;
        self.properties.check(Context::Publish)?;
        check_topic_name(
            &self.topic,
            version.is_v5() && self.properties.topic_alias().is_some(),
        )
    }

    pub(crate) fn body_len(&self, version: ProtocolVersion) -> usize {
        2 + self.topic.len()
            + if self.qos != QoS::AtMostOnce { 2 } else { 0 }
            + if version.is_v5() {
                self.properties.encoded_len()
            } else {
                0
            }
            + self.payload.len()
    }

    pub(crate) fn encode_body(&self, version: ProtocolVersion, buf: &mut impl BufMut) {
        put_binary(buf, self.topic.as_bytes());
        if self.qos != QoS::AtMostOnce {
            buf.put_u16(self.packet_id);
        }
        if version.is_v5() {
            self.properties.encode(buf);
        }
        buf.put_slice(&self.payload);
    }
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;

    use super::super::tests::{decode_all, decode_err, encode};
    use super::super::{Packet, Property};
    use super::*;

    fn publish(qos: QoS, id: u16) -> Publish {
        Publish {
            qos,
            packet_id: id,
            topic: "a/b".try_into().unwrap(),
            payload: Bytes::from_static(b"hi"),
            ..Default::default()
        }
    }

    #[test]
    fn qos0_publish_should_match_reference_bytes() {
        let p = Packet::Publish(publish(QoS::AtMostOnce, 0));
        let bytes = encode(&p, ProtocolVersion::V4);
        #[rustfmt::skip]
        assert_eq!(bytes, [
            0x30, 7,                  // PUBLISH qos 0, remaining length
            0, 3, b'a', b'/', b'b',   // topic
            b'h', b'i',               // payload
        ]);
        assert_eq!(decode_all(&bytes, ProtocolVersion::V4), vec![p]);
    }

    #[test]
    fn qos2_retained_dup_publish_should_set_header_flags() {
        let mut p = publish(QoS::ExactlyOnce, 0x0102);
        p.dup = true;
        p.retain = true;
        let bytes = encode(&Packet::Publish(p.clone()), ProtocolVersion::V4);
        assert_eq!(bytes[0], 0x3d);
        assert_eq!(&bytes[7..9], &[0x01, 0x02]);
        assert_eq!(
            decode_all(&bytes, ProtocolVersion::V4),
            vec![Packet::Publish(p)]
        );
    }

    #[test]
    fn mqtt5_publish_with_alias_may_have_empty_topic() {
        let mut p = publish(QoS::AtLeastOnce, 7);
        p.topic = MqttStr::default();
        p.properties = Properties(vec![Property::TopicAlias(4)]);
        let bytes = encode(&Packet::Publish(p.clone()), ProtocolVersion::V5);
        assert_eq!(
            decode_all(&bytes, ProtocolVersion::V5),
            vec![Packet::Publish(p.clone())]
        );
        p.properties = Properties::new();
        let mut buf = BytesMut::new();
        assert!(Packet::Publish(p)
            .encode(ProtocolVersion::V5, &mut buf)
            .is_err());
    }

    #[test]
    fn wildcard_in_topic_name_should_be_refused() {
        let bytes = [0x30, 5, 0, 3, b'a', b'/', b'#'];
        assert!(decode_err(&bytes, ProtocolVersion::V4).contains("MQTT-3.3.2-2"));
    }

    #[test]
    fn qos3_should_be_malformed() {
        assert!(
            decode_err(&[0x36, 5, 0, 1, b'a', 0, 1], ProtocolVersion::V4).contains("MQTT-3.3.1-4")
        );
    }

    #[test]
    fn packet_id_zero_should_be_read_but_not_written() {
        let p = decode_all(&[0x32, 5, 0, 1, b'a', 0, 0], ProtocolVersion::V4);
        assert!(
            matches!(&p[..], [Packet::Publish(p)] if p.packet_id == 0),
            "{p:?}"
        );
        let mut buf = BytesMut::new();
        let e = Packet::Publish(publish(QoS::AtLeastOnce, 0)).encode(ProtocolVersion::V4, &mut buf);
        assert!(e.unwrap_err().to_string().contains("MQTT-2.2.1-3"));
    }

    #[test]
    fn dup_on_qos0_should_be_malformed() {
        assert!(decode_err(&[0x38, 3, 0, 1, b'a'], ProtocolVersion::V4).contains("MQTT-3.3.1-2"));
    }

    #[test]
    fn empty_topic_without_alias_should_be_refused() {
        assert!(decode_err(&[0x30, 2, 0, 0], ProtocolVersion::V4).contains("MQTT-4.7.3-1"));
    }

    #[test]
    fn properties_below_level5_should_not_encode() {
        let mut p = publish(QoS::AtMostOnce, 0);
        p.properties = Properties(vec![Property::MessageExpiryInterval(1)]);
        let mut buf = BytesMut::new();
        assert!(Packet::Publish(p)
            .encode(ProtocolVersion::V4, &mut buf)
            .is_err());
    }
}
