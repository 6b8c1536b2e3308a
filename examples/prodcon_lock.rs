//! "Producer-Consumer Using Lock" from the tutorial: two `Lock`s hand one
//! message at a time from a producer thread to a consumer thread.
//!
//! Run it with `cargo run --example prodcon_lock`.
//!
//! The producer stands for a program reading messages from the network: it
//! makes up ten random numbers (1 to 100), and the consumer, standing for a
//! program saving them to a database, stores each one. Between them is a
//! `Pipeline` with room for a single message and two [`Lock`]s:
//!
//! - `producer_lock` is free while the slot may be filled;
//! - `consumer_lock` is free while the slot holds a message to take. It
//!   starts acquired: there is nothing to take yet.
//!
//! `set_message` acquires the producer lock, stores the message and
//! releases the consumer lock; `get_message` acquires the consumer lock,
//! takes the message and releases the producer lock. Each lock is released
//! by the other thread than the one that acquired it, which a `Lock` allows
//! (it has no owner, as in Python; an `RLock` or a `Mutex` would refuse).
//! So the two threads take turns: the producer can get at most one message
//! ahead, and then waits in `set_message` until the consumer has taken the
//! previous one. When its ten messages are sent, the producer sends
//! `Message::Exit` (the tutorial's sentinel object), and the consumer
//! stops when it receives it.
//!
//! What differs from the tutorial's program:
//!
//! - The slot is a `Mutex<Option<Message>>`. Rust does not let two threads
//!   share a plain variable, and Python's `self.message` has no Rust
//!   equivalent without `unsafe`. The mutex is never waited for (the two
//!   `Lock`s already let only one thread at a time near the slot); it is
//!   there for the compiler, the `Lock`s do the hand-off. Taking the message
//!   out (`Option::take`) also means a message cannot be read twice.
//! - The tutorial runs the two functions on a `ThreadPoolExecutor` with two
//!   workers; here they are two [`Thread`]s named "Producer" and
//!   "Consumer", and their return values (what each sent and stored) come
//!   back to the main thread, which checks that the consumer stored exactly
//!   what the producer sent, in order, and exits with an error otherwise.
//! - Each thread says when it is done, and the main thread ends with the
//!   counts.
//!
//! With `PYTHREADING_LOG=debug`, the pipeline logs every step of the
//! hand-off ("Producer:about to acquire setlock", ...), as the tutorial's
//! does at level DEBUG. The numbers change from run to run, and so does how
//! the lines of the two threads interleave; one possible run:
//!
//! ```text
//! 10:21:07: Producer got message: 32
//! 10:21:07: Producer got message: 51
//! 10:21:07: Consumer storing message: 32
//! 10:21:07: Producer got message: 25
//! 10:21:07: Consumer storing message: 51
//! 10:21:07: Producer got message: 94
//! 10:21:07: Consumer storing message: 25
//! ...
//! 10:21:07: Producer got message: 7
//! 10:21:07: Consumer storing message: 68
//! 10:21:07: Producer sent the sentinel. Exiting
//! 10:21:07: Consumer storing message: 7
//! 10:21:07: Consumer received the sentinel. Exiting
//! 10:21:07: Main: produced 10, consumed 10
//! 10:21:07: Main: every message produced was consumed, in order
//! ```

use std::error::Error;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use log::{debug, info};
use pythreading::{Lock, ShutdownGuard, SyncError, Thread, current_thread};
use pythreading_examples::{Rng, check_delivery};

/// How many messages the producer sends before the sentinel.
const MESSAGES: usize = 10;

/// What goes through the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Message {
    /// A number "from the network".
    Value(u32),
    /// No more messages: the tutorial's `SENTINEL`.
    Exit,
}

/// Passes one message at a time from one thread to another.
#[derive(Debug)]
struct Pipeline {
    /// The message in transit; `None` once taken.
    message: Mutex<Option<Message>>,
    /// Free while the slot may be filled.
    producer_lock: Lock,
    /// Free while the slot holds a message to take.
    consumer_lock: Lock,
}

impl Pipeline {
    fn new() -> Self {
        let consumer_lock = Lock::new();
        // Nothing to take yet: the consumer waits for the first message.
        consumer_lock.acquire();
        Self {
            message: Mutex::new(None),
            producer_lock: Lock::new(),
            consumer_lock,
        }
    }

    /// The slot. A panic while it is held cannot leave it half-written (it
    /// is only ever replaced whole), so a poisoned mutex is used as is.
    fn slot(&self) -> MutexGuard<'_, Option<Message>> {
        self.message.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until the consumer has taken the previous message, then hands
    /// over `message`.
    fn set_message(&self, message: Message) -> Result<(), SyncError> {
        let name = current_thread().name();
        debug!("{name}:about to acquire setlock");
        self.producer_lock.acquire();
        debug!("{name}:have setlock");
        *self.slot() = Some(message);
        debug!("{name}:about to release getlock");
        // Acquired in `new` or by the consumer's last `get_message`.
        self.consumer_lock.release()?;
        debug!("{name}:getlock released");
        Ok(())
    }

    /// Waits for a message and takes it, letting the producer send the next.
    fn get_message(&self) -> Result<Message, SyncError> {
        let name = current_thread().name();
        debug!("{name}:about to acquire getlock");
        self.consumer_lock.acquire();
        debug!("{name}:have getlock");
        let message = self
            .slot()
            .take()
            .expect("the producer stores a message before releasing the consumer lock");
        debug!("{name}:about to release setlock");
        // Acquired by the producer's last `set_message`.
        self.producer_lock.release()?;
        debug!("{name}:setlock released");
        Ok(message)
    }
}

/// Pretends to get messages from the network; returns what it sent.
fn producer(pipeline: &Pipeline) -> Result<Vec<u32>, SyncError> {
    let mut rng = Rng::from_clock();
    let mut sent = Vec::with_capacity(MESSAGES);
    for _ in 0..MESSAGES {
        let message = rng.randint(1, 100);
        info!("Producer got message: {message}");
        pipeline.set_message(Message::Value(message))?;
        sent.push(message);
    }
    // Tell the consumer there is nothing more.
    pipeline.set_message(Message::Exit)?;
    info!("Producer sent the sentinel. Exiting");
    Ok(sent)
}

/// Pretends to save the messages in a database; returns what it stored.
fn consumer(pipeline: &Pipeline) -> Result<Vec<u32>, SyncError> {
    let mut stored = Vec::with_capacity(MESSAGES);
    while let Message::Value(message) = pipeline.get_message()? {
        info!("Consumer storing message: {message}");
        stored.push(message);
    }
    info!("Consumer received the sentinel. Exiting");
    Ok(stored)
}

fn main() -> Result<(), Box<dyn Error>> {
    // Dropped last: would wait for a thread left unjoined.
    let _main = ShutdownGuard::new();
    pythreading_examples::init_logging();

    let pipeline = Arc::new(Pipeline::new());
    let producer = {
        let pipeline = Arc::clone(&pipeline);
        Thread::builder()
            .name("Producer")
            .spawn(move || producer(&pipeline))?
    };
    let consumer = {
        let pipeline = Arc::clone(&pipeline);
        Thread::builder()
            .name("Consumer")
            .spawn(move || consumer(&pipeline))?
    };
    let produced = producer.into_result()??;
    let consumed = consumer.into_result()??;

    check_delivery(&produced, &consumed)
}
