//! Handles given out by the log so that slow I/O happens outside its lock.

use bytes::Bytes;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;

/// A run of whole batches in one segment file. Reading it later is safe if
/// the log was appended to, rolled, cleaned by retention or compacted
/// meanwhile: the handle keeps the (possibly unlinked) file open, and
/// compaction swaps in a new file instead of rewriting this one. Only a
/// truncation (follower divergence) rewrites bytes in place; a slice taken
/// above the truncation point may then return the new bytes, possibly
/// ending in a partial batch (Kafka's file slices behave the same).
#[derive(Debug, Clone)]
pub struct ReadSlice {
    file: Option<Arc<File>>,
    position: u64,
    len: usize,
    /// Base offset of the first batch (may be below the requested offset,
    /// since whole batches are returned); the requested offset when empty.
    pub first_offset: i64,
    /// Base offset of the segment the bytes come from.
    pub segment_base_offset: i64,
}

impl ReadSlice {
    pub(crate) fn new(
        file: Arc<File>,
        position: u64,
        len: usize,
        first_offset: i64,
        segment_base_offset: i64,
    ) -> ReadSlice {
        ReadSlice {
            file: (len > 0).then_some(file),
            position,
            len,
            first_offset,
            segment_base_offset,
        }
    }

    pub(crate) fn empty(offset: i64) -> ReadSlice {
        ReadSlice {
            file: None,
            position: 0,
            len: 0,
            first_offset: offset,
            segment_base_offset: offset,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Byte position inside the segment file (for sendfile-style I/O).
    pub fn position(&self) -> u64 {
        self.position
    }

    /// The open segment file, if the slice is non-empty.
    pub fn file(&self) -> Option<&Arc<File>> {
        self.file.as_ref()
    }

    /// Reads the bytes with one positional read. Call without the log lock.
    pub fn read_bytes(&self) -> io::Result<Bytes> {
        let Some(file) = &self.file else {
            return Ok(Bytes::new());
        };
        let mut buf = vec![0u8; self.len];
        file.read_exact_at(&mut buf, self.position)?;
        Ok(Bytes::from(buf))
    }
}

/// What must be fsynced to make the log durable up to `end_offset`.
#[derive(Debug)]
pub struct FlushHandle {
    pub(crate) files: Vec<Arc<File>>,
    pub(crate) dir: Option<PathBuf>,
    /// Offsets below this are durable once `sync` succeeds.
    pub end_offset: i64,
}

impl FlushHandle {
    /// fsyncs the segment data (and the directory if segments were created
    /// since the last flush). Call without the log lock, then pass
    /// `end_offset` to `Log::mark_flushed`.
    pub fn sync(&self) -> io::Result<()> {
        for f in &self.files {
            f.sync_data()?;
        }
        if let Some(dir) = &self.dir {
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    }
}
