//! A TCP connection opened on the caller's thread, blocking it until connected or until a
//! deadline: for APIs whose contract is a synchronous connect (JSRE's `mqtt.open(saddr,
//! tlsOpt, timeout)`). The stream is handed over as a non-blocking socket for Node to adopt.

use std::io;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Resolves `host` (blocking, as getaddrinfo does) and connects to its addresses in turn,
/// all within `timeout`. The stream returned is non-blocking, with Nagle off. A name that
/// does not resolve is `NotFound`; a deadline passed is `TimedOut`.
pub fn connect(host: &str, port: u16, timeout: Duration) -> io::Result<TcpStream> {
    let deadline = Instant::now() + timeout;
    let not_found = || {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("getaddrinfo ENOTFOUND {host}"),
        )
    };
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|_| not_found())?
        .collect();
    if addrs.is_empty() {
        return Err(not_found());
    }
    let mut last = None;
    for addr in addrs {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match TcpStream::connect_timeout(&addr, left) {
            Ok(s) => {
                s.set_nodelay(true)?;
                s.set_nonblocking(true)?;
                return Ok(s);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::TimedOut,
            format!("connect ETIMEDOUT {host}:{port}"),
        )
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    #[test]
    fn connects_and_hands_over_a_non_blocking_stream() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let mut s = connect("127.0.0.1", port, Duration::from_secs(5)).unwrap();
        let (mut peer, _) = l.accept().unwrap();
        peer.write_all(b"hi").unwrap();
        // Non-blocking: reading before the bytes arrive would say WouldBlock, never wait.
        let mut buf = [0u8; 2];
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match s.read(&mut buf) {
                Ok(2) => break,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    assert!(Instant::now() < deadline, "no bytes within 5 s");
                    std::thread::sleep(Duration::from_millis(5));
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(&buf, b"hi");
        assert!(s.nodelay().unwrap());
    }

    #[test]
    fn a_refused_port_fails_at_once() {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let t = Instant::now();
        let e = connect("127.0.0.1", port, Duration::from_secs(5)).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused);
        assert!(t.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_full_backlog_times_out_at_the_deadline() {
        // A listener that never accepts, with its backlog filled, leaves further connects
        // pending (on Linux the SYN is dropped), which is what an unreachable host does.
        let l = socket2_listener_with_backlog_one();
        let port = l.local_addr().unwrap().port();
        let mut held = Vec::new();
        let t = Instant::now();
        let mut timed_out = false;
        for _ in 0..8 {
            match connect("127.0.0.1", port, Duration::from_millis(300)) {
                Ok(s) => held.push(s),
                Err(e) => {
                    assert_eq!(e.kind(), io::ErrorKind::TimedOut, "{e}");
                    timed_out = true;
                    break;
                }
            }
        }
        assert!(timed_out, "every connect succeeded");
        assert!(t.elapsed() < Duration::from_secs(5));
    }

    fn socket2_listener_with_backlog_one() -> TcpListener {
        // std's bind uses a backlog of 128; listen(2) again with 0 lowers it.
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        #[cfg(unix)]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: listen on a socket this function owns, with a plain integer backlog.
            let rc = unsafe { libc::listen(l.as_raw_fd(), 0) };
            assert_eq!(rc, 0);
        }
        l
    }
}
