//! UNSUBACK [MQTT-3.11].
//!
//! ```text
//! | packet id | [v5: properties | reason code per filter] |
//! ```
//! Below level 5 the packet is exactly the packet identifier.

use bytes::{BufMut, Bytes};

use super::primitives::Reader;
use super::{check_packet_id, Context, Properties, ProtocolVersion, Violation};

const V5_CODES: &[u8] = &[0x00, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91];

/// UNSUBACK.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnsubAck {
    /// Packet identifier of the UNSUBSCRIBE.
    pub packet_id: u16,
    /// Properties (level 5).
    pub properties: Properties,
    /// Level 5: one reason code per filter. Empty below level 5.
    pub reason_codes: Vec<u8>,
}

fn check_codes(codes: &[u8], version: ProtocolVersion) -> Result<(), Violation> {
    if !version.is_v5() {
        if !codes.is_empty() {
            return Err(Violation::protocol(
                "MQTT-3.11.3",
                "UNSUBACK codes need level 5",
            ));
        }
        return Ok(());
    }
    if codes.is_empty() {
        return Err(Violation::protocol(
            "MQTT-3.11.3-1",
            "UNSUBACK needs one code per filter",
        ));
    }
    if let Some(c) = codes.iter().find(|c| !V5_CODES.contains(c)) {
        return Err(Violation::protocol(
            "MQTT-3.11.3-2",
            format!("invalid UNSUBACK code 0x{c:02x}"),
        ));
    }
    Ok(())
}

impl UnsubAck {
    pub(crate) fn decode(body: Bytes, version: ProtocolVersion) -> Result<UnsubAck, Violation> {
        let mut r = Reader::new(body);
        let packet_id = r.u16("packet identifier")?;
        check_packet_id(packet_id, "UNSUBACK")?;
        let (properties, reason_codes) = if version.is_v5() {
            let props = Properties::decode(&mut r, Context::UnsubAck)?;
            (props, r.rest().to_vec())
        } else {
            (Properties::new(), Vec::new())
        };
        r.finish("UNSUBACK")?;
        check_codes(&reason_codes, version)?;
        Ok(UnsubAck {
            packet_id,
            properties,
            reason_codes,
        })
    }

    pub(crate) fn check(&self, version: ProtocolVersion) -> Result<(), Violation> {
        check_packet_id(self.packet_id, "UNSUBACK")?;
        check_codes(&self.reason_codes, version)?;
        super::check_no_properties(&self.properties, version, "UNSUBACK")?;
        self.properties.check(Context::UnsubAck)
    }

    pub(crate) fn body_len(&self, version: ProtocolVersion) -> usize {
        if version.is_v5() {
            2 + self.properties.encoded_len() + self.reason_codes.len()
        } else {
            2
        }
    }

    pub(crate) fn encode_body(&self, version: ProtocolVersion, buf: &mut impl BufMut) {
        buf.put_u16(self.packet_id);
        if version.is_v5() {
            self.properties.encode(buf);
            buf.put_slice(&self.reason_codes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{decode_all, decode_err, encode};
    use super::super::Packet;
    use super::*;

    #[test]
    fn unsuback_should_differ_by_level() {
        let p = Packet::UnsubAck(UnsubAck {
            packet_id: 4,
            ..Default::default()
        });
        let bytes = encode(&p, ProtocolVersion::V4);
        assert_eq!(bytes, [0xb0, 2, 0, 4]);
        assert_eq!(decode_all(&bytes, ProtocolVersion::V4), vec![p]);
        let p = Packet::UnsubAck(UnsubAck {
            packet_id: 4,
            reason_codes: vec![0, 0x11],
            ..Default::default()
        });
        let bytes = encode(&p, ProtocolVersion::V5);
        assert_eq!(bytes, [0xb0, 5, 0, 4, 0, 0, 0x11]);
        assert_eq!(decode_all(&bytes, ProtocolVersion::V5), vec![p]);
    }

    #[test]
    fn mqtt311_unsuback_with_payload_should_be_malformed() {
        assert!(
            decode_err(&[0xb0, 3, 0, 4, 0], ProtocolVersion::V4).contains("remaining length of 2")
        );
    }
}
