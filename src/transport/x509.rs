//! Just enough DER reading of an X.509 certificate for the checks Node makes that webpki does
//! not: whether it is self-issued, its validity period, and the names Node's
//! `checkServerIdentity` matches (subjectAltName DNS and IP entries, else the subject's CN).

/// One DER element: (tag, contents, what follows it).
pub(super) fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = b.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |a, &x| (a << 8) | x as usize);
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The parts of a certificate's TBSCertificate that the checks read.
struct Tbs<'a> {
    issuer: &'a [u8],
    validity: &'a [u8],
    subject: &'a [u8],
    /// The contents of `[3] extensions`, if any.
    extensions: Option<&'a [u8]>,
}

fn tbs(cert: &[u8]) -> Option<Tbs<'_>> {
    let (_, certificate, _) = tlv(cert)?;
    let (_, tbs, _) = tlv(certificate)?;
    let (tag, _, mut rest) = tlv(tbs)?;
    if tag == 0xa0 {
        // [0] version, then the serial number.
        rest = tlv(rest)?.2;
    }
    let (_, _, rest) = tlv(rest)?; // signature algorithm
    let (_, issuer, rest) = tlv(rest)?;
    let (_, validity, rest) = tlv(rest)?;
    let (_, subject, rest) = tlv(rest)?;
    let (_, _, mut rest) = tlv(rest)?; // subject public key info
    let mut extensions = None;
    while let Some((tag, body, next)) = tlv(rest) {
        if tag == 0xa3 {
            extensions = Some(tlv(body)?.1);
        }
        rest = next;
    }
    Some(Tbs {
        issuer,
        validity,
        subject,
        extensions,
    })
}

/// True when the certificate's issuer and subject names are the same (a root, as OpenSSL
/// judges "self-signed" for Node's error codes).
pub(super) fn self_issued(cert: &[u8]) -> bool {
    tbs(cert).is_some_and(|t| t.issuer == t.subject)
}

/// What Node checks of a certificate it trusts as it is (a pinned self-signed `ca`).
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct LeafFacts {
    /// Validity period, in seconds since the Unix epoch.
    pub not_before: i64,
    pub not_after: i64,
    /// subjectAltName dNSName entries.
    pub dns: Vec<String>,
    /// subjectAltName iPAddress entries (4 or 16 bytes).
    pub ips: Vec<Vec<u8>>,
    /// The subject's commonName values.
    pub cn: Vec<String>,
}

const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
const OID_SAN: &[u8] = &[0x55, 0x1d, 0x11];

/// Reads the facts, or None when the certificate cannot be read.
pub(super) fn leaf_facts(cert: &[u8]) -> Option<LeafFacts> {
    let t = tbs(cert)?;
    // Validity: SEQUENCE { notBefore, notAfter }, each a whole time element.
    let (_, _, not_after) = tlv(t.validity)?;
    let not_before = &t.validity[..t.validity.len() - not_after.len()];
    let mut f = LeafFacts {
        not_before: time(not_before)?,
        not_after: time(not_after)?,
        ..Default::default()
    };
    // Subject: SEQUENCE OF SET OF { type, value }.
    let mut rdns = t.subject;
    while let Some((_, set, next)) = tlv(rdns) {
        let mut atvs = set;
        while let Some((_, atv, more)) = tlv(atvs) {
            let (_, oid, value) = tlv(atv)?;
            if oid == OID_CN {
                let (_, v, _) = tlv(value)?;
                f.cn.push(String::from_utf8_lossy(v).into_owned());
            }
            atvs = more;
        }
        rdns = next;
    }
    let mut exts = t.extensions.unwrap_or_default();
    while let Some((_, ext, next)) = tlv(exts) {
        let (_, oid, rest) = tlv(ext)?;
        if oid == OID_SAN {
            let (mut tag, mut octets, after) = tlv(rest)?;
            if tag == 0x01 {
                // The critical flag, then the value.
                (tag, octets, _) = tlv(after)?;
            }
            if tag != 0x04 {
                return None;
            }
            let (_, mut names, _) = tlv(octets)?;
            while let Some((tag, v, more)) = tlv(names) {
                match tag {
                    0x82 => f.dns.push(String::from_utf8_lossy(v).into_owned()),
                    0x87 => f.ips.push(v.to_vec()),
                    _ => {}
                }
                names = more;
            }
        }
        exts = next;
    }
    Some(f)
}

/// A UTCTime (tag 0x17, YYMMDDHHMMSSZ) or GeneralizedTime (0x18, YYYYMMDDHHMMSSZ).
fn time(der: &[u8]) -> Option<i64> {
    let (tag, v, _) = tlv(der)?;
    if tag != 0x17 && tag != 0x18 {
        return None;
    }
    let s = std::str::from_utf8(v).ok()?.strip_suffix('Z')?;
    let (year, rest) = match tag {
        0x17 => {
            let yy: i64 = s.get(..2)?.parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, s.get(2..)?)
        }
        _ => (s.get(..4)?.parse().ok()?, s.get(4..)?),
    };
    let n = |i: usize| -> Option<i64> { rest.get(i..i + 2)?.parse().ok() };
    let (month, day, h, m, sec) = (n(0)?, n(2)?, n(4)?, n(6)?, n(8)?);
    Some(days_from_civil(year, month, day)? * 86_400 + h * 3600 + m * 60 + sec)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> Option<i64> {
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Node's `checkServerIdentity` rule for a DNS host name: the subjectAltName DNS entries if
/// there are any, else the CN; a `*` only as the whole leftmost label.
pub(super) fn dns_name_matches(f: &LeafFacts, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let patterns = if f.dns.is_empty() { &f.cn } else { &f.dns };
    patterns.iter().any(|p| {
        let p = p.trim_end_matches('.').to_ascii_lowercase();
        match p.strip_prefix("*.") {
            Some(rest) => host.split_once('.').is_some_and(|(first, tail)| {
                !first.is_empty() && tail == rest && rest.contains('.')
            }),
            None => p == host,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_should_convert_to_unix_seconds() {
        assert_eq!(days_from_civil(1970, 1, 1), Some(0));
        assert_eq!(
            time(&[
                0x17, 13, b'7', b'0', b'0', b'1', b'0', b'2', b'0', b'0', b'0', b'0', b'0', b'0',
                b'Z'
            ]),
            Some(86_400)
        );
        let g = b"\x18\x0f20300820180706Z";
        assert_eq!(time(g), Some(1_913_479_626)); // date -u -d "2030-08-20 18:07:06" +%s
    }

    #[test]
    fn names_should_match_as_node_matches_them() {
        let f = LeafFacts {
            cn: vec!["localhost".into()],
            ..Default::default()
        };
        assert!(dns_name_matches(&f, "LOCALHOST"));
        assert!(!dns_name_matches(&f, "example.com"));
        let f = LeafFacts {
            dns: vec!["*.example.com".into()],
            cn: vec!["localhost".into()],
            ..Default::default()
        };
        assert!(dns_name_matches(&f, "a.example.com"));
        assert!(!dns_name_matches(&f, "a.b.example.com"));
        assert!(
            !dns_name_matches(&f, "localhost"),
            "the CN is not used when there are SANs"
        );
    }
}
