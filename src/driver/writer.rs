//! The write half of a connection.
//!
//! A plain TCP socket's write half is shared (`Arc`): besides the writer task, the thread
//! that queued the bytes may write them itself with a non-blocking `try_write` when the
//! writer task is idle. That saves a thread wake-up per flush, most of a round trip's cost
//! on a small machine. TLS read on the application's thread is written the same way, its
//! records sealed under the TLS state's lock. Other transports (TLS read by the I/O task,
//! WebSocket) keep their bytes in a stream state that only the writer task drives.

use std::io::{self, Write};
use std::sync::Arc;

use tokio::io::{AsyncWriteExt, WriteHalf};
use tokio::net::tcp::OwnedWriteHalf;

#[cfg(unix)]
use super::app_tls::AppTls;
#[cfg(unix)]
use super::io::AppSocket;
use crate::transport::Stream;

/// A TCP socket that other threads may write to while the writer task is idle.
#[derive(Clone)]
pub enum Direct {
    /// Read by the I/O task (tokio's split halves).
    Half(Arc<OwnedWriteHalf>),
    /// Read on the application's thread ([`super::app_read`]).
    #[cfg(unix)]
    App(Arc<AppSocket>),
    /// TLS read on the application's thread ([`super::app_tls`]): plaintext is sealed
    /// into the TLS state, and its records written to the socket.
    #[cfg(unix)]
    AppTls(Arc<AppSocket>, Arc<AppTls>),
}

/// The writer task's half of the connection.
pub enum Writer {
    /// Plain TCP: shared with the application's thread.
    Direct(Direct),
    /// Any other stream.
    Stream(WriteHalf<Stream>),
}

impl Writer {
    /// Writes all of `buf`.
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        let mut off = 0;
        while off < buf.len() {
            let n = match self {
                // Flushed each time: TLS and WebSocket streams may hold bytes until then.
                Writer::Stream(w) => {
                    w.write_all(buf).await?;
                    return w.flush().await;
                }
                #[cfg(unix)]
                Writer::Direct(Direct::AppTls(s, t)) => return t.write_all(s, buf).await,
                Writer::Direct(Direct::Half(w)) => {
                    w.writable().await?;
                    match w.try_write(&buf[off..]) {
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                        r => r?,
                    }
                }
                #[cfg(unix)]
                Writer::Direct(Direct::App(s)) => {
                    let mut guard = s.writable().await?;
                    match guard.try_io(|s| s.get_ref().write(&buf[off..])) {
                        Ok(r) => r?,
                        Err(_would_block) => continue,
                    }
                }
            };
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            off += n;
        }
        Ok(())
    }

    /// An earlier non-blocking write left records sealed but unwritten (TLS).
    pub fn has_pending(&self) -> bool {
        matches!(self, Writer::Direct(d) if unwritten(d))
    }

    /// Writes what an earlier non-blocking write left sealed but unwritten (TLS).
    pub async fn flush_pending(&mut self) -> io::Result<()> {
        match self {
            #[cfg(unix)]
            Writer::Direct(Direct::AppTls(s, t)) => t.flush(s).await,
            _ => Ok(()),
        }
    }

    /// Closes the write side once everything is out. For `Direct`, the caller has taken
    /// back the other thread's handle first, so this one is the last writer.
    pub async fn shutdown(self) {
        match self {
            Writer::Stream(mut w) => {
                let _ = w.shutdown().await;
            }
            Writer::Direct(Direct::Half(w)) => {
                if let Ok(mut w) = Arc::try_unwrap(w) {
                    let _ = w.shutdown().await;
                }
                // Otherwise the last handle to go shuts the write side down on drop.
            }
            #[cfg(unix)]
            Writer::Direct(Direct::App(s)) => {
                let _ = s.get_ref().shutdown(std::net::Shutdown::Write);
            }
            #[cfg(unix)]
            Writer::Direct(Direct::AppTls(s, t)) => {
                let _ = t.flush(&s).await;
                t.close(&s);
            }
        }
    }
}

/// Tries to write `buf` without blocking; the bytes it took. Errors (the socket broke) are
/// left for the writer task to find and report.
pub fn try_write(w: &Direct, buf: &[u8]) -> usize {
    match w {
        Direct::Half(h) => h.try_write(buf).unwrap_or(0),
        #[cfg(unix)]
        Direct::App(s) => s.get_ref().write(buf).unwrap_or(0),
        #[cfg(unix)]
        Direct::AppTls(s, t) => t.try_write(s, buf),
    }
}

/// Bytes taken by [`try_write`] wait for the writer task (TLS records the socket did not
/// take).
pub fn unwritten(w: &Direct) -> bool {
    match w {
        #[cfg(unix)]
        Direct::AppTls(_, t) => t.pending(),
        _ => false,
    }
}
