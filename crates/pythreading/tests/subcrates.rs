//! Every re-export path the API contract promises resolves and works: the
//! facade's root for the threads of `pythreading-core`, and the member crate
//! itself. A broken path fails to compile here.

use std::time::Duration;

#[test]
fn thread_items_through_the_facade_root() {
    let _guard: Option<pythreading::ShutdownGuard> = None;
    let t: pythreading::Thread<u8> = pythreading::Thread::builder().name("facade").build(|| 7);
    let builder: pythreading::ThreadBuilder = pythreading::ThreadBuilder::new();
    drop(builder);
    t.start().unwrap();
    let handle: pythreading::ThreadRef = t.handle();
    assert!(handle.join_timeout(Duration::from_secs(60)).unwrap());
    assert_eq!(t.into_result().unwrap(), 7);

    let err: pythreading::ThreadError = pythreading::ThreadError::NotStarted;
    assert_eq!(err.to_string(), "cannot join thread before it is started");
    assert!(pythreading::active_count() >= 1);
    assert!(!pythreading::enumerate().is_empty());
    assert_eq!(pythreading::main_thread().name(), "MainThread");
    assert_eq!(
        pythreading::current_thread().ident(),
        Some(pythreading::get_ident())
    );
    assert!(pythreading::get_native_id() > 0);
    pythreading::register_atexit(|| ());
    let local: pythreading::Local<u8> = pythreading::Local::new();
    assert_eq!(local.with(|v| *v), 0);
    let _hook: fn(&pythreading::ExceptHookArgs) = pythreading::default_excepthook;
    let _set: fn(fn(&pythreading::ExceptHookArgs)) = pythreading::set_excepthook;
    let _shutdown: fn() = pythreading::shutdown;
}

#[test]
fn thread_items_through_the_member_crate() {
    let t = pythreading_core::Thread::new(|| pythreading_core::current_thread().name());
    t.start().unwrap();
    assert!(t.into_result().unwrap().starts_with("Thread-"));
}

#[cfg(feature = "sync")]
#[test]
fn sync_items_through_every_path() {
    // pythreading::sync::X, pythreading::X (as Python's threading.X) and
    // pythreading_sync::X name the same types.
    let lock: pythreading::sync::Lock = pythreading::Lock::new();
    let _same: &pythreading_sync::Lock = &lock;
    drop(lock.guard());
    let rlock: pythreading::sync::RLock = pythreading::RLock::new();
    drop(rlock.guard());
    let cond: pythreading::sync::Condition = pythreading::Condition::new();
    assert_eq!(cond.notify(1), Err(pythreading::SyncError::NotOwner));
    let sem: pythreading::sync::Semaphore = pythreading::Semaphore::new(1);
    drop(sem.guard());
    let bounded: pythreading::sync::BoundedSemaphore = pythreading::BoundedSemaphore::new(1);
    assert_eq!(
        bounded.release(),
        Err(pythreading::sync::SyncError::TooManyReleases)
    );
    let event: pythreading::sync::Event = pythreading::Event::new();
    event.set();
    assert!(event.wait_timeout(Duration::ZERO));
    let _guards: (
        Option<pythreading::sync::LockGuard<'_>>,
        Option<pythreading::sync::RLockGuard<'_>>,
        Option<pythreading::sync::SemaphoreGuard<'_>>,
        Option<pythreading::sync::ConditionGuard<'_>>,
    ) = (None, None, None, None);
    let barrier: pythreading::sync::Barrier = pythreading::Barrier::new(1).unwrap();
    assert_eq!(barrier.wait(), Ok(0));
    let _error: pythreading_sync::SyncError = pythreading::SyncError::ReleaseUnlocked;
    let timer: pythreading::sync::Timer = pythreading::Timer::new(Duration::ZERO, || ());
    let _same: &pythreading_sync::Timer = &timer;
    timer.cancel();
    timer.start().unwrap();
    assert!(timer.cancelled());
}

#[cfg(feature = "sync")]
#[test]
fn queue_items_through_every_path() {
    use pythreading::queue::{GetError, LifoQueue, PriorityQueue, PutError, Queue};
    let fifo: Queue<u8> = Queue::new(1);
    let _same: &pythreading_sync::queue::Queue<u8> = &fifo;
    fifo.put(1).unwrap();
    let refused: PutError<u8> = fifo.put_nowait(2).unwrap_err();
    assert!(matches!(refused, PutError::Full(2)));
    assert_eq!(fifo.get(), Ok(1));
    assert_eq!(fifo.get_nowait(), Err(GetError::Empty));
    let lifo: LifoQueue<u8> = LifoQueue::new(0);
    lifo.put(1).unwrap();
    lifo.put(2).unwrap();
    assert_eq!(lifo.shutdown(true), vec![2, 1]);
    let heap: PriorityQueue<u8> = PriorityQueue::new(0);
    heap.put(3).unwrap();
    heap.put(1).unwrap();
    assert_eq!(heap.get(), Ok(1));
    assert!(heap.shutdown(false).is_empty());
    assert_eq!(heap.get(), Ok(3));
    assert_eq!(heap.get(), Err(GetError::ShutDown));
    assert!(matches!(heap.put(4), Err(PutError::ShutDown(4))));
}

#[cfg(feature = "executor")]
#[test]
fn futures_items_through_every_path() {
    use pythreading::futures::{
        AsCompleted, ExecutorError, Future, FutureState, ReturnWhen, TaskError, ThreadPoolExecutor,
        WaitResult, as_completed, wait,
    };
    assert!(matches!(
        ThreadPoolExecutor::new(0),
        Err(ExecutorError::InvalidMaxWorkers)
    ));
    let executor = ThreadPoolExecutor::builder()
        .max_workers(2)
        .thread_name_prefix("facade")
        .build()
        .unwrap();
    let _same: &pythreading_executor::ThreadPoolExecutor = &executor;
    let future: Future<String> = executor
        .submit(|| pythreading::current_thread().name())
        .unwrap();
    let waited: WaitResult = wait(
        std::slice::from_ref(&future),
        None,
        ReturnWhen::AllCompleted,
    );
    assert_eq!(waited.done, vec![0]);
    assert_eq!(future.state(), FutureState::Finished);
    assert_eq!(future.result(), Ok("facade_0".to_string()));
    let failing = executor
        .submit(|| -> u8 { panic!("facade panic") })
        .unwrap();
    let mut completed: AsCompleted<u8> = as_completed(vec![failing], Some(Duration::from_secs(30)));
    let outcome = completed.next().unwrap().unwrap().result();
    assert_eq!(outcome, Err(TaskError::Panicked("facade panic".into())));
    let doubled: Vec<u8> = executor
        .map(|n: u8| n * 2, [1, 2])
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(doubled, [2, 4]);
    executor.shutdown(true, false);
    assert!(matches!(
        executor.submit(|| 0),
        Err(ExecutorError::ShutDown)
    ));
}
