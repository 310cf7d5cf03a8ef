//! The controller over a FileStore in a temp dir, across restarts.

mod common;

use std::fs;

use common::*;
use kavka_controller::records::PartitionChangeRecord;
use kavka_controller::*;

fn open(dir: &std::path::Path) -> Controller {
    start(FileStore::open(dir).unwrap())
}

#[test]
fn restart_keeps_topics_ids_configs_and_epochs() {
    let dir = tempfile::tempdir().unwrap();
    let (cluster, first_epoch, id, kept) = {
        let mut c = open(dir.path());
        let mut r = req("orders", 3, 1);
        r.configs = configs(&[("retention.ms", "1234"), ("cleanup.policy", "compact")]);
        let t = create_one(&mut c, r).unwrap();
        create_one(&mut c, req("gone", 1, 1)).unwrap();
        c.delete_topics(vec![TopicRef::Name("gone".into())])[0]
            .as_ref()
            .unwrap();
        c.create_partitions(
            vec![CreatePartitionsRequest {
                name: "orders".into(),
                new_total: 4,
                assignments: None,
            }],
            false,
        )[0]
        .1
        .as_ref()
        .unwrap();
        let img = c.image();
        (
            img.cluster_id().unwrap().clone(),
            img.broker(BrokerId(0)).unwrap().epoch,
            t.id,
            img,
        )
    };

    // Simulate what replication will do: a leader re-election bumps epochs,
    // committed through the same store.
    let mut bumped = (*kept).clone();
    let mut change = PartitionChangeRecord::new(id, PartitionId(2));
    change.leader = Some(Some(BrokerId(0)));
    bumped
        .apply(&MetadataRecord::PartitionChange(change.clone()))
        .unwrap();
    bumped.apply(&MetadataRecord::PartitionChange(change)).unwrap();
    FileStore::open(dir.path()).unwrap().commit(&bumped, &[]).unwrap();

    let c = open(dir.path());
    let img = c.image();
    assert_eq!(img.cluster_id(), Some(&cluster), "cluster id is generated once");
    let t = img.topic_by_name("orders").unwrap();
    assert_eq!(t.id, id);
    assert_eq!(t.partitions.len(), 4);
    assert!(img.topic_by_name("gone").is_none());
    let cfg = img.topic_configs("orders").unwrap();
    assert_eq!(cfg["retention.ms"], "1234");
    assert_eq!(cfg["cleanup.policy"], "compact");
    let p = img.partition(id, PartitionId(2)).unwrap();
    assert_eq!(
        (p.leader_epoch, p.partition_epoch),
        (LeaderEpoch(2), PartitionEpoch(2))
    );
    for (old, new) in bumped.topics().zip(img.topics()) {
        assert_eq!(old, new);
    }
    // The broker re-registered with a larger epoch and a new incarnation.
    let b = img.broker(BrokerId(0)).unwrap();
    assert!(b.epoch > first_epoch, "{} > {}", b.epoch, first_epoch);
    assert!(img.metadata_offset() > bumped.metadata_offset());
}

#[test]
fn restart_after_crash_mid_write_keeps_last_commit() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let mut c = open(dir.path());
        create_one(&mut c, req("t", 2, 1)).unwrap().id
    };
    let meta = dir.path().join(store::METADATA_DIR_NAME);
    fs::write(meta.join("snapshot.json.tmp"), b"KAVKA-METADATA 1 10").unwrap();
    let c = open(dir.path());
    assert_eq!(c.image().topic_by_name("t").unwrap().id, id);
}

#[test]
fn corrupt_metadata_fails_startup_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut c = open(dir.path());
        create_one(&mut c, req("t", 1, 1)).unwrap();
    }
    let path = dir.path().join(store::METADATA_DIR_NAME).join("snapshot.json");
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = Controller::new(
        Box::new(FileStore::open(dir.path()).unwrap()),
        local(0),
        ControllerDefaults::default(),
    )
    .unwrap_err();
    let msg = format!(
        "{err}: {}",
        std::error::Error::source(&err)
            .map(|s| s.to_string())
            .unwrap_or_default()
    );
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(matches!(err, StartError::Load { .. }), "{msg}");
    // The damaged file is left in place for inspection, not reset.
    assert_eq!(fs::read(&path).unwrap().len(), bytes.len() / 2);
}

#[test]
fn invalid_defaults_are_refused() {
    for defaults in [
        ControllerDefaults {
            num_partitions: 0,
            default_replication_factor: 1,
        },
        ControllerDefaults {
            num_partitions: 1,
            default_replication_factor: 0,
        },
    ] {
        let err = Controller::new(Box::new(MemoryStore::new()), local(0), defaults).unwrap_err();
        assert!(matches!(err, StartError::InvalidSettings(_)), "{err}");
    }
}
