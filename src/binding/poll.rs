//! Reading a client's plain TCP socket on the JS thread: a libuv poll handle on Node's
//! event loop watches the socket, and when it is readable the driver reads and handles
//! what arrived (`driver/app_read.rs`), then the client's JS function is called at once
//! to take the events. One thread wakes per incoming segment instead of two (the I/O
//! thread, then JS).
//!
//! libuv's functions are found in the running Node process (`dlsym`): Node exports them
//! to addons. Where they are missing, `client_read_with` says no and the I/O thread reads,
//! as for every other transport.
//!
//! Per client (by handle, on its JS thread), a [`Host`] keeps the function to call and the
//! poll handle of the current connection. The driver makes a new connection known by
//! announcing events; `sync`, run at every drain, starts and stops poll handles to match.
//! A poll handle keeps its socket open (an `Arc`) until libuv has closed it, so that a
//! descriptor number libuv watches is never reused under it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{c_int, c_void, CStr};
use std::os::fd::RawFd;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::{self, NonNull};
use std::sync::{Arc, OnceLock};

use napi::sys;

use super::notifier;
use crate::driver::app_read::AppReadOutcome;
use crate::driver::io::AppSocket;
use crate::driver::shared::{ReadThread, Shared};

type Handle = *mut c_void;
type PollCb = unsafe extern "C" fn(Handle, c_int, c_int);
type CloseCb = unsafe extern "C" fn(Handle);

type PollInit = unsafe extern "C" fn(*mut sys::uv_loop_s, Handle, c_int) -> c_int;
type PollStart = unsafe extern "C" fn(Handle, c_int, PollCb) -> c_int;
type HandleFn = unsafe extern "C" fn(Handle) -> c_int;
type Close = unsafe extern "C" fn(Handle, CloseCb);
type Unref = unsafe extern "C" fn(Handle);
type HandleSize = unsafe extern "C" fn(c_int) -> usize;

/// The libuv functions used, from the running process.
struct Uv {
    poll_init: PollInit,
    poll_start: PollStart,
    poll_stop: HandleFn,
    close: Close,
    unref: Unref,
    handle_size: HandleSize,
}

/// `uv_handle_type` of a poll handle, and `uv_poll_event`'s readable bit (libuv 1.x ABI).
const UV_POLL: c_int = 8;
const UV_READABLE: c_int = 1;

fn uv() -> Option<&'static Uv> {
    static UV: OnceLock<Option<Uv>> = OnceLock::new();
    UV.get_or_init(|| {
        let find = |name: &CStr| {
            // SAFETY: dlsym with RTLD_DEFAULT only looks a name up.
            let f = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
            (!f.is_null()).then_some(f)
        };
        // SAFETY: these names are libuv 1.x's exported functions, whose C signatures the
        // fields declare.
        unsafe {
            Some(Uv {
                poll_init: std::mem::transmute::<*mut c_void, PollInit>(find(c"uv_poll_init")?),
                poll_start: std::mem::transmute::<*mut c_void, PollStart>(find(c"uv_poll_start")?),
                poll_stop: std::mem::transmute::<*mut c_void, HandleFn>(find(c"uv_poll_stop")?),
                close: std::mem::transmute::<*mut c_void, Close>(find(c"uv_close")?),
                unref: std::mem::transmute::<*mut c_void, Unref>(find(c"uv_unref")?),
                handle_size: std::mem::transmute::<*mut c_void, HandleSize>(find(
                    c"uv_handle_size",
                )?),
            })
        }
    })
    .as_ref()
}

/// What the JS thread keeps per client read here.
struct Host {
    /// This thread's event loop.
    lp: *mut sys::uv_loop_s,
    shared: Arc<Shared>,
    poll: Option<NonNull<Poll>>,
}

/// A poll handle's own memory and what its callback needs; `handle`'s first field (libuv's
/// `data`) points back here. Freed when libuv has closed the handle.
struct Poll {
    handle: Box<[u64]>,
    client: u32,
    id: u64,
    shared: Arc<Shared>,
    /// Keeps the descriptor open while libuv may still watch it.
    _sock: Arc<AppSocket>,
}

thread_local! {
    static HOSTS: RefCell<HashMap<u32, Host>> = RefCell::new(HashMap::new());
}

/// Which thread reads plain TCP: the I/O thread where libuv is not reachable, else as
/// `MQTT_NAPI_READ_THREAD` says (`io`: the I/O thread, `js`: the JS thread always, for
/// comparisons), by default the JS thread while the connection is quiet.
pub(super) fn read_thread() -> ReadThread {
    if uv().is_none() {
        return ReadThread::Io;
    }
    match std::env::var("MQTT_NAPI_READ_THREAD").as_deref() {
        Ok("io") => ReadThread::Io,
        Ok("js") => ReadThread::App,
        _ => ReadThread::Adaptive,
    }
}

/// Lets client `client`'s plain TCP connections be read on this thread from the next one
/// on, its events delivered through its drain function (see `notifier`). False where
/// this thread cannot read.
///
/// # Safety
/// `env` is the live environment of the running call, on its thread.
pub(super) unsafe fn register(env: sys::napi_env, client: u32, shared: Arc<Shared>) -> bool {
    let thread = read_thread();
    if thread == ReadThread::Io {
        return false;
    }
    let mut lp = ptr::null_mut();
    // SAFETY: the caller's promise.
    if unsafe { sys::napi_get_uv_event_loop(env, &mut lp) } != sys::Status::napi_ok {
        return false;
    }
    release(client);
    shared.set_read_thread(thread);
    HOSTS.with(|h| {
        h.borrow_mut().insert(
            client,
            Host {
                lp,
                shared,
                poll: None,
            },
        )
    });
    true
}

/// Forgets client `client`: stops its poll handle. At thread exit (the table gone) there
/// is nothing left to do.
pub(super) fn release(client: u32) {
    let host = HOSTS
        .try_with(|h| h.borrow_mut().remove(&client))
        .ok()
        .flatten();
    if let Some(mut host) = host {
        host.shared.set_read_thread(ReadThread::Io);
        if let Some(p) = host.poll.take() {
            close(p);
        }
    }
}

/// Starts or stops client `client`'s poll handle to match the connection the driver
/// wants read on this thread. Runs on every drain.
pub(super) fn sync(client: u32) {
    let _ = HOSTS.try_with(|h| {
        let mut hosts = h.borrow_mut();
        let Some(host) = hosts.get_mut(&client) else {
            return;
        };
        let want = host.shared.app_socket();
        // SAFETY: a poll in `host.poll` is alive until `close` takes it out.
        let have = host.poll.map(|p| unsafe { p.as_ref().id });
        if want.as_ref().map(|w| w.0) == have {
            return;
        }
        if let Some(p) = host.poll.take() {
            close(p);
        }
        if let Some((id, fd, sock)) = want {
            match start(host, client, id, fd, sock) {
                Some(p) => host.poll = Some(p),
                None => {
                    // Should not happen (a fresh socket libuv cannot watch): fall back to
                    // the I/O thread for this client, on a new connection.
                    host.shared.set_read_thread(ReadThread::Io);
                    host.shared.drop_connection();
                }
            }
        }
    });
}

fn start(
    host: &Host,
    client: u32,
    id: u64,
    fd: RawFd,
    sock: Arc<AppSocket>,
) -> Option<NonNull<Poll>> {
    let uv = uv()?;
    let lp = host.lp;
    // SAFETY: a libuv query without side effects.
    let size = unsafe { (uv.handle_size)(UV_POLL) };
    let mut handle = vec![0u64; size.div_ceil(8).max(1)].into_boxed_slice();
    let h: Handle = handle.as_mut_ptr().cast();
    // SAFETY: `h` is zeroed memory of the size libuv asked for; the socket is open.
    if unsafe { (uv.poll_init)(lp, h, fd) } != 0 {
        // Not initialized: libuv does not know the handle.
        return None;
    }
    let poll = NonNull::from(Box::leak(Box::new(Poll {
        handle,
        client,
        id,
        shared: host.shared.clone(),
        _sock: sock,
    })));
    // SAFETY: `h` is an initialized poll handle (its memory now owned by `poll`, at the
    // same address); its first field is the `data` pointer.
    unsafe {
        *h.cast::<*mut Poll>() = poll.as_ptr();
        (uv.unref)(h);
        if (uv.poll_start)(h, UV_READABLE, on_poll) != 0 {
            close(poll);
            return None;
        }
    }
    Some(poll)
}

/// Stops and closes a poll handle; its memory goes when libuv is done with it.
fn close(p: NonNull<Poll>) {
    let Some(uv) = uv() else { return };
    // SAFETY: `p` is a live poll whose handle was initialized; closing it once is the
    // caller's promise (it took `p` out of its host).
    unsafe {
        let h: Handle = (*p.as_ptr()).handle.as_mut_ptr().cast();
        (uv.poll_stop)(h);
        (uv.close)(h, on_closed);
    }
}

unsafe extern "C" fn on_closed(h: Handle) {
    // SAFETY: `data` points to the Poll leaked in `start`; libuv calls this once, last.
    drop(unsafe { Box::from_raw(*h.cast::<*mut Poll>()) });
}

unsafe extern "C" fn on_poll(h: Handle, status: c_int, _events: c_int) {
    // A panic must not unwind into libuv; a failed read ends the connection as usual.
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `data` points to this handle's live Poll (freed only after close).
        let (client, id, shared) = unsafe {
            let p = &**h.cast::<*const Poll>();
            (p.client, p.id, p.shared.clone())
        };
        // An error status (the socket's POLLERR: a reset, often right behind the last
        // data) comes once: libuv has stopped the handle. Read to the end, so that the
        // reset is read now and not when a timer next looks; if the connection still
        // stands, watch it again.
        let errored = status < 0;
        let outcome = shared.read_app(id, true, errored);
        if errored
            && matches!(outcome, AppReadOutcome::Idle | AppReadOutcome::Events)
            && shared.app_socket().is_some_and(|(now, ..)| now == id)
        {
            if let Some(uv) = uv() {
                // SAFETY: the handle is initialized and not closing (only `close`, which
                // takes it out of its host first, closes it; this callback runs before).
                if unsafe { (uv.poll_start)(h, UV_READABLE, on_poll) } != 0 {
                    shared.drop_connection();
                }
            }
        }
        match outcome {
            AppReadOutcome::Idle => {}
            AppReadOutcome::Events => notifier::deliver(client),
            AppReadOutcome::Gone | AppReadOutcome::More => stop(client, id),
            AppReadOutcome::Handoff { events } => {
                // The I/O thread reads from now on; the next drain starts the handle
                // again once it hands reading back.
                stop(client, id);
                if events {
                    notifier::deliver(client);
                }
            }
        }
    }));
}

/// Stops client `client`'s poll handle if it still watches connection `id`.
fn stop(client: u32, id: u64) {
    let _ = HOSTS.try_with(|h| {
        let mut hosts = h.borrow_mut();
        let Some(host) = hosts.get_mut(&client) else {
            return;
        };
        // SAFETY: a poll in `host.poll` is alive until `close` takes it out.
        if host.poll.is_some_and(|p| unsafe { p.as_ref().id } == id) {
            if let Some(p) = host.poll.take() {
                close(p);
            }
        }
    });
}
