//! One `__consumer_offsets` partition this broker leads: its pure
//! [`GroupCoordinator`] behind a mutex (operations are serialized), the
//! requests parked until a completion answers them, and the write path
//! that makes the coordinator's records durable before they count.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use kavka_controller::TopicId;
use tokio::sync::{oneshot, watch, Mutex, MutexGuard};
use tracing::{debug, warn};

use super::append;
use crate::broker::Broker;
use crate::group::{
    AppendResult, Completion, CompletionKind, Effects, GroupCoordinator, GroupError, GroupId, MemberId,
    Record,
};
use crate::time::now_ms;

/// Where a shard is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Replaying the partition: COORDINATOR_LOAD_IN_PROGRESS.
    Loading,
    Active,
    /// Leadership moved away (or the broker is stopping): NOT_COORDINATOR.
    Unloaded,
}

/// Which parked request a completion answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum ParkKind {
    Join,
    Sync,
}

type ParkKey = (GroupId, MemberId, ParkKind);

/// Requests waiting for a [`Completion`]. Several requests may wait under
/// one key (a client that retried); one answer answers them all.
#[derive(Default)]
pub(super) struct Parked {
    waiting: HashMap<ParkKey, Vec<oneshot::Sender<CompletionKind>>>,
}

impl Parked {
    pub(super) fn park(
        &mut self,
        group: &GroupId,
        member: &MemberId,
        kind: ParkKind,
    ) -> oneshot::Receiver<CompletionKind> {
        let (tx, rx) = oneshot::channel();
        self.waiting
            .entry((group.clone(), member.clone(), kind))
            .or_default()
            .push(tx);
        rx
    }

    /// Answers every request parked under the key with `answer`.
    pub(super) fn answer(
        &mut self,
        group: &GroupId,
        member: &MemberId,
        kind: ParkKind,
        answer: &CompletionKind,
    ) {
        if let Some(senders) = self.waiting.remove(&(group.clone(), member.clone(), kind)) {
            for tx in senders {
                // The client may have gone away; nothing to do then.
                let _ = tx.send(answer.clone());
            }
        }
    }

    fn deliver(&mut self, completions: Vec<Completion>) {
        for c in completions {
            let kind = match c.kind {
                CompletionKind::Join(_) => ParkKind::Join,
                CompletionKind::Sync(_) => ParkKind::Sync,
            };
            match self
                .waiting
                .remove(&(c.group_id.clone(), c.member_id.clone(), kind))
            {
                Some(senders) => {
                    for tx in senders {
                        let _ = tx.send(c.kind.clone());
                    }
                }
                None => {
                    debug!(group = %c.group_id, member = %c.member_id, ?kind, "completion without a parked request")
                }
            }
        }
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.waiting.values().map(Vec::len).sum()
    }
}

pub(super) struct Inner {
    phase: Phase,
    coordinator: Option<GroupCoordinator>,
    parked: Parked,
}

/// The immediate part of an operation's outcome and the records that must
/// be committed before it is answered.
pub(super) struct Step<T> {
    pub value: T,
    pub records: Vec<Record>,
}

impl<T> Step<T> {
    pub fn now(value: T) -> Self {
        Step {
            value,
            records: Vec::new(),
        }
    }
}

pub(super) struct Shard {
    pub partition: i32,
    pub topic_id: TopicId,
    inner: Mutex<Inner>,
    phase: watch::Sender<Phase>,
    /// A timer pass is running for this shard; the next one skips it.
    ticking: AtomicBool,
}

impl Shard {
    pub fn new(partition: i32, topic_id: TopicId) -> Self {
        let (phase, _) = watch::channel(Phase::Loading);
        Shard {
            partition,
            topic_id,
            inner: Mutex::new(Inner {
                phase: Phase::Loading,
                coordinator: None,
                parked: Parked::default(),
            }),
            phase,
            ticking: AtomicBool::new(false),
        }
    }

    pub fn phase(&self) -> Phase {
        *self.phase.borrow()
    }

    /// Waits until the shard leaves `Loading`, at most `timeout`.
    pub async fn wait_loaded(&self, timeout: std::time::Duration) -> Phase {
        let mut rx = self.phase.subscribe();
        let _ = tokio::time::timeout(timeout, rx.wait_for(|p| *p != Phase::Loading)).await;
        self.phase()
    }

    /// Installs the coordinator built by the load. Ignored if the shard was
    /// unloaded meanwhile.
    pub async fn activate(&self, coordinator: GroupCoordinator) -> bool {
        let mut inner = self.inner.lock().await;
        if inner.phase != Phase::Loading {
            return false;
        }
        inner.coordinator = Some(coordinator);
        inner.phase = Phase::Active;
        self.phase.send_replace(Phase::Active);
        true
    }

    /// Leadership moved away (or shutdown): every parked request is answered
    /// with NOT_COORDINATOR and the groups are forgotten.
    pub async fn unload(&self) {
        let mut inner = self.inner.lock().await;
        let mut fx = Effects::new();
        if let Some(c) = inner.coordinator.as_mut() {
            c.unload(now_ms(), &mut fx);
        }
        inner.coordinator = None;
        inner.phase = Phase::Unloaded;
        self.phase.send_replace(Phase::Unloaded);
        inner.parked.deliver(fx.completions);
        // Anything still parked gets a closed channel, read as NOT_COORDINATOR.
        inner.parked = Parked::default();
    }

    /// Runs one operation on the coordinator, serialized with all others.
    ///
    /// `op` gets the coordinator, the parked requests, the time and the
    /// effects to fill; it returns its immediate value and the records that
    /// must be committed before `finish` turns the value into the answer
    /// (offset commits, tombstones). The coordinator's own effects are
    /// handled here: completions are delivered, its writes are appended
    /// (in the same batch, before `records`) and reported back once
    /// committed.
    pub async fn run<T, U>(
        &self,
        broker: &Broker,
        op: impl FnOnce(&mut GroupCoordinator, &mut Parked, i64, &mut Effects) -> Step<T>,
        finish: impl FnOnce(&mut GroupCoordinator, T, AppendResult) -> U,
    ) -> Result<U, GroupError> {
        let mut inner = self.lock_active().await?;
        let mut fx = Effects::new();
        let step = {
            let Inner {
                coordinator, parked, ..
            } = &mut *inner;
            let Some(c) = coordinator.as_mut() else {
                return Err(GroupError::NotCoordinator);
            };
            op(c, parked, now_ms(), &mut fx)
        };
        inner.parked.deliver(std::mem::take(&mut fx.completions));
        if fx.writes.is_empty() && step.records.is_empty() {
            let c = inner.coordinator.as_mut().ok_or(GroupError::NotCoordinator)?;
            return Ok(finish(c, step.value, Ok(())));
        }
        let (mut inner, outcome) = self.write(broker, inner, fx, step.records).await;
        let c = inner.coordinator.as_mut().ok_or(GroupError::NotCoordinator)?;
        let answer = finish(c, step.value, outcome);
        drop(inner);
        Ok(answer)
    }

    /// Appends the coordinator's writes followed by `records`, waits (without
    /// the lock) until they are committed, reports the writes back and
    /// handles whatever that causes, until nothing is left to write.
    /// Returns the lock and the outcome of the first round's append.
    async fn write<'a>(
        &'a self,
        broker: &Broker,
        mut inner: MutexGuard<'a, Inner>,
        mut fx: Effects,
        records: Vec<Record>,
    ) -> (MutexGuard<'a, Inner>, AppendResult) {
        let mut extra = records;
        let mut first: Option<AppendResult> = None;
        loop {
            inner.parked.deliver(std::mem::take(&mut fx.completions));
            let writes = std::mem::take(&mut fx.writes);
            if writes.is_empty() && extra.is_empty() {
                return (inner, first.unwrap_or(Ok(())));
            }
            let mut batch: Vec<Record> = writes.iter().map(|w| w.record.clone()).collect();
            batch.append(&mut extra);
            // Appended under the lock, so the log holds records in the
            // order the coordinator produced them.
            let appended = append::append(broker, self.partition, &batch).await;
            drop(inner);
            let outcome = match appended {
                Ok(last_offset) => append::wait_committed(broker, self.partition, last_offset).await,
                Err(e) => Err(e),
            };
            if let Err(e) = outcome {
                warn!(
                    partition = self.partition,
                    code = e.0,
                    "appending to __consumer_offsets failed"
                );
            }
            first.get_or_insert(outcome);
            inner = self.inner.lock().await;
            let Some(c) = inner.coordinator.as_mut() else {
                // Unloaded meanwhile: parked requests were answered then.
                return (inner, first.unwrap_or(outcome));
            };
            let now = now_ms();
            for w in writes {
                c.write_completed(w.token, outcome, now, &mut fx);
            }
        }
    }

    /// Runs the coordinator's due timers (and, when `expire` is set, offset
    /// retention). Skipped while another pass for this shard is running.
    pub async fn tick(&self, broker: &Broker, expire: bool) {
        if self.ticking.swap(true, Ordering::AcqRel) {
            return;
        }
        let result = self
            .run(
                broker,
                |c, _, now, fx| {
                    if c.next_deadline_ms().is_some_and(|d| d <= now) {
                        c.tick(now, fx);
                    }
                    let records = if expire {
                        c.expire_offsets(now, fx)
                    } else {
                        Vec::new()
                    };
                    Step { value: (), records }
                },
                |_, _, outcome| outcome,
            )
            .await;
        if let Ok(Err(e)) = result {
            warn!(
                partition = self.partition,
                code = e.0,
                "writing expired-offset tombstones failed"
            );
        }
        self.ticking.store(false, Ordering::Release);
    }

    async fn lock_active(&self) -> Result<MutexGuard<'_, Inner>, GroupError> {
        let inner = self.inner.lock().await;
        match inner.phase {
            Phase::Active => Ok(inner),
            Phase::Loading => Err(GroupError::CoordinatorLoadInProgress),
            Phase::Unloaded => Err(GroupError::NotCoordinator),
        }
    }

    /// Read-only access to the loaded coordinator.
    pub async fn read<T>(&self, f: impl FnOnce(&GroupCoordinator) -> T) -> Result<T, GroupError> {
        let inner = self.lock_active().await?;
        inner
            .coordinator
            .as_ref()
            .map(f)
            .ok_or(GroupError::NotCoordinator)
    }

    /// Number of parked requests.
    #[cfg(test)]
    pub async fn parked_count(&self) -> usize {
        self.inner.lock().await.parked.len()
    }
}
