//! IncrementalAlterConfigs / AlterConfigs through the controller.

mod common;

use std::collections::BTreeMap;

use common::*;
use kavka_controller::*;

fn op(key: &str, op: AlterConfigOp) -> ConfigOp {
    ConfigOp { key: key.into(), op }
}

fn overrides(c: &Controller, topic: &str) -> BTreeMap<String, String> {
    c.image().topic_configs(topic).cloned().unwrap_or_default()
}

fn setup() -> (MemoryStore, Controller) {
    let store = MemoryStore::new();
    let mut c = start(store.clone());
    create_one(&mut c, req("t", 1, 1)).unwrap();
    (store, c)
}

#[test]
fn set_delete_append_subtract() {
    let (_, mut c) = setup();
    c.alter_topic_configs(
        "t",
        vec![
            op("retention.ms", AlterConfigOp::Set("1000".into())),
            op("cleanup.policy", AlterConfigOp::Append("compact".into())),
        ],
        false,
    )
    .unwrap();
    let o = overrides(&c, "t");
    assert_eq!(o["retention.ms"], "1000");
    // Append starts from the default "delete".
    assert_eq!(o["cleanup.policy"], "delete,compact");

    c.alter_topic_configs(
        "t",
        vec![
            op("cleanup.policy", AlterConfigOp::Subtract("delete".into())),
            op("retention.ms", AlterConfigOp::Delete),
        ],
        false,
    )
    .unwrap();
    let o = overrides(&c, "t");
    assert_eq!(o["cleanup.policy"], "compact");
    assert!(!o.contains_key("retention.ms"));

    // Appending an item already present changes nothing.
    c.alter_topic_configs(
        "t",
        vec![op("cleanup.policy", AlterConfigOp::Append("compact".into()))],
        false,
    )
    .unwrap();
    assert_eq!(overrides(&c, "t")["cleanup.policy"], "compact");
}

#[test]
fn invalid_operations_change_nothing() {
    let (store, mut c) = setup();
    c.alter_topic_configs(
        "t",
        vec![op("retention.ms", AlterConfigOp::Set("7".into()))],
        false,
    )
    .unwrap();
    let commits = store.commits();
    let before = c.image();
    let cases: Vec<(Vec<ConfigOp>, i16)> = vec![
        // One bad op fails the whole request, even after a good one.
        (
            vec![
                op("retention.bytes", AlterConfigOp::Set("1".into())),
                op("segment.bytes", AlterConfigOp::Set("1".into())),
            ],
            40,
        ),
        (vec![op("nope", AlterConfigOp::Set("1".into()))], 40),
        (vec![op("retention.ms", AlterConfigOp::Append("1".into()))], 40),
        (
            vec![op("cleanup.policy", AlterConfigOp::Subtract("delete".into()))],
            40,
        ),
        (
            vec![
                op("retention.ms", AlterConfigOp::Set("1".into())),
                op("retention.ms", AlterConfigOp::Delete),
            ],
            42,
        ),
        (
            vec![
                op("max.compaction.lag.ms", AlterConfigOp::Set("5".into())),
                op("min.compaction.lag.ms", AlterConfigOp::Set("6".into())),
            ],
            40,
        ),
    ];
    for (ops, code) in cases {
        let err = c.alter_topic_configs("t", ops.clone(), false).unwrap_err();
        assert_eq!(err.kafka_error_code(), code, "{ops:?}: {err}");
    }
    let err = c
        .alter_topic_configs(
            "t",
            vec![op("segment.bytes", AlterConfigOp::Set("1".into()))],
            false,
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("segment.bytes") && err.to_string().contains("\"1\""),
        "{err}"
    );
    assert_eq!(
        c.alter_topic_configs("missing", vec![], false)
            .unwrap_err()
            .kafka_error_code(),
        3
    );
    assert_eq!(
        c.alter_topic_configs("bad name", vec![], false)
            .unwrap_err()
            .kafka_error_code(),
        17
    );
    assert_eq!(c.image(), before);
    assert_eq!(store.commits(), commits);
}

#[test]
fn validate_only_and_no_op_do_not_commit() {
    let (store, mut c) = setup();
    let commits = store.commits();
    c.alter_topic_configs(
        "t",
        vec![op("retention.ms", AlterConfigOp::Set("1".into()))],
        true,
    )
    .unwrap();
    assert!(overrides(&c, "t").is_empty());
    c.alter_topic_configs("t", vec![op("retention.ms", AlterConfigOp::Delete)], false)
        .unwrap();
    assert_eq!(store.commits(), commits);
}

#[test]
fn replace_removes_absent_keys() {
    let (_, mut c) = setup();
    c.replace_topic_configs(
        "t",
        configs(&[("retention.ms", "1"), ("retention.bytes", "2")]),
        false,
    )
    .unwrap();
    assert_eq!(overrides(&c, "t").len(), 2);
    c.replace_topic_configs("t", configs(&[("retention.bytes", "3")]), false)
        .unwrap();
    let o = overrides(&c, "t");
    assert_eq!(o.len(), 1);
    assert_eq!(o["retention.bytes"], "3");
    let mut null = BTreeMap::new();
    null.insert("retention.ms".to_string(), None);
    assert_eq!(
        c.replace_topic_configs("t", null, false)
            .unwrap_err()
            .kafka_error_code(),
        40
    );
    c.replace_topic_configs("t", BTreeMap::new(), false).unwrap();
    assert!(c.image().topic_configs("t").is_none());
}

#[test]
fn broker_configs_are_unsupported() {
    let (_, mut c) = setup();
    let err = c
        .alter_broker_configs(
            None,
            vec![op("log.retention.ms", AlterConfigOp::Set("1".into()))],
            false,
        )
        .unwrap_err();
    assert!(matches!(err, ControllerError::Unsupported(_)), "{err}");
}
