//! What only the operating system knows: the native thread id, and whether
//! the calling thread is the process's main thread.

#[cfg(any(target_os = "linux", target_os = "android"))]
mod imp {
    /// `gettid()`: the kernel's id of the calling thread.
    pub(crate) fn native_id() -> Option<u64> {
        Some(
            rustix::thread::gettid()
                .as_raw_nonzero()
                .get()
                .unsigned_abs()
                .into(),
        )
    }

    /// On Linux the main thread's id equals the process id.
    pub(crate) fn main_native_id() -> Option<u64> {
        Some(
            rustix::process::getpid()
                .as_raw_nonzero()
                .get()
                .unsigned_abs()
                .into(),
        )
    }

    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) fn is_main_thread() -> bool {
        rustix::thread::gettid() == rustix::process::getpid()
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod imp {
    /// No portable OS thread id without `unsafe`: the caller falls back to
    /// the thread's ident.
    pub(crate) fn native_id() -> Option<u64> {
        None
    }

    pub(crate) fn main_native_id() -> Option<u64> {
        None
    }

    /// The standard library names the main thread "main".
    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) fn is_main_thread() -> bool {
        std::thread::current().name() == Some("main")
    }
}

// Under loom every model thread runs on one OS thread, so the ident does
// not ask the OS whether it is the main thread.
#[cfg_attr(loom, allow(unused_imports))]
pub(crate) use imp::{is_main_thread, main_native_id, native_id};
