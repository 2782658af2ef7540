//! The protocol state machine: packet ids, in-flight QoS 1/2 stores, offline queue, topic
//! aliases, flow control, keepalive and connect deadlines, reconnect backoff. Takes packets,
//! commands and `now`; returns packets to send, events, and the next deadline.
//!
//! No I/O, no tokio, no napi. Not built yet: it arrives with the client work (issue 3).
