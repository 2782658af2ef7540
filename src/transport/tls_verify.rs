//! Server certificate checks that fail the way Node's do: webpki decides, and an unknown
//! issuer is told apart as OpenSSL tells it (`DEPTH_ZERO_SELF_SIGNED_CERT`,
//! `SELF_SIGNED_CERT_IN_CHAIN`, `UNABLE_TO_VERIFY_LEAF_SIGNATURE`,
//! `UNABLE_TO_GET_ISSUER_CERT_LOCALLY`), so code that matches on `err.code` keeps working.
//! A certificate that names its host only in its CN passes as Node passes it. With
//! `rejectUnauthorized: false` any certificate passes; handshake signatures are still
//! checked.

use std::sync::Arc;

use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::client::WebPkiServerVerifier;
use tokio_rustls::rustls::crypto::{
    verify_tls12_signature, verify_tls13_signature, CryptoProvider,
};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::{
    self, CertificateError, DigitallySignedStruct, OtherError, SignatureScheme,
};

use super::x509::{dns_name_matches, leaf_facts, self_issued};

/// Node's code for a chain whose issuer is not trusted; carried inside rustls's error.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(super) struct UntrustedChain(pub &'static str);

/// See the module docs; `webpki: None` accepts any certificate.
#[derive(Debug)]
pub(super) struct NodeVerifier {
    pub webpki: Option<Arc<WebPkiServerVerifier>>,
    pub provider: Arc<CryptoProvider>,
    /// The `ca` certificates: one presented as the server's own certificate is trusted as it
    /// is, as OpenSSL trusts it (the self-signed, CA:TRUE certificate of `openssl req -x509`,
    /// which webpki refuses as an end entity).
    pub pinned: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for NodeVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(v) = &self.webpki else {
            return Ok(ServerCertVerified::assertion());
        };
        match v.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(_)
                if self
                    .pinned
                    .iter()
                    .any(|c| c.as_ref() == end_entity.as_ref()) =>
            {
                pinned_leaf(end_entity, server_name, now)
            }
            // A self-signed certificate that is not a trusted `ca` (webpki may first object
            // that it is a CA, CA:TRUE as `openssl req -x509` makes it): OpenSSL's verdict.
            Err(rustls::Error::InvalidCertificate(
                CertificateError::Other(_) | CertificateError::UnknownIssuer,
            )) if intermediates.is_empty() && self_issued(end_entity.as_ref()) => {
                Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                    OtherError(Arc::new(UntrustedChain("DEPTH_ZERO_SELF_SIGNED_CERT"))),
                )))
            }
            Err(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)) => {
                let code = if intermediates.is_empty() {
                    if self_issued(end_entity.as_ref()) {
                        "DEPTH_ZERO_SELF_SIGNED_CERT"
                    } else {
                        "UNABLE_TO_VERIFY_LEAF_SIGNATURE"
                    }
                } else if intermediates.iter().any(|c| self_issued(c.as_ref())) {
                    "SELF_SIGNED_CERT_IN_CHAIN"
                } else {
                    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY"
                };
                Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                    OtherError(Arc::new(UntrustedChain(code))),
                )))
            }
            // A chain webpki trusts whose certificate names the host only in its CN (no
            // subjectAltName DNS entries): Node's checkServerIdentity accepts the CN then.
            Err(rustls::Error::InvalidCertificate(
                e @ (CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. }),
            )) => match (leaf_facts(end_entity.as_ref()), server_name) {
                (Some(f), ServerName::DnsName(d))
                    if f.dns.is_empty() && dns_name_matches(&f, d.as_ref()) =>
                {
                    Ok(ServerCertVerified::assertion())
                }
                _ => Err(rustls::Error::InvalidCertificate(e)),
            },
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A `ca` certificate presented as the server's certificate: trusted as it is, within its
/// validity period and for the names Node's `checkServerIdentity` accepts (its subjectAltName
/// entries, else its CN). The handshake signature still proves the server holds its key.
fn pinned_leaf(
    cert: &CertificateDer<'_>,
    server_name: &ServerName<'_>,
    now: UnixTime,
) -> Result<ServerCertVerified, rustls::Error> {
    let bad = |e| Err(rustls::Error::InvalidCertificate(e));
    let Some(f) = leaf_facts(cert.as_ref()) else {
        return bad(CertificateError::BadEncoding);
    };
    let now = now.as_secs() as i64;
    if now < f.not_before {
        return bad(CertificateError::NotValidYet);
    }
    if now > f.not_after {
        return bad(CertificateError::Expired);
    }
    let name_ok = match server_name {
        ServerName::DnsName(d) => dns_name_matches(&f, d.as_ref()),
        ServerName::IpAddress(ip) => {
            let ip: std::net::IpAddr = (*ip).into();
            let bytes = match ip {
                std::net::IpAddr::V4(a) => a.octets().to_vec(),
                std::net::IpAddr::V6(a) => a.octets().to_vec(),
            };
            f.ips.contains(&bytes)
        }
        _ => false,
    };
    if !name_ok {
        return bad(CertificateError::NotValidForName);
    }
    Ok(ServerCertVerified::assertion())
}
