//! What every file of the driver shares, at the bottom of it: how a connection's failure is
//! told to the application, and the socket type read on the application's thread.

#[cfg(unix)]
use tokio::io::unix::AsyncFd;

use crate::codec::DecodeError;
use crate::session::SessionError;
use crate::transport;

/// Why a connection failed, as the application reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Node-style code: `ECONNREFUSED`, `ERR_MQTT_PROTOCOL`, `ERR_KEEPALIVE_TIMEOUT`...
    pub code: &'static str,
    /// The MQTT reason code MQTT.js reports this failure with (`ErrorWithReasonCode`), if any.
    pub reason: Option<u8>,
    /// For a person; MQTT.js's words where MQTT.js reports the same failure.
    pub message: String,
}

impl Failure {
    /// A failure without a reason code.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Failure {
            code,
            reason: None,
            message: message.into(),
        }
    }
}

impl From<(&'static str, String)> for Failure {
    fn from((code, message): (&'static str, String)) -> Self {
        Failure::new(code, message)
    }
}

impl From<SessionError> for Failure {
    fn from(e: SessionError) -> Self {
        Failure {
            code: e.code(),
            reason: e.reported_reason(),
            message: e.to_string(),
        }
    }
}

impl From<DecodeError> for Failure {
    fn from(e: DecodeError) -> Self {
        match e {
            // MQTT.js 5.16's words and code for a packet over our maximumPacketSize.
            DecodeError::PacketTooLarge { cmd, size, max } => Failure {
                code: "ERR_MQTT_PACKET_TOO_LARGE",
                reason: Some(crate::codec::PACKET_TOO_LARGE),
                message: format!(
                    "exceeding packets size {cmd}: {size} bytes, maximumPacketSize is {max}"
                ),
            },
            other => Failure::new(
                crate::error::Error::from(other.clone()).code(),
                other.to_string(),
            ),
        }
    }
}

impl From<transport::Error> for Failure {
    fn from(e: transport::Error) -> Self {
        Failure::new(e.code(), e.to_string())
    }
}

/// The driver's clock: tokio's, so that a test that pauses tokio's time (tests/driver.rs)
/// drives the session's deadlines too; the real clock otherwise.
pub(crate) fn now() -> std::time::Instant {
    tokio::time::Instant::now().into_std()
}

/// The failure for a socket's I/O error.
pub(crate) fn io_failure(e: &std::io::Error) -> Failure {
    let t = transport::Error::Io {
        context: "socket".into(),
        source: std::io::Error::new(e.kind(), e.to_string()),
    };
    Failure::new(t.code(), e.to_string())
}

/// A TCP socket read on the application's thread; tokio only waits for it to be writable.
#[cfg(unix)]
pub type AppSocket = AsyncFd<std::net::TcpStream>;
