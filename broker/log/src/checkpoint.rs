//! Small durable files of a partition directory. Every write is atomic:
//! temp file, fsync, rename, fsync of the directory.

use crate::error::LogError;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub(crate) const LEADER_EPOCH_CHECKPOINT: &str = "leader-epoch-checkpoint";
pub(crate) const PARTITION_METADATA: &str = "partition.metadata";
pub(crate) const LOG_START_CHECKPOINT: &str = "log-start-offset-checkpoint";
pub(crate) const HIGH_WATERMARK_CHECKPOINT: &str = "high-watermark-checkpoint";
pub(crate) const RECOVERY_POINT_CHECKPOINT: &str = "recovery-point-offset-checkpoint";
pub(crate) const CLEAN_SHUTDOWN: &str = ".kavka_cleanshutdown";
pub(crate) const TMP_SUFFIX: &str = ".tmp";

pub(crate) fn sync_dir(dir: &Path) -> Result<(), LogError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(LogError::io("syncing directory", dir))
}

/// Writes `contents` to `dir/name` atomically and durably.
pub(crate) fn write_atomic(dir: &Path, name: &str, contents: &[u8]) -> Result<(), LogError> {
    let path = dir.join(name);
    let tmp = dir.join(format!("{name}{TMP_SUFFIX}"));
    let write = || -> io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()
    };
    write().map_err(LogError::io("writing", &tmp))?;
    fs::rename(&tmp, &path).map_err(LogError::io("renaming into place", &path))?;
    sync_dir(dir)
}

/// Reads a file that may legitimately be absent.
pub(crate) fn read_optional(path: &Path) -> Result<Option<String>, LogError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(LogError::io("reading", path)(e)),
    }
}

/// Reads a binary file that may legitimately be absent.
pub(crate) fn read_optional_bytes(path: &Path) -> Result<Option<Vec<u8>>, LogError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(LogError::io("reading", path)(e)),
    }
}

/// Our per-partition offset checkpoint: `0\n<offset>\n`.
pub(crate) fn format_offset(offset: i64) -> String {
    format!("0\n{offset}\n")
}

pub(crate) fn parse_offset(text: &str) -> Option<i64> {
    let mut lines = text.lines();
    if lines.next()?.trim() != "0" {
        return None;
    }
    let offset: i64 = lines.next()?.trim().parse().ok()?;
    if offset < 0 || lines.any(|l| !l.trim().is_empty()) {
        return None;
    }
    Some(offset)
}

/// Reads an offset checkpoint; a missing or malformed one yields `None`
/// (with a warning for malformed) because every checkpoint here has a safe
/// fallback.
pub(crate) fn read_offset(dir: &Path, name: &str) -> Result<Option<i64>, LogError> {
    let path = dir.join(name);
    let Some(text) = read_optional(&path)? else {
        return Ok(None);
    };
    let parsed = parse_offset(&text);
    if parsed.is_none() {
        tracing::warn!(path = %path.display(), "ignoring malformed offset checkpoint");
    }
    Ok(parsed)
}

/// Kafka's `partition.metadata`: `version: 0` then `topic_id: <id>`.
pub(crate) fn format_partition_metadata(topic_id: &str) -> String {
    format!("version: 0\ntopic_id: {topic_id}\n")
}

pub(crate) fn parse_partition_metadata(path: PathBuf, text: &str) -> Result<String, LogError> {
    let bad = |reason: &str| LogError::CorruptMetadata {
        path: path.clone(),
        reason: reason.to_string(),
    };
    let mut lines = text.lines();
    let version = lines
        .next()
        .and_then(|l| l.strip_prefix("version:"))
        .ok_or_else(|| bad("missing version line"))?;
    if version.trim() != "0" {
        return Err(bad(&format!("unsupported version {:?}", version.trim())));
    }
    let id = lines
        .next()
        .and_then(|l| l.strip_prefix("topic_id:"))
        .ok_or_else(|| bad("missing topic_id line"))?;
    let id = id.trim();
    if id.is_empty() {
        return Err(bad("empty topic id"));
    }
    Ok(id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_format_roundtrip() {
        assert_eq!(parse_offset(&format_offset(42)), Some(42));
        for bad in ["", "0\n", "1\n5\n", "0\n-3\n", "0\nx\n", "0\n5\n6\n"] {
            assert_eq!(parse_offset(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn partition_metadata_roundtrip() {
        let text = format_partition_metadata("AAAAAAAAAAAAAAAAAAAAAA");
        assert_eq!(text, "version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAA\n");
        assert_eq!(
            parse_partition_metadata(PathBuf::new(), &text).unwrap(),
            "AAAAAAAAAAAAAAAAAAAAAA"
        );
        assert!(parse_partition_metadata(PathBuf::new(), "version: 1\ntopic_id: x\n").is_err());
        assert!(parse_partition_metadata(PathBuf::new(), "version: 0\n").is_err());
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_tmp() {
        let dir = tempfile::tempdir().unwrap();
        write_atomic(dir.path(), "f", b"one").unwrap();
        write_atomic(dir.path(), "f", b"two").unwrap();
        assert_eq!(fs::read(dir.path().join("f")).unwrap(), b"two");
        assert!(!dir.path().join("f.tmp").exists());
        assert_eq!(read_optional(&dir.path().join("missing")).unwrap(), None);
        write_atomic(dir.path(), "o", format_offset(9).as_bytes()).unwrap();
        assert_eq!(read_offset(dir.path(), "o").unwrap(), Some(9));
        write_atomic(dir.path(), "o", b"garbage").unwrap();
        assert_eq!(read_offset(dir.path(), "o").unwrap(), None);
    }
}
