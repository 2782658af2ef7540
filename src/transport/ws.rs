//! MQTT over WebSocket (`ws://`, `wss://`): the HTTP upgrade with the `mqtt` subprotocol
//! (`mqttv3.1` at level 3), then MQTT bytes in binary frames. The WebSocket runs over any
//! stream (TCP, or TLS for `wss`), and is turned back into a byte stream for the driver.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use futures_util::{Sink, Stream as _};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::{copy_pending, Stream};

/// What the application asks of the WebSocket.
#[derive(Debug, Clone, Default)]
pub struct WsOptions {
    /// The request path, `/mqtt` by default (MQTT.js `path`).
    pub path: String,
    /// The subprotocol offered: `mqtt`, or `mqttv3.1` for MQTT 3.1.
    pub protocol: String,
    /// Extra request headers (MQTT.js `wsOptions.headers`).
    pub headers: Vec<(String, String)>,
}

/// Upgrades `stream` to a WebSocket at `host:port` + path; `secure` only names the scheme.
pub async fn handshake(
    stream: Stream,
    host: &str,
    port: u16,
    secure: bool,
    opts: &WsOptions,
) -> Result<WsIo, super::Error> {
    let scheme = if secure { "wss" } else { "ws" };
    let host_part = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    let path = if opts.path.starts_with('/') {
        opts.path.clone()
    } else {
        format!("/{}", opts.path)
    };
    let url = format!("{scheme}://{host_part}:{port}{path}");
    let ws_error = |code: &'static str, message: String| super::Error::WebSocket { code, message };
    let bad = |m: String| ws_error("ERR_INVALID_URL", m);
    let mut req = url
        .as_str()
        .into_client_request()
        .map_err(|e| bad(format!("cannot make a WebSocket request for {url}: {e}")))?;
    let headers = req.headers_mut();
    let proto = HeaderValue::from_str(&opts.protocol)
        .map_err(|_| bad(format!("bad WebSocket subprotocol {:?}", opts.protocol)))?;
    headers.insert("Sec-WebSocket-Protocol", proto);
    for (k, v) in &opts.headers {
        let name = HeaderName::from_bytes(k.as_bytes())
            .map_err(|_| ws_error("ERR_INVALID_ARG_VALUE", format!("bad header name {k:?}")))?;
        let value = HeaderValue::from_str(v)
            .map_err(|_| ws_error("ERR_INVALID_ARG_VALUE", format!("bad value for header {k}")))?;
        headers.insert(name, value);
    }
    let (ws, _response) = tokio_tungstenite::client_async(req, stream)
        .await
        .map_err(|e| {
            ws_error(
                "ERR_WS_HANDSHAKE",
                format!("WebSocket upgrade at {url} failed: {e}"),
            )
        })?;
    Ok(WsIo::new(ws))
}

/// A WebSocket as a byte stream: reads yield the binary frames' bytes, each write sends a
/// binary frame.
pub struct WsIo {
    ws: WebSocketStream<Stream>,
    pending: Bytes,
}

impl WsIo {
    /// Wraps a WebSocket that is already open (either side of it).
    pub fn new(ws: WebSocketStream<Stream>) -> Self {
        WsIo {
            ws,
            pending: Bytes::new(),
        }
    }
}

fn io_error(e: tokio_tungstenite::tungstenite::Error) -> io::Error {
    use tokio_tungstenite::tungstenite::Error as E;
    match e {
        E::Io(e) => e,
        E::ConnectionClosed | E::AlreadyClosed => io::ErrorKind::BrokenPipe.into(),
        other => io::Error::new(io::ErrorKind::InvalidData, other.to_string()),
    }
}

impl AsyncRead for WsIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            if copy_pending(&mut self.pending, buf) {
                return Poll::Ready(Ok(()));
            }
            match ready!(Pin::new(&mut self.ws).poll_next(cx)) {
                // End of stream: a close frame or the connection went away.
                None | Some(Ok(Message::Close(_))) => return Poll::Ready(Ok(())),
                Some(Ok(Message::Binary(b))) => self.pending = b,
                Some(Ok(Message::Text(_))) => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "the server sent a text frame; MQTT over WebSocket uses binary frames",
                    )))
                }
                // Pings are answered by tungstenite; pongs and raw frames carry nothing.
                Some(Ok(_)) => {}
                Some(Err(e)) => return Poll::Ready(Err(io_error(e))),
            }
        }
    }
}

impl AsyncWrite for WsIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(Pin::new(&mut self.ws).poll_ready(cx)).map_err(io_error)?;
        Pin::new(&mut self.ws)
            .start_send(Message::Binary(Bytes::copy_from_slice(buf)))
            .map_err(io_error)?;
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.ws).poll_flush(cx).map_err(io_error)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.ws).poll_close(cx).map_err(io_error)
    }
}
