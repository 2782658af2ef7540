//! Server certificate checks that fail the way Node's do: webpki decides, and an unknown
//! issuer is told apart as OpenSSL tells it (`DEPTH_ZERO_SELF_SIGNED_CERT`,
//! `SELF_SIGNED_CERT_IN_CHAIN`, `UNABLE_TO_VERIFY_LEAF_SIGNATURE`,
//! `UNABLE_TO_GET_ISSUER_CERT_LOCALLY`), so code that matches on `err.code` keeps working.
//! With `rejectUnauthorized: false` any certificate passes; handshake signatures are still
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

/// Node's code for a chain whose issuer is not trusted; carried inside rustls's error.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(super) struct UntrustedChain(pub &'static str);

/// See the module docs; `webpki: None` accepts any certificate.
#[derive(Debug)]
pub(super) struct NodeVerifier {
    pub webpki: Option<Arc<WebPkiServerVerifier>>,
    pub provider: Arc<CryptoProvider>,
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
            Err(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)) => {
                let code = if intermediates.is_empty() {
                    if self_issued(end_entity) {
                        "DEPTH_ZERO_SELF_SIGNED_CERT"
                    } else {
                        "UNABLE_TO_VERIFY_LEAF_SIGNATURE"
                    }
                } else if intermediates.iter().any(|c| self_issued(c)) {
                    "SELF_SIGNED_CERT_IN_CHAIN"
                } else {
                    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY"
                };
                Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                    OtherError(Arc::new(UntrustedChain(code))),
                )))
            }
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

/// One DER element: (tag, contents, what follows it).
fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
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

/// True when the certificate's issuer and subject names are the same (a root, as OpenSSL
/// judges "self-signed" for these codes).
fn self_issued(cert: &CertificateDer<'_>) -> bool {
    (|| {
        let (_, certificate, _) = tlv(cert.as_ref())?;
        let (_, tbs, _) = tlv(certificate)?;
        let (tag, _, mut rest) = tlv(tbs)?;
        if tag == 0xa0 {
            // [0] version, then the serial number.
            rest = tlv(rest)?.2;
        }
        let (_, _, rest) = tlv(rest)?; // signature algorithm
        let (_, issuer, rest) = tlv(rest)?;
        let (_, _, rest) = tlv(rest)?; // validity
        let (_, subject, _) = tlv(rest)?;
        Some(issuer == subject)
    })()
    .unwrap_or(false)
}
