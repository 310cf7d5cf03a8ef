//! One segment: `<base>.log` plus its in-memory indexes.
//!
//! Reads use positional I/O (`pread`) on an `Arc<File>` so slices can be
//! handed out and read without the log's lock; appends use `pwrite` at the
//! tracked size.

use crate::batch::{self, BatchHeader, ValidationMode, HEADER_SIZE, NO_TIMESTAMP};
use crate::error::LogError;
use crate::index::{OffsetIndex, TimeIndex};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(crate) const LOG_SUFFIX: &str = ".log";
pub(crate) const INDEX_SUFFIX: &str = ".index";
pub(crate) const TIME_INDEX_SUFFIX: &str = ".timeindex";

/// Bytes read at once when walking headers; small batches share a read.
const SCAN_CHUNK: usize = 8 * 1024;
/// Bytes read at once when validating whole batches during recovery.
const RECOVERY_CHUNK: usize = 1024 * 1024;

pub(crate) fn file_name(base_offset: i64, suffix: &str) -> String {
    format!("{base_offset:020}{suffix}")
}

/// Parses `<20 digits><suffix>` back to a base offset.
pub(crate) fn parse_file_name(name: &str, suffix: &str) -> Option<i64> {
    let digits = name.strip_suffix(suffix)?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[derive(Debug)]
pub(crate) struct Segment {
    pub base_offset: i64,
    pub path: PathBuf,
    pub file: Arc<File>,
    pub size: u64,
    /// Offset after the last batch (the base offset when empty, or the
    /// truncation point after a truncation inside a batch).
    pub next_offset: i64,
    pub offset_index: OffsetIndex,
    pub time_index: TimeIndex,
    bytes_since_index_entry: u64,
    /// Largest batch max timestamp, or NO_TIMESTAMP.
    pub max_timestamp: i64,
    /// Last offset of the first batch that reached `max_timestamp`.
    pub offset_of_max_timestamp: i64,
    /// Max timestamp of the first batch: Kafka's basis for time-based rolls.
    pub first_batch_timestamp: Option<i64>,
    pub created_ms: i64,
    /// In-memory indexes differ from the index files.
    pub indexes_dirty: bool,
}

/// Walks batch headers with buffered positional reads, checking each header
/// is plausible and that its batch lies inside the file.
pub(crate) struct HeaderScanner<'a> {
    file: &'a File,
    path: &'a Path,
    end: u64,
    buf: Vec<u8>,
    buf_start: u64,
}

impl<'a> HeaderScanner<'a> {
    pub(crate) fn new(file: &'a File, path: &'a Path, end: u64) -> HeaderScanner<'a> {
        HeaderScanner {
            file,
            path,
            end,
            buf: Vec::new(),
            buf_start: 0,
        }
    }

    fn corrupt(&self, position: u64, reason: String) -> LogError {
        LogError::CorruptSegment {
            path: self.path.to_path_buf(),
            position,
            reason,
        }
    }

    /// The header of the batch at `pos`, or `None` at the end of the data.
    pub(crate) fn header_at(&mut self, pos: u64) -> Result<Option<BatchHeader>, LogError> {
        if pos >= self.end {
            return Ok(None);
        }
        let buffered =
            pos >= self.buf_start && pos + HEADER_SIZE as u64 <= self.buf_start + self.buf.len() as u64;
        if !buffered {
            let want = (self.end - pos).min(SCAN_CHUNK as u64) as usize;
            self.buf.resize(want, 0);
            self.file
                .read_exact_at(&mut self.buf, pos)
                .map_err(LogError::io("reading batch headers of", self.path))?;
            self.buf_start = pos;
        }
        let at = (pos - self.buf_start) as usize;
        let header = batch::check_header(&self.buf[at..], at, usize::MAX, ValidationMode::Replica)
            .map_err(|e| self.corrupt(pos, e.to_string()))?;
        if pos + header.size() as u64 > self.end {
            return Err(self.corrupt(pos, format!("batch of {} bytes runs past the end", header.size())));
        }
        Ok(Some(header))
    }
}

/// Outcome of a full validating scan.
pub(crate) struct Recovered {
    pub segment: Segment,
    /// Bytes cut off the end because they were not a valid batch chain.
    pub truncated_bytes: u64,
}

impl Segment {
    fn empty(base_offset: i64, path: PathBuf, file: File, created_ms: i64) -> Segment {
        Segment {
            base_offset,
            path,
            file: Arc::new(file),
            size: 0,
            next_offset: base_offset,
            offset_index: OffsetIndex::default(),
            time_index: TimeIndex::default(),
            bytes_since_index_entry: 0,
            max_timestamp: NO_TIMESTAMP,
            offset_of_max_timestamp: base_offset,
            first_batch_timestamp: None,
            created_ms,
            indexes_dirty: true,
        }
    }

    /// Creates a new empty segment file. An existing empty file of that name
    /// (left by a crash right after a roll) is reused.
    pub(crate) fn create(dir: &Path, base_offset: i64, now_ms: i64) -> Result<Segment, LogError> {
        let path = dir.join(file_name(base_offset, LOG_SUFFIX));
        if let Ok(meta) = fs::metadata(&path) {
            if meta.len() != 0 {
                return Err(LogError::InvalidOffset(format!(
                    "cannot roll to offset {base_offset}: non-empty segment {} exists",
                    path.display()
                )));
            }
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .map_err(LogError::io("creating segment", &path))?;
        remove_if_exists(&dir.join(file_name(base_offset, INDEX_SUFFIX)))?;
        remove_if_exists(&dir.join(file_name(base_offset, TIME_INDEX_SUFFIX)))?;
        Ok(Segment::empty(base_offset, path, file, now_ms))
    }

    fn open_file(dir: &Path, base_offset: i64) -> Result<(PathBuf, File, u64), LogError> {
        let path = dir.join(file_name(base_offset, LOG_SUFFIX));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(LogError::io("opening segment", &path))?;
        let size = file
            .metadata()
            .map_err(LogError::io("reading size of", &path))?
            .len();
        Ok((path, file, size))
    }

    pub(crate) fn relative(&self, offset: i64) -> u32 {
        // Callers keep offsets within [base, base + i32::MAX] by rolling.
        u32::try_from(offset.saturating_sub(self.base_offset).max(0)).unwrap_or(u32::MAX)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// Updates indexes and stats for a batch just placed at `position`.
    fn index_batch(&mut self, header: &BatchHeader, position: u64, index_interval: u64) {
        if self.first_batch_timestamp.is_none() {
            self.first_batch_timestamp = Some(header.max_timestamp);
        }
        if header.max_timestamp > self.max_timestamp {
            self.max_timestamp = header.max_timestamp;
            self.offset_of_max_timestamp = header.last_offset();
        }
        // Same rule as Kafka: index the batch that starts after more than
        // `index.interval.bytes` have gone unindexed.
        if self.bytes_since_index_entry > index_interval {
            let pos = u32::try_from(position).unwrap_or(u32::MAX);
            self.offset_index.append(self.relative(header.last_offset()), pos);
            self.time_index
                .maybe_append(self.max_timestamp, self.relative(self.offset_of_max_timestamp));
            self.bytes_since_index_entry = 0;
        }
        self.bytes_since_index_entry += header.size() as u64;
        self.next_offset = header.next_offset();
        self.indexes_dirty = true;
    }

    /// Appends validated batches (`headers` describe `records`).
    pub(crate) fn append(
        &mut self,
        records: &[u8],
        headers: &[BatchHeader],
        index_interval: u64,
    ) -> Result<(), LogError> {
        if let Err(e) = self.file.write_all_at(records, self.size) {
            // Do not leave a partial write that later appends would follow.
            if let Err(e2) = self.file.set_len(self.size) {
                tracing::error!(path = %self.path.display(), error = %e2, "could not cut off a failed append");
            }
            return Err(LogError::io("appending to", &self.path)(e));
        }
        let mut pos = self.size;
        for h in headers {
            self.index_batch(h, pos, index_interval);
            pos += h.size() as u64;
        }
        self.size = pos;
        Ok(())
    }

    /// Adds the final time index entry for the segment's max timestamp (as
    /// Kafka does on roll/close) so that the index alone knows the max.
    pub(crate) fn seal_time_index(&mut self) {
        let before = self.time_index.entries().len();
        self.time_index
            .maybe_append(self.max_timestamp, self.relative(self.offset_of_max_timestamp));
        if self.time_index.entries().len() != before {
            self.indexes_dirty = true;
        }
    }

    /// Writes both index files if they are stale. Not fsynced: a stale or
    /// torn index is detected at open and rebuilt from the segment.
    pub(crate) fn write_indexes(&mut self, dir: &Path) -> Result<(), LogError> {
        if !self.indexes_dirty {
            return Ok(());
        }
        self.seal_time_index();
        write_replace(
            dir,
            &file_name(self.base_offset, INDEX_SUFFIX),
            &self.offset_index.to_bytes(),
        )?;
        write_replace(
            dir,
            &file_name(self.base_offset, TIME_INDEX_SUFFIX),
            &self.time_index.to_bytes(),
        )?;
        self.indexes_dirty = false;
        Ok(())
    }

    pub(crate) fn scanner(&self) -> HeaderScanner<'_> {
        HeaderScanner::new(&self.file, &self.path, self.size)
    }

    /// First batch with last offset >= `offset`, as (position, header).
    pub(crate) fn locate(&self, offset: i64) -> Result<Option<(u64, BatchHeader)>, LogError> {
        let start = if offset <= self.base_offset {
            0
        } else {
            self.offset_index
                .lookup(self.relative(offset))
                .map_or(0, |(_, p)| u64::from(p))
        };
        self.scan_from(start, |h| h.last_offset() >= offset)
    }

    /// Walks headers from `pos` until `stop` accepts one.
    pub(crate) fn scan_from(
        &self,
        mut pos: u64,
        mut stop: impl FnMut(&BatchHeader) -> bool,
    ) -> Result<Option<(u64, BatchHeader)>, LogError> {
        let mut scanner = self.scanner();
        while let Some(h) = scanner.header_at(pos)? {
            if stop(&h) {
                return Ok(Some((pos, h)));
            }
            pos += h.size() as u64;
        }
        Ok(None)
    }

    /// The largest batch boundary in `[start, limit]` (`start` is a boundary).
    pub(crate) fn boundary_at_or_below(&self, start: u64, limit: u64) -> Result<u64, LogError> {
        if limit >= self.size {
            return Ok(self.size);
        }
        let mut pos = match self.offset_index.floor_by_position(limit) {
            Some((_, p)) if u64::from(p) > start => u64::from(p),
            _ => start,
        };
        let mut scanner = self.scanner();
        while let Some(h) = scanner.header_at(pos)? {
            if pos + h.size() as u64 > limit {
                break;
            }
            pos += h.size() as u64;
        }
        Ok(pos)
    }

    /// First batch at or after `min_offset` whose max timestamp >= `ts`.
    pub(crate) fn find_by_timestamp(
        &self,
        ts: i64,
        min_offset: i64,
    ) -> Result<Option<(u64, BatchHeader)>, LogError> {
        let from_time = self.time_index.lookup(ts).map_or(0, |(_, o)| o);
        let rel = from_time.max(self.relative(min_offset));
        let start = self.offset_index.lookup(rel).map_or(0, |(_, p)| u64::from(p));
        self.scan_from(start, |h| h.max_timestamp >= ts && h.last_offset() >= min_offset)
    }

    /// The batch that holds the segment's max timestamp, as (position,
    /// header). The segment tracks that batch's last offset, so this is an
    /// offset index lookup plus a scan of at most one index interval, not a
    /// walk of the segment. `None` when the segment has no timestamps or the
    /// batch there no longer carries the max (never expected; callers then
    /// answer at batch granularity).
    pub(crate) fn batch_of_max_timestamp(&self) -> Result<Option<(u64, BatchHeader)>, LogError> {
        if self.is_empty() || self.max_timestamp == NO_TIMESTAMP {
            return Ok(None);
        }
        Ok(self
            .locate(self.offset_of_max_timestamp)?
            .filter(|(_, h)| h.max_timestamp == self.max_timestamp))
    }

    /// Reads the complete batch at `pos` (for record-level inspection).
    pub(crate) fn read_batch(&self, pos: u64, header: &BatchHeader) -> Result<Vec<u8>, LogError> {
        let mut buf = vec![0u8; header.size()];
        self.file
            .read_exact_at(&mut buf, pos)
            .map_err(LogError::io("reading batch from", &self.path))?;
        Ok(buf)
    }

    /// Removes every batch with last offset >= `offset`; the segment then
    /// ends at `offset` logically (Kafka sets the log end to the target even
    /// when it falls inside a removed batch). Returns the bytes removed.
    pub(crate) fn truncate_to(&mut self, offset: i64, dir: &Path) -> Result<u64, LogError> {
        let cut = match self.locate(offset)? {
            Some((pos, _)) => pos,
            None => self.size,
        };
        let removed = self.size - cut;
        // Delete the index files first: afterwards they could look
        // consistent with a file that has been appended to again.
        remove_if_exists(&dir.join(file_name(self.base_offset, INDEX_SUFFIX)))?;
        remove_if_exists(&dir.join(file_name(self.base_offset, TIME_INDEX_SUFFIX)))?;
        if removed > 0 {
            self.file
                .set_len(cut)
                .map_err(LogError::io("truncating", &self.path))?;
            self.size = cut;
        }
        self.offset_index.truncate_to_position(cut);
        self.time_index.truncate_to_offset(self.relative(offset));
        self.reload_tail()?;
        self.next_offset = offset.max(self.base_offset);
        self.indexes_dirty = true;
        Ok(removed)
    }

    /// Recomputes next offset, max timestamp and first timestamp from the
    /// indexes plus a header scan after the last offset index entry.
    fn reload_tail(&mut self) -> Result<(), LogError> {
        self.next_offset = self.base_offset;
        self.first_batch_timestamp = None;
        self.max_timestamp = NO_TIMESTAMP;
        self.offset_of_max_timestamp = self.base_offset;
        if let Some((t, o)) = self.time_index.last() {
            self.max_timestamp = t;
            self.offset_of_max_timestamp = self.base_offset + i64::from(o);
        }
        let start = self.offset_index.last().map_or(0, |(_, p)| u64::from(p));
        if let Some((o, p)) = self.offset_index.last() {
            // The indexed batch must be where the index says.
            let h = self.scanner().header_at(u64::from(p))?;
            if h.map(|h| h.last_offset()) != Some(self.base_offset + i64::from(o)) {
                return Err(LogError::CorruptSegment {
                    path: self.path.clone(),
                    position: u64::from(p),
                    reason: "offset index entry does not match the batch there".into(),
                });
            }
        }
        let mut scanner = HeaderScanner::new(&self.file, &self.path, self.size);
        if let Some(first) = scanner.header_at(0)? {
            self.first_batch_timestamp = Some(first.max_timestamp);
        }
        let mut pos = start;
        while let Some(h) = scanner.header_at(pos)? {
            if h.max_timestamp > self.max_timestamp {
                self.max_timestamp = h.max_timestamp;
                self.offset_of_max_timestamp = h.last_offset();
            }
            self.next_offset = h.next_offset();
            pos += h.size() as u64;
        }
        self.bytes_since_index_entry = self.size - start;
        Ok(())
    }

    /// Opens a segment trusting its index files if they are present and
    /// consistent with the data; `Ok(None)` means "rebuild via recovery".
    pub(crate) fn open_with_indexes(
        dir: &Path,
        base_offset: i64,
        now_ms: i64,
    ) -> Result<Option<Segment>, LogError> {
        let (path, file, size) = Segment::open_file(dir, base_offset)?;
        let mut seg = Segment::empty(base_offset, path, file, now_ms);
        seg.size = size;
        let index_bytes =
            crate::checkpoint::read_optional_bytes(&dir.join(file_name(base_offset, INDEX_SUFFIX)))?;
        let time_bytes =
            crate::checkpoint::read_optional_bytes(&dir.join(file_name(base_offset, TIME_INDEX_SUFFIX)))?;
        let (Some(index_bytes), Some(time_bytes)) = (index_bytes, time_bytes) else {
            return Ok(None);
        };
        let Some(offset_index) = OffsetIndex::from_bytes(&index_bytes, size) else {
            return Ok(None);
        };
        seg.offset_index = offset_index;
        // Time index offsets are checked once the end offset is known.
        let Some(time_index) = TimeIndex::from_bytes(&time_bytes, u64::from(u32::MAX) + 1) else {
            return Ok(None);
        };
        seg.time_index = time_index;
        if let Err(e) = seg.reload_tail() {
            tracing::warn!(segment = %seg.path.display(), error = %e, "index or segment inconsistent, rebuilding");
            return Ok(None);
        }
        let rel_end = u64::try_from(seg.next_offset - base_offset).unwrap_or(0);
        if seg
            .time_index
            .last()
            .is_some_and(|(_, o)| u64::from(o) >= rel_end)
        {
            return Ok(None);
        }
        seg.indexes_dirty = false;
        Ok(Some(seg))
    }

    /// Opens a segment validating every batch (header, offsets, CRC) and
    /// rebuilding its indexes; cuts the file at the first invalid byte.
    /// `min_base_offset` is where the first batch may start (the end of the
    /// previous segment). `on_batch` sees every valid batch (epoch cache).
    pub(crate) fn recover(
        dir: &Path,
        base_offset: i64,
        min_base_offset: i64,
        index_interval: u64,
        now_ms: i64,
        mut on_batch: impl FnMut(&BatchHeader),
    ) -> Result<Recovered, LogError> {
        let (path, file, size) = Segment::open_file(dir, base_offset)?;
        let mut seg = Segment::empty(base_offset, path, file, now_ms);
        let mut pos = 0u64;
        let mut expected_min = min_base_offset.max(base_offset);
        let mut chunk = Chunk::default();
        let reason = loop {
            if pos >= size {
                break None;
            }
            let avail = chunk.ensure(&seg.file, &seg.path, pos, HEADER_SIZE as u64, size)?;
            let header = match batch::check_header(avail, 0, usize::MAX, ValidationMode::Replica) {
                Ok(h) => h,
                Err(e) => break Some(e.to_string()),
            };
            let batch_size = header.size() as u64;
            if pos + batch_size > size {
                break Some(format!(
                    "batch of {batch_size} bytes runs past the end of the file"
                ));
            }
            let avail = chunk.ensure(&seg.file, &seg.path, pos, batch_size, size)?;
            if let Err(e) = batch::check_batch(avail, 0, usize::MAX, ValidationMode::Replica) {
                break Some(e.to_string());
            }
            if header.base_offset < expected_min {
                break Some(format!(
                    "batch base offset {} below expected minimum {}",
                    header.base_offset, expected_min
                ));
            }
            if header.last_offset() - base_offset > i64::from(i32::MAX) {
                break Some(format!(
                    "batch last offset {} too far from segment base",
                    header.last_offset()
                ));
            }
            on_batch(&header);
            seg.index_batch(&header, pos, index_interval);
            expected_min = header.next_offset();
            pos += batch_size;
        };
        let mut truncated_bytes = 0;
        if let Some(reason) = reason {
            truncated_bytes = size - pos;
            tracing::warn!(
                segment = %seg.path.display(),
                position = pos,
                bytes = truncated_bytes,
                %reason,
                "truncating invalid tail of segment"
            );
            seg.file
                .set_len(pos)
                .map_err(LogError::io("truncating", &seg.path))?;
        }
        seg.file.sync_all().map_err(LogError::io("syncing", &seg.path))?;
        seg.size = pos;
        seg.indexes_dirty = true;
        Ok(Recovered {
            segment: seg,
            truncated_bytes,
        })
    }

    /// Largest timestamp for time retention: the max batch timestamp, or the
    /// file's modification time when batches carry no timestamps (Kafka).
    pub(crate) fn largest_timestamp(&self) -> i64 {
        if self.max_timestamp > 0 {
            return self.max_timestamp;
        }
        self.file
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(NO_TIMESTAMP, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }

    /// Deletes the segment's files. Open readers keep working on their
    /// handles (Unix semantics), which is why no delete delay is needed.
    pub(crate) fn delete_files(&self, dir: &Path) -> Result<(), LogError> {
        remove_if_exists(&self.path)?;
        remove_if_exists(&dir.join(file_name(self.base_offset, INDEX_SUFFIX)))?;
        remove_if_exists(&dir.join(file_name(self.base_offset, TIME_INDEX_SUFFIX)))
    }
}

/// A window of file bytes for sequential validation.
#[derive(Default)]
struct Chunk {
    buf: Vec<u8>,
    start: u64,
}

impl Chunk {
    /// Bytes from `pos` to the window end, refilled so at least `len` bytes
    /// (or all up to `file_size`) are present.
    fn ensure(
        &mut self,
        file: &File,
        path: &Path,
        pos: u64,
        len: u64,
        file_size: u64,
    ) -> Result<&[u8], LogError> {
        let end = self.start + self.buf.len() as u64;
        if pos < self.start || pos + len > end {
            let want = (file_size - pos).min((RECOVERY_CHUNK as u64).max(len)) as usize;
            self.buf.resize(want, 0);
            file.read_exact_at(&mut self.buf, pos)
                .map_err(LogError::io("reading segment", path))?;
            self.start = pos;
        }
        Ok(&self.buf[(pos - self.start) as usize..])
    }
}

pub(crate) fn remove_if_exists(path: &Path) -> Result<(), LogError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(LogError::io("removing", path)(e)),
    }
}

/// Write-temp-then-rename without fsync (for rebuildable files).
pub(crate) fn write_replace(dir: &Path, name: &str, contents: &[u8]) -> Result<(), LogError> {
    let tmp = dir.join(format!("{name}{}", crate::checkpoint::TMP_SUFFIX));
    fs::write(&tmp, contents).map_err(LogError::io("writing", &tmp))?;
    let path = dir.join(name);
    fs::rename(&tmp, &path).map_err(LogError::io("renaming into place", &path))
}
