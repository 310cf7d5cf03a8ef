//! Leader epoch cache: which leader epoch started at which offset. Pure
//! logic plus Kafka's `leader-epoch-checkpoint` text format (line 1: version
//! `0`, line 2: entry count, then `epoch startOffset` per line).

/// Kafka's UNDEFINED_EPOCH.
pub const UNDEFINED_EPOCH: i32 = -1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochEntry {
    pub epoch: i32,
    pub start_offset: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeaderEpochCache {
    /// Epochs strictly increasing, start offsets non-decreasing.
    entries: Vec<EpochEntry>,
}

impl LeaderEpochCache {
    pub fn entries(&self) -> &[EpochEntry] {
        &self.entries
    }

    pub fn latest_epoch(&self) -> Option<i32> {
        self.entries.last().map(|e| e.epoch)
    }

    /// Records that `epoch` starts at `start_offset`. Returns whether the
    /// cache changed. Follows Kafka's `assign`: a no-op for the current epoch
    /// unless the offset moves back; otherwise entries that would break
    /// monotonicity (epoch >= new epoch or start offset >= new start) are
    /// removed first.
    pub fn assign(&mut self, epoch: i32, start_offset: i64) -> bool {
        if epoch < 0 || start_offset < 0 {
            return false;
        }
        if let Some(last) = self.entries.last() {
            if last.epoch == epoch && start_offset >= last.start_offset {
                return false;
            }
        }
        self.entries
            .retain(|e| e.epoch < epoch && e.start_offset < start_offset);
        self.entries.push(EpochEntry { epoch, start_offset });
        true
    }

    /// Epoch of the leader that wrote `offset` (largest start <= offset).
    pub fn epoch_for_offset(&self, offset: i64) -> Option<i32> {
        let idx = self.entries.partition_point(|e| e.start_offset <= offset);
        idx.checked_sub(1).map(|i| self.entries[i].epoch)
    }

    /// Kafka's `endOffsetFor`: for `requested`, the largest known epoch <=
    /// it and the start offset of the next epoch (or `log_end_offset` for the
    /// latest epoch). When `requested` is older than every known epoch, Kafka
    /// answers `(requested, start of the first epoch)` so a follower
    /// truncates to the leader's earliest history. `None` means
    /// UNDEFINED_EPOCH/UNDEFINED_EPOCH_OFFSET (unknown or newer epoch, or an
    /// empty cache).
    pub fn end_offset_for(&self, requested: i32, log_end_offset: i64) -> Option<(i32, i64)> {
        if requested == UNDEFINED_EPOCH {
            return None;
        }
        let last = self.entries.last()?;
        if last.epoch == requested {
            return Some((requested, log_end_offset));
        }
        // First entry with epoch > requested.
        let higher = self.entries.partition_point(|e| e.epoch <= requested);
        let next = self.entries.get(higher)?;
        match higher.checked_sub(1) {
            None => Some((requested, next.start_offset)),
            Some(floor) => Some((self.entries[floor].epoch, next.start_offset)),
        }
    }

    /// After the log was truncated to end at `end_offset`: epochs starting at
    /// or after it no longer have data.
    pub fn truncate_from_end(&mut self, end_offset: i64) -> bool {
        let before = self.entries.len();
        self.entries.retain(|e| e.start_offset < end_offset);
        before != self.entries.len()
    }

    /// After the log start moved to `start_offset`: earlier epochs are gone,
    /// and the epoch covering `start_offset` now starts there (Kafka's
    /// `truncateFromStart`).
    pub fn truncate_from_start(&mut self, start_offset: i64) -> bool {
        let covering = self.entries.partition_point(|e| e.start_offset <= start_offset);
        let Some(keep_from) = covering.checked_sub(1) else {
            return false;
        };
        let changed = keep_from > 0 || self.entries[keep_from].start_offset != start_offset;
        self.entries.drain(..keep_from);
        self.entries[0].start_offset = start_offset;
        changed
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Kafka's checkpoint text.
    pub fn to_checkpoint(&self) -> String {
        let mut s = format!("0\n{}\n", self.entries.len());
        for e in &self.entries {
            s.push_str(&format!("{} {}\n", e.epoch, e.start_offset));
        }
        s
    }

    /// Parses Kafka's checkpoint text; `Err` describes what is wrong.
    pub fn from_checkpoint(text: &str) -> Result<LeaderEpochCache, String> {
        let mut lines = text.lines();
        match lines.next().map(str::trim) {
            Some("0") => {}
            other => return Err(format!("unsupported version line {other:?}")),
        }
        let count: usize = lines
            .next()
            .and_then(|l| l.trim().parse().ok())
            .ok_or("missing or bad entry count")?;
        let mut cache = LeaderEpochCache::default();
        for i in 0..count {
            let line = lines
                .next()
                .ok_or(format!("expected {count} entries, found {i}"))?;
            let mut parts = line.split_whitespace();
            let (Some(e), Some(o), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(format!("malformed entry line {line:?}"));
            };
            let epoch: i32 = e.parse().map_err(|_| format!("bad epoch in {line:?}"))?;
            let start_offset: i64 = o.parse().map_err(|_| format!("bad offset in {line:?}"))?;
            if let Some(last) = cache.entries.last() {
                if epoch <= last.epoch || start_offset < last.start_offset {
                    return Err(format!("entries not monotonic at {line:?}"));
                }
            }
            if epoch < 0 || start_offset < 0 {
                return Err(format!("negative value in {line:?}"));
            }
            cache.entries.push(EpochEntry { epoch, start_offset });
        }
        if lines.any(|l| !l.trim().is_empty()) {
            return Err("trailing data after entries".into());
        }
        Ok(cache)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(pairs: &[(i32, i64)]) -> LeaderEpochCache {
        let mut c = LeaderEpochCache::default();
        for &(e, o) in pairs {
            assert!(c.assign(e, o));
        }
        c
    }

    #[test]
    fn assign_rules() {
        let mut c = cache(&[(1, 0), (3, 10)]);
        assert!(!c.assign(3, 15), "same epoch later offset is a no-op");
        assert!(c.assign(3, 8), "same epoch earlier offset moves the start back");
        assert_eq!(
            c.entries().last(),
            Some(&EpochEntry {
                epoch: 3,
                start_offset: 8
            })
        );
        assert!(c.assign(5, 20));
        // A lower epoch removes everything >= it (and entries at/after its offset).
        assert!(c.assign(4, 9));
        assert_eq!(
            c.entries(),
            &[
                EpochEntry {
                    epoch: 1,
                    start_offset: 0
                },
                EpochEntry {
                    epoch: 3,
                    start_offset: 8
                },
                EpochEntry {
                    epoch: 4,
                    start_offset: 9
                }
            ]
        );
        assert!(!c.assign(-1, 5));
        assert_eq!(c.latest_epoch(), Some(4));
    }

    #[test]
    fn end_offset_for_follows_kafka() {
        let c = cache(&[(2, 5), (4, 20), (7, 30)]);
        assert_eq!(c.end_offset_for(UNDEFINED_EPOCH, 40), None);
        assert_eq!(c.end_offset_for(7, 40), Some((7, 40)), "latest epoch -> log end");
        assert_eq!(c.end_offset_for(4, 40), Some((4, 30)));
        assert_eq!(
            c.end_offset_for(5, 40),
            Some((4, 30)),
            "unknown epoch -> floor epoch, next start"
        );
        assert_eq!(c.end_offset_for(2, 40), Some((2, 20)));
        assert_eq!(
            c.end_offset_for(1, 40),
            Some((1, 5)),
            "older than all -> first start offset"
        );
        assert_eq!(c.end_offset_for(8, 40), None, "newer than latest");
        assert_eq!(LeaderEpochCache::default().end_offset_for(0, 0), None);
    }

    #[test]
    fn epoch_for_offset() {
        let c = cache(&[(2, 5), (4, 20)]);
        assert_eq!(c.epoch_for_offset(4), None);
        assert_eq!(c.epoch_for_offset(5), Some(2));
        assert_eq!(c.epoch_for_offset(19), Some(2));
        assert_eq!(c.epoch_for_offset(100), Some(4));
    }

    #[test]
    fn truncations() {
        let mut c = cache(&[(2, 5), (4, 20), (7, 30)]);
        assert!(c.truncate_from_end(30));
        assert_eq!(c.latest_epoch(), Some(4));
        assert!(!c.truncate_from_end(25));
        assert!(c.truncate_from_start(22));
        assert_eq!(
            c.entries(),
            &[EpochEntry {
                epoch: 4,
                start_offset: 22
            }]
        );
        assert!(
            !c.truncate_from_start(10),
            "before the first epoch: nothing to do"
        );
        assert!(c.truncate_from_end(0));
        assert!(c.entries().is_empty());
        assert!(!c.truncate_from_start(3));
    }

    #[test]
    fn checkpoint_roundtrip_and_errors() {
        let c = cache(&[(0, 0), (3, 17)]);
        let text = c.to_checkpoint();
        assert_eq!(text, "0\n2\n0 0\n3 17\n");
        assert_eq!(LeaderEpochCache::from_checkpoint(&text).unwrap(), c);
        assert_eq!(
            LeaderEpochCache::from_checkpoint("0\n0\n").unwrap(),
            LeaderEpochCache::default()
        );
        for bad in [
            "1\n0\n",
            "0\n2\n0 0\n",
            "0\n1\n0\n",
            "0\n2\n3 0\n1 5\n",
            "0\n1\n0 0\n9 9\n",
            "",
            "0\nx\n",
        ] {
            assert!(LeaderEpochCache::from_checkpoint(bad).is_err(), "{bad:?}");
        }
    }
}
