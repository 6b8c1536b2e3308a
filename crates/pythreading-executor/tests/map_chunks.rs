//! `MapOptions::chunksize`: items go to the workers a chunk at a time,
//! results still come one by one, in input order, each item's own.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{
    PATIENCE, bounded, capture_excepthook, gate, named_pool, reports_containing, wait_running,
    wait_until,
};
use pythreading_executor::{ExecutorError, MapOptions, TaskError, ThreadPoolExecutor};

fn chunked(n: usize) -> MapOptions {
    MapOptions::new().chunksize(n)
}

#[test]
fn results_come_in_input_order_for_every_chunk_size() {
    let pool = ThreadPoolExecutor::new(3).unwrap();
    for len in [0usize, 1, 2, 7, 100, 1001] {
        for size in [1usize, 2, 3, 10, 64, 5000] {
            let results: Vec<_> = bounded("a chunked map", {
                let pool_results = pool
                    .map_with(|n: usize| n * 3, 0..len, chunked(size))
                    .unwrap();
                move || pool_results.collect::<Vec<_>>()
            });
            let expected: Vec<_> = (0..len).map(|n| Ok(n * 3)).collect();
            assert_eq!(results, expected, "{len} items in chunks of {size}");
        }
    }
}

#[test]
fn a_chunk_is_one_task() {
    let pool = named_pool(2, "chunk-tasks");
    let results: Vec<_> = pool
        .map_with(|n: u32| n, 0..1000, chunked(100))
        .unwrap()
        .collect();
    assert_eq!(results.len(), 1000);
    wait_until("the pool counts its tasks", || {
        pool.stats().completed_tasks == 10
    });
}

#[test]
fn chunksize_zero_is_refused() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let refused = pool.map_with(|n: u32| n, [1, 2], chunked(0)).unwrap_err();
    assert!(matches!(refused, ExecutorError::InvalidChunkSize));
    assert_eq!(refused.to_string(), "chunksize must be >= 1.");
    assert_eq!(chunked(0).get_chunksize(), Some(0));
    assert_eq!(MapOptions::new().get_chunksize(), None);
}

#[test]
fn a_panicking_item_fails_alone_and_its_chunk_goes_on() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let results: Vec<_> = pool
        .map_with(
            |n: u32| if n % 4 == 1 { panic!("item {n}") } else { n },
            0..8,
            chunked(3),
        )
        .unwrap()
        .collect();
    let expected: Vec<_> = (0..8)
        .map(|n| {
            if n % 4 == 1 {
                Err(TaskError::Panicked(format!("item {n}")))
            } else {
                Ok(n)
            }
        })
        .collect();
    assert_eq!(results, expected);
}

/// Every placement of panics among up to 6 items (none, all, runs of
/// them, at a chunk's start or end), in chunks of 1 to 6: each item gets
/// its own value or its own panic, in input order, and the size hint is
/// exact before every result.
#[test]
fn every_placement_of_panics_keeps_each_item_its_own_result() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    for len in 0..=6u32 {
        for size in [1usize, 2, 3, 6] {
            for mask in 0..(1u32 << len) {
                let panics = move |n: u32| mask & (1 << n) != 0;
                let mut results = pool
                    .map_with(
                        move |n: u32| if panics(n) { panic!("item {n}") } else { n * 2 },
                        0..len,
                        chunked(size),
                    )
                    .unwrap();
                for n in 0..len {
                    let left = (len - n) as usize;
                    assert_eq!(results.size_hint(), (left, Some(left)));
                    let expected = if panics(n) {
                        Err(TaskError::Panicked(format!("item {n}")))
                    } else {
                        Ok(n * 2)
                    };
                    assert_eq!(
                        results.next(),
                        Some(expected),
                        "item {n} of {len} in chunks of {size}, panics {mask:b}"
                    );
                }
                assert_eq!(results.size_hint(), (0, Some(0)));
                assert_eq!(results.next(), None);
            }
        }
    }
}

/// The size hint holds before every result whatever the timeout: zero
/// (with the only worker busy, the map times out at once), one that may
/// pass midway, and `Duration::MAX` (no limit: the hint is exact).
#[test]
fn the_size_hint_holds_before_every_result_with_any_timeout() {
    for timeout in [Duration::ZERO, Duration::from_millis(1), Duration::MAX] {
        for chunksize in [1usize, 3] {
            let pool = ThreadPoolExecutor::new(1).unwrap();
            let gate = gate();
            let opener = Arc::clone(&gate);
            let busy = pool
                .submit(move || opener.wait_timeout(Duration::from_millis(5)))
                .unwrap();
            let options = chunked(chunksize).timeout(timeout);
            let mut results = pool.map_with(|n: u32| n, 0..10, options).unwrap();
            let mut hints = Vec::new();
            let mut yielded = Vec::new();
            loop {
                hints.push(results.size_hint());
                match results.next() {
                    Some(result) => yielded.push(result),
                    None => break,
                }
            }
            let total = yielded.len();
            for (taken, (low, high)) in hints.iter().enumerate() {
                let left = total - taken;
                assert!(
                    *low <= left && high.is_none_or(|high| left <= high),
                    "timeout {timeout:?}, chunks of {chunksize}: hint {:?} with {left} left",
                    (low, high)
                );
            }
            if timeout == Duration::MAX {
                assert_eq!(total, 10);
                assert_eq!(hints[0], (10, Some(10)), "no limit: exact");
            }
            drop(busy);
            gate.set();
        }
    }
}

#[test]
fn an_item_panic_nobody_reads_is_reported_once() {
    let reports = capture_excepthook();
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let mut results = pool
        .map_with(
            |n: u32| {
                if n == 2 {
                    panic!("unread chunk item")
                } else {
                    n
                }
            },
            0..4,
            chunked(4),
        )
        .unwrap();
    // Reads the first result (the whole chunk is in), drops the rest.
    assert_eq!(results.next(), Some(Ok(0)));
    drop(results);
    let unread = reports_containing(reports, "unread chunk item");
    assert_eq!(unread.len(), 1, "{unread:?}");
    assert!(
        unread[0]
            .1
            .starts_with("A task's panic was never retrieved"),
        "{unread:?}"
    );
}

#[test]
fn a_buffered_chunked_map_pulls_its_input_a_chunk_at_a_time() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&pulled);
    let items = (0..).inspect(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let options = chunked(5).buffersize(2);
    let mut results = pool.map_with(|n: u64| n + 1, items, options).unwrap();
    assert_eq!(
        pulled.load(Ordering::SeqCst),
        10,
        "two chunks of five at the call"
    );
    let first: Vec<_> = results.by_ref().take(5).map(Result::unwrap).collect();
    assert_eq!(first, [1, 2, 3, 4, 5]);
    // Taking the first chunk's results submitted one more chunk.
    assert_eq!(pulled.load(Ordering::SeqCst), 15);
    assert_eq!(results.size_hint().0, 10, "the two chunks in flight");
    assert_eq!(results.next(), Some(Ok(6)));
    assert_eq!(pulled.load(Ordering::SeqCst), 20);
}

#[test]
fn cancelled_chunks_yield_an_error_for_each_item() {
    let outcome = bounded("a cancelled chunked map", || {
        let pool = ThreadPoolExecutor::new(1).unwrap();
        let gate = gate();
        let opener = Arc::clone(&gate);
        let busy = pool.submit(move || opener.wait()).unwrap();
        wait_running(&busy);
        let results = pool.map_with(|n: u32| n, 0..5, chunked(2)).unwrap();
        assert_eq!(results.size_hint(), (5, Some(5)), "exact without a timeout");
        pool.shutdown(false, true);
        gate.set();
        busy.result().unwrap();
        results.collect::<Vec<_>>()
    });
    assert_eq!(outcome, vec![Err(TaskError::Cancelled); 5]);
}

#[test]
fn a_chunk_late_for_the_timeout_ends_the_map_once() {
    let outcome = bounded("a chunked map timing out", || {
        let pool = ThreadPoolExecutor::new(1).unwrap();
        let gate = gate();
        let opener = Arc::clone(&gate);
        // Generous: the first chunk must be done within it on a busy machine.
        let options = chunked(2).timeout(Duration::from_secs(2));
        let results = pool
            .map_with(
                move |n: u32| {
                    if n == 2 {
                        opener.wait_timeout(PATIENCE);
                    }
                    n
                },
                0..6,
                options,
            )
            .unwrap();
        let collected: Vec<_> = results.collect();
        gate.set();
        collected
    });
    assert_eq!(outcome, vec![Ok(0), Ok(1), Err(TaskError::Timeout)]);
}
