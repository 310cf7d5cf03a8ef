//! Accepts connections on the configured listeners and spawns a handler per
//! connection. A failing connection never affects the others.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tracing::{debug, info, warn};

use super::handler::Handler;
use super::shutdown::Shutdown;
use crate::broker::Broker;
use crate::config;

/// One bound listener.
pub struct Listener {
    pub name: String,
    pub local_addr: SocketAddr,
    socket: TcpListener,
}

/// Binds every configured listener. Port 0 is resolved to the real port,
/// which tests use to run brokers side by side.
pub async fn bind_listeners(listeners: &[config::Listener]) -> std::io::Result<Vec<Listener>> {
    let mut out = Vec::new();
    for l in listeners {
        let socket = TcpListener::bind(l.bind_addr())
            .await
            .map_err(|e| std::io::Error::new(e.kind(), format!("cannot bind listener {l}: {e}")))?;
        let local_addr = socket.local_addr()?;
        info!(listener = %l.name, addr = %local_addr, "listening");
        out.push(Listener {
            name: l.name.clone(),
            local_addr,
            socket,
        });
    }
    Ok(out)
}

impl Listener {
    /// Accept loop; returns when shutdown is signalled.
    pub async fn run(self, broker: Arc<Broker>, mut shutdown: Shutdown) {
        loop {
            let accepted = tokio::select! {
                r = self.socket.accept() => r,
                _ = shutdown.recv() => return,
            };
            match accepted {
                Ok((stream, peer)) => {
                    debug!(%peer, "connection accepted");
                    let _ = stream.set_nodelay(true);
                    let handler = Handler::new(broker.clone(), stream, peer, shutdown.clone());
                    tokio::spawn(handler.run());
                }
                Err(e) => {
                    // Typically EMFILE: back off briefly rather than spin.
                    warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
        }
    }
}
