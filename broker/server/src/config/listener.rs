//! `NAME://host:port` listener URIs.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    pub name: String,
    pub host: String,
    pub port: u16,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ListenerError {
    #[error("listener `{0}` must have the form NAME://host:port")]
    Form(String),
    #[error("listener `{0}` has an invalid port")]
    Port(String),
}

impl FromStr for Listener {
    type Err = ListenerError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, rest) = s.split_once("://").ok_or_else(|| ListenerError::Form(s.into()))?;
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(ListenerError::Form(s.into()));
        }
        // IPv6 literals are written [::1]:9092.
        let (host, port) = if let Some(stripped) = rest.strip_prefix('[') {
            let (h, p) = stripped
                .split_once("]:")
                .ok_or_else(|| ListenerError::Form(s.into()))?;
            (h, p)
        } else {
            rest.rsplit_once(':')
                .ok_or_else(|| ListenerError::Form(s.into()))?
        };
        let port = port.parse::<u16>().map_err(|_| ListenerError::Port(s.into()))?;
        Ok(Listener {
            name: name.to_ascii_uppercase(),
            host: host.to_string(),
            port,
        })
    }
}

impl fmt::Display for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "{}://[{}]:{}", self.name, self.host, self.port)
        } else {
            write!(f, "{}://{}:{}", self.name, self.host, self.port)
        }
    }
}

impl Listener {
    /// The address to bind: an empty host binds every interface, as in Kafka.
    pub fn bind_addr(&self) -> String {
        let host = if self.host.is_empty() {
            "0.0.0.0"
        } else {
            self.host.as_str()
        };
        if host.contains(':') {
            format!("[{host}]:{}", self.port)
        } else {
            format!("{host}:{}", self.port)
        }
    }
}
