//! IncrementalAlterConfigs and (legacy) AlterConfigs for topics.

use std::collections::{BTreeMap, BTreeSet};

use super::Controller;
use crate::error::ControllerError;
use crate::records::{ConfigRecord, ConfigResource, MetadataRecord};
use crate::topic_config::{self, split_list, ConfigType};
use crate::types::{BrokerId, TopicName};

/// One IncrementalAlterConfigs operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlterConfigOp {
    Set(String),
    /// Removes the override, so the default applies again.
    Delete,
    /// Adds items to a list config (missing items only).
    Append(String),
    /// Removes items from a list config.
    Subtract(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigOp {
    pub key: String,
    pub op: AlterConfigOp,
}

impl Controller {
    /// Applies incremental config operations to a topic, all or nothing.
    pub fn alter_topic_configs(
        &mut self,
        topic: &str,
        ops: Vec<ConfigOp>,
        validate_only: bool,
    ) -> Result<(), ControllerError> {
        let name = self.existing_topic(topic)?;
        let mut seen = BTreeSet::new();
        if let Some(dup) = ops.iter().find(|o| !seen.insert(o.key.as_str())) {
            return Err(ControllerError::InvalidRequest(format!(
                "Error due to duplicate config keys: {}",
                dup.key
            )));
        }
        let current = self.current_overrides(&name);
        let mut next = current.clone();
        for ConfigOp { key, op } in ops {
            let def = topic_config::topic_config_def(&key).ok_or_else(|| ControllerError::InvalidConfig {
                key: key.clone(),
                value: String::new(),
                reason: "unknown topic config name".into(),
            })?;
            match op {
                AlterConfigOp::Set(v) => {
                    next.insert(key, v);
                }
                AlterConfigOp::Delete => {
                    next.remove(&key);
                }
                AlterConfigOp::Append(v) | AlterConfigOp::Subtract(v)
                    if def.config_type != ConfigType::List =>
                {
                    return Err(ControllerError::InvalidConfig {
                        key,
                        value: v,
                        reason: "APPEND and SUBTRACT can only be used with list configs".into(),
                    });
                }
                AlterConfigOp::Append(v) => {
                    // Like Kafka, start from the override or else the default.
                    let base = next.get(&key).map_or(def.default, String::as_str);
                    let mut items: Vec<String> = split_list(base).into_iter().map(String::from).collect();
                    for item in split_list(&v) {
                        if !items.iter().any(|i| i == item) {
                            items.push(item.to_string());
                        }
                    }
                    next.insert(key, items.join(","));
                }
                AlterConfigOp::Subtract(v) => {
                    let base = next.get(&key).map_or(def.default, String::as_str);
                    let remove = split_list(&v);
                    let items: Vec<&str> = split_list(base)
                        .into_iter()
                        .filter(|i| !remove.contains(i))
                        .collect();
                    next.insert(key, items.join(","));
                }
            }
        }
        self.commit_topic_configs(&name, &current, next, validate_only)
    }

    /// Legacy AlterConfigs: `configs` becomes the complete set of overrides;
    /// keys not listed go back to their defaults.
    pub fn replace_topic_configs(
        &mut self,
        topic: &str,
        configs: BTreeMap<String, Option<String>>,
        validate_only: bool,
    ) -> Result<(), ControllerError> {
        let name = self.existing_topic(topic)?;
        let mut next = BTreeMap::new();
        for (key, value) in configs {
            let Some(value) = value else {
                return Err(ControllerError::InvalidConfig {
                    key,
                    value: "null".into(),
                    reason: "null values are not supported for topic configs".into(),
                });
            };
            next.insert(key, value);
        }
        let current = self.current_overrides(&name);
        self.commit_topic_configs(&name, &current, next, validate_only)
    }

    /// Dynamic broker configs are not supported yet; the broker answers
    /// with this error rather than pretending to apply them.
    pub fn alter_broker_configs(
        &mut self,
        broker: Option<BrokerId>,
        _ops: Vec<ConfigOp>,
        _validate_only: bool,
    ) -> Result<(), ControllerError> {
        Err(ControllerError::Unsupported(format!(
            "dynamic broker configs ({}) are not supported yet; set them in the broker's \
             configuration file",
            match broker {
                Some(b) => format!("broker {b}"),
                None => "cluster default".into(),
            }
        )))
    }

    fn existing_topic(&self, topic: &str) -> Result<TopicName, ControllerError> {
        let name = TopicName::new(topic).map_err(|e| ControllerError::InvalidTopic(e.to_string()))?;
        if self.image.topic_by_name(topic).is_none() {
            return Err(ControllerError::UnknownTopicOrPartition(topic.to_string()));
        }
        Ok(name)
    }

    fn current_overrides(&self, name: &TopicName) -> BTreeMap<String, String> {
        self.image
            .topic_configs(name.as_str())
            .cloned()
            .unwrap_or_default()
    }

    /// Validates the complete new set and writes only what changed.
    fn commit_topic_configs(
        &mut self,
        name: &TopicName,
        current: &BTreeMap<String, String>,
        next: BTreeMap<String, String>,
        validate_only: bool,
    ) -> Result<(), ControllerError> {
        topic_config::validate_topic_configs(&next)?;
        let resource = ConfigResource::Topic(name.clone());
        let mut records = Vec::new();
        for (key, value) in &next {
            if current.get(key) != Some(value) {
                records.push(MetadataRecord::Config(ConfigRecord {
                    resource: resource.clone(),
                    name: key.clone(),
                    value: Some(value.clone()),
                }));
            }
        }
        for key in current.keys().filter(|k| !next.contains_key(*k)) {
            records.push(MetadataRecord::Config(ConfigRecord {
                resource: resource.clone(),
                name: key.clone(),
                value: None,
            }));
        }
        if validate_only || records.is_empty() {
            return Ok(());
        }
        let changed = records.len();
        self.commit(records)?;
        tracing::info!(topic = %name, changed, "altered topic configs");
        Ok(())
    }
}
