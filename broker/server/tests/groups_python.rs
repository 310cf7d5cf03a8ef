//! Consumer groups with Python clients (kafka-python and aiokafka), run by
//! `tests/python/group_consumers.py` against an in-process broker. The
//! clients live in the venv `scripts/setup.sh` installs
//! (`~/.cache/kavka/python-clients`, or `$KAVKA_CACHE/python-clients`); without
//! it these tests print why and pass without running.

mod common;
mod group_support;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use common::TestBroker;
use group_support::{create_topic, produce, FAST_GROUPS};

const PARTITIONS: i32 = 4;
const PER_PARTITION: usize = 5;

/// The venv's python if it has both clients, or why not.
fn python() -> Result<PathBuf, String> {
    let cache = std::env::var_os("KAVKA_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/kavka")))
        .ok_or("neither KAVKA_CACHE nor HOME is set")?;
    let python = cache.join("python-clients/bin/python");
    if !python.exists() {
        return Err(format!("{} not found (run scripts/setup.sh)", python.display()));
    }
    let ok = Command::new(&python)
        .args(["-c", "import kafka, aiokafka"])
        .status()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !ok.success() {
        return Err(format!("{} lacks kafka-python or aiokafka", python.display()));
    }
    Ok(python)
}

async fn run_client(client: &str) {
    let python = match python() {
        Ok(p) => p,
        Err(why) => {
            println!("skipping the {client} group test: {why}");
            return;
        }
    };
    let b = TestBroker::start_with(FAST_GROUPS).await;
    create_topic(&b.bootstrap, "py", PARTITIONS).await;
    for p in 0..PARTITIONS {
        produce(&b.bootstrap, "py", p, PER_PARTITION, "r");
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/group_consumers.py");
    let mut cmd = tokio::process::Command::new(python);
    cmd.arg(script)
        .arg(&b.bootstrap)
        .arg("py")
        .arg(PARTITIONS.to_string())
        .arg(PER_PARTITION.to_string())
        .arg(client)
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("python script timed out")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.lines().last() == Some("OK"),
        "{client} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_python_group_consumers() {
    run_client("kafka-python").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aiokafka_group_consumers() {
    run_client("aiokafka").await;
}
