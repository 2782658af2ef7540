//! Small tokio loops joining a session to a transport: the client's, in `client`. (The
//! server side's connections are JS streams over the native codec, see `lib/connection.js`.)

#[cfg(unix)]
pub mod app_read;
#[cfg(unix)]
pub mod app_tls;
pub mod catch_panic;
pub mod client;
pub mod gate;
pub mod io;
pub mod js_stream;
pub mod shared;
pub mod writer;
