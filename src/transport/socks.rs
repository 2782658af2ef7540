//! SOCKS proxies (MQTT.js `socksProxy`): a TCP connection to the proxy, which is asked to
//! connect on to the broker (SOCKS 4 [the 1992 protocol note], 4a, and 5 [RFC 1928] with
//! no authentication or a user name and password [RFC 1929]). After the handshake the
//! stream is the broker's, plain TCP as any other.
//!
//! `socks4` and `socks5` resolve the broker's name here, `socks4a` and `socks5h` let the
//! proxy resolve it. Failures read as the `socks` package's, which MQTT.js uses, with
//! the code `SOCKS`.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::Error;

/// Where and how to reach the proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    /// The proxy's host.
    pub host: String,
    /// The proxy's port.
    pub port: u16,
    /// 4 or 5.
    pub version: u8,
    /// The proxy resolves the broker's name (`socks4a`, `socks5h`).
    pub remote_dns: bool,
    /// SOCKS 5 user name and password; SOCKS 4 sends the user name as its user id.
    pub auth: Option<(String, String)>,
    /// Time allowed to reach the proxy and finish the handshake.
    pub timeout: Duration,
}

/// The broker as the proxy is told of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An address resolved here.
    Ip(IpAddr),
    /// A name for the proxy to resolve.
    Name(String),
}

fn fail(message: impl Into<String>) -> Error {
    Error::Socks(message.into())
}

/// Reads exactly `buf.len()` bytes; an early end is the `socks` package's "Socket closed".
async fn read_exact<S: AsyncRead + Unpin>(s: &mut S, buf: &mut [u8]) -> Result<(), Error> {
    match s.read_exact(buf).await {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Err(fail("Socket closed")),
        Err(e) => Err(fail(e.to_string())),
    }
}

async fn write_all<S: AsyncWrite + Unpin>(s: &mut S, buf: &[u8]) -> Result<(), Error> {
    match s.write_all(buf).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(fail("Socket closed")),
        Err(e) => Err(fail(e.to_string())),
    }
}

const SOCKS4_GRANTED: u8 = 0x5a;

fn socks4_reply(code: u8) -> &'static str {
    match code {
        0x5b => "Failed",
        0x5c => "Rejected",
        0x5d => "RejectedIdent",
        _ => "Unknown",
    }
}

fn socks5_reply(code: u8) -> &'static str {
    match code {
        1 => "Failure",
        2 => "NotAllowed",
        3 => "NetworkUnreachable",
        4 => "HostUnreachable",
        5 => "ConnectionRefused",
        6 => "TTLExpired",
        7 => "CommandNotSupported",
        8 => "AddressNotSupported",
        _ => "Unknown",
    }
}

/// Asks the proxy on `s` to connect to `target:port`; on success `s` carries the broker's
/// bytes from here on.
pub async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    proxy: &Proxy,
    target: &Target,
    port: u16,
) -> Result<(), Error> {
    if proxy.version == 4 {
        socks4(s, proxy, target, port).await
    } else {
        socks5(s, proxy, target, port).await
    }
}

async fn socks4<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    proxy: &Proxy,
    target: &Target,
    port: u16,
) -> Result<(), Error> {
    let user = proxy.auth.as_ref().map_or("", |(u, _)| u.as_str());
    let mut req = vec![4, 1];
    req.extend_from_slice(&port.to_be_bytes());
    match target {
        Target::Ip(IpAddr::V4(ip)) => req.extend_from_slice(&ip.octets()),
        // SOCKS 4a: an invalid address 0.0.0.x, the name after the user id.
        Target::Name(_) => req.extend_from_slice(&[0, 0, 0, 1]),
        Target::Ip(IpAddr::V6(_)) => return Err(fail("An invalid destination host was provided.")),
    }
    req.extend_from_slice(user.as_bytes());
    req.push(0);
    if let Target::Name(name) = target {
        req.extend_from_slice(name.as_bytes());
        req.push(0);
    }
    write_all(s, &req).await?;
    let mut reply = [0u8; 8];
    read_exact(s, &mut reply).await?;
    if reply[0] != 0 {
        return Err(fail("Received invalid Socks4 handshake response"));
    }
    if reply[1] != SOCKS4_GRANTED {
        return Err(fail(format!(
            "Socks4 Proxy rejected connection - ({})",
            socks4_reply(reply[1])
        )));
    }
    Ok(())
}

async fn socks5<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    proxy: &Proxy,
    target: &Target,
    port: u16,
) -> Result<(), Error> {
    // Greeting: no authentication, and user/password when we have them.
    let greeting: &[u8] = if proxy.auth.is_some() {
        &[5, 2, 0, 2]
    } else {
        &[5, 1, 0]
    };
    write_all(s, greeting).await?;
    let mut choice = [0u8; 2];
    read_exact(s, &mut choice).await?;
    if choice[0] != 5 {
        return Err(fail(
            "Received invalid Socks5 initial handshake (invalid socks version)",
        ));
    }
    match (choice[1], &proxy.auth) {
        (0, _) => {}
        (2, Some((user, pass))) => {
            let (u, p) = (user.as_bytes(), pass.as_bytes());
            if u.len() > 255 || p.len() > 255 {
                return Err(fail("Invalid SOCKS proxy details were provided."));
            }
            let mut req = vec![1, u.len() as u8];
            req.extend_from_slice(u);
            req.push(p.len() as u8);
            req.extend_from_slice(p);
            write_all(s, &req).await?;
            let mut status = [0u8; 2];
            read_exact(s, &mut status).await?;
            if status[1] != 0 {
                return Err(fail("Socks5 Authentication failed"));
            }
        }
        (0xff, _) => {
            return Err(fail(
                "Received invalid Socks5 initial handshake (no accepted authentication type)",
            ))
        }
        _ => {
            return Err(fail(
                "Received invalid Socks5 initial handshake (unknown authentication type)",
            ))
        }
    }
    let mut req = vec![5, 1, 0];
    match target {
        Target::Ip(IpAddr::V4(ip)) => {
            req.push(1);
            req.extend_from_slice(&ip.octets());
        }
        Target::Ip(IpAddr::V6(ip)) => {
            req.push(4);
            req.extend_from_slice(&ip.octets());
        }
        Target::Name(name) => {
            if name.len() > 255 {
                return Err(fail("An invalid destination host was provided."));
            }
            req.push(3);
            req.push(name.len() as u8);
            req.extend_from_slice(name.as_bytes());
        }
    }
    req.extend_from_slice(&port.to_be_bytes());
    write_all(s, &req).await?;
    let mut head = [0u8; 4];
    read_exact(s, &mut head).await?;
    if head[0] != 5 || head[1] != 0 {
        return Err(fail(format!(
            "Socks5 proxy rejected connection - {}",
            socks5_reply(head[1])
        )));
    }
    // The address the proxy bound, then its port: read and dropped.
    let rest = match head[3] {
        1 => 4 + 2,
        4 => 16 + 2,
        3 => {
            let mut len = [0u8; 1];
            read_exact(s, &mut len).await?;
            len[0] as usize + 2
        }
        _ => return Err(fail("Received invalid Socks5 final handshake response")),
    };
    let mut skip = vec![0u8; rest];
    read_exact(s, &mut skip).await
}

/// The broker's address for the proxy: resolved here (`socks4`: IPv4 only), or its name.
async fn target(proxy: &Proxy, host: &str, port: u16) -> Result<Target, Error> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(Target::Ip(ip));
    }
    if proxy.remote_dns {
        return Ok(Target::Name(host.to_string()));
    }
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| Error::NotFound(host.to_string()))?
        .collect();
    addrs
        .iter()
        .find(|a| proxy.version != 4 || a.is_ipv4())
        .map(|a| Target::Ip(a.ip()))
        .ok_or_else(|| Error::NotFound(host.to_string()))
}

/// Connects to `host:port` through the proxy. Reaching the proxy and the handshake must
/// finish within its timeout ("Proxy connection timed out").
pub async fn connect(proxy: &Proxy, host: &str, port: u16) -> Result<TcpStream, Error> {
    let target = target(proxy, host, port).await?;
    let open = async {
        let mut tcp = super::tcp::connect(&proxy.host, proxy.port)
            .await
            .map_err(|e| fail(e.to_string()))?;
        handshake(&mut tcp, proxy, &target, port).await?;
        Ok(tcp)
    };
    tokio::time::timeout(proxy.timeout, open)
        .await
        .unwrap_or_else(|_| Err(fail("Proxy connection timed out")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::duplex;

    fn proxy(version: u8, auth: Option<(&str, &str)>) -> Proxy {
        Proxy {
            host: "proxy".into(),
            port: 1080,
            version,
            remote_dns: false,
            auth: auth.map(|(u, p)| (u.into(), p.into())),
            timeout: Duration::from_secs(5),
        }
    }

    /// Runs the handshake against a proxy that has its answers (`reply`) written in advance,
    /// and returns what the client sent it.
    async fn run(p: Proxy, target: Target, reply: Vec<u8>) -> (Result<(), Error>, Vec<u8>) {
        let (mut client, mut server) = duplex(1024);
        let peer = tokio::spawn(async move {
            server.write_all(&reply).await.unwrap();
            let mut got = Vec::new();
            server.read_to_end(&mut got).await.unwrap();
            got
        });
        let r = handshake(&mut client, &p, &target, 1883).await;
        drop(client);
        (r, peer.await.unwrap())
    }

    #[tokio::test]
    async fn socks4_should_send_the_ipv4_address_and_accept_a_grant() {
        let ip = Target::Ip("10.1.2.3".parse().unwrap());
        let want = vec![4, 1, 0x07, 0x5b, 10, 1, 2, 3, 0];
        let (r, got) = run(proxy(4, None), ip, vec![0, 0x5a, 0, 0, 0, 0, 0, 0]).await;
        assert!(r.is_ok(), "{r:?}");
        assert_eq!(got, want);
    }

    #[tokio::test]
    async fn socks4a_should_send_the_name_after_the_user_id() {
        let name = Target::Name("broker".into());
        let mut want = vec![4, 1, 0x07, 0x5b, 0, 0, 0, 1, b'u', 0];
        want.extend_from_slice(b"broker\0");
        let (r, got) = run(
            proxy(4, Some(("u", "p"))),
            name,
            vec![0, 0x5a, 0, 0, 0, 0, 0, 0],
        )
        .await;
        assert!(r.is_ok(), "{r:?}");
        assert_eq!(got, want);
    }

    #[tokio::test]
    async fn socks4_refusal_should_read_as_the_socks_package_words() {
        let ip = Target::Ip("10.1.2.3".parse().unwrap());
        let (r, _) = run(proxy(4, None), ip, vec![0, 0x5b, 0, 0, 0, 0, 0, 0]).await;
        let e = r.unwrap_err();
        assert_eq!(e.code(), "SOCKS");
        assert_eq!(e.to_string(), "Socks4 Proxy rejected connection - (Failed)");
    }

    #[tokio::test]
    async fn socks5_should_connect_by_name_and_skip_the_bound_address() {
        let name = Target::Name("broker".into());
        let mut want = vec![5, 1, 0, 5, 1, 0, 3, 6];
        want.extend_from_slice(b"broker");
        want.extend_from_slice(&[0x07, 0x5b]);
        let reply = vec![5, 0, 5, 0, 0, 1, 127, 0, 0, 1, 0x04, 0x38];
        let (r, got) = run(proxy(5, None), name, reply).await;
        assert!(r.is_ok(), "{r:?}");
        assert_eq!(got, want);
    }

    #[tokio::test]
    async fn socks5_should_authenticate_with_user_and_password() {
        let ip = Target::Ip("::1".parse().unwrap());
        let mut want = vec![5, 2, 0, 2, 1, 1, b'u', 2, b'p', b'w', 5, 1, 0, 4];
        want.extend_from_slice(&[0; 15]);
        want.extend_from_slice(&[1, 0x07, 0x5b]);
        let reply = vec![5, 2, 1, 0, 5, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        let (r, got) = run(proxy(5, Some(("u", "pw"))), ip, reply).await;
        assert!(r.is_ok(), "{r:?}");
        assert_eq!(got, want);
    }

    #[tokio::test]
    async fn socks5_failures_should_read_as_the_socks_package_words() {
        let ip = Target::Ip("10.0.0.1".parse().unwrap());
        type Case = (Option<(&'static str, &'static str)>, Vec<u8>, &'static str);
        let cases: [Case; 4] = [
            (
                None,
                vec![5, 0, 5, 5, 0, 1],
                "Socks5 proxy rejected connection - ConnectionRefused",
            ),
            (
                None,
                vec![5, 0xff],
                "Received invalid Socks5 initial handshake (no accepted authentication type)",
            ),
            (
                None,
                vec![4, 0],
                "Received invalid Socks5 initial handshake (invalid socks version)",
            ),
            (
                Some(("u", "p")),
                vec![5, 2, 1, 1],
                "Socks5 Authentication failed",
            ),
        ];
        for (auth, reply, message) in cases {
            let (r, _) = run(proxy(5, auth), ip.clone(), reply).await;
            assert_eq!(r.unwrap_err().to_string(), message);
        }
    }

    #[tokio::test]
    async fn a_proxy_that_hangs_up_should_be_socket_closed() {
        let (mut client, server) = duplex(64);
        drop(server);
        let ip = Target::Ip("10.0.0.1".parse().unwrap());
        let e = handshake(&mut client, &proxy(5, None), &ip, 1883)
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "Socket closed");
    }
}
