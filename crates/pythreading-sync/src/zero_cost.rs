//! Without the `deadlock-detection` feature the hooks cost nothing: no lock
//! grows. A check of the crate's layout, so it names both the hooks and the
//! locks (which is why it is not in `track`: the hooks take nothing from
//! the locks).

/// With the feature off the hooks take no room, so no lock grows.
#[test]
fn off_is_zero_sized() {
    assert_eq!(std::mem::size_of::<crate::track::Tracker>(), 0);
    assert_eq!(
        std::mem::size_of::<crate::lock::Lock>(),
        std::mem::size_of::<crate::raw_lock::RawLock>()
    );
}
