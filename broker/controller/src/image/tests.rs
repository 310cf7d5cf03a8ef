use super::*;

fn name(s: &str) -> TopicName {
    TopicName::new(s).unwrap()
}

fn tid(n: u8) -> TopicId {
    TopicId::from_bytes([n; 16])
}

fn topic(n: &str, id: TopicId) -> MetadataRecord {
    MetadataRecord::Topic(TopicRecord { name: name(n), id })
}

fn part(id: TopicId, p: i32, replicas: &[i32], leader: Option<i32>) -> PartitionRecord {
    let replicas: Vec<BrokerId> = replicas.iter().map(|b| BrokerId(*b)).collect();
    PartitionRecord {
        topic_id: id,
        partition: PartitionId(p),
        isr: replicas.clone(),
        replicas,
        leader: leader.map(BrokerId),
        leader_epoch: LeaderEpoch(0),
        partition_epoch: PartitionEpoch(0),
        adding_replicas: vec![],
        removing_replicas: vec![],
    }
}

fn broker(id: i32, epoch: i64, fenced: bool) -> MetadataRecord {
    MetadataRecord::RegisterBroker(RegisterBrokerRecord {
        id: BrokerId(id),
        incarnation_id: Uuid::from_u128(id as u128 + 1000 * epoch as u128),
        epoch: BrokerEpoch(epoch),
        listeners: vec![],
        rack: None,
        fenced,
        in_controlled_shutdown: false,
    })
}

fn config(topic: &str, key: &str, value: Option<&str>) -> MetadataRecord {
    MetadataRecord::Config(ConfigRecord {
        resource: ConfigResource::Topic(name(topic)),
        name: key.into(),
        value: value.map(String::from),
    })
}

fn populated() -> MetadataImage {
    let mut img = MetadataImage::new();
    for r in [
        MetadataRecord::ClusterId {
            id: ClusterId::parse("AAECAwQFBgcICQoLDA0ODw").unwrap(),
        },
        broker(1, 1, false),
        broker(2, 2, false),
        topic("orders", tid(1)),
        config("orders", "retention.ms", Some("1000")),
        MetadataRecord::Partition(part(tid(1), 0, &[1, 2], Some(1))),
        MetadataRecord::Partition(part(tid(1), 1, &[2, 1], Some(2))),
    ] {
        img.apply(&r).unwrap();
    }
    img
}

#[test]
fn applies_topics_partitions_and_configs() {
    let img = populated();
    assert_eq!(img.metadata_offset(), 7);
    let t = img.topic_by_name("orders").unwrap();
    assert_eq!(t.id, tid(1));
    assert_eq!(img.topic_by_id(tid(1)).unwrap().name.as_str(), "orders");
    assert_eq!(img.partitions(tid(1)).unwrap().len(), 2);
    assert_eq!(t.replication_factor(), 2);
    assert_eq!(
        img.topic_configs("orders")
            .unwrap()
            .get("retention.ms")
            .map(String::as_str),
        Some("1000")
    );
    assert_eq!(img.live_brokers().count(), 2);
    let load = img.broker_load();
    assert_eq!(
        load[&BrokerId(1)],
        BrokerLoad {
            replicas: 2,
            leaders: 1
        }
    );
    assert!(img.topic_by_name("missing").is_none());
    assert!(img.topic_by_name("..").is_none());
}

#[test]
fn rejects_duplicates_and_unknown_topics() {
    let mut img = populated();
    let before = img.clone();
    let cases = [
        topic("orders", tid(2)),
        topic("other", tid(1)),
        topic("other", TopicId::ZERO),
        MetadataRecord::Partition(part(tid(9), 0, &[1], Some(1))),
        MetadataRecord::RemoveTopic { id: tid(9) },
        config("missing", "retention.ms", Some("1")),
        MetadataRecord::ClusterId {
            id: ClusterId::generate(),
        },
    ];
    for r in &cases {
        assert!(img.apply(r).is_err(), "{r:?} should be rejected");
    }
    assert_eq!(img, before, "a rejected record must leave the image unchanged");
}

#[test]
fn partitions_must_be_contiguous() {
    let mut img = populated();
    let err = img
        .apply(&MetadataRecord::Partition(part(tid(1), 3, &[1], Some(1))))
        .unwrap_err();
    assert!(
        matches!(err, ApplyError::PartitionOutOfOrder { existing: 2, .. }),
        "{err}"
    );
    assert!(img
        .apply(&MetadataRecord::Partition(part(tid(1), -1, &[1], Some(1))))
        .is_err());
    img.apply(&MetadataRecord::Partition(part(tid(1), 2, &[1], Some(1))))
        .unwrap();
    assert_eq!(img.partitions(tid(1)).unwrap().len(), 3);
}

#[test]
fn partition_invariants_are_enforced() {
    let mut img = populated();
    let mut bad = vec![
        part(tid(1), 2, &[], None),
        part(tid(1), 2, &[1, 1], Some(1)),
        part(tid(1), 2, &[-1], None),
    ];
    let mut not_in_isr = part(tid(1), 2, &[1, 2], Some(2));
    not_in_isr.isr = vec![BrokerId(1)];
    bad.push(not_in_isr);
    let mut isr_outside = part(tid(1), 2, &[1], Some(1));
    isr_outside.isr = vec![BrokerId(1), BrokerId(3)];
    bad.push(isr_outside);
    for r in bad {
        let err = img.apply(&MetadataRecord::Partition(r.clone())).unwrap_err();
        assert!(
            matches!(err, ApplyError::InvalidPartitionState { .. }),
            "{r:?}: {err}"
        );
    }
}

#[test]
fn partition_change_bumps_epochs_like_kafka() {
    let mut img = populated();
    let mut shrink = PartitionChangeRecord::new(tid(1), PartitionId(0));
    shrink.isr = Some(vec![BrokerId(1)]);
    img.apply(&MetadataRecord::PartitionChange(shrink)).unwrap();
    let p = img.partition(tid(1), PartitionId(0)).unwrap();
    assert_eq!(
        (p.leader_epoch, p.partition_epoch),
        (LeaderEpoch(0), PartitionEpoch(1))
    );

    let mut lead = PartitionChangeRecord::new(tid(1), PartitionId(0));
    lead.isr = Some(vec![BrokerId(2)]);
    lead.leader = Some(Some(BrokerId(2)));
    img.apply(&MetadataRecord::PartitionChange(lead)).unwrap();
    let p = img.partition(tid(1), PartitionId(0)).unwrap();
    assert_eq!(p.leader, Some(BrokerId(2)));
    assert_eq!(
        (p.leader_epoch, p.partition_epoch),
        (LeaderEpoch(1), PartitionEpoch(2))
    );

    // Offline: no leader, empty ISR.
    let mut offline = PartitionChangeRecord::new(tid(1), PartitionId(0));
    offline.leader = Some(None);
    offline.isr = Some(vec![]);
    img.apply(&MetadataRecord::PartitionChange(offline)).unwrap();
    let p = img.partition(tid(1), PartitionId(0)).unwrap();
    assert_eq!(p.leader, None);
    assert_eq!(p.leader_epoch, LeaderEpoch(2));

    let before = img.clone();
    let mut bad = PartitionChangeRecord::new(tid(1), PartitionId(0));
    bad.leader = Some(Some(BrokerId(1)));
    assert!(img.apply(&MetadataRecord::PartitionChange(bad)).is_err());
    let empty = PartitionChangeRecord::new(tid(1), PartitionId(0));
    assert!(img.apply(&MetadataRecord::PartitionChange(empty)).is_err());
    let mut unknown = PartitionChangeRecord::new(tid(1), PartitionId(7));
    unknown.isr = Some(vec![]);
    assert!(img.apply(&MetadataRecord::PartitionChange(unknown)).is_err());
    assert_eq!(img, before);
}

#[test]
fn restated_partition_may_not_go_backwards() {
    let mut img = populated();
    let mut newer = part(tid(1), 0, &[1, 2], Some(2));
    newer.leader_epoch = LeaderEpoch(5);
    newer.partition_epoch = PartitionEpoch(6);
    img.apply(&MetadataRecord::Partition(newer.clone())).unwrap();
    // Replaying the same record is fine (idempotent snapshot diff).
    img.apply(&MetadataRecord::Partition(newer.clone())).unwrap();

    let mut older = newer.clone();
    older.leader_epoch = LeaderEpoch(4);
    let err = img.apply(&MetadataRecord::Partition(older)).unwrap_err();
    assert!(matches!(err, ApplyError::LeaderEpochRegression { .. }), "{err}");

    let mut older = newer.clone();
    older.partition_epoch = PartitionEpoch(5);
    let err = img.apply(&MetadataRecord::Partition(older)).unwrap_err();
    assert!(
        matches!(err, ApplyError::PartitionEpochRegression { .. }),
        "{err}"
    );

    let mut same_epochs = newer.clone();
    same_epochs.isr = vec![BrokerId(2)];
    let err = img.apply(&MetadataRecord::Partition(same_epochs)).unwrap_err();
    assert!(
        matches!(err, ApplyError::ConflictingPartitionRecord { .. }),
        "{err}"
    );

    let mut new_leader_same_epoch = newer.clone();
    new_leader_same_epoch.leader = Some(BrokerId(1));
    new_leader_same_epoch.partition_epoch = PartitionEpoch(7);
    assert!(img
        .apply(&MetadataRecord::Partition(new_leader_same_epoch))
        .is_err());
}

#[test]
fn remove_topic_drops_partitions_and_configs() {
    let mut img = populated();
    img.apply(&MetadataRecord::RemoveTopic { id: tid(1) }).unwrap();
    assert!(img.topic_by_name("orders").is_none());
    assert!(img.topic_configs("orders").is_none());
    assert!(img.partitions(tid(1)).is_none());
    // The name is free again, under a new id.
    img.apply(&topic("orders", tid(3))).unwrap();
    assert!(img.topic_configs("orders").is_none());
}

#[test]
fn config_delete_and_broker_configs() {
    let mut img = populated();
    img.apply(&config("orders", "retention.ms", None)).unwrap();
    assert!(img.topic_configs("orders").is_none());
    img.apply(&MetadataRecord::Config(ConfigRecord {
        resource: ConfigResource::Broker(None),
        name: "log.retention.ms".into(),
        value: Some("5".into()),
    }))
    .unwrap();
    assert_eq!(img.broker_configs(None).unwrap()["log.retention.ms"], "5");
    assert!(img.broker_configs(Some(BrokerId(1))).is_none());
}

#[test]
fn broker_registration_epochs() {
    let mut img = populated();
    let err = img.apply(&broker(1, 0, false)).unwrap_err();
    assert!(matches!(err, ApplyError::BrokerEpochRegression { .. }), "{err}");
    // Same epoch, different incarnation.
    let mut conflicting = broker(1, 1, false);
    if let MetadataRecord::RegisterBroker(r) = &mut conflicting {
        r.incarnation_id = Uuid::from_u128(42);
    }
    assert!(img.apply(&conflicting).is_err());
    img.apply(&broker(1, 10, true)).unwrap();
    assert_eq!(img.live_brokers().count(), 1);

    let change = |epoch, fenced| {
        MetadataRecord::BrokerRegistrationChange(BrokerRegistrationChangeRecord {
            id: BrokerId(1),
            epoch: BrokerEpoch(epoch),
            fenced,
            in_controlled_shutdown: None,
        })
    };
    assert!(img.apply(&change(1, Some(false))).is_err(), "stale epoch");
    assert!(img.apply(&change(10, None)).is_err(), "no-op change");
    img.apply(&change(10, Some(false))).unwrap();
    assert!(img.broker(BrokerId(1)).unwrap().is_live());
    assert!(img
        .apply(&MetadataRecord::UnregisterBroker {
            id: BrokerId(1),
            epoch: BrokerEpoch(9)
        })
        .is_err());
    img.apply(&MetadataRecord::UnregisterBroker {
        id: BrokerId(1),
        epoch: BrokerEpoch(10),
    })
    .unwrap();
    assert!(img.broker(BrokerId(1)).is_none());
}

#[test]
fn snapshot_round_trip_preserves_everything() {
    let mut img = populated();
    img.apply(&MetadataRecord::FeatureLevel {
        name: "metadata.version".into(),
        level: 3,
    })
    .unwrap();
    let mut change = PartitionChangeRecord::new(tid(1), PartitionId(1));
    change.leader = Some(Some(BrokerId(1)));
    img.apply(&MetadataRecord::PartitionChange(change)).unwrap();
    img.apply(&topic("a.b", tid(4))).unwrap();
    img.apply(&MetadataRecord::Partition(part(tid(4), 0, &[2], Some(2))))
        .unwrap();
    let records = img.to_snapshot_records();
    let restored = MetadataImage::from_snapshot(&records, img.metadata_offset()).unwrap();
    assert_eq!(restored, img);
    let p = restored.partition(tid(1), PartitionId(1)).unwrap();
    assert_eq!(
        (p.leader_epoch, p.partition_epoch),
        (LeaderEpoch(1), PartitionEpoch(1))
    );
    // Applying the snapshot as a diff on top of the image itself is accepted.
    let mut again = img.clone();
    for r in &records {
        again.apply(r).unwrap_or_else(|e| panic!("{r:?}: {e}"));
    }
    assert_eq!(again.topic_count(), img.topic_count());
}

#[test]
fn collision_lookup() {
    let img = populated();
    assert!(img.colliding_topic(&name("orders")).is_none());
    let mut img = img;
    img.apply(&topic("a.b", tid(5))).unwrap();
    assert_eq!(img.colliding_topic(&name("a_b")).map(|n| n.as_str()), Some("a.b"));
    assert!(img.colliding_topic(&name("a.b")).is_none());
}
