//! The in-process controller: owns the metadata image and its store, turns
//! admin operations into records, commits them, then publishes the new image.
//!
//! Methods take `&mut self`; the broker wraps the controller in a mutex, so
//! operations are serialized as in Kafka's single-threaded controller.

use std::sync::Arc;

use tokio::sync::watch;
use uuid::Uuid;

use crate::error::{ControllerError, StartError};
use crate::image::MetadataImage;
use crate::placement::PlacementBroker;
use crate::records::{Listener, MetadataRecord, RegisterBrokerRecord, METADATA_VERSION_FEATURE};
use crate::store::MetadataStore;
use crate::types::{BrokerEpoch, BrokerId, ClusterId};

mod configs;
mod producer_ids;
mod topics;

pub use configs::{AlterConfigOp, ConfigOp};
pub use producer_ids::{ProducerIdBlock, PRODUCER_ID_BLOCK_SIZE};
pub use topics::{
    CreatePartitionsRequest, CreateTopicRequest, CreatedPartitions, CreatedTopic, TopicRef,
    MAX_NEW_PARTITIONS_PER_REQUEST,
};

/// The metadata schema level this build writes.
pub const METADATA_VERSION: i16 = 1;

/// The broker running in the same process (`process.roles=broker,controller`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalBroker {
    pub id: BrokerId,
    pub listeners: Vec<Listener>,
    pub rack: Option<String>,
}

/// Broker settings the controller applies to CreateTopics requests that
/// leave values to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControllerDefaults {
    /// `num.partitions`
    pub num_partitions: i32,
    /// `default.replication.factor`
    pub default_replication_factor: i16,
}

impl Default for ControllerDefaults {
    fn default() -> Self {
        // Kafka's defaults.
        ControllerDefaults {
            num_partitions: 1,
            default_replication_factor: 1,
        }
    }
}

pub struct Controller {
    store: Box<dyn MetadataStore>,
    image: Arc<MetadataImage>,
    publisher: watch::Sender<Arc<MetadataImage>>,
    defaults: ControllerDefaults,
    /// Set when a commit failed and re-reading the store failed too: the
    /// in-memory image may differ from the durable one until a reload works.
    needs_reload: bool,
}

impl std::fmt::Debug for Controller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Controller")
            .field("store", &self.store.describe())
            .field("metadata_offset", &self.image.metadata_offset())
            .field("defaults", &self.defaults)
            .finish()
    }
}

impl Controller {
    /// Loads the stored metadata (or starts a new cluster with a fresh
    /// cluster id) and registers the local broker, unfenced: in a combined
    /// single-node process the broker is up as soon as the controller is.
    pub fn new(
        mut store: Box<dyn MetadataStore>,
        node: LocalBroker,
        defaults: ControllerDefaults,
    ) -> Result<Self, StartError> {
        if defaults.num_partitions < 1 {
            return Err(StartError::InvalidSettings(format!(
                "num.partitions must be at least 1, got {}",
                defaults.num_partitions
            )));
        }
        if defaults.default_replication_factor < 1 {
            return Err(StartError::InvalidSettings(format!(
                "default.replication.factor must be at least 1, got {}",
                defaults.default_replication_factor
            )));
        }
        if node.id.0 < 0 {
            return Err(StartError::InvalidSettings(format!(
                "node.id must not be negative, got {}",
                node.id
            )));
        }
        let loaded = store.load().map_err(|source| StartError::Load {
            store: store.describe(),
            source,
        })?;
        let fresh = loaded.is_none();
        let mut image = loaded.unwrap_or_default();

        let mut records = Vec::new();
        if image.cluster_id().is_none() {
            records.push(MetadataRecord::ClusterId {
                id: ClusterId::generate(),
            });
        }
        if image.feature_level(METADATA_VERSION_FEATURE).is_none() {
            records.push(MetadataRecord::FeatureLevel {
                name: METADATA_VERSION_FEATURE.to_string(),
                level: METADATA_VERSION,
            });
        }
        // Kafka's broker epoch is the offset of the registration record, so
        // every registration gets a larger epoch than the previous one.
        let offset = image.metadata_offset() + records.len() as u64;
        let epoch = BrokerEpoch(i64::try_from(offset).unwrap_or(i64::MAX));
        records.push(MetadataRecord::RegisterBroker(RegisterBrokerRecord {
            id: node.id,
            incarnation_id: Uuid::new_v4(),
            epoch,
            listeners: node.listeners,
            rack: node.rack,
            fenced: false,
            in_controlled_shutdown: false,
        }));
        for r in &records {
            image.apply(r)?;
        }
        store
            .commit(&image, &records)
            .map_err(|source| StartError::Commit {
                store: store.describe(),
                source,
            })?;
        tracing::info!(
            store = %store.describe(),
            cluster_id = %image.cluster_id().map(|c| c.to_string()).unwrap_or_default(),
            new_cluster = fresh,
            topics = image.topic_count(),
            broker = %node.id,
            broker_epoch = %epoch,
            "controller started"
        );
        let image = Arc::new(image);
        let (publisher, _) = watch::channel(Arc::clone(&image));
        Ok(Controller {
            store,
            image,
            publisher,
            defaults,
            needs_reload: false,
        })
    }

    /// The current (committed) image.
    pub fn image(&self) -> Arc<MetadataImage> {
        Arc::clone(&self.image)
    }

    /// Receives every image published after a commit.
    pub fn subscribe(&self) -> watch::Receiver<Arc<MetadataImage>> {
        self.publisher.subscribe()
    }

    pub fn defaults(&self) -> ControllerDefaults {
        self.defaults
    }

    /// Brokers new replicas may go to, with their racks.
    fn usable_brokers(&self) -> Vec<PlacementBroker> {
        self.image
            .brokers()
            .filter(|b| b.is_usable())
            .map(|b| PlacementBroker {
                id: b.id,
                rack: b.rack.clone(),
            })
            .collect()
    }

    /// Applies `records` to a copy of the image, makes them durable, and
    /// only then publishes the result.
    fn commit(&mut self, records: Vec<MetadataRecord>) -> Result<(), ControllerError> {
        self.reload_if_needed()?;
        let mut next = (*self.image).clone();
        for r in &records {
            next.apply(r).map_err(|e| {
                tracing::error!(error = %e, record = ?r, "controller produced an invalid record");
                ControllerError::Internal(e.to_string())
            })?;
        }
        if let Err(e) = self.store.commit(&next, &records) {
            tracing::error!(store = %self.store.describe(), error = %e, "metadata commit failed");
            self.reload_after_failure();
            return Err(ControllerError::Store(e.to_string()));
        }
        self.publish(next);
        Ok(())
    }

    fn publish(&mut self, image: MetadataImage) {
        self.image = Arc::new(image);
        self.publisher.send_replace(Arc::clone(&self.image));
    }

    /// After a failed commit the store may or may not hold the change (a
    /// rename can land and the directory sync fail); the durable state wins.
    fn reload_after_failure(&mut self) {
        match self.store.load() {
            Ok(Some(stored)) => {
                self.needs_reload = false;
                if stored != *self.image {
                    tracing::warn!("metadata store holds a change whose commit reported an error");
                    self.publish(stored);
                }
            }
            // Nothing stored at all: keep the image, the next commit rewrites it.
            Ok(None) => self.needs_reload = false,
            Err(e) => {
                tracing::error!(error = %e, "re-reading the metadata store failed");
                self.needs_reload = true;
            }
        }
    }

    fn reload_if_needed(&mut self) -> Result<(), ControllerError> {
        if self.needs_reload {
            self.reload_after_failure();
            if self.needs_reload {
                return Err(ControllerError::Store(format!(
                    "{} is unreadable after a failed commit",
                    self.store.describe()
                )));
            }
        }
        Ok(())
    }
}
