//! PUBACK, PUBREC, PUBREL and PUBCOMP [MQTT-3.4 to 3.7]: one layout, four types.
//!
//! ```text
//! | packet id | [v5: reason code | [properties]] |
//! ```
//! At level 5 the reason code and properties may be left out when the reason is Success
//! and there are no properties (remaining length 2) [MQTT-3.4.2-1].

use bytes::{BufMut, Bytes};

use super::primitives::Reader;
use super::{Context, PacketType, Properties, ProtocolVersion, Violation};

const PUBACK_CODES: &[u8] = &[0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99];
const PUBREL_CODES: &[u8] = &[0x00, 0x92];

/// An acknowledgement in the QoS 1 and 2 flows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ack {
    /// Packet identifier of the PUBLISH being acknowledged.
    pub packet_id: u16,
    /// Reason code (level 5); 0 is Success.
    pub reason_code: u8,
    /// Properties (level 5).
    pub properties: Properties,
    /// Level 5: write the reason code and an empty property length even for Success with
    /// no properties. mqtt-packet does this when `reasonCode` is absent; decoding sets it
    /// when the packet was longer than 2 bytes.
    pub full_form: bool,
}

impl Ack {
    /// Success, short form.
    pub fn new(packet_id: u16) -> Self {
        Ack {
            packet_id,
            ..Default::default()
        }
    }

    fn codes(kind: PacketType) -> &'static [u8] {
        match kind {
            PacketType::PubAck | PacketType::PubRec => PUBACK_CODES,
            _ => PUBREL_CODES,
        }
    }

    fn short(&self) -> bool {
        self.reason_code == 0 && self.properties.is_empty() && !self.full_form
    }

    pub(crate) fn decode(
        kind: PacketType,
        body: Bytes,
        version: ProtocolVersion,
    ) -> Result<Ack, Violation> {
        let len = body.len();
        let mut r = Reader::new(body);
        // Packet identifier 0 is tolerated in acks, as MQTT.js does: it answers a PUBLISH
        // that carried 0 (see publish.rs).
        let packet_id = r.u16("packet identifier")?;
        let mut ack = Ack::new(packet_id);
        if version.is_v5() && len > 2 {
            ack.full_form = true;
            ack.reason_code = r.u8("reason code")?;
            if !Self::codes(kind).contains(&ack.reason_code) {
                return Err(Violation::protocol(
                    "MQTT-3.4.2.1",
                    format!(
                        "invalid {} reason code 0x{:02x}",
                        kind.name(),
                        ack.reason_code
                    ),
                ));
            }
            // "If the Remaining Length is less than 4 the property length is not present
            // and has a value of 0" [MQTT-3.4.2.2].
            if len > 3 {
                ack.properties = Properties::decode(&mut r, Context::PubAck)?;
            }
        }
        r.finish(kind.name())?;
        Ok(ack)
    }

    pub(crate) fn check(
        &self,
        kind: PacketType,
        version: ProtocolVersion,
    ) -> Result<(), Violation> {
        if version.is_v5() {
            if !Self::codes(kind).contains(&self.reason_code) {
                return Err(Violation::protocol(
                    "MQTT-3.4.2.1",
                    format!(
                        "invalid {} reason code 0x{:02x}",
                        kind.name(),
                        self.reason_code
                    ),
                ));
            }
            self.properties.check(Context::PubAck)?;
        } else {
            super::check_no_properties(&self.properties, version, kind.name())?;
        }
        Ok(())
    }

    pub(crate) fn body_len(&self, version: ProtocolVersion) -> usize {
        if !version.is_v5() || self.short() {
            2
        } else {
            3 + self.properties.encoded_len()
        }
    }

    pub(crate) fn encode_body(&self, version: ProtocolVersion, buf: &mut impl BufMut) {
        buf.put_u16(self.packet_id);
        if version.is_v5() && !self.short() {
            buf.put_u8(self.reason_code);
            self.properties.encode(buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{decode_all, decode_err, encode};
    use super::super::{Packet, Property};
    use super::*;

    #[test]
    fn mqtt311_acks_should_be_four_bytes() {
        for (p, first) in [
            (Packet::PubAck(Ack::new(1)), 0x40),
            (Packet::PubRec(Ack::new(1)), 0x50),
            (Packet::PubRel(Ack::new(1)), 0x62),
            (Packet::PubComp(Ack::new(1)), 0x70),
        ] {
            let bytes = encode(&p, ProtocolVersion::V4);
            assert_eq!(bytes, [first, 2, 0, 1]);
            assert_eq!(decode_all(&bytes, ProtocolVersion::V4), vec![p]);
        }
    }

    #[test]
    fn mqtt5_success_without_properties_should_use_short_form() {
        let bytes = encode(&Packet::PubAck(Ack::new(9)), ProtocolVersion::V5);
        assert_eq!(bytes, [0x40, 2, 0, 9]);
        let full = Ack {
            full_form: true,
            ..Ack::new(9)
        };
        let bytes = encode(&Packet::PubAck(full.clone()), ProtocolVersion::V5);
        assert_eq!(bytes, [0x40, 4, 0, 9, 0, 0]);
        assert_eq!(
            decode_all(&bytes, ProtocolVersion::V5),
            vec![Packet::PubAck(full)]
        );
    }

    #[test]
    fn mqtt5_ack_with_reason_and_properties_should_roundtrip() {
        let a = Ack {
            packet_id: 3,
            reason_code: 0x92,
            properties: Properties(vec![Property::ReasonString("gone".try_into().unwrap())]),
            full_form: true,
        };
        let bytes = encode(&Packet::PubComp(a.clone()), ProtocolVersion::V5);
        assert_eq!(
            decode_all(&bytes, ProtocolVersion::V5),
            vec![Packet::PubComp(a)]
        );
    }

    #[test]
    fn mqtt5_ack_of_three_bytes_should_read_reason_without_properties() {
        let got = decode_all(&[0x50, 3, 0, 1, 0x10], ProtocolVersion::V5);
        assert_eq!(
            got,
            vec![Packet::PubRec(Ack {
                reason_code: 0x10,
                full_form: true,
                ..Ack::new(1)
            })]
        );
    }

    #[test]
    fn invalid_reason_code_should_be_refused() {
        assert!(decode_err(&[0x60 | 2, 3, 0, 1, 0x10], ProtocolVersion::V5).contains("reason code"));
    }

    #[test]
    fn pubrel_with_wrong_flags_should_be_malformed() {
        assert!(decode_err(&[0x60, 2, 0, 1], ProtocolVersion::V4).contains("MQTT-2.1.3-1"));
    }

    #[test]
    fn mqtt311_ack_with_extra_bytes_should_be_malformed() {
        assert!(
            decode_err(&[0x40, 3, 0, 1, 0], ProtocolVersion::V4).contains("remaining length of 2")
        );
    }
}
