//! `connectBlocking(host, port, timeoutMs)`: a TCP connection opened on the JS thread,
//! which it blocks until connected or the timeout; returns the socket's file descriptor,
//! which JS adopts with `new net.Socket({ fd })` (Unix only).

use napi_derive::napi;

use super::error::{Code, JsError};

/// Connects or fails within `timeout_ms`; the JS error's `code` is Node's word for the
/// cause (`ECONNREFUSED`, `ETIMEDOUT`, `ENOTFOUND`, ...).
#[napi(catch_unwind)]
pub fn connect_blocking(host: String, port: u32, timeout_ms: u32) -> Result<i32, JsError> {
    let port = u16::try_from(port)
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| super::error::invalid_arg(format!("port {port} out of range")))?;
    let timeout = std::time::Duration::from_millis(u64::from(timeout_ms));
    match crate::transport::blocking::connect(&host, port, timeout) {
        Ok(stream) => {
            #[cfg(unix)]
            {
                use std::os::fd::IntoRawFd;
                Ok(stream.into_raw_fd())
            }
            #[cfg(not(unix))]
            {
                drop(stream);
                Err(napi::Error::new(
                    Code("ERR_NOT_SUPPORTED"),
                    "a blocking connect is available on Unix only; use the callback form",
                ))
            }
        }
        Err(e) => Err(napi::Error::new(
            Code(code_of(&e)),
            describe(&e, &host, port),
        )),
    }
}

fn code_of(e: &std::io::Error) -> &'static str {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound => "ENOTFOUND",
        HostUnreachable => "EHOSTUNREACH",
        NetworkUnreachable => "ENETUNREACH",
        k => crate::transport::io_code(k),
    }
}

fn describe(e: &std::io::Error, host: &str, port: u16) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => e.to_string(),
        _ => format!("connect {} {host}:{port}", code_of(e)),
    }
}
