//! Wire primitives shared by every packet: two- and four-byte integers, variable byte
//! integers, UTF-8 strings, binary data, and topic name / filter rules.
//!
//! Reading goes through [`Reader`], a cursor over one frozen packet body, so strings and
//! binary fields are zero-copy slices of the frame. Writing appends to a `BytesMut` whose
//! capacity the caller reserved from the exact encoded length.

use bytes::{BufMut, Bytes};

use super::{Violation, MALFORMED, PROTOCOL_ERROR};

/// Largest value a variable byte integer can carry (four bytes of seven bits) [MQTT-1.5.5].
pub const VAR_INT_MAX: u32 = 268_435_455;

/// A UTF-8 string as MQTT defines it [MQTT-1.5.4]: well formed, no U+0000, at most 65,535
/// bytes. Backed by `Bytes`, so a decoded string shares the packet's buffer.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct MqttStr(Bytes);

impl MqttStr {
    /// Checks `bytes` against the MQTT string rules and wraps them.
    pub fn from_bytes(bytes: Bytes) -> Result<Self, Violation> {
        check_utf8(&bytes)?;
        if bytes.len() > u16::MAX as usize {
            return Err(Violation::malformed(
                "MQTT-1.5.4-1",
                "string longer than 65535 bytes",
            ));
        }
        Ok(MqttStr(bytes))
    }

    /// Wraps a Rust string after checking the MQTT-only rules (no U+0000, length).
    pub fn new(s: &str) -> Result<Self, Violation> {
        Self::from_bytes(Bytes::copy_from_slice(s.as_bytes()))
    }

    /// The string.
    pub fn as_str(&self) -> &str {
        // SAFETY: every constructor validated the bytes as UTF-8 (`check_utf8`), and
        // `Bytes` is immutable.
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }

    /// The underlying bytes (UTF-8).
    pub fn as_bytes(&self) -> &Bytes {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the string is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for MqttStr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::ops::Deref for MqttStr {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl TryFrom<&str> for MqttStr {
    type Error = Violation;
    fn try_from(s: &str) -> Result<Self, Violation> {
        MqttStr::new(s)
    }
}

/// True when every byte is ASCII and none is NUL: then the bytes are valid MQTT UTF-8
/// without further checks. Branch-free so the compiler can vectorise it; most topics and
/// client ids take this path.
#[inline]
fn plain_ascii(bytes: &[u8]) -> bool {
    let mut bad = false;
    for &b in bytes {
        bad |= (b == 0) | (b >= 0x80);
    }
    !bad
}

/// UTF-8 rules of [MQTT-1.5.4-1] (well formed, which in Rust also excludes surrogates and
/// overlong forms) and [MQTT-1.5.4-2] (no U+0000).
fn check_utf8(bytes: &[u8]) -> Result<(), Violation> {
    if plain_ascii(bytes) {
        return Ok(());
    }
    if std::str::from_utf8(bytes).is_err() {
        return Err(Violation::malformed(
            "MQTT-1.5.4-1",
            "string is not well-formed UTF-8",
        ));
    }
    if bytes.contains(&0) {
        return Err(Violation::malformed(
            "MQTT-1.5.4-2",
            "string contains U+0000",
        ));
    }
    Ok(())
}

/// Number of bytes the variable byte integer `value` takes on the wire.
pub fn var_int_len(value: u32) -> usize {
    match value {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    }
}

/// Appends `value` as a variable byte integer. The caller guarantees `value <= VAR_INT_MAX`.
pub fn put_var_int(buf: &mut impl BufMut, mut value: u32) {
    debug_assert!(value <= VAR_INT_MAX);
    loop {
        let mut byte = (value & 0x7f) as u8;
        value >>= 7;
        if value > 0 {
            byte |= 0x80;
        }
        buf.put_u8(byte);
        if value == 0 {
            break;
        }
    }
}

/// Outcome of reading a variable byte integer from the start of a byte slice.
#[derive(Debug, PartialEq, Eq)]
pub enum VarInt {
    /// The value and how many bytes it took.
    Value(u32, usize),
    /// The slice ends before the last byte of the integer.
    Incomplete,
}

/// Reads a variable byte integer [MQTT-1.5.5]: at most four bytes, minimal encoding.
pub fn read_var_int(bytes: &[u8]) -> Result<VarInt, Violation> {
    let mut value: u32 = 0;
    for i in 0..4 {
        let Some(&byte) = bytes.get(i) else {
            return Ok(VarInt::Incomplete);
        };
        value |= u32::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            // A last byte of zero after the first means a longer encoding than needed.
            if i > 0 && byte == 0 {
                return Err(Violation::malformed(
                    "MQTT-1.5.5-1",
                    "variable byte integer is not minimally encoded",
                ));
            }
            return Ok(VarInt::Value(value, i + 1));
        }
    }
    Err(Violation::malformed(
        "MQTT-1.5.5-1",
        "variable byte integer longer than 4 bytes (value over 268435455)",
    ))
}

/// Appends a two-byte length and the bytes.
pub fn put_binary(buf: &mut impl BufMut, bytes: &[u8]) {
    debug_assert!(bytes.len() <= u16::MAX as usize);
    buf.put_u16(bytes.len() as u16);
    buf.put_slice(bytes);
}

/// Checks that binary data fits a two-byte length prefix [MQTT-1.5.6].
pub fn check_binary_len(bytes: &[u8], what: &'static str) -> Result<(), Violation> {
    if bytes.len() > u16::MAX as usize {
        return Err(Violation::new(
            "MQTT-1.5.6",
            format!("{what} longer than 65535 bytes"),
            MALFORMED,
        ));
    }
    Ok(())
}

/// A cursor over one packet body. Every read checks bounds; running past the end of the
/// body is malformed input, never "need more bytes" (the frame is complete by then).
pub struct Reader {
    buf: Bytes,
    pos: usize,
}

impl Reader {
    /// A reader over a complete packet body.
    pub fn new(buf: Bytes) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Fails unless the whole body was consumed.
    pub fn finish(&self, packet: &'static str) -> Result<(), Violation> {
        if self.remaining() != 0 {
            return Err(Violation::new(
                "MQTT-2.1.4",
                format!(
                    "{packet}: {} bytes left after the last field",
                    self.remaining()
                ),
                MALFORMED,
            ));
        }
        Ok(())
    }

    fn short(what: &'static str) -> Violation {
        Violation::new(
            "MQTT-2.1.4",
            format!("packet too short for {what}"),
            MALFORMED,
        )
    }

    /// One byte.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, Violation> {
        let b = *self.buf.get(self.pos).ok_or_else(|| Self::short(what))?;
        self.pos += 1;
        Ok(b)
    }

    /// A big-endian two-byte integer [MQTT-1.5.2].
    pub fn u16(&mut self, what: &'static str) -> Result<u16, Violation> {
        let s = self
            .buf
            .get(self.pos..self.pos + 2)
            .ok_or_else(|| Self::short(what))?;
        self.pos += 2;
        Ok(u16::from_be_bytes([s[0], s[1]]))
    }

    /// A big-endian four-byte integer [MQTT-1.5.3].
    pub fn u32(&mut self, what: &'static str) -> Result<u32, Violation> {
        let s = self
            .buf
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| Self::short(what))?;
        self.pos += 4;
        Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }

    /// A variable byte integer inside the body.
    pub fn var_int(&mut self, what: &'static str) -> Result<u32, Violation> {
        match read_var_int(&self.buf[self.pos..])? {
            VarInt::Value(v, n) => {
                self.pos += n;
                Ok(v)
            }
            VarInt::Incomplete => Err(Self::short(what)),
        }
    }

    /// `n` raw bytes as a zero-copy slice.
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<Bytes, Violation> {
        if self.remaining() < n {
            return Err(Self::short(what));
        }
        let out = self.buf.slice(self.pos..self.pos + n);
        self.pos += n;
        Ok(out)
    }

    /// Everything left, as a zero-copy slice.
    pub fn rest(&mut self) -> Bytes {
        let out = self.buf.slice(self.pos..);
        self.pos = self.buf.len();
        out
    }

    /// Everything left, taking the reader's buffer (no reference count traffic).
    pub fn into_rest(mut self) -> Bytes {
        bytes::Buf::advance(&mut self.buf, self.pos);
        self.buf
    }

    /// Two-byte length then that many bytes [MQTT-1.5.6].
    pub fn binary(&mut self, what: &'static str) -> Result<Bytes, Violation> {
        let n = self.u16(what)? as usize;
        self.take(n, what)
    }

    /// Two-byte length then UTF-8 [MQTT-1.5.4].
    pub fn string(&mut self, what: &'static str) -> Result<MqttStr, Violation> {
        let b = self.binary(what)?;
        MqttStr::from_bytes(b)
    }
}

/// Checks a topic name as used in PUBLISH: no wildcards [MQTT-3.3.2-2], and non-empty
/// unless `allow_empty` (an MQTT 5 PUBLISH that carries a topic alias) [MQTT-4.7.3-1].
pub fn check_topic_name(topic: &str, allow_empty: bool) -> Result<(), Violation> {
    if topic.is_empty() && !allow_empty {
        return Err(Violation::new(
            "MQTT-4.7.3-1",
            "topic name must be at least one character long",
            PROTOCOL_ERROR,
        ));
    }
    let mut wild = false;
    for &b in topic.as_bytes() {
        wild |= (b == b'+') | (b == b'#');
    }
    if wild {
        return Err(Violation::new(
            "MQTT-3.3.2-2",
            format!("topic name must not contain wildcards: {topic:?}"),
            PROTOCOL_ERROR,
        ));
    }
    Ok(())
}

/// Checks a topic filter [MQTT-4.7.1]: non-empty, `#` only as the whole last level, `+` only
/// as a whole level; `$share/{name}/{filter}` needs a name without wildcards or `/` and a
/// non-empty filter [MQTT-4.8.2-1], [MQTT-4.8.2-2].
pub fn check_topic_filter(filter: &str) -> Result<(), Violation> {
    if filter.is_empty() {
        return Err(Violation::new(
            "MQTT-4.7.3-1",
            "topic filter must be at least one character long",
            PROTOCOL_ERROR,
        ));
    }
    let mut inner = filter;
    if let Some(rest) = filter.strip_prefix("$share/") {
        let Some((name, rest)) = rest.split_once('/') else {
            return Err(Violation::new(
                "MQTT-4.8.2-2",
                format!("shared subscription needs $share/name/filter: {filter:?}"),
                PROTOCOL_ERROR,
            ));
        };
        if name.is_empty() || name.contains(['+', '#']) {
            return Err(Violation::new(
                "MQTT-4.8.2-2",
                format!("invalid share name in {filter:?}"),
                PROTOCOL_ERROR,
            ));
        }
        if rest.is_empty() {
            return Err(Violation::new(
                "MQTT-4.8.2-2",
                format!("shared subscription has an empty filter: {filter:?}"),
                PROTOCOL_ERROR,
            ));
        }
        inner = rest;
    }
    let mut levels = inner.split('/').peekable();
    while let Some(level) = levels.next() {
        if level.contains('#') && (level != "#" || levels.peek().is_some()) {
            return Err(Violation::new(
                "MQTT-4.7.1-1",
                format!("'#' must be the whole last level of a topic filter: {filter:?}"),
                PROTOCOL_ERROR,
            ));
        }
        if level.contains('+') && level != "+" {
            return Err(Violation::new(
                "MQTT-4.7.1-2",
                format!("'+' must occupy a whole topic level: {filter:?}"),
                PROTOCOL_ERROR,
            ));
        }
    }
    Ok(())
}

/// True for a `$share/...` filter.
pub fn is_shared_filter(filter: &str) -> bool {
    filter.starts_with("$share/")
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;

    use super::*;

    fn var(value: u32) -> Vec<u8> {
        let mut b = BytesMut::new();
        put_var_int(&mut b, value);
        b.to_vec()
    }

    #[test]
    fn var_int_boundaries_should_match_the_spec_table() {
        // Table 1.1 of MQTT 5: the edges of each length.
        for (value, bytes) in [
            (0u32, vec![0x00]),
            (127, vec![0x7f]),
            (128, vec![0x80, 0x01]),
            (16_383, vec![0xff, 0x7f]),
            (16_384, vec![0x80, 0x80, 0x01]),
            (2_097_151, vec![0xff, 0xff, 0x7f]),
            (2_097_152, vec![0x80, 0x80, 0x80, 0x01]),
            (268_435_455, vec![0xff, 0xff, 0xff, 0x7f]),
        ] {
            assert_eq!(var(value), bytes, "encode {value}");
            assert_eq!(var_int_len(value), bytes.len());
            assert_eq!(
                read_var_int(&bytes).unwrap(),
                VarInt::Value(value, bytes.len())
            );
        }
    }

    #[test]
    fn fifth_length_byte_should_be_malformed() {
        let err = read_var_int(&[0xff, 0xff, 0xff, 0xff, 0x01]).unwrap_err();
        assert!(err.to_string().contains("MQTT-1.5.5-1"), "{err}");
        // Even before the fifth byte has arrived, four continuation bytes are enough to know.
        assert!(read_var_int(&[0x80, 0x80, 0x80, 0x80]).is_err());
    }

    #[test]
    fn non_minimal_var_int_should_be_malformed() {
        assert!(read_var_int(&[0x80, 0x00]).is_err());
        assert!(read_var_int(&[0xff, 0x80, 0x00]).is_err());
    }

    #[test]
    fn truncated_var_int_should_be_incomplete() {
        assert_eq!(read_var_int(&[0x80]).unwrap(), VarInt::Incomplete);
        assert_eq!(read_var_int(&[]).unwrap(), VarInt::Incomplete);
    }

    #[test]
    fn strings_should_reject_nul_surrogates_and_bad_utf8() {
        assert!(MqttStr::from_bytes(Bytes::from_static(b"a\0b")).is_err());
        // U+D800 encoded as if it were a scalar value (CESU-style): not UTF-8.
        assert!(MqttStr::from_bytes(Bytes::from_static(&[0xed, 0xa0, 0x80])).is_err());
        // Overlong '/'.
        assert!(MqttStr::from_bytes(Bytes::from_static(&[0xc0, 0xaf])).is_err());
        assert!(MqttStr::from_bytes(Bytes::from_static(&[0xff])).is_err());
        assert_eq!(MqttStr::new("héllo/✓").unwrap().as_str(), "héllo/✓");
    }

    #[test]
    fn topic_names_should_refuse_wildcards_and_emptiness() {
        assert!(check_topic_name("a/b", false).is_ok());
        assert!(check_topic_name("a/+", false).is_err());
        assert!(check_topic_name("#", false).is_err());
        assert!(check_topic_name("", false).is_err());
        assert!(check_topic_name("", true).is_ok());
    }

    #[test]
    fn topic_filters_should_follow_wildcard_placement_rules() {
        for ok in [
            "#",
            "+",
            "a/#",
            "a/+/b",
            "+/+",
            "/",
            "$SYS/#",
            "$share/g/a/#",
            "$share/g/#",
        ] {
            assert!(check_topic_filter(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a#",
            "a/#/b",
            "a+",
            "a/b+/c",
            "$share/g",
            "$share//a",
            "$share/g+/a",
        ] {
            assert!(check_topic_filter(bad).is_err(), "{bad}");
        }
        assert!(check_topic_filter("$share/g/").is_err());
    }
}
