//! Durable metadata storage.
//!
//! `MetadataStore` is what the controller commits to before publishing a
//! change. The file store keeps one snapshot file, rewritten atomically on
//! every commit; a Kubernetes store (another crate) can persist the records
//! incrementally instead.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::image::MetadataImage;
use crate::records::MetadataRecord;

/// Durable home of the metadata image. Object-safe; used as
/// `Box<dyn MetadataStore>`.
pub trait MetadataStore: Send {
    /// The last committed image, or `None` for a store that was never
    /// written (a new cluster). A damaged store is an error, never `None`.
    fn load(&mut self) -> Result<Option<MetadataImage>, StoreError>;

    /// Makes `image` durable. `new_records` are the records that turned the
    /// previously committed image into `image`, for stores that persist
    /// changes incrementally. When this returns an error the controller
    /// reloads, so the store must answer `load` with whatever it holds.
    fn commit(&mut self, image: &MetadataImage, new_records: &[MetadataRecord]) -> Result<(), StoreError>;

    /// Where the state lives, for logs.
    fn describe(&self) -> String;
}

// ---------------------------------------------------------------------------
// File store

/// Folder under the data directory, named after Kafka's metadata log.
pub const METADATA_DIR_NAME: &str = "__cluster_metadata";
const SNAPSHOT_FILE: &str = "snapshot.json";
const TEMP_FILE: &str = "snapshot.json.tmp";
const MAGIC: &str = "KAVKA-METADATA";
const FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct SnapshotBody {
    metadata_offset: u64,
    records: Vec<MetadataRecord>,
}

/// Keeps the image as `<dir>/__cluster_metadata/snapshot.json`: one header
/// line (`KAVKA-METADATA <version> <body length> <crc32c hex>`) followed by
/// the JSON body. The checksum catches damage that still parses as JSON.
#[derive(Debug)]
pub struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    /// Opens (creating if needed) the metadata folder under `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        let dir = data_dir.join(METADATA_DIR_NAME);
        fs::create_dir_all(&dir).map_err(|source| StoreError::Io {
            path: dir.clone(),
            source,
        })?;
        Ok(FileStore { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn snapshot_path(&self) -> PathBuf {
        self.dir.join(SNAPSHOT_FILE)
    }

    fn temp_path(&self) -> PathBuf {
        self.dir.join(TEMP_FILE)
    }

    fn write_atomically(&self, contents: &[u8]) -> Result<(), StoreError> {
        let tmp = self.temp_path();
        let io_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| StoreError::Io { path, source }
        };
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(io_err(&tmp))?;
        f.write_all(contents).map_err(io_err(&tmp))?;
        f.sync_all().map_err(io_err(&tmp))?;
        drop(f);
        let target = self.snapshot_path();
        fs::rename(&tmp, &target).map_err(io_err(&target))?;
        // The rename is durable only once the directory entry is.
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err(&self.dir))
    }
}

impl MetadataStore for FileStore {
    fn load(&mut self) -> Result<Option<MetadataImage>, StoreError> {
        let tmp = self.temp_path();
        if tmp.exists() {
            // A crash between writing and renaming; the previous snapshot
            // (if any) is the committed state.
            tracing::warn!(path = %tmp.display(), "ignoring incomplete metadata snapshot");
            if let Err(e) = fs::remove_file(&tmp) {
                tracing::warn!(path = %tmp.display(), error = %e, "could not remove it");
            }
        }
        let path = self.snapshot_path();
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(StoreError::Io { path, source }),
        };
        let image = decode_snapshot(&path, &bytes)?;
        tracing::info!(
            path = %path.display(),
            offset = image.metadata_offset(),
            topics = image.topic_count(),
            "loaded metadata snapshot"
        );
        Ok(Some(image))
    }

    fn commit(&mut self, image: &MetadataImage, _new_records: &[MetadataRecord]) -> Result<(), StoreError> {
        let bytes = encode_snapshot(image).map_err(|source| StoreError::Encode {
            path: self.snapshot_path(),
            source,
        })?;
        self.write_atomically(&bytes)
    }

    fn describe(&self) -> String {
        format!("file store at {}", self.dir.display())
    }
}

fn encode_snapshot(image: &MetadataImage) -> Result<Vec<u8>, serde_json::Error> {
    let body = serde_json::to_vec(&SnapshotBody {
        metadata_offset: image.metadata_offset(),
        records: image.to_snapshot_records(),
    })?;
    let header = format!("{MAGIC} {FORMAT_VERSION} {} {:08x}\n", body.len(), crc32c(&body));
    let mut out = header.into_bytes();
    out.extend_from_slice(&body);
    Ok(out)
}

fn decode_snapshot(path: &Path, bytes: &[u8]) -> Result<MetadataImage, StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt {
        path: path.to_path_buf(),
        reason,
    };
    let newline = bytes
        .iter()
        .position(|b| *b == b'\n')
        .filter(|i| *i < 128)
        .ok_or_else(|| corrupt("missing header line".into()))?;
    let header = std::str::from_utf8(&bytes[..newline]).map_err(|_| corrupt("header is not text".into()))?;
    let body = &bytes[newline + 1..];
    let fields: Vec<&str> = header.split(' ').collect();
    let [magic, version, len, crc] = fields.as_slice() else {
        return Err(corrupt(format!("malformed header {header:?}")));
    };
    if *magic != MAGIC {
        return Err(corrupt(format!("not a Kavka metadata file (header {header:?})")));
    }
    let version: u32 = version
        .parse()
        .map_err(|_| corrupt(format!("malformed version in header {header:?}")))?;
    if version > FORMAT_VERSION {
        return Err(StoreError::UnsupportedFormat {
            path: path.to_path_buf(),
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let len: usize = len
        .parse()
        .map_err(|_| corrupt(format!("malformed length in header {header:?}")))?;
    if body.len() != len {
        return Err(corrupt(format!(
            "body is {} bytes but the header says {len} (truncated or overwritten)",
            body.len()
        )));
    }
    let crc = u32::from_str_radix(crc, 16)
        .map_err(|_| corrupt(format!("malformed checksum in header {header:?}")))?;
    let actual = crc32c(body);
    if actual != crc {
        return Err(corrupt(format!(
            "checksum mismatch: header {crc:08x}, contents {actual:08x}"
        )));
    }
    let snap: SnapshotBody =
        serde_json::from_slice(body).map_err(|e| corrupt(format!("invalid JSON: {e}")))?;
    MetadataImage::from_snapshot(&snap.records, snap.metadata_offset)
        .map_err(|e| corrupt(format!("inconsistent records: {e}")))
}

/// CRC-32C (Castagnoli), the checksum Kafka uses for record batches.
fn crc32c(data: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 {
                    0x82F6_3B78 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            table[i] = c;
            i += 1;
        }
        table
    };
    let mut crc = !0u32;
    for &b in data {
        crc = TABLE[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

// ---------------------------------------------------------------------------
// In-memory store

#[derive(Debug, Default)]
struct MemoryInner {
    image: Option<MetadataImage>,
    commits: usize,
    fail_commits: usize,
}

/// A store in memory, for tests of code that uses the controller. Clones
/// share state, so a test can keep a handle, inspect what was committed and
/// hand the same store to a "restarted" controller.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Mutex<MemoryInner>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the next `n` commits fail.
    pub fn fail_next_commits(&self, n: usize) {
        self.lock().fail_commits = n;
    }

    /// Number of successful commits.
    pub fn commits(&self) -> usize {
        self.lock().commits
    }

    pub fn committed_image(&self) -> Option<MetadataImage> {
        self.lock().image.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryInner> {
        // A panic while holding the lock cannot leave MemoryInner half-updated
        // (each field is written once), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl MetadataStore for MemoryStore {
    fn load(&mut self) -> Result<Option<MetadataImage>, StoreError> {
        Ok(self.lock().image.clone())
    }

    fn commit(&mut self, image: &MetadataImage, _new_records: &[MetadataRecord]) -> Result<(), StoreError> {
        let mut inner = self.lock();
        if inner.fail_commits > 0 {
            inner.fail_commits -= 1;
            return Err(StoreError::Other("injected commit failure".into()));
        }
        inner.image = Some(image.clone());
        inner.commits += 1;
        Ok(())
    }

    fn describe(&self) -> String {
        "memory store".into()
    }
}

#[cfg(test)]
mod tests;
