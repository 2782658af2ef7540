//! The MQTT codec: bytes to [`Packet`] and back, for MQTT 3.1 (level 3, `MQIsdp`), 3.1.1
//! (level 4) and 5.0 (level 5). One packet model serves all three levels; each packet file
//! holds its decoding, its encoding and its tests, and takes the level as a parameter.
//!
//! Sans-IO: no sockets, no clock, no tokio, no napi. Decoding is streaming over `BytesMut`:
//! [`DecodeError::Incomplete`] (wait for more bytes) is kept apart from malformed input, and
//! a packet over the configured maximum size is refused from its fixed header, before its
//! body is buffered. Encoding validates, computes the exact length, and writes once.
//!
//! ```text
//! fixed header: | type (4 bits) | flags (4 bits) | remaining length (1-4 bytes) |
//! then:         | variable header | payload |      (remaining length bytes)
//! ```

use std::borrow::Cow;

use bytes::{BufMut, Bytes, BytesMut};

mod ack;
mod auth;
mod connack;
mod connect;
mod disconnect;
pub mod primitives;
pub mod properties;
mod publish;
mod suback;
mod subscribe;
mod unsuback;
mod unsubscribe;

pub use ack::Ack;
pub use auth::Auth;
pub use connack::ConnAck;
pub use connect::{Connect, ProtocolName, Will};
pub use disconnect::Disconnect;
pub use primitives::{MqttStr, VAR_INT_MAX};
pub use properties::{Context, Properties, Property, PropertyValue};
pub use publish::Publish;
pub use suback::SubAck;
pub use subscribe::{Subscribe, Subscription};
pub use unsuback::UnsubAck;
pub use unsubscribe::Unsubscribe;

use primitives::{put_var_int, read_var_int, var_int_len, VarInt};

/// Reason code 0x81, Malformed Packet.
pub const MALFORMED: u8 = 0x81;
/// Reason code 0x82, Protocol Error.
pub const PROTOCOL_ERROR: u8 = 0x82;
/// Reason code 0x95, Packet Too Large.
pub const PACKET_TOO_LARGE: u8 = 0x95;
/// Largest packet the protocol can express: one type byte, four length bytes, the body.
pub const MAX_PACKET_SIZE: usize = 1 + 4 + VAR_INT_MAX as usize;

/// A broken rule of the spec: which one, what was wrong, and the MQTT 5 reason code to
/// disconnect with. Displays as `[MQTT-x.y.z-n] message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("[{rule}] {message}")]
pub struct Violation {
    /// Conformance statement or section, such as `MQTT-3.3.2-2`.
    pub rule: &'static str,
    /// What was wrong, for a person.
    pub message: Cow<'static, str>,
    /// 0x81 (malformed) or 0x82 (protocol error), as the spec classes the rule.
    pub reason_code: u8,
}

impl Violation {
    /// A violation with an explicit reason code.
    pub fn new(rule: &'static str, message: impl Into<Cow<'static, str>>, reason_code: u8) -> Self {
        Violation {
            rule,
            message: message.into(),
            reason_code,
        }
    }

    /// A Malformed Packet violation.
    pub fn malformed(rule: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(rule, message, MALFORMED)
    }

    /// A Protocol Error violation.
    pub fn protocol(rule: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(rule, message, PROTOCOL_ERROR)
    }
}

/// Why bytes could not become a packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Not an error: the packet is not all there yet; read at least `needed` more bytes.
    #[error("incomplete packet: at least {needed} more bytes needed")]
    Incomplete {
        /// Lower bound on the bytes still missing.
        needed: usize,
    },
    /// The fixed header announces a packet larger than the configured maximum.
    #[error(
        "[MQTT-3.2.2-15] {cmd} packet of {size} bytes exceeds the maximum packet size of {max}"
    )]
    PacketTooLarge {
        /// Its kind, as mqtt-packet's `cmd`.
        cmd: &'static str,
        /// Announced size of the whole packet.
        size: usize,
        /// Configured maximum.
        max: usize,
    },
    /// The bytes break a rule of the spec.
    #[error(transparent)]
    Invalid(#[from] Violation),
}

impl DecodeError {
    /// The MQTT 5 reason code to disconnect with, `None` for [`DecodeError::Incomplete`].
    pub fn reason_code(&self) -> Option<u8> {
        match self {
            DecodeError::Incomplete { .. } => None,
            DecodeError::PacketTooLarge { .. } => Some(PACKET_TOO_LARGE),
            DecodeError::Invalid(v) => Some(v.reason_code),
        }
    }
}

/// Why a packet could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The packet breaks a rule of the spec.
    #[error(transparent)]
    Invalid(#[from] Violation),
    /// The packet is larger than the peer accepts, or than MQTT can express.
    #[error("packet of {size} bytes exceeds the maximum packet size of {max}")]
    PacketTooLarge {
        /// Size of the whole encoded packet.
        size: usize,
        /// The limit.
        max: usize,
    },
}

/// Protocol level: 3 (MQTT 3.1), 4 (MQTT 3.1.1), 5 (MQTT 5.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(u8)]
pub enum ProtocolVersion {
    /// MQTT 3.1, protocol name `MQIsdp`.
    V3 = 3,
    /// MQTT 3.1.1.
    #[default]
    V4 = 4,
    /// MQTT 5.0.
    V5 = 5,
}

impl ProtocolVersion {
    /// From the level byte of CONNECT (bridge bit already removed).
    pub fn from_level(level: u8) -> Option<Self> {
        match level {
            3 => Some(Self::V3),
            4 => Some(Self::V4),
            5 => Some(Self::V5),
            _ => None,
        }
    }

    /// True for MQTT 5.
    pub fn is_v5(self) -> bool {
        self == Self::V5
    }
}

/// Quality of service [MQTT-4.3].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(u8)]
pub enum QoS {
    /// At most once.
    #[default]
    AtMostOnce = 0,
    /// At least once.
    AtLeastOnce = 1,
    /// Exactly once.
    ExactlyOnce = 2,
}

impl QoS {
    /// 0, 1 or 2; anything else is `None`.
    pub fn from_u8(v: u8) -> Option<QoS> {
        match v {
            0 => Some(QoS::AtMostOnce),
            1 => Some(QoS::AtLeastOnce),
            2 => Some(QoS::ExactlyOnce),
            _ => None,
        }
    }
}

/// Control packet type, the high nibble of the first byte [MQTT-2.1.2].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PacketType {
    /// 1
    Connect = 1,
    /// 2
    ConnAck = 2,
    /// 3
    Publish = 3,
    /// 4
    PubAck = 4,
    /// 5
    PubRec = 5,
    /// 6
    PubRel = 6,
    /// 7
    PubComp = 7,
    /// 8
    Subscribe = 8,
    /// 9
    SubAck = 9,
    /// 10
    Unsubscribe = 10,
    /// 11
    UnsubAck = 11,
    /// 12
    PingReq = 12,
    /// 13
    PingResp = 13,
    /// 14
    Disconnect = 14,
    /// 15
    Auth = 15,
}

impl PacketType {
    fn from_nibble(n: u8) -> Option<Self> {
        use PacketType::*;
        Some(match n {
            1 => Connect,
            2 => ConnAck,
            3 => Publish,
            4 => PubAck,
            5 => PubRec,
            6 => PubRel,
            7 => PubComp,
            8 => Subscribe,
            9 => SubAck,
            10 => Unsubscribe,
            11 => UnsubAck,
            12 => PingReq,
            13 => PingResp,
            14 => Disconnect,
            15 => Auth,
            _ => return None,
        })
    }

    /// Flag bits the spec fixes for this type (table 2.2); PUBLISH has none fixed.
    fn required_flags(self) -> Option<u8> {
        match self {
            PacketType::Publish => None,
            PacketType::PubRel | PacketType::Subscribe | PacketType::Unsubscribe => Some(0b0010),
            _ => Some(0),
        }
    }

    /// The remaining length the spec fixes for this type at `version`, if it does: below
    /// MQTT 5 the acks, CONNACK and UNSUBACK carry two bytes, PINGREQ, PINGRESP and
    /// DISCONNECT none; at MQTT 5 only the pings are fixed.
    pub fn fixed_body_len(self, version: ProtocolVersion) -> Option<usize> {
        use PacketType::*;
        match self {
            PingReq | PingResp => Some(0),
            _ if version.is_v5() => None,
            ConnAck | PubAck | PubRec | PubRel | PubComp | UnsubAck => Some(2),
            Disconnect => Some(0),
            _ => None,
        }
    }

    /// Lower-case name, as mqtt-packet's `cmd`.
    pub fn name(self) -> &'static str {
        use PacketType::*;
        match self {
            Connect => "connect",
            ConnAck => "connack",
            Publish => "publish",
            PubAck => "puback",
            PubRec => "pubrec",
            PubRel => "pubrel",
            PubComp => "pubcomp",
            Subscribe => "subscribe",
            SubAck => "suback",
            Unsubscribe => "unsubscribe",
            UnsubAck => "unsuback",
            PingReq => "pingreq",
            PingResp => "pingresp",
            Disconnect => "disconnect",
            Auth => "auth",
        }
    }
}

/// An MQTT control packet, any level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// CONNECT, section 3.1.
    Connect(Box<Connect>),
    /// CONNACK, section 3.2.
    ConnAck(ConnAck),
    /// PUBLISH, section 3.3.
    Publish(Publish),
    /// PUBACK, section 3.4.
    PubAck(Ack),
    /// PUBREC, section 3.5.
    PubRec(Ack),
    /// PUBREL, section 3.6.
    PubRel(Ack),
    /// PUBCOMP, section 3.7.
    PubComp(Ack),
    /// SUBSCRIBE, section 3.8.
    Subscribe(Subscribe),
    /// SUBACK, section 3.9.
    SubAck(SubAck),
    /// UNSUBSCRIBE, section 3.10.
    Unsubscribe(Unsubscribe),
    /// UNSUBACK, section 3.11.
    UnsubAck(UnsubAck),
    /// PINGREQ, section 3.12.
    PingReq,
    /// PINGRESP, section 3.13.
    PingResp,
    /// DISCONNECT, section 3.14.
    Disconnect(Disconnect),
    /// AUTH, section 3.15 (MQTT 5 only).
    Auth(Auth),
}

impl Packet {
    /// The packet's type.
    pub fn packet_type(&self) -> PacketType {
        use PacketType as T;
        match self {
            Packet::Connect(_) => T::Connect,
            Packet::ConnAck(_) => T::ConnAck,
            Packet::Publish(_) => T::Publish,
            Packet::PubAck(_) => T::PubAck,
            Packet::PubRec(_) => T::PubRec,
            Packet::PubRel(_) => T::PubRel,
            Packet::PubComp(_) => T::PubComp,
            Packet::Subscribe(_) => T::Subscribe,
            Packet::SubAck(_) => T::SubAck,
            Packet::Unsubscribe(_) => T::Unsubscribe,
            Packet::UnsubAck(_) => T::UnsubAck,
            Packet::PingReq => T::PingReq,
            Packet::PingResp => T::PingResp,
            Packet::Disconnect(_) => T::Disconnect,
            Packet::Auth(_) => T::Auth,
        }
    }

    /// First byte of the fixed header.
    pub fn first_byte(&self) -> u8 {
        let t = self.packet_type();
        let flags = match self {
            Packet::Publish(p) => p.header_flags(),
            _ => t.required_flags().unwrap_or(0),
        };
        ((t as u8) << 4) | flags
    }

    /// Checks the rules an encoder must keep for `version`.
    pub fn check(&self, version: ProtocolVersion) -> Result<(), Violation> {
        match self {
            Packet::Connect(p) => p.check(),
            Packet::ConnAck(p) => p.check(version),
            Packet::Publish(p) => p.check(version),
            Packet::PubAck(p) | Packet::PubRec(p) | Packet::PubRel(p) | Packet::PubComp(p) => {
                p.check(self.packet_type(), version)
            }
            Packet::Subscribe(p) => p.check(version),
            Packet::SubAck(p) => p.check(version),
            Packet::Unsubscribe(p) => p.check(version),
            Packet::UnsubAck(p) => p.check(version),
            Packet::PingReq | Packet::PingResp => Ok(()),
            Packet::Disconnect(p) => p.check(version),
            Packet::Auth(p) => p.check(version),
        }
    }

    /// The remaining length: bytes after the fixed header.
    pub fn body_len(&self, version: ProtocolVersion) -> usize {
        match self {
            Packet::Connect(p) => p.body_len(),
            Packet::ConnAck(p) => p.body_len(version),
            Packet::Publish(p) => p.body_len(version),
            Packet::PubAck(p) | Packet::PubRec(p) | Packet::PubRel(p) | Packet::PubComp(p) => {
                p.body_len(version)
            }
            Packet::Subscribe(p) => p.body_len(version),
            Packet::SubAck(p) => p.body_len(version),
            Packet::Unsubscribe(p) => p.body_len(version),
            Packet::UnsubAck(p) => p.body_len(version),
            Packet::PingReq | Packet::PingResp => 0,
            Packet::Disconnect(p) => p.body_len(version),
            Packet::Auth(p) => p.body_len(),
        }
    }

    /// Size of the whole encoded packet, fixed header included.
    pub fn encoded_len(&self, version: ProtocolVersion) -> usize {
        let body = self.body_len(version);
        1 + var_int_len(body.min(VAR_INT_MAX as usize) as u32) + body
    }

    /// Validates the packet for `version` and appends its encoding to `buf`, reserving the
    /// exact length first.
    pub fn encode(&self, version: ProtocolVersion, buf: &mut BytesMut) -> Result<(), EncodeError> {
        self.encode_limited(version, MAX_PACKET_SIZE, buf)
    }

    /// As [`Packet::encode`], refusing packets larger than `max` bytes in all.
    pub fn encode_limited(
        &self,
        version: ProtocolVersion,
        max: usize,
        buf: &mut BytesMut,
    ) -> Result<(), EncodeError> {
        let total = self.checked_len(version, max)?;
        buf.reserve(total);
        let start = buf.len();
        self.write(version, buf);
        debug_assert_eq!(buf.len() - start, total, "encoded_len disagrees with write");
        Ok(())
    }

    /// Validates the packet for `version` and returns its encoded size, refusing packets
    /// larger than `max` bytes in all.
    pub fn checked_len(&self, version: ProtocolVersion, max: usize) -> Result<usize, EncodeError> {
        self.check(version)?;
        let body = self.body_len(version);
        if body > VAR_INT_MAX as usize {
            return Err(EncodeError::PacketTooLarge {
                size: body + 5,
                max: MAX_PACKET_SIZE,
            });
        }
        let total = 1 + var_int_len(body as u32) + body;
        if total > max {
            return Err(EncodeError::PacketTooLarge { size: total, max });
        }
        Ok(total)
    }

    /// Writes a packet that [`Packet::checked_len`] accepted; `buf` must have room for
    /// `encoded_len(version)` bytes (a `&mut [u8]` panics otherwise).
    pub fn write(&self, version: ProtocolVersion, buf: &mut impl BufMut) {
        let body = self.body_len(version);
        buf.put_u8(self.first_byte());
        put_var_int(buf, body as u32);
        match self {
            Packet::Connect(p) => p.encode_body(buf),
            Packet::ConnAck(p) => p.encode_body(version, buf),
            Packet::Publish(p) => p.encode_body(version, buf),
            Packet::PubAck(p) | Packet::PubRec(p) | Packet::PubRel(p) | Packet::PubComp(p) => {
                p.encode_body(version, buf)
            }
            Packet::Subscribe(p) => p.encode_body(version, buf),
            Packet::SubAck(p) => p.encode_body(version, buf),
            Packet::Unsubscribe(p) => p.encode_body(version, buf),
            Packet::UnsubAck(p) => p.encode_body(version, buf),
            Packet::PingReq | Packet::PingResp => {}
            Packet::Disconnect(p) => p.encode_body(version, buf),
            Packet::Auth(p) => p.encode_body(buf),
        }
    }

    /// Drops the reason string, then the user properties, while the packet is larger than
    /// `max` bytes; the spec allows it for acknowledgements, DISCONNECT and AUTH
    /// [MQTT-3.4.2-3]. Returns false if it still does not fit.
    pub fn shrink_to(&mut self, version: ProtocolVersion, max: usize) -> bool {
        for id in [0x1f, 0x26] {
            if self.encoded_len(version) <= max {
                return true;
            }
            match props_of(self) {
                Some(props) => {
                    props.remove_id(id);
                }
                None => return false,
            }
        }
        self.encoded_len(version) <= max
    }
}

fn props_of(p: &mut Packet) -> Option<&mut Properties> {
    match p {
        Packet::PubAck(p) | Packet::PubRec(p) | Packet::PubRel(p) | Packet::PubComp(p) => {
            Some(&mut p.properties)
        }
        Packet::SubAck(p) => Some(&mut p.properties),
        Packet::UnsubAck(p) => Some(&mut p.properties),
        Packet::Disconnect(p) => Some(&mut p.properties),
        Packet::Auth(p) => Some(&mut p.properties),
        _ => None,
    }
}

/// What the fixed header of the next packet says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// The first byte (type and flags).
    pub first_byte: u8,
    /// Length of the fixed header (1 + length bytes).
    pub header_len: usize,
    /// The remaining length.
    pub body_len: usize,
}

impl FrameHeader {
    /// Size of the whole packet.
    pub fn frame_len(&self) -> usize {
        self.header_len + self.body_len
    }
}

/// Reads and checks the fixed header at the start of `buf`: packet type, reserved flags
/// [MQTT-2.1.3-1], PUBLISH QoS [MQTT-3.3.1-4], remaining length [MQTT-1.5.5-1] and the size
/// limit `max`. Needs only the header bytes, never the body.
pub fn read_header(buf: &[u8], max: usize) -> Result<FrameHeader, DecodeError> {
    let Some(&first) = buf.first() else {
        return Err(DecodeError::Incomplete { needed: 2 });
    };
    let Some(kind) = PacketType::from_nibble(first >> 4) else {
        return Err(Violation::malformed("MQTT-2.1.2", "packet type 0 is reserved").into());
    };
    let flags = first & 0x0f;
    match kind.required_flags() {
        Some(required) if flags != required => {
            return Err(Violation::malformed(
                "MQTT-2.1.3-1",
                format!(
                    "invalid header flags 0x{flags:x} for {}, must be 0x{required:x}",
                    kind.name()
                ),
            )
            .into())
        }
        None if (flags >> 1) & 0b11 == 3 => {
            return Err(Violation::malformed(
                "MQTT-3.3.1-4",
                "PUBLISH must not have both QoS bits set",
            )
            .into())
        }
        _ => {}
    }
    let (body_len, n) = match read_var_int(&buf[1..])? {
        VarInt::Value(v, n) => (v as usize, n),
        VarInt::Incomplete => return Err(DecodeError::Incomplete { needed: 1 }),
    };
    let header = FrameHeader {
        first_byte: first,
        header_len: 1 + n,
        body_len,
    };
    if header.frame_len() > max {
        return Err(DecodeError::PacketTooLarge {
            cmd: kind.name(),
            size: header.frame_len(),
            max,
        });
    }
    Ok(header)
}

/// A streaming decoder: feed it a buffer, take packets out. Holds the protocol level (a
/// server learns it from CONNECT) and the largest packet it accepts.
#[derive(Debug, Clone)]
pub struct Decoder {
    /// Level used for every packet but CONNECT, which carries its own.
    pub version: ProtocolVersion,
    /// Largest accepted packet, fixed header included.
    pub max_packet_size: usize,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder {
            version: ProtocolVersion::V4,
            max_packet_size: MAX_PACKET_SIZE,
        }
    }
}

impl Decoder {
    /// A decoder for `version` with no size limit beyond the protocol's.
    pub fn new(version: ProtocolVersion) -> Self {
        Decoder {
            version,
            ..Default::default()
        }
    }

    /// Takes the next packet from the front of `buf`. On `Incomplete` nothing is consumed;
    /// on any other error the stream is unusable (the spec says close the connection).
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Packet, DecodeError> {
        let header = read_header(buf, self.max_packet_size)?;
        // Below MQTT 5 most packets have a fixed size: one that claims another is refused
        // from its fixed header, not buffered first (a CONNACK claiming 256 MiB).
        if let Some(kind) = PacketType::from_nibble(header.first_byte >> 4) {
            if let Some(len) = kind.fixed_body_len(self.version) {
                if header.body_len != len {
                    return Err(Violation::malformed(
                        "MQTT-2.1.4",
                        format!(
                            "{} must have a remaining length of {len}, not {}",
                            kind.name(),
                            header.body_len
                        ),
                    )
                    .into());
                }
            }
        }
        if buf.len() < header.frame_len() {
            return Err(DecodeError::Incomplete {
                needed: header.frame_len() - buf.len(),
            });
        }
        bytes::Buf::advance(buf, header.header_len);
        let body = buf.split_to(header.body_len).freeze();
        self.decode_body(header.first_byte, body)
    }

    /// Decodes one packet body whose fixed header was `first_byte` (already checked by
    /// [`read_header`]).
    pub fn decode_body(&mut self, first_byte: u8, body: Bytes) -> Result<Packet, DecodeError> {
        let flags = first_byte & 0x0f;
        let v = self.version;
        let Some(kind) = PacketType::from_nibble(first_byte >> 4) else {
            return Err(Violation::malformed("MQTT-2.1.2", "packet type 0 is reserved").into());
        };
        let packet = match kind {
            PacketType::Connect => {
                let c = Connect::decode(body)?;
                // The server reads every later packet at the level the client asked for.
                self.version = c.level;
                Packet::Connect(Box::new(c))
            }
            PacketType::ConnAck => Packet::ConnAck(ConnAck::decode(body, v)?),
            PacketType::Publish => Packet::Publish(Publish::decode(flags, body, v)?),
            PacketType::PubAck => Packet::PubAck(Ack::decode(kind, body, v)?),
            PacketType::PubRec => Packet::PubRec(Ack::decode(kind, body, v)?),
            PacketType::PubRel => Packet::PubRel(Ack::decode(kind, body, v)?),
            PacketType::PubComp => Packet::PubComp(Ack::decode(kind, body, v)?),
            PacketType::Subscribe => Packet::Subscribe(Subscribe::decode(body, v)?),
            PacketType::SubAck => Packet::SubAck(SubAck::decode(body, v)?),
            PacketType::Unsubscribe => Packet::Unsubscribe(Unsubscribe::decode(body, v)?),
            PacketType::UnsubAck => Packet::UnsubAck(UnsubAck::decode(body, v)?),
            PacketType::PingReq | PacketType::PingResp => {
                if !body.is_empty() {
                    return Err(Violation::malformed(
                        "MQTT-3.12.1",
                        format!("{} must have a remaining length of 0", kind.name()),
                    )
                    .into());
                }
                if kind == PacketType::PingReq {
                    Packet::PingReq
                } else {
                    Packet::PingResp
                }
            }
            PacketType::Disconnect => Packet::Disconnect(Disconnect::decode(body, v)?),
            PacketType::Auth => Packet::Auth(Auth::decode(body, v)?),
        };
        Ok(packet)
    }
}

/// Fails with a protocol error when `id` is 0 [MQTT-2.2.1-3].
pub(crate) fn check_packet_id(id: u16, packet: &'static str) -> Result<(), Violation> {
    if id == 0 {
        return Err(Violation::protocol(
            "MQTT-2.2.1-3",
            format!("{packet} needs a non-zero packet identifier"),
        ));
    }
    Ok(())
}

/// Properties only exist at level 5; below it a non-empty list cannot be encoded.
pub(crate) fn check_no_properties(
    props: &Properties,
    version: ProtocolVersion,
    packet: &'static str,
) -> Result<(), Violation> {
    if !version.is_v5() && !props.is_empty() {
        return Err(Violation::protocol(
            "MQTT-2.2.2",
            format!("{packet} properties need protocol level 5"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
