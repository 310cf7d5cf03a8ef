//! Metadata records: the only way the metadata image changes.
//!
//! The schema mirrors KRaft's records (TopicRecord, PartitionRecord,
//! PartitionChangeRecord, ConfigRecord, ...) but is Kavka's own and
//! serde-encoded. Compatibility rule: new optional fields get
//! `#[serde(default)]` and keep the version; anything an older reader would
//! misread bumps [`RECORD_SCHEMA_VERSION`], and readers refuse versions newer
//! than their own rather than guess.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::RecordCodecError;
use crate::types::{
    BrokerEpoch, BrokerId, ClusterId, LeaderEpoch, PartitionEpoch, PartitionId, TopicId, TopicName,
};

/// Version written into every encoded record.
pub const RECORD_SCHEMA_VERSION: u16 = 1;

/// Name of the feature that carries the metadata schema level, as in Kafka.
pub const METADATA_VERSION_FEATURE: &str = "metadata.version";

/// A listener a broker accepts connections on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listener {
    pub name: String,
    pub host: String,
    pub port: u16,
    /// `PLAINTEXT`, `SSL`, `SASL_PLAINTEXT` or `SASL_SSL`.
    #[serde(default = "default_security_protocol")]
    pub security_protocol: String,
}

fn default_security_protocol() -> String {
    "PLAINTEXT".to_string()
}

/// Which entity a config record belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ConfigResource {
    Topic(TopicName),
    /// `None` is the cluster-wide default (Kafka's broker resource with an
    /// empty name).
    Broker(Option<BrokerId>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicRecord {
    pub name: TopicName,
    pub id: TopicId,
}

/// The full registration of one partition. Creates it, or (in a snapshot)
/// restates it; a restatement may not move epochs backwards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionRecord {
    pub topic_id: TopicId,
    pub partition: PartitionId,
    pub replicas: Vec<BrokerId>,
    pub isr: Vec<BrokerId>,
    pub leader: Option<BrokerId>,
    pub leader_epoch: LeaderEpoch,
    pub partition_epoch: PartitionEpoch,
    /// Replicas being added by a reassignment in progress.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adding_replicas: Vec<BrokerId>,
    /// Replicas being removed by a reassignment in progress.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removing_replicas: Vec<BrokerId>,
}

/// A change to an existing partition; absent fields are unchanged. Applying
/// it bumps the partition epoch; a present `leader` (even the same broker,
/// which is how Kafka forces a new leader epoch) bumps the leader epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionChangeRecord {
    pub topic_id: TopicId,
    pub partition: PartitionId,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present_nullable"
    )]
    pub leader: Option<Option<BrokerId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isr: Option<Vec<BrokerId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<Vec<BrokerId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adding_replicas: Option<Vec<BrokerId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removing_replicas: Option<Vec<BrokerId>>,
}

/// Plain serde reads `null` as "absent"; here a present `null` means "set to
/// none" (no leader), which must stay distinct from "unchanged".
fn present_nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

impl PartitionChangeRecord {
    /// A change that changes nothing yet; set the fields to change.
    pub fn new(topic_id: TopicId, partition: PartitionId) -> Self {
        PartitionChangeRecord {
            topic_id,
            partition,
            leader: None,
            isr: None,
            replicas: None,
            adding_replicas: None,
            removing_replicas: None,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.leader.is_none()
            && self.isr.is_none()
            && self.replicas.is_none()
            && self.adding_replicas.is_none()
            && self.removing_replicas.is_none()
    }
}

/// Sets (`Some`) or deletes (`None`) one config override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigRecord {
    pub resource: ConfigResource,
    pub name: String,
    pub value: Option<String>,
}

/// A broker registration, replacing any earlier one of the same id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterBrokerRecord {
    pub id: BrokerId,
    /// Random per broker process start; tells a restart from a duplicate.
    pub incarnation_id: Uuid,
    pub epoch: BrokerEpoch,
    pub listeners: Vec<Listener>,
    pub rack: Option<String>,
    pub fenced: bool,
    #[serde(default)]
    pub in_controlled_shutdown: bool,
}

/// A block of producer ids handed to a broker (KRaft's `ProducerIdsRecord`):
/// ids below `next_producer_id` have been given out, so the next block
/// starts there. `broker`/`broker_epoch` name the registration that took the
/// block that ends at `next_producer_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProducerIdsRecord {
    pub broker: BrokerId,
    pub broker_epoch: BrokerEpoch,
    pub next_producer_id: i64,
}

/// Fencing / controlled-shutdown transitions of a registered broker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerRegistrationChangeRecord {
    pub id: BrokerId,
    pub epoch: BrokerEpoch,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fenced: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_controlled_shutdown: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MetadataRecord {
    ClusterId {
        id: ClusterId,
    },
    FeatureLevel {
        name: String,
        level: i16,
    },
    Topic(TopicRecord),
    Partition(PartitionRecord),
    PartitionChange(PartitionChangeRecord),
    Config(ConfigRecord),
    /// Deletes a topic with its partitions and config overrides.
    RemoveTopic {
        id: TopicId,
    },
    RegisterBroker(RegisterBrokerRecord),
    BrokerRegistrationChange(BrokerRegistrationChangeRecord),
    UnregisterBroker {
        id: BrokerId,
        epoch: BrokerEpoch,
    },
    ProducerIds(ProducerIdsRecord),
}

#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    v: u16,
    record: T,
}

/// Encodes one record with its schema version, e.g. for the records of a
/// `__cluster_metadata` batch.
pub fn encode_record(record: &MetadataRecord) -> Result<Vec<u8>, RecordCodecError> {
    Ok(serde_json::to_vec(&Envelope {
        v: RECORD_SCHEMA_VERSION,
        record,
    })?)
}

/// Decodes a record written by [`encode_record`] of this or an older version.
pub fn decode_record(bytes: &[u8]) -> Result<MetadataRecord, RecordCodecError> {
    // Read the version first so a newer record gives a version error rather
    // than a confusing schema error.
    #[derive(Deserialize)]
    struct VersionOnly {
        v: u16,
    }
    let VersionOnly { v } = serde_json::from_slice(bytes)?;
    if v > RECORD_SCHEMA_VERSION {
        return Err(RecordCodecError::UnsupportedVersion {
            found: v,
            supported: RECORD_SCHEMA_VERSION,
        });
    }
    let env: Envelope<MetadataRecord> = serde_json::from_slice(bytes)?;
    Ok(env.record)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> Vec<MetadataRecord> {
        let tid = TopicId::from_bytes([9; 16]);
        vec![
            MetadataRecord::ClusterId {
                id: ClusterId::generate(),
            },
            MetadataRecord::FeatureLevel {
                name: METADATA_VERSION_FEATURE.into(),
                level: 1,
            },
            MetadataRecord::Topic(TopicRecord {
                name: TopicName::new("t").unwrap(),
                id: tid,
            }),
            MetadataRecord::Partition(PartitionRecord {
                topic_id: tid,
                partition: PartitionId(0),
                replicas: vec![BrokerId(1), BrokerId(2)],
                isr: vec![BrokerId(1)],
                leader: Some(BrokerId(1)),
                leader_epoch: LeaderEpoch(3),
                partition_epoch: PartitionEpoch(4),
                adding_replicas: vec![],
                removing_replicas: vec![BrokerId(2)],
            }),
            MetadataRecord::PartitionChange(PartitionChangeRecord {
                leader: Some(None),
                ..PartitionChangeRecord::new(tid, PartitionId(0))
            }),
            MetadataRecord::Config(ConfigRecord {
                resource: ConfigResource::Broker(None),
                name: "x".into(),
                value: None,
            }),
            MetadataRecord::RemoveTopic { id: tid },
            MetadataRecord::RegisterBroker(RegisterBrokerRecord {
                id: BrokerId(1),
                incarnation_id: Uuid::new_v4(),
                epoch: BrokerEpoch(10),
                listeners: vec![Listener {
                    name: "PLAINTEXT".into(),
                    host: "127.0.0.1".into(),
                    port: 9092,
                    security_protocol: "PLAINTEXT".into(),
                }],
                rack: Some("a".into()),
                fenced: false,
                in_controlled_shutdown: false,
            }),
            MetadataRecord::BrokerRegistrationChange(BrokerRegistrationChangeRecord {
                id: BrokerId(1),
                epoch: BrokerEpoch(10),
                fenced: Some(true),
                in_controlled_shutdown: None,
            }),
            MetadataRecord::UnregisterBroker {
                id: BrokerId(1),
                epoch: BrokerEpoch(10),
            },
            MetadataRecord::ProducerIds(ProducerIdsRecord {
                broker: BrokerId(1),
                broker_epoch: BrokerEpoch(10),
                next_producer_id: 2000,
            }),
        ]
    }

    #[test]
    fn round_trip_every_variant() {
        for rec in samples() {
            let bytes = encode_record(&rec).unwrap();
            assert_eq!(decode_record(&bytes).unwrap(), rec);
        }
    }

    #[test]
    fn leader_none_vs_unchanged_survive_encoding() {
        // Some(None) ("no leader") must not collapse into None ("unchanged").
        let tid = TopicId::from_bytes([1; 16]);
        let cleared = PartitionChangeRecord {
            leader: Some(None),
            ..PartitionChangeRecord::new(tid, PartitionId(0))
        };
        let back = decode_record(&encode_record(&MetadataRecord::PartitionChange(cleared.clone())).unwrap())
            .unwrap();
        assert_eq!(back, MetadataRecord::PartitionChange(cleared));
        let unchanged = PartitionChangeRecord {
            isr: Some(vec![]),
            ..PartitionChangeRecord::new(tid, PartitionId(0))
        };
        let back =
            decode_record(&encode_record(&MetadataRecord::PartitionChange(unchanged.clone())).unwrap())
                .unwrap();
        assert_eq!(back, MetadataRecord::PartitionChange(unchanged));
    }

    #[test]
    fn newer_version_is_refused() {
        let mut v: serde_json::Value = serde_json::from_slice(
            &encode_record(&MetadataRecord::RemoveTopic {
                id: TopicId::from_bytes([2; 16]),
            })
            .unwrap(),
        )
        .unwrap();
        v["v"] = serde_json::json!(RECORD_SCHEMA_VERSION + 1);
        let err = decode_record(&serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert!(
            matches!(err, RecordCodecError::UnsupportedVersion { .. }),
            "{err}"
        );
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(decode_record(b"{\"v\":1,\"record\":{\"Nope\":{}}}").is_err());
        assert!(decode_record(b"\x00\x01").is_err());
        // A record with an invalid topic name is rejected at decode time.
        let bad = br#"{"v":1,"record":{"Topic":{"name":"..","id":"AAAAAAAAAAAAAAAAAAAAAg"}}}"#;
        assert!(decode_record(bad).is_err());
    }
}
