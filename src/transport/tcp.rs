//! Plain TCP, with Nagle off (MQTT packets are small and latency matters), as MQTT.js does.

use tokio::net::TcpStream;

use super::{Error, Stream};

/// Opens a TCP connection to `host:port`, trying each resolved address in turn.
pub async fn connect(host: &str, port: u16) -> Result<Stream, Error> {
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
                return Ok(Box::new(s));
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
