//! DescribeConfigs, AlterConfigs and IncrementalAlterConfigs (part of
//! tests/admin.rs, kept apart for size): sources, synonyms, documentation,
//! full replace vs incremental operations, and a config change that takes
//! effect on produce.

use kafka_protocol::messages::*;
use rdkafka::admin::{AlterConfig, ConfigSource, ResourceSpecifier};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{FutureProducer, FutureRecord};

use super::common::{TestBroker, TIMEOUT};
use super::helpers::*;
use super::{admin, msg, opts};
use super::{INVALID_CONFIG, INVALID_REQUEST, INVALID_TOPIC_EXCEPTION, UNKNOWN_TOPIC_OR_PARTITION};

/// (key, operation, value) of one IncrementalAlterConfigs entry.
type AlterOp<'a> = (&'a str, i8, Option<&'a str>);

// ---- DescribeConfigs --------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_configs_sources_synonyms_and_docs() {
    let b = TestBroker::start_with(&[("log.retention.ms", "3600000")]).await;
    let mut c = connect(&b).await;
    create_ok(&mut c, "described", 1, &[("segment.bytes", "100000")]).await;
    for v in 1..=4 {
        // include_documentation exists from v3.
        let r = describe_configs(&mut c, v, RESOURCE_TOPIC, "described", None, true, v >= 3).await;
        assert_eq!(r.error_code, 0, "v{v}");
        let get = |k: &str| r.configs.iter().find(|e| e.name.as_str() == k).unwrap().clone();
        let seg = get("segment.bytes");
        assert_eq!(seg.value.as_deref(), Some("100000"));
        assert_eq!(seg.config_source, SRC_TOPIC, "v{v}");
        let syn: Vec<(String, Option<String>, i8)> = seg
            .synonyms
            .iter()
            .map(|s| {
                (
                    s.name.to_string(),
                    s.value.as_ref().map(|v| v.to_string()),
                    s.source,
                )
            })
            .collect();
        assert_eq!(
            syn,
            vec![
                ("segment.bytes".into(), Some("100000".into()), SRC_TOPIC),
                ("log.segment.bytes".into(), Some("1073741824".into()), SRC_DEFAULT),
            ],
            "v{v}"
        );
        let ret = get("retention.ms");
        assert_eq!(ret.value.as_deref(), Some("3600000"));
        assert_eq!(ret.config_source, SRC_STATIC_BROKER, "v{v}");
        assert_eq!(ret.synonyms[0].name.as_str(), "log.retention.ms");
        assert_eq!(ret.synonyms[0].value.as_deref(), Some("3600000"));
        assert_eq!(ret.synonyms[0].source, SRC_STATIC_BROKER);
        // The default synonym is Kafka's built-in default, not the static
        // override; for retention.ms that is log.retention.hours=168.
        assert_eq!(ret.synonyms.len(), 2, "v{v}: {:?}", ret.synonyms);
        let last = &ret.synonyms[1];
        assert_eq!(
            (last.name.as_str(), last.value.as_deref(), last.source),
            ("log.retention.hours", Some("168"), SRC_DEFAULT),
            "v{v}"
        );
        let policy = get("cleanup.policy");
        assert_eq!(policy.config_source, SRC_DEFAULT);
        assert_eq!(policy.value.as_deref(), Some("delete"));
        if v >= 3 {
            assert!(!msg(&seg.documentation).is_empty(), "v{v}: documentation");
            assert_eq!(seg.config_type, 3, "segment.bytes is an INT");
            assert_eq!(ret.config_type, 5, "retention.ms is a LONG");
            assert_eq!(policy.config_type, 7, "cleanup.policy is a LIST");
        }
    }
    // Without the flags: no synonyms, no documentation. Topic configs can
    // be altered, so none is read-only.
    let r = describe_configs(&mut c, 4, RESOURCE_TOPIC, "described", None, false, false).await;
    assert!(r
        .configs
        .iter()
        .all(|e| e.synonyms.is_empty() && e.documentation.is_none()));
    assert!(r.configs.iter().all(|e| !e.read_only && !e.is_sensitive));
    assert!(r.configs.len() > 10);

    // configuration_keys filters.
    let r = describe_configs(
        &mut c,
        4,
        RESOURCE_TOPIC,
        "described",
        Some(&["retention.ms", "segment.bytes"]),
        false,
        false,
    )
    .await;
    let mut names: Vec<_> = r.configs.iter().map(|e| e.name.to_string()).collect();
    names.sort();
    assert_eq!(names, vec!["retention.ms", "segment.bytes"]);

    // rdkafka sees the same sources.
    let a = admin(&b);
    let d = a
        .describe_configs(&[ResourceSpecifier::Topic("described")], &opts())
        .await
        .unwrap();
    let res = d[0].as_ref().unwrap();
    assert_eq!(
        res.get("segment.bytes").unwrap().source,
        ConfigSource::DynamicTopic
    );
    assert_eq!(
        res.get("retention.ms").unwrap().source,
        ConfigSource::StaticBroker
    );
    assert_eq!(res.get("cleanup.policy").unwrap().source, ConfigSource::Default);

    // The broker resource.
    let r = describe_configs(&mut c, 4, RESOURCE_BROKER, "1", None, true, true).await;
    assert_eq!(r.error_code, 0);
    let get = |k: &str| r.configs.iter().find(|e| e.name.as_str() == k).cloned();
    let ret = get("log.retention.ms").expect("log.retention.ms");
    assert_eq!(ret.value.as_deref(), Some("3600000"));
    assert_eq!(ret.config_source, SRC_STATIC_BROKER);
    let np = get("num.partitions").expect("num.partitions");
    assert_eq!(np.value.as_deref(), Some("1"));
    assert_eq!(np.config_source, SRC_DEFAULT);
    // No dynamic broker configs: every broker config is read-only.
    assert!(
        r.configs.iter().all(|e| e.read_only),
        "broker configs are read-only"
    );
    let d = a
        .describe_configs(&[ResourceSpecifier::Broker(1)], &opts())
        .await
        .unwrap();
    let res = d[0].as_ref().unwrap();
    assert_eq!(
        res.get("log.retention.ms").unwrap().source,
        ConfigSource::StaticBroker
    );
    let r = describe_configs(&mut c, 4, RESOURCE_BROKER, "2", None, false, false).await;
    assert_eq!(r.error_code, INVALID_REQUEST);

    // Unknown topic; an invalid name is refused as such.
    for v in 1..=4 {
        let r = describe_configs(&mut c, v, RESOURCE_TOPIC, "nope", None, false, false).await;
        assert_eq!(r.error_code, UNKNOWN_TOPIC_OR_PARTITION, "v{v}");
        assert!(r.configs.is_empty());
        assert!(msg(&r.error_message).contains("nope"));
        let r = describe_configs(&mut c, v, RESOURCE_TOPIC, "bad name", None, false, false).await;
        assert_eq!(r.error_code, INVALID_TOPIC_EXCEPTION, "v{v}");
    }
    b.stop().await;
}

// ---- AlterConfigs / IncrementalAlterConfigs ------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alter_configs_replaces_the_whole_set() {
    let b = TestBroker::start().await;
    let mut c = connect(&b).await;
    let a = admin(&b);
    create_ok(
        &mut c,
        "legacy",
        1,
        &[("retention.ms", "1000"), ("segment.bytes", "100000")],
    )
    .await;

    // validate_only changes nothing.
    let alter = AlterConfig::new(ResourceSpecifier::Topic("legacy")).set("max.message.bytes", "5000");
    let r = a
        .alter_configs(&[alter], &opts().validate_only(true))
        .await
        .unwrap();
    assert!(r[0].is_ok(), "{r:?}");
    assert_eq!(
        topic_config(&mut c, "legacy", "max.message.bytes")
            .await
            .config_source,
        SRC_DEFAULT
    );
    assert_eq!(
        topic_config(&mut c, "legacy", "retention.ms").await.config_source,
        SRC_TOPIC
    );

    let alter = AlterConfig::new(ResourceSpecifier::Topic("legacy")).set("max.message.bytes", "5000");
    let r = a.alter_configs(&[alter], &opts()).await.unwrap();
    assert!(r[0].is_ok(), "{r:?}");
    let mmb = topic_config(&mut c, "legacy", "max.message.bytes").await;
    assert_eq!(
        (mmb.value.as_deref(), mmb.config_source),
        (Some("5000"), SRC_TOPIC)
    );
    // Keys not given are removed.
    let ret = topic_config(&mut c, "legacy", "retention.ms").await;
    assert_eq!(
        (ret.value.as_deref(), ret.config_source),
        (Some("604800000"), SRC_DEFAULT)
    );
    let seg = topic_config(&mut c, "legacy", "segment.bytes").await;
    assert_eq!(seg.config_source, SRC_DEFAULT);

    // Errors, at every version: the overrides stay as they were.
    for v in 0..=2 {
        for (name, key, value, code) in [
            ("legacy", "no.such.config", "1", INVALID_CONFIG),
            ("legacy", "retention.ms", "soon", INVALID_CONFIG),
            ("nope", "retention.ms", "1", UNKNOWN_TOPIC_OR_PARTITION),
        ] {
            let req = AlterConfigsRequest::default().with_resources(vec![
                alter_configs_request::AlterConfigsResource::default()
                    .with_resource_type(RESOURCE_TOPIC)
                    .with_resource_name(s(name))
                    .with_configs(vec![alter_configs_request::AlterableConfig::default()
                        .with_name(s(key))
                        .with_value(Some(s(value)))]),
            ]);
            let r: AlterConfigsResponse = c.call(ApiKey::AlterConfigs, v, &req).await;
            assert_eq!(r.responses[0].error_code, code, "v{v} {key}={value}");
            assert!(!msg(&r.responses[0].error_message).is_empty());
        }
    }
    let mmb = topic_config(&mut c, "legacy", "max.message.bytes").await;
    assert_eq!(mmb.value.as_deref(), Some("5000"));
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_alter_configs_operations() {
    let b = TestBroker::start().await;
    let mut c = connect(&b).await;
    create_ok(&mut c, "inc", 1, &[("segment.bytes", "100000")]).await;
    let value = |e: describe_configs_response::DescribeConfigsResourceResult| {
        (
            e.value.map(|v| v.to_string()).unwrap_or_default(),
            e.config_source,
        )
    };

    let r = incremental_alter(&mut c, "inc", &[("retention.ms", OP_SET, Some("5000"))], false).await;
    assert_eq!(r.0, 0, "{r:?}");
    assert_eq!(
        value(topic_config(&mut c, "inc", "retention.ms").await),
        ("5000".into(), SRC_TOPIC)
    );
    // Other overrides are kept (unlike AlterConfigs).
    assert_eq!(
        value(topic_config(&mut c, "inc", "segment.bytes").await),
        ("100000".into(), SRC_TOPIC)
    );

    let r = incremental_alter(&mut c, "inc", &[("retention.ms", OP_DELETE, None)], false).await;
    assert_eq!(r.0, 0, "{r:?}");
    assert_eq!(
        value(topic_config(&mut c, "inc", "retention.ms").await),
        ("604800000".into(), SRC_DEFAULT)
    );

    // APPEND starts from the default; SUBTRACT removes.
    let r = incremental_alter(
        &mut c,
        "inc",
        &[("cleanup.policy", OP_APPEND, Some("compact"))],
        false,
    )
    .await;
    assert_eq!(r.0, 0, "{r:?}");
    assert_eq!(
        value(topic_config(&mut c, "inc", "cleanup.policy").await),
        ("delete,compact".into(), SRC_TOPIC)
    );
    let r = incremental_alter(
        &mut c,
        "inc",
        &[("cleanup.policy", OP_APPEND, Some("compact"))],
        false,
    )
    .await;
    assert_eq!(r.0, 0);
    assert_eq!(
        value(topic_config(&mut c, "inc", "cleanup.policy").await).0,
        "delete,compact"
    );
    let r = incremental_alter(
        &mut c,
        "inc",
        &[("cleanup.policy", OP_SUBTRACT, Some("delete"))],
        false,
    )
    .await;
    assert_eq!(r.0, 0, "{r:?}");
    assert_eq!(
        value(topic_config(&mut c, "inc", "cleanup.policy").await),
        ("compact".into(), SRC_TOPIC)
    );

    // Refusals leave everything as it was.
    let refused: Vec<(&str, Vec<AlterOp>, i16)> = vec![
        (
            "bad value",
            vec![("retention.ms", OP_SET, Some("soon"))],
            INVALID_CONFIG,
        ),
        (
            "bad list item",
            vec![("cleanup.policy", OP_APPEND, Some("shred"))],
            INVALID_CONFIG,
        ),
        (
            "append to a non-list",
            vec![("retention.ms", OP_APPEND, Some("5"))],
            INVALID_CONFIG,
        ),
        (
            "unknown key",
            vec![("no.such.config", OP_SET, Some("1"))],
            INVALID_CONFIG,
        ),
        (
            "null value",
            vec![("retention.ms", OP_SET, None)],
            INVALID_REQUEST,
        ),
        (
            "duplicate key",
            vec![
                ("retention.ms", OP_SET, Some("1")),
                ("retention.ms", OP_DELETE, None),
            ],
            INVALID_REQUEST,
        ),
        (
            "unknown operation",
            vec![("retention.ms", 9, Some("1"))],
            INVALID_REQUEST,
        ),
        (
            "all or nothing",
            vec![
                ("segment.bytes", OP_SET, Some("200000")),
                ("retention.ms", OP_SET, Some("x")),
            ],
            INVALID_CONFIG,
        ),
    ];
    for (what, ops, code) in &refused {
        let r = incremental_alter(&mut c, "inc", ops, false).await;
        assert_eq!(r.0, *code, "{what}: {r:?}");
        assert!(r.1.as_deref().is_some_and(|m| !m.is_empty()), "{what}: message");
    }
    let r = incremental_alter(&mut c, "nope", &[("retention.ms", OP_SET, Some("1"))], false).await;
    assert_eq!(r.0, UNKNOWN_TOPIC_OR_PARTITION);
    // validate_only checks but does not apply.
    let r = incremental_alter(&mut c, "inc", &[("retention.ms", OP_SET, Some("7000"))], true).await;
    assert_eq!(r.0, 0);
    let r = incremental_alter(&mut c, "inc", &[("retention.ms", OP_SET, Some("x"))], true).await;
    assert_eq!(r.0, INVALID_CONFIG);
    assert_eq!(
        value(topic_config(&mut c, "inc", "retention.ms").await).1,
        SRC_DEFAULT
    );
    assert_eq!(
        value(topic_config(&mut c, "inc", "segment.bytes").await).0,
        "100000"
    );
    assert_eq!(
        value(topic_config(&mut c, "inc", "cleanup.policy").await).0,
        "compact"
    );

    // v0 as well.
    let req = IncrementalAlterConfigsRequest::default().with_resources(vec![
        incremental_alter_configs_request::AlterConfigsResource::default()
            .with_resource_type(RESOURCE_TOPIC)
            .with_resource_name(s("inc"))
            .with_configs(vec![incremental_alter_configs_request::AlterableConfig::default(
            )
            .with_name(s("retention.bytes"))
            .with_config_operation(OP_SET)
            .with_value(Some(s("123456")))]),
    ]);
    let r: IncrementalAlterConfigsResponse = c.call(ApiKey::IncrementalAlterConfigs, 0, &req).await;
    assert_eq!(r.responses[0].error_code, 0);
    assert_eq!(
        value(topic_config(&mut c, "inc", "retention.bytes").await).0,
        "123456"
    );
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lowering_max_message_bytes_takes_effect() {
    let b = TestBroker::start().await;
    let mut c = connect(&b).await;
    create_ok(&mut c, "limited", 1, &[]).await;
    produce(&b, "limited", 0, 1, 5000, None).await;
    let r = incremental_alter(
        &mut c,
        "limited",
        &[("max.message.bytes", OP_SET, Some("2000"))],
        false,
    )
    .await;
    assert_eq!(r.0, 0);
    let producer: FutureProducer = b
        .producer_config()
        .set("compression.type", "none")
        .create()
        .unwrap();
    let big = vec![1u8; 5000];
    let res = producer
        .send(FutureRecord::<(), _>::to("limited").payload(&big), TIMEOUT)
        .await;
    match res {
        Err((KafkaError::MessageProduction(code), _)) => {
            assert_eq!(code, RDKafkaErrorCode::MessageSizeTooLarge)
        }
        other => panic!("expected MESSAGE_TOO_LARGE, got {other:?}"),
    }
    // Small records still go through; deleting the override restores the limit.
    produce(&b, "limited", 0, 1, 100, None).await;
    let r = incremental_alter(
        &mut c,
        "limited",
        &[("max.message.bytes", OP_DELETE, None)],
        false,
    )
    .await;
    assert_eq!(r.0, 0);
    let offsets = produce(&b, "limited", 0, 1, 5000, None).await;
    assert_eq!(offsets, vec![2]);
    b.stop().await;
}
