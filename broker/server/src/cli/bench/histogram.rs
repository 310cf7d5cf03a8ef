//! A log-linear latency histogram: values below 2^SUB_BITS are counted exactly; above,
//! each power-of-two range is split into 2^SUB_BITS equal buckets, so any recorded
//! value is reported within a relative error of 2^-SUB_BITS (~1.6 %). It covers the
//! whole `u64` range in a fixed ~30 KiB, so recording never allocates or fails.

const SUB_BITS: u32 = 6;
const SUB_COUNT: u64 = 1 << SUB_BITS;
/// 64 exact buckets plus 64 buckets for each exponent 6..=63.
const BUCKETS: usize = (SUB_COUNT + (64 - SUB_BITS as u64) * SUB_COUNT) as usize;

#[derive(Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    sum: u128,
    min: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram")
            .field("count", &self.total)
            .field("min", &self.min())
            .field("max", &self.max())
            .finish()
    }
}

fn bucket_index(v: u64) -> usize {
    if v < SUB_COUNT {
        return v as usize;
    }
    let msb = 63 - v.leading_zeros(); // >= SUB_BITS
    let shift = msb - SUB_BITS;
    let sub = (v >> shift) - SUB_COUNT; // 0..SUB_COUNT
    (SUB_COUNT + u64::from(msb - SUB_BITS) * SUB_COUNT + sub) as usize
}

/// Highest value that falls into bucket `i`.
fn bucket_upper(i: usize) -> u64 {
    let i = i as u64;
    if i < SUB_COUNT {
        return i;
    }
    let exp = (i - SUB_COUNT) / SUB_COUNT; // msb - SUB_BITS
    let sub = (i - SUB_COUNT) % SUB_COUNT + SUB_COUNT;
    let low = sub << exp;
    low.saturating_add((1u64 << exp) - 1)
}

/// 1-based rank of percentile `p` among `total` values: ceil(p/100 * total), at
/// least 1. Computed in integer parts-per-million, because in floating point
/// 99.9 / 100 * 1000 is 999.0000000000001 and would round up to the next value.
fn rank(p: f64, total: u64) -> u64 {
    let ppm = (p.clamp(0.0, 100.0) * 10_000.0).round() as u128;
    let r = (ppm * u128::from(total)).div_ceil(1_000_000);
    (r as u64).max(1)
}

impl Histogram {
    pub fn new() -> Self {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
            sum: 0,
            min: u64::MAX,
            max: 0,
        }
    }

    pub fn record(&mut self, v: u64) {
        self.counts[bucket_index(v)] += 1;
        self.total += 1;
        self.sum += u128::from(v);
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    pub fn min(&self) -> u64 {
        if self.total == 0 {
            0
        } else {
            self.min
        }
    }

    pub fn max(&self) -> u64 {
        self.max
    }

    pub fn mean(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.sum as f64 / self.total as f64
        }
    }

    /// The value at percentile `p` (0..=100): the smallest recorded value such that at
    /// least `p` % of all values are <= it, reported as its bucket's upper bound
    /// (clamped to the exact min and max), i.e. never under-reported.
    pub fn percentile(&self, p: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = rank(p, self.total);
        let mut seen = 0u64;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return bucket_upper(i).clamp(self.min, self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact percentile with the same rank definition, for comparison.
    fn exact(sorted: &[u64], p: f64) -> u64 {
        sorted[rank(p, sorted.len() as u64) as usize - 1]
    }

    #[test]
    fn rank_is_exact_for_decimal_percentiles() {
        assert_eq!(rank(99.9, 1000), 999);
        assert_eq!(rank(99.95, 1000), 1000);
        assert_eq!(rank(50.0, 4), 2);
        assert_eq!(rank(50.0, 5), 3);
        assert_eq!(rank(0.0, 5), 1);
        assert_eq!(rank(100.0, 5), 5);
        assert_eq!(rank(99.99, 20_000), 19_998);
    }

    #[test]
    fn buckets_are_contiguous_and_cover_u64() {
        assert_eq!(bucket_index(0), 0);
        assert_eq!(bucket_index(63), 63);
        assert_eq!(bucket_index(64), 64);
        assert_eq!(bucket_index(u64::MAX), BUCKETS - 1);
        assert_eq!(bucket_upper(BUCKETS - 1), u64::MAX);
        for i in 0..BUCKETS - 1 {
            let upper = bucket_upper(i);
            assert_eq!(bucket_index(upper), i, "upper bound of {i}");
            assert_eq!(bucket_index(upper + 1), i + 1, "next after {i}");
        }
    }

    #[test]
    fn small_values_are_exact() {
        let mut h = Histogram::new();
        for v in 0..64 {
            h.record(v);
        }
        assert_eq!(h.percentile(50.0), 31);
        assert_eq!(h.percentile(100.0), 63);
        assert_eq!(h.percentile(0.0), 0);
        assert_eq!(h.min(), 0);
        assert!((h.mean() - 31.5).abs() < 1e-9);
    }

    #[test]
    fn percentiles_within_relative_error() {
        // A skewed, deterministic distribution spanning several decades.
        let mut values: Vec<u64> = (0..20_000u64)
            .map(|i| {
                let x = i.wrapping_mul(2_654_435_761) % 1_000_003;
                100 + x * x / 997
            })
            .collect();
        let mut h = Histogram::new();
        for &v in &values {
            h.record(v);
        }
        values.sort_unstable();
        for p in [1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0] {
            let want = exact(&values, p);
            let got = h.percentile(p);
            assert!(got >= want, "p{p}: {got} < exact {want}");
            let err = (got - want) as f64 / want as f64;
            assert!(err <= 1.0 / SUB_COUNT as f64, "p{p}: {got} vs {want}");
        }
        assert_eq!(h.max(), *values.last().unwrap());
        assert_eq!(h.min(), values[0]);
        assert_eq!(h.count(), 20_000);
    }

    #[test]
    fn outlier_is_visible_at_p999_only() {
        let mut h = Histogram::new();
        for _ in 0..999 {
            h.record(1_000);
        }
        h.record(500_000);
        // 1000 shares a bucket with 1000..=1007 (relative error < 1/64).
        assert!((1_000..=1_007).contains(&h.percentile(50.0)));
        assert!((1_000..=1_007).contains(&h.percentile(99.9)));
        assert_eq!(h.percentile(99.95), 500_000);
        assert_eq!(h.max(), 500_000);
    }

    #[test]
    fn empty_is_zero() {
        let h = Histogram::new();
        assert_eq!(h.percentile(99.0), 0);
        assert_eq!(h.min(), 0);
        assert_eq!(h.mean(), 0.0);
    }
}
