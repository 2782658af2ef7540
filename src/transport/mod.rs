//! tokio I/O: opening connections over TCP (directly or through a SOCKS proxy), TLS,
//! WebSocket and Unix sockets (JS-fed streams are `driver::js_stream`). Every transport is
//! an `AsyncRead + AsyncWrite` stream.

use tokio::io::{AsyncRead, AsyncWrite};

pub mod blocking;
pub mod socks;
pub mod tcp;
pub mod tls;
mod tls_verify;
pub mod unix;
pub mod ws;
mod x509;

/// What every transport hands the driver.
pub trait AsyncReadWrite: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> AsyncReadWrite for T {}

/// A boxed transport stream.
pub type Stream = Box<dyn AsyncReadWrite>;

/// For streams made of messages (WebSocket frames, chunks from JS): copies what fits of
/// the current message into `buf`. False when nothing was pending.
pub fn copy_pending(pending: &mut bytes::Bytes, buf: &mut tokio::io::ReadBuf<'_>) -> bool {
    if pending.is_empty() {
        return false;
    }
    let n = pending.len().min(buf.remaining());
    buf.put_slice(&pending.split_to(n));
    true
}

/// Why a connection could not be opened; keeps the `io::Error` so its kind reaches JS as
/// an errno-style code (`ECONNREFUSED`).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The operating system refused or failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, e.g. `connect 127.0.0.1:1883`.
        context: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The host name did not resolve to any address.
    #[error("getaddrinfo ENOTFOUND {0}")]
    NotFound(String),
    /// A SOCKS proxy failed or refused (the `socks` package's words).
    #[error("{0}")]
    Socks(String),
    /// TLS options that cannot be used (bad PEM, a key that does not fit the certificate),
    /// or a handshake that failed; `code` is Node's (`ERR_TLS_*`, or OpenSSL's verification
    /// codes such as `CERT_HAS_EXPIRED`).
    #[error("{message}")]
    Tls {
        /// Node's code.
        code: &'static str,
        /// For a person, in Node's and OpenSSL's words.
        message: String,
    },
    /// A WebSocket request that cannot be made (`ERR_INVALID_URL`, `ERR_INVALID_ARG_VALUE`
    /// for a bad header) or an upgrade the server refused (`ERR_WS_HANDSHAKE`).
    #[error("{message}")]
    WebSocket {
        /// Node-style code.
        code: &'static str,
        /// For a person.
        message: String,
    },
    /// A Unix socket that cannot be connected to; `code` is errno-style (`ENOENT`...).
    #[error("connect {code} {path}")]
    Unix {
        /// errno-style code.
        code: &'static str,
        /// The socket's path.
        path: String,
    },
    /// Not available on this platform.
    #[error("{0}")]
    Unsupported(String),
}

impl Error {
    /// Node-style error code: `ECONNREFUSED`, `ETIMEDOUT`, `ENOTFOUND`...
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotFound(_) => "ENOTFOUND",
            Error::Socks(_) => "SOCKS",
            Error::Tls { code, .. } | Error::WebSocket { code, .. } | Error::Unix { code, .. } => {
                code
            }
            Error::Unsupported(_) => "ERR_NOT_SUPPORTED",
            Error::Io { source, .. } => io_code(source.kind()),
        }
    }
}

/// Node's errno-style code for an I/O error of this kind.
pub fn io_code(kind: std::io::ErrorKind) -> &'static str {
    use std::io::ErrorKind::*;
    match kind {
        ConnectionRefused => "ECONNREFUSED",
        ConnectionReset => "ECONNRESET",
        ConnectionAborted => "ECONNABORTED",
        TimedOut => "ETIMEDOUT",
        BrokenPipe => "EPIPE",
        AddrNotAvailable => "EADDRNOTAVAIL",
        NotConnected => "ENOTCONN",
        UnexpectedEof => "ECONNRESET",
        NotFound => "ENOENT",
        _ => "EIO",
    }
}
