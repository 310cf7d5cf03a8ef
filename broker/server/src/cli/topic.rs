//! `kavka topic ...`: create, list, describe, alter and delete topics through the Kafka
//! admin API, with the options and output of Kafka's `kafka-topics.sh`.

use std::collections::HashMap;
use std::sync::Arc;

use rdkafka::admin::{ConfigSource, NewPartitions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::types::RDKafkaErrorCode;

use super::args::{parse_key_value, parse_replica_assignment, ClientArgs};
use super::client::{self, Admin};
use super::describe::{format_topic, DescribeFilter, TopicDescription};
use super::error::CliError;
use super::ffi::{self, ConfigOp};

/// Topics Kafka itself marks internal (hidden by `--exclude-internal`).
const INTERNAL_TOPICS: &[&str] = &["__consumer_offsets", "__transaction_state"];

/// Upper bound on the DescribeTopics call that fetches topic ids for `describe`.
const TOPIC_ID_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Kafka's limit; longer names break the `<topic>-<partition>` directory name.
const MAX_TOPIC_NAME_LEN: usize = 249;

/// A parsed `--replica-assignment` (wrapped so clap does not treat it as a list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaAssignment(pub Vec<Vec<i32>>);

fn parse_assignment_arg(s: &str) -> Result<ReplicaAssignment, String> {
    parse_replica_assignment(s).map(ReplicaAssignment)
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum TopicCommand {
    /// Create a topic.
    Create {
        name: String,
        /// Partition count; the broker's `num.partitions` when omitted.
        #[arg(long, value_parser = clap::value_parser!(i32).range(1..))]
        partitions: Option<i32>,
        /// Replication factor; the broker's `default.replication.factor` when omitted.
        #[arg(long, value_parser = clap::value_parser!(i32).range(1..=i16::MAX as i64))]
        replication_factor: Option<i32>,
        /// Topic config override `key=value`; repeatable.
        #[arg(long = "config", value_name = "KEY=VALUE", value_parser = parse_key_value)]
        configs: Vec<(String, String)>,
        /// Explicit replicas, e.g. `0:1,1:2` (partition 0 on brokers 0 and 1, ...).
        #[arg(long, value_parser = parse_assignment_arg,
              conflicts_with_all = ["partitions", "replication_factor"])]
        replica_assignment: Option<ReplicaAssignment>,
        /// Succeed without changes if the topic already exists.
        #[arg(long)]
        if_not_exists: bool,
    },
    /// List topic names.
    List {
        #[arg(long)]
        exclude_internal: bool,
    },
    /// Describe topics (all topics when no name is given).
    Describe {
        names: Vec<String>,
        /// Only partitions whose ISR is smaller than their replica set.
        #[arg(long)]
        under_replicated_partitions: bool,
        /// Only partitions without a live leader.
        #[arg(long)]
        unavailable_partitions: bool,
        #[arg(long)]
        exclude_internal: bool,
    },
    /// Add partitions and/or change topic configs.
    Alter {
        name: String,
        /// New total partition count (can only grow).
        #[arg(long, value_parser = clap::value_parser!(i32).range(1..))]
        partitions: Option<i32>,
        /// Replicas for all partitions (`0:1,1:2`); entries for the new ones are used.
        #[arg(long, value_parser = parse_assignment_arg, requires = "partitions")]
        replica_assignment: Option<ReplicaAssignment>,
        /// Set a topic config `key=value`; repeatable.
        #[arg(long = "config", value_name = "KEY=VALUE", value_parser = parse_key_value)]
        configs: Vec<(String, String)>,
        /// Remove a topic config override (back to the broker default); repeatable.
        #[arg(long = "delete-config", value_name = "KEY")]
        delete_configs: Vec<String>,
    },
    /// Delete topics.
    Delete {
        #[arg(required = true)]
        names: Vec<String>,
        /// Succeed for topics that do not exist.
        #[arg(long)]
        if_exists: bool,
    },
}

pub async fn run_topic(cmd: TopicCommand, common: &ClientArgs) -> anyhow::Result<()> {
    let admin = client::admin(common)?;
    match cmd {
        TopicCommand::Create {
            name,
            partitions,
            replication_factor,
            configs,
            replica_assignment,
            if_not_exists,
        } => {
            let spec = CreateSpec {
                name,
                partitions,
                replication_factor,
                configs,
                replica_assignment,
                if_not_exists,
            };
            create(&admin, common, spec).await?
        }
        TopicCommand::List { exclude_internal } => list(&admin, common, exclude_internal).await?,
        TopicCommand::Describe {
            names,
            under_replicated_partitions,
            unavailable_partitions,
            exclude_internal,
        } => {
            let filter = DescribeFilter {
                under_replicated: under_replicated_partitions,
                unavailable: unavailable_partitions,
            };
            describe(&admin, common, names, filter, exclude_internal).await?
        }
        TopicCommand::Alter {
            name,
            partitions,
            replica_assignment,
            configs,
            delete_configs,
        } => {
            let ops = config_ops(configs, delete_configs)?;
            alter(&admin, common, &name, partitions, replica_assignment, ops).await?
        }
        TopicCommand::Delete { names, if_exists } => delete(&admin, common, names, if_exists).await?,
    }
    Ok(())
}

/// Kafka's topic name rules: 1..=249 characters from `[a-zA-Z0-9._-]`, not `.`/`..`.
pub fn validate_topic_name(name: &str) -> Result<(), CliError> {
    let bad = |reason: String| Err(CliError::invalid(format!("topic name {name:?}"), reason));
    if name.is_empty() {
        return bad("must not be empty".into());
    }
    if name == "." || name == ".." {
        return bad("must not be '.' or '..'".into());
    }
    if name.len() > MAX_TOPIC_NAME_LEN {
        return bad(format!("longer than {MAX_TOPIC_NAME_LEN} characters"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return bad(format!(
            "contains {c:?}; only ASCII letters, digits, '.', '_' and '-' are allowed"
        ));
    }
    Ok(())
}

/// Turns `--config`/`--delete-config` into incremental operations, refusing a key
/// that is both set and deleted.
pub fn config_ops(set: Vec<(String, String)>, delete: Vec<String>) -> Result<Vec<ConfigOp>, CliError> {
    if let Some(k) = delete.iter().find(|k| set.iter().any(|(s, _)| s == *k)) {
        return Err(CliError::invalid(
            "--config/--delete-config",
            format!("{k} is both set and deleted"),
        ));
    }
    let mut ops: Vec<ConfigOp> = set.into_iter().map(|(k, v)| ConfigOp::Set(k, v)).collect();
    ops.extend(delete.into_iter().map(ConfigOp::Delete));
    Ok(ops)
}

struct CreateSpec {
    name: String,
    partitions: Option<i32>,
    replication_factor: Option<i32>,
    configs: Vec<(String, String)>,
    replica_assignment: Option<ReplicaAssignment>,
    if_not_exists: bool,
}

async fn create(admin: &Arc<Admin>, common: &ClientArgs, spec: CreateSpec) -> Result<(), CliError> {
    validate_topic_name(&spec.name)?;
    let rows: Vec<&[i32]> = spec
        .replica_assignment
        .as_ref()
        .map(|a| a.0.iter().map(Vec::as_slice).collect())
        .unwrap_or_default();
    let (partitions, replication) = match &spec.replica_assignment {
        Some(a) => (a.0.len() as i32, TopicReplication::Variable(&rows)),
        // -1 asks the broker for its defaults (CreateTopics v4+).
        None => (
            spec.partitions.unwrap_or(-1),
            TopicReplication::Fixed(spec.replication_factor.unwrap_or(-1)),
        ),
    };
    let mut new = NewTopic::new(&spec.name, partitions, replication);
    for (k, v) in &spec.configs {
        new = new.set(k, v);
    }
    let results = admin
        .create_topics([&new], &client::admin_options(common))
        .await
        .map_err(|e| CliError::client("CreateTopics", e))?;
    for r in results {
        match r {
            Ok(name) => println!("Created topic {name}."),
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) if spec.if_not_exists => {}
            Err((name, code)) => {
                return Err(CliError::broker("CreateTopics", format!("topic '{name}'"), code))
            }
        }
    }
    Ok(())
}

async fn list(admin: &Arc<Admin>, common: &ClientArgs, exclude_internal: bool) -> Result<(), CliError> {
    let info = client::cluster_info(admin, None, common.request_timeout()).await?;
    let mut names: Vec<&str> = info
        .topics
        .iter()
        .map(|t| t.name.as_str())
        .filter(|n| !(exclude_internal && INTERNAL_TOPICS.contains(n)))
        .collect();
    names.sort_unstable();
    for n in names {
        println!("{n}");
    }
    Ok(())
}

async fn describe(
    admin: &Arc<Admin>,
    common: &ClientArgs,
    names: Vec<String>,
    filter: DescribeFilter,
    exclude_internal: bool,
) -> Result<(), CliError> {
    let timeout = common.request_timeout();
    let info = client::cluster_info(admin, None, timeout).await?;
    let mut selected = Vec::new();
    if names.is_empty() {
        selected.extend(
            info.topics
                .iter()
                .filter(|t| !(exclude_internal && INTERNAL_TOPICS.contains(&t.name.as_str()))),
        );
    } else {
        for n in &names {
            match info.topic(n) {
                Some(t) if t.error.is_none() => selected.push(t),
                _ => return Err(CliError::UnknownTopic(n.clone())),
            }
        }
    }
    selected.sort_by(|a, b| a.name.cmp(&b.name));
    if selected.is_empty() {
        return Ok(());
    }
    let topic_names: Vec<String> = selected.iter().map(|t| t.name.clone()).collect();
    // Configs and ids are independent lookups; run them together so a broker that
    // is slow to answer one does not add up to two timeouts.
    let ids = async {
        let admin = Arc::clone(admin);
        let names = topic_names.clone();
        // Ids are cosmetic: do not let a slow or controller-less cluster hold up the
        // partition listing for the whole request timeout.
        let id_timeout = timeout.min(TOPIC_ID_TIMEOUT);
        client::blocking(move || ffi::describe_topic_ids(&admin, &names, id_timeout))
            .await
            .unwrap_or_else(|e| {
                eprintln!("warning: could not fetch topic ids: {e}");
                HashMap::new()
            })
    };
    let (configs, ids) = tokio::join!(describe_topic_configs(admin, common, &topic_names), ids);
    for t in selected {
        let desc = TopicDescription {
            name: t.name.clone(),
            topic_id: ids.get(&t.name).cloned(),
            partitions: t.partitions.clone(),
            configs: configs.get(&t.name).cloned().unwrap_or_default(),
        };
        print!("{}", format_topic(&desc, &info.brokers, filter));
    }
    Ok(())
}

/// Non-default configs per topic. A failure is reported but does not stop `describe`:
/// the partition layout is still worth printing.
async fn describe_topic_configs(
    admin: &Arc<Admin>,
    common: &ClientArgs,
    names: &[String],
) -> HashMap<String, Vec<(String, String)>> {
    let specs: Vec<ResourceSpecifier> = names.iter().map(|n| ResourceSpecifier::Topic(n)).collect();
    let results = match admin
        .describe_configs(specs.iter(), &client::admin_options(common))
        .await
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("warning: {}", CliError::client("DescribeConfigs", e));
            return HashMap::new();
        }
    };
    let mut out = HashMap::new();
    for (name, result) in names.iter().zip(results) {
        match result {
            Ok(resource) => {
                let mut entries: Vec<(String, String)> = resource
                    .entries
                    .into_iter()
                    .filter(|e| !e.is_default && e.source != ConfigSource::Default)
                    .map(|e| {
                        let value = if e.is_sensitive {
                            "[hidden]".to_string()
                        } else {
                            e.value.unwrap_or_else(|| "null".to_string())
                        };
                        (e.name, value)
                    })
                    .collect();
                entries.sort();
                out.insert(name.clone(), entries);
            }
            Err(code) => eprintln!(
                "warning: {}",
                CliError::broker("DescribeConfigs", format!("topic '{name}'"), code)
            ),
        }
    }
    out
}

async fn alter(
    admin: &Arc<Admin>,
    common: &ClientArgs,
    name: &str,
    partitions: Option<i32>,
    assignment: Option<ReplicaAssignment>,
    ops: Vec<ConfigOp>,
) -> Result<(), CliError> {
    if partitions.is_none() && ops.is_empty() {
        return Err(CliError::invalid(
            "topic alter",
            "nothing to change: give --partitions, --config or --delete-config",
        ));
    }
    let timeout = common.request_timeout();
    if let Some(total) = partitions {
        let current = client::topic_partitions(admin, name, timeout).await?.len();
        let total_usize = total as usize;
        if total_usize <= current {
            return Err(CliError::invalid(
                "--partitions",
                format!("topic '{name}' has {current} partitions; the count can only be increased"),
            ));
        }
        // As in Kafka's tool the assignment lists every partition; only the entries
        // of the partitions being added are sent.
        let rows: Vec<&[i32]> = match &assignment {
            Some(a) if a.0.len() != total_usize => {
                return Err(CliError::invalid(
                    "--replica-assignment",
                    format!("lists {} partitions but --partitions is {total}", a.0.len()),
                ))
            }
            Some(a) => a.0[current..].iter().map(Vec::as_slice).collect(),
            None => Vec::new(),
        };
        let mut req = NewPartitions::new(name, total_usize);
        if assignment.is_some() {
            req = req.assign(&rows);
        }
        let results = admin
            .create_partitions([&req], &client::admin_options(common))
            .await
            .map_err(|e| CliError::client("CreatePartitions", e))?;
        for r in results {
            if let Err((topic, code)) = r {
                return Err(CliError::broker(
                    "CreatePartitions",
                    format!("topic '{topic}'"),
                    code,
                ));
            }
        }
        println!("Topic {name} now has {total} partitions.");
    }
    if !ops.is_empty() {
        let admin = Arc::clone(admin);
        let topic = name.to_string();
        let count = ops.len();
        client::blocking(move || ffi::incremental_alter_topic(&admin, &topic, &ops, timeout)).await?;
        println!("Updated {count} config(s) of topic {name}.");
    }
    Ok(())
}

async fn delete(
    admin: &Arc<Admin>,
    common: &ClientArgs,
    names: Vec<String>,
    if_exists: bool,
) -> Result<(), CliError> {
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let results = admin
        .delete_topics(&refs, &client::admin_options(common))
        .await
        .map_err(|e| CliError::client("DeleteTopics", e))?;
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(name) => println!("Deleted topic {name}."),
            Err((_, RDKafkaErrorCode::UnknownTopicOrPartition)) if if_exists => {}
            Err((name, code)) => {
                errors.push(CliError::broker("DeleteTopics", format!("topic '{name}'"), code))
            }
        }
    }
    // One failure is returned as is; several are listed and summarised, so that the
    // caller's final error line does not repeat one of them.
    match errors.len() {
        0 => Ok(()),
        1 => Err(errors.remove(0)),
        n => {
            for e in &errors {
                eprintln!("Error: {e}");
            }
            Err(CliError::Incomplete(format!(
                "{n} of {} topics could not be deleted",
                names.len()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        cmd: TopicCommand,
    }

    #[test]
    fn topic_names_follow_kafka_rules() {
        assert!(validate_topic_name("orders.v1_x-2").is_ok());
        assert!(validate_topic_name("").is_err());
        assert!(validate_topic_name("..").is_err());
        assert!(validate_topic_name("a b").is_err());
        assert!(validate_topic_name("ü").is_err());
        assert!(validate_topic_name(&"x".repeat(249)).is_ok());
        assert!(validate_topic_name(&"x".repeat(250)).is_err());
    }

    #[test]
    fn config_ops_reject_set_and_delete_of_same_key() {
        let ops = config_ops(vec![("a".into(), "1".into())], vec!["b".into()]).unwrap();
        assert_eq!(
            ops,
            vec![
                ConfigOp::Set("a".into(), "1".into()),
                ConfigOp::Delete("b".into())
            ]
        );
        assert!(config_ops(vec![("a".into(), "1".into())], vec!["a".into()]).is_err());
    }

    #[test]
    fn create_parses_kafka_style_options() {
        let cli = Cli::try_parse_from([
            "t",
            "create",
            "orders",
            "--replica-assignment",
            "0:1,1:2",
            "--config",
            "retention.ms=5",
            "--if-not-exists",
        ])
        .unwrap();
        match cli.cmd {
            TopicCommand::Create {
                replica_assignment,
                configs,
                if_not_exists,
                ..
            } => {
                assert_eq!(
                    replica_assignment,
                    Some(ReplicaAssignment(vec![vec![0, 1], vec![1, 2]]))
                );
                assert_eq!(configs, vec![("retention.ms".to_string(), "5".to_string())]);
                assert!(if_not_exists);
            }
            other => panic!("unexpected {other:?}"),
        }
        // Kafka refuses an explicit assignment together with counts.
        assert!(Cli::try_parse_from([
            "t",
            "create",
            "x",
            "--partitions",
            "2",
            "--replica-assignment",
            "0,1"
        ])
        .is_err());
        assert!(Cli::try_parse_from(["t", "create", "x", "--partitions", "0"]).is_err());
        assert!(Cli::try_parse_from(["t", "delete"]).is_err());
    }
}
