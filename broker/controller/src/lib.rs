//! Kavka cluster metadata: records, the metadata image state machine, replica
//! placement, topic config schema, durable stores and the in-process
//! controller.
//!
//! Layering: `types` and `records` define the data; `image` applies records
//! (pure); `placement` and `topic_config` are pure policy; `store` persists
//! images; `controller` ties them together for a single node.

pub mod controller;
pub mod error;
pub mod image;
pub mod placement;
pub mod records;
pub mod store;
pub mod topic_config;
pub mod types;

pub use controller::{
    AlterConfigOp, ConfigOp, Controller, ControllerDefaults, CreatePartitionsRequest, CreateTopicRequest,
    CreatedPartitions, CreatedTopic, LocalBroker, ProducerIdBlock, TopicRef, PRODUCER_ID_BLOCK_SIZE,
};
pub use error::{ApplyError, ControllerError, StartError, StoreError};
pub use image::{BrokerRegistration, MetadataImage, PartitionState, TopicImage};
pub use records::{ConfigResource, Listener, MetadataRecord, ProducerIdsRecord};
pub use store::{FileStore, MemoryStore, MetadataStore};
pub use types::{
    BrokerEpoch, BrokerId, ClusterId, LeaderEpoch, PartitionEpoch, PartitionId, TopicId, TopicName,
};
