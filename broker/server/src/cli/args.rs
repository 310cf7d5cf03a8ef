//! Shared command-line arguments and the pure parsers behind them.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use rdkafka::ClientConfig;

use super::error::CliError;

/// Connection settings shared by every client subcommand. The flags are `global`, so
/// with `topic` they may be given before or after the action (`topic create ...`).
#[derive(Debug, Clone, clap::Args)]
pub struct ClientArgs {
    /// Kafka bootstrap servers, `host:port[,host:port...]`.
    #[arg(
        long,
        global = true,
        env = "KAVKA_BOOTSTRAP_SERVER",
        default_value = "127.0.0.1:9092"
    )]
    pub bootstrap_server: String,

    /// File of librdkafka client properties (`key=value` lines, `#` comments), as
    /// Kafka's tools take with `--command-config`.
    #[arg(long, global = true, value_name = "FILE")]
    pub command_config: Option<PathBuf>,

    /// Extra librdkafka client property `key=value`; repeatable, wins over
    /// `--command-config`.
    #[arg(long = "property", global = true, value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub properties: Vec<(String, String)>,

    /// Timeout of admin and metadata requests, in milliseconds.
    #[arg(long, global = true, default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout_ms: u64,
}

impl ClientArgs {
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }

    /// Client configuration in increasing precedence: `defaults` of the subcommand,
    /// the `--command-config` file, then `--property` flags.
    pub fn client_config(&self, defaults: &[(&str, &str)]) -> Result<ClientConfig, CliError> {
        let mut cfg = ClientConfig::new();
        cfg.set("bootstrap.servers", &self.bootstrap_server);
        for (k, v) in defaults {
            cfg.set(*k, *v);
        }
        if let Some(path) = &self.command_config {
            let text = std::fs::read_to_string(path).map_err(|source| CliError::ReadFile {
                path: path.clone(),
                source,
            })?;
            for (k, v) in
                parse_properties(&text).map_err(|e| CliError::invalid(format!("{}", path.display()), e))?
            {
                cfg.set(k, v);
            }
        }
        for (k, v) in &self.properties {
            cfg.set(k, v);
        }
        Ok(cfg)
    }
}

/// Parses `key=value`; the value may be empty and may itself contain `=`.
pub fn parse_key_value(s: &str) -> Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("expected key=value, got {s:?}"))?;
    let k = k.trim();
    if k.is_empty() {
        return Err(format!("empty key in {s:?}"));
    }
    Ok((k.to_string(), v.trim().to_string()))
}

/// Parses a Java-style properties text: one `key=value` (or `key: value`) per line,
/// blank lines and lines starting with `#` or `!` ignored. Line continuations and
/// escapes are not supported: client config files do not use them in practice.
pub fn parse_properties(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (no, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let sep = line
            .find(['=', ':'])
            .ok_or_else(|| format!("line {}: expected key=value, got {line:?}", no + 1))?;
        let (k, v) = (line[..sep].trim(), line[sep + 1..].trim());
        if k.is_empty() {
            return Err(format!("line {}: empty key", no + 1));
        }
        out.push((k.to_string(), v.to_string()));
    }
    Ok(out)
}

/// Parses Kafka's `--replica-assignment` syntax: partitions separated by `,`, the
/// broker ids of one partition by `:`, e.g. `0:1,1:2` = two partitions with two
/// replicas each. The first broker is the preferred leader.
pub fn parse_replica_assignment(s: &str) -> Result<Vec<Vec<i32>>, String> {
    let mut out: Vec<Vec<i32>> = Vec::new();
    for (partition, part) in s.split(',').enumerate() {
        let part = part.trim();
        if part.is_empty() {
            return Err(format!("partition {partition} has no replicas"));
        }
        let mut replicas = Vec::new();
        for id in part.split(':') {
            let id = id.trim();
            let broker: i32 = id
                .parse()
                .map_err(|_| format!("partition {partition}: {id:?} is not a broker id"))?;
            if broker < 0 {
                return Err(format!("partition {partition}: broker id {broker} is negative"));
            }
            if replicas.contains(&broker) {
                return Err(format!(
                    "partition {partition} lists broker {broker} more than once"
                ));
            }
            replicas.push(broker);
        }
        if let Some(first) = out.first() {
            if first.len() != replicas.len() {
                return Err(format!(
                    "partition {partition} has {} replicas but partition 0 has {}; \
                     all partitions need the same replication factor",
                    replicas.len(),
                    first.len()
                ));
            }
        }
        out.push(replicas);
    }
    Ok(out)
}

/// Producer acknowledgement level (`acks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acks {
    None,
    Leader,
    All,
}

impl Acks {
    pub fn as_config(self) -> &'static str {
        match self {
            Acks::None => "0",
            Acks::Leader => "1",
            Acks::All => "all",
        }
    }
}

impl FromStr for Acks {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "0" => Ok(Acks::None),
            "1" => Ok(Acks::Leader),
            "all" | "-1" => Ok(Acks::All),
            other => Err(format!("acks must be 0, 1, all or -1, got {other:?}")),
        }
    }
}

impl fmt::Display for Acks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_config())
    }
}

/// Producer batch compression (`compression.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Compression {
    None,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}

impl Compression {
    pub fn as_config(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Snappy => "snappy",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
        }
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_config())
    }
}

/// Un-escapes the few sequences users type for separators on a command line
/// (`\t`, `\n`, `\\`), so `--key-separator '\t'` means a TAB like in Kafka's tools.
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_value_splits_at_first_equals() {
        assert_eq!(
            parse_key_value("retention.ms=1000").unwrap(),
            ("retention.ms".into(), "1000".into())
        );
        assert_eq!(
            parse_key_value("sasl.jaas=a=b").unwrap(),
            ("sasl.jaas".into(), "a=b".into())
        );
        assert_eq!(parse_key_value("k=").unwrap(), ("k".into(), "".into()));
        assert!(parse_key_value("novalue").is_err());
        assert!(parse_key_value("=v").is_err());
    }

    #[test]
    fn properties_skip_comments_and_accept_colon() {
        let text = "# comment\n! also\n\nsecurity.protocol=SSL\n  ssl.ca.location : /x/ca.pem \nk=a=b\n";
        let props = parse_properties(text).unwrap();
        assert_eq!(
            props,
            vec![
                ("security.protocol".to_string(), "SSL".to_string()),
                ("ssl.ca.location".to_string(), "/x/ca.pem".to_string()),
                ("k".to_string(), "a=b".to_string()),
            ]
        );
        let err = parse_properties("a=1\nbroken\n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn replica_assignment_like_kafka() {
        assert_eq!(
            parse_replica_assignment("0:1,1:2, 2:0").unwrap(),
            vec![vec![0, 1], vec![1, 2], vec![2, 0]]
        );
        assert_eq!(parse_replica_assignment("3").unwrap(), vec![vec![3]]);
        assert!(parse_replica_assignment("0:1,2")
            .unwrap_err()
            .contains("same replication factor"));
        assert!(parse_replica_assignment("0:0")
            .unwrap_err()
            .contains("more than once"));
        assert!(parse_replica_assignment("0:x")
            .unwrap_err()
            .contains("not a broker id"));
        assert!(parse_replica_assignment("0,,1")
            .unwrap_err()
            .contains("no replicas"));
        assert!(parse_replica_assignment("-1").unwrap_err().contains("negative"));
    }

    #[test]
    fn acks_parse() {
        assert_eq!("all".parse::<Acks>().unwrap(), Acks::All);
        assert_eq!("-1".parse::<Acks>().unwrap(), Acks::All);
        assert_eq!("0".parse::<Acks>().unwrap(), Acks::None);
        assert_eq!("1".parse::<Acks>().unwrap().as_config(), "1");
        assert!("2".parse::<Acks>().is_err());
    }

    #[test]
    fn unescape_separators() {
        assert_eq!(unescape("\\t"), "\t");
        assert_eq!(unescape("a\\\\b"), "a\\b");
        assert_eq!(unescape("::"), "::");
        assert_eq!(unescape("x\\q"), "x\\q");
    }

    #[test]
    fn client_config_precedence() {
        let args = ClientArgs {
            bootstrap_server: "h:1".into(),
            command_config: None,
            properties: vec![("linger.ms".into(), "7".into())],
            request_timeout_ms: 1000,
        };
        let cfg = args.client_config(&[("linger.ms", "0"), ("acks", "1")]).unwrap();
        assert_eq!(cfg.get("linger.ms"), Some("7"));
        assert_eq!(cfg.get("acks"), Some("1"));
        assert_eq!(cfg.get("bootstrap.servers"), Some("h:1"));
    }
}
