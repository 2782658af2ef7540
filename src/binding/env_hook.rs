//! A cleanup hook for the JS environment whose data is freed when the hook is removed.
//! napi-rs 3.16's `remove_env_cleanup_hook` unregisters its hook but never frees the box it
//! made for the hook's data, and the `Weak` in it kept each client's `Shared` allocation: about
//! 1.6 KB of native memory per client (found with heaptrack). This one keeps the box itself
//! and takes it back on removal.

use std::ffi::c_void;

use napi::{sys, Env};

struct Data<T> {
    value: T,
    run: fn(T),
}

/// A registered hook: `run(value)` at the environment's teardown, unless removed first.
pub(super) struct EnvHook<T: 'static> {
    data: *mut Data<T>,
}

unsafe extern "C" fn on_teardown<T: 'static>(arg: *mut c_void) {
    // SAFETY: `arg` is the box `EnvHook::add` leaked and registered; Node calls a hook at
    // most once, and only while it is registered (`remove` unregisters it before freeing).
    let data = unsafe { Box::from_raw(arg.cast::<Data<T>>()) };
    (data.run)(data.value);
}

impl<T: 'static> EnvHook<T> {
    /// Registers `run(value)` for the teardown of `env`; None if Node refuses.
    pub(super) fn add(env: &Env, value: T, run: fn(T)) -> Option<Self> {
        let data = Box::into_raw(Box::new(Data { value, run }));
        // SAFETY: `env` is the live environment of this thread (we are called from JS);
        // `data` stays valid until `on_teardown` or `remove` takes it back.
        let status = unsafe {
            sys::napi_add_env_cleanup_hook(env.raw(), Some(on_teardown::<T>), data.cast())
        };
        if status != sys::Status::napi_ok {
            // SAFETY: not registered, so still ours alone.
            drop(unsafe { Box::from_raw(data) });
            return None;
        }
        Some(EnvHook { data })
    }

    /// Unregisters the hook and frees its data. Called on the environment's thread, before
    /// its teardown (JS is still running), so the hook has not run.
    pub(super) fn remove(self, env: &Env) {
        // SAFETY: the same environment, function and argument as registered.
        let status = unsafe {
            sys::napi_remove_env_cleanup_hook(env.raw(), Some(on_teardown::<T>), self.data.cast())
        };
        if status == sys::Status::napi_ok {
            // SAFETY: unregistered: Node no longer holds the pointer, and it ran not.
            drop(unsafe { Box::from_raw(self.data) });
        }
    }
}
