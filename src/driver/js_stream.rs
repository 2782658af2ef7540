//! The JS-stream transport: the connection is a Node Duplex that JS owns (MQTT.js's
//! `streamBuilder`, `new MqttClient(builder, options)`). JS feeds what the Duplex reads
//! through [`Shared::feed`]; what the driver writes goes to JS as
//! [`ClientEvent::StreamWrite`] events, which JS writes to the Duplex. Each connection
//! attempt asks JS for a new Duplex with [`ClientEvent::OpenStream`].

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::mpsc::UnboundedReceiver;

use super::shared::{ClientEvent, Feed, Shared};
use crate::transport::copy_pending;

/// One connection over a JS Duplex, as a byte stream for the driver.
pub struct JsStream {
    pub(super) rx: UnboundedReceiver<Feed>,
    pub(super) pending: Bytes,
    pub(super) shared: Arc<Shared>,
}

impl AsyncRead for JsStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            if copy_pending(&mut self.pending, buf) {
                return Poll::Ready(Ok(()));
            }
            match ready!(self.rx.poll_recv(cx)) {
                Some(Feed::Data(b)) => self.pending = b,
                Some(Feed::End) | None => return Poll::Ready(Ok(())),
            }
        }
    }
}

impl AsyncWrite for JsStream {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.shared
            .emit(ClientEvent::StreamWrite(Bytes::copy_from_slice(buf)));
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.shared.emit(ClientEvent::StreamEnd);
        Poll::Ready(Ok(()))
    }
}

impl Drop for JsStream {
    /// The driver is done with this connection: JS ends its Duplex (again, harmlessly, if
    /// the shutdown already said so).
    fn drop(&mut self) {
        self.shared.close_feed();
        self.shared.emit(ClientEvent::StreamEnd);
    }
}
