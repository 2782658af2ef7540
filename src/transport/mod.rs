//! tokio I/O: opening connections over TCP (directly or through a SOCKS proxy), TLS,
//! WebSocket and Unix sockets (JS-fed streams are `driver::js_stream`). Every transport is
//! an `AsyncRead + AsyncWrite` stream.

use tokio::io::{AsyncRead, AsyncWrite};

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
}

impl Error {
    /// Node-style error code: `ECONNREFUSED`, `ETIMEDOUT`, `ENOTFOUND`...
    pub fn code(&self) -> &'static str {
        use std::io::ErrorKind::*;
        match self {
            Error::NotFound(_) => "ENOTFOUND",
            Error::Socks(_) => "SOCKS",
            Error::Io { source, .. } => match source.kind() {
                ConnectionRefused => "ECONNREFUSED",
                ConnectionReset => "ECONNRESET",
                ConnectionAborted => "ECONNABORTED",
                TimedOut => "ETIMEDOUT",
                BrokenPipe => "EPIPE",
                AddrNotAvailable => "EADDRNOTAVAIL",
                NotConnected => "ENOTCONN",
                UnexpectedEof => "ECONNRESET",
                _ => "EIO",
            },
        }
    }
}
