//! CreateTopics / DeleteTopics / CreatePartitions through the controller.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use kavka_controller::*;

#[test]
fn new_cluster_registers_local_broker() {
    let c = start(MemoryStore::new());
    let img = c.image();
    assert_eq!(img.cluster_id().unwrap().as_str().len(), 22);
    let b = img.broker(BrokerId(0)).unwrap();
    assert!(b.is_live() && b.is_usable());
    assert_eq!(b.listeners[0].port, 9092);
    assert_eq!(img.feature_level("metadata.version"), Some(1));
}

#[test]
fn create_topic_with_defaults() {
    let store = MemoryStore::new();
    let mut c = start(store.clone());
    let mut rx = c.subscribe();
    let commits = store.commits();
    let t = create_one(&mut c, CreateTopicRequest::new("orders")).unwrap();
    assert_eq!((t.num_partitions, t.replication_factor), (1, 1));
    assert_eq!(t.name.as_str(), "orders");
    assert!(!t.id.is_zero());
    assert_eq!(store.commits(), commits + 1, "committed before returning");

    assert!(rx.has_changed().unwrap());
    let published = rx.borrow_and_update().clone();
    let topic = published.topic_by_name("orders").unwrap();
    assert_eq!(topic.id, t.id);
    let p = &topic.partitions[0];
    assert_eq!(p.replicas, vec![BrokerId(0)]);
    assert_eq!(p.isr, vec![BrokerId(0)]);
    assert_eq!(p.leader, Some(BrokerId(0)));
    assert_eq!(
        (p.leader_epoch, p.partition_epoch),
        (LeaderEpoch(0), PartitionEpoch(0))
    );
    // The store holds exactly what was published.
    assert_eq!(store.committed_image().unwrap(), *published);
}

#[test]
fn create_topic_uses_configured_defaults() {
    let defaults = ControllerDefaults {
        num_partitions: 3,
        default_replication_factor: 1,
    };
    let mut c = Controller::new(Box::new(MemoryStore::new()), local(0), defaults).unwrap();
    let t = create_one(&mut c, req("t", -1, -1)).unwrap();
    assert_eq!(t.num_partitions, 3);
    assert_eq!(c.image().partitions(t.id).unwrap().len(), 3);
}

#[test]
fn create_topic_errors_map_to_kafka_codes() {
    let mut c = start(MemoryStore::new());
    create_one(&mut c, req("a.b", 1, 1)).unwrap();
    let cases: Vec<(CreateTopicRequest, i16, &str)> = vec![
        (req("a.b", 1, 1), 36, "already exists"),
        (req("a_b", 1, 1), 17, "collides with existing topic: a.b"),
        (req("bad name", 1, 1), 17, "' '"),
        (req("..", 1, 1), 17, "'..'"),
        (req("t", 0, 1), 37, "non-positive"),
        (req("t", -2, 1), 37, "non-positive"),
        (req("t", 1, 0), 38, "larger than 0"),
        (req("t", 1, 3), 38, "only 1 broker(s)"),
        (req("t", 20_000, 1), 37, "limit"),
    ];
    for (r, code, text) in cases {
        let name = r.name.clone();
        let err = create_one(&mut c, r).unwrap_err();
        assert_eq!(err.kafka_error_code(), code, "{name}: {err}");
        assert!(err.to_string().contains(text), "{name}: {err}");
    }
    let err = create_one(&mut c, req("t", 1, 3)).unwrap_err();
    assert_eq!(
        err,
        ControllerError::InvalidReplicationFactor {
            requested: 3,
            available: 1
        }
    );
    assert_eq!(c.image().topic_count(), 1, "nothing was created by failures");
}

#[test]
fn create_topic_config_validation() {
    let mut c = start(MemoryStore::new());
    let mut r = req("t", 1, 1);
    r.configs = configs(&[("retention.ms", "100"), ("cleanup.policy", "compact")]);
    let t = create_one(&mut c, r).unwrap();
    assert_eq!(t.configs["retention.ms"], "100");
    assert_eq!(c.image().topic_configs("t").unwrap()["cleanup.policy"], "compact");

    let mut bad = req("u", 1, 1);
    bad.configs = configs(&[("segment.bytes", "10")]);
    match create_one(&mut c, bad).unwrap_err() {
        ControllerError::InvalidConfig { key, value, .. } => {
            assert_eq!((key.as_str(), value.as_str()), ("segment.bytes", "10"))
        }
        e => panic!("{e}"),
    }
    let mut unknown = req("u", 1, 1);
    unknown.configs = configs(&[("no.such.config", "1")]);
    let err = create_one(&mut c, unknown).unwrap_err();
    assert_eq!(err.kafka_error_code(), 40);
    assert!(err.to_string().contains("no.such.config"), "{err}");
    let mut null = req("u", 1, 1);
    null.configs.insert("retention.ms".into(), None);
    assert_eq!(create_one(&mut c, null).unwrap_err().kafka_error_code(), 40);
    assert!(c.image().topic_by_name("u").is_none());
}

#[test]
fn validate_only_writes_nothing() {
    let store = MemoryStore::new();
    let mut c = start(store.clone());
    let commits = store.commits();
    let out = c.create_topics(vec![req("t", 4, 1)], true);
    let created = out[0].1.as_ref().unwrap();
    assert_eq!(created.num_partitions, 4);
    assert!(c.image().topic_by_name("t").is_none());
    assert_eq!(store.commits(), commits);
    // Errors are still reported.
    let out = c.create_topics(vec![req("t", 1, 2)], true);
    assert_eq!(out[0].1.as_ref().unwrap_err().kafka_error_code(), 38);
}

#[test]
fn duplicate_names_in_one_request_are_invalid() {
    let mut c = start(MemoryStore::new());
    let out = c.create_topics(vec![req("x", 1, 1), req("y", 1, 1), req("x", 2, 1)], false);
    assert_eq!(out[0].1.as_ref().unwrap_err().kafka_error_code(), 42);
    assert!(out[1].1.is_ok());
    assert_eq!(out[2].1.as_ref().unwrap_err().kafka_error_code(), 42);
    assert!(c.image().topic_by_name("x").is_none());
}

#[test]
fn manual_assignments() {
    let mut c = start(store_with_brokers(3, &[2], None));
    let mut r = CreateTopicRequest::new("m");
    r.assignments = Some(BTreeMap::from([
        (0, vec![BrokerId(1), BrokerId(0)]),
        (1, vec![BrokerId(2), BrokerId(1)]),
    ]));
    let t = create_one(&mut c, r.clone()).unwrap();
    assert_eq!((t.num_partitions, t.replication_factor), (2, 2));
    let img = c.image();
    let p1 = img.partition(t.id, PartitionId(1)).unwrap();
    // Broker 2 is fenced: it is a replica but not in the ISR, and not leader.
    assert_eq!(p1.replicas, vec![BrokerId(2), BrokerId(1)]);
    assert_eq!(p1.isr, vec![BrokerId(1)]);
    assert_eq!(p1.leader, Some(BrokerId(1)));

    let bad = |name: &str, map: BTreeMap<i32, Vec<BrokerId>>| {
        let mut r = CreateTopicRequest::new(name);
        r.assignments = Some(map);
        r
    };
    for (r, code) in [
        (bad("n1", BTreeMap::from([(0, vec![BrokerId(9)])])), 39),
        (
            bad("n2", BTreeMap::from([(0, vec![BrokerId(0), BrokerId(0)])])),
            39,
        ),
        (bad("n3", BTreeMap::from([(1, vec![BrokerId(0)])])), 39),
        (
            bad(
                "n4",
                BTreeMap::from([(0, vec![BrokerId(0)]), (1, vec![BrokerId(0), BrokerId(1)])]),
            ),
            39,
        ),
        (bad("n5", BTreeMap::from([(0, vec![BrokerId(2)])])), 39),
    ] {
        let name = r.name.clone();
        let err = create_one(&mut c, r).unwrap_err();
        assert_eq!(err.kafka_error_code(), code, "{name}: {err}");
    }
    let mut both = bad("n6", BTreeMap::from([(0, vec![BrokerId(0)])]));
    both.num_partitions = Some(1);
    assert_eq!(create_one(&mut c, both).unwrap_err().kafka_error_code(), 42);
}

#[test]
fn placement_spreads_over_usable_brokers() {
    // Brokers 0..4 registered, 3 fenced: placement uses 0, 1, 2 only.
    let mut c = start(store_with_brokers(4, &[3], None));
    let t = create_one(&mut c, req("spread", 6, 3)).unwrap();
    let img = c.image();
    let parts = img.partitions(t.id).unwrap();
    let mut leaders = BTreeMap::new();
    for p in parts {
        assert_eq!(p.replicas.len(), 3);
        assert_eq!(p.replicas.iter().collect::<BTreeSet<_>>().len(), 3);
        assert!(!p.replicas.contains(&BrokerId(3)));
        assert_eq!(p.leader, p.replicas.first().copied());
        *leaders.entry(p.leader.unwrap()).or_insert(0) += 1;
    }
    assert_eq!(leaders.values().copied().collect::<Vec<_>>(), vec![2, 2, 2]);
    let err = create_one(&mut c, req("wide", 1, 4)).unwrap_err();
    assert_eq!(
        err,
        ControllerError::InvalidReplicationFactor {
            requested: 4,
            available: 3
        }
    );
}

#[test]
fn rack_aware_creation() {
    let store = store_with_brokers(4, &[], Some(&["a", "a", "b", "b"]));
    let mut node = local(0);
    node.rack = Some("a".into());
    let mut c = Controller::new(Box::new(store), node, ControllerDefaults::default()).unwrap();
    let t = create_one(&mut c, req("r", 8, 2)).unwrap();
    let img = c.image();
    for p in img.partitions(t.id).unwrap() {
        let racks: BTreeSet<_> = p
            .replicas
            .iter()
            .map(|b| img.broker(*b).unwrap().rack.clone())
            .collect();
        assert_eq!(racks.len(), 2, "{:?}", p.replicas);
    }
}

#[test]
fn delete_topics_by_name_and_id() {
    let mut c = start(MemoryStore::new());
    let a = create_one(&mut c, req("a", 1, 1)).unwrap();
    let b = create_one(&mut c, req("b", 2, 1)).unwrap();
    let mut r = req("c", 1, 1);
    r.configs = configs(&[("retention.ms", "5")]);
    let cc = create_one(&mut c, r).unwrap();
    let out = c.delete_topics(vec![
        TopicRef::Name("a".into()),
        TopicRef::Id(b.id),
        TopicRef::Name("missing".into()),
        TopicRef::Id(TopicId::from_bytes([1; 16])),
        TopicRef::Name("c".into()),
    ]);
    assert_eq!(out[0].as_ref().unwrap(), &(a.name.clone(), a.id));
    assert_eq!(out[1].as_ref().unwrap().0.as_str(), "b");
    assert_eq!(out[2].as_ref().unwrap_err().kafka_error_code(), 3);
    assert_eq!(out[3].as_ref().unwrap_err().kafka_error_code(), 100);
    assert!(out[4].is_ok());
    assert_eq!(c.image().topic_count(), 0);
    assert!(c.image().topic_configs("c").is_none());

    let dup = c.delete_topics(vec![TopicRef::Name("x".into()), TopicRef::Name("x".into())]);
    assert!(dup
        .iter()
        .all(|r| r.as_ref().unwrap_err().kafka_error_code() == 42));

    // Re-creating a deleted name gives a new id and no old configs.
    let again = create_one(&mut c, req("c", 1, 1)).unwrap();
    assert_ne!(again.id, cc.id);
    assert!(c.image().topic_configs("c").is_none());
}

#[test]
fn create_partitions_flow() {
    let mut c = start(store_with_brokers(2, &[], None));
    let t = create_one(&mut c, req("p", 2, 2)).unwrap();
    let cp = |name: &str, total: i32| CreatePartitionsRequest {
        name: name.into(),
        new_total: total,
        assignments: None,
    };
    let out = c.create_partitions(vec![cp("p", 5)], true);
    assert_eq!(out[0].1.as_ref().unwrap().new_total, 5);
    assert_eq!(c.image().partitions(t.id).unwrap().len(), 2, "validate_only");

    let out = c.create_partitions(vec![cp("p", 5)], false);
    let created = out[0].1.as_ref().unwrap();
    assert_eq!((created.old_total, created.new_total), (2, 5));
    let img = c.image();
    let parts = img.partitions(t.id).unwrap();
    assert_eq!(parts.len(), 5);
    assert!(parts.iter().all(|p| p.replicas.len() == 2));

    let out = c.create_partitions(vec![cp("p", 5), cp("p2", 3), cp("missing", 3)], false);
    let err = out[0].1.as_ref().unwrap_err();
    assert_eq!(err.kafka_error_code(), 37);
    assert!(err.to_string().contains("already has 5 partitions"), "{err}");
    assert_eq!(out[1].1.as_ref().unwrap_err().kafka_error_code(), 3);
    assert_eq!(out[2].1.as_ref().unwrap_err().kafka_error_code(), 3);

    let err = c
        .create_partitions(vec![cp("p", 4)], false)
        .remove(0)
        .1
        .unwrap_err();
    assert!(err.to_string().contains("higher than the requested 4"), "{err}");

    let manual = |assignments| CreatePartitionsRequest {
        name: "p".into(),
        new_total: 7,
        assignments: Some(assignments),
    };
    let err = c
        .create_partitions(vec![manual(vec![vec![BrokerId(0), BrokerId(1)]])], false)
        .remove(0)
        .1
        .unwrap_err();
    assert_eq!(err.kafka_error_code(), 39);
    assert!(err.to_string().contains("2 additional"), "{err}");
    let err = c
        .create_partitions(vec![manual(vec![vec![BrokerId(0)], vec![BrokerId(1)]])], false)
        .remove(0)
        .1
        .unwrap_err();
    assert!(err.to_string().contains("previous partitions"), "{err}");
    c.create_partitions(
        vec![manual(vec![
            vec![BrokerId(1), BrokerId(0)],
            vec![BrokerId(0), BrokerId(1)],
        ])],
        false,
    )
    .remove(0)
    .1
    .unwrap();
    let img = c.image();
    assert_eq!(
        img.partition(t.id, PartitionId(5)).unwrap().replicas,
        vec![BrokerId(1), BrokerId(0)]
    );

    let dup = c.create_partitions(vec![cp("p", 9), cp("p", 10)], false);
    assert!(dup
        .iter()
        .all(|(_, r)| r.as_ref().unwrap_err().kafka_error_code() == 42));
}

#[test]
fn store_failure_is_reported_and_nothing_published() {
    let store = MemoryStore::new();
    let mut c = start(store.clone());
    let rx = c.subscribe();
    store.fail_next_commits(1);
    let err = create_one(&mut c, req("t", 1, 1)).unwrap_err();
    assert!(matches!(err, ControllerError::Store(_)), "{err}");
    assert_eq!(err.kafka_error_code(), -1);
    assert!(c.image().topic_by_name("t").is_none());
    assert!(!rx.has_changed().unwrap());
    create_one(&mut c, req("t", 1, 1)).unwrap();
    assert!(store.committed_image().unwrap().topic_by_name("t").is_some());
}
