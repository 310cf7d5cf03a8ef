//! Broker metrics, rendered in the Prometheus text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub struct Metrics {
    connections_opened: AtomicU64,
    connections_closed: AtomicU64,
    pub produce_requests: AtomicU64,
    pub produced_bytes: AtomicU64,
    pub fetch_requests: AtomicU64,
    pub fetched_bytes: AtomicU64,
}

impl Metrics {
    pub fn connections_opened(&self) {
        self.connections_opened.fetch_add(1, Ordering::Relaxed);
    }

    pub fn connections_closed(&self) {
        self.connections_closed.fetch_add(1, Ordering::Relaxed);
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let opened = self.connections_opened.load(Ordering::Relaxed);
        let closed = self.connections_closed.load(Ordering::Relaxed);
        let rows: [(&str, &str, &str, u64); 6] = [
            (
                "kavka_connections_active",
                "gauge",
                "Open client connections.",
                opened.saturating_sub(closed),
            ),
            (
                "kavka_connections_total",
                "counter",
                "Connections accepted.",
                opened,
            ),
            (
                "kavka_produce_requests_total",
                "counter",
                "Produce requests handled.",
                self.produce_requests.load(Ordering::Relaxed),
            ),
            (
                "kavka_produced_bytes_total",
                "counter",
                "Record bytes appended by producers.",
                self.produced_bytes.load(Ordering::Relaxed),
            ),
            (
                "kavka_fetch_requests_total",
                "counter",
                "Fetch requests handled.",
                self.fetch_requests.load(Ordering::Relaxed),
            ),
            (
                "kavka_fetched_bytes_total",
                "counter",
                "Record bytes returned to fetchers.",
                self.fetched_bytes.load(Ordering::Relaxed),
            ),
        ];
        for (name, kind, help, value) in rows {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
        }
        out
    }
}
