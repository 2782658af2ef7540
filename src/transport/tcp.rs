//! Plain TCP, with Nagle off (MQTT packets are small and latency matters), as MQTT.js does.

use tokio::net::TcpStream;

use super::Error;

/// Opens a TCP connection to `host:port`, trying each resolved address in turn. The stream
/// comes back unboxed: the driver splits it so the application's thread can write to it
/// directly (see `driver::client`).
pub async fn connect(host: &str, port: u16) -> Result<TcpStream, Error> {
    let addrs: Vec<_> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| Error::NotFound(host.to_string()))?
        .collect();
    if addrs.is_empty() {
        return Err(Error::NotFound(host.to_string()));
    }
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(s) => {
                // Best effort: a socket without TCP_NODELAY still works, only slower.
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => {
                last = Some(Error::Io {
                    context: format!("connect {addr}"),
                    source: e,
                })
            }
        }
    }
    // `addrs` was not empty, so the loop set `last`.
    Err(last.unwrap_or_else(|| Error::NotFound(host.to_string())))
}
