//! The calls made per message, as raw Node-API callbacks.
//!
//! Every `#[napi]` function with arguments pays napi-rs 3's borrow-scope bookkeeping
//! (thread-local scope stacks, a heap allocation and a lock per call): measured here at
//! 250-450 ns per call with nothing to do, against ~90 ns for a `#[napi]` function without
//! arguments. A publish must cost less than that in total, so these few functions read
//! their arguments with Node-API directly. Each runs inside `catch_unwind`, reports bad
//! arguments as a thrown `TypeError`-like error with a `code`, and touches JS memory only
//! for the duration of the call.
//!
//! JS gets them once, from `fastCalls()`, as `{ topicId, clientPublishTopic, clientPublish,
//! clientSend, clientAck, clientComplete, clientFlush, clientWriteMark, clientAttach }`; see
//! `client_calls.rs` for what each does.

use std::ffi::CString;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use napi::bindgen_prelude::Unknown;
use napi::{sys, Env};
use napi_derive::napi;

use super::client_calls as calls;
use super::error::JsError;

type Callback = unsafe extern "C" fn(sys::napi_env, sys::napi_callback_info) -> sys::napi_value;

/// Why a call failed: thrown as an Error with this `code`.
struct Thrown(&'static str, String);

impl From<JsError> for Thrown {
    fn from(e: JsError) -> Self {
        Thrown(e.status.0, e.reason.clone())
    }
}

fn bad(what: &str) -> Thrown {
    Thrown("ERR_INVALID_ARG_TYPE", format!("{what} has the wrong type"))
}

/// Reads exactly `N` arguments.
///
/// # Safety
/// `env` and `info` are the ones Node passed to the running callback.
unsafe fn args<const N: usize>(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> Result<[sys::napi_value; N], Thrown> {
    let mut argc = N;
    let mut argv = [ptr::null_mut(); N];
    // SAFETY: `env`/`info` are the running callback's (this fn's contract); `argc` says
    // `argv` has room for N values, and napi writes at most that many.
    let status = unsafe {
        sys::napi_get_cb_info(
            env,
            info,
            &mut argc,
            argv.as_mut_ptr(),
            ptr::null_mut(),
            ptr::null_mut(),
        )
    };
    if status != sys::Status::napi_ok || argc < N {
        return Err(Thrown(
            "ERR_MISSING_ARGS",
            format!("{N} arguments expected, {argc} given"),
        ));
    }
    Ok(argv)
}

/// # Safety
/// `v` is a live value of `env`.
unsafe fn u32_arg(env: sys::napi_env, v: sys::napi_value, what: &str) -> Result<u32, Thrown> {
    let mut out = 0u32;
    // SAFETY: `v` is a live value of `env` (this fn's contract); `out` is a live local.
    match unsafe { sys::napi_get_value_uint32(env, v, &mut out) } {
        sys::Status::napi_ok => Ok(out),
        _ => Err(bad(what)),
    }
}

/// The bytes of a Buffer or Uint8Array argument.
///
/// # Safety
/// `v` is a live value of `env`; the slice is valid until the callback returns, during
/// which JS does not run (nothing here calls back into JS).
unsafe fn bytes_arg<'a>(
    env: sys::napi_env,
    v: sys::napi_value,
    what: &str,
) -> Result<&'a [u8], Thrown> {
    let mut data = ptr::null_mut();
    let mut len = 0usize;
    let mut is_buffer = false;
    // SAFETY: `env` is the running callback's; the out-pointer is a local that lives across
    // the call. Asked first because Node 18's napi_get_buffer_info aborts the process on a
    // value that is not an ArrayBufferView instead of returning napi_invalid_arg.
    if unsafe { sys::napi_is_buffer(env, v, &mut is_buffer) } != sys::Status::napi_ok || !is_buffer
    {
        return Err(bad(what));
    }
    // SAFETY: as above; `v` is an ArrayBufferView, checked just before.
    if unsafe { sys::napi_get_buffer_info(env, v, &mut data, &mut len) } != sys::Status::napi_ok {
        return Err(bad(what));
    }
    Ok(if len == 0 || data.is_null() {
        &[]
    } else {
        // SAFETY: Node reported `len` bytes at `data` for this live buffer.
        unsafe { std::slice::from_raw_parts(data as *const u8, len) }
    })
}

/// The words of a Uint32Array argument.
///
/// # Safety
/// As [`bytes_arg`].
unsafe fn words_arg<'a>(
    env: sys::napi_env,
    v: sys::napi_value,
    what: &str,
) -> Result<&'a [u32], Thrown> {
    let mut kind = 0;
    let mut len = 0usize;
    let mut data = ptr::null_mut();
    // SAFETY: `env` is the running callback's; every out-pointer is a live local (or null
    // where napi allows it). A value that is not a typed array fails with a status, checked.
    let status = unsafe {
        sys::napi_get_typedarray_info(
            env,
            v,
            &mut kind,
            &mut len,
            &mut data,
            ptr::null_mut(),
            ptr::null_mut(),
        )
    };
    if status != sys::Status::napi_ok || kind != sys::TypedarrayType::uint32_array {
        return Err(bad(what));
    }
    Ok(if len == 0 || data.is_null() {
        &[]
    } else {
        // SAFETY: a Uint32Array of `len` elements starts at `data` (4-byte aligned, as
        // typed arrays require).
        unsafe { std::slice::from_raw_parts(data as *const u32, len) }
    })
}

/// A string argument, as UTF-8.
///
/// # Safety
/// `v` is a live value of `env`.
unsafe fn string_arg(env: sys::napi_env, v: sys::napi_value, what: &str) -> Result<String, Thrown> {
    let mut len = 0usize;
    // SAFETY: `v` is a live value of `env` (this fn's contract); a null buffer asks only for
    // the length, written to a live local.
    let status = unsafe { sys::napi_get_value_string_utf8(env, v, ptr::null_mut(), 0, &mut len) };
    if status != sys::Status::napi_ok {
        return Err(bad(what));
    }
    let mut buf = vec![0u8; len + 1];
    let mut written = 0usize;
    // SAFETY: `buf` holds `len + 1` bytes and napi is told so: it writes at most that many
    // (the string and its NUL); `written` is a live local.
    let status = unsafe {
        sys::napi_get_value_string_utf8(env, v, buf.as_mut_ptr().cast(), len + 1, &mut written)
    };
    if status != sys::Status::napi_ok {
        return Err(bad(what));
    }
    buf.truncate(written);
    // Node writes valid UTF-8 (lone surrogates become U+FFFD).
    String::from_utf8(buf).map_err(|_| bad(what))
}

/// Runs `f`, turning its error or a panic into a thrown JS error.
///
/// # Safety
/// `env` is the environment of the running callback.
unsafe fn run(
    env: sys::napi_env,
    f: impl FnOnce() -> Result<sys::napi_value, Thrown>,
) -> sys::napi_value {
    let outcome = catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(Thrown(
            "ERR_MQTT_NAPI_INTERNAL",
            "internal error (a bug in mqtt-napi)".into(),
        ))
    });
    match outcome {
        Ok(v) => v,
        Err(Thrown(code, message)) => {
            let code = CString::new(code).unwrap_or_default();
            let message = CString::new(message.replace('\0', " ")).unwrap_or_default();
            // SAFETY: `env` is the running callback's; both CStrings are NUL-terminated and
            // live until the call returns (napi copies them).
            unsafe { sys::napi_throw_error(env, code.as_ptr(), message.as_ptr()) };
            ptr::null_mut()
        }
    }
}

/// # Safety
/// `env` is the environment of the running callback.
unsafe fn number(env: sys::napi_env, v: f64) -> Result<sys::napi_value, Thrown> {
    let mut out = ptr::null_mut();
    // SAFETY: `env` is the running callback's (this fn's contract); `out` is a live local.
    match unsafe { sys::napi_create_double(env, v, &mut out) } {
        sys::Status::napi_ok => Ok(out),
        _ => Err(Thrown(
            "ERR_MQTT_NAPI_INTERNAL",
            "cannot create a number".into(),
        )),
    }
}

/// Defines a raw Node-API callback: `fn name(env, [arg, ...]) { body }` reads exactly that
/// many arguments, runs `body` inside [`run`] (errors and panics become a thrown JS error),
/// and returns what `body` gives. `env` in the body is the callback's environment.
macro_rules! fast_call {
    ($(#[doc = $doc:literal])* fn $name:ident($env:ident, [$($arg:ident),*]) $body:block) => {
        $(#[doc = $doc])*
        unsafe extern "C" fn $name(
            env: sys::napi_env,
            info: sys::napi_callback_info,
        ) -> sys::napi_value {
            // SAFETY: Node calls this callback with its live `env` and `info`, which is all
            // `run`, `args` and the argument readers in the body require; they run on this
            // JS thread only, during the call.
            unsafe {
                run(env, || {
                    let $env = env;
                    let [$($arg),*] = args(env, info)?;
                    $body
                })
            }
        }
    };
}

fast_call! {
    /// `clientPublish(handle, topic, payload, flags, messageId)` -> packet id.
    fn client_publish(env, [h, topic, payload, flags, id]) {
        let r = calls::client_publish(
            u32_arg(env, h, "handle")?,
            string_arg(env, topic, "topic")?,
            bytes_arg(env, payload, "payload")?,
            u32_arg(env, flags, "flags")?,
            u32_arg(env, id, "messageId")?,
        )?;
        number(env, r as f64)
    }
}

fast_call! {
    /// `topicId(topic)` -> id, or -1 when the table is full.
    fn topic_id(env, [topic]) {
        let id = calls::topic_id(string_arg(env, topic, "topic")?)?;
        number(env, id.map_or(-1.0, f64::from))
    }
}

fast_call! {
    /// `clientPublishTopic(handle, topicId, payload, flags, messageId)` -> packet id.
    fn client_publish_topic(env, [h, topic, payload, flags, id]) {
        let r = calls::client_publish_topic(
            u32_arg(env, h, "handle")?,
            u32_arg(env, topic, "topicId")?,
            bytes_arg(env, payload, "payload")?,
            u32_arg(env, flags, "flags")?,
            u32_arg(env, id, "messageId")?,
        )?;
        number(env, r as f64)
    }
}

fast_call! {
    /// `clientSend(handle, tape, data, payload)` -> packet id.
    fn client_send(env, [h, tape, data, payload]) {
        let r = calls::client_send(
            u32_arg(env, h, "handle")?,
            words_arg(env, tape, "tape")?,
            bytes_arg(env, data, "data")?,
            bytes_arg(env, payload, "payload")?,
        )?;
        number(env, r as f64)
    }
}

fast_call! {
    /// `clientAck(handle, messageId, qos, reasonCode)`.
    fn client_ack(env, [h, id, qos, rc]) {
        calls::client_ack(
            u32_arg(env, h, "handle")?,
            u32_arg(env, id, "messageId")?,
            u32_arg(env, qos, "qos")?,
            u32_arg(env, rc, "reasonCode")?,
        );
        Ok(ptr::null_mut())
    }
}

fast_call! {
    /// `clientComplete(handle, messageId)`.
    fn client_complete(env, [h, id]) {
        calls::client_complete(u32_arg(env, h, "handle")?, u32_arg(env, id, "messageId")?);
        Ok(ptr::null_mut())
    }
}

fast_call! {
    /// `clientFlush(handle)`.
    fn client_flush(env, [h]) {
        calls::client_flush(u32_arg(env, h, "handle")?);
        Ok(ptr::null_mut())
    }
}

fast_call! {
    /// `clientWriteMark(handle)` -> mark.
    fn client_write_mark(env, [h]) {
        number(env, calls::client_write_mark(u32_arg(env, h, "handle")?))
    }
}

fast_call! {
    /// `clientAttach(handle, drain, node)` -> whether the client's plain TCP connections
    /// will be read on this thread. `drain()` is called whenever the client has events
    /// waiting (see `notifier.rs`, `poll.rs`); the client keeps the event loop alive from
    /// here until it has finished. `node` says the runtime is Node: its event loop is
    /// libuv, which `poll.rs` needs (elsewhere, as on Bun and Deno, the I/O thread reads;
    /// see `lib/runtime.js`).
    fn client_attach(env, [h, func, node]) {
        let handle = u32_arg(env, h, "handle")?;
        let mut on_node = false;
        if sys::napi_get_value_bool(env, node, &mut on_node) != sys::Status::napi_ok {
            return Err(bad("node"));
        }
        let core = calls::core(handle)?;
        let mut kind = 0;
        if sys::napi_typeof(env, func, &mut kind) != sys::Status::napi_ok
            || kind != sys::ValueType::napi_function
        {
            return Err(bad("drain"));
        }
        if !super::notifier::attach(env, handle, func, on_node) {
            return Err(Thrown(
                "ERR_MQTT_NAPI_ENV",
                "cannot attach the client: its JS environment is shutting down".into(),
            ));
        }
        #[cfg(unix)]
        let on = on_node && super::poll::register(env, handle, core.shared.clone());
        #[cfg(not(unix))]
        let on = {
            let _ = (core, on_node);
            false
        };
        let mut out = ptr::null_mut();
        sys::napi_get_boolean(env, on, &mut out);
        Ok(out)
    }
}

const CALLS: [(&str, Callback); 9] = [
    ("clientAttach", client_attach),
    ("topicId", topic_id),
    ("clientPublishTopic", client_publish_topic),
    ("clientPublish", client_publish),
    ("clientSend", client_send),
    ("clientAck", client_ack),
    ("clientComplete", client_complete),
    ("clientFlush", client_flush),
    ("clientWriteMark", client_write_mark),
];

/// The per-message calls as an object of plain functions (see the module docs).
#[napi(
    catch_unwind,
    ts_return_type = "{ topicId(topic: string): number; clientPublishTopic(handle: number, topicId: number, payload: Uint8Array, flags: number, messageId: number): number; clientPublish(handle: number, topic: string, payload: Uint8Array, flags: number, messageId: number): number; clientSend(handle: number, tape: Uint32Array, data: Uint8Array, payload: Uint8Array): number; clientAck(handle: number, messageId: number, qos: number, reasonCode: number): void; clientComplete(handle: number, messageId: number): void; clientFlush(handle: number): void; clientWriteMark(handle: number): number; clientAttach(handle: number, drain: () => void, node: boolean): boolean }"
)]
pub fn fast_calls(env: &Env) -> Result<Unknown<'_>, JsError> {
    let fail = |what: &str| {
        napi::Error::new(
            super::error::Code("ERR_MQTT_NAPI_INTERNAL"),
            format!("cannot create {what}"),
        )
    };
    let raw = env.raw();
    let mut obj = ptr::null_mut();
    // SAFETY: plain Node-API calls on the live environment of this call.
    unsafe {
        if sys::napi_create_object(raw, &mut obj) != sys::Status::napi_ok {
            return Err(fail("the object"));
        }
        for (name, cb) in CALLS {
            let mut f = ptr::null_mut();
            let cname = CString::new(name).map_err(|_| fail(name))?;
            if sys::napi_create_function(
                raw,
                cname.as_ptr(),
                name.len() as isize,
                Some(cb),
                ptr::null_mut(),
                &mut f,
            ) != sys::Status::napi_ok
                || sys::napi_set_named_property(raw, obj, cname.as_ptr(), f) != sys::Status::napi_ok
            {
                return Err(fail(name));
            }
        }
        Ok(Unknown::from_raw_unchecked(raw, obj))
    }
}
