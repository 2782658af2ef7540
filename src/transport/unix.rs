//! Unix domain sockets (`mqtt+unix://`, MQTT.js `unixSocket`).

/// Connects to the socket at `path`.
#[cfg(unix)]
pub async fn connect(path: &str) -> Result<tokio::net::UnixStream, (&'static str, String)> {
    tokio::net::UnixStream::connect(path).await.map_err(|e| {
        let code = super::Error::Io {
            context: String::new(),
            source: std::io::Error::new(e.kind(), ""),
        }
        .code();
        // A missing socket file is ENOENT in Node.
        let code = if e.kind() == std::io::ErrorKind::NotFound {
            "ENOENT"
        } else {
            code
        };
        (code, format!("connect {code} {path}"))
    })
}

/// Unix sockets do not exist on this platform.
#[cfg(not(unix))]
pub async fn connect(path: &str) -> Result<tokio::net::TcpStream, (&'static str, String)> {
    Err((
        "ERR_NOT_SUPPORTED",
        format!("Unix sockets are not available here: {path}"),
    ))
}
