//! Length-prefixed framing of Kafka requests and responses.
//!
//! Reads are done into one growing buffer and frames are split off without
//! copying, so a request's record sets stay in the same allocation all the
//! way to the log append.

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("frame of {size} bytes exceeds socket.request.max.bytes ({max})")]
    TooLarge { size: i64, max: u32 },
    #[error("negative frame length {0}")]
    Negative(i32),
    #[error("connection closed in the middle of a frame ({buffered} bytes buffered)")]
    Truncated { buffered: usize },
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

/// The read side of a client connection.
pub struct Connection {
    reader: OwnedReadHalf,
    buf: BytesMut,
    max_frame: u32,
}

impl Connection {
    pub fn new(reader: OwnedReadHalf, max_frame: u32) -> Self {
        Connection {
            reader,
            buf: BytesMut::with_capacity(64 * 1024),
            max_frame,
        }
    }

    /// Reads the next frame (without its length prefix). `Ok(None)` on a
    /// clean end of stream between frames.
    pub async fn read_frame(&mut self) -> Result<Option<Bytes>, FrameError> {
        loop {
            if let Some(frame) = self.parse_frame()? {
                return Ok(Some(frame));
            }
            if self.buf.capacity() - self.buf.len() < 4096 {
                // Grow for the frame we know is coming (bounded by max_frame),
                // or by a fixed step when the length is not known yet.
                let want = if self.buf.len() >= 4 {
                    let len = i32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]);
                    (len as usize + 4).saturating_sub(self.buf.len()).max(64 * 1024)
                } else {
                    64 * 1024
                };
                self.buf.reserve(want);
            }
            if self.reader.read_buf(&mut self.buf).await? == 0 {
                if self.buf.is_empty() {
                    return Ok(None);
                }
                return Err(FrameError::Truncated {
                    buffered: self.buf.len(),
                });
            }
        }
    }

    fn parse_frame(&mut self) -> Result<Option<Bytes>, FrameError> {
        if self.buf.len() < 4 {
            return Ok(None);
        }
        let len = i32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]);
        if len < 0 {
            return Err(FrameError::Negative(len));
        }
        if len as u32 > self.max_frame {
            return Err(FrameError::TooLarge {
                size: len as i64,
                max: self.max_frame,
            });
        }
        let total = 4 + len as usize;
        if self.buf.len() < total {
            return Ok(None);
        }
        self.buf.advance(4);
        Ok(Some(self.buf.split_to(len as usize).freeze()))
    }
}

/// Writes already-encoded responses (each with its length prefix), in order.
pub struct ResponseWriter {
    writer: OwnedWriteHalf,
}

impl ResponseWriter {
    pub fn new(writer: OwnedWriteHalf) -> Self {
        ResponseWriter { writer }
    }

    /// Writes a group of responses with as few syscalls as possible.
    pub async fn write_all(&mut self, frames: &mut Vec<Bytes>) -> std::io::Result<()> {
        // Small responses are coalesced into one buffer; large ones (fetch
        // data) are written as they are to avoid copying them.
        let mut pending = BytesMut::new();
        for frame in frames.drain(..) {
            if frame.len() < 16 * 1024 {
                pending.extend_from_slice(&frame);
            } else {
                if !pending.is_empty() {
                    self.writer.write_all(&pending).await?;
                    pending.clear();
                }
                self.writer.write_all(&frame).await?;
            }
        }
        if !pending.is_empty() {
            self.writer.write_all(&pending).await?;
        }
        Ok(())
    }

    pub async fn shutdown(&mut self) {
        let _ = self.writer.shutdown().await;
    }
}
