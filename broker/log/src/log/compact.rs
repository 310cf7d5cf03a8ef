//! Compaction I/O: read cleanable segments, rewrite them, swap files.

use super::Log;
use crate::checkpoint;
pub use crate::compaction::CompactionStats;
use crate::compaction::{clean_batch, KeyMap, Verdict};
use crate::error::LogError;
use crate::segment::{self, Segment, INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX};
use std::fs::{self, OpenOptions};
use std::io::Write;

impl Log {
    /// `cleanup.policy=compact`: rewrites the non-active segments that lie
    /// wholly below the high watermark so that each key keeps only its
    /// latest record; tombstones are dropped `delete_retention_ms` after the
    /// first cleaning that saw them (KIP-534 delete horizon). Only
    /// uncompressed, non-transactional batches are compacted; others are
    /// kept as they are (see the `compaction` module). Segments are
    /// rewritten one to one (never merged). A no-op for `delete`-only logs.
    ///
    /// Runs under the caller's lock and reads the cleanable range twice;
    /// the key map holds every distinct key of that range in memory.
    pub fn compact(&mut self, now_ms: i64, delete_retention_ms: i64) -> Result<CompactionStats, LogError> {
        self.observe_clock(now_ms);
        let mut stats = CompactionStats::default();
        if !self.config.cleanup_policy.compacts() {
            return Ok(stats);
        }
        let mut cleanable = 0;
        while cleanable + 1 < self.segments.len()
            && self.segments[cleanable + 1].base_offset <= self.high_watermark
        {
            cleanable += 1;
        }
        if cleanable == 0 {
            return Ok(stats);
        }
        stats.cleanable_end_offset = self.segments[cleanable].base_offset;

        let mut map = KeyMap::default();
        for seg in &self.segments[..cleanable] {
            for_each_batch(seg, |h, bytes| map.add_batch(h, bytes))?;
        }

        for i in 0..cleanable {
            let seg = &self.segments[i];
            stats.bytes_before += seg.size;
            let mut out = Vec::new();
            let mut changed = false;
            for_each_batch(seg, |h, bytes| {
                match clean_batch(h, bytes, &map, now_ms, delete_retention_ms, &mut stats) {
                    Verdict::Keep => out.extend_from_slice(bytes),
                    Verdict::Rewrite(b) => {
                        changed = true;
                        out.extend_from_slice(&b);
                    }
                    Verdict::Drop => changed = true,
                }
            })?;
            if !changed {
                stats.bytes_after += seg.size;
                continue;
            }
            let min_base = if i == 0 {
                0
            } else {
                self.segments[i - 1].next_offset
            };
            let new_seg = self.swap_in(seg.base_offset, &out, min_base, now_ms)?;
            stats.bytes_after += new_seg.size;
            stats.segments_rewritten += 1;
            self.segments[i] = new_seg;
        }
        tracing::info!(
            dir = %self.dir.display(),
            segments = stats.segments_rewritten,
            bytes_before = stats.bytes_before,
            bytes_after = stats.bytes_after,
            "compacted log"
        );
        Ok(stats)
    }

    /// Replaces segment `base`'s file with `contents` crash-safely: write
    /// `.log.cleaned` and fsync it, drop the old index files (they would
    /// describe the old layout), rename over the old file, fsync the
    /// directory, then rebuild and write indexes.
    fn swap_in(&self, base: i64, contents: &[u8], min_base: i64, now_ms: i64) -> Result<Segment, LogError> {
        let dir = &self.dir;
        let log_name = segment::file_name(base, LOG_SUFFIX);
        let cleaned = dir.join(format!("{log_name}.cleaned"));
        let write = || -> std::io::Result<()> {
            let mut f = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&cleaned)?;
            f.write_all(contents)?;
            f.sync_all()
        };
        write().map_err(LogError::io("writing cleaned segment", &cleaned))?;
        segment::remove_if_exists(&dir.join(segment::file_name(base, INDEX_SUFFIX)))?;
        segment::remove_if_exists(&dir.join(segment::file_name(base, TIME_INDEX_SUFFIX)))?;
        let target = dir.join(&log_name);
        fs::rename(&cleaned, &target).map_err(LogError::io("swapping in cleaned segment", &target))?;
        checkpoint::sync_dir(dir)?;
        let rec = Segment::recover(
            dir,
            base,
            min_base,
            self.config.index_interval_bytes,
            now_ms,
            |_| {},
        )?;
        if rec.truncated_bytes > 0 {
            return Err(LogError::CorruptSegment {
                path: target,
                position: rec.segment.size,
                reason: "cleaned segment failed validation".into(),
            });
        }
        let mut seg = rec.segment;
        seg.write_indexes(dir)?;
        Ok(seg)
    }
}

/// Calls `f` with every complete batch of `seg`.
fn for_each_batch(
    seg: &Segment,
    mut f: impl FnMut(&crate::batch::BatchHeader, &[u8]),
) -> Result<(), LogError> {
    let mut scanner = seg.scanner();
    let mut pos = 0u64;
    while let Some(h) = scanner.header_at(pos)? {
        let bytes = seg.read_batch(pos, &h)?;
        f(&h, &bytes);
        pos += h.size() as u64;
    }
    Ok(())
}
