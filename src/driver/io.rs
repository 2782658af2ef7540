//! What every file of the driver shares, at the bottom of it: how a connection's failure is
//! told to the application, and the socket type read on the application's thread.

use std::future::Future;
use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{ready, Poll};

#[cfg(unix)]
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};

use crate::codec::DecodeError;
use crate::session::SessionError;
use crate::transport;

/// Why a connection failed, as the application reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Node-style code: `ECONNREFUSED`, `ERR_MQTT_PROTOCOL`, `ERR_KEEPALIVE_TIMEOUT`...
    pub code: &'static str,
    /// The MQTT reason code MQTT.js reports this failure with (`ErrorWithReasonCode`), if any.
    pub reason: Option<u8>,
    /// For a person; MQTT.js's words where MQTT.js reports the same failure.
    pub message: String,
}

impl Failure {
    /// A failure without a reason code.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Failure {
            code,
            reason: None,
            message: message.into(),
        }
    }
}

impl From<(&'static str, String)> for Failure {
    fn from((code, message): (&'static str, String)) -> Self {
        Failure::new(code, message)
    }
}

impl From<SessionError> for Failure {
    fn from(e: SessionError) -> Self {
        Failure {
            code: e.code(),
            reason: e.reported_reason(),
            message: e.to_string(),
        }
    }
}

impl From<DecodeError> for Failure {
    fn from(e: DecodeError) -> Self {
        match e {
            // MQTT.js 5.16's words and code for a packet over our maximumPacketSize.
            DecodeError::PacketTooLarge { cmd, size, max } => Failure {
                code: "ERR_MQTT_PACKET_TOO_LARGE",
                reason: Some(crate::codec::PACKET_TOO_LARGE),
                message: format!(
                    "exceeding packets size {cmd}: {size} bytes, maximumPacketSize is {max}"
                ),
            },
            other => Failure::new(
                crate::error::Error::from(other.clone()).code(),
                other.to_string(),
            ),
        }
    }
}

impl From<transport::Error> for Failure {
    fn from(e: transport::Error) -> Self {
        Failure::new(e.code(), e.to_string())
    }
}

/// The driver's clock: tokio's, so that a test that pauses tokio's time (tests/driver.rs)
/// drives the session's deadlines too; the real clock otherwise.
pub(crate) fn now() -> std::time::Instant {
    tokio::time::Instant::now().into_std()
}

/// The failure for a socket's I/O error.
pub(crate) fn io_failure(e: &std::io::Error) -> Failure {
    if let Some((code, message)) = transport::tls::alert_in(e) {
        return Failure::new(code, message);
    }
    let t = transport::Error::Io {
        context: "socket".into(),
        source: std::io::Error::new(e.kind(), e.to_string()),
    };
    Failure::new(t.code(), e.to_string())
}

/// A TCP socket read on the application's thread; tokio only waits for it to be writable.
#[cfg(unix)]
pub type AppSocket = AsyncFd<std::net::TcpStream>;

/// A connection's read buffer, sized by what arrives: nothing held between the reads of an
/// idle connection (thousands of them cost no buffer each), a small buffer for a small read,
/// doubling while reads fill what they were offered (data streams in) up to [`Self::MAX`],
/// and back to small once the data stops.
#[derive(Debug, Default)]
pub struct ReadBuffer {
    /// The bytes read and not yet taken as packets.
    pub buf: bytes::BytesMut,
    /// How much room the next read gets.
    want: usize,
}

impl ReadBuffer {
    /// The room a read gets at least, once data comes.
    pub const MIN: usize = 2 * 1024;
    /// The room a read gets at most, while data streams in.
    pub const MAX: usize = 64 * 1024;
    /// The room of a read that waits while the buffer is let go (an idle connection): on
    /// the stack, what came copied over, so that waiting holds no buffer.
    pub const PROBE: usize = 512;

    /// Whether the next read waits holding no buffer: nothing kept, data not streaming.
    pub fn idle(&self) -> bool {
        self.buf.capacity() == 0 && self.want <= Self::MIN
    }

    /// Waits for and reads what `rd` has: into the buffer's free room ([`Self::prepare`]),
    /// or, idle, into the stack ([`Self::PROBE`]). Returns the bytes read and the room
    /// offered, for [`Self::done`].
    pub async fn read_from<R: AsyncRead + Unpin>(
        &mut self,
        rd: &mut R,
    ) -> io::Result<(usize, usize)> {
        if self.idle() {
            Ok((probe(rd, &mut self.buf).await?, Self::PROBE))
        } else {
            let room = self.prepare();
            Ok((rd.read_buf(&mut self.buf).await?, room))
        }
    }

    /// Room for the next read; returns how much there is.
    pub fn prepare(&mut self) -> usize {
        let want = self.want.max(Self::MIN);
        if self.buf.capacity() - self.buf.len() < want {
            self.buf.reserve(want);
        }
        self.buf.capacity() - self.buf.len()
    }

    /// After a read of `n` bytes into `room`, once its packets were taken: a read that
    /// filled its room doubles the next one; a small one lets the buffer go when nothing of
    /// a packet is left in it (the packets taken keep their part of it alive).
    pub fn done(&mut self, n: usize, room: usize) {
        if n >= room {
            self.want = (self.want.max(Self::MIN) * 2).min(Self::MAX);
        } else if n < Self::MIN {
            self.want = Self::MIN;
            if self.buf.is_empty() {
                self.buf = bytes::BytesMut::new();
            }
        }
    }
}

/// One read of at most [`ReadBuffer::PROBE`] bytes into the stack, appended to `buf`.
fn probe<'a, R: AsyncRead + Unpin>(
    rd: &'a mut R,
    buf: &'a mut bytes::BytesMut,
) -> impl Future<Output = io::Result<usize>> + 'a {
    std::future::poll_fn(move |cx| {
        let mut stack = [MaybeUninit::<u8>::uninit(); ReadBuffer::PROBE];
        let mut room = ReadBuf::uninit(&mut stack);
        ready!(Pin::new(&mut *rd).poll_read(cx, &mut room))?;
        buf.extend_from_slice(room.filled());
        Poll::Ready(Ok(room.filled().len()))
    })
}

#[cfg(test)]
mod read_buffer_tests {
    use super::ReadBuffer;
    use bytes::BufMut;

    /// A read of up to `n` bytes, then `keep` bytes left as a partial packet (the rest
    /// taken); returns the room the read had.
    fn read(b: &mut ReadBuffer, n: usize, keep: usize) -> usize {
        let room = b.prepare();
        let n = n.min(room);
        b.buf.put_bytes(0, n);
        let taken = b.buf.len() - keep.min(b.buf.len());
        let _packets = b.buf.split_to(taken).freeze();
        b.done(n, room);
        room
    }

    #[test]
    fn idle_connections_hold_no_buffer() {
        let mut b = ReadBuffer::default();
        assert_eq!(b.buf.capacity(), 0);
        let room = read(&mut b, 4, 0); // a CONNACK
        assert!(
            (ReadBuffer::MIN..2 * ReadBuffer::MIN).contains(&room),
            "{room}"
        );
        assert_eq!(b.buf.capacity(), 0, "nothing held until the next read");
        read(&mut b, 2, 0); // a PINGRESP
        assert_eq!(b.buf.capacity(), 0);
    }

    /// A reader that gives `data` in pieces as large as the room it is offered, and
    /// records each room.
    struct Offered {
        data: Vec<u8>,
        rooms: Vec<usize>,
    }

    impl tokio::io::AsyncRead for Offered {
        fn poll_read(
            mut self: std::pin::Pin<&mut Self>,
            _cx: &mut std::task::Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            self.rooms.push(buf.remaining());
            let n = buf.remaining().min(self.data.len());
            let head: Vec<u8> = self.data.drain(..n).collect();
            buf.put_slice(&head);
            std::task::Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn an_idle_connection_waits_on_the_stack_not_on_a_buffer() {
        let mut b = ReadBuffer::default();
        let mut rd = Offered {
            data: vec![],
            rooms: vec![],
        };
        // A CONNACK, then a PINGRESP: each read offered the stack's room, none a buffer's.
        for (want, segment) in [(4, vec![0x20, 2, 0, 0]), (2, vec![0xd0, 0])] {
            rd.data = segment;
            let (n, room) = b.read_from(&mut rd).await.unwrap();
            assert_eq!((n, room), (want, ReadBuffer::PROBE));
            let _packet = b.buf.split_to(n).freeze();
            b.done(n, room);
            assert_eq!(b.buf.capacity(), 0, "nothing held until the next read");
        }
        assert_eq!(rd.rooms, [ReadBuffer::PROBE; 2]);
        // Data streaming in: the stack's room fills, then reads go to a growing buffer.
        rd.data = vec![7; 40_000];
        let mut got = vec![];
        while !rd.data.is_empty() {
            let (n, room) = b.read_from(&mut rd).await.unwrap();
            got.push(n);
            b.buf.clear();
            b.done(n, room);
        }
        assert_eq!(got.iter().sum::<usize>(), 40_000);
        assert_eq!(rd.rooms[2], ReadBuffer::PROBE);
        assert!(rd.rooms[3] > ReadBuffer::MIN, "{:?}", rd.rooms);
        assert!(
            rd.rooms.windows(2).skip(2).all(|w| w[1] >= w[0]),
            "{:?}",
            rd.rooms
        );
    }

    #[test]
    fn streaming_grows_to_max_and_shrinks_after() {
        let mut b = ReadBuffer::default();
        let rooms: Vec<usize> = (0..8).map(|_| read(&mut b, usize::MAX, 100)).collect();
        assert!(rooms.windows(2).all(|w| w[1] >= w[0]), "{rooms:?}");
        let last = *rooms.last().unwrap();
        assert!(
            (ReadBuffer::MAX..2 * ReadBuffer::MAX).contains(&last),
            "{rooms:?}"
        );
        // The stream stops: a small read completes the packet, and the buffer goes.
        read(&mut b, 10, 0);
        assert_eq!(b.buf.capacity(), 0);
        assert!(read(&mut b, 10, 0) < 2 * ReadBuffer::MIN);
    }

    #[test]
    fn a_partial_packet_is_kept_across_reads() {
        let mut b = ReadBuffer::default();
        let room = b.prepare();
        b.buf.put_slice(&[1, 2, 3]);
        b.done(3, room);
        assert_eq!(
            &b.buf[..],
            &[1, 2, 3],
            "a small read with bytes left keeps them"
        );
        let room = b.prepare();
        b.buf.put_slice(&[4, 5]);
        b.done(2, room);
        assert_eq!(&b.buf[..], &[1, 2, 3, 4, 5]);
    }
}
