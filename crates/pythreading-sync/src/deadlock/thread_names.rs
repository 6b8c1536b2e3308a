//! The names of the threads in a report.

use std::collections::BTreeMap;

/// Thread names, looked up without registering anything: a thread started
/// by pythreading, the main thread, or a thread already seen by
/// `current_thread()` has its pythreading name (as it is now); any other
/// thread its std name, or `thread <ident>`. (Calling `current_thread()`
/// here would register a dummy thread for every foreign thread that ever
/// waited for a lock.)
pub(crate) struct Names(BTreeMap<u64, String>);

impl Names {
    pub(crate) fn now() -> Self {
        Self(
            pythreading_core::enumerate()
                .into_iter()
                .filter_map(|t| Some((t.ident()?, t.name())))
                .collect(),
        )
    }

    pub(crate) fn of(&self, ident: u64, thread: &std::thread::Thread) -> String {
        match (self.0.get(&ident), thread.name()) {
            (Some(name), _) => name.clone(),
            (None, Some(name)) => name.to_owned(),
            (None, None) => format!("thread {ident}"),
        }
    }
}
