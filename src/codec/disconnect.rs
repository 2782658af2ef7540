//! DISCONNECT [MQTT-3.14].
//!
//! ```text
//! levels 3, 4: empty.   level 5: | [reason code | [properties]] |
//! ```
//! At level 5 a remaining length of 0 means Normal disconnection; this encoder always
//! writes the reason code and property length, as mqtt-packet does.

use bytes::{BufMut, Bytes};

use super::primitives::Reader;
use super::{Context, Properties, ProtocolVersion, Violation};

const V5_CODES: &[u8] = &[
    0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94, 0x95,
    0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2,
];

/// DISCONNECT.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Disconnect {
    /// Reason code (level 5); 0 is Normal disconnection.
    pub reason_code: u8,
    /// Properties (level 5).
    pub properties: Properties,
}

fn check_code(code: u8) -> Result<(), Violation> {
    if !V5_CODES.contains(&code) {
        return Err(Violation::protocol(
            "MQTT-3.14.2.1",
            format!("invalid DISCONNECT reason code 0x{code:02x}"),
        ));
    }
    Ok(())
}

impl Disconnect {
    pub(crate) fn decode(body: Bytes, version: ProtocolVersion) -> Result<Disconnect, Violation> {
        let len = body.len();
        let mut r = Reader::new(body);
        let mut d = Disconnect::default();
        if version.is_v5() {
            if len > 0 {
                d.reason_code = r.u8("reason code")?;
                check_code(d.reason_code)?;
            }
            if len > 1 {
                d.properties = Properties::decode(&mut r, Context::Disconnect)?;
            }
        }
        r.finish("DISCONNECT")?;
        Ok(d)
    }

    pub(crate) fn check(&self, version: ProtocolVersion) -> Result<(), Violation> {
        if version.is_v5() {
            check_code(self.reason_code)?;
            self.properties.check(Context::Disconnect)
        } else if self.reason_code != 0 || !self.properties.is_empty() {
            Err(Violation::protocol(
                "MQTT-3.14.2",
                "DISCONNECT reason codes need level 5",
            ))
        } else {
            Ok(())
        }
    }

    pub(crate) fn body_len(&self, version: ProtocolVersion) -> usize {
        if version.is_v5() {
            1 + self.properties.encoded_len()
        } else {
            0
        }
    }

    pub(crate) fn encode_body(&self, version: ProtocolVersion, buf: &mut impl BufMut) {
        if version.is_v5() {
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
    fn disconnect_should_differ_by_level() {
        let p = Packet::Disconnect(Disconnect::default());
        assert_eq!(encode(&p, ProtocolVersion::V4), [0xe0, 0]);
        assert_eq!(encode(&p, ProtocolVersion::V5), [0xe0, 2, 0, 0]);
        assert_eq!(decode_all(&[0xe0, 0], ProtocolVersion::V5), vec![p.clone()]);
        assert_eq!(decode_all(&[0xe0, 1, 0], ProtocolVersion::V5), vec![p]);
    }

    #[test]
    fn mqtt5_disconnect_with_reason_should_roundtrip() {
        let p = Packet::Disconnect(Disconnect {
            reason_code: 0x8e,
            properties: Properties(vec![Property::SessionExpiryInterval(0)]),
        });
        let bytes = encode(&p, ProtocolVersion::V5);
        assert_eq!(decode_all(&bytes, ProtocolVersion::V5), vec![p]);
    }

    #[test]
    fn invalid_disconnect_reason_should_be_refused() {
        assert!(decode_err(&[0xe0, 1, 0x05], ProtocolVersion::V5).contains("reason code"));
    }
}
