//! TLS over TCP with rustls (`mqtts://`, `ssl://`, `tls://`): the options of Node's
//! `tls.connect` that MQTT.js users pass (ca, cert, key, rejectUnauthorized, servername,
//! ALPN), and errors named as Node names them (`UNABLE_TO_VERIFY_LEAF_SIGNATURE`,
//! `CERT_HAS_EXPIRED`, `ERR_TLS_CERT_ALTNAME_INVALID`...).

use std::sync::Arc;

use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::client::WebPkiServerVerifier;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::rustls::{self, CertificateError, ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

use super::tls_verify::{NodeVerifier, UntrustedChain};

/// What the application asks of TLS (Node's `tls.connect` options, as bytes).
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// PEM blobs of trusted CAs; empty: the operating system's trust store.
    pub ca: Vec<Vec<u8>>,
    /// PEM certificate chain of the client (mutual TLS).
    pub cert: Option<Vec<u8>>,
    /// PEM private key of the client.
    pub key: Option<Vec<u8>>,
    /// Check the server's certificate (Node's default: true).
    pub reject_unauthorized: bool,
    /// ALPN protocols to offer.
    pub alpn: Vec<Vec<u8>>,
}

fn config_error(code: &'static str, message: impl Into<String>) -> super::Error {
    super::Error::Tls {
        code,
        message: message.into(),
    }
}

fn certs(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>, super::Error> {
    let list: Vec<_> = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .map_err(|e| {
            config_error(
                "ERR_TLS_BAD_CERT",
                format!("{what}: not a PEM certificate ({e})"),
            )
        })?;
    if list.is_empty() {
        return Err(config_error(
            "ERR_TLS_BAD_CERT",
            format!("{what}: no PEM certificate found (expected -----BEGIN CERTIFICATE-----)"),
        ));
    }
    Ok(list)
}

fn private_key(pem: &[u8]) -> Result<PrivateKeyDer<'static>, super::Error> {
    if pem.windows(9).any(|w| w == b"ENCRYPTED") {
        return Err(config_error(
            "ERR_TLS_KEY_ENCRYPTED",
            "key: the private key is encrypted and no `passphrase` given decrypts it \
             (give the right one, or decrypt the key: openssl pkey -in key.pem -out plain.pem)",
        ));
    }
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| {
        config_error(
            "ERR_TLS_BAD_KEY",
            format!("key: not a PEM private key ({e})"),
        )
    })
}

/// Builds the rustls client configuration once per client.
pub fn client_config(opts: &TlsOptions) -> Result<Arc<ClientConfig>, super::Error> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| config_error("ERR_TLS_CONFIG", e.to_string()))?;
    let mut pinned = Vec::new();
    let webpki = if opts.reject_unauthorized {
        let mut roots = RootCertStore::empty();
        if opts.ca.is_empty() {
            let found = rustls_native_certs::load_native_certs();
            for c in found.certs {
                // A system certificate rustls cannot use is skipped, as Node skips it.
                let _ = roots.add(c);
            }
            if roots.is_empty() {
                return Err(config_error(
                    "ERR_TLS_NO_TRUST_STORE",
                    "no trusted CA certificates: the system's trust store is empty or unreadable; pass `ca`",
                ));
            }
        } else {
            for (i, pem) in opts.ca.iter().enumerate() {
                for c in certs(pem, &format!("ca[{i}]"))? {
                    pinned.push(c.clone());
                    roots
                        .add(c)
                        .map_err(|e| config_error("ERR_TLS_BAD_CERT", format!("ca[{i}]: {e}")))?;
                }
            }
        }
        let v = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| config_error("ERR_TLS_CONFIG", e.to_string()))?;
        Some(v)
    } else {
        None
    };
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(NodeVerifier {
            webpki,
            provider,
            pinned,
        }));
    let mut config = match (&opts.cert, &opts.key) {
        (Some(cert), Some(key)) => builder
            .with_client_auth_cert(certs(cert, "cert")?, private_key(key)?)
            .map_err(|e| {
                config_error("ERR_TLS_BAD_KEY", format!("cert and key do not fit: {e}"))
            })?,
        (None, None) => builder.with_no_client_auth(),
        _ => {
            return Err(config_error(
                "ERR_TLS_CONFIG",
                "a client certificate needs both `cert` and `key`",
            ))
        }
    };
    config.alpn_protocols = opts.alpn.clone();
    Ok(Arc::new(config))
}

/// The name the server's certificate is checked against: `servername` if given, else the
/// host (an IP address is checked against the certificate's IP SANs, and sent without SNI).
pub fn server_name(
    servername: Option<&str>,
    host: &str,
) -> Result<ServerName<'static>, super::Error> {
    let name = servername.filter(|s| !s.is_empty()).unwrap_or(host);
    let name = name.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(name.to_string()).map_err(|_| {
        config_error(
            "ERR_TLS_BAD_SERVERNAME",
            format!("not a valid TLS server name: {name}"),
        )
    })
}

/// Runs the TLS handshake over an open TCP connection.
pub async fn handshake(
    tcp: TcpStream,
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
) -> Result<TlsStream<TcpStream>, super::Error> {
    TlsConnector::from(config)
        .connect(name.clone(), tcp)
        .await
        .map_err(|e| describe(&e, &name))
}

/// The handshake's failure, as Node reports it.
fn describe(e: &std::io::Error, name: &ServerName<'_>) -> super::Error {
    let (code, message) = describe_parts(e, name);
    config_error(code, message)
}

/// Node's code and a message naming what failed.
#[allow(deprecated)] // CertificateError::UnsupportedSignatureAlgorithm, still produced by older paths
fn describe_parts(e: &std::io::Error, name: &ServerName<'_>) -> (&'static str, String) {
    let host = name.to_str();
    let Some(err) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) else {
        return (
            super::io_code(e.kind()),
            format!("TLS handshake with {host} failed: {e}"),
        );
    };
    match err {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::Other(o) if o.0.downcast_ref::<UntrustedChain>().is_some() => {
                let code = o.0.downcast_ref::<UntrustedChain>().map_or("UNABLE_TO_VERIFY_LEAF_SIGNATURE", |u| u.0);
                (code, untrusted_message(code, &host))
            }
            CertificateError::UnknownIssuer => (
                "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
                untrusted_message("UNABLE_TO_VERIFY_LEAF_SIGNATURE", &host),
            ),
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                ("CERT_HAS_EXPIRED", format!("certificate of {host} has expired"))
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                ("CERT_NOT_YET_VALID", format!("certificate of {host} is not yet valid"))
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => (
                "ERR_TLS_CERT_ALTNAME_INVALID",
                format!("Hostname/IP does not match certificate's altnames: {host} is not in the certificate"),
            ),
            CertificateError::Revoked => ("CERT_REVOKED", format!("certificate of {host} is revoked")),
            // The rest in OpenSSL's words (Node's codes), never rustls's own names.
            CertificateError::BadSignature
            | CertificateError::UnsupportedSignatureAlgorithm
            | CertificateError::UnsupportedSignatureAlgorithmContext { .. }
            | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => (
                "CERT_SIGNATURE_FAILURE",
                format!("certificate signature failure ({host})"),
            ),
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => (
                "INVALID_PURPOSE",
                format!("unsupported certificate purpose ({host})"),
            ),
            CertificateError::UnhandledCriticalExtension => (
                "UNHANDLED_CRITICAL_EXTENSION",
                format!("unhandled critical extension ({host})"),
            ),
            CertificateError::UnknownRevocationStatus => (
                "UNABLE_TO_GET_CRL",
                format!("unable to get certificate CRL ({host})"),
            ),
            CertificateError::ExpiredRevocationList
            | CertificateError::ExpiredRevocationListContext { .. } => {
                ("CRL_HAS_EXPIRED", format!("CRL has expired ({host})"))
            }
            _ => (
                "ERR_TLS_CERT_INVALID",
                format!("the certificate of {host} is not valid for this connection"),
            ),
        },
        rustls::Error::AlertReceived(alert) => alert_failure(alert),
        rustls::Error::NoCertificatesPresented => (
            "EPROTO",
            format!("TLS handshake with {host} failed: the server sent no certificate"),
        ),
        rustls::Error::PeerIncompatible(_) => (
            "EPROTO",
            format!("TLS handshake with {host} failed: no TLS version or cipher suite in common (TLS 1.2 or 1.3 needed)"),
        ),
        _ => (
            "EPROTO",
            format!("TLS handshake with {host} failed: the server broke the TLS protocol"),
        ),
    }
}

/// A TLS alert the server sent, as Node reports it (and MQTT.js shows): OpenSSL's name for
/// it in the message (`sslv3 alert handshake failure`, `tlsv1 alert protocol version`) and
/// its number; the code Node gives it, `EPROTO` when the alert ends the handshake (Node's
/// message starts `write EPROTO`), `ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED` for the
/// TLS 1.3 alert that comes after it.
pub(crate) fn alert_failure(alert: &rustls::AlertDescription) -> (&'static str, String) {
    let n = u8::from(*alert);
    let class = match n {
        0 | 10 | 20 | 30 | 40..=47 => "sslv3 alert",
        109 | 116 => "tlsv13 alert",
        _ => "tlsv1 alert",
    };
    let words = format!(
        "SSL routines:ssl3_read_bytes:{class} {}:SSL alert number {n}",
        alert_words(alert)
    );
    match alert {
        rustls::AlertDescription::CertificateRequired => {
            ("ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED", words)
        }
        _ => ("EPROTO", format!("write EPROTO {words}")),
    }
}

/// The TLS alert a failed read or write carries, if any, as Node reports it.
pub(crate) fn alert_in(e: &std::io::Error) -> Option<(&'static str, String)> {
    match e.get_ref()?.downcast_ref::<rustls::Error>()? {
        rustls::Error::AlertReceived(alert) => Some(alert_failure(alert)),
        _ => None,
    }
}

/// A TLS alert as OpenSSL names it: `handshake failure`, `certificate required`, `unknown ca`.
fn alert_words(alert: &rustls::AlertDescription) -> String {
    let mut out = String::new();
    let mut lower_before = false;
    for ch in format!("{alert:?}").chars() {
        if ch.is_ascii_uppercase() && lower_before {
            out.push(' ');
        }
        lower_before = ch.is_ascii_lowercase();
        out.push(ch.to_ascii_lowercase());
    }
    out
}

/// Node's wording for an untrusted chain, naming the host.
fn untrusted_message(code: &str, host: &str) -> String {
    let what = match code {
        "DEPTH_ZERO_SELF_SIGNED_CERT" => "self-signed certificate",
        "SELF_SIGNED_CERT_IN_CHAIN" => "self-signed certificate in certificate chain",
        "UNABLE_TO_GET_ISSUER_CERT_LOCALLY" => "unable to get local issuer certificate",
        _ => "unable to verify the first certificate",
    };
    format!("{what} ({host}: its CA is not in `ca` or the trust store)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_should_read_as_openssl_names_them() {
        use rustls::AlertDescription as A;
        assert_eq!(
            alert_failure(&A::HandshakeFailure),
            (
                "EPROTO",
                "write EPROTO SSL routines:ssl3_read_bytes:sslv3 alert handshake failure:SSL alert number 40".into()
            )
        );
        assert!(alert_failure(&A::ProtocolVersion)
            .1
            .contains("tlsv1 alert protocol version:SSL alert number 70"));
        assert_eq!(
            alert_failure(&A::CertificateRequired).0,
            "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED"
        );
        assert_eq!(alert_words(&A::HandshakeFailure), "handshake failure");
        assert_eq!(alert_words(&A::UnknownCA), "unknown ca");
        assert_eq!(alert_words(&A::CertificateRequired), "certificate required");
    }
}
