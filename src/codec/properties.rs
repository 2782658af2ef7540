//! MQTT 5 properties [MQTT-2.2.2]: one model for every packet, kept in wire order so that
//! re-encoding a decoded packet (or a JS object, whose key order mqtt-packet follows) gives
//! the same bytes.
//!
//! ```text
//! +-------------------------+----------------------------------------------+
//! | property length (varint)| (id: varint, value by id's type)*            |
//! +-------------------------+----------------------------------------------+
//! ```

use bytes::{BufMut, Bytes};

use super::primitives::{
    check_binary_len, check_topic_name, put_binary, put_var_int, var_int_len, MqttStr, Reader,
    VAR_INT_MAX,
};
use super::{Violation, MALFORMED, PROTOCOL_ERROR};

/// One property. Names and identifiers follow section 2.2.2.2 of MQTT 5.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Property {
    /// 0x01, byte 0 or 1.
    PayloadFormatIndicator(u8),
    /// 0x02, four-byte integer.
    MessageExpiryInterval(u32),
    /// 0x03, UTF-8 string.
    ContentType(MqttStr),
    /// 0x08, UTF-8 string holding a topic name.
    ResponseTopic(MqttStr),
    /// 0x09, binary data.
    CorrelationData(Bytes),
    /// 0x0B, variable byte integer 1..=268,435,455.
    SubscriptionIdentifier(u32),
    /// 0x11, four-byte integer.
    SessionExpiryInterval(u32),
    /// 0x12, UTF-8 string.
    AssignedClientIdentifier(MqttStr),
    /// 0x13, two-byte integer.
    ServerKeepAlive(u16),
    /// 0x15, UTF-8 string.
    AuthenticationMethod(MqttStr),
    /// 0x16, binary data.
    AuthenticationData(Bytes),
    /// 0x17, byte 0 or 1.
    RequestProblemInformation(u8),
    /// 0x18, four-byte integer.
    WillDelayInterval(u32),
    /// 0x19, byte 0 or 1.
    RequestResponseInformation(u8),
    /// 0x1A, UTF-8 string.
    ResponseInformation(MqttStr),
    /// 0x1C, UTF-8 string.
    ServerReference(MqttStr),
    /// 0x1F, UTF-8 string.
    ReasonString(MqttStr),
    /// 0x21, two-byte integer, not 0.
    ReceiveMaximum(u16),
    /// 0x22, two-byte integer.
    TopicAliasMaximum(u16),
    /// 0x23, two-byte integer, not 0.
    TopicAlias(u16),
    /// 0x24, byte 0 or 1.
    MaximumQos(u8),
    /// 0x25, byte 0 or 1.
    RetainAvailable(u8),
    /// 0x26, UTF-8 string pair; may repeat, order kept [MQTT-3.3.2-18].
    UserProperty(MqttStr, MqttStr),
    /// 0x27, four-byte integer, not 0.
    MaximumPacketSize(u32),
    /// 0x28, byte 0 or 1.
    WildcardSubscriptionAvailable(u8),
    /// 0x29, byte 0 or 1.
    SubscriptionIdentifierAvailable(u8),
    /// 0x2A, byte 0 or 1.
    SharedSubscriptionAvailable(u8),
}

/// A property's value by wire type, borrowed from the [`Property`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertyValue<'a> {
    /// Byte.
    Byte(u8),
    /// Two-byte integer.
    TwoByte(u16),
    /// Four-byte integer.
    FourByte(u32),
    /// Variable byte integer.
    VarInt(u32),
    /// UTF-8 string.
    Str(&'a MqttStr),
    /// Binary data.
    Binary(&'a Bytes),
    /// UTF-8 string pair.
    Pair(&'a MqttStr, &'a MqttStr),
}

/// Where a property list sits; decides which identifiers are allowed (table 2.2.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// CONNECT variable header.
    Connect,
    /// Will properties in the CONNECT payload.
    Will,
    /// CONNACK.
    ConnAck,
    /// PUBLISH.
    Publish,
    /// PUBACK, PUBREC, PUBREL, PUBCOMP.
    PubAck,
    /// SUBSCRIBE.
    Subscribe,
    /// SUBACK.
    SubAck,
    /// UNSUBSCRIBE.
    Unsubscribe,
    /// UNSUBACK.
    UnsubAck,
    /// DISCONNECT.
    Disconnect,
    /// AUTH.
    Auth,
}

impl Context {
    fn name(self) -> &'static str {
        match self {
            Context::Connect => "CONNECT",
            Context::Will => "will",
            Context::ConnAck => "CONNACK",
            Context::Publish => "PUBLISH",
            Context::PubAck => "PUBACK/PUBREC/PUBREL/PUBCOMP",
            Context::Subscribe => "SUBSCRIBE",
            Context::SubAck => "SUBACK",
            Context::Unsubscribe => "UNSUBSCRIBE",
            Context::UnsubAck => "UNSUBACK",
            Context::Disconnect => "DISCONNECT",
            Context::Auth => "AUTH",
        }
    }

    /// Bit `id` set when property `id` may appear here.
    fn allowed(self) -> u64 {
        const fn bits(ids: &[u8]) -> u64 {
            let mut m = 0u64;
            let mut i = 0;
            while i < ids.len() {
                m |= 1 << ids[i];
                i += 1;
            }
            m
        }
        const USER: u8 = 0x26;
        match self {
            Context::Connect => bits(&[0x11, 0x21, 0x27, 0x22, 0x19, 0x17, USER, 0x15, 0x16]),
            Context::Will => bits(&[0x18, 0x01, 0x02, 0x03, 0x08, 0x09, USER]),
            Context::ConnAck => bits(&[
                0x11, 0x21, 0x24, 0x25, 0x27, 0x12, 0x22, 0x1f, USER, 0x28, 0x29, 0x2a, 0x13, 0x1a,
                0x1c, 0x15, 0x16,
            ]),
            Context::Publish => bits(&[0x01, 0x02, 0x23, 0x08, 0x09, USER, 0x0b, 0x03]),
            Context::PubAck | Context::SubAck | Context::UnsubAck => bits(&[0x1f, USER]),
            Context::Subscribe => bits(&[0x0b, USER]),
            Context::Unsubscribe => bits(&[USER]),
            Context::Disconnect => bits(&[0x11, 0x1f, USER, 0x1c]),
            Context::Auth => bits(&[0x15, 0x16, 0x1f, USER]),
        }
    }

    /// Properties that may appear more than once here.
    fn repeatable(self, id: u8) -> bool {
        id == 0x26 || (id == 0x0b && self == Context::Publish)
    }
}

impl Property {
    /// Bytes on the wire, identifier included.
    pub fn encoded_len(&self) -> usize {
        1 + match self.value() {
            PropertyValue::Byte(_) => 1,
            PropertyValue::TwoByte(_) => 2,
            PropertyValue::FourByte(_) => 4,
            PropertyValue::VarInt(v) => var_int_len(v),
            PropertyValue::Str(s) => 2 + s.len(),
            PropertyValue::Binary(b) => 2 + b.len(),
            PropertyValue::Pair(k, v) => 4 + k.len() + v.len(),
        }
    }

    fn encode(&self, buf: &mut impl BufMut) {
        buf.put_u8(self.id());
        match self.value() {
            PropertyValue::Byte(v) => buf.put_u8(v),
            PropertyValue::TwoByte(v) => buf.put_u16(v),
            PropertyValue::FourByte(v) => buf.put_u32(v),
            PropertyValue::VarInt(v) => put_var_int(buf, v),
            PropertyValue::Str(s) => put_binary(buf, s.as_bytes()),
            PropertyValue::Binary(b) => put_binary(buf, b),
            PropertyValue::Pair(k, v) => {
                put_binary(buf, k.as_bytes());
                put_binary(buf, v.as_bytes());
            }
        }
    }

    fn decode(id: u8, r: &mut Reader) -> Result<Property, Violation> {
        const W: &str = "property value";
        let unknown = || {
            Violation::new(
                "MQTT-2.2.2-2",
                format!("unknown property identifier 0x{id:02x}"),
                MALFORMED,
            )
        };
        let value = match property_kind(id).ok_or_else(unknown)? {
            Kind::Byte => Owned::Byte(r.u8(W)?),
            Kind::TwoByte => Owned::TwoByte(r.u16(W)?),
            Kind::FourByte => Owned::FourByte(r.u32(W)?),
            Kind::VarInt => Owned::VarInt(r.var_int(W)?),
            Kind::Str => Owned::Str(r.string(W)?),
            Kind::Binary => Owned::Binary(r.binary(W)?),
            Kind::Pair => Owned::Pair(r.string(W)?, r.string(W)?),
        };
        Property::from_value(id, value).ok_or_else(unknown)
    }

    /// Value rules that the spec states per property.
    fn check_value(&self) -> Result<(), Violation> {
        use Property::*;
        let bool_byte = |v: u8, rule: &'static str, name: &str| {
            if v > 1 {
                Err(Violation::new(
                    rule,
                    format!("{name} must be 0 or 1, got {v}"),
                    PROTOCOL_ERROR,
                ))
            } else {
                Ok(())
            }
        };
        match self {
            PayloadFormatIndicator(v) => bool_byte(*v, "MQTT-2.2.2-2", "payload format indicator"),
            RequestProblemInformation(v) => {
                bool_byte(*v, "MQTT-3.1.2-28", "request problem information")
            }
            RequestResponseInformation(v) => {
                bool_byte(*v, "MQTT-3.1.2-28", "request response information")
            }
            MaximumQos(v) => bool_byte(*v, "MQTT-3.2.2-9", "maximum QoS"),
            RetainAvailable(v) => bool_byte(*v, "MQTT-3.2.2-13", "retain available"),
            WildcardSubscriptionAvailable(v) => {
                bool_byte(*v, "MQTT-3.2.2", "wildcard subscription available")
            }
            SubscriptionIdentifierAvailable(v) => {
                bool_byte(*v, "MQTT-3.2.2", "subscription identifiers available")
            }
            SharedSubscriptionAvailable(v) => {
                bool_byte(*v, "MQTT-3.2.2", "shared subscription available")
            }
            ReceiveMaximum(0) => Err(Violation::new(
                "MQTT-3.1.2-23",
                "receive maximum must not be 0",
                PROTOCOL_ERROR,
            )),
            MaximumPacketSize(0) => Err(Violation::new(
                "MQTT-3.1.2-24",
                "maximum packet size must not be 0",
                PROTOCOL_ERROR,
            )),
            TopicAlias(0) => Err(Violation::new(
                "MQTT-3.3.2-8",
                "topic alias must not be 0",
                PROTOCOL_ERROR,
            )),
            SubscriptionIdentifier(v) if *v == 0 || *v > VAR_INT_MAX => Err(Violation::new(
                "MQTT-3.8.2-1",
                format!("subscription identifier must be 1 to 268435455, got {v}"),
                PROTOCOL_ERROR,
            )),
            ResponseTopic(t) => check_topic_name(t, false),
            CorrelationData(b) => check_binary_len(b, "correlation data"),
            AuthenticationData(b) => check_binary_len(b, "authentication data"),
            _ => Ok(()),
        }
    }
}

/// A property's wire type (section 2.2.2.2's data types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Byte.
    Byte,
    /// Two-byte integer.
    TwoByte,
    /// Four-byte integer.
    FourByte,
    /// Variable byte integer.
    VarInt,
    /// UTF-8 string.
    Str,
    /// Binary data.
    Binary,
    /// UTF-8 string pair.
    Pair,
}

/// A property's value by wire type, owned: what a reader builds a [`Property`] from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owned {
    /// Byte.
    Byte(u8),
    /// Two-byte integer.
    TwoByte(u16),
    /// Four-byte integer.
    FourByte(u32),
    /// Variable byte integer.
    VarInt(u32),
    /// UTF-8 string.
    Str(MqttStr),
    /// Binary data.
    Binary(Bytes),
    /// UTF-8 string pair.
    Pair(MqttStr, MqttStr),
}

/// One row of [`PROPERTIES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PropertyInfo {
    /// The identifier.
    pub id: u8,
    /// The wire type.
    pub kind: Kind,
    /// mqtt-packet's name for it (a key of `properties`).
    pub js_name: &'static str,
    /// How mqtt-packet represents the value: `boolean` (a byte 0/1), `int8`, `int16`,
    /// `int32`, `var`, `string`, `binary`, `pair` (user properties).
    pub js_type: &'static str,
}

// The one table of properties: identifier, variant, wire type, mqtt-packet's name and
// representation. `Property::id`, `Property::value`, `Property::from_value`,
// `property_kind` and `PROPERTIES` are generated from it; the tape reader and the JS side
// (`propertyTable()`, lib/packet-tape.js) read it from here.
macro_rules! property_table {
    ($($id:literal $variant:ident $kind:ident $js_name:literal $js_type:literal;)*) => {
        /// Every property, in identifier order.
        pub const PROPERTIES: &[PropertyInfo] = &[
            $(PropertyInfo { id: $id, kind: Kind::$kind, js_name: $js_name, js_type: $js_type },)*
        ];

        /// The wire type of property `id`; `None` for an identifier MQTT 5 does not define.
        pub fn property_kind(id: u8) -> Option<Kind> {
            match id {
                $($id => Some(Kind::$kind),)*
                _ => None,
            }
        }

        impl Property {
            /// The property identifier.
            pub fn id(&self) -> u8 {
                match self {
                    $(Property::$variant(..) => $id,)*
                }
            }

            /// The value, by its wire type.
            pub fn value(&self) -> PropertyValue<'_> {
                match self {
                    $(property_table!(@pattern $kind $variant a b) => property_table!(@value $kind a b),)*
                }
            }

            /// Property `id` with `value`; `None` when `id` is not defined or `value` is not
            /// of its wire type.
            pub fn from_value(id: u8, value: Owned) -> Option<Property> {
                match id {
                    $($id => property_table!(@build $kind value $variant),)*
                    _ => None,
                }
            }
        }
    };
    (@pattern Pair $variant:ident $a:ident $b:ident) => { Property::$variant($a, $b) };
    (@pattern $kind:ident $variant:ident $a:ident $b:ident) => { Property::$variant($a) };
    (@value Pair $a:ident $b:ident) => { PropertyValue::Pair($a, $b) };
    (@value $kind:ident $a:ident $b:ident) => { PropertyValue::$kind($a.as_value()) };
    (@build Pair $v:ident $variant:ident) => {
        match $v { Owned::Pair(k, v) => Some(Property::$variant(k, v)), _ => None }
    };
    (@build $kind:ident $v:ident $variant:ident) => {
        match $v { Owned::$kind(v) => Some(Property::$variant(v)), _ => None }
    };
}

/// A field of a [`Property`] as its [`PropertyValue`] payload: numbers by value, the rest
/// by reference.
trait AsValue<'a, T> {
    fn as_value(&'a self) -> T;
}
impl AsValue<'_, u8> for u8 {
    fn as_value(&self) -> u8 {
        *self
    }
}
impl AsValue<'_, u16> for u16 {
    fn as_value(&self) -> u16 {
        *self
    }
}
impl AsValue<'_, u32> for u32 {
    fn as_value(&self) -> u32 {
        *self
    }
}
impl<'a> AsValue<'a, &'a MqttStr> for MqttStr {
    fn as_value(&'a self) -> &'a MqttStr {
        self
    }
}
impl<'a> AsValue<'a, &'a Bytes> for Bytes {
    fn as_value(&'a self) -> &'a Bytes {
        self
    }
}

property_table! {
    0x01 PayloadFormatIndicator Byte "payloadFormatIndicator" "boolean";
    0x02 MessageExpiryInterval FourByte "messageExpiryInterval" "int32";
    0x03 ContentType Str "contentType" "string";
    0x08 ResponseTopic Str "responseTopic" "string";
    0x09 CorrelationData Binary "correlationData" "binary";
    0x0b SubscriptionIdentifier VarInt "subscriptionIdentifier" "var";
    0x11 SessionExpiryInterval FourByte "sessionExpiryInterval" "int32";
    0x12 AssignedClientIdentifier Str "assignedClientIdentifier" "string";
    0x13 ServerKeepAlive TwoByte "serverKeepAlive" "int16";
    0x15 AuthenticationMethod Str "authenticationMethod" "string";
    0x16 AuthenticationData Binary "authenticationData" "binary";
    0x17 RequestProblemInformation Byte "requestProblemInformation" "boolean";
    0x18 WillDelayInterval FourByte "willDelayInterval" "int32";
    0x19 RequestResponseInformation Byte "requestResponseInformation" "boolean";
    0x1a ResponseInformation Str "responseInformation" "string";
    0x1c ServerReference Str "serverReference" "string";
    0x1f ReasonString Str "reasonString" "string";
    0x21 ReceiveMaximum TwoByte "receiveMaximum" "int16";
    0x22 TopicAliasMaximum TwoByte "topicAliasMaximum" "int16";
    0x23 TopicAlias TwoByte "topicAlias" "int16";
    0x24 MaximumQos Byte "maximumQoS" "int8";
    0x25 RetainAvailable Byte "retainAvailable" "boolean";
    0x26 UserProperty Pair "userProperties" "pair";
    0x27 MaximumPacketSize FourByte "maximumPacketSize" "int32";
    0x28 WildcardSubscriptionAvailable Byte "wildcardSubscriptionAvailable" "boolean";
    0x29 SubscriptionIdentifierAvailable Byte "subscriptionIdentifiersAvailable" "boolean";
    0x2a SharedSubscriptionAvailable Byte "sharedSubscriptionAvailable" "boolean";
}

/// A property list in wire order. Empty for MQTT 3.1 and 3.1.1 packets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Properties(pub Vec<Property>);

impl Properties {
    /// No properties.
    pub const fn new() -> Self {
        Properties(Vec::new())
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Iterates in wire order.
    pub fn iter(&self) -> std::slice::Iter<'_, Property> {
        self.0.iter()
    }

    /// Length of the properties, without the length prefix.
    pub fn body_len(&self) -> usize {
        self.0.iter().map(Property::encoded_len).sum()
    }

    /// Length on the wire, the length prefix included.
    pub fn encoded_len(&self) -> usize {
        let n = self.body_len();
        var_int_len(n as u32) + n
    }

    /// Writes the length prefix and the properties.
    pub fn encode(&self, buf: &mut impl BufMut) {
        put_var_int(buf, self.body_len() as u32);
        for p in &self.0 {
            p.encode(buf);
        }
    }

    /// Reads a length-prefixed property list and checks it for `ctx`.
    pub fn decode(r: &mut Reader, ctx: Context) -> Result<Properties, Violation> {
        let len = r.var_int("property length")? as usize;
        if len == 0 {
            return Ok(Properties::new());
        }
        let mut inner = Reader::new(r.take(len, "properties")?);
        let mut out = Vec::new();
        while inner.remaining() > 0 {
            // Identifiers are variable byte integers; every defined one fits in one byte.
            let id = inner.var_int("property identifier")?;
            let id = u8::try_from(id).map_err(|_| {
                Violation::new(
                    "MQTT-2.2.2-2",
                    format!("unknown property identifier {id}"),
                    MALFORMED,
                )
            })?;
            out.push(Property::decode(id, &mut inner)?);
        }
        let props = Properties(out);
        props.check(ctx)?;
        Ok(props)
    }

    /// Checks that every property is allowed in `ctx`, appears at most once unless the
    /// spec allows repeats, and has a valid value.
    pub fn check(&self, ctx: Context) -> Result<(), Violation> {
        let allowed = ctx.allowed();
        let mut seen = 0u64;
        for p in &self.0 {
            let id = p.id();
            let bit = 1u64 << id;
            if allowed & bit == 0 {
                return Err(Violation::new(
                    "MQTT-2.2.2-2",
                    format!("property 0x{id:02x} is not allowed in {}", ctx.name()),
                    PROTOCOL_ERROR,
                ));
            }
            if seen & bit != 0 && !ctx.repeatable(id) {
                return Err(Violation::new(
                    "MQTT-2.2.2-2",
                    format!(
                        "property 0x{id:02x} appears more than once in {}",
                        ctx.name()
                    ),
                    PROTOCOL_ERROR,
                ));
            }
            seen |= bit;
            p.check_value()?;
        }
        if self.body_len() > VAR_INT_MAX as usize {
            return Err(Violation::malformed("MQTT-1.5.5-1", "properties too long"));
        }
        Ok(())
    }

    /// The topic alias, if any.
    pub fn topic_alias(&self) -> Option<u16> {
        self.0.iter().find_map(|p| match p {
            Property::TopicAlias(a) => Some(*a),
            _ => None,
        })
    }

    /// Removes every property with identifier `id`; true when one was removed.
    pub fn remove_id(&mut self, id: u8) -> bool {
        let before = self.0.len();
        self.0.retain(|p| p.id() != id);
        before != self.0.len()
    }
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;

    use super::*;

    fn s(v: &str) -> MqttStr {
        MqttStr::new(v).unwrap()
    }

    fn roundtrip(p: &Properties, ctx: Context) -> Properties {
        let mut b = BytesMut::new();
        p.encode(&mut b);
        assert_eq!(b.len(), p.encoded_len());
        Properties::decode(&mut Reader::new(b.freeze()), ctx).unwrap()
    }

    #[test]
    fn every_property_should_roundtrip_where_allowed() {
        use Property::*;
        let connack = Properties(vec![
            SessionExpiryInterval(7),
            ReceiveMaximum(10),
            MaximumQos(1),
            RetainAvailable(0),
            MaximumPacketSize(1024),
            AssignedClientIdentifier(s("id")),
            TopicAliasMaximum(5),
            ReasonString(s("ok")),
            UserProperty(s("k"), s("v")),
            UserProperty(s("k"), s("w")),
            WildcardSubscriptionAvailable(1),
            SubscriptionIdentifierAvailable(1),
            SharedSubscriptionAvailable(0),
            ServerKeepAlive(30),
            ResponseInformation(s("ri")),
            ServerReference(s("other")),
            AuthenticationMethod(s("m")),
            AuthenticationData(Bytes::from_static(b"\x00\x01")),
        ]);
        assert_eq!(roundtrip(&connack, Context::ConnAck), connack);
        let publish = Properties(vec![
            PayloadFormatIndicator(1),
            MessageExpiryInterval(60),
            TopicAlias(3),
            ResponseTopic(s("r/t")),
            CorrelationData(Bytes::from_static(b"c")),
            SubscriptionIdentifier(1),
            SubscriptionIdentifier(268_435_455),
            ContentType(s("text/plain")),
        ]);
        assert_eq!(roundtrip(&publish, Context::Publish), publish);
        let connect = Properties(vec![
            RequestProblemInformation(0),
            RequestResponseInformation(1),
        ]);
        assert_eq!(roundtrip(&connect, Context::Connect), connect);
        let will = Properties(vec![WillDelayInterval(9)]);
        assert_eq!(roundtrip(&will, Context::Will), will);
    }

    #[test]
    fn property_not_allowed_for_packet_should_be_refused() {
        let p = Properties(vec![Property::TopicAlias(1)]);
        let err = p.check(Context::Connect).unwrap_err();
        assert!(err.to_string().contains("[MQTT-2.2.2-2]"), "{err}");
    }

    #[test]
    fn repeated_property_should_be_refused() {
        let p = Properties(vec![
            Property::ContentType(s("a")),
            Property::ContentType(s("b")),
        ]);
        assert!(p.check(Context::Publish).is_err());
        let p = Properties(vec![
            Property::SubscriptionIdentifier(1),
            Property::SubscriptionIdentifier(2),
        ]);
        assert!(p.check(Context::Publish).is_ok());
        assert!(p.check(Context::Subscribe).is_err());
    }

    #[test]
    fn out_of_range_values_should_be_refused() {
        for p in [
            Property::TopicAlias(0),
            Property::PayloadFormatIndicator(2),
            Property::SubscriptionIdentifier(0),
        ] {
            assert!(Properties(vec![p]).check(Context::Publish).is_err());
        }
        assert!(Properties(vec![Property::ReceiveMaximum(0)])
            .check(Context::Connect)
            .is_err());
        assert!(Properties(vec![Property::ResponseTopic(s("a/#"))])
            .check(Context::Publish)
            .is_err());
    }

    #[test]
    fn unknown_identifier_should_be_malformed() {
        // length 2: id 0x04 (undefined), one byte
        let bytes = Bytes::from_static(&[0x02, 0x04, 0x00]);
        assert!(Properties::decode(&mut Reader::new(bytes), Context::Publish).is_err());
    }

    #[test]
    fn property_length_past_the_body_should_be_malformed() {
        let bytes = Bytes::from_static(&[0x05, 0x01, 0x00]);
        assert!(Properties::decode(&mut Reader::new(bytes), Context::Publish).is_err());
    }

    #[test]
    fn the_table_should_agree_with_itself_for_every_property() {
        let mut last = 0u8;
        for info in PROPERTIES {
            assert!(info.id > last, "ids ascend and do not repeat: {info:?}");
            last = info.id;
            assert_eq!(property_kind(info.id), Some(info.kind));
            let s = || MqttStr::new("x").unwrap();
            let value = match info.kind {
                Kind::Byte => Owned::Byte(1),
                Kind::TwoByte => Owned::TwoByte(1),
                Kind::FourByte => Owned::FourByte(1),
                Kind::VarInt => Owned::VarInt(1),
                Kind::Str => Owned::Str(s()),
                Kind::Binary => Owned::Binary(Bytes::from_static(b"x")),
                Kind::Pair => Owned::Pair(s(), s()),
            };
            let p = Property::from_value(info.id, value).expect("builds from its own kind");
            assert_eq!(p.id(), info.id);
            let kind = match p.value() {
                PropertyValue::Byte(_) => Kind::Byte,
                PropertyValue::TwoByte(_) => Kind::TwoByte,
                PropertyValue::FourByte(_) => Kind::FourByte,
                PropertyValue::VarInt(_) => Kind::VarInt,
                PropertyValue::Str(_) => Kind::Str,
                PropertyValue::Binary(_) => Kind::Binary,
                PropertyValue::Pair(..) => Kind::Pair,
            };
            assert_eq!(kind, info.kind, "{info:?}");
            // Another kind's value is refused.
            let other = if info.kind == Kind::Byte {
                Owned::FourByte(1)
            } else {
                Owned::Byte(1)
            };
            assert!(Property::from_value(info.id, other).is_none());
        }
        assert_eq!(PROPERTIES.len(), 27);
        assert!(Property::from_value(0x04, Owned::Byte(0)).is_none());
    }
}
