//! Unix domain sockets (`mqtt+unix://`, MQTT.js `unixSocket`).

/// Connects to the socket at `path`.
#[cfg(unix)]
pub async fn connect(path: &str) -> Result<tokio::net::UnixStream, super::Error> {
    tokio::net::UnixStream::connect(path)
        .await
        .map_err(|e| super::Error::Unix {
            code: super::io_code(e.kind()),
            path: path.to_string(),
        })
}

/// Unix sockets do not exist on this platform.
#[cfg(not(unix))]
pub async fn connect(path: &str) -> Result<tokio::net::TcpStream, super::Error> {
    Err(super::Error::Unsupported(format!(
        "Unix sockets are not available here: {path}"
    )))
}
