//! SUBSCRIBE [MQTT-3.8].
//!
//! ```text
//! | packet id | [v5: properties] | (topic filter, options)+ |
//! options: 7-6 reserved | 5-4 retain handling | 3 retain as published | 2 no local | 1-0 QoS
//! ```
//! Below level 5 only the QoS bits exist; the others are reserved [MQTT-3.8.3-4].

use bytes::{BufMut, Bytes};

use super::primitives::{check_topic_filter, is_shared_filter, put_binary, MqttStr, Reader};
use super::{check_packet_id, Context, Properties, ProtocolVersion, QoS, Violation};

/// One topic filter and its options.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Subscription {
    /// Topic filter, wildcards allowed.
    pub filter: MqttStr,
    /// Maximum QoS.
    pub qos: QoS,
    /// Level 5: do not send my own publishes back to me.
    pub no_local: bool,
    /// Level 5: keep the retain flag as published.
    pub retain_as_published: bool,
    /// Level 5: 0 send retained, 1 only on a new subscription, 2 never.
    pub retain_handling: u8,
}

impl Subscription {
    fn options(&self) -> u8 {
        self.qos as u8
            | (self.no_local as u8) << 2
            | (self.retain_as_published as u8) << 3
            | self.retain_handling << 4
    }

    fn check(&self, version: ProtocolVersion) -> Result<(), Violation> {
        check_topic_filter(&self.filter)?;
        if version.is_v5() {
            if self.retain_handling > 2 {
                return Err(Violation::malformed(
                    "MQTT-3.8.3-5",
                    "retain handling must be 0 to 2",
                ));
            }
            if self.no_local && is_shared_filter(&self.filter) {
                return Err(Violation::protocol(
                    "MQTT-3.8.3-4",
                    "no local must not be set on a shared subscription",
                ));
            }
        } else if self.no_local || self.retain_as_published || self.retain_handling != 0 {
            return Err(Violation::protocol(
                "MQTT-3.8.3-4",
                "subscription options other than QoS need protocol level 5",
            ));
        }
        Ok(())
    }
}

/// SUBSCRIBE.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Subscribe {
    /// Packet identifier, non-zero.
    pub packet_id: u16,
    /// Properties (level 5): subscription identifier, user properties.
    pub properties: Properties,
    /// At least one subscription [MQTT-3.8.3-3].
    pub filters: Vec<Subscription>,
}

impl Subscribe {
    pub(crate) fn decode(body: Bytes, version: ProtocolVersion) -> Result<Subscribe, Violation> {
        let mut r = Reader::new(body);
        let packet_id = r.u16("packet identifier")?;
        check_packet_id(packet_id, "SUBSCRIBE")?;
        let properties = if version.is_v5() {
            Properties::decode(&mut r, Context::Subscribe)?
        } else {
            Properties::new()
        };
        let mut filters = Vec::new();
        while r.remaining() > 0 {
            let filter = r.string("topic filter")?;
            let options = r.u8("subscription options")?;
            let reserved = if version.is_v5() { 0xc0 } else { 0xfc };
            if options & reserved != 0 {
                return Err(Violation::malformed(
                    if version.is_v5() {
                        "MQTT-3.8.3-5"
                    } else {
                        "MQTT-3.8.3-4"
                    },
                    format!("reserved subscription option bits set: 0x{options:02x}"),
                ));
            }
            let qos = QoS::from_u8(options & 0b11).ok_or_else(|| {
                Violation::malformed("MQTT-3.8.3-4", "subscription QoS must not be 3")
            })?;
            let sub = Subscription {
                filter,
                qos,
                no_local: options & 0x04 != 0,
                retain_as_published: options & 0x08 != 0,
                retain_handling: (options >> 4) & 0b11,
            };
            sub.check(version)?;
            filters.push(sub);
        }
        if filters.is_empty() {
            return Err(Violation::protocol(
                "MQTT-3.8.3-3",
                "SUBSCRIBE must contain at least one topic filter",
            ));
        }
        Ok(Subscribe {
            packet_id,
            properties,
            filters,
        })
    }

    pub(crate) fn check(&self, version: ProtocolVersion) -> Result<(), Violation> {
        check_packet_id(self.packet_id, "SUBSCRIBE")?;
        if self.filters.is_empty() {
            return Err(Violation::protocol(
                "MQTT-3.8.3-3",
                "SUBSCRIBE must contain at least one topic filter",
            ));
        }
        super::check_no_properties(&self.properties, version, "SUBSCRIBE")?;
        self.properties.check(Context::Subscribe)?;
        self.filters.iter().try_for_each(|s| s.check(version))
    }

    pub(crate) fn body_len(&self, version: ProtocolVersion) -> usize {
        2 + if version.is_v5() {
            self.properties.encoded_len()
        } else {
            0
        } + self
            .filters
            .iter()
            .map(|s| 3 + s.filter.len())
            .sum::<usize>()
    }

    pub(crate) fn encode_body(&self, version: ProtocolVersion, buf: &mut impl BufMut) {
        buf.put_u16(self.packet_id);
        if version.is_v5() {
            self.properties.encode(buf);
        }
        for s in &self.filters {
            put_binary(buf, s.filter.as_bytes());
            buf.put_u8(s.options());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{decode_all, decode_err, encode};
    use super::super::{Packet, Property};
    use super::*;

    fn sub(filter: &str, qos: QoS) -> Subscription {
        Subscription {
            filter: filter.try_into().unwrap(),
            qos,
            ..Default::default()
        }
    }

    #[test]
    fn mqtt311_subscribe_should_match_reference_bytes() {
        let p = Packet::Subscribe(Subscribe {
            packet_id: 10,
            properties: Properties::new(),
            filters: vec![sub("a/+", QoS::AtLeastOnce), sub("#", QoS::ExactlyOnce)],
        });
        let bytes = encode(&p, ProtocolVersion::V4);
        #[rustfmt::skip]
        assert_eq!(bytes, [
            0x82, 12,                  // SUBSCRIBE, remaining length
            0, 10,                     // packet id
            0, 3, b'a', b'/', b'+', 1, // filter, QoS 1
            0, 1, b'#', 2,             // filter, QoS 2
        ]);
        assert_eq!(decode_all(&bytes, ProtocolVersion::V4), vec![p]);
    }

    #[test]
    fn mqtt5_subscription_options_should_roundtrip() {
        let s = Subscription {
            filter: "$share/g/x/#".try_into().unwrap(),
            qos: QoS::AtLeastOnce,
            no_local: false,
            retain_as_published: true,
            retain_handling: 2,
        };
        let mut n = sub("n", QoS::AtMostOnce);
        n.no_local = true;
        let p = Packet::Subscribe(Subscribe {
            packet_id: 1,
            properties: Properties(vec![Property::SubscriptionIdentifier(300)]),
            filters: vec![s, n],
        });
        let bytes = encode(&p, ProtocolVersion::V5);
        assert_eq!(decode_all(&bytes, ProtocolVersion::V5), vec![p]);
    }

    #[test]
    fn misplaced_wildcards_should_be_refused() {
        let bytes = [0x82, 7, 0, 1, 0, 2, b'a', b'#', 0];
        assert!(decode_err(&bytes, ProtocolVersion::V4).contains("MQTT-4.7.1-1"));
    }

    #[test]
    fn empty_subscribe_should_be_refused() {
        assert!(decode_err(&[0x82, 2, 0, 1], ProtocolVersion::V4).contains("MQTT-3.8.3-3"));
    }

    #[test]
    fn reserved_option_bits_should_be_malformed() {
        assert!(
            decode_err(&[0x82, 6, 0, 1, 0, 1, b'a', 0x04], ProtocolVersion::V4)
                .contains("MQTT-3.8.3-4")
        );
        assert!(
            decode_err(&[0x82, 7, 0, 1, 0, 0, 1, b'a', 0x40], ProtocolVersion::V5)
                .contains("MQTT-3.8.3-5")
        );
        assert!(
            decode_err(&[0x82, 7, 0, 1, 0, 0, 1, b'a', 0x30], ProtocolVersion::V5)
                .contains("retain handling")
        );
    }

    #[test]
    fn no_local_on_shared_subscription_should_be_refused() {
        let mut s = sub("$share/g/a", QoS::AtMostOnce);
        s.no_local = true;
        let p = Packet::Subscribe(Subscribe {
            packet_id: 1,
            filters: vec![s],
            ..Default::default()
        });
        assert!(p.check(ProtocolVersion::V5).is_err());
    }
}
