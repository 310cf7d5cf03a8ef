//! Per-connection request loop.
//!
//! Requests are read and handled one at a time, in order, as Kafka does
//! (it mutes a connection while a request is in flight), so responses leave
//! in request order. Encoded responses go to a writer task through a channel,
//! so reading the next pipelined request overlaps writing the previous
//! response, and the writer coalesces small responses into one syscall.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tracing::{debug, info};

use super::connection::{Connection, ResponseWriter};
use super::shutdown::Shutdown;
use crate::api;
use crate::broker::Broker;

pub(super) struct Handler {
    broker: Arc<Broker>,
    stream: TcpStream,
    peer: SocketAddr,
    shutdown: Shutdown,
}

impl Handler {
    pub(super) fn new(broker: Arc<Broker>, stream: TcpStream, peer: SocketAddr, shutdown: Shutdown) -> Self {
        Handler {
            broker,
            stream,
            peer,
            shutdown,
        }
    }

    pub(super) async fn run(self) {
        let Handler {
            broker,
            stream,
            peer,
            mut shutdown,
        } = self;
        let (read_half, write_half) = stream.into_split();
        let mut conn = Connection::new(read_half, broker.config.socket_request_max_bytes);
        // Bounded: a client that never reads its responses stops being read.
        let (tx, rx) = mpsc::channel::<Bytes>(64);
        let writer = tokio::spawn(write_loop(ResponseWriter::new(write_half), rx, peer));
        broker.metrics.connections_opened();

        loop {
            let frame = tokio::select! {
                f = conn.read_frame() => f,
                _ = shutdown.recv() => break,
            };
            let frame = match frame {
                Ok(Some(f)) => f,
                Ok(None) => {
                    debug!(%peer, "client closed the connection");
                    break;
                }
                Err(e) => {
                    info!(%peer, error = %e, "closing connection: bad frame");
                    break;
                }
            };
            let ctx = api::RequestContext {
                broker: broker.clone(),
                peer,
            };
            match api::handle_frame(&ctx, frame).await {
                Ok(Some(resp)) => {
                    if tx.send(resp).await.is_err() {
                        break;
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    info!(%peer, error = %e, "closing connection: bad request");
                    break;
                }
            }
        }
        drop(tx);
        // Let already-produced responses go out before the socket closes.
        let _ = writer.await;
        broker.metrics.connections_closed();
    }
}

async fn write_loop(mut writer: ResponseWriter, mut rx: mpsc::Receiver<Bytes>, peer: SocketAddr) {
    let mut batch = Vec::with_capacity(16);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < 64 {
            match rx.try_recv() {
                Ok(b) => batch.push(b),
                Err(_) => break,
            }
        }
        if let Err(e) = writer.write_all(&mut batch).await {
            debug!(%peer, error = %e, "write failed");
            break;
        }
    }
    writer.shutdown().await;
}
