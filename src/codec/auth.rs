//! AUTH [MQTT-3.15]: extended authentication exchange, level 5 only.
//!
//! ```text
//! | [reason code | [properties]] |
//! ```

use bytes::{BufMut, Bytes};

use super::primitives::Reader;
use super::{Context, Properties, ProtocolVersion, Violation};

const CODES: &[u8] = &[0x00, 0x18, 0x19];

/// AUTH.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Auth {
    /// 0x00 success, 0x18 continue authentication, 0x19 re-authenticate.
    pub reason_code: u8,
    /// Properties: authentication method and data, reason string, user properties.
    pub properties: Properties,
}

fn need_v5(version: ProtocolVersion) -> Result<(), Violation> {
    if !version.is_v5() {
        return Err(Violation::malformed(
            "MQTT-3.15",
            "AUTH exists only at protocol level 5",
        ));
    }
    Ok(())
}

impl Auth {
    pub(crate) fn decode(body: Bytes, version: ProtocolVersion) -> Result<Auth, Violation> {
        need_v5(version)?;
        let len = body.len();
        let mut r = Reader::new(body);
        let mut a = Auth::default();
        if len > 0 {
            a.reason_code = r.u8("reason code")?;
        }
        if len > 1 {
            a.properties = Properties::decode(&mut r, Context::Auth)?;
        }
        r.finish("AUTH")?;
        a.check(version)?;
        Ok(a)
    }

    pub(crate) fn check(&self, version: ProtocolVersion) -> Result<(), Violation> {
        need_v5(version)?;
        if !CODES.contains(&self.reason_code) {
            return Err(Violation::protocol(
                "MQTT-3.15.2-1",
                format!("invalid AUTH reason code 0x{:02x}", self.reason_code),
            ));
        }
        self.properties.check(Context::Auth)
    }

    pub(crate) fn body_len(&self) -> usize {
        1 + self.properties.encoded_len()
    }

    pub(crate) fn encode_body(&self, buf: &mut impl BufMut) {
        buf.put_u8(self.reason_code);
        self.properties.encode(buf);
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{decode_all, decode_err, encode};
    use super::super::{Packet, Property};
    use super::*;

    #[test]
    fn auth_should_roundtrip_at_level5() {
        let p = Packet::Auth(Auth {
            reason_code: 0x18,
            properties: Properties(vec![
                Property::AuthenticationMethod("SCRAM".try_into().unwrap()),
                Property::AuthenticationData(Bytes::from_static(b"\x01\x02")),
            ]),
        });
        let bytes = encode(&p, ProtocolVersion::V5);
        assert_eq!(decode_all(&bytes, ProtocolVersion::V5), vec![p]);
    }

    #[test]
    fn auth_below_level5_should_be_refused() {
        assert!(decode_err(&[0xf0, 2, 0, 0], ProtocolVersion::V4).contains("MQTT-3.15"));
    }
}
