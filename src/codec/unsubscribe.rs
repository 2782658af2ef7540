//! UNSUBSCRIBE [MQTT-3.10].
//!
//! ```text
//! | packet id | [v5: properties] | topic filter+ |
//! ```

use bytes::{BufMut, Bytes};

use super::primitives::{check_topic_filter, put_binary, MqttStr, Reader};
use super::{check_packet_id, Context, Properties, ProtocolVersion, Violation};

/// UNSUBSCRIBE.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Unsubscribe {
    /// Packet identifier, non-zero.
    pub packet_id: u16,
    /// Properties (level 5).
    pub properties: Properties,
    /// At least one topic filter [MQTT-3.10.3-2].
    pub filters: Vec<MqttStr>,
}

fn check_filters(filters: &[MqttStr]) -> Result<(), Violation> {
    if filters.is_empty() {
        return Err(Violation::protocol(
            "MQTT-3.10.3-2",
            "UNSUBSCRIBE must contain at least one topic filter",
        ));
    }
    filters.iter().try_for_each(|f| check_topic_filter(f))
}

impl Unsubscribe {
    pub(crate) fn decode(body: Bytes, version: ProtocolVersion) -> Result<Unsubscribe, Violation> {
        let mut r = Reader::new(body);
        let packet_id = r.u16("packet identifier")?;
        check_packet_id(packet_id, "UNSUBSCRIBE")?;
        let properties = if version.is_v5() {
            Properties::decode(&mut r, Context::Unsubscribe)?
        } else {
            Properties::new()
        };
        let mut filters = Vec::new();
        while r.remaining() > 0 {
            filters.push(r.string("topic filter")?);
        }
        check_filters(&filters)?;
        Ok(Unsubscribe {
            packet_id,
            properties,
            filters,
        })
    }

    pub(crate) fn check(&self, version: ProtocolVersion) -> Result<(), Violation> {
        check_packet_id(self.packet_id, "UNSUBSCRIBE")?;
        check_filters(&self.filters)?;
        super::check_no_properties(&self.properties, version, "UNSUBSCRIBE")?;
        self.properties.check(Context::Unsubscribe)
    }

    pub(crate) fn body_len(&self, version: ProtocolVersion) -> usize {
        2 + if version.is_v5() {
            self.properties.encoded_len()
        } else {
            0
        } + self.filters.iter().map(|f| 2 + f.len()).sum::<usize>()
    }

    pub(crate) fn encode_body(&self, version: ProtocolVersion, buf: &mut impl BufMut) {
        buf.put_u16(self.packet_id);
        if version.is_v5() {
            self.properties.encode(buf);
        }
        for f in &self.filters {
            put_binary(buf, f.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{decode_all, decode_err, encode};
    use super::super::Packet;
    use super::*;

    #[test]
    fn unsubscribe_should_match_reference_bytes() {
        let p = Packet::Unsubscribe(Unsubscribe {
            packet_id: 2,
            properties: Properties::new(),
            filters: vec!["a/#".try_into().unwrap()],
        });
        let bytes = encode(&p, ProtocolVersion::V4);
        assert_eq!(bytes, [0xa2, 7, 0, 2, 0, 3, b'a', b'/', b'#']);
        assert_eq!(decode_all(&bytes, ProtocolVersion::V4), vec![p]);
    }

    #[test]
    fn empty_unsubscribe_should_be_refused() {
        assert!(decode_err(&[0xa2, 2, 0, 1], ProtocolVersion::V4).contains("MQTT-3.10.3-2"));
    }
}
