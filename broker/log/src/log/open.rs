//! Opening (with recovery), closing and deleting a log.

use super::{Log, WrittenCheckpoints};
use crate::checkpoint::{self, CLEAN_SHUTDOWN, LEADER_EPOCH_CHECKPOINT, PARTITION_METADATA, TMP_SUFFIX};
use crate::config::LogConfig;
use crate::epoch::LeaderEpochCache;
use crate::error::LogError;
use crate::producer::{snapshot, ProducerStateMap};
use crate::segment::{self, Segment, INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX};
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

/// Suffixes of files that only exist while an operation is in progress.
const LEFTOVER_SUFFIXES: [&str; 4] = [TMP_SUFFIX, ".deleted", ".cleaned", ".swap"];

impl Log {
    /// Opens the log in `dir` (created if missing) and runs recovery.
    ///
    /// After a clean shutdown (marker present) index files are trusted when
    /// consistent. Otherwise every segment that may hold data at or after the
    /// recovery point is validated batch by batch (header, offsets, CRC) and
    /// the log is cut at the first invalid byte; later segments are deleted.
    ///
    /// Producer state comes from the newest usable `.snapshot` at or below
    /// the log end plus a replay of the batch headers after it; unusable
    /// snapshots are skipped (down to a replay of every segment).
    pub fn open(dir: &Path, topic_id: Option<&str>, config: LogConfig, now_ms: i64) -> Result<Log, LogError> {
        fs::create_dir_all(dir).map_err(LogError::io("creating log directory", dir))?;
        let topic_id = load_topic_id(dir, topic_id)?;
        let clean_marker = dir.join(CLEAN_SHUTDOWN);
        let clean = clean_marker.exists();
        let bases = scan_directory(dir)?;

        // Without a clean shutdown, only offsets below the recovery point are
        // known to have reached the disk.
        let recovery_from = if clean {
            None
        } else {
            Some(checkpoint::read_offset(dir, checkpoint::RECOVERY_POINT_CHECKPOINT)?.unwrap_or(0))
        };
        let (mut epochs, epochs_loaded) = load_epochs(dir)?;
        let epochs_before = epochs.clone();

        let mut segments: Vec<Segment> = Vec::with_capacity(bases.len().max(1));
        let mut recovered_any = false;
        let mut bases_all_recovered = true;
        for (i, &base) in bases.iter().enumerate() {
            let may_hold_unflushed = match (recovery_from, bases.get(i + 1)) {
                (None, _) => false,
                (Some(rp), Some(&next)) => next > rp,
                (Some(_), None) => true,
            };
            let trusted = if may_hold_unflushed {
                None
            } else {
                Segment::open_with_indexes(dir, base, now_ms)?
            };
            let seg = match trusted {
                Some(seg) => {
                    bases_all_recovered = false;
                    seg
                }
                None => {
                    let min_base = segments.last().map_or(0, |s: &Segment| s.next_offset);
                    // Like Kafka, recovery only adds epochs newer than the
                    // cache knows; older ones are already recorded.
                    let rec =
                        Segment::recover(dir, base, min_base, config.index_interval_bytes, now_ms, |h| {
                            if h.partition_leader_epoch >= 0
                                && epochs
                                    .latest_epoch()
                                    .is_none_or(|latest| h.partition_leader_epoch > latest)
                            {
                                epochs.assign(h.partition_leader_epoch, h.base_offset);
                            }
                        })?;
                    recovered_any = true;
                    if rec.truncated_bytes > 0 {
                        // Everything after a torn or corrupt byte is untrusted.
                        for &later in &bases[i + 1..] {
                            tracing::warn!(dir = %dir.display(), base_offset = later, "deleting segment after corruption");
                            delete_segment_files(dir, later)?;
                        }
                        segments.push(rec.segment);
                        break;
                    }
                    rec.segment
                }
            };
            segments.push(seg);
        }

        let log_start_ckpt = checkpoint::read_offset(dir, checkpoint::LOG_START_CHECKPOINT)?;
        let rp_ckpt = checkpoint::read_offset(dir, checkpoint::RECOVERY_POINT_CHECKPOINT)?;
        if segments.is_empty() {
            let base = log_start_ckpt.unwrap_or(0);
            segments.push(Segment::create(dir, base, now_ms)?);
        }
        let first_base = segments[0].base_offset;
        let log_end = segments[segments.len() - 1].next_offset;
        let log_start = log_start_ckpt.unwrap_or(first_base).max(first_base).min(log_end);

        let mut log = Log {
            dir: dir.to_path_buf(),
            topic_id,
            config,
            segments,
            log_start_offset: log_start,
            high_watermark: 0,
            // Recovered segments were fsynced; trusted ones were durable.
            recovery_point: log_end,
            epochs,
            truncation_generation: 0,
            pending_flush: None,
            dir_changes: 0,
            dir_synced_changes: 0,
            first_unflushed_append_ms: None,
            written: WrittenCheckpoints::default(),
            clock_ms: now_ms,
            producers: ProducerStateMap::default(),
            producer_snapshots: snapshot::list(dir)?.into_iter().collect(),
        };
        if !epochs_loaded && log.size_bytes() > 0 && !(recovered_any && bases_all_recovered) {
            log.rebuild_epochs()?;
        }
        log.epochs.truncate_from_end(log_end);
        log.epochs.truncate_from_start(log_start);
        let hw_ckpt = checkpoint::read_offset(dir, checkpoint::HIGH_WATERMARK_CHECKPOINT)?;
        log.high_watermark = hw_ckpt.unwrap_or(log_start).clamp(log_start, log_end);
        // Checkpoints already holding the right value need no rewrite.
        log.written = WrittenCheckpoints {
            high_watermark: hw_ckpt,
            recovery_point: rp_ckpt,
            log_start_offset: log_start_ckpt,
        };

        // Persist what recovery decided before anything else can happen.
        let non_active = log.segments.len() - 1;
        for seg in &mut log.segments[..non_active] {
            seg.write_indexes(dir)?;
        }
        if log.epochs != epochs_before || !epochs_loaded {
            log.write_epoch_checkpoint()?;
        }
        log.write_checkpoints()?;
        log.rebuild_producer_state()?;
        if clean {
            // From now on a crash must be detected as such.
            segment::remove_if_exists(&clean_marker)?;
            checkpoint::sync_dir(dir)?;
        }
        tracing::info!(
            dir = %dir.display(),
            clean,
            log_start_offset = log.log_start_offset,
            log_end_offset = log_end,
            segments = log.segments.len(),
            "opened log"
        );
        Ok(log)
    }

    /// Rebuilds the epoch cache from every batch header (checkpoint lost).
    fn rebuild_epochs(&mut self) -> Result<(), LogError> {
        tracing::warn!(dir = %self.dir.display(), "leader epoch checkpoint missing or corrupt; rebuilding from segments");
        let mut epochs = LeaderEpochCache::default();
        for seg in &self.segments {
            seg.scan_from(0, |h| {
                if h.partition_leader_epoch >= 0 {
                    epochs.assign(h.partition_leader_epoch, h.base_offset);
                }
                false
            })?;
        }
        self.epochs = epochs;
        Ok(())
    }

    /// Flushes everything, writes indexes, checkpoints and a producer state
    /// snapshot, and leaves the clean-shutdown marker so the next open skips
    /// recovery.
    pub fn close(mut self) -> Result<(), LogError> {
        // The epoch checkpoint is rewritten on every change, so it is current.
        self.flush()?;
        // The next open then loads producer state without replaying batches.
        self.take_producer_snapshot(true)?;
        checkpoint::write_atomic(&self.dir, CLEAN_SHUTDOWN, b"")?;
        tracing::debug!(dir = %self.dir.display(), "closed log");
        Ok(())
    }

    /// Removes the log directory and everything in it.
    pub fn delete(self) -> Result<(), LogError> {
        fs::remove_dir_all(&self.dir).map_err(LogError::io("deleting log directory", &self.dir))
    }
}

fn load_topic_id(dir: &Path, given: Option<&str>) -> Result<Option<String>, LogError> {
    let path = dir.join(PARTITION_METADATA);
    match (checkpoint::read_optional(&path)?, given) {
        (Some(text), given) => {
            let stored = checkpoint::parse_partition_metadata(path.clone(), &text)?;
            if let Some(given) = given {
                if given != stored {
                    return Err(LogError::TopicIdMismatch {
                        path,
                        stored,
                        given: given.to_string(),
                    });
                }
            }
            Ok(Some(stored))
        }
        (None, Some(given)) => {
            checkpoint::write_atomic(
                dir,
                PARTITION_METADATA,
                checkpoint::format_partition_metadata(given).as_bytes(),
            )?;
            Ok(Some(given.to_string()))
        }
        (None, None) => Ok(None),
    }
}

/// Returns the epoch cache and whether a valid checkpoint was found.
fn load_epochs(dir: &Path) -> Result<(LeaderEpochCache, bool), LogError> {
    let path = dir.join(LEADER_EPOCH_CHECKPOINT);
    let Some(text) = checkpoint::read_optional(&path)? else {
        return Ok((LeaderEpochCache::default(), false));
    };
    match LeaderEpochCache::from_checkpoint(&text) {
        Ok(cache) => Ok((cache, true)),
        Err(reason) => {
            tracing::warn!(path = %path.display(), %reason, "ignoring corrupt leader epoch checkpoint");
            Ok((LeaderEpochCache::default(), false))
        }
    }
}

/// Removes leftovers of interrupted operations and orphan index files;
/// returns the segment base offsets in order.
fn scan_directory(dir: &Path) -> Result<Vec<i64>, LogError> {
    let mut logs = BTreeSet::new();
    let mut indexes = Vec::new();
    let entries = fs::read_dir(dir).map_err(LogError::io("listing", dir))?;
    for entry in entries {
        let entry = entry.map_err(LogError::io("listing", dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if LEFTOVER_SUFFIXES.iter().any(|s| name.ends_with(s)) {
            tracing::info!(file = %entry.path().display(), "removing leftover file");
            segment::remove_if_exists(&entry.path())?;
        } else if let Some(base) = segment::parse_file_name(&name, LOG_SUFFIX) {
            logs.insert(base);
        } else if let Some(base) = segment::parse_file_name(&name, INDEX_SUFFIX)
            .or_else(|| segment::parse_file_name(&name, TIME_INDEX_SUFFIX))
        {
            indexes.push((base, entry.path()));
        }
    }
    for (base, path) in indexes {
        if !logs.contains(&base) {
            segment::remove_if_exists(&path)?;
        }
    }
    Ok(logs.into_iter().collect())
}

pub(super) fn delete_segment_files(dir: &Path, base: i64) -> Result<(), LogError> {
    for suffix in [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX] {
        segment::remove_if_exists(&dir.join(segment::file_name(base, suffix)))?;
    }
    Ok(())
}
