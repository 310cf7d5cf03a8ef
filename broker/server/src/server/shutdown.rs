//! Cooperative shutdown signal shared by the listener and every connection.

use tokio::sync::watch;

/// Resolves `recv()` once shutdown has been requested. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Shutdown {
    rx: watch::Receiver<bool>,
}

impl Shutdown {
    pub fn new() -> (watch::Sender<bool>, Shutdown) {
        let (tx, rx) = watch::channel(false);
        (tx, Shutdown { rx })
    }

    pub fn is_shutdown(&self) -> bool {
        *self.rx.borrow()
    }

    /// Waits until shutdown is signalled (or the sender is gone).
    pub async fn recv(&mut self) {
        // An error means the sender was dropped, which also means "stop".
        let _ = self.rx.wait_for(|v| *v).await;
    }
}
