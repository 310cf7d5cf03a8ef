//! Broker assembly: configuration, the in-process controller, the partition
//! manager, listeners and background tasks, and clean shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use kavka_controller::{BrokerId, Controller, ControllerDefaults, FileStore, LocalBroker, MetadataImage};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{error, info, warn};

use crate::config::{BrokerConfig, Listener};
use crate::coordinator::GroupService;
use crate::metrics::Metrics;
use crate::replica::ReplicaManager;
use crate::server::{bind_listeners, Shutdown};
use crate::time::now_ms;

/// Shared state of a running broker.
pub struct Broker {
    pub config: BrokerConfig,
    pub controller: tokio::sync::Mutex<Controller>,
    metadata: watch::Receiver<Arc<MetadataImage>>,
    pub replicas: ReplicaManager,
    /// Producer ids for InitProducerId, in blocks from the controller.
    pub producer_ids: Arc<crate::producer_ids::ProducerIdManager>,
    /// The group coordinator (`__consumer_offsets`).
    pub groups: GroupService,
    pub metrics: Metrics,
    /// Listeners as published to clients, with port 0 resolved.
    pub advertised: Vec<Listener>,
    /// Serialises applying images to the partitions and remembers the
    /// metadata offset last applied, so the watcher does not redo what an
    /// admin request already applied.
    applied: parking_lot::Mutex<Option<u64>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot create log directory {dir}: {source}")]
    LogDir {
        dir: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Bind(std::io::Error),
    #[error("cluster metadata: {0}")]
    Controller(String),
    #[error(transparent)]
    Replica(#[from] Box<crate::replica::ReplicaError>),
}

impl Broker {
    /// The latest metadata image.
    pub fn image(&self) -> Arc<MetadataImage> {
        self.metadata.borrow().clone()
    }

    /// Brings the hosted partitions in line with the latest image. Called by
    /// the metadata watcher and, synchronously, by admin requests so that a
    /// topic is usable as soon as CreateTopics answers.
    pub fn sync_partitions(&self) {
        let mut applied = self.applied.lock();
        let image = self.image();
        if *applied == Some(image.metadata_offset()) {
            return;
        }
        match self.replicas.apply_image(&image, now_ms()) {
            Ok(()) => *applied = Some(image.metadata_offset()),
            Err(e) => error!(error = %e, "applying metadata to partitions failed"),
        }
    }

    pub fn node_id(&self) -> i32 {
        self.config.node_id
    }
}

/// A started broker; `shutdown` stops it cleanly.
pub struct RunningBroker {
    pub broker: Arc<Broker>,
    pub addrs: Vec<SocketAddr>,
    shutdown_tx: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningBroker {
    /// The first listener's address (what tests and the CLI connect to).
    pub fn addr(&self) -> SocketAddr {
        self.addrs[0]
    }

    /// Stops accepting, ends every connection, flushes and closes logs.
    pub async fn shutdown(self) {
        let _ = self.shutdown_tx.send(true);
        // Parked JoinGroup/SyncGroup requests hold their connections: answer
        // them (NOT_COORDINATOR) so those connections can close.
        self.broker.groups.shutdown().await;
        for t in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
        }
        let broker = self.broker.clone();
        let _ = tokio::task::spawn_blocking(move || broker.replicas.close_all()).await;
        info!("broker stopped");
    }
}

/// Starts a broker from its configuration.
pub async fn start(config: BrokerConfig) -> Result<RunningBroker, StartError> {
    let started = std::time::Instant::now();
    let log_dir = config.primary_log_dir().to_path_buf();
    std::fs::create_dir_all(&log_dir).map_err(|source| StartError::LogDir {
        dir: log_dir.clone(),
        source,
    })?;
    // Bind first: a port conflict should fail before anything is touched.
    let listeners = bind_listeners(&config.listeners)
        .await
        .map_err(StartError::Bind)?;
    let addrs: Vec<SocketAddr> = listeners.iter().map(|l| l.local_addr).collect();
    let advertised = resolve_advertised(&config, &addrs);

    let store = FileStore::open(&log_dir).map_err(|e| StartError::Controller(e.to_string()))?;
    let (node, defaults) = controller_settings(&config, &advertised);
    let controller = Controller::new(Box::new(store), node, defaults)
        .map_err(|e| StartError::Controller(e.to_string()))?;
    let metadata = controller.subscribe();

    let broker = Arc::new(Broker {
        replicas: ReplicaManager::new(&config),
        producer_ids: Arc::new(crate::producer_ids::ProducerIdManager::new()),
        groups: GroupService::new(&config),
        config,
        controller: tokio::sync::Mutex::new(controller),
        metadata,
        metrics: Metrics::default(),
        advertised,
        applied: parking_lot::Mutex::new(None),
    });
    {
        let b = broker.clone();
        tokio::task::spawn_blocking(move || -> Result<(), StartError> {
            b.replicas.quarantine_strays(&b.image()).map_err(Box::new)?;
            let image = b.image();
            b.replicas.apply_image(&image, now_ms()).map_err(Box::new)?;
            *b.applied.lock() = Some(image.metadata_offset());
            Ok(())
        })
        .await
        .map_err(|e| StartError::Controller(format!("startup task failed: {e}")))??;
    }

    let (shutdown_tx, shutdown) = Shutdown::new();
    let mut tasks = Vec::new();
    for l in listeners {
        tasks.push(tokio::spawn(l.run(broker.clone(), shutdown.clone())));
    }
    tasks.push(tokio::spawn(metadata_watcher(broker.clone(), shutdown.clone())));
    tasks.push(tokio::spawn(housekeeping(broker.clone(), shutdown.clone())));
    tasks.push(tokio::spawn(flusher(broker.clone(), shutdown.clone())));
    tasks.push(tokio::spawn(producer_expiry(broker.clone(), shutdown.clone())));
    tasks.push(tokio::spawn(crate::coordinator::run(
        broker.clone(),
        shutdown.clone(),
    )));
    info!(
        node_id = broker.config.node_id,
        partitions = broker.replicas.all().len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "broker started"
    );
    Ok(RunningBroker {
        broker,
        addrs,
        shutdown_tx,
        tasks,
    })
}

/// Advertised listeners default to the bound ones; port 0 becomes the port
/// the OS picked.
fn resolve_advertised(config: &BrokerConfig, bound: &[SocketAddr]) -> Vec<Listener> {
    let mut out: Vec<Listener> = config.advertised().to_vec();
    for (i, l) in out.iter_mut().enumerate() {
        if l.port == 0 {
            if let Some(a) = bound.get(i) {
                l.port = a.port();
            }
        }
        if l.host.is_empty() || l.host == "0.0.0.0" {
            l.host = "127.0.0.1".to_string();
        }
    }
    out
}

fn controller_settings(config: &BrokerConfig, advertised: &[Listener]) -> (LocalBroker, ControllerDefaults) {
    let node = LocalBroker {
        id: BrokerId(config.node_id),
        listeners: advertised
            .iter()
            .map(|l| kavka_controller::Listener {
                name: l.name.clone(),
                host: l.host.clone(),
                port: l.port,
                security_protocol: "PLAINTEXT".to_string(),
            })
            .collect(),
        rack: config.broker_rack.clone(),
    };
    let defaults = ControllerDefaults {
        num_partitions: config.num_partitions,
        default_replication_factor: config.default_replication_factor,
    };
    (node, defaults)
}

async fn metadata_watcher(broker: Arc<Broker>, mut shutdown: Shutdown) {
    let mut rx = broker.metadata.clone();
    loop {
        tokio::select! {
            r = rx.changed() => if r.is_err() { return },
            _ = shutdown.recv() => return,
        }
        let b = broker.clone();
        if let Err(e) = tokio::task::spawn_blocking(move || b.sync_partitions()).await {
            warn!(error = %e, "metadata apply task failed");
        }
        broker.groups.refresh(&broker);
    }
}

/// Time-based segment rolls, retention and compaction, every
/// `log.retention.check.interval.ms`.
async fn housekeeping(broker: Arc<Broker>, mut shutdown: Shutdown) {
    let period = Duration::from_millis(broker.config.log_retention_check_interval_ms.max(100));
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.recv() => return,
        }
        let b = broker.clone();
        let _ = tokio::task::spawn_blocking(move || {
            let now = now_ms();
            let image = b.image();
            for p in b.replicas.all() {
                let delete_retention =
                    crate::replica::delete_retention_ms(image.topic_configs(&p.tp().topic));
                p.housekeeping(now, delete_retention);
            }
        })
        .await;
    }
}

/// Forgets idle idempotent producers (`producer.id.expiration.ms`) every
/// `producer.id.expiration.check.interval.ms`, as Kafka's log manager does.
async fn producer_expiry(broker: Arc<Broker>, mut shutdown: Shutdown) {
    let period = Duration::from_millis(broker.config.producer_id_expiration_check_interval_ms);
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.recv() => return,
        }
        let b = broker.clone();
        let _ = tokio::task::spawn_blocking(move || {
            let (now, max_idle) = (now_ms(), b.config.producer_id_expiration_ms);
            let expired: usize = b
                .replicas
                .all()
                .iter()
                .map(|p| p.expire_producers(now, max_idle))
                .sum();
            if expired > 0 {
                info!(expired, "expired idle producer ids");
            }
        })
        .await;
    }
}

/// Time-based flushing (`log.flush.interval.ms`); count-based flushing
/// happens on the append path.
async fn flusher(broker: Arc<Broker>, mut shutdown: Shutdown) {
    let interval = broker
        .config
        .log_flush_interval_ms
        .or(broker.config.log_flush_scheduler_interval_ms);
    let Some(ms) = interval else {
        shutdown.recv().await;
        return;
    };
    let mut tick = tokio::time::interval(Duration::from_millis(ms.clamp(10, 1000)));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.recv() => return,
        }
        let now = now_ms();
        for p in broker.replicas.all() {
            if p.flush_due(now) {
                if let Err(e) = p.flush().await {
                    error!(partition = %p.tp(), error = %e, "flush failed");
                }
            }
        }
    }
}
