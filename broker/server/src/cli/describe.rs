//! `topic describe` output in the format of Kafka's `kafka-topics.sh --describe`, built
//! from plain domain structs so it can be tested without a broker.

use std::collections::BTreeSet;
use std::fmt::Write;

/// Kafka prints the all-zero topic id (`Uuid.ZERO_UUID`) in URL-safe base64 when the
/// broker does not report one.
pub const ZERO_TOPIC_ID: &str = "AAAAAAAAAAAAAAAAAAAAAA";

/// Kafka's text form of a topic id (`Uuid.toString()`): the 16 big-endian bytes in
/// URL-safe base64 without padding. (librdkafka's own `rd_kafka_Uuid_base64str` uses
/// the standard alphabet, which differs from Kafka's tools in `+`/`/`.)
pub fn topic_id_string(most_significant: i64, least_significant: i64) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&most_significant.to_be_bytes());
    bytes[8..].copy_from_slice(&least_significant.to_be_bytes());
    let mut out = String::with_capacity(22);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        // A full chunk yields 4 characters; the final 1-byte chunk yields 2 (no padding).
        let chars = if chunk.len() == 3 { 4 } else { chunk.len() + 1 };
        for i in 0..chars {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 0x3f) as usize] as char);
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicDescription {
    pub name: String,
    pub topic_id: Option<String>,
    pub partitions: Vec<PartitionDescription>,
    /// Non-default configs, in the order to print.
    pub configs: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionDescription {
    pub id: i32,
    /// `None` when the partition has no leader (Kafka prints `none`).
    pub leader: Option<i32>,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
}

impl PartitionDescription {
    pub fn is_under_replicated(&self) -> bool {
        self.isr.len() < self.replicas.len()
    }

    /// Replicas on brokers that are not in the cluster's broker list.
    pub fn offline_replicas(&self, live: &BTreeSet<i32>) -> Vec<i32> {
        self.replicas
            .iter()
            .copied()
            .filter(|r| !live.contains(r))
            .collect()
    }

    pub fn is_unavailable(&self, live: &BTreeSet<i32>) -> bool {
        self.leader.is_none_or(|l| !live.contains(&l))
    }
}

/// Which partitions `describe` prints; any filter also suppresses the summary line,
/// as in Kafka.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DescribeFilter {
    pub under_replicated: bool,
    pub unavailable: bool,
}

impl DescribeFilter {
    fn is_active(self) -> bool {
        self.under_replicated || self.unavailable
    }

    fn keeps(self, p: &PartitionDescription, live: &BTreeSet<i32>) -> bool {
        if !self.is_active() {
            return true;
        }
        (self.under_replicated && p.is_under_replicated()) || (self.unavailable && p.is_unavailable(live))
    }
}

fn join(ids: &[i32]) -> String {
    ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",")
}

/// Formats one topic: a summary line, then one tab-indented line per partition.
pub fn format_topic(
    topic: &TopicDescription,
    live_brokers: &BTreeSet<i32>,
    filter: DescribeFilter,
) -> String {
    let mut out = String::new();
    let mut partitions: Vec<&PartitionDescription> = topic.partitions.iter().collect();
    partitions.sort_by_key(|p| p.id);
    if !filter.is_active() {
        // Kafka takes the replication factor from the first partition.
        let rf = partitions.first().map_or(0, |p| p.replicas.len());
        let configs = topic
            .configs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",");
        let _ = writeln!(
            out,
            "Topic: {}\tTopicId: {}\tPartitionCount: {}\tReplicationFactor: {}\tConfigs: {}",
            topic.name,
            topic.topic_id.as_deref().unwrap_or(ZERO_TOPIC_ID),
            partitions.len(),
            rf,
            configs
        );
    }
    for p in partitions.into_iter().filter(|p| filter.keeps(p, live_brokers)) {
        let leader = p.leader.map_or_else(|| "none".to_string(), |l| l.to_string());
        let _ = write!(
            out,
            "\tTopic: {}\tPartition: {}\tLeader: {}\tReplicas: {}\tIsr: {}",
            topic.name,
            p.id,
            leader,
            join(&p.replicas),
            join(&p.isr)
        );
        let offline = p.offline_replicas(live_brokers);
        if !offline.is_empty() {
            let _ = write!(out, "\tOffline: {}", join(&offline));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic() -> TopicDescription {
        TopicDescription {
            name: "orders".into(),
            topic_id: Some("5cX3XqqjRzq2Whvd-BlnwQ".into()),
            partitions: vec![
                PartitionDescription {
                    id: 1,
                    leader: Some(2),
                    replicas: vec![2, 3],
                    isr: vec![2],
                },
                PartitionDescription {
                    id: 0,
                    leader: Some(1),
                    replicas: vec![1, 2],
                    isr: vec![1, 2],
                },
                PartitionDescription {
                    id: 2,
                    leader: None,
                    replicas: vec![3, 1],
                    isr: vec![],
                },
            ],
            configs: vec![
                ("cleanup.policy".into(), "compact".into()),
                ("retention.ms".into(), "1000".into()),
            ],
        }
    }

    fn live() -> BTreeSet<i32> {
        [1, 2].into_iter().collect()
    }

    #[test]
    fn topic_ids_in_kafka_base64() {
        assert_eq!(topic_id_string(0, 0), ZERO_TOPIC_ID);
        assert_eq!(topic_id_string(-1, -1), "_____________________w");
        assert_eq!(
            topic_id_string(0x1234_5678_90ab_cdef, -0x0123_4567_89ab_cdef),
            "EjRWeJCrze_-3LqYdlQyEQ"
        );
    }

    #[test]
    fn kafka_format_with_offline_replicas() {
        let s = format_topic(&topic(), &live(), DescribeFilter::default());
        let expected = "Topic: orders\tTopicId: 5cX3XqqjRzq2Whvd-BlnwQ\tPartitionCount: 3\tReplicationFactor: 2\tConfigs: cleanup.policy=compact,retention.ms=1000\n\
            \tTopic: orders\tPartition: 0\tLeader: 1\tReplicas: 1,2\tIsr: 1,2\n\
            \tTopic: orders\tPartition: 1\tLeader: 2\tReplicas: 2,3\tIsr: 2\tOffline: 3\n\
            \tTopic: orders\tPartition: 2\tLeader: none\tReplicas: 3,1\tIsr: \tOffline: 3\n";
        assert_eq!(s, expected);
    }

    #[test]
    fn missing_topic_id_and_no_configs() {
        let mut t = topic();
        t.topic_id = None;
        t.configs.clear();
        t.partitions.truncate(1);
        let s = format_topic(&t, &[1, 2, 3].into_iter().collect(), DescribeFilter::default());
        assert_eq!(
            s,
            "Topic: orders\tTopicId: AAAAAAAAAAAAAAAAAAAAAA\tPartitionCount: 1\tReplicationFactor: 2\tConfigs: \n\
             \tTopic: orders\tPartition: 1\tLeader: 2\tReplicas: 2,3\tIsr: 2\n"
        );
    }

    #[test]
    fn filters_drop_summary_and_healthy_partitions() {
        let under = DescribeFilter {
            under_replicated: true,
            unavailable: false,
        };
        let s = format_topic(&topic(), &live(), under);
        assert!(!s.contains("PartitionCount"));
        assert_eq!(s.lines().count(), 2, "{s}");
        assert!(s.contains("Partition: 1\t") && s.contains("Partition: 2\t"));

        let unavailable = DescribeFilter {
            under_replicated: false,
            unavailable: true,
        };
        let s = format_topic(&topic(), &live(), unavailable);
        assert_eq!(s.lines().count(), 1, "{s}");
        assert!(s.contains("Partition: 2\tLeader: none"));
    }
}
