//! Reading plain TCP (and TLS, with [`super::app_tls`]) on the application's thread.
//!
//! When a subscriber gets one small message per TCP segment (as brokers write them), the
//! I/O thread reading it and then waking the application's thread costs two thread
//! wake-ups per message; MQTT.js, reading on its own thread, pays one. So when the
//! application can watch a socket itself (Node's event loop, through a libuv poll handle:
//! `binding/poll.rs`), the driver hands it the plain TCP socket: the application reads,
//! decodes and handles packets on its own thread, under the same lock as every command,
//! and delivers the events at once. The socket is registered with tokio for writability
//! only, so incoming data does not wake the I/O thread at all.
//!
//! The I/O task keeps the clock: when a timer is due (keepalive, CONNACK timeout) it
//! first reads what waits in the socket itself, so an application thread busy for
//! seconds does not make a live connection time out.
//!
//! While data streams in faster than it comes one segment at a time, the other way wins:
//! the I/O thread decoding the next batch while the application handles this one uses
//! both cores. So ([`ReadThread::Adaptive`]) a read on the application's thread that
//! finds [`STREAMING`] bytes or more waiting hands reading to the I/O task, which then
//! waits for readability on a duplicate of the socket's descriptor; the I/O task hands it
//! back after [`QUIET_READS`] small reads in a row that found the application idle.

use std::io;
use std::net::Shutdown;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;

use bytes::BytesMut;
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::net::TcpStream;

use super::app_tls::{AppTls, TlsRead};
use super::io::{io_failure, AppSocket, Failure, ReadBuffer};
use super::shared::{AppRead, Inner, ReadThread, Shared};
use crate::codec::Decoder;

/// Most bytes one read on the application's thread takes before it lets the event loop
/// run other work (the poll handle fires again while more waits).
const READ_BUDGET: usize = 1 << 20;

/// Most bytes one read by the I/O task takes before the application hears of what they
/// held: small enough that it handles one batch while the next is decoded.
const IO_READ_BUDGET: usize = 64 * 1024;

/// A read that finds this much waiting means data streams: the I/O thread reads on.
const STREAMING: usize = 64 * 1024;

/// Reads by the I/O thread smaller than this, with the application idle, are quiet ones.
const QUIET_BYTES: usize = 4096;

/// After this many quiet reads in a row the application's thread reads again.
const QUIET_READS: u8 = 4;

/// What a read on the application's thread did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppReadOutcome {
    /// Nothing for the application yet.
    Idle,
    /// Events wait: the caller delivers them now (they were not announced).
    Events,
    /// The connection this read belongs to is over: stop watching its socket.
    Gone,
    /// (From the I/O task) the read stopped at its budget: more data may wait unread.
    More,
    /// (On the application's thread) data streams in: stop watching the socket, the I/O
    /// task reads it from now on. `events`: deliver the events this read made.
    Handoff { events: bool },
}

impl Shared {
    /// Says which thread reads plain TCP (the application's only once JS registered its
    /// poll handle); the next connection follows it.
    pub fn set_read_thread(&self, t: ReadThread) {
        self.lock().reader.thread = t;
    }

    /// Takes a fresh TCP connection for reading on the application's thread. Returns the
    /// socket for the writer, and the connection's id.
    pub(super) fn begin_app_read(
        &self,
        tcp: TcpStream,
        decoder: Decoder,
        tls: Option<Arc<AppTls>>,
    ) -> io::Result<(Arc<AppSocket>, u64)> {
        let std = tcp.into_std()?;
        // SAFETY: a std TcpStream owns its descriptor, open until the stream is dropped,
        // which only the AsyncFd can do from here on.
        let fd = unsafe { AsyncFd::register_with_interest(std, Interest::WRITABLE) }
            .map_err(|e| e.into_parts().1)?;
        let sock = Arc::new(fd);
        let mut g = self.lock();
        g.reader.app_id += 1;
        let id = g.reader.app_id;
        g.reader.app = Some(AppRead {
            sock: sock.clone(),
            tls,
            buf: ReadBuffer::default(),
            decoder,
            id,
            end: None,
            io: false,
            quiet: 0,
        });
        // The application learns of the socket when it drains: make it drain.
        if !g.events.signaled {
            g.events.signaled = true;
            drop(g);
            (self.notify)();
        }
        Ok((sock, id))
    }

    /// The connection over: the socket is closed for good (both ways, even while the
    /// application's poll handle still holds it open), and reads stop.
    pub(super) fn end_app_read(&self) {
        if let Some(r) = self.lock().reader.app.take() {
            let _ = r.sock.get_ref().shutdown(Shutdown::Both);
        }
    }

    /// How the connection read on the application's thread ended, once it has.
    pub(super) fn take_app_end(&self, id: u64) -> Option<Result<(), Failure>> {
        let mut g = self.lock();
        let r = g.reader.app.as_mut().filter(|r| r.id == id)?;
        r.end.take()
    }

    /// The socket the application should watch now, with the connection's id.
    pub fn app_socket(&self) -> Option<(u64, RawFd, Arc<AppSocket>)> {
        let g = self.lock();
        let r = g.reader.app.as_ref().filter(|r| r.end.is_none() && !r.io)?;
        Some((r.id, r.sock.as_raw_fd(), r.sock.clone()))
    }

    /// Who reads the current connection: `js` (the application), `io` (the I/O task,
    /// handed over while data streams in), `none` (no connection read by the application).
    pub fn current_reader(&self) -> &'static str {
        match self.lock().reader.app.as_ref() {
            Some(r) if r.end.is_none() => {
                if r.io {
                    "io"
                } else {
                    "js"
                }
            }
            _ => "none",
        }
    }

    /// The socket of connection `id` while the I/O task reads it (data streams in).
    pub(super) fn io_read_socket(&self, id: u64) -> Option<Arc<AppSocket>> {
        let g = self.lock();
        let r = g
            .reader
            .app
            .as_ref()
            .filter(|r| r.id == id && r.end.is_none() && r.io)?;
        Some(r.sock.clone())
    }

    /// Reads what waits on connection `id` without blocking, and handles its packets.
    /// On the application's thread (`app`), events are left for the caller to deliver
    /// ([`AppReadOutcome::Events`]); from the I/O task they are announced as usual.
    /// `to_end`: read until the socket says it is empty (or closed, or failed), even after
    /// a read that found less than it offered: the watcher reported an error on the socket
    /// (a reset that came right behind the last data) and will not report it again.
    pub fn read_app(&self, id: u64, app: bool, to_end: bool) -> AppReadOutcome {
        let mut g = self.lock();
        let Some(mut r) = g.reader.app.take() else {
            return AppReadOutcome::Gone;
        };
        if r.id != id || r.end.is_some() {
            g.reader.app = Some(r);
            return AppReadOutcome::Gone;
        }
        let idle = !g.events.signaled && g.events.list.is_empty();
        g.reader.in_app_read = app;
        let budget = if app { READ_BUDGET } else { IO_READ_BUDGET };
        let (end, more, total) = self.read_into(&mut g, &mut r, budget, to_end);
        self.flush(&mut g);
        g.reader.in_app_read = false;
        let ended = end.is_some();
        r.end = end;
        let handoff =
            app && !ended && g.reader.thread == ReadThread::Adaptive && total >= STREAMING;
        let mut hand_back = false;
        if handoff {
            r.io = true;
            r.quiet = 0;
        } else if !app && r.io {
            r.quiet = if idle && total < QUIET_BYTES {
                r.quiet + 1
            } else {
                0
            };
            hand_back = r.quiet >= QUIET_READS;
            if hand_back {
                // The application starts its poll handle again when it next drains.
                r.io = false;
                r.quiet = 0;
            }
        }
        g.reader.app = Some(r);
        let events = app && !g.events.list.is_empty();
        if events {
            g.events.signaled = true;
        }
        let drain = hand_back && !g.events.signaled;
        if drain {
            g.events.signaled = true;
        }
        // The packets read may bring the session's next deadline forward (a CONNACK
        // starts keepalive): the I/O task must re-arm its timer.
        let sooner = match (g.session.poll_timeout(), g.reader.app_timer) {
            (Some(d), Some(t)) => d < t,
            (Some(_), None) => true,
            _ => false,
        };
        drop(g);
        if ended || sooner || handoff {
            self.wake.notify_one();
        }
        if drain {
            (self.notify)();
        }
        if handoff {
            AppReadOutcome::Handoff { events }
        } else if events {
            AppReadOutcome::Events
        } else if more && !app {
            AppReadOutcome::More
        } else {
            AppReadOutcome::Idle
        }
    }

    /// Reads until the socket is empty or `budget` is spent. Returns how the connection
    /// ended, if it did, whether the budget ran out, and how many bytes were read.
    fn read_into(
        &self,
        g: &mut Inner,
        r: &mut AppRead,
        budget: usize,
        to_end: bool,
    ) -> (Option<Result<(), Failure>>, bool, usize) {
        let mut total = 0;
        loop {
            if total >= budget {
                return (None, true, total);
            }
            if let Some(tls) = &r.tls {
                match tls.read(&r.sock, &mut r.buf.buf) {
                    Ok(TlsRead {
                        raw,
                        plain,
                        closed,
                        unwritten,
                    }) => {
                        total += raw;
                        if unwritten {
                            self.writer.notify_one();
                        }
                        if plain > 0 {
                            if let Err(f) = self.take_packets(g, &mut r.buf.buf, &mut r.decoder) {
                                return (Some(Err(f)), false, total);
                            }
                        }
                        r.buf.done(plain, usize::MAX);
                        if closed {
                            return (Some(Ok(())), false, total);
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return (None, false, total),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return (Some(Err(io_failure(&e))), false, total),
                }
                continue;
            }
            let room = r.buf.prepare();
            match recv(r.sock.get_ref(), &mut r.buf.buf) {
                // The server closed its side cleanly: a close, not an error.
                Ok(0) => return (Some(Ok(())), false, total),
                Ok(n) => {
                    total += n;
                    if let Err(f) = self.take_packets(g, &mut r.buf.buf, &mut r.decoder) {
                        return (Some(Err(f)), false, total);
                    }
                    r.buf.done(n, room);
                    if n < room && !to_end {
                        // The socket had less than we offered: it is empty now, and the
                        // syscall that would say so is saved. (A reset or FIN right behind
                        // the data is still there: the watcher reports it next.)
                        return (None, false, total);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return (None, false, total),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return (Some(Err(io_failure(&e))), false, total),
            }
        }
    }
}

/// The socket under a second descriptor, registered with tokio for readability: what the
/// I/O task waits on while it reads the connection.
pub(super) fn watch_readable(sock: &AppSocket) -> io::Result<AppSocket> {
    let dup = sock.get_ref().try_clone()?;
    // SAFETY: the clone owns its own descriptor, open until the AsyncFd drops it.
    unsafe { AsyncFd::register_with_interest(dup, Interest::READABLE) }
        .map_err(|e| e.into_parts().1)
}

/// Reads what the socket has into the free room of `buf`, without blocking.
fn recv(sock: &std::net::TcpStream, buf: &mut BytesMut) -> io::Result<usize> {
    let n = socket2::SockRef::from(sock).recv(buf.spare_capacity_mut())?;
    // SAFETY: recv initialized the first `n` bytes of the spare capacity it was given.
    unsafe { buf.set_len(buf.len() + n) };
    Ok(n)
}
