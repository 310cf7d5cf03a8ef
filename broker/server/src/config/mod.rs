//! Broker configuration with Kafka's key names and semantics.
//!
//! Sources, lowest precedence first: embedded defaults, a `server.properties`
//! file (`--config`), `KAVKA_<KEY>` environment variables (dots become
//! underscores, upper case), and repeated `--set key=value` flags. Every key
//! is parsed into a typed field; an unknown key or a bad value stops startup
//! with an error naming the key and where it came from.

mod group;
mod keys;
mod listener;
mod properties;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

pub use group::GroupSettings;
pub use keys::{ConfigKey, KEYS};
pub use listener::{Listener, ListenerError};

/// Where a configuration value came from (reported by DescribeConfigs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    Default,
    File(PathBuf),
    Env(String),
    CommandLine,
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigSource::Default => write!(f, "default"),
            ConfigSource::File(p) => write!(f, "file {}", p.display()),
            ConfigSource::Env(v) => write!(f, "environment variable {v}"),
            ConfigSource::CommandLine => write!(f, "--set"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("unknown configuration key `{key}` (from {origin})")]
    UnknownKey { key: String, origin: ConfigSource },
    #[error("invalid value `{value}` for configuration key `{key}` (from {origin}): {reason}")]
    InvalidValue {
        key: String,
        value: String,
        origin: ConfigSource,
        reason: String,
    },
    #[error("cannot read configuration file {path}: {err}")]
    Read {
        path: PathBuf,
        #[source]
        err: std::io::Error,
    },
    #[error("{path}:{line}: {reason}")]
    Syntax {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("`--set {arg}` must have the form key=value")]
    BadOverride { arg: String },
    #[error("invalid configuration: {0}")]
    Inconsistent(String),
}

/// The roles this process plays (`process.roles`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessRoles {
    pub broker: bool,
    pub controller: bool,
}

/// `log.message.timestamp.type`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampType {
    CreateTime,
    LogAppendTime,
}

/// `log.cleanup.policy`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CleanupPolicy {
    Delete,
    Compact,
    CompactDelete,
}

/// The typed broker configuration.
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    pub node_id: i32,
    pub process_roles: ProcessRoles,
    pub listeners: Vec<Listener>,
    pub advertised_listeners: Option<Vec<Listener>>,
    pub log_dirs: Vec<PathBuf>,
    pub num_partitions: i32,
    pub default_replication_factor: i16,
    pub auto_create_topics_enable: bool,
    pub delete_topic_enable: bool,
    pub log_segment_bytes: u64,
    pub log_roll_ms: u64,
    pub log_retention_ms: Option<i64>,
    pub log_retention_bytes: Option<u64>,
    pub log_retention_check_interval_ms: u64,
    pub log_flush_interval_messages: Option<u64>,
    pub log_flush_interval_ms: Option<u64>,
    pub log_flush_scheduler_interval_ms: Option<u64>,
    pub log_index_interval_bytes: u64,
    pub log_cleanup_policy: CleanupPolicy,
    pub log_message_timestamp_type: TimestampType,
    pub message_max_bytes: u32,
    pub socket_request_max_bytes: u32,
    pub min_insync_replicas: i32,
    pub broker_rack: Option<String>,
    /// `producer.id.expiration.ms`: idle time after which a producer's
    /// state is forgotten.
    pub producer_id_expiration_ms: i64,
    /// `producer.id.expiration.check.interval.ms`
    pub producer_id_expiration_check_interval_ms: u64,
    pub cluster_id: Option<String>,
    /// `group.*` and `offsets.*`: the group coordinator.
    pub group: GroupSettings,
    /// Raw values as finally applied, keyed by config name, with their source.
    set: BTreeMap<&'static str, (String, ConfigSource)>,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        let mut cfg = BrokerConfig {
            node_id: 1,
            process_roles: ProcessRoles {
                broker: true,
                controller: true,
            },
            listeners: Vec::new(),
            advertised_listeners: None,
            log_dirs: Vec::new(),
            num_partitions: 1,
            default_replication_factor: 1,
            auto_create_topics_enable: true,
            delete_topic_enable: true,
            log_segment_bytes: 1 << 30,
            log_roll_ms: 168 * 3_600_000,
            log_retention_ms: Some(168 * 3_600_000),
            log_retention_bytes: None,
            log_retention_check_interval_ms: 300_000,
            log_flush_interval_messages: None,
            log_flush_interval_ms: None,
            log_flush_scheduler_interval_ms: None,
            log_index_interval_bytes: 4096,
            log_cleanup_policy: CleanupPolicy::Delete,
            log_message_timestamp_type: TimestampType::CreateTime,
            message_max_bytes: 1_048_588,
            socket_request_max_bytes: 104_857_600,
            min_insync_replicas: 1,
            broker_rack: None,
            producer_id_expiration_ms: 86_400_000,
            producer_id_expiration_check_interval_ms: 600_000,
            cluster_id: None,
            group: GroupSettings::default(),
            set: BTreeMap::new(),
        };
        // Defaults go through the same parsers as user input so that the
        // typed fields and the reported values can never disagree.
        for key in KEYS {
            if let Some(default) = key.default {
                if let Err(e) = key.apply(&mut cfg, default) {
                    // A broken embedded default is a programming error
                    // caught by the unit tests below.
                    tracing::error!("embedded default for {} is invalid: {e}", key.name);
                }
            }
        }
        cfg
    }
}

/// Reserved environment variables that start with `KAVKA_` but are not
/// broker configuration (used by the CLI and logging).
const RESERVED_ENV: &[&str] = &["KAVKA_BOOTSTRAP_SERVER", "KAVKA_LOG", "KAVKA_LOG_FORMAT"];

impl BrokerConfig {
    /// Builds the configuration from an optional properties file, the
    /// process environment and `--set` overrides.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        overrides: &[String],
    ) -> Result<Self, ConfigError> {
        let mut cfg = BrokerConfig::default();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|err| ConfigError::Read {
                path: path.to_path_buf(),
                err,
            })?;
            for entry in properties::parse(&text).map_err(|(line, reason)| ConfigError::Syntax {
                path: path.to_path_buf(),
                line,
                reason,
            })? {
                cfg.set_value(&entry.0, &entry.1, ConfigSource::File(path.to_path_buf()))?;
            }
        }
        let mut env: Vec<(String, String)> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with("KAVKA_") && !RESERVED_ENV.contains(&k.as_str()))
            .collect();
        env.sort();
        for (var, value) in env {
            let key = KEYS
                .iter()
                .find(|k| env_name(k.name) == var)
                .map(|k| k.name.to_string())
                .unwrap_or_else(|| var.trim_start_matches("KAVKA_").to_lowercase().replace('_', "."));
            cfg.set_value(&key, &value, ConfigSource::Env(var.clone()))?;
        }
        for arg in overrides {
            let (k, v) = arg
                .split_once('=')
                .ok_or_else(|| ConfigError::BadOverride { arg: arg.clone() })?;
            cfg.set_value(k.trim(), v.trim(), ConfigSource::CommandLine)?;
        }
        cfg.check()?;
        Ok(cfg)
    }

    /// Sets one key from a string value.
    pub fn set_value(&mut self, key: &str, value: &str, source: ConfigSource) -> Result<(), ConfigError> {
        let def = KEYS
            .iter()
            .find(|k| k.name == key || k.aliases.contains(&key))
            .ok_or_else(|| ConfigError::UnknownKey {
                key: key.to_string(),
                origin: source.clone(),
            })?;
        def.apply(self, value)
            .map_err(|reason| ConfigError::InvalidValue {
                key: key.to_string(),
                value: value.to_string(),
                origin: source.clone(),
                reason,
            })?;
        self.set.insert(def.name, (value.to_string(), source));
        Ok(())
    }

    /// Cross-key checks that no single parser can make.
    fn check(&mut self) -> Result<(), ConfigError> {
        if self.listeners.is_empty() {
            return Err(ConfigError::Inconsistent("`listeners` is empty".into()));
        }
        if self.log_dirs.is_empty() {
            return Err(ConfigError::Inconsistent("`log.dirs` is empty".into()));
        }
        if !self.process_roles.broker {
            return Err(ConfigError::Inconsistent(
                "`process.roles` without `broker` is not supported yet: the standalone controller arrives with replication".into(),
            ));
        }
        if !self.process_roles.controller {
            return Err(ConfigError::Inconsistent(
                "`process.roles=broker` needs an external controller, which is not supported yet; use `broker,controller`".into(),
            ));
        }
        if self.default_replication_factor < 1 {
            return Err(ConfigError::Inconsistent(
                "`default.replication.factor` must be at least 1".into(),
            ));
        }
        Ok(())
    }

    /// The listeners advertised to clients (`advertised.listeners`, else `listeners`).
    pub fn advertised(&self) -> &[Listener] {
        self.advertised_listeners.as_deref().unwrap_or(&self.listeners)
    }

    /// The first log directory; cluster metadata is kept there.
    pub fn primary_log_dir(&self) -> &Path {
        // `check` guarantees at least one entry.
        self.log_dirs
            .first()
            .map(PathBuf::as_path)
            .unwrap_or(Path::new("kavka-data"))
    }

    /// Every key with its current value and source, for DescribeConfigs.
    pub fn entries(&self) -> Vec<ConfigEntry> {
        KEYS.iter()
            .map(|k| {
                let (value, source) = match self.set.get(k.name) {
                    Some((v, s)) => (Some(v.clone()), s.clone()),
                    None => (k.default.map(str::to_string), ConfigSource::Default),
                };
                ConfigEntry {
                    name: k.name,
                    value,
                    source,
                    doc: k.doc,
                }
            })
            .collect()
    }

    /// The current value of one broker key, as Kafka would print it.
    pub fn value_of(&self, key: &str) -> Option<String> {
        self.set.get(key).map(|(v, _)| v.clone()).or_else(|| {
            KEYS.iter()
                .find(|k| k.name == key)
                .and_then(|k| k.default.map(str::to_string))
        })
    }
}

/// One row of the broker's configuration.
#[derive(Debug, Clone)]
pub struct ConfigEntry {
    pub name: &'static str,
    pub value: Option<String>,
    pub source: ConfigSource,
    pub doc: &'static str,
}

/// `log.retention.ms` -> `KAVKA_LOG_RETENTION_MS`
pub fn env_name(key: &str) -> String {
    format!("KAVKA_{}", key.replace(['.', '-'], "_").to_uppercase())
}

#[cfg(test)]
mod tests;
