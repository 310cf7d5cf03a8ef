//! The network side: listener, per-connection handler, framing and shutdown,
//! in the shape of tokio's mini-redis (Listener / Handler / Connection /
//! Shutdown).

mod connection;
mod handler;
mod listener;
mod shutdown;

pub use connection::{Connection, FrameError};
pub use listener::{bind_listeners, Listener};
pub use shutdown::Shutdown;
