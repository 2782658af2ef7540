//! The write half of a connection.
//!
//! A plain TCP socket's write half is shared (`Arc`): besides the writer task, the thread
//! that queued the bytes may write them itself with a non-blocking `try_write` when the
//! writer task is idle. That saves a thread wake-up per flush, most of a round trip's cost
//! on a small machine. Other transports (TLS, WebSocket) keep their bytes in a stream
//! state that only the writer task drives.

use std::io;
use std::sync::Arc;

use tokio::io::{AsyncWriteExt, WriteHalf};
use tokio::net::tcp::OwnedWriteHalf;

use crate::transport::Stream;

/// A TCP write half that other threads may write to while the writer task is idle.
pub type Direct = Arc<OwnedWriteHalf>;

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
        match self {
            // Flushed each time: TLS and WebSocket streams may hold bytes until then.
            Writer::Stream(w) => {
                w.write_all(buf).await?;
                w.flush().await
            }
            Writer::Direct(w) => {
                let mut off = 0;
                while off < buf.len() {
                    w.writable().await?;
                    match w.try_write(&buf[off..]) {
                        Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                        Ok(n) => off += n,
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(())
            }
        }
    }

    /// Closes the write side once everything is out. For `Direct`, the caller has taken
    /// back the other thread's handle first, so this one is the last.
    pub async fn shutdown(self) {
        match self {
            Writer::Stream(mut w) => {
                let _ = w.shutdown().await;
            }
            Writer::Direct(w) => {
                if let Ok(mut w) = Arc::try_unwrap(w) {
                    let _ = w.shutdown().await;
                }
                // Otherwise the last handle to go shuts the write side down on drop.
            }
        }
    }
}

/// Tries to write `buf` without blocking; the bytes it took. Errors (the socket broke) are
/// left for the writer task to find and report.
pub fn try_write(w: &Direct, buf: &[u8]) -> usize {
    w.try_write(buf).unwrap_or(0)
}
