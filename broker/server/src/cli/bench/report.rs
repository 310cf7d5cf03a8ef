//! Pure pieces of the benchmarks: pacing, payloads, rates, progress windows and the
//! summary/JSON formats.

use std::time::Duration;

use serde_json::{json, Value};

use super::histogram::Histogram;

/// How often long runs print progress to stderr.
pub const PROGRESS_EVERY: Duration = Duration::from_secs(2);

const MIB: f64 = 1024.0 * 1024.0;

/// Paces a sender to a target rate, like Kafka's `ThroughputThrottler`: the sender
/// asks before each record how long to wait so that `sent` records over `elapsed`
/// never run ahead of the target.
#[derive(Debug, Clone, Copy)]
pub struct Throttle {
    per_sec: Option<f64>,
}

impl Throttle {
    /// `per_sec <= 0` means unlimited (Kafka's `--throughput -1`).
    pub fn new(per_sec: f64) -> Self {
        Throttle {
            per_sec: (per_sec > 0.0).then_some(per_sec),
        }
    }

    /// Time to wait before sending record number `sent` (0-based).
    pub fn delay(&self, sent: u64, elapsed: Duration) -> Option<Duration> {
        let rate = self.per_sec?;
        let due = Duration::from_secs_f64(sent as f64 / rate);
        due.checked_sub(elapsed).filter(|d| !d.is_zero())
    }
}

/// A reproducible payload of uppercase letters, as Kafka's perf tool sends: random
/// enough not to compress to nothing, not so random that compression is pointless.
pub fn payload(size: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..size)
        .map(|_| {
            // xorshift64
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b'A' + (x % 26) as u8
        })
        .collect()
}

/// Records per second and MiB per second.
pub fn rates(records: u64, bytes: u64, elapsed: Duration) -> (f64, f64) {
    let secs = elapsed.as_secs_f64();
    if secs <= 0.0 {
        return (0.0, 0.0);
    }
    (records as f64 / secs, bytes as f64 / MIB / secs)
}

/// Microseconds to milliseconds.
pub fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// Latency percentiles in milliseconds, from a histogram of microseconds.
pub fn latency_json(h: &Histogram) -> Value {
    json!({
        "count": h.count(),
        "avg": round3(h.mean() / 1000.0),
        "min": ms(h.min()),
        "p50": ms(h.percentile(50.0)),
        "p95": ms(h.percentile(95.0)),
        "p99": ms(h.percentile(99.0)),
        "p99_9": ms(h.percentile(99.9)),
        "max": ms(h.max()),
    })
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// `p50 1.2 ms, p99 3.4 ms, p99.9 5.6 ms, max 7.8 ms`
pub fn latency_line(h: &Histogram) -> String {
    format!(
        "avg {:.2} ms, p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
        h.mean() / 1000.0,
        ms(h.percentile(50.0)),
        ms(h.percentile(99.0)),
        ms(h.percentile(99.9)),
        ms(h.max())
    )
}

/// Kafka-style final line of `bench produce`.
pub fn produce_summary(records: u64, bytes: u64, elapsed: Duration, lat: &Histogram) -> String {
    let (rps, mbps) = rates(records, bytes, elapsed);
    format!(
        "{records} records sent, {rps:.1} records/sec ({mbps:.2} MB/sec), {}",
        latency_line(lat)
    )
}

/// Counters of one progress interval.
#[derive(Debug, Default, Clone)]
pub struct Window {
    pub records: u64,
    pub bytes: u64,
    pub latency_sum_us: u64,
    pub latency_max_us: u64,
}

impl Window {
    pub fn add(&mut self, bytes: u64, latency_us: u64) {
        self.records += 1;
        self.bytes += bytes;
        self.latency_sum_us += latency_us;
        self.latency_max_us = self.latency_max_us.max(latency_us);
    }

    /// `12000 records, 6000.0 records/sec (5.72 MB/sec), 3.1 ms avg latency, 9.0 ms max latency.`
    pub fn line(&self, elapsed: Duration, what: &str) -> String {
        let (rps, mbps) = rates(self.records, self.bytes, elapsed);
        let avg = if self.records == 0 {
            0.0
        } else {
            self.latency_sum_us as f64 / self.records as f64 / 1000.0
        };
        format!(
            "{} records {what}, {rps:.1} records/sec ({mbps:.2} MB/sec), {avg:.1} ms avg latency, {:.1} ms max latency.",
            self.records,
            ms(self.latency_max_us)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_keeps_rate() {
        let t = Throttle::new(100.0);
        // Record 50 is due at 0.5 s.
        assert_eq!(
            t.delay(50, Duration::from_millis(200)),
            Some(Duration::from_millis(300))
        );
        assert_eq!(t.delay(50, Duration::from_millis(600)), None);
        assert_eq!(t.delay(0, Duration::ZERO), None);
        assert_eq!(Throttle::new(-1.0).delay(1_000_000, Duration::ZERO), None);
        assert_eq!(Throttle::new(0.0).delay(5, Duration::ZERO), None);
    }

    #[test]
    fn payload_is_letters_and_deterministic() {
        let a = payload(1000, 7);
        assert_eq!(a.len(), 1000);
        assert!(a.iter().all(u8::is_ascii_uppercase));
        assert_eq!(a, payload(1000, 7));
        assert_ne!(a, payload(1000, 8));
        // Not a constant string: most letters appear.
        let distinct: std::collections::BTreeSet<u8> = a.iter().copied().collect();
        assert!(distinct.len() > 20);
    }

    #[test]
    fn rates_in_mib() {
        let (rps, mbps) = rates(2000, 2 * 1024 * 1024, Duration::from_secs(2));
        assert!((rps - 1000.0).abs() < 1e-9);
        assert!((mbps - 1.0).abs() < 1e-9);
        assert_eq!(rates(5, 5, Duration::ZERO), (0.0, 0.0));
    }

    #[test]
    fn summary_and_json_use_histogram() {
        let mut h = Histogram::new();
        for us in [1_000, 2_000, 3_000, 40_000] {
            h.record(us);
        }
        let line = produce_summary(4, 4096, Duration::from_secs(1), &h);
        assert!(
            line.starts_with("4 records sent, 4.0 records/sec (0.00 MB/sec)"),
            "{line}"
        );
        assert!(line.contains("max 40.00 ms"), "{line}");
        let j = latency_json(&h);
        assert_eq!(j["count"], 4);
        assert_eq!(j["max"], 40.0);
        assert_eq!(j["avg"], 11.5);
        assert!(j["p50"].as_f64().unwrap() >= 2.0 && j["p50"].as_f64().unwrap() < 2.04);
    }

    #[test]
    fn window_line() {
        let mut w = Window::default();
        w.add(100, 2_000);
        w.add(100, 4_000);
        let s = w.line(Duration::from_secs(1), "sent");
        assert_eq!(
            s,
            "2 records sent, 2.0 records/sec (0.00 MB/sec), 3.0 ms avg latency, 4.0 ms max latency."
        );
    }
}
