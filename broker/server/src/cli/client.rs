//! Broker-facing helpers shared by the subcommands: admin client creation, cluster
//! metadata as domain structs, and "create the topic if it is missing".
//!
//! librdkafka calls that block are run on tokio's blocking pool so that the async
//! entry points never stall the runtime.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::metadata::Metadata;
use rdkafka::types::RDKafkaErrorCode;

use super::args::ClientArgs;
use super::describe::PartitionDescription;
use super::error::CliError;

pub type Admin = AdminClient<DefaultClientContext>;

pub fn admin(args: &ClientArgs) -> Result<Arc<Admin>, CliError> {
    // librdkafka creates admin clients as producer handles, whose Metadata requests
    // allow auto-creation by default: merely looking up a missing topic would create
    // it (with broker defaults) on a broker with auto.create.topics.enable.
    let admin: Admin = args
        .client_config(&[("allow.auto.create.topics", "false")])?
        .create()
        .map_err(|e| CliError::client("creating admin client", e))?;
    Ok(Arc::new(admin))
}

pub fn admin_options(args: &ClientArgs) -> AdminOptions {
    AdminOptions::new()
        .request_timeout(Some(args.request_timeout()))
        .operation_timeout(Some(args.request_timeout()))
}

/// Runs a blocking librdkafka call off the async runtime.
pub async fn blocking<T, F>(f: F) -> Result<T, CliError>
where
    F: FnOnce() -> Result<T, CliError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| CliError::Native(format!("blocking task failed: {e}")))?
}

/// What the cluster metadata says about one topic.
#[derive(Debug, Clone)]
pub struct TopicInfo {
    pub name: String,
    /// Topic-level error, e.g. UNKNOWN_TOPIC_OR_PARTITION.
    pub error: Option<RDKafkaErrorCode>,
    pub partitions: Vec<PartitionDescription>,
}

#[derive(Debug, Clone)]
pub struct ClusterInfo {
    pub brokers: BTreeSet<i32>,
    pub topics: Vec<TopicInfo>,
}

impl ClusterInfo {
    fn from_metadata(md: &Metadata) -> Self {
        let brokers = md.brokers().iter().map(|b| b.id()).collect();
        let topics = md
            .topics()
            .iter()
            .map(|t| TopicInfo {
                name: t.name().to_string(),
                error: t.error().map(RDKafkaErrorCode::from),
                partitions: t
                    .partitions()
                    .iter()
                    .map(|p| PartitionDescription {
                        id: p.id(),
                        leader: (p.leader() >= 0).then_some(p.leader()),
                        replicas: p.replicas().to_vec(),
                        isr: p.isr().to_vec(),
                    })
                    .collect(),
            })
            .collect();
        ClusterInfo { brokers, topics }
    }

    pub fn topic(&self, name: &str) -> Option<&TopicInfo> {
        self.topics.iter().find(|t| t.name == name)
    }
}

/// Fetches metadata for one topic, or for all topics when `topic` is `None`.
pub async fn cluster_info(
    admin: &Arc<Admin>,
    topic: Option<&str>,
    timeout: Duration,
) -> Result<ClusterInfo, CliError> {
    let admin = Arc::clone(admin);
    let topic = topic.map(str::to_string);
    blocking(move || {
        let md = admin
            .inner()
            .fetch_metadata(topic.as_deref(), timeout)
            .map_err(|e| CliError::client("fetching metadata", e))?;
        Ok(ClusterInfo::from_metadata(&md))
    })
    .await
}

/// Partition ids of an existing topic, sorted.
pub async fn topic_partitions(
    admin: &Arc<Admin>,
    topic: &str,
    timeout: Duration,
) -> Result<Vec<i32>, CliError> {
    let info = cluster_info(admin, Some(topic), timeout).await?;
    match info.topic(topic) {
        Some(t) if t.error.is_none() && !t.partitions.is_empty() => {
            let mut ids: Vec<i32> = t.partitions.iter().map(|p| p.id).collect();
            ids.sort_unstable();
            Ok(ids)
        }
        Some(t) => match t.error {
            Some(RDKafkaErrorCode::UnknownTopicOrPartition) | None => {
                Err(CliError::UnknownTopic(topic.to_string()))
            }
            Some(code) => Err(CliError::broker("Metadata", format!("topic '{topic}'"), code)),
        },
        None => Err(CliError::UnknownTopic(topic.to_string())),
    }
}

/// Makes sure `topic` exists, creating it with `partitions` and `replication_factor`
/// when missing, and waits until every partition has a leader so that benchmarks do
/// not measure topic creation. Returns the partition ids.
pub async fn ensure_topic(
    admin: &Arc<Admin>,
    args: &ClientArgs,
    topic: &str,
    partitions: i32,
    replication_factor: i32,
) -> Result<Vec<i32>, CliError> {
    let timeout = args.request_timeout();
    match topic_partitions(admin, topic, timeout).await {
        Ok(ids) => {
            if ids.len() != partitions as usize {
                eprintln!(
                    "note: topic {topic} already exists with {} partition(s), not {partitions}; using it as is",
                    ids.len()
                );
            }
            return Ok(ids);
        }
        Err(CliError::UnknownTopic(_)) => {}
        Err(e) => return Err(e),
    }
    eprintln!(
        "Creating topic {topic} with {partitions} partition(s), replication factor {replication_factor}"
    );
    let new = NewTopic::new(topic, partitions, TopicReplication::Fixed(replication_factor));
    let results = admin
        .create_topics([&new], &admin_options(args))
        .await
        .map_err(|e| CliError::client("CreateTopics", e))?;
    for r in results {
        match r {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => {
                return Err(CliError::broker("CreateTopics", format!("topic '{name}'"), code))
            }
        }
    }
    wait_for_leaders(admin, topic, partitions, timeout).await
}

async fn wait_for_leaders(
    admin: &Arc<Admin>,
    topic: &str,
    partitions: i32,
    timeout: Duration,
) -> Result<Vec<i32>, CliError> {
    let deadline = Instant::now() + timeout;
    loop {
        let info = cluster_info(admin, Some(topic), timeout).await?;
        if let Some(t) = info.topic(topic) {
            let ready = t.error.is_none()
                && t.partitions.len() >= partitions as usize
                && t.partitions.iter().all(|p| p.leader.is_some());
            if ready {
                let mut ids: Vec<i32> = t.partitions.iter().map(|p| p.id).collect();
                ids.sort_unstable();
                return Ok(ids);
            }
        }
        if Instant::now() >= deadline {
            return Err(CliError::Incomplete(format!(
                "topic '{topic}' was created but its partitions have no leader after {timeout:?}"
            )));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
