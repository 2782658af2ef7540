//! Plain TCP, with Nagle off (MQTT packets are small and latency matters), as MQTT.js does.

use std::net::SocketAddr;

use tokio::net::TcpStream;

use super::Error;

/// Opens a TCP connection to `host:port`, trying each resolved address in turn. The stream
/// comes back unboxed: the driver splits it so the application's thread can write to it
/// directly (see `driver::client`).
pub async fn connect(host: &str, port: u16) -> Result<TcpStream, Error> {
    let mut last = None;
    for addr in resolve(host, port).await? {
        match TcpStream::connect(addr).await {
            Ok(s) => {
                // Best effort: a socket without TCP_NODELAY still works, only slower.
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last = Some(connect_error(addr, e)),
        }
    }
    // `resolve` found addresses, so the loop set `last`.
    Err(last.unwrap_or_else(|| Error::NotFound(host.to_string())))
}

/// Like [`connect`], for a socket the application's thread reads: registered with tokio
/// once, for writability only (connecting is waiting to be writable), where a tokio
/// `TcpStream` would be registered for both and then again. Thousands of clients
/// connecting at once otherwise leave the I/O thread's heap holey: each first registration
/// freed between the lasting ones.
#[cfg(unix)]
pub async fn connect_writable(
    host: &str,
    port: u16,
) -> Result<tokio::io::unix::AsyncFd<std::net::TcpStream>, Error> {
    let mut last = None;
    for addr in resolve(host, port).await? {
        match connect_one(addr).await {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(connect_error(addr, e)),
        }
    }
    Err(last.unwrap_or_else(|| Error::NotFound(host.to_string())))
}

#[cfg(unix)]
async fn connect_one(
    addr: SocketAddr,
) -> std::io::Result<tokio::io::unix::AsyncFd<std::net::TcpStream>> {
    use socket2::{Domain, Protocol, Socket, Type};
    use tokio::io::unix::AsyncFd;
    use tokio::io::Interest;

    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_nonblocking(true)?;
    let _ = socket.set_tcp_nodelay(true);
    match socket.connect(&addr.into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(e),
    }
    // SAFETY: the std stream owns the descriptor, open until the AsyncFd drops it.
    let fd = unsafe {
        AsyncFd::register_with_interest(std::net::TcpStream::from(socket), Interest::WRITABLE)
    }
    .map_err(|e| e.into_parts().1)?;
    // Connected, or failed (a failed connect reports writable with an error), once
    // writable: as tokio's own connect.
    drop(fd.writable().await?);
    if let Some(e) = fd.get_ref().take_error()? {
        return Err(e);
    }
    Ok(fd)
}

/// The addresses `host:port` resolves to; at least one.
async fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, Error> {
    let addrs: Vec<_> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| Error::NotFound(host.to_string()))?
        .collect();
    if addrs.is_empty() {
        return Err(Error::NotFound(host.to_string()));
    }
    Ok(addrs)
}

fn connect_error(addr: SocketAddr, source: std::io::Error) -> Error {
    Error::Io {
        context: format!("connect {addr}"),
        source,
    }
}
