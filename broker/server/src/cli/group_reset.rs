//! Planning of `group reset-offsets`, as pure functions over what the broker reported:
//! which partitions to reset, and to which offset, with the rules of Kafka's
//! `GroupOffsetsResetter` (clamping into the log's range, falling back to the log end
//! when no record is as new as `--to-datetime`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::client::ClusterInfo;
use super::group_args::TopicSpec;
use super::group_model::TopicPartition;

/// Where to move the committed offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetSpec {
    Earliest,
    Latest,
    ToOffset(i64),
    ShiftBy(i64),
    /// Milliseconds since the epoch.
    ToDatetime(i64),
}

/// Which log offsets a plan needs from ListOffsets, and whether it needs the
/// currently committed offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Needs {
    pub earliest: bool,
    pub latest: bool,
    pub timestamp: Option<i64>,
    pub committed: bool,
}

impl ResetSpec {
    pub fn needs(self) -> Needs {
        match self {
            ResetSpec::Earliest => Needs {
                earliest: true,
                ..Needs::default()
            },
            ResetSpec::Latest => Needs {
                latest: true,
                ..Needs::default()
            },
            // Explicit and shifted offsets are clamped into [earliest, latest].
            ResetSpec::ToOffset(_) => Needs {
                earliest: true,
                latest: true,
                ..Needs::default()
            },
            ResetSpec::ShiftBy(_) => Needs {
                earliest: true,
                latest: true,
                committed: true,
                ..Needs::default()
            },
            // The log end is the fallback for partitions with nothing that recent.
            ResetSpec::ToDatetime(ts) => Needs {
                latest: true,
                timestamp: Some(ts),
                ..Needs::default()
            },
        }
    }
}

/// The log offsets fetched for a plan; a partition missing from a map could not be
/// looked up. In `at_time`, -1 means no record is at or after the timestamp.
#[derive(Debug, Clone, Default)]
pub struct LogOffsets {
    pub earliest: HashMap<TopicPartition, i64>,
    pub latest: HashMap<TopicPartition, i64>,
    pub at_time: HashMap<TopicPartition, i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResetPlan {
    /// New offsets, sorted by topic and partition.
    pub offsets: Vec<(TopicPartition, i64)>,
    /// Kafka's warnings (clamping, empty partitions), for stderr.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ResetError {
    #[error("The partitions \"{0}\" do not exist")]
    UnknownPartitions(String),
    #[error("The partitions \"{0}\" have no leader")]
    NoLeader(String),
    #[error("Cannot shift offset for partition {0} since there is no current committed offset")]
    NoCommittedOffset(TopicPartition),
    #[error("Error getting {what} offset of topic partition: {tp}")]
    MissingLogOffset { what: &'static str, tp: TopicPartition },
}

fn join(tps: &[TopicPartition]) -> String {
    tps.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
}

/// The partitions named by `--topic` arguments, checked against the metadata like
/// Kafka's `checkAllTopicPartitionsValid`: all must exist and have a leader.
pub fn partitions_to_reset(
    specs: &[TopicSpec],
    cluster: &ClusterInfo,
) -> Result<Vec<TopicPartition>, ResetError> {
    let mut wanted = BTreeSet::new();
    let mut missing = Vec::new();
    for spec in specs {
        let topic = cluster
            .topic(spec.topic())
            .filter(|t| t.error.is_none() && !t.partitions.is_empty());
        match (spec, topic) {
            (TopicSpec::All(name), Some(t)) => {
                wanted.extend(t.partitions.iter().map(|p| TopicPartition::new(name, p.id)));
            }
            (TopicSpec::All(name), None) => {
                // Kafka's describeTopics fails for the whole topic; name it as a
                // partition-less entry so the message still says which one.
                missing.push(TopicPartition::new(name, -1));
            }
            (TopicSpec::Partitions(name, ids), _) => {
                for id in ids {
                    wanted.insert(TopicPartition::new(name, *id));
                }
            }
        }
    }
    let exists = |tp: &TopicPartition| {
        cluster
            .topic(&tp.topic)
            .is_some_and(|t| t.error.is_none() && t.partitions.iter().any(|p| p.id == tp.partition))
    };
    missing.extend(wanted.iter().filter(|tp| !exists(tp)).cloned());
    if !missing.is_empty() {
        let text = missing
            .iter()
            .map(|tp| {
                if tp.partition < 0 {
                    tp.topic.clone()
                } else {
                    tp.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(",");
        return Err(ResetError::UnknownPartitions(text));
    }
    let leaderless: Vec<TopicPartition> = wanted
        .iter()
        .filter(|tp| {
            cluster.topic(&tp.topic).is_some_and(|t| {
                t.partitions
                    .iter()
                    .any(|p| p.id == tp.partition && p.leader.is_none())
            })
        })
        .cloned()
        .collect();
    if !leaderless.is_empty() {
        return Err(ResetError::NoLeader(join(&leaderless)));
    }
    Ok(wanted.into_iter().collect())
}

/// Computes the new offset of every partition in `partitions`.
pub fn plan_reset(
    spec: ResetSpec,
    partitions: &[TopicPartition],
    committed: &BTreeMap<TopicPartition, i64>,
    logs: &LogOffsets,
) -> Result<ResetPlan, ResetError> {
    let mut plan = ResetPlan::default();
    let mut sorted: Vec<&TopicPartition> = partitions.iter().collect();
    sorted.sort();
    sorted.dedup();
    let lookup = |map: &HashMap<TopicPartition, i64>, what: &'static str, tp: &TopicPartition| {
        map.get(tp)
            .copied()
            .ok_or_else(|| ResetError::MissingLogOffset { what, tp: tp.clone() })
    };
    for tp in sorted {
        let offset = match spec {
            ResetSpec::Earliest => lookup(&logs.earliest, "starting", tp)?,
            ResetSpec::Latest => lookup(&logs.latest, "ending", tp)?,
            ResetSpec::ToOffset(o) => clamp(o, tp, logs, &mut plan.warnings)?,
            ResetSpec::ShiftBy(by) => {
                let current = committed
                    .get(tp)
                    .copied()
                    .filter(|o| *o >= 0)
                    .ok_or_else(|| ResetError::NoCommittedOffset(tp.clone()))?;
                clamp(current.saturating_add(by), tp, logs, &mut plan.warnings)?
            }
            ResetSpec::ToDatetime(_) => match logs.at_time.get(tp).copied() {
                Some(o) if o >= 0 => o,
                Some(_) => {
                    plan.warnings.push(format!(
                        "Warn: Partition {} from topic {} is empty. Falling back to latest known offset.",
                        tp.partition, tp.topic
                    ));
                    lookup(&logs.latest, "ending", tp)?
                }
                None => {
                    return Err(ResetError::MissingLogOffset {
                        what: "timestamp",
                        tp: tp.clone(),
                    })
                }
            },
        };
        plan.offsets.push((tp.clone(), offset));
    }
    Ok(plan)
}

/// Kafka's `checkOffsetsRange`: above the log end becomes the log end, below the log
/// start the log start, each with a warning.
fn clamp(
    offset: i64,
    tp: &TopicPartition,
    logs: &LogOffsets,
    warnings: &mut Vec<String>,
) -> Result<i64, ResetError> {
    let end = logs
        .latest
        .get(tp)
        .copied()
        .ok_or_else(|| ResetError::MissingLogOffset {
            what: "ending",
            tp: tp.clone(),
        })?;
    if offset > end {
        warnings.push(format!(
            "New offset ({offset}) is higher than latest offset for topic partition {tp}. Value will be set to {end}."
        ));
        return Ok(end);
    }
    if let Some(start) = logs.earliest.get(tp).copied() {
        if offset < start {
            warnings.push(format!(
                "New offset ({offset}) is lower than earliest offset for topic partition {tp}. Value will be set to {start}."
            ));
            return Ok(start);
        }
    }
    Ok(offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::client::TopicInfo;
    use crate::cli::describe::PartitionDescription;

    fn tp(t: &str, p: i32) -> TopicPartition {
        TopicPartition::new(t, p)
    }

    fn cluster() -> ClusterInfo {
        let part = |id, leader| PartitionDescription {
            id,
            leader,
            replicas: vec![1],
            isr: vec![1],
        };
        ClusterInfo {
            brokers: [1].into_iter().collect(),
            topics: vec![
                TopicInfo {
                    name: "a".into(),
                    error: None,
                    partitions: vec![part(1, Some(1)), part(0, Some(1))],
                },
                TopicInfo {
                    name: "b".into(),
                    error: None,
                    partitions: vec![part(0, Some(1)), part(1, None)],
                },
            ],
        }
    }

    fn logs() -> LogOffsets {
        let mut l = LogOffsets::default();
        for (p, start, end, at) in [(0, 10, 100, 50), (1, 0, 5, -1)] {
            l.earliest.insert(tp("a", p), start);
            l.latest.insert(tp("a", p), end);
            l.at_time.insert(tp("a", p), at);
        }
        l
    }

    #[test]
    fn partitions_from_specs_are_checked() {
        let c = cluster();
        let got = partitions_to_reset(&[TopicSpec::All("a".into())], &c).unwrap();
        assert_eq!(got, vec![tp("a", 0), tp("a", 1)]);
        let got = partitions_to_reset(
            &[
                TopicSpec::Partitions("b".into(), vec![0]),
                TopicSpec::Partitions("a".into(), vec![1]),
            ],
            &c,
        )
        .unwrap();
        assert_eq!(got, vec![tp("a", 1), tp("b", 0)]);

        let err = partitions_to_reset(&[TopicSpec::Partitions("a".into(), vec![0, 7])], &c).unwrap_err();
        assert_eq!(err.to_string(), "The partitions \"a-7\" do not exist");
        let err = partitions_to_reset(&[TopicSpec::All("zz".into())], &c).unwrap_err();
        assert_eq!(err.to_string(), "The partitions \"zz\" do not exist");
        let err = partitions_to_reset(&[TopicSpec::All("b".into())], &c).unwrap_err();
        assert_eq!(err.to_string(), "The partitions \"b-1\" have no leader");
    }

    #[test]
    fn earliest_latest_and_datetime() {
        let parts = [tp("a", 1), tp("a", 0)];
        let none = BTreeMap::new();
        let p = plan_reset(ResetSpec::Earliest, &parts, &none, &logs()).unwrap();
        assert_eq!(p.offsets, vec![(tp("a", 0), 10), (tp("a", 1), 0)]);
        let p = plan_reset(ResetSpec::Latest, &parts, &none, &logs()).unwrap();
        assert_eq!(p.offsets, vec![(tp("a", 0), 100), (tp("a", 1), 5)]);
        assert!(p.warnings.is_empty());

        let p = plan_reset(ResetSpec::ToDatetime(1), &parts, &none, &logs()).unwrap();
        assert_eq!(p.offsets, vec![(tp("a", 0), 50), (tp("a", 1), 5)]);
        assert_eq!(
            p.warnings,
            vec!["Warn: Partition 1 from topic a is empty. Falling back to latest known offset."]
        );

        let err = plan_reset(ResetSpec::Latest, &[tp("b", 0)], &none, &logs()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Error getting ending offset of topic partition: b-0"
        );
    }

    #[test]
    fn explicit_offsets_are_clamped() {
        let parts = [tp("a", 0)];
        let none = BTreeMap::new();
        let at = |o| plan_reset(ResetSpec::ToOffset(o), &parts, &none, &logs()).unwrap();
        assert_eq!(at(42).offsets, vec![(tp("a", 0), 42)]);
        assert!(at(42).warnings.is_empty());
        let high = at(1000);
        assert_eq!(high.offsets, vec![(tp("a", 0), 100)]);
        assert!(high.warnings[0].contains("higher than latest offset for topic partition a-0"));
        let low = at(3);
        assert_eq!(low.offsets, vec![(tp("a", 0), 10)]);
        assert!(low.warnings[0].contains("Value will be set to 10."));
    }

    #[test]
    fn shift_by_needs_a_committed_offset() {
        let parts = [tp("a", 0), tp("a", 1)];
        let committed: BTreeMap<_, _> = [(tp("a", 0), 40), (tp("a", 1), 3)].into_iter().collect();
        let p = plan_reset(ResetSpec::ShiftBy(-5), &parts, &committed, &logs()).unwrap();
        // 40-5 = 35 is in range; 3-5 = -2 is clamped to the log start 0.
        assert_eq!(p.offsets, vec![(tp("a", 0), 35), (tp("a", 1), 0)]);
        let p = plan_reset(ResetSpec::ShiftBy(i64::MAX), &parts, &committed, &logs()).unwrap();
        assert_eq!(p.offsets, vec![(tp("a", 0), 100), (tp("a", 1), 5)]);

        let only_one: BTreeMap<_, _> = [(tp("a", 0), 40)].into_iter().collect();
        let err = plan_reset(ResetSpec::ShiftBy(1), &parts, &only_one, &logs()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Cannot shift offset for partition a-1 since there is no current committed offset"
        );
    }

    #[test]
    fn needs_follow_the_spec() {
        assert!(ResetSpec::ShiftBy(1).needs().committed);
        assert!(!ResetSpec::ToOffset(1).needs().committed);
        assert_eq!(ResetSpec::ToDatetime(7).needs().timestamp, Some(7));
        assert!(ResetSpec::ToDatetime(7).needs().latest);
        assert!(!ResetSpec::Earliest.needs().latest);
    }
}
