//! Kafka's primitive encodings (classic and "flexible"/compact) for the
//! internal record schemas. Every length read from the input is checked
//! against the bytes that remain before anything is allocated.

use bytes::{BufMut, Bytes, BytesMut};

/// Why bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("{what}: needs {needed} bytes but only {remaining} remain")]
    Truncated {
        what: &'static str,
        needed: usize,
        remaining: usize,
    },
    #[error("{what}: invalid length {len}")]
    InvalidLength { what: &'static str, len: i64 },
    #[error("{what}: not valid UTF-8")]
    InvalidUtf8 { what: &'static str },
    #[error("{what}: null where a value is required")]
    UnexpectedNull { what: &'static str },
    #[error("{what}: unsupported version {version}")]
    UnsupportedVersion { what: &'static str, version: i16 },
    #[error("{what}: malformed varint")]
    BadVarint { what: &'static str },
}

/// A cursor over a byte slice.
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        if n > self.buf.len() {
            return Err(DecodeError::Truncated {
                what,
                needed: n,
                remaining: self.buf.len(),
            });
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    pub fn i16(&mut self, what: &'static str) -> Result<i16, DecodeError> {
        Ok(i16::from_be_bytes(self.array(what)?))
    }
    pub fn i32(&mut self, what: &'static str) -> Result<i32, DecodeError> {
        Ok(i32::from_be_bytes(self.array(what)?))
    }
    pub fn i64(&mut self, what: &'static str) -> Result<i64, DecodeError> {
        Ok(i64::from_be_bytes(self.array(what)?))
    }

    /// An unsigned LEB128 varint of at most 5 bytes (Kafka's `UNSIGNED_VARINT`).
    pub fn uvarint(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        let mut value: u32 = 0;
        for i in 0..5 {
            let byte = self.take(1, what)?[0];
            value |= u32::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(DecodeError::BadVarint { what })
    }

    fn utf8(&mut self, len: usize, what: &'static str) -> Result<String, DecodeError> {
        let raw = self.take(len, what)?;
        std::str::from_utf8(raw)
            .map(str::to_owned)
            .map_err(|_| DecodeError::InvalidUtf8 { what })
    }

    /// `STRING` / `NULLABLE_STRING`: i16 length, -1 for null.
    pub fn nullable_string(&mut self, what: &'static str) -> Result<Option<String>, DecodeError> {
        match self.i16(what)? {
            -1 => Ok(None),
            n if n < 0 => Err(DecodeError::InvalidLength {
                what,
                len: i64::from(n),
            }),
            n => self.utf8(n as usize, what).map(Some),
        }
    }
    pub fn string(&mut self, what: &'static str) -> Result<String, DecodeError> {
        self.nullable_string(what)?
            .ok_or(DecodeError::UnexpectedNull { what })
    }

    /// `BYTES` / `NULLABLE_BYTES`: i32 length, -1 for null.
    pub fn nullable_bytes(&mut self, what: &'static str) -> Result<Option<Bytes>, DecodeError> {
        match self.i32(what)? {
            -1 => Ok(None),
            n if n < 0 => Err(DecodeError::InvalidLength {
                what,
                len: i64::from(n),
            }),
            n => Ok(Some(Bytes::copy_from_slice(self.take(n as usize, what)?))),
        }
    }
    pub fn bytes(&mut self, what: &'static str) -> Result<Bytes, DecodeError> {
        self.nullable_bytes(what)?
            .ok_or(DecodeError::UnexpectedNull { what })
    }

    /// An i32 array count, bounded by the remaining bytes (every element of
    /// our schemas takes at least one byte).
    pub fn array_len(&mut self, what: &'static str) -> Result<Option<usize>, DecodeError> {
        match self.i32(what)? {
            -1 => Ok(None),
            n if n < 0 || n as usize > self.remaining() => Err(DecodeError::InvalidLength {
                what,
                len: i64::from(n),
            }),
            n => Ok(Some(n as usize)),
        }
    }

    /// Compact length: uvarint N+1, 0 for null.
    fn compact_len(&mut self, what: &'static str) -> Result<Option<usize>, DecodeError> {
        match self.uvarint(what)? {
            0 => Ok(None),
            n => {
                let len = (n - 1) as usize;
                if len > self.remaining() {
                    return Err(DecodeError::Truncated {
                        what,
                        needed: len,
                        remaining: self.remaining(),
                    });
                }
                Ok(Some(len))
            }
        }
    }
    pub fn compact_nullable_string(&mut self, what: &'static str) -> Result<Option<String>, DecodeError> {
        match self.compact_len(what)? {
            None => Ok(None),
            Some(n) => self.utf8(n, what).map(Some),
        }
    }
    pub fn compact_string(&mut self, what: &'static str) -> Result<String, DecodeError> {
        self.compact_nullable_string(what)?
            .ok_or(DecodeError::UnexpectedNull { what })
    }
    pub fn compact_bytes(&mut self, what: &'static str) -> Result<Bytes, DecodeError> {
        match self.compact_len(what)? {
            None => Err(DecodeError::UnexpectedNull { what }),
            Some(n) => Ok(Bytes::copy_from_slice(self.take(n, what)?)),
        }
    }
    pub fn compact_array_len(&mut self, what: &'static str) -> Result<Option<usize>, DecodeError> {
        self.compact_len(what)
    }

    /// Skips a tagged-field section (none of our fields are tagged).
    pub fn skip_tagged_fields(&mut self, what: &'static str) -> Result<(), DecodeError> {
        let count = self.uvarint(what)?;
        for _ in 0..count {
            self.uvarint(what)?;
            let size = self.uvarint(what)? as usize;
            self.take(size, what)?;
        }
        Ok(())
    }
}

/// Builds the classic (non-flexible) encodings we write.
#[derive(Default)]
pub struct Writer {
    buf: BytesMut,
}

impl Writer {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn finish(self) -> Bytes {
        self.buf.freeze()
    }
    pub fn i16(&mut self, v: i16) -> &mut Self {
        self.buf.put_i16(v);
        self
    }
    pub fn i32(&mut self, v: i32) -> &mut Self {
        self.buf.put_i32(v);
        self
    }
    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.buf.put_i64(v);
        self
    }
    /// Kafka strings are limited to i16::MAX bytes; longer ones are cut at a
    /// character boundary (group ids and member ids never get close).
    pub fn string(&mut self, s: &str) -> &mut Self {
        let mut end = s.len().min(i16::MAX as usize);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        if end < s.len() {
            tracing::warn!(len = s.len(), "string longer than i16::MAX bytes truncated");
        }
        self.buf.put_i16(end as i16);
        self.buf.put_slice(&s.as_bytes()[..end]);
        self
    }
    pub fn nullable_string(&mut self, s: Option<&str>) -> &mut Self {
        match s {
            Some(s) => self.string(s),
            None => self.i16(-1),
        }
    }
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.buf.put_i32(b.len() as i32);
        self.buf.put_slice(b);
        self
    }
}
