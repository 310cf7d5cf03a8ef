//! Shared helpers for the broker's integration tests: an in-process broker
//! on 127.0.0.1 port 0 with its own temporary data directory, rdkafka client
//! builders, and a raw Kafka-protocol client for APIs rdkafka does not expose.
#![allow(dead_code)]

pub mod raw;

use std::time::Duration;

use kavka::broker::{start, RunningBroker};
use kavka::config::{BrokerConfig, ConfigSource};
use rdkafka::ClientConfig;

pub struct TestBroker {
    pub running: Option<RunningBroker>,
    pub dir: tempfile::TempDir,
    pub bootstrap: String,
    pub sets: Vec<(String, String)>,
}

pub fn config_for(dir: &std::path::Path, sets: &[(&str, &str)]) -> BrokerConfig {
    let mut cfg = BrokerConfig::default();
    let src = ConfigSource::CommandLine;
    cfg.set_value("listeners", "PLAINTEXT://127.0.0.1:0", src.clone())
        .unwrap();
    cfg.set_value("log.dirs", dir.to_str().unwrap(), src.clone())
        .unwrap();
    for (k, v) in sets {
        cfg.set_value(k, v, src.clone()).unwrap();
    }
    cfg
}

impl TestBroker {
    pub async fn start() -> TestBroker {
        Self::start_with(&[]).await
    }

    pub async fn start_with(sets: &[(&str, &str)]) -> TestBroker {
        let dir = tempfile::tempdir().unwrap();
        let running = start(config_for(dir.path(), sets)).await.unwrap();
        let bootstrap = running.addr().to_string();
        TestBroker {
            running: Some(running),
            dir,
            bootstrap,
            sets: sets.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }

    /// Stops cleanly and starts again on the same data directory (a new port).
    pub async fn restart(&mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
        let sets: Vec<(&str, &str)> = self.sets.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let running = start(config_for(self.dir.path(), &sets)).await.unwrap();
        self.bootstrap = running.addr().to_string();
        self.running = Some(running);
    }

    pub fn client_config(&self) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", &self.bootstrap)
            .set("broker.address.family", "v4")
            .set("socket.timeout.ms", "10000")
            .set("message.timeout.ms", "10000");
        c
    }

    pub fn producer_config(&self) -> ClientConfig {
        let mut c = self.client_config();
        c.set("linger.ms", "1").set("enable.idempotence", "false");
        c
    }

    pub fn consumer_config(&self) -> ClientConfig {
        let mut c = self.client_config();
        c.set("group.id", "unused-no-coordinator-yet")
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", "earliest")
            .set("fetch.wait.max.ms", "100");
        c
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
    }
}

pub const TIMEOUT: Duration = Duration::from_secs(20);
