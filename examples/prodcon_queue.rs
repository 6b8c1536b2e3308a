//! "Producer-Consumer Using Queue" from the tutorial: a producer and a
//! consumer thread connected by a bounded [`Queue`], the producer stopped by
//! an [`Event`].
//!
//! Run it with `cargo run --example prodcon_queue`.
//!
//! The producer makes up random numbers (1 to 100), "messages from the
//! network", and puts them on a queue of at most ten; the consumer takes
//! them off and "stores them in a database". Unlike the one-slot pipeline of
//! `prodcon_lock`, the producer can get up to ten messages ahead, and
//! `put` blocks only while the queue is full. The main thread lets the two
//! run for a moment, then sets the event; the producer notices, stops, and
//! the consumer stores what is left in the queue before it stops too.
//!
//! Here the producer takes 5 ms per message and the consumer 10 ms, so the
//! queue visibly fills up (the consumer logs its size), the producer then
//! waits in `put` for room, and after the event the consumer drains the
//! last ten or so. The tutorial's threads do not sleep: in Python they are
//! slowed down by the GIL and by `logging`; in Rust the two threads would
//! print thousands of lines in the same time.
//!
//! # How the consumer knows it is done
//!
//! In the tutorial's program the consumer loops while "the event is not
//! set, or the queue is not empty". That test races with the producer:
//!
//! - the producer may have checked the event just before it was set and be
//!   about to put one last message. The consumer sees the event set and the
//!   queue empty, stops, and that last message is never stored;
//! - the consumer may find the event not yet set and call a blocking `get`
//!   on an empty queue just as the producer finds it set and stops without
//!   putting anything. The consumer then waits for ever.
//!
//! Both windows are narrow, but they are there. Polling with a timeout
//! would cure the second (the consumer wakes up to look at the event again)
//! but not the first: "event set and queue empty" does not mean "the
//! producer has put its last message". That is what the consumer needs to
//! know, and the queue can tell it: once the main thread has waited for the
//! producer to finish, it calls [`Queue::shutdown`] (`immediate = false`,
//! Python 3.13's `Queue.shutdown()`). After that `get` still returns the
//! messages left, then
//! [`GetError::ShutDown`](pythreading::queue::GetError::ShutDown): a consumer waiting in `get`
//! is woken, and it stops only when nothing is left, so the consumer needs
//! neither the event nor a timeout. The main thread, not the producer, calls
//! `shutdown`, so that the consumer is released however the producer ended
//! (even by a panic).
//!
//! The main thread gets back what each thread sent and stored, checks that
//! the consumer stored exactly what the producer sent, in order, and exits
//! with an error otherwise. The numbers and the counts change from run to
//! run; one possible run:
//!
//! ```text
//! 10:21:07: Producer got message: 89
//! 10:21:07: Consumer storing message: 89 (queue size=0)
//! 10:21:07: Producer got message: 12
//! 10:21:07: Consumer storing message: 12 (queue size=0)
//! 10:21:07: Producer got message: 41
//! 10:21:07: Producer got message: 66
//! 10:21:07: Consumer storing message: 41 (queue size=1)
//! ...
//! 10:21:07: Consumer storing message: 3 (queue size=9)
//! 10:21:07: Producer got message: 57
//! 10:21:07: Main: about to set event
//! 10:21:07: Consumer storing message: 20 (queue size=9)
//! 10:21:07: Producer received event. Exiting
//! 10:21:07: Consumer storing message: 74 (queue size=9)
//! ...
//! 10:21:07: Consumer storing message: 57 (queue size=0)
//! 10:21:07: Consumer received shutdown. Exiting
//! 10:21:07: Main: produced 40, consumed 40
//! 10:21:07: Main: every message produced was consumed, in order
//! ```

use std::error::Error;
use std::sync::Arc;
use std::thread::sleep;
use std::time::Duration;

use log::info;
use pythreading::queue::{PutError, Queue};
use pythreading::{Event, ShutdownGuard, Thread};
use pythreading_examples::{Rng, check_delivery};

/// The queue's bound, as in the tutorial.
const MAXSIZE: usize = 10;
/// How long getting one message "from the network" takes.
const RECEIVE: Duration = Duration::from_millis(5);
/// How long storing one message "in the database" takes: twice as long, so
/// the queue fills up.
const STORE: Duration = Duration::from_millis(10);
/// How long the main thread lets the two threads run before setting the event.
const RUN_FOR: Duration = Duration::from_millis(300);

/// Pretends to get messages from the network until `event` is set; returns
/// what it put on the queue.
fn producer(queue: &Queue<u32>, event: &Event) -> Result<Vec<u32>, PutError<u32>> {
    let mut rng = Rng::from_clock();
    let mut sent = Vec::new();
    while !event.is_set() {
        sleep(RECEIVE);
        let message = rng.randint(1, 100);
        info!("Producer got message: {message}");
        // Waits while the queue is full. The queue is shut down only after
        // this thread has finished, so this cannot fail.
        queue.put(message)?;
        sent.push(message);
    }
    info!("Producer received event. Exiting");
    Ok(sent)
}

/// Pretends to save the messages in a database until the queue is shut
/// down and empty; returns what it stored.
fn consumer(queue: &Queue<u32>) -> Vec<u32> {
    let mut stored = Vec::new();
    // A blocking `get` fails only with `GetError::ShutDown`, and only once
    // the queue is shut down and every message in it was taken.
    while let Ok(message) = queue.get() {
        info!(
            "Consumer storing message: {message} (queue size={})",
            queue.qsize()
        );
        sleep(STORE);
        stored.push(message);
    }
    info!("Consumer received shutdown. Exiting");
    stored
}

fn main() -> Result<(), Box<dyn Error>> {
    // Dropped last: would wait for a thread left unjoined.
    let _main = ShutdownGuard::new();
    pythreading_examples::init_logging();

    let queue = Arc::new(Queue::new(MAXSIZE));
    let event = Arc::new(Event::new());

    // The consumer first: should the producer fail to start, shutting the
    // queue down is enough to let the consumer finish.
    let consumer = {
        let queue = Arc::clone(&queue);
        Thread::builder()
            .name("Consumer")
            .spawn(move || consumer(&queue))?
    };
    let producer = {
        let queue = Arc::clone(&queue);
        let event = Arc::clone(&event);
        Thread::builder()
            .name("Producer")
            .spawn(move || producer(&queue, &event))
    };
    let producer = match producer {
        Ok(producer) => producer,
        Err(e) => {
            // Not immediate: nothing is removed, so nothing comes back.
            let _ = queue.shutdown(false);
            return Err(e.into());
        }
    };

    sleep(RUN_FOR);
    info!("Main: about to set event");
    event.set();
    // Once the producer has finished, nothing more will be put: shut the
    // queue down so that the consumer stops when it has taken the rest.
    let produced = producer.into_result();
    let _ = queue.shutdown(false);
    let consumed = consumer.into_result()?;
    let produced = produced??;

    check_delivery(&produced, &consumed)
}
