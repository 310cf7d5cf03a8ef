//! CreateTopics, DeleteTopics and CreatePartitions.

use std::collections::{BTreeMap, BTreeSet};

use super::Controller;
use crate::error::ControllerError;
use crate::image::TopicImage;
use crate::placement::{self, PlacementBroker};
use crate::records::{ConfigRecord, ConfigResource, MetadataRecord, PartitionRecord, TopicRecord};
use crate::topic_config;
use crate::types::{BrokerId, LeaderEpoch, PartitionEpoch, PartitionId, TopicId, TopicName};

/// Upper bound on partitions one request may add to one topic, so a single
/// request cannot make the controller build millions of records (Kafka caps
/// records per operation for the same reason).
pub const MAX_NEW_PARTITIONS_PER_REQUEST: i32 = 10_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateTopicRequest {
    pub name: String,
    /// `None` or -1: `num.partitions`.
    pub num_partitions: Option<i32>,
    /// `None` or -1: `default.replication.factor`.
    pub replication_factor: Option<i16>,
    /// Partition index -> replicas; excludes the two fields above.
    pub assignments: Option<BTreeMap<i32, Vec<BrokerId>>>,
    /// Config overrides; a `None` value is refused, as in Kafka.
    pub configs: BTreeMap<String, Option<String>>,
}

impl CreateTopicRequest {
    /// A request that leaves everything to the server defaults.
    pub fn new(name: impl Into<String>) -> Self {
        CreateTopicRequest {
            name: name.into(),
            num_partitions: None,
            replication_factor: None,
            assignments: None,
            configs: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedTopic {
    pub id: TopicId,
    pub name: TopicName,
    pub num_partitions: i32,
    pub replication_factor: i16,
    /// The topic's config overrides; the broker adds defaults from
    /// [`topic_config::TOPIC_CONFIGS`] when it reports all configs.
    pub configs: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum TopicRef {
    Name(String),
    Id(TopicId),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatePartitionsRequest {
    pub name: String,
    pub new_total: i32,
    /// Replicas of each new partition, in partition order.
    pub assignments: Option<Vec<Vec<BrokerId>>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedPartitions {
    pub topic_id: TopicId,
    pub old_total: i32,
    pub new_total: i32,
}

/// Names that occur more than once in a request; Kafka answers every entry
/// of such a name with INVALID_REQUEST.
fn duplicates<'a, T: Ord + 'a>(items: impl Iterator<Item = &'a T>) -> BTreeSet<&'a T> {
    let mut seen = BTreeSet::new();
    let mut dups = BTreeSet::new();
    for i in items {
        if !seen.insert(i) {
            dups.insert(i);
        }
    }
    dups
}

impl Controller {
    /// Creates topics one by one; each gets its own result, in request order.
    /// With `validate_only` nothing is written but every check runs.
    pub fn create_topics(
        &mut self,
        reqs: Vec<CreateTopicRequest>,
        validate_only: bool,
    ) -> Vec<(String, Result<CreatedTopic, ControllerError>)> {
        let dups: BTreeSet<String> = duplicates(reqs.iter().map(|r| &r.name))
            .into_iter()
            .cloned()
            .collect();
        let mut out = Vec::with_capacity(reqs.len());
        for req in reqs {
            let result = if dups.contains(&req.name) {
                Err(ControllerError::InvalidRequest(format!(
                    "Found multiple entries for topic '{}' in the request.",
                    req.name
                )))
            } else {
                self.create_topic(&req, validate_only)
            };
            match &result {
                Ok(t) if !validate_only => tracing::info!(
                    topic = %t.name, id = %t.id, partitions = t.num_partitions,
                    replication_factor = t.replication_factor, "created topic"
                ),
                Ok(_) => {}
                Err(e) => tracing::debug!(topic = %req.name, error = %e, "create topic refused"),
            }
            out.push((req.name, result));
        }
        out
    }

    fn create_topic(
        &mut self,
        req: &CreateTopicRequest,
        validate_only: bool,
    ) -> Result<CreatedTopic, ControllerError> {
        let (records, created) = self.plan_topic(req)?;
        if !validate_only {
            self.commit(records)?;
        }
        Ok(created)
    }

    /// All checks of CreateTopics, and the records that would create it.
    fn plan_topic(
        &self,
        req: &CreateTopicRequest,
    ) -> Result<(Vec<MetadataRecord>, CreatedTopic), ControllerError> {
        let image = &self.image;
        let name =
            TopicName::new(req.name.as_str()).map_err(|e| ControllerError::InvalidTopic(e.to_string()))?;
        if image.topic_by_name(name.as_str()).is_some() {
            return Err(ControllerError::TopicAlreadyExists(name.to_string()));
        }
        if let Some(other) = image.colliding_topic(&name) {
            return Err(ControllerError::InvalidTopic(format!(
                "Topic '{name}' collides with existing topic: {other}. Topics whose names \
                 differ only in '.' versus '_' are not allowed because their metric names \
                 would be the same."
            )));
        }

        let usable = self.usable_brokers();
        let manual = req.assignments.as_ref().filter(|m| !m.is_empty());
        let assignment = match manual {
            Some(map) => {
                if !matches!(req.num_partitions, None | Some(-1))
                    || !matches!(req.replication_factor, None | Some(-1))
                {
                    return Err(ControllerError::InvalidRequest(
                        "Both numPartitions or replicationFactor and replicasAssignments were \
                         set. Both cannot be used at the same time."
                            .into(),
                    ));
                }
                let list = placement::assignment_from_map(map)?;
                self.check_manual(&list, None)?;
                list
            }
            None => {
                let partitions = match req.num_partitions {
                    None | Some(-1) => self.defaults.num_partitions,
                    Some(n) if n >= 1 => n,
                    Some(n) => {
                        return Err(ControllerError::InvalidPartitions(format!(
                            "Number of partitions was set to an invalid non-positive value {n}."
                        )))
                    }
                };
                let rf = match req.replication_factor {
                    None | Some(-1) => self.defaults.default_replication_factor,
                    Some(n) if n >= 1 => n,
                    Some(n) => {
                        return Err(ControllerError::InvalidReplicationFactorValue(format!(
                            "Replication factor must be larger than 0, or -1 to use the default \
                             value; got {n}."
                        )))
                    }
                };
                check_partition_limit(partitions)?;
                placement::place_replicas(&usable, &image.broker_load(), partitions, rf.into())?
            }
        };
        check_partition_limit(i32::try_from(assignment.len()).unwrap_or(i32::MAX))?;

        let mut configs = BTreeMap::new();
        for (key, value) in &req.configs {
            let value = value.clone().ok_or_else(|| ControllerError::InvalidConfig {
                key: key.clone(),
                value: "null".into(),
                reason: "null values are not supported for topic configs".into(),
            })?;
            configs.insert(key.clone(), value);
        }
        topic_config::validate_topic_configs(&configs)?;

        let id = loop {
            let id = TopicId::random();
            if image.topic_by_id(id).is_none() {
                break id;
            }
        };
        let mut records = vec![MetadataRecord::Topic(TopicRecord {
            name: name.clone(),
            id,
        })];
        for (key, value) in &configs {
            records.push(MetadataRecord::Config(ConfigRecord {
                resource: ConfigResource::Topic(name.clone()),
                name: key.clone(),
                value: Some(value.clone()),
            }));
        }
        records.extend(partition_records(id, 0, &assignment, &usable)?);
        let replication_factor = assignment.first().map_or(0, Vec::len);
        Ok((
            records,
            CreatedTopic {
                id,
                name,
                num_partitions: i32::try_from(assignment.len()).unwrap_or(i32::MAX),
                replication_factor: i16::try_from(replication_factor).unwrap_or(i16::MAX),
                configs,
            },
        ))
    }

    fn check_manual(
        &self,
        list: &[Vec<BrokerId>],
        expected_rf: Option<usize>,
    ) -> Result<(), ControllerError> {
        let registered: BTreeSet<BrokerId> = self.image.brokers().map(|b| b.id).collect();
        placement::validate_assignment(list, &registered, expected_rf)?;
        Ok(())
    }

    /// Deletes topics by name or id; one result per entry, in order.
    pub fn delete_topics(&mut self, by: Vec<TopicRef>) -> Vec<Result<(TopicName, TopicId), ControllerError>> {
        let dups: BTreeSet<TopicRef> = duplicates(by.iter()).into_iter().cloned().collect();
        by.into_iter()
            .map(|r| {
                if dups.contains(&r) {
                    return Err(ControllerError::InvalidRequest(format!(
                        "Duplicate topic {} in the request.",
                        match &r {
                            TopicRef::Name(n) => format!("name '{n}'"),
                            TopicRef::Id(id) => format!("id {id}"),
                        }
                    )));
                }
                let (name, id) = self.resolve(&r)?;
                self.commit(vec![MetadataRecord::RemoveTopic { id }])?;
                tracing::info!(topic = %name, id = %id, "deleted topic");
                Ok((name, id))
            })
            .collect()
    }

    fn resolve(&self, r: &TopicRef) -> Result<(TopicName, TopicId), ControllerError> {
        let topic = match r {
            TopicRef::Name(n) => self
                .image
                .topic_by_name(n)
                .ok_or_else(|| ControllerError::UnknownTopicOrPartition(n.clone()))?,
            TopicRef::Id(id) => self
                .image
                .topic_by_id(*id)
                .ok_or(ControllerError::UnknownTopicId(*id))?,
        };
        Ok((topic.name.clone(), topic.id))
    }

    /// Adds partitions to existing topics; one result per entry, in order.
    pub fn create_partitions(
        &mut self,
        reqs: Vec<CreatePartitionsRequest>,
        validate_only: bool,
    ) -> Vec<(String, Result<CreatedPartitions, ControllerError>)> {
        let dups: BTreeSet<String> = duplicates(reqs.iter().map(|r| &r.name))
            .into_iter()
            .cloned()
            .collect();
        let mut out = Vec::with_capacity(reqs.len());
        for req in reqs {
            let result = if dups.contains(&req.name) {
                Err(ControllerError::InvalidRequest(format!(
                    "Duplicate topic name '{}' in the request.",
                    req.name
                )))
            } else {
                self.plan_partitions(&req).and_then(|(records, created)| {
                    if !validate_only {
                        self.commit(records)?;
                        tracing::info!(
                            topic = %req.name, from = created.old_total, to = created.new_total,
                            "added partitions"
                        );
                    }
                    Ok(created)
                })
            };
            out.push((req.name, result));
        }
        out
    }

    fn plan_partitions(
        &self,
        req: &CreatePartitionsRequest,
    ) -> Result<(Vec<MetadataRecord>, CreatedPartitions), ControllerError> {
        let topic: &TopicImage = self
            .image
            .topic_by_name(&req.name)
            .ok_or_else(|| ControllerError::UnknownTopicOrPartition(req.name.clone()))?;
        let current = i32::try_from(topic.partitions.len()).unwrap_or(i32::MAX);
        if req.new_total < current {
            return Err(ControllerError::InvalidPartitions(format!(
                "Topic currently has {current} partitions, which is higher than the requested \
                 {}.",
                req.new_total
            )));
        }
        if req.new_total == current {
            return Err(ControllerError::InvalidPartitions(format!(
                "Topic already has {current} partitions."
            )));
        }
        let additional = req.new_total - current;
        check_partition_limit(additional)?;
        let rf = topic.replication_factor();
        let usable = self.usable_brokers();
        let assignment = match &req.assignments {
            Some(list) => {
                if usize::try_from(additional).ok() != Some(list.len()) {
                    return Err(ControllerError::InvalidReplicaAssignment(format!(
                        "Attempted to add {additional} additional partition(s), but {} \
                         assignment(s) were specified.",
                        list.len()
                    )));
                }
                self.check_manual(list, Some(rf))?;
                list.clone()
            }
            None => placement::place_replicas(
                &usable,
                &self.image.broker_load(),
                additional,
                i32::try_from(rf).unwrap_or(i32::MAX),
            )?,
        };
        let start = topic.partitions.len();
        let records = partition_records(topic.id, start, &assignment, &usable)?;
        Ok((
            records,
            CreatedPartitions {
                topic_id: topic.id,
                old_total: current,
                new_total: req.new_total,
            },
        ))
    }
}

fn check_partition_limit(n: i32) -> Result<(), ControllerError> {
    if n > MAX_NEW_PARTITIONS_PER_REQUEST {
        return Err(ControllerError::InvalidPartitions(format!(
            "Cannot add {n} partitions in one request; the limit is \
             {MAX_NEW_PARTITIONS_PER_REQUEST}."
        )));
    }
    Ok(())
}

/// Partition records for new partitions `start..`: the ISR is the replicas
/// that can serve now, and the leader the first of them (Kafka's rule).
fn partition_records(
    topic_id: TopicId,
    start: usize,
    assignment: &[Vec<BrokerId>],
    usable: &[PlacementBroker],
) -> Result<Vec<MetadataRecord>, ControllerError> {
    let usable: BTreeSet<BrokerId> = usable.iter().map(|b| b.id).collect();
    let mut out = Vec::with_capacity(assignment.len());
    for (i, replicas) in assignment.iter().enumerate() {
        let index = start + i;
        let partition = i32::try_from(index).map_err(|_| {
            ControllerError::InvalidPartitions(format!("partition index {index} is too large"))
        })?;
        let isr: Vec<BrokerId> = replicas.iter().copied().filter(|b| usable.contains(b)).collect();
        let Some(&leader) = isr.first() else {
            return Err(ControllerError::InvalidReplicaAssignment(format!(
                "All brokers specified in the partition assignment for partition {partition} \
                 ({replicas:?}) are fenced or in controlled shutdown."
            )));
        };
        out.push(MetadataRecord::Partition(PartitionRecord {
            topic_id,
            partition: PartitionId(partition),
            replicas: replicas.clone(),
            isr,
            leader: Some(leader),
            leader_epoch: LeaderEpoch(0),
            partition_epoch: PartitionEpoch(0),
            adding_replicas: Vec::new(),
            removing_replicas: Vec::new(),
        }));
    }
    Ok(out)
}
