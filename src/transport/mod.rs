//! tokio I/O: TCP, TLS (tokio-rustls), WebSocket, and a transport fed by JS streams.
//!
//! Not built yet: TCP arrives with the client work (issue 3), the rest with the transports
//! work (issue 6).
