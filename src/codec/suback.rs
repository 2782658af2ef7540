//! SUBACK [MQTT-3.9].
//!
//! ```text
//! | packet id | [v5: properties] | return code per filter |
//! ```

use bytes::{BufMut, Bytes};

use super::primitives::Reader;
use super::{check_packet_id, Context, Properties, ProtocolVersion, Violation};

const V5_CODES: &[u8] = &[
    0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2,
];
const V4_CODES: &[u8] = &[0x00, 0x01, 0x02, 0x80];

/// SUBACK.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubAck {
    /// Packet identifier of the SUBSCRIBE.
    pub packet_id: u16,
    /// Properties (level 5).
    pub properties: Properties,
    /// One code per filter: granted QoS 0-2, or a failure (0x80 and up).
    pub return_codes: Vec<u8>,
}

fn check_codes(codes: &[u8], version: ProtocolVersion) -> Result<(), Violation> {
    let valid = if version.is_v5() { V5_CODES } else { V4_CODES };
    if codes.is_empty() {
        return Err(Violation::protocol(
            "MQTT-3.9.3-1",
            "SUBACK needs one code per filter",
        ));
    }
    if let Some(c) = codes.iter().find(|c| !valid.contains(c)) {
        return Err(Violation::protocol(
            "MQTT-3.9.3-2",
            format!("invalid SUBACK code 0x{c:02x}"),
        ));
    }
    Ok(())
}

impl SubAck {
    pub(crate) fn decode(body: Bytes, version: ProtocolVersion) -> Result<SubAck, Violation> {
        let mut r = Reader::new(body);
        let packet_id = r.u16("packet identifier")?;
        check_packet_id(packet_id, "SUBACK")?;
        let properties = if version.is_v5() {
            Properties::decode(&mut r, Context::SubAck)?
        } else {
            Properties::new()
        };
        let return_codes = r.rest().to_vec();
        check_codes(&return_codes, version)?;
        Ok(SubAck {
            packet_id,
            properties,
            return_codes,
        })
    }

    pub(crate) fn check(&self, version: ProtocolVersion) -> Result<(), Violation> {
        check_packet_id(self.packet_id, "SUBACK")?;
        check_codes(&self.return_codes, version)?;
        super::check_no_properties(&self.properties, version, "SUBACK")?;
        self.properties.check(Context::SubAck)
    }

    pub(crate) fn body_len(&self, version: ProtocolVersion) -> usize {
        2 + if version.is_v5() {
            self.properties.encoded_len()
        } else {
            0
        } + self.return_codes.len()
    }

    pub(crate) fn encode_body(&self, version: ProtocolVersion, buf: &mut impl BufMut) {
        buf.put_u16(self.packet_id);
        if version.is_v5() {
            self.properties.encode(buf);
        }
        buf.put_slice(&self.return_codes);
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{decode_all, decode_err, encode};
    use super::super::Packet;
    use super::*;

    #[test]
    fn suback_should_roundtrip_at_each_level() {
        let p = Packet::SubAck(SubAck {
            packet_id: 5,
            return_codes: vec![0, 1, 2, 0x80],
            ..Default::default()
        });
        let bytes = encode(&p, ProtocolVersion::V4);
        assert_eq!(bytes, [0x90, 6, 0, 5, 0, 1, 2, 0x80]);
        assert_eq!(decode_all(&bytes, ProtocolVersion::V4), vec![p.clone()]);
        let bytes = encode(&p, ProtocolVersion::V5);
        assert_eq!(bytes, [0x90, 7, 0, 5, 0, 0, 1, 2, 0x80]);
        assert_eq!(decode_all(&bytes, ProtocolVersion::V5), vec![p]);
    }

    #[test]
    fn mqtt5_failure_codes_should_be_refused_below_level5() {
        assert!(decode_err(&[0x90, 3, 0, 1, 0x87], ProtocolVersion::V4).contains("SUBACK code"));
        assert_eq!(
            decode_all(&[0x90, 4, 0, 1, 0, 0x87], ProtocolVersion::V5).len(),
            1
        );
    }

    #[test]
    fn suback_without_codes_should_be_refused() {
        assert!(decode_err(&[0x90, 2, 0, 1], ProtocolVersion::V4).contains("MQTT-3.9.3-1"));
    }
}
