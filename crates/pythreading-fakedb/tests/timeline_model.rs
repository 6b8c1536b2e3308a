//! A model test of the timeline's analysis: for any interleaving of the
//! threads' reads and writes, simulated here step by step, the overwrites
//! it finds are exactly the writes that replaced a value their thread had
//! not read, and they add up to the updates lost: finished updates minus
//! the final value.

use std::time::Duration;

use proptest::prelude::*;
use pythreading_fakedb::{Event, Step, Timeline};

/// Plays `schedule` (each entry picks one of the threads that still have
/// steps to run) over `updates[t]` updates per thread `t`, each update
/// being a read and, later, a write of the copy plus one. Returns the
/// events, the final value and the number of updates.
fn simulate(updates: &[usize], schedule: &[usize]) -> (Vec<Event>, i64, i64) {
    // Per thread: steps left (2 per update) and the local copy.
    let mut left: Vec<usize> = updates.iter().map(|u| u * 2).collect();
    let mut local: Vec<Option<i64>> = vec![None; updates.len()];
    let mut value = 0_i64;
    let mut events = Vec::new();
    let mut picks = schedule.iter().copied().cycle();
    let mut ms = 0;
    while left.iter().any(|&l| l > 0) {
        let active: Vec<usize> = (0..left.len()).filter(|&t| left[t] > 0).collect();
        let t = active[picks.next().unwrap_or(0) % active.len()];
        let (step, local_copy, replaced) = match local[t] {
            None => {
                local[t] = Some(value);
                (Step::Read, Some(value), None)
            }
            Some(read) => {
                let replaced = value;
                value = read + 1;
                local[t] = None;
                (Step::Write, Some(read + 1), Some(replaced))
            }
        };
        left[t] -= 1;
        ms += 1;
        events.push(Event {
            at: Duration::from_millis(ms),
            thread: format!("worker-{t}"),
            name: t,
            step,
            local_copy,
            value,
            replaced,
        });
    }
    let total = updates.iter().sum::<usize>() as i64;
    (events, value, total)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn overwrites_account_for_every_lost_update(
        updates in prop::collection::vec(1_usize..4, 1..6),
        schedule in prop::collection::vec(0_usize..64, 1..40),
    ) {
        let (events, final_value, total) = simulate(&updates, &schedule);
        let timeline = Timeline::new(events.clone(), Duration::from_millis(1));
        prop_assert_eq!(timeline.lost_updates(), total - final_value);

        let overwrites = timeline.overwrites();
        // Exactly the writes that replaced something other than what
        // their thread read.
        let expected: Vec<usize> = events
            .iter()
            .enumerate()
            .filter(|(_, e)| e.step == Step::Write && e.replaced != e.local_copy.map(|c| c - 1))
            .map(|(i, _)| i)
            .collect();
        let found: Vec<usize> = overwrites.iter().map(|o| o.write).collect();
        prop_assert_eq!(found, expected);

        for overwrite in &overwrites {
            let write = &events[overwrite.write];
            prop_assert_eq!(write.step, Step::Write);
            prop_assert_eq!(Some(overwrite.written), write.local_copy);
            prop_assert_eq!(Some(overwrite.replaced), write.replaced);
            prop_assert_eq!(overwrite.read + 1, overwrite.written);
            prop_assert_ne!(overwrite.replaced, overwrite.read);
            // Something was written in between, by other threads only.
            prop_assert!(!overwrite.overwritten.is_empty());
            for &i in &overwrite.overwritten {
                prop_assert!(i < overwrite.write);
                prop_assert_eq!(events[i].step, Step::Write);
                prop_assert_ne!(&events[i].thread, &write.thread);
            }
            prop_assert!(timeline.describe(overwrite).starts_with("overwrites "));
        }

        // The table: a header and one line per event, each overwrite noted.
        let table = timeline.to_string();
        prop_assert_eq!(table.lines().count(), events.len() + 1);
        prop_assert_eq!(table.matches("<- overwrites").count(), overwrites.len());
        prop_assert_eq!(timeline.threads().len(), updates.len());
    }
}

fn event(name: usize, step: Step, local_copy: i64, value: i64, replaced: Option<i64>) -> Event {
    Event {
        at: Duration::ZERO,
        thread: format!("T{name}"),
        name,
        step,
        local_copy: Some(local_copy),
        value,
        replaced,
    }
}

/// Two writes wiped out by one: the note names both threads.
#[test]
fn describe_names_every_overwritten_thread() {
    let timeline = Timeline::new(
        vec![
            event(0, Step::Read, 0, 0, None),
            event(1, Step::Read, 0, 0, None),
            event(2, Step::Read, 0, 0, None),
            event(1, Step::Write, 1, 1, Some(0)),
            event(3, Step::Read, 1, 1, None),
            event(3, Step::Write, 2, 2, Some(1)),
            event(2, Step::Write, 1, 1, Some(2)),
            event(0, Step::Write, 1, 1, Some(1)),
        ],
        Duration::from_millis(100),
    );
    let overwrites = timeline.overwrites();
    assert_eq!(overwrites.len(), 2);
    assert_eq!(
        timeline.describe(&overwrites[0]),
        "overwrites the updates of Thread 1 and Thread 3: 2 lost"
    );
    assert_eq!(
        timeline.describe(&overwrites[1]),
        "overwrites the updates of Thread 1, Thread 3 and Thread 2: 1 lost"
    );
    assert_eq!(timeline.lost_updates(), 3);
}

/// A write over a smaller value than it read gives updates back.
#[test]
fn describe_a_write_that_restores() {
    let timeline = Timeline::new(
        vec![
            event(0, Step::Read, 0, 0, None),
            event(1, Step::Read, 0, 0, None),
            event(1, Step::Write, 1, 1, Some(0)),
            event(2, Step::Read, 1, 1, None),
            event(0, Step::Write, 1, 1, Some(1)),
            event(2, Step::Write, 2, 2, Some(1)),
        ],
        Duration::from_millis(100),
    );
    // Thread 0's write lands over Thread 1's 1 with its own 1: lost one.
    // Thread 2 read 1 and finds 1: nothing lost.
    let overwrites = timeline.overwrites();
    assert_eq!(overwrites.len(), 1);
    assert_eq!(timeline.lost_updates(), 1);

    let restoring = Timeline::new(
        vec![
            event(0, Step::Read, 0, 0, None),
            event(1, Step::Read, 0, 0, None),
            event(1, Step::Write, 1, 1, Some(0)),
            event(2, Step::Read, 1, 1, None),
            event(2, Step::Write, 2, 2, Some(1)),
            event(3, Step::Read, 2, 2, None),
            event(0, Step::Write, 1, 1, Some(2)),
            event(3, Step::Write, 3, 3, Some(1)),
        ],
        Duration::from_millis(100),
    );
    let overwrites = restoring.overwrites();
    assert_eq!(overwrites.len(), 2);
    assert_eq!(overwrites[0].lost(), 2);
    assert_eq!(overwrites[1].lost(), -1);
    assert_eq!(
        restoring.describe(&overwrites[1]),
        "overwrites Thread 0's update: 1 restored"
    );
    assert_eq!(restoring.lost_updates(), 1); // 4 updates, value 3
}

#[test]
fn steps_display_as_statements() {
    assert_eq!(Step::Read.to_string(), "local_copy = value");
    assert_eq!(Step::Write.to_string(), "value = local_copy");
    assert_eq!(format!("{:>18}", Step::Increment), "   local_copy += 1");
    let timeline = Timeline::new(Vec::new(), Duration::from_millis(100));
    let sleep = event(0, Step::Sleep, 1, 0, None);
    assert_eq!(timeline.statement(&sleep), "sleep(100ms)");
    assert!(timeline.threads().is_empty());
    assert_eq!(timeline.lost_updates(), 0);
}
