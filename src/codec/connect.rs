//! CONNECT [MQTT-3.1]: the first packet a client sends.
//!
//! ```text
//! variable header: protocol name (string) | level (byte, bit 7 = bridge) | flags (byte)
//!                  | keep alive (u16) | [v5: properties]
//! payload:         client id | [will: [v5: will properties] topic, payload]
//!                  | [username] | [password]
//! flags: 7 username | 6 password | 5 will retain | 4-3 will QoS | 2 will | 1 clean | 0 reserved
//! ```

use bytes::{BufMut, Bytes};

use super::primitives::{check_binary_len, check_topic_name, put_binary, MqttStr, Reader};
use super::{Context, Properties, ProtocolVersion, QoS, Violation};

/// Protocol name in CONNECT: `MQTT` (3.1.1, 5.0) or `MQIsdp` (3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProtocolName {
    /// "MQTT"
    #[default]
    Mqtt,
    /// "MQIsdp"
    MqIsdp,
}

impl ProtocolName {
    /// The name as it goes on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ProtocolName::Mqtt => "MQTT",
            ProtocolName::MqIsdp => "MQIsdp",
        }
    }

    /// The usual name for a level: `MQIsdp` for 3, `MQTT` otherwise.
    pub fn for_level(level: ProtocolVersion) -> Self {
        if level == ProtocolVersion::V3 {
            ProtocolName::MqIsdp
        } else {
            ProtocolName::Mqtt
        }
    }
}

/// The will message carried by CONNECT.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Will {
    /// Topic name (no wildcards).
    pub topic: MqttStr,
    /// Payload.
    pub payload: Bytes,
    /// QoS of the will publish.
    pub qos: QoS,
    /// Retain flag of the will publish.
    pub retain: bool,
    /// Will properties (level 5).
    pub properties: Properties,
}

/// CONNECT.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Connect {
    /// Protocol name.
    pub protocol_name: ProtocolName,
    /// Protocol level.
    pub level: ProtocolVersion,
    /// Bit 7 of the level byte, set by bridges (Mosquitto's "try private").
    pub bridge: bool,
    /// Clean session (3.x) / clean start (5).
    pub clean_start: bool,
    /// Keep alive in seconds; 0 turns it off.
    pub keep_alive: u16,
    /// CONNECT properties (level 5).
    pub properties: Properties,
    /// Client identifier; may be empty.
    pub client_id: MqttStr,
    /// Will message.
    pub will: Option<Will>,
    /// User name.
    pub username: Option<MqttStr>,
    /// Password (binary data).
    pub password: Option<Bytes>,
}

impl Connect {
    pub(crate) fn decode(body: Bytes) -> Result<Connect, Violation> {
        let mut r = Reader::new(body);
        // In mqtt-packet's words, which mqtt-connection's users match on.
        let name = r
            .binary("protocol name")
            .map_err(|_| Violation::malformed("MQTT-3.1.2-1", "Cannot parse protocolId"))?;
        let protocol_name = match &name[..] {
            b"MQTT" => ProtocolName::Mqtt,
            b"MQIsdp" => ProtocolName::MqIsdp,
            _ => {
                return Err(Violation::protocol(
                    "MQTT-3.1.2-1",
                    format!("unknown protocol name {:?}", String::from_utf8_lossy(&name)),
                ))
            }
        };
        let level_byte = r.u8("protocol level")?;
        let bridge = level_byte & 0x80 != 0;
        let level = ProtocolVersion::from_level(level_byte & 0x7f).ok_or_else(|| {
            Violation::protocol(
                "MQTT-3.1.2-2",
                format!("unsupported protocol level {}", level_byte & 0x7f),
            )
        })?;
        let flags = r.u8("connect flags")?;
        if flags & 0x01 != 0 {
            return Err(Violation::malformed(
                "MQTT-3.1.2-3",
                "reserved connect flag bit 0 must be 0",
            ));
        }
        let will_flag = flags & 0x04 != 0;
        let will_qos_bits = (flags >> 3) & 0b11;
        let will_retain = flags & 0x20 != 0;
        let has_password = flags & 0x40 != 0;
        let has_username = flags & 0x80 != 0;
        if !will_flag && will_qos_bits != 0 {
            return Err(Violation::malformed(
                "MQTT-3.1.2-11",
                "will QoS must be 0 when the will flag is 0",
            ));
        }
        if !will_flag && will_retain {
            return Err(Violation::malformed(
                "MQTT-3.1.2-13",
                "will retain must be 0 when the will flag is 0",
            ));
        }
        let will_qos = QoS::from_u8(will_qos_bits)
            .ok_or_else(|| Violation::malformed("MQTT-3.1.2-12", "will QoS must not be 3"))?;
        if has_password && !has_username && !level.is_v5() {
            return Err(Violation::malformed(
                "MQTT-3.1.2-22",
                "password flag set without the user name flag",
            ));
        }
        let keep_alive = r.u16("keep alive")?;
        let properties = if level.is_v5() {
            Properties::decode(&mut r, Context::Connect)?
        } else {
            Properties::new()
        };
        let client_id = r.string("client identifier")?;
        let will = if will_flag {
            let properties = if level.is_v5() {
                Properties::decode(&mut r, Context::Will)?
            } else {
                Properties::new()
            };
            let topic = r.string("will topic")?;
            check_topic_name(&topic, false)?;
            let payload = r.binary("will payload")?;
            Some(Will {
                topic,
                payload,
                qos: will_qos,
                retain: will_retain,
                properties,
            })
        } else {
            None
        };
        let username = if has_username {
            Some(r.string("user name")?)
        } else {
            None
        };
        let password = if has_password {
            Some(r.binary("password")?)
        } else {
            None
        };
        r.finish("CONNECT")?;
        Ok(Connect {
            protocol_name,
            level,
            bridge,
            clean_start: flags & 0x02 != 0,
            keep_alive,
            properties,
            client_id,
            will,
            username,
            password,
        })
    }

    pub(crate) fn check(&self) -> Result<(), Violation> {
        let v5 = self.level.is_v5();
        super::check_no_properties(&self.properties, self.level, "CONNECT")?;
        self.properties.check(Context::Connect)?;
        if let Some(w) = &self.will {
            check_topic_name(&w.topic, false)?;
            check_binary_len(&w.payload, "will payload")?;
            super::check_no_properties(&w.properties, self.level, "will")?;
            w.properties.check(Context::Will)?;
        }
        if let Some(p) = &self.password {
            check_binary_len(p, "password")?;
            if self.username.is_none() && !v5 {
                return Err(Violation::malformed(
                    "MQTT-3.1.2-22",
                    "a password needs a user name before MQTT 5",
                ));
            }
        }
        Ok(())
    }

    pub(crate) fn body_len(&self) -> usize {
        let v5 = self.level.is_v5();
        let mut n = 2 + self.protocol_name.as_str().len() + 1 + 1 + 2;
        if v5 {
            n += self.properties.encoded_len();
        }
        n += 2 + self.client_id.len();
        if let Some(w) = &self.will {
            if v5 {
                n += w.properties.encoded_len();
            }
            n += 2 + w.topic.len() + 2 + w.payload.len();
        }
        if let Some(u) = &self.username {
            n += 2 + u.len();
        }
        if let Some(p) = &self.password {
            n += 2 + p.len();
        }
        n
    }

    pub(crate) fn encode_body(&self, buf: &mut impl BufMut) {
        let v5 = self.level.is_v5();
        put_binary(buf, self.protocol_name.as_str().as_bytes());
        buf.put_u8(self.level as u8 | if self.bridge { 0x80 } else { 0 });
        let mut flags = 0u8;
        if self.username.is_some() {
            flags |= 0x80;
        }
        if self.password.is_some() {
            flags |= 0x40;
        }
        if let Some(w) = &self.will {
            flags |= 0x04 | ((w.qos as u8) << 3);
            if w.retain {
                flags |= 0x20;
            }
        }
        if self.clean_start {
            flags |= 0x02;
        }
        buf.put_u8(flags);
        buf.put_u16(self.keep_alive);
        if v5 {
            self.properties.encode(buf);
        }
        put_binary(buf, self.client_id.as_bytes());
        if let Some(w) = &self.will {
            if v5 {
                w.properties.encode(buf);
            }
            put_binary(buf, w.topic.as_bytes());
            put_binary(buf, &w.payload);
        }
        if let Some(u) = &self.username {
            put_binary(buf, u.as_bytes());
        }
        if let Some(p) = &self.password {
            put_binary(buf, p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{decode_all, encode};
    use super::super::{Packet, Property};
    use super::*;

    #[test]
    fn mqtt311_connect_should_match_reference_bytes() {
        let c = Connect {
            level: ProtocolVersion::V4,
            clean_start: true,
            keep_alive: 60,
            client_id: "abc".try_into().unwrap(),
            username: Some("u".try_into().unwrap()),
            password: Some(Bytes::from_static(b"p")),
            ..Default::default()
        };
        let bytes = encode(&Packet::Connect(Box::new(c.clone())), ProtocolVersion::V4);
        #[rustfmt::skip]
        let expected = [
            0x10, 21,                       // CONNECT, remaining length
            0, 4, b'M', b'Q', b'T', b'T',   // protocol name
            4,                              // level
            0b1100_0010,                    // username, password, clean
            0, 60,                          // keep alive
            0, 3, b'a', b'b', b'c',         // client id
            0, 1, b'u',                     // user name
            0, 1, b'p',                     // password
        ];
        assert_eq!(bytes, expected);
        assert_eq!(
            decode_all(&bytes, ProtocolVersion::V4),
            vec![Packet::Connect(Box::new(c))]
        );
    }

    #[test]
    fn mqtt5_connect_with_will_should_roundtrip() {
        let c = Connect {
            level: ProtocolVersion::V5,
            keep_alive: 10,
            properties: Properties(vec![Property::SessionExpiryInterval(100)]),
            client_id: "".try_into().unwrap(),
            will: Some(Will {
                topic: "last/will".try_into().unwrap(),
                payload: Bytes::from_static(b"bye"),
                qos: QoS::ExactlyOnce,
                retain: true,
                properties: Properties(vec![Property::WillDelayInterval(5)]),
            }),
            password: Some(Bytes::from_static(b"secret")),
            ..Default::default()
        };
        let p = Packet::Connect(Box::new(c));
        let bytes = encode(&p, ProtocolVersion::V5);
        // A decoder at any level reads the level from CONNECT itself.
        assert_eq!(decode_all(&bytes, ProtocolVersion::V4), vec![p]);
    }

    #[test]
    fn mqtt31_connect_should_use_mqisdp() {
        let c = Connect {
            protocol_name: ProtocolName::MqIsdp,
            level: ProtocolVersion::V3,
            client_id: "c".try_into().unwrap(),
            ..Default::default()
        };
        let bytes = encode(&Packet::Connect(Box::new(c)), ProtocolVersion::V3);
        assert_eq!(&bytes[2..10], &[0, 6, b'M', b'Q', b'I', b's', b'd', b'p']);
        assert_eq!(bytes[10], 3);
    }

    fn connect_with_flags(flags: u8) -> Vec<u8> {
        vec![
            0x10, 13, 0, 4, b'M', b'Q', b'T', b'T', 4, flags, 0, 0, 0, 1, b'x',
        ]
    }

    #[test]
    fn reserved_connect_flag_should_be_malformed() {
        let err = super::super::tests::decode_err(&connect_with_flags(0x03), ProtocolVersion::V4);
        assert!(err.contains("MQTT-3.1.2-3"), "{err}");
    }

    #[test]
    fn will_qos_without_will_should_be_malformed() {
        let err = super::super::tests::decode_err(&connect_with_flags(0x08), ProtocolVersion::V4);
        assert!(err.contains("MQTT-3.1.2-11"), "{err}");
        let err = super::super::tests::decode_err(&connect_with_flags(0x20), ProtocolVersion::V4);
        assert!(err.contains("MQTT-3.1.2-13"), "{err}");
    }

    #[test]
    fn password_without_username_should_be_refused_before_mqtt5() {
        let err = super::super::tests::decode_err(&connect_with_flags(0x40), ProtocolVersion::V4);
        assert!(err.contains("MQTT-3.1.2-22"), "{err}");
    }

    #[test]
    fn unknown_protocol_name_and_level_should_be_refused() {
        let mut b = connect_with_flags(0);
        b[4] = b'X';
        assert!(super::super::tests::decode_err(&b, ProtocolVersion::V4).contains("MQTT-3.1.2-1"));
        let mut b = connect_with_flags(0);
        b[8] = 6;
        assert!(super::super::tests::decode_err(&b, ProtocolVersion::V4).contains("MQTT-3.1.2-2"));
    }

    #[test]
    fn trailing_bytes_should_be_malformed() {
        let mut b = connect_with_flags(0);
        b[1] += 1;
        b.push(0);
        assert!(super::super::tests::decode_err(&b, ProtocolVersion::V4).contains("left after"));
    }
}
