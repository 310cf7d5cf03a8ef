//! The metadata image: the state that results from applying metadata records
//! in order. Pure: no I/O, no clocks, no randomness.
//!
//! Brokers read it through `Arc<MetadataImage>` snapshots, so the maps hold
//! their entries behind `Arc` and a clone copies pointers, not partitions.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use uuid::Uuid;

use crate::error::ApplyError;
use crate::records::{
    BrokerRegistrationChangeRecord, ConfigRecord, ConfigResource, Listener, MetadataRecord,
    PartitionChangeRecord, PartitionRecord, ProducerIdsRecord, RegisterBrokerRecord, TopicRecord,
};
use crate::types::{
    BrokerEpoch, BrokerId, ClusterId, LeaderEpoch, PartitionEpoch, PartitionId, TopicId, TopicName,
};

mod producer_ids;
#[cfg(test)]
mod tests;

/// A broker as registered with the controller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerRegistration {
    pub id: BrokerId,
    pub incarnation_id: Uuid,
    pub epoch: BrokerEpoch,
    pub listeners: Vec<Listener>,
    pub rack: Option<String>,
    pub fenced: bool,
    pub in_controlled_shutdown: bool,
}

impl BrokerRegistration {
    /// Unfenced brokers may lead partitions and be in ISRs.
    pub fn is_live(&self) -> bool {
        !self.fenced
    }

    /// Brokers that new replicas may be placed on.
    pub fn is_usable(&self) -> bool {
        !self.fenced && !self.in_controlled_shutdown
    }
}

/// The registration of one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionState {
    pub replicas: Vec<BrokerId>,
    pub isr: Vec<BrokerId>,
    pub leader: Option<BrokerId>,
    pub leader_epoch: LeaderEpoch,
    pub partition_epoch: PartitionEpoch,
    pub adding_replicas: Vec<BrokerId>,
    pub removing_replicas: Vec<BrokerId>,
}

impl PartitionState {
    /// The preferred leader: the first replica, as in Kafka.
    pub fn preferred_leader(&self) -> Option<BrokerId> {
        self.replicas.first().copied()
    }

    fn from_record(r: &PartitionRecord) -> Self {
        PartitionState {
            replicas: r.replicas.clone(),
            isr: r.isr.clone(),
            leader: r.leader,
            leader_epoch: r.leader_epoch,
            partition_epoch: r.partition_epoch,
            adding_replicas: r.adding_replicas.clone(),
            removing_replicas: r.removing_replicas.clone(),
        }
    }

    fn to_record(&self, topic_id: TopicId, partition: PartitionId) -> PartitionRecord {
        PartitionRecord {
            topic_id,
            partition,
            replicas: self.replicas.clone(),
            isr: self.isr.clone(),
            leader: self.leader,
            leader_epoch: self.leader_epoch,
            partition_epoch: self.partition_epoch,
            adding_replicas: self.adding_replicas.clone(),
            removing_replicas: self.removing_replicas.clone(),
        }
    }
}

/// A topic and its partitions, indexed by partition id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicImage {
    pub id: TopicId,
    pub name: TopicName,
    pub partitions: Vec<PartitionState>,
}

impl TopicImage {
    pub fn partition(&self, p: PartitionId) -> Option<&PartitionState> {
        usize::try_from(p.0).ok().and_then(|i| self.partitions.get(i))
    }

    /// Replication factor of the topic, taken from partition 0 as Kafka does.
    pub fn replication_factor(&self) -> usize {
        self.partitions.first().map_or(0, |p| p.replicas.len())
    }
}

/// Per-broker counts used to spread new replicas.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BrokerLoad {
    pub replicas: usize,
    /// Partitions whose preferred leader is this broker.
    pub leaders: usize,
}

pub type ConfigMap = BTreeMap<String, String>;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetadataImage {
    cluster_id: Option<ClusterId>,
    features: BTreeMap<String, i16>,
    brokers: BTreeMap<BrokerId, Arc<BrokerRegistration>>,
    topics: BTreeMap<TopicId, Arc<TopicImage>>,
    topic_ids: BTreeMap<TopicName, TopicId>,
    topic_configs: BTreeMap<TopicName, Arc<ConfigMap>>,
    broker_configs: BTreeMap<Option<BrokerId>, Arc<ConfigMap>>,
    /// The latest producer-id block allocation; `None` until the first.
    producer_ids: Option<ProducerIdsRecord>,
    metadata_offset: u64,
}

impl MetadataImage {
    pub fn new() -> Self {
        Self::default()
    }

    // ---- queries -------------------------------------------------------

    pub fn cluster_id(&self) -> Option<&ClusterId> {
        self.cluster_id.as_ref()
    }

    /// Number of records applied so far (snapshots restore it).
    pub fn metadata_offset(&self) -> u64 {
        self.metadata_offset
    }

    pub fn feature_level(&self, name: &str) -> Option<i16> {
        self.features.get(name).copied()
    }

    pub fn broker(&self, id: BrokerId) -> Option<&BrokerRegistration> {
        self.brokers.get(&id).map(|b| b.as_ref())
    }

    pub fn brokers(&self) -> impl Iterator<Item = &BrokerRegistration> {
        self.brokers.values().map(|b| b.as_ref())
    }

    /// Registered, unfenced brokers.
    pub fn live_brokers(&self) -> impl Iterator<Item = &BrokerRegistration> {
        self.brokers().filter(|b| b.is_live())
    }

    pub fn topic_by_name(&self, name: &str) -> Option<&TopicImage> {
        let id = self.topic_ids.get(name)?;
        self.topics.get(id).map(|t| t.as_ref())
    }

    pub fn topic_by_id(&self, id: TopicId) -> Option<&TopicImage> {
        self.topics.get(&id).map(|t| t.as_ref())
    }

    /// Topics in name order.
    pub fn topics(&self) -> impl Iterator<Item = &TopicImage> {
        self.topic_ids
            .values()
            .filter_map(|id| self.topics.get(id).map(|t| t.as_ref()))
    }

    pub fn topic_count(&self) -> usize {
        self.topics.len()
    }

    pub fn partitions(&self, topic_id: TopicId) -> Option<&[PartitionState]> {
        self.topic_by_id(topic_id).map(|t| t.partitions.as_slice())
    }

    pub fn partition(&self, topic_id: TopicId, p: PartitionId) -> Option<&PartitionState> {
        self.topic_by_id(topic_id).and_then(|t| t.partition(p))
    }

    /// Config overrides of a topic; `None` when the topic has none.
    pub fn topic_configs(&self, name: &str) -> Option<&ConfigMap> {
        self.topic_configs.get(name).map(|c| c.as_ref())
    }

    /// Dynamic broker configs; `None` selects the cluster-wide defaults.
    pub fn broker_configs(&self, broker: Option<BrokerId>) -> Option<&ConfigMap> {
        self.broker_configs.get(&broker).map(|c| c.as_ref())
    }

    /// An existing topic whose name differs from `name` only by '.' vs '_'.
    pub fn colliding_topic(&self, name: &TopicName) -> Option<&TopicName> {
        let key = name.collision_key();
        self.topic_ids
            .keys()
            .find(|existing| *existing != name && existing.collision_key() == key)
    }

    /// Replica and preferred-leader counts of every registered broker.
    pub fn broker_load(&self) -> BTreeMap<BrokerId, BrokerLoad> {
        let mut load: BTreeMap<BrokerId, BrokerLoad> = self
            .brokers
            .keys()
            .map(|id| (*id, BrokerLoad::default()))
            .collect();
        for topic in self.topics.values() {
            for p in &topic.partitions {
                for (i, r) in p.replicas.iter().enumerate() {
                    let entry = load.entry(*r).or_default();
                    entry.replicas += 1;
                    if i == 0 {
                        entry.leaders += 1;
                    }
                }
            }
        }
        load
    }

    // ---- state machine ---------------------------------------------------

    /// Applies one record. On error the image is unchanged.
    pub fn apply(&mut self, rec: &MetadataRecord) -> Result<(), ApplyError> {
        match rec {
            MetadataRecord::ClusterId { id } => self.apply_cluster_id(id)?,
            MetadataRecord::FeatureLevel { name, level } => {
                if *level < 0 {
                    return Err(ApplyError::Invalid(format!(
                        "feature {name} has negative level {level}"
                    )));
                }
                if *level == 0 {
                    // Level 0 means "not enabled", as in Kafka.
                    self.features.remove(name);
                } else {
                    self.features.insert(name.clone(), *level);
                }
            }
            MetadataRecord::Topic(r) => self.apply_topic(r)?,
            MetadataRecord::Partition(r) => self.apply_partition(r)?,
            MetadataRecord::PartitionChange(r) => self.apply_partition_change(r)?,
            MetadataRecord::Config(r) => self.apply_config(r)?,
            MetadataRecord::RemoveTopic { id } => self.apply_remove_topic(*id)?,
            MetadataRecord::RegisterBroker(r) => self.apply_register_broker(r)?,
            MetadataRecord::BrokerRegistrationChange(r) => self.apply_broker_change(r)?,
            MetadataRecord::UnregisterBroker { id, epoch } => {
                self.current_broker(*id, *epoch)?;
                self.brokers.remove(id);
            }
            MetadataRecord::ProducerIds(r) => self.apply_producer_ids(r)?,
        }
        self.metadata_offset += 1;
        Ok(())
    }

    fn apply_cluster_id(&mut self, id: &ClusterId) -> Result<(), ApplyError> {
        match &self.cluster_id {
            Some(existing) if existing != id => Err(ApplyError::ClusterIdMismatch {
                existing: existing.to_string(),
                new: id.to_string(),
            }),
            _ => {
                self.cluster_id = Some(id.clone());
                Ok(())
            }
        }
    }

    fn apply_topic(&mut self, r: &TopicRecord) -> Result<(), ApplyError> {
        if r.id.is_reserved() {
            return Err(ApplyError::ReservedTopicId(r.id));
        }
        if let Some(existing) = self.topics.get(&r.id) {
            // Restating a topic exactly (a snapshot applied as a diff) is a no-op.
            if existing.name == r.name {
                return Ok(());
            }
            return Err(ApplyError::DuplicateTopicId(r.id));
        }
        if let Some(existing) = self.topic_ids.get(&r.name) {
            return Err(ApplyError::DuplicateTopicName {
                name: r.name.to_string(),
                existing: *existing,
            });
        }
        self.topic_ids.insert(r.name.clone(), r.id);
        self.topics.insert(
            r.id,
            Arc::new(TopicImage {
                id: r.id,
                name: r.name.clone(),
                partitions: Vec::new(),
            }),
        );
        Ok(())
    }

    fn apply_partition(&mut self, r: &PartitionRecord) -> Result<(), ApplyError> {
        let topic = self
            .topics
            .get_mut(&r.topic_id)
            .ok_or(ApplyError::UnknownTopicId(r.topic_id))?;
        let new = PartitionState::from_record(r);
        validate_partition(r.topic_id, r.partition, &new)?;
        let existing = topic.partitions.len();
        let index = usize::try_from(r.partition.0)
            .ok()
            .filter(|i| *i <= existing)
            .ok_or(ApplyError::PartitionOutOfOrder {
                topic_id: r.topic_id,
                partition: r.partition,
                existing,
            })?;
        if let Some(old) = topic.partitions.get(index) {
            check_restatement(r.topic_id, r.partition, old, &new)?;
            Arc::make_mut(topic).partitions[index] = new;
        } else {
            Arc::make_mut(topic).partitions.push(new);
        }
        Ok(())
    }

    fn apply_partition_change(&mut self, r: &PartitionChangeRecord) -> Result<(), ApplyError> {
        if r.is_empty() {
            return Err(ApplyError::EmptyPartitionChange {
                topic_id: r.topic_id,
                partition: r.partition,
            });
        }
        let topic = self
            .topics
            .get_mut(&r.topic_id)
            .ok_or(ApplyError::UnknownTopicId(r.topic_id))?;
        let index = usize::try_from(r.partition.0)
            .ok()
            .filter(|i| *i < topic.partitions.len())
            .ok_or(ApplyError::UnknownPartition {
                topic_id: r.topic_id,
                partition: r.partition,
            })?;
        let old = &topic.partitions[index];
        let mut new = old.clone();
        if let Some(leader) = r.leader {
            new.leader = leader;
            new.leader_epoch = old.leader_epoch.next();
        }
        if let Some(isr) = &r.isr {
            new.isr = isr.clone();
        }
        if let Some(replicas) = &r.replicas {
            new.replicas = replicas.clone();
        }
        if let Some(adding) = &r.adding_replicas {
            new.adding_replicas = adding.clone();
        }
        if let Some(removing) = &r.removing_replicas {
            new.removing_replicas = removing.clone();
        }
        new.partition_epoch = old.partition_epoch.next();
        validate_partition(r.topic_id, r.partition, &new)?;
        Arc::make_mut(topic).partitions[index] = new;
        Ok(())
    }

    fn apply_config(&mut self, r: &ConfigRecord) -> Result<(), ApplyError> {
        if r.name.is_empty() {
            return Err(ApplyError::Invalid("config record with an empty name".into()));
        }
        let map = match &r.resource {
            ConfigResource::Topic(name) => {
                if !self.topic_ids.contains_key(name) {
                    return Err(ApplyError::UnknownTopicName(name.to_string()));
                }
                self.topic_configs.entry(name.clone()).or_default()
            }
            ConfigResource::Broker(b) => self.broker_configs.entry(*b).or_default(),
        };
        let map = Arc::make_mut(map);
        match &r.value {
            Some(v) => {
                map.insert(r.name.clone(), v.clone());
            }
            None => {
                map.remove(&r.name);
            }
        }
        // Keep "no overrides" as an absent entry so images compare equal
        // regardless of history.
        let empty = map.is_empty();
        if empty {
            match &r.resource {
                ConfigResource::Topic(name) => {
                    self.topic_configs.remove(name);
                }
                ConfigResource::Broker(b) => {
                    self.broker_configs.remove(b);
                }
            }
        }
        Ok(())
    }

    fn apply_remove_topic(&mut self, id: TopicId) -> Result<(), ApplyError> {
        let topic = self.topics.remove(&id).ok_or(ApplyError::UnknownTopicId(id))?;
        self.topic_ids.remove(&topic.name);
        self.topic_configs.remove(&topic.name);
        Ok(())
    }

    fn apply_register_broker(&mut self, r: &RegisterBrokerRecord) -> Result<(), ApplyError> {
        if r.id.0 < 0 {
            return Err(ApplyError::Invalid(format!("broker id {} is negative", r.id)));
        }
        if let Some(old) = self.brokers.get(&r.id) {
            if r.epoch < old.epoch {
                return Err(ApplyError::BrokerEpochRegression {
                    id: r.id,
                    current: old.epoch,
                    new: r.epoch,
                });
            }
            if r.epoch == old.epoch && r.incarnation_id != old.incarnation_id {
                return Err(ApplyError::ConflictingBrokerRegistration {
                    id: r.id,
                    new: r.epoch,
                });
            }
        }
        self.brokers.insert(
            r.id,
            Arc::new(BrokerRegistration {
                id: r.id,
                incarnation_id: r.incarnation_id,
                epoch: r.epoch,
                listeners: r.listeners.clone(),
                rack: r.rack.clone(),
                fenced: r.fenced,
                in_controlled_shutdown: r.in_controlled_shutdown,
            }),
        );
        Ok(())
    }

    fn apply_broker_change(&mut self, r: &BrokerRegistrationChangeRecord) -> Result<(), ApplyError> {
        self.current_broker(r.id, r.epoch)?;
        if r.fenced.is_none() && r.in_controlled_shutdown.is_none() {
            return Err(ApplyError::Invalid(format!(
                "registration change for broker {} changes nothing",
                r.id
            )));
        }
        if let Some(b) = self.brokers.get_mut(&r.id) {
            let b = Arc::make_mut(b);
            if let Some(f) = r.fenced {
                b.fenced = f;
            }
            if let Some(s) = r.in_controlled_shutdown {
                b.in_controlled_shutdown = s;
            }
        }
        Ok(())
    }

    fn current_broker(&self, id: BrokerId, epoch: BrokerEpoch) -> Result<(), ApplyError> {
        let b = self.brokers.get(&id).ok_or(ApplyError::UnknownBroker(id))?;
        if b.epoch != epoch {
            return Err(ApplyError::StaleBrokerEpoch {
                id,
                current: b.epoch,
                record: epoch,
            });
        }
        Ok(())
    }

    // ---- snapshots -------------------------------------------------------

    /// Records that rebuild this image from empty (Kafka's snapshot idea).
    pub fn to_snapshot_records(&self) -> Vec<MetadataRecord> {
        let mut out = Vec::new();
        if let Some(id) = &self.cluster_id {
            out.push(MetadataRecord::ClusterId { id: id.clone() });
        }
        for (name, level) in &self.features {
            out.push(MetadataRecord::FeatureLevel {
                name: name.clone(),
                level: *level,
            });
        }
        for b in self.brokers.values() {
            out.push(MetadataRecord::RegisterBroker(RegisterBrokerRecord {
                id: b.id,
                incarnation_id: b.incarnation_id,
                epoch: b.epoch,
                listeners: b.listeners.clone(),
                rack: b.rack.clone(),
                fenced: b.fenced,
                in_controlled_shutdown: b.in_controlled_shutdown,
            }));
        }
        for (broker, configs) in &self.broker_configs {
            push_configs(&mut out, ConfigResource::Broker(*broker), configs);
        }
        if let Some(r) = &self.producer_ids {
            out.push(MetadataRecord::ProducerIds(r.clone()));
        }
        for topic in self.topics() {
            out.push(MetadataRecord::Topic(TopicRecord {
                name: topic.name.clone(),
                id: topic.id,
            }));
            if let Some(configs) = self.topic_configs.get(&topic.name) {
                push_configs(&mut out, ConfigResource::Topic(topic.name.clone()), configs);
            }
            for (i, p) in topic.partitions.iter().enumerate() {
                // Partition counts fit in i32: they were created from i32 ids.
                let pid = PartitionId(i32::try_from(i).unwrap_or(i32::MAX));
                out.push(MetadataRecord::Partition(p.to_record(topic.id, pid)));
            }
        }
        out
    }

    /// Rebuilds an image from snapshot records and the offset it was taken at.
    pub fn from_snapshot(records: &[MetadataRecord], metadata_offset: u64) -> Result<Self, ApplyError> {
        let mut image = MetadataImage::new();
        for r in records {
            image.apply(r)?;
        }
        image.metadata_offset = metadata_offset;
        Ok(image)
    }
}

fn push_configs(out: &mut Vec<MetadataRecord>, resource: ConfigResource, configs: &ConfigMap) {
    for (name, value) in configs {
        out.push(MetadataRecord::Config(ConfigRecord {
            resource: resource.clone(),
            name: name.clone(),
            value: Some(value.clone()),
        }));
    }
}

fn has_duplicates(ids: &[BrokerId]) -> bool {
    let mut seen = BTreeSet::new();
    ids.iter().any(|b| !seen.insert(*b))
}

/// Structural invariants every partition registration must satisfy.
fn validate_partition(
    topic_id: TopicId,
    partition: PartitionId,
    p: &PartitionState,
) -> Result<(), ApplyError> {
    let fail = |reason: String| {
        Err(ApplyError::InvalidPartitionState {
            topic_id,
            partition,
            reason,
        })
    };
    if p.replicas.is_empty() {
        return fail("replica list is empty".into());
    }
    if p.replicas.iter().any(|b| b.0 < 0) {
        return fail(format!("replicas {:?} contain a negative broker id", p.replicas));
    }
    for (what, list) in [
        ("replicas", &p.replicas),
        ("isr", &p.isr),
        ("adding replicas", &p.adding_replicas),
        ("removing replicas", &p.removing_replicas),
    ] {
        if has_duplicates(list) {
            return fail(format!("{what} {list:?} contain a duplicate"));
        }
        if what != "replicas" && !list.iter().all(|b| p.replicas.contains(b)) {
            return fail(format!(
                "{what} {list:?} are not a subset of replicas {:?}",
                p.replicas
            ));
        }
    }
    if p.adding_replicas.iter().any(|b| p.removing_replicas.contains(b)) {
        return fail("a replica is both being added and removed".into());
    }
    if let Some(leader) = p.leader {
        if !p.isr.contains(&leader) {
            return fail(format!("leader {leader} is not in the isr {:?}", p.isr));
        }
    }
    if p.leader_epoch.0 < 0 || p.partition_epoch.0 < 0 {
        return fail("negative epoch".into());
    }
    Ok(())
}

/// A full partition record for an existing partition (a snapshot replayed as
/// a diff) may only move forward.
fn check_restatement(
    topic_id: TopicId,
    partition: PartitionId,
    old: &PartitionState,
    new: &PartitionState,
) -> Result<(), ApplyError> {
    if new.leader_epoch < old.leader_epoch {
        return Err(ApplyError::LeaderEpochRegression {
            topic_id,
            partition,
            current: old.leader_epoch,
            new: new.leader_epoch,
        });
    }
    if new.partition_epoch < old.partition_epoch {
        return Err(ApplyError::PartitionEpochRegression {
            topic_id,
            partition,
            current: old.partition_epoch,
            new: new.partition_epoch,
        });
    }
    let same_epochs = new.leader_epoch == old.leader_epoch && new.partition_epoch == old.partition_epoch;
    // Equal epochs must mean equal content, and a new leader needs a new
    // leader epoch: otherwise two brokers could lead in the same epoch.
    if (same_epochs && new != old) || (new.leader != old.leader && new.leader_epoch == old.leader_epoch) {
        return Err(ApplyError::ConflictingPartitionRecord { topic_id, partition });
    }
    Ok(())
}
