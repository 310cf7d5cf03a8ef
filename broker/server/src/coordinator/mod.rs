//! The group coordinator service: the async layer around the pure
//! coordinator in [`crate::group`] (ARCHITECTURE §3, "Groups and
//! transactions").
//!
//! Group metadata and committed offsets are records in the compacted
//! internal topic `__consumer_offsets`, created on the first group request.
//! A group belongs to partition `abs(hash(group id)) % partitions`, and its
//! coordinator is that partition's leader. For each partition this broker
//! leads there is one [`shard::Shard`]: a pure `GroupCoordinator` rebuilt by
//! replaying the partition (COORDINATOR_LOAD_IN_PROGRESS meanwhile), whose
//! operations are serialized by a mutex. Its records go through the same
//! append path as a produce and count only once committed (below the high
//! watermark). Partitions led elsewhere answer NOT_COORDINATOR.
//!
//! A background task runs the coordinators' timers (session and rebalance
//! timeouts, initial rebalance delay) and offset retention.

mod append;
mod load;
mod ops;
mod shard;
mod topic;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;
use tracing::{error, info};

pub use load::{ShardLoadError, Skipped};

use crate::broker::Broker;
use crate::config::{BrokerConfig, GroupSettings};
use crate::group::{GroupConfig, GroupError};
use crate::server::Shutdown;
use crate::time::now_ms;
use shard::{Phase, Shard};

/// Kafka's internal topic for group metadata and committed offsets.
pub const OFFSETS_TOPIC: &str = "__consumer_offsets";

/// How often the timer task runs the coordinators' due timers.
const TICK: Duration = Duration::from_millis(100);

/// How long a request that created `__consumer_offsets` waits for the new
/// (empty) partitions to load before answering.
const FRESH_LOAD_WAIT: Duration = Duration::from_secs(5);

/// The coordinator's settings, from the broker's `group.*` / `offsets.*`.
pub fn group_config(s: &GroupSettings) -> GroupConfig {
    GroupConfig {
        min_session_timeout_ms: s.min_session_timeout_ms,
        max_session_timeout_ms: s.max_session_timeout_ms,
        initial_rebalance_delay_ms: s.initial_rebalance_delay_ms,
        max_size: usize::try_from(s.max_size).unwrap_or(usize::MAX),
        offsets_retention_ms: s.offsets_retention_ms,
        offset_metadata_max_bytes: usize::try_from(s.offset_metadata_max_bytes).unwrap_or(0),
        ..GroupConfig::default()
    }
}

/// Owned by [`Broker`]; every method takes the broker it belongs to.
pub struct GroupService {
    config: GroupConfig,
    /// `__consumer_offsets` partition -> its shard, for partitions led here.
    shards: RwLock<HashMap<i32, Arc<Shard>>>,
    /// One creator of `__consumer_offsets` at a time.
    create_lock: tokio::sync::Mutex<()>,
    closed: AtomicBool,
}

impl GroupService {
    pub fn new(config: &BrokerConfig) -> Self {
        GroupService {
            config: group_config(&config.group),
            shards: RwLock::new(HashMap::new()),
            create_lock: tokio::sync::Mutex::new(()),
            closed: AtomicBool::new(false),
        }
    }

    pub fn config(&self) -> &GroupConfig {
        &self.config
    }

    /// Brings the shards in line with the metadata: loads partitions this
    /// broker now leads, unloads those it no longer leads. Called at start,
    /// on every metadata change and when a request finds no shard.
    pub fn refresh(&self, broker: &Arc<Broker>) {
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        let wanted = topic::led_partitions(broker);
        let (added, removed) = {
            let mut shards = self.shards.write();
            let removed: Vec<Arc<Shard>> = shards
                .values()
                .filter(|s| wanted.get(&s.partition) != Some(&s.topic_id))
                .cloned()
                .collect();
            for s in &removed {
                shards.remove(&s.partition);
            }
            let mut added = Vec::new();
            for (partition, topic_id) in wanted {
                if let std::collections::hash_map::Entry::Vacant(e) = shards.entry(partition) {
                    let shard = Arc::new(Shard::new(partition, topic_id));
                    e.insert(shard.clone());
                    added.push(shard);
                }
            }
            (added, removed)
        };
        for shard in removed {
            info!(partition = shard.partition, "no longer leading; unloading groups");
            tokio::spawn(async move { shard.unload().await });
        }
        for shard in added {
            tokio::spawn(load_shard(broker.clone(), shard));
        }
    }

    /// The shard of `group`, creating `__consumer_offsets` if needed.
    async fn shard_for(&self, broker: &Arc<Broker>, group: &str) -> Result<Arc<Shard>, GroupError> {
        if self.closed.load(Ordering::Acquire) {
            return Err(GroupError::NotCoordinator);
        }
        let created = topic::ensure(broker).await?;
        let (partition, topic_id, leader) =
            topic::locate(broker, group).ok_or(GroupError::CoordinatorNotAvailable)?;
        if leader != Some(broker.node_id()) {
            return Err(GroupError::NotCoordinator);
        }
        let existing = self.shards.read().get(&partition).cloned();
        let shard = match existing.filter(|s| s.topic_id == topic_id) {
            Some(s) => s,
            None => {
                self.refresh(broker);
                self.shards
                    .read()
                    .get(&partition)
                    .cloned()
                    .ok_or(GroupError::CoordinatorNotAvailable)?
            }
        };
        let phase = if created {
            shard.wait_loaded(FRESH_LOAD_WAIT).await
        } else {
            shard.phase()
        };
        match phase {
            Phase::Active => Ok(shard),
            Phase::Loading => Err(GroupError::CoordinatorLoadInProgress),
            Phase::Unloaded => Err(GroupError::NotCoordinator),
        }
    }

    /// FindCoordinator for a group: the node leading its partition,
    /// creating `__consumer_offsets` on first use.
    pub async fn find_coordinator(&self, broker: &Arc<Broker>, group: &str) -> Result<i32, GroupError> {
        let created = topic::ensure(broker).await?;
        let (partition, _, leader) =
            topic::locate(broker, group).ok_or(GroupError::CoordinatorNotAvailable)?;
        let leader = leader.ok_or(GroupError::CoordinatorNotAvailable)?;
        if created && leader == broker.node_id() {
            // Let the new partitions load, so the client's first group
            // request does not bounce off COORDINATOR_LOAD_IN_PROGRESS.
            self.refresh(broker);
            let shard = self.shards.read().get(&partition).cloned();
            if let Some(s) = shard {
                s.wait_loaded(FRESH_LOAD_WAIT).await;
            }
        }
        Ok(leader)
    }

    /// Shards currently serving (for ListGroups and the timer).
    fn active_shards(&self) -> Vec<Arc<Shard>> {
        self.shards
            .read()
            .values()
            .filter(|s| s.phase() == Phase::Active)
            .cloned()
            .collect()
    }

    fn loading(&self) -> bool {
        self.shards.read().values().any(|s| s.phase() == Phase::Loading)
    }

    /// Stops serving: parked requests are answered with NOT_COORDINATOR so
    /// that no connection waits on a coordinator that is going away.
    pub async fn shutdown(&self) {
        self.closed.store(true, Ordering::Release);
        let shards: Vec<Arc<Shard>> = self.shards.write().drain().map(|(_, s)| s).collect();
        for s in shards {
            s.unload().await;
        }
    }

    /// Removes `shard` if it is still the registered one for its partition.
    fn forget(&self, shard: &Arc<Shard>) {
        let mut shards = self.shards.write();
        if shards
            .get(&shard.partition)
            .is_some_and(|s| Arc::ptr_eq(s, shard))
        {
            shards.remove(&shard.partition);
        }
    }
}

/// Creates `__consumer_offsets` with the coordinator's settings if it does
/// not exist yet (also used when a client's Metadata request would
/// auto-create it); `Ok(true)` if this call created it.
pub async fn ensure_offsets_topic(broker: &Broker) -> Result<bool, GroupError> {
    topic::ensure(broker).await
}

/// Replays the shard's partition on a blocking thread and activates it. On
/// failure the shard is dropped, so the next request retries the load.
async fn load_shard(broker: Arc<Broker>, shard: Arc<Shard>) {
    let b = broker.clone();
    let partition = shard.partition;
    let config = broker.groups.config;
    let result = tokio::task::spawn_blocking(move || {
        let p = b
            .replicas
            .get(OFFSETS_TOPIC, partition)
            .ok_or(ShardLoadError::Missing { partition })?;
        load::replay(&p, config, now_ms())
    })
    .await;
    match result {
        Ok(Ok((coordinator, _, skipped))) => {
            if skipped != Skipped::default() {
                tracing::warn!(
                    partition,
                    ?skipped,
                    "some __consumer_offsets records were skipped"
                );
            }
            shard.activate(coordinator).await;
        }
        Ok(Err(e)) => {
            error!(partition, error = %e, "loading group coordinator state failed");
            shard.unload().await;
            broker.groups.forget(&shard);
        }
        Err(e) => {
            error!(partition, error = %e, "group coordinator load task failed");
            shard.unload().await;
            broker.groups.forget(&shard);
        }
    }
}

/// The coordinators' timers: due session/rebalance timeouts every
/// [`TICK`], offset retention every `offsets.retention.check.interval.ms`.
pub async fn run(broker: Arc<Broker>, mut shutdown: Shutdown) {
    broker.groups.refresh(&broker);
    let retention_every = Duration::from_millis(
        u64::try_from(broker.config.group.offsets_retention_check_interval_ms).unwrap_or(600_000),
    );
    let mut next_expiry = tokio::time::Instant::now() + retention_every;
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.recv() => return,
        }
        let expire = tokio::time::Instant::now() >= next_expiry;
        if expire {
            next_expiry = tokio::time::Instant::now() + retention_every;
        }
        for shard in broker.groups.active_shards() {
            let b = broker.clone();
            // One task per shard, so a slow write in one partition does not
            // delay the timers of the others.
            tokio::spawn(async move { shard.tick(&b, expire).await });
        }
    }
}
