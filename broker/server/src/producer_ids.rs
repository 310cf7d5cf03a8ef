//! Producer ids for idempotent producers: this broker takes blocks of ids
//! from the controller (KRaft's AllocateProducerIds, in-process here) and
//! hands them out one by one, as Kafka's `RPCProducerIdManager` does.
//!
//! The next block is requested in the background once 90% of the current
//! one is used, so InitProducerId rarely waits for the controller. Ids are
//! unique across brokers and restarts because the controller commits every
//! block before returning it; ids left in a block when the broker stops are
//! simply never used.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use kavka_controller::{BrokerEpoch, BrokerId, ControllerError, ProducerIdBlock};
use tracing::{debug, warn};

use crate::broker::Broker;

/// A boxed, sendable future (what [`BlockSource::allocate`] returns).
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Where blocks come from: the controller in the broker, a fake in tests.
pub trait BlockSource: Send + Sync + 'static {
    fn allocate(&self) -> BoxFuture<Result<ProducerIdBlock, ControllerError>>;
}

/// No producer id could be handed out.
#[derive(Debug, thiserror::Error)]
#[error("cannot allocate a producer id block: {0}")]
pub struct ProducerIdError(#[source] pub ControllerError);

impl ProducerIdError {
    /// Every id below `i64::MAX` is used: retrying cannot help.
    pub fn is_exhausted(&self) -> bool {
        matches!(self.0, ControllerError::ProducerIdsExhausted { .. })
    }
}

/// The block being handed out: ids `next .. end`.
#[derive(Debug, Clone, Copy)]
struct Current {
    next: i64,
    end: i64,
    /// Handing out this id (or a later one) starts the prefetch.
    prefetch_at: i64,
}

impl Current {
    fn from_block(b: &ProducerIdBlock) -> Current {
        // Kafka prefetches once 90% of the block is used.
        let used_before_prefetch = i64::from(b.len) * 9 / 10;
        Current {
            next: b.first_id,
            end: b.end(),
            prefetch_at: b.first_id + used_before_prefetch,
        }
    }
}

/// What [`Blocks::take`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Take {
    /// An id; `prefetch`: the caller should start fetching the next block.
    Id { id: i64, prefetch: bool },
    /// No id left in any block held.
    Empty,
}

/// The pure bookkeeping: the current block, blocks fetched ahead, and
/// whether a prefetch is under way.
#[derive(Debug, Default)]
struct Blocks {
    current: Option<Current>,
    pending: VecDeque<ProducerIdBlock>,
    prefetching: bool,
}

impl Blocks {
    fn has_ids(&self) -> bool {
        self.current.is_some_and(|c| c.next < c.end) || !self.pending.is_empty()
    }

    fn take(&mut self) -> Take {
        if self.current.is_none_or(|c| c.next >= c.end) {
            match self.pending.pop_front() {
                Some(b) => self.current = Some(Current::from_block(&b)),
                None => return Take::Empty,
            }
        }
        let Some(cur) = self.current.as_mut() else {
            return Take::Empty;
        };
        let id = cur.next;
        cur.next += 1;
        let prefetch = id >= cur.prefetch_at && self.pending.is_empty() && !self.prefetching;
        if prefetch {
            self.prefetching = true;
        }
        Take::Id { id, prefetch }
    }

    fn install(&mut self, block: ProducerIdBlock) {
        if block.len > 0 {
            self.pending.push_back(block);
        }
    }
}

/// Hands out producer ids; shared by every connection of the broker.
#[derive(Debug, Default)]
pub struct ProducerIdManager {
    blocks: parking_lot::Mutex<Blocks>,
    /// One controller request at a time: concurrent callers that find no id
    /// wait for the request in flight instead of each taking a block.
    fetch: tokio::sync::Mutex<()>,
}

impl ProducerIdManager {
    pub fn new() -> Self {
        Self::default()
    }

    /// The next unused producer id. Waits for the controller only when no
    /// block is held (the first call, or ids handed out faster than the
    /// prefetch could replace them).
    pub async fn generate<S: BlockSource>(self: &Arc<Self>, source: &Arc<S>) -> Result<i64, ProducerIdError> {
        loop {
            let take = self.blocks.lock().take();
            match take {
                Take::Id { id, prefetch } => {
                    if prefetch {
                        tokio::spawn(Arc::clone(self).prefetch(Arc::clone(source)));
                    }
                    return Ok(id);
                }
                Take::Empty => {
                    let _turn = self.fetch.lock().await;
                    // Whoever held the turn may have installed a block.
                    if self.blocks.lock().has_ids() {
                        continue;
                    }
                    let block = source.allocate().await.map_err(ProducerIdError)?;
                    debug!(
                        first_id = block.first_id,
                        len = block.len,
                        "producer id block received"
                    );
                    self.blocks.lock().install(block);
                }
            }
        }
    }

    async fn prefetch<S: BlockSource>(self: Arc<Self>, source: Arc<S>) {
        let _turn = self.fetch.lock().await;
        // A caller that ran dry while we waited may have fetched already.
        let needed = self.blocks.lock().pending.is_empty();
        let result = if needed {
            Some(source.allocate().await)
        } else {
            None
        };
        let mut blocks = self.blocks.lock();
        blocks.prefetching = false;
        match result {
            Some(Ok(block)) => {
                debug!(
                    first_id = block.first_id,
                    len = block.len,
                    "producer id block prefetched"
                );
                blocks.install(block);
            }
            // The current block still has ids; the next take past the
            // threshold tries again, and running dry fetches inline.
            Some(Err(e)) => warn!(error = %e, "prefetching a producer id block failed"),
            None => {}
        }
    }
}

/// Blocks from the in-process controller, for this broker's current
/// registration.
pub struct ControllerBlocks(pub Arc<Broker>);

impl BlockSource for ControllerBlocks {
    fn allocate(&self) -> BoxFuture<Result<ProducerIdBlock, ControllerError>> {
        let broker = Arc::clone(&self.0);
        Box::pin(async move {
            let id = BrokerId(broker.node_id());
            let mut controller = broker.controller.lock().await;
            // An unregistered broker gets STALE_BROKER_EPOCH from the
            // controller, which names the problem.
            let epoch = controller.image().broker(id).map_or(BrokerEpoch(-1), |b| b.epoch);
            controller.allocate_producer_ids(id, epoch)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

    /// Hands out consecutive blocks of `len` ids, or fails while `fail` is set.
    struct Fake {
        len: i32,
        next: AtomicI64,
        calls: AtomicUsize,
        fail: std::sync::atomic::AtomicBool,
    }

    impl Fake {
        fn new(len: i32) -> Arc<Fake> {
            Arc::new(Fake {
                len,
                next: AtomicI64::new(0),
                calls: AtomicUsize::new(0),
                fail: Default::default(),
            })
        }
    }

    impl BlockSource for Fake {
        fn allocate(&self) -> BoxFuture<Result<ProducerIdBlock, ControllerError>> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let result = if self.fail.load(Ordering::SeqCst) {
                Err(ControllerError::Store("injected".into()))
            } else {
                let first_id = self.next.fetch_add(i64::from(self.len), Ordering::SeqCst);
                Ok(ProducerIdBlock {
                    broker: BrokerId(1),
                    first_id,
                    len: self.len,
                })
            };
            Box::pin(async move {
                tokio::task::yield_now().await;
                result
            })
        }
    }

    #[test]
    fn take_rolls_over_and_asks_for_prefetch_once() {
        let mut b = Blocks::default();
        assert_eq!(b.take(), Take::Empty);
        b.install(ProducerIdBlock {
            broker: BrokerId(1),
            first_id: 100,
            len: 10,
        });
        let mut prefetches = Vec::new();
        for want in 100..110 {
            match b.take() {
                Take::Id { id, prefetch } => {
                    assert_eq!(id, want);
                    if prefetch {
                        prefetches.push(id);
                    }
                }
                Take::Empty => panic!("ran dry at {want}"),
            }
        }
        // 90% of 10 ids: the prefetch starts with id 109, and only once.
        assert_eq!(prefetches, vec![109]);
        assert_eq!(b.take(), Take::Empty);
        b.prefetching = false;
        b.install(ProducerIdBlock {
            broker: BrokerId(1),
            first_id: 500,
            len: 10,
        });
        assert_eq!(
            b.take(),
            Take::Id {
                id: 500,
                prefetch: false
            }
        );
    }

    #[tokio::test]
    async fn ids_are_unique_increasing_and_prefetched() {
        let m = Arc::new(ProducerIdManager::new());
        let src = Fake::new(10);
        let mut last = -1;
        for _ in 0..35 {
            let id = m.generate(&src).await.unwrap();
            assert!(id > last, "{id} after {last}");
            last = id;
            // Let a spawned prefetch run, as it would between requests.
            tokio::task::yield_now().await;
            tokio::task::yield_now().await;
        }
        assert_eq!(last, 34);
        // 4 blocks of 10 for 35 ids: the first fetched inline, the rest
        // prefetched in time (none wasted, none fetched twice).
        assert_eq!(src.calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_callers_never_share_an_id() {
        let m = Arc::new(ProducerIdManager::new());
        let src = Fake::new(7);
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (m, src) = (Arc::clone(&m), Arc::clone(&src));
            tasks.push(tokio::spawn(async move {
                let mut ids = Vec::new();
                for _ in 0..50 {
                    ids.push(m.generate(&src).await.unwrap());
                }
                ids
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n, "an id was handed out twice");
        // Blocks are not wasted by racing fetches: at most one spare block.
        let blocks = src.calls.load(Ordering::SeqCst) as i64;
        assert!(blocks * 7 <= n as i64 + 2 * 7, "{blocks} blocks for {n} ids");
    }

    #[tokio::test]
    async fn controller_failure_is_reported_and_recovers() {
        let m = Arc::new(ProducerIdManager::new());
        let src = Fake::new(5);
        src.fail.store(true, Ordering::SeqCst);
        let err = m.generate(&src).await.unwrap_err();
        assert!(!err.is_exhausted());
        src.fail.store(false, Ordering::SeqCst);
        assert_eq!(m.generate(&src).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn failed_prefetch_falls_back_to_an_inline_fetch() {
        let m = Arc::new(ProducerIdManager::new());
        let src = Fake::new(10);
        for _ in 0..9 {
            m.generate(&src).await.unwrap();
        }
        src.fail.store(true, Ordering::SeqCst);
        // Id 9 starts a prefetch that fails.
        assert_eq!(m.generate(&src).await.unwrap(), 9);
        for _ in 0..4 {
            tokio::task::yield_now().await;
        }
        src.fail.store(false, Ordering::SeqCst);
        assert_eq!(m.generate(&src).await.unwrap(), 10);
    }
}
