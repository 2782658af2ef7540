//! Telling JS that a client has events waiting: one threadsafe function per JS thread for
//! all of its clients, not one per client.
//!
//! A Node threadsafe function costs about 1 KB of native memory (its queue, async handle,
//! mutex and references), and libuv looks at every async handle of a loop on each wake-up:
//! with thousands of idle clients, one per client was the largest native cost per client
//! and made every wake-up walk them all. Here a client announces itself by putting its
//! handle on its thread's [`Ready`] list; the first announcement of a batch calls the
//! thread's function, which on the JS thread takes the list and calls each client's drain
//! function (kept by reference, with its own async context, as Node calls a socket's
//! listeners).
//!
//! The function keeps the event loop alive while any client of the thread is running:
//! from `attach` until its FINISHED event has been drained (or it is released), as the
//! per-client function did until the connection task ended.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::c_void;
use std::ptr;
use std::sync::{Arc, Mutex};

use napi::sys;

/// A thread's clients with events waiting, filled from any thread.
pub(super) struct Ready {
    state: Mutex<ReadyState>,
}

struct ReadyState {
    list: Vec<u32>,
    /// None once the environment is going away (the function is released).
    tsfn: Option<Tsfn>,
}

#[derive(Clone, Copy)]
struct Tsfn(sys::napi_threadsafe_function);

// SAFETY: Node-API's threadsafe functions are made to be called from any thread. The
// pointer is used only while `ReadyState` holds it, and it is taken out (under the same
// lock) before the function is released or finalized.
unsafe impl Send for Tsfn {}

impl Ready {
    /// Client `client` has events: its thread will call its drain function.
    pub(super) fn announce(&self, client: u32) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let Some(t) = s.tsfn else { return };
        if s.list.is_empty() {
            // SAFETY: the function is not released while `s.tsfn` holds it (see `Tsfn`).
            let status = unsafe {
                sys::napi_call_threadsafe_function(
                    t.0,
                    ptr::null_mut(),
                    sys::ThreadsafeFunctionCallMode::nonblocking,
                )
            };
            if status != sys::Status::napi_ok {
                // Closing: the environment is going away, nobody will drain.
                return;
            }
        }
        s.list.push(client);
    }

    fn take(&self) -> Vec<u32> {
        std::mem::take(&mut self.state.lock().unwrap_or_else(|e| e.into_inner()).list)
    }

    fn close(&self) -> Option<Tsfn> {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.list = Vec::new();
        s.tsfn.take()
    }
}

/// What the JS thread keeps per attached client.
struct Host {
    /// The JS function that drains the client's events.
    func: sys::napi_ref,
    ctx: sys::napi_async_context,
    /// The client holds the event loop open.
    counted: bool,
}

struct Local {
    env: sys::napi_env,
    tsfn: Tsfn,
    ready: Arc<Ready>,
    hosts: HashMap<u32, Host>,
    /// Clients counted in `hosts`: the function is referenced while this is above 0.
    active: usize,
    /// The runtime is Node (see `attach`).
    node: bool,
}

thread_local! {
    static LOCAL: RefCell<Option<Local>> = const { RefCell::new(None) };
}

/// This thread's ready list, made (with its threadsafe function) on first use.
///
/// # Safety
/// `env` is the live environment of the running call, on its thread.
pub(super) unsafe fn ready(env: sys::napi_env) -> Option<Arc<Ready>> {
    LOCAL
        .try_with(|l| {
            let mut l = l.borrow_mut();
            if let Some(local) = l.as_ref() {
                return Some(local.ready.clone());
            }
            // SAFETY: the caller's promise.
            let local = unsafe { make(env) }?;
            let ready = local.ready.clone();
            *l = Some(local);
            Some(ready)
        })
        .ok()
        .flatten()
}

/// # Safety
/// As [`ready`].
unsafe fn make(env: sys::napi_env) -> Option<Local> {
    let ready = Arc::new(Ready {
        state: Mutex::new(ReadyState {
            list: Vec::new(),
            tsfn: None,
        }),
    });
    let mut name = ptr::null_mut();
    let mut tsfn = ptr::null_mut();
    // SAFETY: the caller's promise.
    let resource = unsafe { resource(env) }?;
    let fin = Arc::into_raw(ready.clone()) as *mut c_void;
    // SAFETY: plain Node-API calls on the live environment. `fin` is given back to
    // `on_finalize` once, when Node destroys the function; if creating fails, it is ours.
    unsafe {
        let made = sys::napi_create_string_utf8(env, c"MqttClient".as_ptr(), 10, &mut name)
            == sys::Status::napi_ok
            && sys::napi_create_threadsafe_function(
                env,
                ptr::null_mut(),
                resource,
                name,
                0,
                1,
                fin,
                Some(on_finalize),
                ptr::null_mut(),
                Some(call_js),
                &mut tsfn,
            ) == sys::Status::napi_ok;
        if !made {
            drop(Arc::from_raw(fin as *const Ready));
            return None;
        }
        // No client runs yet: the function alone must not keep the loop alive.
        sys::napi_unref_threadsafe_function(env, tsfn);
        // Registered after the function, so it runs before the function's own clean-up
        // (Node runs them in reverse order).
        if sys::napi_add_env_cleanup_hook(env, Some(on_teardown), ptr::null_mut())
            != sys::Status::napi_ok
        {
            sys::napi_release_threadsafe_function(tsfn, sys::ThreadsafeFunctionReleaseMode::abort);
            return None;
        }
    }
    ready.state.lock().unwrap_or_else(|e| e.into_inner()).tsfn = Some(Tsfn(tsfn));
    Some(Local {
        env,
        tsfn: Tsfn(tsfn),
        ready,
        hosts: HashMap::new(),
        active: 0,
        node: true,
    })
}

/// The function's async resource: an object whose `hasRef()` says whether the function
/// holds the event loop open (a client of this thread is running), as Node's own handles
/// say it. Tools that look for what keeps a process alive through async hooks (jest's
/// `--detectOpenHandles`) ask it; without it they count the function, which lives as long
/// as the thread, as open for ever.
///
/// # Safety
/// As [`ready`].
unsafe fn resource(env: sys::napi_env) -> Option<sys::napi_value> {
    let mut obj = ptr::null_mut();
    let mut f = ptr::null_mut();
    // SAFETY: plain Node-API calls on the live environment.
    let ok = unsafe {
        sys::napi_create_object(env, &mut obj) == sys::Status::napi_ok
            && sys::napi_create_function(
                env,
                c"hasRef".as_ptr(),
                6,
                Some(has_ref),
                ptr::null_mut(),
                &mut f,
            ) == sys::Status::napi_ok
            && sys::napi_set_named_property(env, obj, c"hasRef".as_ptr(), f) == sys::Status::napi_ok
    };
    ok.then_some(obj)
}

unsafe extern "C" fn has_ref(
    env: sys::napi_env,
    _info: sys::napi_callback_info,
) -> sys::napi_value {
    let active = LOCAL
        .try_with(|l| {
            l.try_borrow()
                .is_ok_and(|l| l.as_ref().is_some_and(|l| l.active > 0))
        })
        .unwrap_or(false);
    let mut out = ptr::null_mut();
    // SAFETY: called by Node on this thread with its live environment.
    unsafe { sys::napi_get_boolean(env, active, &mut out) };
    out
}

/// Keeps `func` as client `client`'s drain function, called when it announces events,
/// and counts the client as running (the loop stays alive) until [`finished`] or
/// [`detach`]. False if Node refuses (the environment is going away). `node` says the
/// runtime is Node, where async contexts can be destroyed in clean-up hooks.
///
/// # Safety
/// `env` and `func` are live values of the running call's environment, on its thread,
/// and [`ready`] was called on this thread.
pub(super) unsafe fn attach(
    env: sys::napi_env,
    client: u32,
    func: sys::napi_value,
    node: bool,
) -> bool {
    let mut fref = ptr::null_mut();
    let mut name = ptr::null_mut();
    let mut ctx = ptr::null_mut();
    // SAFETY: plain Node-API calls on the live environment; the function is its own async
    // resource object, kept alive by the reference.
    let ok = unsafe {
        sys::napi_create_reference(env, func, 1, &mut fref) == sys::Status::napi_ok
            && sys::napi_create_string_utf8(env, c"MqttClient".as_ptr(), 10, &mut name)
                == sys::Status::napi_ok
            && sys::napi_async_init(env, func, name, &mut ctx) == sys::Status::napi_ok
    };
    if !ok {
        if !fref.is_null() {
            // SAFETY: the reference was made above on this environment.
            unsafe { sys::napi_delete_reference(env, fref) };
        }
        return false;
    }
    detach(client);
    let host = Host {
        func: fref,
        ctx,
        counted: true,
    };
    let kept = LOCAL
        .try_with(|l| {
            let mut l = l.borrow_mut();
            let local = l.as_mut()?;
            local.hosts.insert(client, host);
            local.node = node;
            local.active += 1;
            if local.active == 1 {
                // SAFETY: the function is alive while `LOCAL` holds it.
                unsafe { sys::napi_ref_threadsafe_function(local.env, local.tsfn.0) };
            }
            Some(())
        })
        .ok()
        .flatten();
    if kept.is_none() {
        // SAFETY: made above on this environment, not kept.
        unsafe {
            sys::napi_async_destroy(env, ctx);
            sys::napi_delete_reference(env, fref);
        }
    }
    kept.is_some()
}

fn uncount(local: &mut Local, client: u32) {
    if let Some(h) = local.hosts.get_mut(&client) {
        if std::mem::take(&mut h.counted) {
            local.active -= 1;
            if local.active == 0 {
                // SAFETY: the function is alive while `LOCAL` holds it.
                unsafe { sys::napi_unref_threadsafe_function(local.env, local.tsfn.0) };
            }
        }
    }
}

/// Client `client` has finished: it no longer keeps the loop alive (its drain function
/// stays until [`detach`]).
pub(super) fn finished(client: u32) {
    let _ = LOCAL.try_with(|l| {
        if let Some(local) = l.borrow_mut().as_mut() {
            uncount(local, client);
        }
    });
}

/// Forgets client `client`'s drain function. At thread exit (the table gone) there is
/// nothing left to do.
pub(super) fn detach(client: u32) {
    let _ = LOCAL.try_with(|l| {
        let mut l = l.borrow_mut();
        let Some(local) = l.as_mut() else { return };
        uncount(local, client);
        if let Some(h) = local.hosts.remove(&client) {
            // SAFETY: the reference and async context were made on this environment,
            // which is alive while `LOCAL` holds it.
            unsafe {
                sys::napi_async_destroy(local.env, h.ctx);
                sys::napi_delete_reference(local.env, h.func);
            }
        }
    });
}

/// Calls client `client`'s drain function, as Node calls a socket's listeners: in a
/// callback scope (so nextTicks and promises run after it), an exception becoming
/// `uncaughtException`.
pub(super) fn deliver(client: u32) {
    let Some((env, func, ctx)) = LOCAL
        .try_with(|l| {
            let l = l.borrow();
            let local = l.as_ref()?;
            local.hosts.get(&client).map(|h| (local.env, h.func, h.ctx))
        })
        .ok()
        .flatten()
    else {
        return;
    };
    // SAFETY: Node-API calls on the live environment of this thread, from a libuv or
    // threadsafe-function callback (outside JS), inside a handle scope opened here.
    unsafe {
        let mut scope = ptr::null_mut();
        if sys::napi_open_handle_scope(env, &mut scope) != sys::Status::napi_ok {
            return;
        }
        let mut f = ptr::null_mut();
        let mut global = ptr::null_mut();
        let mut result = ptr::null_mut();
        if sys::napi_get_reference_value(env, func, &mut f) == sys::Status::napi_ok
            && !f.is_null()
            && sys::napi_get_global(env, &mut global) == sys::Status::napi_ok
            && sys::napi_make_callback(env, ctx, global, f, 0, ptr::null(), &mut result)
                == sys::Status::napi_pending_exception
        {
            let mut err = ptr::null_mut();
            if sys::napi_get_and_clear_last_exception(env, &mut err) == sys::Status::napi_ok {
                sys::napi_fatal_exception(env, err);
            }
        }
        sys::napi_close_handle_scope(env, scope);
    }
}

unsafe extern "C" fn call_js(
    env: sys::napi_env,
    _js_callback: sys::napi_value,
    _context: *mut c_void,
    _data: *mut c_void,
) {
    // Null while the function is torn down with calls still queued: nobody drains then.
    if env.is_null() {
        return;
    }
    // A panic must not unwind into Node.
    let _ = std::panic::catch_unwind(|| {
        let Some(ready) = LOCAL
            .try_with(|l| l.borrow().as_ref().map(|l| l.ready.clone()))
            .ok()
            .flatten()
        else {
            return;
        };
        for client in ready.take() {
            deliver(client);
        }
    });
}

unsafe extern "C" fn on_finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` is the `Arc` leaked for the function in `make`; Node finalizes once.
    let ready = unsafe { Arc::from_raw(data as *const Ready) };
    ready.close();
}

unsafe extern "C" fn on_teardown(_arg: *mut c_void) {
    let Some(local) = LOCAL.try_with(|l| l.borrow_mut().take()).ok().flatten() else {
        return;
    };
    // Nothing may call the function from here on; then it goes.
    if let Some(t) = local.ready.close() {
        // SAFETY: taken out of the ready list under its lock: no other thread uses it.
        unsafe {
            sys::napi_release_threadsafe_function(t.0, sys::ThreadsafeFunctionReleaseMode::abort)
        };
    }
    for (_, h) in local.hosts {
        // SAFETY: made on this environment, which is still alive during its clean-up hooks.
        // Only Node's `napi_async_destroy` works there: Deno's needs a live V8 context, which
        // a terminating worker no longer has (V8 aborts the process: "Cannot create a handle
        // without a HandleScope"); elsewhere the context goes with the environment.
        unsafe {
            if local.node {
                sys::napi_async_destroy(local.env, h.ctx);
            }
            sys::napi_delete_reference(local.env, h.func);
        }
    }
}
