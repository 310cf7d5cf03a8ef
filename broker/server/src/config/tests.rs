use super::*;

fn load(file: Option<&str>, env: &[(&str, &str)], sets: &[&str]) -> Result<BrokerConfig, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.properties");
    if let Some(text) = file {
        std::fs::write(&path, text).unwrap();
    }
    let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    BrokerConfig::load(file.map(|_| path.as_path()), env, &sets)
}

#[test]
fn embedded_defaults_are_valid_and_single_node() {
    for key in KEYS {
        if let Some(d) = key.default {
            let mut c = BrokerConfig::default();
            key.apply(&mut c, d)
                .unwrap_or_else(|e| panic!("default of {} invalid: {e}", key.name));
        }
    }
    let c = load(None, &[], &[]).unwrap();
    assert_eq!(c.node_id, 1);
    assert_eq!(c.listeners[0].bind_addr(), "127.0.0.1:9092");
    assert_eq!(c.log_dirs, vec![PathBuf::from("./kavka-data")]);
    assert_eq!(c.log_retention_ms, Some(168 * 3_600_000));
    assert_eq!(c.log_flush_interval_messages, None);
    assert!(c.auto_create_topics_enable);
}

#[test]
fn precedence_file_env_set() {
    let c = load(
        Some("num.partitions=3\nlog.retention.ms = 1000\n# comment\nmessage.max.bytes: 2000\n"),
        &[("KAVKA_NUM_PARTITIONS", "4")],
        &["message.max.bytes=3000"],
    )
    .unwrap();
    assert_eq!(c.num_partitions, 4);
    assert_eq!(c.log_retention_ms, Some(1000));
    assert_eq!(c.message_max_bytes, 3000);
    let e = c.entries();
    let mm = e.iter().find(|e| e.name == "message.max.bytes").unwrap();
    assert_eq!(mm.source, ConfigSource::CommandLine);
    let np = e.iter().find(|e| e.name == "num.partitions").unwrap();
    assert_eq!(np.source, ConfigSource::Env("KAVKA_NUM_PARTITIONS".into()));
}

#[test]
fn unknown_key_names_it() {
    let err = load(None, &[], &["log.retention.msec=5"])
        .unwrap_err()
        .to_string();
    assert!(err.contains("log.retention.msec"), "{err}");
    let err = load(Some("bogus.key=1\n"), &[], &[]).unwrap_err().to_string();
    assert!(err.contains("bogus.key"), "{err}");
    let err = load(None, &[("KAVKA_NOT_A_KEY", "1")], &[])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("not.a.key") && err.contains("KAVKA_NOT_A_KEY"),
        "{err}"
    );
}

#[test]
fn bad_values_name_the_key() {
    for (set, key) in [
        ("num.partitions=zero", "num.partitions"),
        ("num.partitions=0", "num.partitions"),
        ("listeners=127.0.0.1:9092", "listeners"),
        ("listeners=PLAINTEXT://127.0.0.1:99999", "listeners"),
        ("auto.create.topics.enable=yes", "auto.create.topics.enable"),
        ("log.segment.bytes=10", "log.segment.bytes"),
        ("log.retention.bytes=-5", "log.retention.bytes"),
        ("process.roles=worker", "process.roles"),
    ] {
        let err = load(None, &[], &[set]).unwrap_err().to_string();
        assert!(err.contains(key), "{set}: {err}");
    }
    assert!(load(None, &[], &["novalue"]).is_err());
}

#[test]
fn retention_units_and_unlimited() {
    assert_eq!(
        load(None, &[], &["log.retention.hours=1"])
            .unwrap()
            .log_retention_ms,
        Some(3_600_000)
    );
    assert_eq!(
        load(None, &[], &["log.retention.minutes=2"])
            .unwrap()
            .log_retention_ms,
        Some(120_000)
    );
    assert_eq!(
        load(None, &[], &["log.retention.ms=-1"])
            .unwrap()
            .log_retention_ms,
        None
    );
    // ms wins over hours whatever the order.
    let c = load(None, &[], &["log.retention.ms=5", "log.retention.hours=1"]).unwrap();
    assert_eq!(c.log_retention_ms, Some(5));
}

#[test]
fn properties_syntax() {
    let p = properties::parse("a=1\n  b : 2\nc=long\\\n   value\n\n!x\n").unwrap();
    assert_eq!(
        p,
        vec![
            ("a".into(), "1".into()),
            ("b".into(), "2".into()),
            ("c".into(), "longvalue".into())
        ]
    );
    assert_eq!(properties::parse("novalue\n").unwrap_err().0, 1);
}

#[test]
fn env_names() {
    assert_eq!(env_name("log.retention.ms"), "KAVKA_LOG_RETENTION_MS");
    for k in keys::key_names() {
        assert!(env_name(k).starts_with("KAVKA_"));
    }
}

#[test]
fn listener_forms() {
    let l: Listener = "PLAINTEXT://[::1]:9093".parse().unwrap();
    assert_eq!(l.bind_addr(), "[::1]:9093");
    let l: Listener = "PLAINTEXT://:9093".parse().unwrap();
    assert_eq!(l.bind_addr(), "0.0.0.0:9093");
}
