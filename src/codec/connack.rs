//! CONNACK [MQTT-3.2]: the server's answer to CONNECT.
//!
//! ```text
//! | flags (bit 0 session present) | return code (3.x) / reason code (5) | [v5: properties] |
//! ```

use bytes::{BufMut, Bytes};

use super::primitives::Reader;
use super::{Context, Properties, ProtocolVersion, Violation};

/// Reason codes a CONNACK may carry at level 5 (table 3.1).
const V5_CODES: &[u8] = &[
    0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97,
    0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9f,
];

/// CONNACK.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnAck {
    /// The server has a session for this client.
    pub session_present: bool,
    /// Return code (levels 3, 4: 0 to 5) or reason code (level 5).
    pub code: u8,
    /// Properties (level 5).
    pub properties: Properties,
}

fn check_code(code: u8, session_present: bool, version: ProtocolVersion) -> Result<(), Violation> {
    let ok = if version.is_v5() {
        V5_CODES.contains(&code)
    } else {
        code <= 5
    };
    if !ok {
        return Err(Violation::protocol(
            "MQTT-3.2.2-8",
            format!("invalid CONNACK code {code}"),
        ));
    }
    if code != 0 && session_present {
        return Err(Violation::protocol(
            "MQTT-3.2.2-6",
            "session present must be 0 when the connection is refused",
        ));
    }
    Ok(())
}

impl ConnAck {
    pub(crate) fn decode(body: Bytes, version: ProtocolVersion) -> Result<ConnAck, Violation> {
        let mut r = Reader::new(body);
        let flags = r.u8("CONNACK flags")?;
        if flags & 0xfe != 0 {
            return Err(Violation::malformed(
                "MQTT-3.2.2-1",
                "CONNACK flag bits 7-1 are reserved and must be 0",
            ));
        }
        let code = r.u8("CONNACK code")?;
        // At level 5 with nothing after the code: a 3.1.1-only server's answer to a level-5
        // CONNECT (`20 02 00 01`, unacceptable protocol version), read as its refusal, as
        // mqtt-packet reads it (programs fall back to 3.1.1 on it).
        let properties = if version.is_v5() && r.remaining() > 0 {
            Properties::decode(&mut r, Context::ConnAck)?
        } else {
            Properties::new()
        };
        r.finish("CONNACK")?;
        // The code is not checked on decode (only on encode): a refusal with an unknown
        // code, or with session present set, is still a refusal, and the application
        // must learn its reason (MQTT.js and mqtt-packet take any code).
        let session_present = flags & 1 != 0;
        Ok(ConnAck {
            session_present,
            code,
            properties,
        })
    }

    pub(crate) fn check(&self, version: ProtocolVersion) -> Result<(), Violation> {
        check_code(self.code, self.session_present, version)?;
        super::check_no_properties(&self.properties, version, "CONNACK")?;
        self.properties.check(Context::ConnAck)
    }

    pub(crate) fn body_len(&self, version: ProtocolVersion) -> usize {
        2 + if version.is_v5() {
            self.properties.encoded_len()
        } else {
            0
        }
    }

    pub(crate) fn encode_body(&self, version: ProtocolVersion, buf: &mut impl BufMut) {
        buf.put_u8(self.session_present as u8);
        buf.put_u8(self.code);
        if version.is_v5() {
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
    fn mqtt311_connack_should_be_four_bytes() {
        let p = Packet::ConnAck(ConnAck {
            session_present: true,
            code: 0,
            ..Default::default()
        });
        let bytes = encode(&p, ProtocolVersion::V4);
        assert_eq!(bytes, [0x20, 2, 1, 0]);
        assert_eq!(decode_all(&bytes, ProtocolVersion::V4), vec![p]);
    }

    #[test]
    fn mqtt5_connack_should_carry_properties() {
        let p = Packet::ConnAck(ConnAck {
            session_present: false,
            code: 0x87,
            properties: Properties(vec![Property::ReasonString("no".try_into().unwrap())]),
        });
        let bytes = encode(&p, ProtocolVersion::V5);
        #[rustfmt::skip]
        assert_eq!(bytes, [0x20, 8, 0, 0x87, 5, 0x1f, 0, 2, b'n', b'o']);
        assert_eq!(decode_all(&bytes, ProtocolVersion::V5), vec![p]);
    }

    #[test]
    fn reserved_connack_flags_should_be_malformed() {
        assert!(decode_err(&[0x20, 2, 2, 0], ProtocolVersion::V4).contains("MQTT-3.2.2-1"));
    }

    #[test]
    fn unknown_codes_and_session_present_with_refusal_decode_but_do_not_encode() {
        for (bytes, v) in [
            (&[0x20, 2, 0, 6][..], ProtocolVersion::V4),
            (&[0x20, 2, 0, 135][..], ProtocolVersion::V4),
            (&[0x20, 3, 0, 0x01, 0][..], ProtocolVersion::V5),
            (&[0x20, 2, 1, 5][..], ProtocolVersion::V4),
        ] {
            let [Packet::ConnAck(c)] = &decode_all(bytes, v)[..] else {
                panic!("{bytes:?} did not decode");
            };
            assert_eq!(c.code, bytes[3]);
            assert!(c.check(v).is_err(), "{bytes:?} must not be encoded");
        }
    }
}
