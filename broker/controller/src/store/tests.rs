use super::*;
use crate::records::{ConfigRecord, ConfigResource, PartitionChangeRecord, PartitionRecord, TopicRecord};
use crate::types::{BrokerId, ClusterId, LeaderEpoch, PartitionEpoch, PartitionId, TopicId, TopicName};

fn sample_image() -> MetadataImage {
    let id = TopicId::from_bytes([3; 16]);
    let mut img = MetadataImage::new();
    let mut change = PartitionChangeRecord::new(id, PartitionId(0));
    change.leader = Some(Some(BrokerId(1)));
    for r in [
        MetadataRecord::ClusterId {
            id: ClusterId::generate(),
        },
        MetadataRecord::Topic(TopicRecord {
            name: TopicName::new("t").unwrap(),
            id,
        }),
        MetadataRecord::Config(ConfigRecord {
            resource: ConfigResource::Topic(TopicName::new("t").unwrap()),
            name: "retention.ms".into(),
            value: Some("5".into()),
        }),
        MetadataRecord::Partition(PartitionRecord {
            topic_id: id,
            partition: PartitionId(0),
            replicas: vec![BrokerId(1)],
            isr: vec![BrokerId(1)],
            leader: Some(BrokerId(1)),
            leader_epoch: LeaderEpoch(0),
            partition_epoch: PartitionEpoch(0),
            adding_replicas: vec![],
            removing_replicas: vec![],
        }),
        MetadataRecord::PartitionChange(change),
    ] {
        img.apply(&r).unwrap();
    }
    img
}

#[test]
fn crc32c_check_value() {
    assert_eq!(crc32c(b"123456789"), 0xE306_9283);
    assert_eq!(crc32c(b""), 0);
}

#[test]
fn empty_dir_loads_none() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = FileStore::open(dir.path()).unwrap();
    assert!(store.load().unwrap().is_none());
    assert!(dir.path().join(METADATA_DIR_NAME).is_dir());
}

#[test]
fn round_trip_keeps_epochs_configs_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    let img = sample_image();
    FileStore::open(dir.path()).unwrap().commit(&img, &[]).unwrap();
    let loaded = FileStore::open(dir.path()).unwrap().load().unwrap().unwrap();
    assert_eq!(loaded, img);
    assert_eq!(loaded.metadata_offset(), 5);
    let p = loaded
        .partition(TopicId::from_bytes([3; 16]), PartitionId(0))
        .unwrap();
    assert_eq!(
        (p.leader_epoch, p.partition_epoch),
        (LeaderEpoch(1), PartitionEpoch(1))
    );
    assert!(!dir.path().join(METADATA_DIR_NAME).join(TEMP_FILE).exists());
}

#[test]
fn leftover_temp_file_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = FileStore::open(dir.path()).unwrap();
    let img = sample_image();
    store.commit(&img, &[]).unwrap();
    // A crash mid-write of the next snapshot leaves a partial temp file.
    fs::write(store.temp_path(), b"KAVKA-METADATA 1 999 0000").unwrap();
    let loaded = FileStore::open(dir.path()).unwrap().load().unwrap().unwrap();
    assert_eq!(loaded, img);
    assert!(!store.temp_path().exists(), "the stale temp file is cleaned up");

    // A crash before the very first rename: nothing was committed.
    let dir2 = tempfile::tempdir().unwrap();
    let store2 = FileStore::open(dir2.path()).unwrap();
    fs::write(store2.temp_path(), b"garbage").unwrap();
    assert!(FileStore::open(dir2.path()).unwrap().load().unwrap().is_none());
}

fn corrupt_and_load(mutate: impl FnOnce(&mut Vec<u8>)) -> (StoreError, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = FileStore::open(dir.path()).unwrap();
    store.commit(&sample_image(), &[]).unwrap();
    let path = store.snapshot_path();
    let mut bytes = fs::read(&path).unwrap();
    mutate(&mut bytes);
    fs::write(&path, &bytes).unwrap();
    let err = FileStore::open(dir.path()).unwrap().load().unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains(&path.display().to_string()),
        "error must name the file: {msg}"
    );
    (err, path)
}

#[test]
fn truncated_file_is_a_clear_error() {
    let (err, _) = corrupt_and_load(|b| {
        let n = b.len() - 10;
        b.truncate(n);
    });
    assert!(err.to_string().contains("truncated"), "{err}");
    let (err, _) = corrupt_and_load(|b| b.truncate(5));
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    let (err, _) = corrupt_and_load(|b| b.clear());
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
}

#[test]
fn garbage_and_bit_flips_are_errors() {
    let (err, _) = corrupt_and_load(|b| *b = b"\x00\xff garbage \n {}".to_vec());
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    let (err, _) = corrupt_and_load(|b| {
        let last = b.len() - 3;
        b[last] ^= 0x01;
    });
    assert!(err.to_string().contains("checksum"), "{err}");
}

#[test]
fn newer_format_is_refused() {
    let (err, _) = corrupt_and_load(|b| {
        let text = String::from_utf8(b.clone()).unwrap();
        *b = text
            .replacen("KAVKA-METADATA 1 ", "KAVKA-METADATA 7 ", 1)
            .into_bytes();
    });
    assert!(
        matches!(err, StoreError::UnsupportedFormat { found: 7, .. }),
        "{err}"
    );
}

#[test]
fn well_formed_but_inconsistent_records_are_refused() {
    // Valid header and checksum, but a partition of an unknown topic.
    let body = serde_json::to_vec(&SnapshotBody {
        metadata_offset: 1,
        records: vec![MetadataRecord::RemoveTopic {
            id: TopicId::from_bytes([5; 16]),
        }],
    })
    .unwrap();
    let mut file = format!("{MAGIC} 1 {} {:08x}\n", body.len(), crc32c(&body)).into_bytes();
    file.extend_from_slice(&body);
    let (err, _) = corrupt_and_load(|b| *b = file);
    assert!(err.to_string().contains("inconsistent"), "{err}");
}

#[test]
fn memory_store_shares_state_and_injects_failures() {
    let store = MemoryStore::new();
    let mut handle: Box<dyn MetadataStore> = Box::new(store.clone());
    store.fail_next_commits(1);
    assert!(handle.commit(&sample_image(), &[]).is_err());
    assert!(handle.load().unwrap().is_none());
    handle.commit(&sample_image(), &[]).unwrap();
    assert_eq!(store.commits(), 1);
    assert_eq!(store.committed_image().unwrap().topic_count(), 1);
}
