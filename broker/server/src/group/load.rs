//! Rebuilding the groups of one `__consumer_offsets` partition by replaying
//! its records in log order, as Kafka does when a broker becomes the
//! partition's leader.
//!
//! Later records win; a tombstone deletes. A GroupMetadata tombstone removes
//! the group's membership but not offsets committed after it (simple
//! consumers may keep using the group id for offsets only, as in Kafka).
//! Groups with offsets but no metadata load as Empty groups.

use std::collections::{BTreeMap, BTreeSet};

use super::codec::DecodeError;
use super::coordinator::GroupCoordinator;
use super::group::{deadline, Group};
use super::member::Member;
use super::offsets::CommittedOffset;
use super::records::{self, GroupMetadataValue, RecordKey};
use super::requests::Effects;
use super::state::GroupState;
use super::types::{GroupConfig, GroupId, GroupInstanceId, MemberId, Protocol, TopicPartition};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("cannot decode record key: {0}")]
    Key(#[source] DecodeError),
    #[error("cannot decode the offset commit of group {group:?} for {partition}: {source}")]
    OffsetValue {
        group: String,
        partition: TopicPartition,
        #[source]
        source: DecodeError,
    },
    #[error("cannot decode the metadata of group {group:?}: {source}")]
    GroupValue {
        group: String,
        #[source]
        source: DecodeError,
    },
}

/// Counts of what a load replayed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadStats {
    pub offset_commits: u64,
    pub offset_tombstones: u64,
    pub group_records: u64,
    pub group_tombstones: u64,
    /// Records of other coordinators (KIP-848 groups, share groups...).
    pub skipped: u64,
}

/// Accumulates a partition's records; `finish` builds the coordinator.
#[derive(Debug, Default)]
pub struct PartitionLoader {
    groups: BTreeMap<String, GroupMetadataValue>,
    offsets: BTreeMap<String, BTreeMap<TopicPartition, CommittedOffset>>,
    stats: LoadStats,
}

impl PartitionLoader {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn stats(&self) -> &LoadStats {
        &self.stats
    }

    /// Applies one record (`value == None` is a tombstone). On error the
    /// record is not applied; the caller decides whether to skip it.
    pub fn replay(&mut self, key: &[u8], value: Option<&[u8]>) -> Result<(), LoadError> {
        match records::decode_key(key).map_err(LoadError::Key)? {
            RecordKey::OffsetCommit {
                group,
                topic,
                partition,
            } => {
                let tp = TopicPartition { topic, partition };
                match value {
                    None => {
                        self.stats.offset_tombstones += 1;
                        if let Some(map) = self.offsets.get_mut(&group) {
                            map.remove(&tp);
                            if map.is_empty() {
                                self.offsets.remove(&group);
                            }
                        }
                    }
                    Some(bytes) => {
                        let decoded = records::decode_offset_commit_value(bytes).map_err(|source| {
                            LoadError::OffsetValue {
                                group: group.clone(),
                                partition: tp.clone(),
                                source,
                            }
                        })?;
                        self.stats.offset_commits += 1;
                        self.offsets
                            .entry(group)
                            .or_default()
                            .insert(tp, CommittedOffset::from_record_value(decoded));
                    }
                }
            }
            RecordKey::GroupMetadata { group } => match value {
                None => {
                    self.stats.group_tombstones += 1;
                    self.groups.remove(&group);
                }
                Some(bytes) => {
                    let decoded = records::decode_group_metadata_value(bytes).map_err(|source| {
                        LoadError::GroupValue {
                            group: group.clone(),
                            source,
                        }
                    })?;
                    self.stats.group_records += 1;
                    self.groups.insert(group, decoded);
                }
            },
            RecordKey::Other { version } => {
                tracing::debug!(version, "skipping a record of another coordinator");
                self.stats.skipped += 1;
            }
        }
        Ok(())
    }

    /// Builds the partition's coordinator. Loaded members get a full session
    /// timeout from `now_ms` to heartbeat; groups above `group.max.size`
    /// start a rebalance (Kafka's `onLoaded`).
    pub fn finish(self, config: GroupConfig, now_ms: i64) -> GroupCoordinator {
        let PartitionLoader {
            mut groups,
            mut offsets,
            ..
        } = self;
        let ids: BTreeSet<String> = groups.keys().chain(offsets.keys()).cloned().collect();
        let mut built = BTreeMap::new();
        for id in ids {
            let group_id = GroupId(id.clone());
            let mut group = match groups.remove(&id) {
                Some(meta) => group_from_metadata(group_id.clone(), meta, config, now_ms),
                None => Group::new(group_id.clone(), config, now_ms),
            };
            for (tp, offset) in offsets.remove(&id).unwrap_or_default() {
                group.offsets.load(tp, offset);
            }
            if group.size() > config.max_size {
                let mut fx = Effects::new();
                group.prepare_rebalance("loaded group is over group.max.size", now_ms, &mut fx);
                if !fx.is_empty() {
                    tracing::warn!(group = %group_id, "unexpected effects while loading");
                }
            }
            built.insert(group_id, group);
        }
        GroupCoordinator::from_groups(config, built)
    }
}

fn group_from_metadata(id: GroupId, meta: GroupMetadataValue, config: GroupConfig, now_ms: i64) -> Group {
    let mut group = Group::new(id, config, now_ms);
    group.generation = super::types::Generation(meta.generation);
    group.state_timestamp_ms = (meta.current_state_timestamp >= 0).then_some(meta.current_state_timestamp);
    let protocol_type = (!meta.protocol_type.is_empty()).then(|| meta.protocol_type.clone());
    let Some(protocol) = meta.protocol.clone().filter(|_| !meta.members.is_empty()) else {
        if !meta.members.is_empty() {
            tracing::warn!(group = %group.id, "group record has members but no protocol; loading it empty");
        }
        group.protocol_type = protocol_type;
        group.subscribed_topics = group.compute_subscribed_topics();
        return group;
    };
    for m in meta.members {
        let session = m.session_timeout;
        let member = Member {
            id: MemberId(m.member_id),
            instance_id: m.group_instance_id.map(GroupInstanceId),
            client_id: m.client_id,
            client_host: m.client_host,
            session_timeout_ms: session,
            rebalance_timeout_ms: if m.rebalance_timeout < 0 {
                session
            } else {
                m.rebalance_timeout
            },
            protocol_type: meta.protocol_type.clone(),
            protocols: vec![Protocol {
                name: protocol.clone(),
                metadata: m.subscription,
            }],
            assignment: m.assignment,
            awaiting_join: false,
            awaiting_sync: false,
            is_new: false,
            heartbeat_deadline_ms: Some(deadline(now_ms, session)),
        };
        group.add_member(member, false);
    }
    group.protocol_type = protocol_type;
    group.protocol_name = Some(protocol);
    if let Some(leader) = meta.leader.map(MemberId) {
        if group.members.contains_key(&leader) {
            group.leader = Some(leader);
        }
    }
    group.state = GroupState::Stable;
    group.previous_state = GroupState::Stable;
    group.subscribed_topics = group.compute_subscribed_topics();
    group
}
