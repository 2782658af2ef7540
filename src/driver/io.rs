//! What every file of the driver shares, at the bottom of it: how a connection's failure is
//! told (a Node-style code and a message), and the socket type read on the application's
//! thread.

#[cfg(unix)]
use tokio::io::unix::AsyncFd;

use crate::session::SessionError;
use crate::transport;

/// Why a connection failed: Node-style code and message.
pub type Failure = (&'static str, String);

/// The code and message for a session's error that ends the connection.
pub(crate) fn session_failure(e: SessionError) -> Failure {
    match e {
        SessionError::KeepaliveTimeout => ("ERR_KEEPALIVE_TIMEOUT", "Keepalive timeout".into()),
        SessionError::ConnectTimeout => ("ERR_CONNACK_TIMEOUT", "connack timeout".into()),
        SessionError::Refused(code) => ("ERR_MQTT_REFUSED", format!("connection refused: {code}")),
        other => ("ERR_MQTT_PROTOCOL", other.to_string()),
    }
}

/// The code and message for a socket's I/O error.
pub(crate) fn io_failure(e: &std::io::Error) -> Failure {
    let t = transport::Error::Io {
        context: "socket".into(),
        source: std::io::Error::new(e.kind(), e.to_string()),
    };
    (t.code(), e.to_string())
}

/// A TCP socket read on the application's thread; tokio only waits for it to be writable.
#[cfg(unix)]
pub type AppSocket = AsyncFd<std::net::TcpStream>;
