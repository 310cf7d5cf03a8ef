//! DescribeLogDirs (35): per-partition sizes, so that reassignment plans can
//! weigh bytes.

use std::collections::BTreeMap;

use kafka_protocol::messages::describe_log_dirs_response::{
    DescribeLogDirsPartition, DescribeLogDirsResult, DescribeLogDirsTopic,
};
use kafka_protocol::messages::{DescribeLogDirsRequest, DescribeLogDirsResponse};
use kafka_protocol::protocol::StrBytes;

use super::produce::wire_topic;
use super::RequestContext;

pub fn describe(ctx: &RequestContext, v: i16, req: DescribeLogDirsRequest) -> DescribeLogDirsResponse {
    let broker = &ctx.broker;
    // None = every partition.
    let filter: Option<BTreeMap<String, Vec<i32>>> = req.topics.map(|ts| {
        ts.into_iter()
            .map(|t| (t.topic.as_str().to_string(), t.partitions))
            .collect()
    });
    let mut by_topic: BTreeMap<String, Vec<DescribeLogDirsPartition>> = BTreeMap::new();
    for p in broker.replicas.all() {
        let tp = p.tp();
        if let Some(f) = &filter {
            match f.get(tp.topic.as_str()) {
                Some(parts) if parts.contains(&tp.partition) => {}
                _ => continue,
            }
        }
        let lag = p.offsets().map(|(_, hw, leo)| (leo - hw).max(0)).unwrap_or(0);
        by_topic.entry(tp.topic.as_str().to_string()).or_default().push(
            DescribeLogDirsPartition::default()
                .with_partition_index(tp.partition)
                .with_partition_size(p.size_bytes() as i64)
                .with_offset_lag(lag),
        );
    }
    let topics = by_topic
        .into_iter()
        .map(|(name, mut parts)| {
            parts.sort_by_key(|p| p.partition_index);
            DescribeLogDirsTopic::default()
                .with_name(wire_topic(&name))
                .with_partitions(parts)
        })
        .collect();
    let dir = broker.replicas.log_dir();
    let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let mut result = DescribeLogDirsResult::default()
        .with_log_dir(StrBytes::from_string(abs.display().to_string()))
        .with_topics(topics);
    if v >= 4 {
        let (total, usable) = disk_space(&abs).unwrap_or((-1, -1));
        result.total_bytes = total;
        result.usable_bytes = usable;
    }
    DescribeLogDirsResponse::default().with_results(vec![result])
}

/// Total and available bytes of the filesystem holding `dir`.
fn disk_space(dir: &std::path::Path) -> Option<(i64, i64)> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut st = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `path` is NUL-terminated and `st` is a valid out-pointer.
    let rc = unsafe { libc::statvfs(path.as_ptr(), st.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: statvfs returned 0, so it filled `st`.
    let st = unsafe { st.assume_init() };
    let frsize = st.f_frsize as i64;
    Some((st.f_blocks as i64 * frsize, st.f_bavail as i64 * frsize))
}
