//! TLS read on the application's thread, as plain TCP is ([`super::app_read`]).
//!
//! After the handshake (tokio-rustls, on the I/O thread) the rustls connection state moves
//! behind a mutex of its own, next to the socket: a read takes the socket's bytes into it
//! and the plaintext out of it on whichever thread reads (the application's, or the I/O
//! task's while data streams in); a write encrypts into it and writes its records to the
//! socket without blocking, from the thread that queued the bytes or from the writer task,
//! which also takes what the socket did not. One lock orders both directions: records leave
//! in the order they were sealed whichever thread writes them.
//!
//! Lock order: the client's state ([`super::shared::Shared`]) before this one, never the
//! other way; the writer task takes this one alone.

use std::io::{self, Read, Write};
use std::sync::{Mutex, MutexGuard};

use bytes::BytesMut;
use tokio_rustls::rustls::ClientConnection;

use super::io::AppSocket;

/// A TLS connection's state, shared by its reader and its writers.
pub struct AppTls {
    conn: Mutex<ClientConnection>,
}

/// What one read did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsRead {
    /// Bytes taken from the socket (TLS records, whole or partial).
    pub raw: usize,
    /// Bytes of plaintext appended to the buffer.
    pub plain: usize,
    /// The server closed: TCP end of stream, or a `close_notify` alert.
    pub closed: bool,
    /// Records wait for the writer task (the socket was full).
    pub unwritten: bool,
}

impl AppTls {
    /// Takes over a connection whose handshake is done.
    pub fn new(conn: ClientConnection) -> Self {
        AppTls {
            conn: Mutex::new(conn),
        }
    }

    fn lock(&self) -> MutexGuard<'_, ClientConnection> {
        // A panic while holding it leaves rustls's last consistent state: keep going.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads what the socket has (one read), decrypts it, and appends the plaintext to
    /// `buf`. `WouldBlock` when the socket had nothing.
    pub fn read(&self, sock: &AppSocket, buf: &mut BytesMut) -> io::Result<TlsRead> {
        let mut c = self.lock();
        let raw = c.read_tls(&mut sock.get_ref())?;
        let state = c
            .process_new_packets()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        let mut plain = 0;
        let mut want = state.plaintext_bytes_to_read();
        let closed = raw == 0 || state.peer_has_closed();
        while want > 0 {
            let at = buf.len();
            buf.resize(at + want, 0);
            let n = match c.reader().read(&mut buf[at..]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => 0,
                Err(e) => {
                    buf.truncate(at);
                    return Err(e);
                }
            };
            buf.truncate(at + n);
            if n == 0 {
                break;
            }
            plain += n;
            want -= n.min(want);
        }
        // Alerts or a key update answered: out with them now, else by the writer task
        // (which also finds a broken socket's error).
        if c.wants_write() {
            let _ = write_records(&mut c, sock);
        }
        Ok(TlsRead {
            raw,
            plain,
            closed,
            unwritten: c.wants_write(),
        })
    }

    /// Encrypts what it can of `buf` (rustls buffers up to 64 KiB of records) and writes
    /// the records the socket takes, without blocking. Returns the plaintext bytes taken.
    /// Errors (the socket broke) are left for the writer task to find and report.
    pub fn try_write(&self, sock: &AppSocket, buf: &[u8]) -> usize {
        let mut c = self.lock();
        let n = c.writer().write(buf).unwrap_or(0);
        let _ = write_records(&mut c, sock);
        n
    }

    /// Records are sealed but not written yet (the socket was full).
    pub fn pending(&self) -> bool {
        self.lock().wants_write()
    }

    /// Writes all of `buf`, waiting for the socket as needed.
    pub async fn write_all(&self, sock: &AppSocket, buf: &[u8]) -> io::Result<()> {
        let mut off = 0;
        loop {
            if off < buf.len() {
                off += self.lock().writer().write(&buf[off..])?;
            }
            self.flush(sock).await?;
            if off >= buf.len() {
                return Ok(());
            }
        }
    }

    /// Writes every sealed record, waiting for the socket as needed.
    pub async fn flush(&self, sock: &AppSocket) -> io::Result<()> {
        while self.pending() {
            let mut guard = sock.writable().await?;
            match guard.try_io(|s| write_records(&mut self.lock(), s)) {
                Ok(r) => r?,
                Err(_would_block) => continue,
            }
        }
        Ok(())
    }

    /// Ends the TLS session (`close_notify`, written if the socket takes it) and the
    /// socket's write side.
    pub fn close(&self, sock: &AppSocket) {
        let mut c = self.lock();
        c.send_close_notify();
        let _ = write_records(&mut c, sock);
        let _ = sock.get_ref().shutdown(std::net::Shutdown::Write);
    }
}

/// Writes sealed records until none is left or the socket is full (`WouldBlock`).
fn write_records(c: &mut ClientConnection, sock: &AppSocket) -> io::Result<()> {
    let mut w: &std::net::TcpStream = sock.get_ref();
    while c.wants_write() {
        if c.write_tls(&mut w)? == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
    }
    w.flush()
}
