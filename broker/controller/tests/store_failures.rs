//! How the controller behaves when its store misbehaves.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use kavka_controller::*;

#[derive(Default)]
struct Script {
    image: Option<MetadataImage>,
    /// Persist the commit but report an error (e.g. directory fsync failed).
    write_then_fail: bool,
    fail_commit: bool,
    fail_loads: usize,
}

#[derive(Clone, Default)]
struct ScriptedStore(Arc<Mutex<Script>>);

impl MetadataStore for ScriptedStore {
    fn load(&mut self) -> Result<Option<MetadataImage>, StoreError> {
        let mut s = self.0.lock().unwrap();
        if s.fail_loads > 0 {
            s.fail_loads -= 1;
            return Err(StoreError::Other("load failed".into()));
        }
        Ok(s.image.clone())
    }

    fn commit(&mut self, image: &MetadataImage, _new: &[MetadataRecord]) -> Result<(), StoreError> {
        let mut s = self.0.lock().unwrap();
        if s.fail_commit {
            s.fail_commit = false;
            return Err(StoreError::Other("commit failed".into()));
        }
        s.image = Some(image.clone());
        if s.write_then_fail {
            s.write_then_fail = false;
            return Err(StoreError::Other("sync failed after write".into()));
        }
        Ok(())
    }

    fn describe(&self) -> String {
        "scripted store".into()
    }
}

#[test]
fn durable_state_wins_after_an_ambiguous_failure() {
    let store = ScriptedStore::default();
    let mut c = start(store.clone());
    let mut rx = c.subscribe();
    store.0.lock().unwrap().write_then_fail = true;
    let err = create_one(&mut c, req("t", 1, 1)).unwrap_err();
    assert!(matches!(err, ControllerError::Store(_)), "{err}");
    // The write landed, so after re-reading the store the topic is visible.
    assert!(c.image().topic_by_name("t").is_some());
    assert!(rx.has_changed().unwrap());
    assert!(rx.borrow_and_update().topic_by_name("t").is_some());
}

#[test]
fn unreadable_store_blocks_changes_until_it_recovers() {
    let store = ScriptedStore::default();
    let mut c = start(store.clone());
    {
        let mut s = store.0.lock().unwrap();
        s.fail_commit = true;
        s.fail_loads = 2;
    }
    // Commit fails, and the reload after it fails too.
    assert!(create_one(&mut c, req("a", 1, 1)).is_err());
    // The next change first retries the reload, which fails once more.
    let err = create_one(&mut c, req("b", 1, 1)).unwrap_err();
    assert!(err.to_string().contains("unreadable"), "{err}");
    assert!(c.image().topic_by_name("b").is_none());
    // Now the store reads again: changes go through.
    create_one(&mut c, req("b", 1, 1)).unwrap();
    assert!(store
        .0
        .lock()
        .unwrap()
        .image
        .as_ref()
        .unwrap()
        .topic_by_name("b")
        .is_some());
}
