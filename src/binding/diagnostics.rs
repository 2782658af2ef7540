//! Numbers for tests about the process's native memory.

use napi_derive::napi;

/// Bytes the C allocator has handed out and not had back (glibc's `mallinfo2().uordblks`):
/// native memory alone, unlike RSS, which also holds V8's heap reservation and pages the
/// allocator keeps. `-1` where glibc is not the C library.
#[napi(catch_unwind)]
pub fn native_heap_bytes() -> f64 {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallinfo2 takes no arguments, only reads the allocator's counters, and
        // returns a plain struct by value; glibc has it since 2.33, looked up at run time
        // below so that a binary built against glibc 2.17 still loads on older systems.
        let f = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"mallinfo2".as_ptr()) };
        if f.is_null() {
            return -1.0;
        }
        // SAFETY: the symbol is glibc's mallinfo2, whose signature this is.
        let mallinfo2: extern "C" fn() -> libc::mallinfo2 = unsafe { std::mem::transmute(f) };
        mallinfo2().uordblks as f64
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        -1.0
    }
}
