//! The tape: how packets cross the JS boundary, in both directions, without building JS
//! objects in Rust. A packet is a run of `u32` words in a `Uint32Array`; strings and binary
//! fields are `[start, end)` byte ranges into a Buffer that both sides hold (the bytes being
//! parsed, or the scratch bytes JS wrote strings into). `lib/packet-tape.js` is the JS half
//! and must follow this layout word for word.
//!
//! ```text
//! record      := HEAD LEN body
//! HEAD        := first_byte | level << 8          LEN := remaining length (0 when encoding)
//! RANGE       := start end                        PROPS := count PROP*
//! PROP        := id value; value is 1 word for numbers, RANGE for strings and binary,
//!                RANGE RANGE for a user property
//! CONNECT     := flags keepalive RANGE(client id) PROPS
//!                [will: qos|retain<<2 RANGE(topic) RANGE(payload) PROPS]
//!                [username: RANGE] [password: RANGE]
//!                flags: 1 clean, 2 bridge, 4 will, 8 username, 16 password, 32 MQIsdp
//! CONNACK     := session_present code PROPS
//! PUBLISH     := RANGE(topic) packet_id RANGE(payload) PROPS
//! PUBACK..PUBCOMP := packet_id reason_code full_form PROPS
//! SUBSCRIBE   := packet_id PROPS n (RANGE(filter) options)*n
//! SUBACK, UNSUBACK := packet_id PROPS n code*n
//! UNSUBSCRIBE := packet_id PROPS n RANGE*n
//! PINGREQ, PINGRESP := (nothing)
//! DISCONNECT, AUTH := reason_code PROPS
//! ```
//! When encoding, a PUBLISH payload range points into the separate payload Buffer.
//! In a drain, a PUBLISH payload of [`OUT_OF_LINE`] bytes or more is not copied: its
//! RANGE is `u32::MAX k`, the k-th Buffer of the drain's list of payloads.

use bytes::Bytes;

use crate::codec::properties::{Kind, Owned, PROPERTIES};
use crate::codec::{
    Ack, Auth, ConnAck, Connect, Disconnect, MqttStr, Packet, Properties, Property, PropertyValue,
    ProtocolName, ProtocolVersion, Publish, QoS, SubAck, Subscribe, Subscription, UnsubAck,
    Unsubscribe, Will,
};

/// Where the bytes of a record's ranges are.
pub(crate) enum Ranges<'a> {
    /// In the Buffer JS passed in, whose byte 0 is at this address.
    Borrowed(usize),
    /// Copied to the end of this vector, which becomes a Buffer for JS.
    Copied(&'a mut Vec<u8>),
}

/// Payloads this large leave a drain as Buffers of their own over the bytes as read (no
/// copy), not through the drain's shared Buffer.
pub(crate) const OUT_OF_LINE: usize = 16 * 1024;

/// Appends packet records to a word vector.
pub(crate) struct TapeWriter<'a> {
    pub(crate) words: &'a mut Vec<u32>,
    pub(crate) ranges: Ranges<'a>,
    /// Where large PUBLISH payloads go instead (see [`OUT_OF_LINE`]), when given.
    pub(crate) large: Option<&'a mut Vec<Bytes>>,
}

impl TapeWriter<'_> {
    fn range(&mut self, b: &[u8]) {
        // `Bytes::slice` returns a static empty `Bytes` for empty ranges, whose address is
        // unrelated to the frame: an empty field is written as 0..0.
        if b.is_empty() {
            self.words.extend_from_slice(&[0, 0]);
            return;
        }
        let start = match &mut self.ranges {
            Ranges::Borrowed(base) => (b.as_ptr() as usize - *base) as u32,
            Ranges::Copied(out) => {
                let start = out.len() as u32;
                out.extend_from_slice(b);
                start
            }
        };
        self.words
            .extend_from_slice(&[start, start + b.len() as u32]);
    }

    fn props(&mut self, props: &Properties) {
        self.words.push(props.0.len() as u32);
        for p in props.iter() {
            self.words.push(p.id() as u32);
            match p.value() {
                PropertyValue::Byte(v) => self.words.push(v as u32),
                PropertyValue::TwoByte(v) => self.words.push(v as u32),
                PropertyValue::FourByte(v) | PropertyValue::VarInt(v) => self.words.push(v),
                PropertyValue::Str(s) => self.range(s.as_bytes()),
                PropertyValue::Binary(b) => self.range(b),
                PropertyValue::Pair(k, v) => {
                    self.range(k.as_bytes());
                    self.range(v.as_bytes());
                }
            }
        }
    }

    /// Appends one record for `p`, decoded at `level` from a frame of `len` body bytes.
    pub(crate) fn packet(
        &mut self,
        p: &Packet,
        level: ProtocolVersion,
        first_byte: u8,
        len: usize,
    ) {
        self.words.push(first_byte as u32 | (level as u32) << 8);
        self.words.push(len as u32);
        match p {
            Packet::Connect(c) => {
                let mut flags = c.clean_start as u32 | (c.bridge as u32) << 1;
                flags |= (c.will.is_some() as u32) << 2;
                flags |= (c.username.is_some() as u32) << 3 | (c.password.is_some() as u32) << 4;
                flags |= ((c.protocol_name == ProtocolName::MqIsdp) as u32) << 5;
                self.words.extend_from_slice(&[flags, c.keep_alive as u32]);
                self.range(c.client_id.as_bytes());
                self.props(&c.properties);
                if let Some(w) = &c.will {
                    self.words.push(w.qos as u32 | (w.retain as u32) << 2);
                    self.range(w.topic.as_bytes());
                    self.range(&w.payload);
                    self.props(&w.properties);
                }
                if let Some(u) = &c.username {
                    self.range(u.as_bytes());
                }
                if let Some(pw) = &c.password {
                    self.range(pw);
                }
            }
            Packet::ConnAck(c) => {
                self.words
                    .extend_from_slice(&[c.session_present as u32, c.code as u32]);
                self.props(&c.properties);
            }
            Packet::Publish(p) => {
                self.range(p.topic.as_bytes());
                self.words.push(p.packet_id as u32);
                match self.large.as_deref_mut() {
                    Some(large) if p.payload.len() >= OUT_OF_LINE => {
                        self.words
                            .extend_from_slice(&[u32::MAX, large.len() as u32]);
                        large.push(p.payload.clone());
                    }
                    _ => self.range(&p.payload),
                }
                self.props(&p.properties);
            }
            Packet::PubAck(a) | Packet::PubRec(a) | Packet::PubRel(a) | Packet::PubComp(a) => {
                self.words.extend_from_slice(&[
                    a.packet_id as u32,
                    a.reason_code as u32,
                    a.full_form as u32,
                ]);
                self.props(&a.properties);
            }
            Packet::Subscribe(s) => {
                self.words.push(s.packet_id as u32);
                self.props(&s.properties);
                self.words.push(s.filters.len() as u32);
                for f in &s.filters {
                    self.range(f.filter.as_bytes());
                    let opts = f.qos as u32
                        | (f.no_local as u32) << 2
                        | (f.retain_as_published as u32) << 3
                        | (f.retain_handling as u32) << 4;
                    self.words.push(opts);
                }
            }
            Packet::SubAck(s) => self.codes(s.packet_id, &s.properties, &s.return_codes),
            Packet::UnsubAck(s) => self.codes(s.packet_id, &s.properties, &s.reason_codes),
            Packet::Unsubscribe(u) => {
                self.words.push(u.packet_id as u32);
                self.props(&u.properties);
                self.words.push(u.filters.len() as u32);
                for f in &u.filters {
                    self.range(f.as_bytes());
                }
            }
            Packet::PingReq | Packet::PingResp => {}
            Packet::Disconnect(d) => {
                self.words.push(d.reason_code as u32);
                self.props(&d.properties);
            }
            Packet::Auth(a) => {
                self.words.push(a.reason_code as u32);
                self.props(&a.properties);
            }
        }
    }

    fn codes(&mut self, packet_id: u16, props: &Properties, codes: &[u8]) {
        self.words.push(packet_id as u32);
        self.props(props);
        self.words.push(codes.len() as u32);
        self.words.extend(codes.iter().map(|&c| c as u32));
    }
}

/// Reads one record that JS wrote, building a packet to encode. Every read is bounds
/// checked: a short or inconsistent tape is an error, never a panic.
/// Byte fields are zero-copy `Bytes` over `data` and `payload`, which the caller promises
/// outlive every packet built from them (`'static` here, see `encode_packet`).
pub(crate) struct TapeReader<'a> {
    words: &'a [u32],
    pos: usize,
    /// The byte ranges' storage: packets read share it (`Bytes::slice`), so they own what
    /// they hold for as long as they live.
    data: Bytes,
    payload: Bytes,
}

type R<T> = Result<T, String>;

impl<'a> TapeReader<'a> {
    pub(crate) fn new(words: &'a [u32], data: Bytes, payload: Bytes) -> Self {
        TapeReader {
            words,
            pos: 0,
            data,
            payload,
        }
    }

    /// No record left.
    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.words.len()
    }

    fn word(&mut self) -> R<u32> {
        let w = *self
            .words
            .get(self.pos)
            .ok_or("packet description ends early")?;
        self.pos += 1;
        Ok(w)
    }

    fn small<T: TryFrom<u32>>(&mut self, what: &str) -> R<T> {
        let w = self.word()?;
        T::try_from(w).map_err(|_| format!("{what} out of range: {w}"))
    }

    fn bytes_in(&mut self, src: &Bytes) -> R<Bytes> {
        let (s, e) = (self.word()? as usize, self.word()? as usize);
        if s > e || e > src.len() {
            return Err("byte range outside the data".into());
        }
        Ok(src.slice(s..e))
    }

    fn bytes(&mut self) -> R<Bytes> {
        let data = self.data.clone();
        self.bytes_in(&data)
    }

    fn string(&mut self) -> R<MqttStr> {
        MqttStr::from_bytes(self.bytes()?).map_err(|v| v.to_string())
    }

    fn qos(&mut self, w: u32) -> R<QoS> {
        QoS::from_u8((w & 0b11) as u8).ok_or_else(|| "QoS must be 0, 1 or 2".to_string())
    }

    fn props(&mut self) -> R<Properties> {
        let n = self.word()? as usize;
        let mut out = Vec::with_capacity(n.min(64));
        for _ in 0..n {
            let w = self.word()?;
            let info = u8::try_from(w)
                .ok()
                .and_then(|id| PROPERTIES.iter().find(|p| p.id == id))
                .ok_or_else(|| format!("unknown property id {w}"))?;
            let value = match info.kind {
                Kind::Byte => Owned::Byte(self.small(info.js_name)?),
                Kind::TwoByte => Owned::TwoByte(self.small(info.js_name)?),
                Kind::FourByte => Owned::FourByte(self.word()?),
                Kind::VarInt => Owned::VarInt(self.word()?),
                Kind::Str => Owned::Str(self.string()?),
                Kind::Binary => Owned::Binary(self.bytes()?),
                Kind::Pair => Owned::Pair(self.string()?, self.string()?),
            };
            // The kind read is the id's own, so this cannot fail; say so if it ever does.
            let p = Property::from_value(info.id, value)
                .ok_or_else(|| format!("property {} does not take that value", info.js_name))?;
            out.push(p);
        }
        Ok(Properties(out))
    }

    fn id(&mut self) -> R<u16> {
        self.small("messageId")
    }

    fn codes(&mut self) -> R<Vec<u8>> {
        let n = self.word()? as usize;
        (0..n).map(|_| self.small("reason code")).collect()
    }

    /// Reads the record: the level to encode at and the packet.
    pub(crate) fn packet(&mut self) -> R<(ProtocolVersion, Packet)> {
        let head = self.word()?;
        let _len = self.word()?;
        let first = (head & 0xff) as u8;
        let level = ProtocolVersion::from_level(((head >> 8) & 0xff) as u8)
            .ok_or("protocol version must be 3, 4 or 5")?;
        let flags = first & 0x0f;
        let packet = match first >> 4 {
            1 => {
                let f = self.word()?;
                let keep_alive = self.small("keepalive")?;
                let client_id = self.string()?;
                let properties = self.props()?;
                let will = if f & 4 != 0 {
                    let wf = self.word()?;
                    Some(Will {
                        qos: self.qos(wf)?,
                        retain: wf & 4 != 0,
                        topic: self.string()?,
                        payload: self.bytes()?,
                        properties: self.props()?,
                    })
                } else {
                    None
                };
                let username = if f & 8 != 0 {
                    Some(self.string()?)
                } else {
                    None
                };
                let password = if f & 16 != 0 {
                    Some(self.bytes()?)
                } else {
                    None
                };
                Packet::Connect(Box::new(Connect {
                    protocol_name: if f & 32 != 0 {
                        ProtocolName::MqIsdp
                    } else {
                        ProtocolName::Mqtt
                    },
                    level,
                    bridge: f & 2 != 0,
                    clean_start: f & 1 != 0,
                    keep_alive,
                    properties,
                    client_id,
                    will,
                    username,
                    password,
                }))
            }
            2 => Packet::ConnAck(ConnAck {
                session_present: self.word()? != 0,
                code: self.small("returnCode")?,
                properties: self.props()?,
            }),
            3 => {
                let topic = self.string()?;
                let packet_id = self.id()?;
                let payload = self.payload.clone();
                let payload = self.bytes_in(&payload)?;
                Packet::Publish(Publish {
                    dup: flags & 8 != 0,
                    qos: self.qos((flags >> 1) as u32)?,
                    retain: flags & 1 != 0,
                    topic,
                    packet_id,
                    properties: self.props()?,
                    payload,
                })
            }
            t @ 4..=7 => {
                let a = Ack {
                    packet_id: self.id()?,
                    reason_code: self.small("reasonCode")?,
                    full_form: self.word()? != 0,
                    properties: self.props()?,
                };
                match t {
                    4 => Packet::PubAck(a),
                    5 => Packet::PubRec(a),
                    6 => Packet::PubRel(a),
                    _ => Packet::PubComp(a),
                }
            }
            8 => {
                let packet_id = self.id()?;
                let properties = self.props()?;
                let n = self.word()? as usize;
                let mut filters = Vec::with_capacity(n.min(1024));
                for _ in 0..n {
                    let filter = self.string()?;
                    let o = self.word()?;
                    filters.push(Subscription {
                        filter,
                        qos: self.qos(o)?,
                        no_local: o & 4 != 0,
                        retain_as_published: o & 8 != 0,
                        retain_handling: ((o >> 4) & 0xff) as u8,
                    });
                }
                Packet::Subscribe(Subscribe {
                    packet_id,
                    properties,
                    filters,
                })
            }
            9 => Packet::SubAck(SubAck {
                packet_id: self.id()?,
                properties: self.props()?,
                return_codes: self.codes()?,
            }),
            10 => {
                let packet_id = self.id()?;
                let properties = self.props()?;
                let n = self.word()? as usize;
                let filters = (0..n).map(|_| self.string()).collect::<R<Vec<_>>>()?;
                Packet::Unsubscribe(Unsubscribe {
                    packet_id,
                    properties,
                    filters,
                })
            }
            11 => Packet::UnsubAck(UnsubAck {
                packet_id: self.id()?,
                properties: self.props()?,
                reason_codes: self.codes()?,
            }),
            12 => Packet::PingReq,
            13 => Packet::PingResp,
            14 => Packet::Disconnect(Disconnect {
                reason_code: self.small("reasonCode")?,
                properties: self.props()?,
            }),
            15 => Packet::Auth(Auth {
                reason_code: self.small("reasonCode")?,
                properties: self.props()?,
            }),
            _ => return Err("Unknown command".into()),
        };
        Ok((level, packet))
    }
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;

    use super::*;
    use crate::codec::{Decoder, Property};

    /// Decodes `bytes`, writes each packet to the tape with ranges into `bytes`, reads the
    /// tape back over the same bytes, and expects the same packets.
    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn through_tape(packets: &[Packet], level: ProtocolVersion) -> TestResult {
        let mut encoded = BytesMut::new();
        for p in packets {
            p.encode(level, &mut encoded)?;
        }
        let frozen = encoded.freeze();
        let bytes: &'static [u8] = Box::leak(frozen.to_vec().into_boxed_slice());
        let mut rest = Bytes::from_static(bytes);
        let mut decoder = Decoder::new(level);
        let mut words = Vec::new();
        let mut decoded = Vec::new();
        while !rest.is_empty() {
            let h = crate::codec::read_header(&rest, usize::MAX)?;
            let mut frame = rest.split_to(h.frame_len());
            let body = frame.split_off(h.header_len);
            let p = decoder.decode_body(h.first_byte, body)?;
            TapeWriter {
                large: None,
                words: &mut words,
                ranges: Ranges::Borrowed(bytes.as_ptr() as usize),
            }
            .packet(&p, level, h.first_byte, h.body_len);
            decoded.push(p);
        }
        assert_eq!(decoded, packets);
        let mut at = 0;
        for expected in packets {
            let mut r = TapeReader::new(
                &words[at..],
                Bytes::copy_from_slice(bytes),
                Bytes::copy_from_slice(bytes),
            );
            let (lvl, got) = r.packet()?;
            assert_eq!(lvl, level);
            assert_eq!(&got, expected);
            at += r.pos;
        }
        assert_eq!(at, words.len());
        Ok(())
    }

    #[test]
    fn every_packet_type_should_survive_the_tape() -> TestResult {
        let s = |v: &str| MqttStr::new(v).unwrap_or_default();
        let props = || {
            Properties(vec![
                Property::ReasonString(s("r")),
                Property::UserProperty(s("k"), s("v")),
            ])
        };
        let packets = vec![
            Packet::Connect(Box::new(Connect {
                level: ProtocolVersion::V5,
                clean_start: true,
                keep_alive: 9,
                client_id: s("id"),
                properties: Properties(vec![Property::SessionExpiryInterval(3)]),
                will: Some(Will {
                    topic: s("w"),
                    payload: Bytes::from_static(b"bye"),
                    qos: QoS::AtLeastOnce,
                    retain: true,
                    properties: Properties(vec![Property::ContentType(s("t"))]),
                }),
                username: Some(s("u")),
                password: Some(Bytes::from_static(b"p")),
                ..Default::default()
            })),
            Packet::ConnAck(ConnAck {
                session_present: true,
                code: 0,
                properties: props(),
            }),
            Packet::Publish(Publish {
                qos: QoS::ExactlyOnce,
                packet_id: 4,
                topic: s("a/b"),
                payload: Bytes::from_static(b"payload"),
                properties: Properties(vec![
                    Property::SubscriptionIdentifier(5),
                    Property::CorrelationData(Bytes::from_static(b"c")),
                ]),
                ..Default::default()
            }),
            Packet::PubAck(Ack {
                packet_id: 1,
                reason_code: 0x10,
                properties: props(),
                full_form: true,
            }),
            Packet::PubRel(Ack::new(2)),
            Packet::Subscribe(Subscribe {
                packet_id: 3,
                properties: Properties::new(),
                filters: vec![Subscription {
                    filter: s("x/#"),
                    qos: QoS::AtLeastOnce,
                    no_local: true,
                    retain_as_published: true,
                    retain_handling: 2,
                }],
            }),
            Packet::SubAck(SubAck {
                packet_id: 3,
                properties: props(),
                return_codes: vec![1, 0x80],
            }),
            Packet::Unsubscribe(Unsubscribe {
                packet_id: 5,
                properties: Properties::new(),
                filters: vec![s("x/#"), s("y")],
            }),
            Packet::UnsubAck(UnsubAck {
                packet_id: 5,
                properties: props(),
                reason_codes: vec![0, 0x11],
            }),
            Packet::PingReq,
            Packet::PingResp,
            Packet::Disconnect(Disconnect {
                reason_code: 0x8e,
                properties: props(),
            }),
            Packet::Auth(Auth {
                reason_code: 0x18,
                properties: props(),
            }),
        ];
        through_tape(&packets, ProtocolVersion::V5)
    }

    #[test]
    fn a_short_tape_should_be_an_error_not_a_panic() {
        let words = [0x30 | (4 << 8), 0, 0];
        assert!(TapeReader::new(&words, Bytes::new(), Bytes::new())
            .packet()
            .is_err());
        let words = [0x30 | (4 << 8), 0, 0, 99, 0, 0, 0, 0];
        assert!(
            TapeReader::new(&words, Bytes::from_static(b"ab"), Bytes::new())
                .packet()
                .is_err()
        );
        let words = [0x30 | (9 << 8), 0];
        assert!(TapeReader::new(&words, Bytes::new(), Bytes::new())
            .packet()
            .is_err());
    }
}
