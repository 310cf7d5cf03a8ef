#![allow(dead_code)]

use std::collections::BTreeMap;

use kavka_controller::records::RegisterBrokerRecord;
use kavka_controller::*;

pub fn local(id: i32) -> LocalBroker {
    LocalBroker {
        id: BrokerId(id),
        listeners: vec![Listener {
            name: "PLAINTEXT".into(),
            host: "127.0.0.1".into(),
            port: 9092,
            security_protocol: "PLAINTEXT".into(),
        }],
        rack: None,
    }
}

pub fn start(store: impl MetadataStore + 'static) -> Controller {
    Controller::new(Box::new(store), local(0), ControllerDefaults::default()).unwrap()
}

pub fn req(name: &str, partitions: i32, rf: i16) -> CreateTopicRequest {
    CreateTopicRequest {
        num_partitions: Some(partitions),
        replication_factor: Some(rf),
        ..CreateTopicRequest::new(name)
    }
}

pub fn create_one(c: &mut Controller, r: CreateTopicRequest) -> Result<CreatedTopic, ControllerError> {
    let mut out = c.create_topics(vec![r], false);
    assert_eq!(out.len(), 1);
    out.remove(0).1
}

pub fn configs(pairs: &[(&str, &str)]) -> BTreeMap<String, Option<String>> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Some(v.to_string())))
        .collect()
}

/// A memory store that already holds brokers 0..n (broker `fenced` fenced),
/// with the given racks, as a multi-broker cluster would.
pub fn store_with_brokers(n: i32, fenced: &[i32], racks: Option<&[&str]>) -> MemoryStore {
    let store = MemoryStore::new();
    let mut image = MetadataImage::new();
    for id in 0..n {
        image
            .apply(&MetadataRecord::RegisterBroker(RegisterBrokerRecord {
                id: BrokerId(id),
                incarnation_id: uuid::Uuid::new_v4(),
                epoch: BrokerEpoch(id as i64),
                listeners: vec![],
                rack: racks.map(|r| r[id as usize].to_string()),
                fenced: fenced.contains(&id),
                in_controlled_shutdown: false,
            }))
            .unwrap();
    }
    let mut handle = store.clone();
    handle.commit(&image, &[]).unwrap();
    store
}
