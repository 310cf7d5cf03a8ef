//! The partition manager: every partition replica hosted by this broker,
//! its log, and the waiting room for long-polling fetches.

mod config;
mod partition;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kavka_controller::{MetadataImage, TopicId};
use parking_lot::RwLock;
use tokio::sync::watch;
use tracing::{info, warn};

pub use config::{delete_retention_ms, log_config_for};
pub use partition::{AppendOutcome, FetchOutcome, Partition, PartitionError};

use crate::config::BrokerConfig;

/// Identifies a partition by topic name and index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: i32,
}

impl std::fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

pub struct ReplicaManager {
    /// topic name -> partition index -> replica. Nested so that lookups by
    /// `&str` need no allocation on the request path.
    partitions: RwLock<HashMap<String, HashMap<i32, Arc<Partition>>>>,
    log_dir: PathBuf,
    broker: BrokerConfig,
    /// Bumped on every append; waiting fetches re-check when it changes.
    data_arrived: watch::Sender<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReplicaError {
    #[error("cannot open the log of {tp} in {dir}: {source}")]
    Open {
        tp: TopicPartition,
        dir: PathBuf,
        #[source]
        source: Box<kavka_log::LogError>,
    },
    #[error("cannot scan log directory {dir}: {source}")]
    Scan {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl ReplicaManager {
    pub fn new(broker: &BrokerConfig) -> Self {
        let (tx, _) = watch::channel(0);
        ReplicaManager {
            partitions: RwLock::new(HashMap::new()),
            log_dir: broker.primary_log_dir().to_path_buf(),
            broker: broker.clone(),
            data_arrived: tx,
        }
    }

    pub fn get(&self, topic: &str, partition: i32) -> Option<Arc<Partition>> {
        self.partitions.read().get(topic)?.get(&partition).cloned()
    }

    pub fn all(&self) -> Vec<Arc<Partition>> {
        self.partitions
            .read()
            .values()
            .flat_map(|m| m.values().cloned())
            .collect()
    }

    fn insert(&self, p: Arc<Partition>) {
        let tp = p.tp().clone();
        self.partitions
            .write()
            .entry(tp.topic)
            .or_default()
            .insert(tp.partition, p);
    }

    /// A receiver that changes whenever any partition gets new data.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.data_arrived.subscribe()
    }

    pub(crate) fn notify_data(&self) {
        self.data_arrived.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub fn log_dir(&self) -> &Path {
        &self.log_dir
    }

    /// Makes the hosted partitions match the metadata image: opens logs of
    /// new partitions, applies topic config changes, and deletes the logs of
    /// deleted topics. Logs on disk whose topic id the image does not know
    /// are renamed aside (`-stray`), never deleted.
    pub fn apply_image(&self, image: &MetadataImage, now_ms: i64) -> Result<(), ReplicaError> {
        // (topic id, leader epoch, whether this broker is the only ISR
        // member, whether this broker is the leader)
        let mut wanted: HashMap<TopicPartition, (TopicId, i32, bool, bool)> = HashMap::new();
        for topic in image.topics() {
            for (index, p) in topic.partitions.iter().enumerate() {
                wanted.insert(
                    TopicPartition {
                        topic: topic.name.as_str().to_string(),
                        partition: index as i32,
                    },
                    (
                        topic.id,
                        p.leader_epoch.0,
                        p.isr.len() == 1 && p.isr[0].0 == self.broker.node_id,
                        p.leader.is_some_and(|l| l.0 == self.broker.node_id),
                    ),
                );
            }
        }
        // Removals first, so a topic deleted and re-created under the same
        // name gets a fresh log.
        let removed: Vec<Arc<Partition>> = {
            let mut map = self.partitions.write();
            let mut gone = Vec::new();
            for parts in map.values_mut() {
                let ids: Vec<i32> = parts
                    .values()
                    .filter(|p| wanted.get(p.tp()).is_none_or(|(id, ..)| *id != p.topic_id))
                    .map(|p| p.tp().partition)
                    .collect();
                gone.extend(ids.iter().filter_map(|i| parts.remove(i)));
            }
            map.retain(|_, parts| !parts.is_empty());
            gone
        };
        for p in removed {
            info!(partition = %p.tp(), "deleting partition log");
            p.delete();
        }
        for (tp, (topic_id, epoch, sole_isr, leads)) in wanted {
            let existing = self.get(&tp.topic, tp.partition);
            let log_config = log_config_for(&self.broker, image.topic_configs(&tp.topic));
            match existing {
                Some(p) => {
                    p.update(log_config, epoch, leads);
                }
                None => {
                    let dir = self.log_dir.join(format!("{}-{}", tp.topic, tp.partition));
                    let mut log =
                        kavka_log::Log::open(&dir, Some(&topic_id.to_kafka_string()), log_config, now_ms)
                            .map_err(|source| ReplicaError::Open {
                                tp: tp.clone(),
                                dir: dir.clone(),
                                source: Box::new(source),
                            })?;
                    if let Some(found) = log.topic_id() {
                        if found != topic_id.to_kafka_string() {
                            warn!(partition = %tp, found, "log directory belongs to another topic id");
                        }
                    }
                    // A leader's high watermark is the minimum log end over
                    // the ISR; when that is this replica alone, everything
                    // it holds is committed (the checkpoint may lag after a
                    // crash, as it is written lazily).
                    if sole_isr {
                        let end = log.log_end_offset();
                        log.set_high_watermark(end);
                    }
                    // Kafka's makeLeader: the epoch starts at the log end
                    // before any append in it, so OffsetForLeaderEpoch
                    // answers for it (the cache forgets an epoch without
                    // data at open, so this also restores it on restart).
                    if leads {
                        log.assign_leader_epoch(epoch)
                            .map_err(|source| ReplicaError::Open {
                                tp: tp.clone(),
                                dir: dir.clone(),
                                source: Box::new(source),
                            })?;
                    }
                    self.insert(Arc::new(Partition::new(tp, topic_id, log, epoch)));
                }
            }
        }
        Ok(())
    }

    /// At startup: renames partition directories whose topic id is unknown
    /// to the metadata (`<dir>-<id>-stray`) so they are kept but not served.
    pub fn quarantine_strays(&self, image: &MetadataImage) -> Result<(), ReplicaError> {
        let entries = match std::fs::read_dir(&self.log_dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(source) => {
                return Err(ReplicaError::Scan {
                    dir: self.log_dir.clone(),
                    source,
                })
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_string) else {
                continue;
            };
            if !path.is_dir() || name.starts_with("__cluster_metadata") || name.ends_with("-stray") {
                continue;
            }
            let Some((topic, part)) = name.rsplit_once('-') else {
                continue;
            };
            if part.parse::<i32>().is_err() {
                continue;
            }
            let recorded = recorded_topic_id(&path);
            let known = image.topic_by_name(topic).map(|t| t.id.to_kafka_string());
            let keep = match (&recorded, &known) {
                (Some(r), Some(k)) => r == k,
                (None, Some(_)) => true,
                _ => false,
            };
            if !keep {
                let target = self.log_dir.join(format!(
                    "{name}-{}-stray",
                    recorded.as_deref().unwrap_or("unknown")
                ));
                warn!(dir = %path.display(), target = %target.display(), "log of unknown topic set aside");
                if let Err(e) = std::fs::rename(&path, &target) {
                    warn!(error = %e, "cannot rename stray log");
                }
            }
        }
        Ok(())
    }

    /// Writes the high-watermark and recovery-point checkpoints of every log
    /// (they are otherwise written lazily).
    pub fn checkpoint_all(&self) {
        for p in self.all() {
            p.write_checkpoints();
        }
    }

    /// Flushes and closes every log (clean shutdown).
    pub fn close_all(&self) {
        let parts: Vec<Arc<Partition>> = self
            .partitions
            .write()
            .drain()
            .flat_map(|(_, m)| m.into_values())
            .collect();
        for p in parts {
            p.close();
        }
    }
}

/// The topic id recorded in a partition directory's `partition.metadata`
/// (Kafka's format: `version: 0` then `topic_id: <id>`).
fn recorded_topic_id(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("partition.metadata")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("topic_id:"))
        .map(|v| v.trim().to_string())
}
