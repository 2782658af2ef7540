//! Small tokio loops joining a session to a transport. The client's is in `client`; the
//! server connection's arrives with the server work (issue 5).

#[cfg(unix)]
pub mod app_read;
pub mod client;
pub mod js_stream;
pub mod writer;
