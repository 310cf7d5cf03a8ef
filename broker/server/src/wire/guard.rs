//! The decode guard: walks a request body with our schema before
//! `kafka-protocol` decodes it.
//!
//! Why: the crate's array decoders reserve `Vec::with_capacity(count)` with
//! `count` taken from the wire, and its `String`/`Vec<u8>` decoders allocate
//! `vec![0; len]` before checking that `len` bytes exist. A 20-byte frame
//! claiming 2^31 elements aborts the whole process on allocation failure.
//!
//! The walker reads every length exactly as the crate will (same field order,
//! same classic/compact encodings, same tagged fields) and checks each one
//! against the bytes that really remain. Because it walks every element of
//! every array, an accepted body has arrays whose counts equal the number of
//! elements actually present, so the crate's allocations are bounded by a
//! small multiple of the frame size.
//!
//! The walker is deliberately at least as strict as the decoder: whatever it
//! accepts the crate decodes (tests check this), and a few things the crate
//! would tolerate are refused (overlong varints, known tagged fields whose
//! declared size does not match their content, null where Kafka forbids it).

use super::error::WireError;
use super::schema::{self, Field, Ty};

/// How a length prefix is encoded on the wire (for tests that rewrite them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LenEncoding {
    /// Big-endian i16 (classic strings).
    I16,
    /// Big-endian i32 (classic bytes and arrays).
    I32,
    /// Unsigned varint occupying `n` bytes (compact lengths, tagged fields).
    UVarint(usize),
}

/// What a length prefix counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LenKind {
    Str,
    Bytes,
    Array,
    /// Number of tagged fields in a tagged-field section.
    TagCount,
    /// Size of one tagged field's value.
    TagSize,
}

/// A length prefix found while walking a body: where it is, how it is
/// encoded, and where the whole field (prefix and content) ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LenSite {
    pub offset: usize,
    pub encoding: LenEncoding,
    pub kind: LenKind,
    pub nullable: bool,
    pub field_end: usize,
}

/// Checks that `kafka-protocol` can decode `body` as request (api_key,
/// version) without unbounded allocation.
///
/// Returns `UnsupportedVersion` for any pair we have no schema for, so nothing
/// reaches the decoder unchecked. Trailing bytes after the body are tolerated,
/// as the crate (and Kafka) ignore them.
pub fn check_request_body(api_key: i16, version: i16, body: &[u8]) -> Result<(), WireError> {
    walk_request(api_key, version, body, None).map(|_| ())
}

/// Walks a body and returns how many bytes the request occupies. When `sites`
/// is given, every length prefix met is recorded there.
pub fn walk_request(
    api_key: i16,
    version: i16,
    body: &[u8],
    sites: Option<&mut Vec<LenSite>>,
) -> Result<usize, WireError> {
    let schema =
        schema::lookup(api_key, version).ok_or(WireError::UnsupportedVersion { api_key, version })?;
    let mut walker = Walker::new(body, 0, version, schema.is_flexible(version), sites);
    walker.fields(schema.body)?;
    Ok(walker.pos)
}

/// Upper bound on the memory `kafka-protocol` may allocate for the arrays of
/// one request, as estimated by [`element_cost`].
///
/// Counts are checked against the bytes present, but a decoded element can be
/// much larger than its encoding (an empty compact string is 1 byte on the
/// wire and a 32-byte `StrBytes` in memory), so a frame of F bytes could
/// still cost ~40 F. This caps that: legitimate requests stay far below it
/// (a Metadata request for 100k topics is estimated at ~10 MiB).
pub const DECODE_BUDGET_BYTES: u64 = 256 << 20;

/// A cursor over the body plus the parameters that select the encoding.
pub(crate) struct Walker<'a, 's> {
    buf: &'a [u8],
    pub(crate) pos: usize,
    version: i16,
    flexible: bool,
    sites: Option<&'s mut Vec<LenSite>>,
    /// Estimated bytes the decoder will allocate for arrays so far.
    decoded: u64,
}

/// Decoded length prefix: `None` is null.
type Len = Option<usize>;

impl<'a, 's> Walker<'a, 's> {
    pub(crate) fn new(
        buf: &'a [u8],
        pos: usize,
        version: i16,
        flexible: bool,
        sites: Option<&'s mut Vec<LenSite>>,
    ) -> Self {
        Walker {
            buf,
            pos,
            version,
            flexible,
            sites,
            decoded: 0,
        }
    }

    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: usize, field: &'static str) -> Result<&[u8], WireError> {
        if n > self.remaining() {
            return Err(WireError::Truncated {
                field,
                offset: self.pos,
                needed: n,
                remaining: self.remaining(),
            });
        }
        let start = self.pos;
        self.pos += n;
        Ok(&self.buf[start..self.pos])
    }

    fn record(&mut self, site: LenSite) {
        if let Some(sites) = self.sites.as_deref_mut() {
            sites.push(site);
        }
    }

    /// Patches the end of the most recent site at `offset` once its content
    /// has been walked.
    fn close_site(&mut self, offset: usize) {
        let end = self.pos;
        if let Some(sites) = self.sites.as_deref_mut() {
            if let Some(site) = sites.iter_mut().rev().find(|s| s.offset == offset) {
                site.field_end = end;
            }
        }
    }

    /// Unsigned varint as the crate reads it (7 bits per byte, little endian),
    /// but refusing anything past 32 bits, which the crate would silently
    /// truncate.
    fn uvarint(&mut self, field: &'static str) -> Result<(u32, usize), WireError> {
        let start = self.pos;
        let mut value: u32 = 0;
        for i in 0..5 {
            let b = self.take(1, field)?[0];
            if i == 4 && b > 0x0f {
                return Err(WireError::BadVarint { field, offset: start });
            }
            value |= u32::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                return Ok((value, self.pos - start));
            }
        }
        // Unreachable: the fifth byte either returned or was refused above.
        Err(WireError::BadVarint { field, offset: start })
    }

    /// Reads a length prefix and checks it against the remaining bytes.
    /// `unit` is the minimum number of bytes one counted item occupies.
    fn length(
        &mut self,
        field: &'static str,
        kind: LenKind,
        nullable: bool,
        unit: usize,
    ) -> Result<Len, WireError> {
        let offset = self.pos;
        let tag_part = matches!(kind, LenKind::TagCount | LenKind::TagSize);
        // Tagged-field counts and sizes only occur in flexible versions and
        // are always varints; other lengths follow the version's flexibility.
        let (claimed, encoding): (i64, LenEncoding) = if self.flexible || tag_part {
            let (raw, width) = self.uvarint(field)?;
            // Tagged-field counts and sizes are plain, not "length + 1".
            let value = if tag_part {
                i64::from(raw)
            } else {
                i64::from(raw) - 1
            };
            (value, LenEncoding::UVarint(width))
        } else if kind == LenKind::Str {
            let raw = self.take(2, field)?;
            (i64::from(i16::from_be_bytes([raw[0], raw[1]])), LenEncoding::I16)
        } else {
            let raw = self.take(4, field)?;
            (
                i64::from(i32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]])),
                LenEncoding::I32,
            )
        };
        self.record(LenSite {
            offset,
            encoding,
            kind,
            nullable,
            field_end: self.pos,
        });
        if claimed == -1 && nullable {
            return Ok(None);
        }
        if claimed < 0 {
            return Err(WireError::NegativeLength { field, claimed });
        }
        let remaining = self.remaining();
        // `claimed` fits in u32 here, so the product cannot overflow u64.
        if (claimed as u64).saturating_mul(unit as u64) > remaining as u64 {
            return Err(WireError::LengthTooLarge {
                field,
                claimed,
                remaining,
            });
        }
        Ok(Some(claimed as usize))
    }

    /// Walks the fields of one struct present in this version, then its
    /// tagged-field section if the version is flexible.
    pub(crate) fn fields(&mut self, fields: &'static [Field]) -> Result<(), WireError> {
        for field in fields {
            if field.tag.is_none() && field.in_version(self.version) {
                self.value(field.name, &field.ty, field.nullable)?;
            }
        }
        if self.flexible {
            self.tagged_fields(fields)?;
        }
        Ok(())
    }

    fn tagged_fields(&mut self, fields: &'static [Field]) -> Result<(), WireError> {
        // Every tagged field needs at least a tag byte and a size byte.
        let count = self
            .length("tagged_fields", LenKind::TagCount, false, 2)?
            .unwrap_or(0);
        for _ in 0..count {
            let (tag, _) = self.uvarint("tag")?;
            let size_at = self.pos;
            let size = self
                .length("tagged_field_size", LenKind::TagSize, false, 1)?
                .unwrap_or(0);
            let known = fields.iter().find(|f| f.tag == Some(tag));
            match known {
                None => {
                    // Unknown tags are kept as `Bytes` slices by the crate.
                    self.take(size, "tagged_field")?;
                }
                Some(field) if !field.in_version(self.version) => {
                    // The crate refuses a known tag outside its versions.
                    return Err(WireError::TagNotValid {
                        field: field.name,
                        tag,
                        version: self.version,
                    });
                }
                Some(field) => {
                    // The crate decodes a known tag's value from the stream
                    // without looking at its declared size, so the value must
                    // fill exactly that size or the two readings diverge.
                    let start = self.pos;
                    self.value(field.name, &field.ty, field.nullable)?;
                    let actual = self.pos - start;
                    if actual != size {
                        return Err(WireError::TagSizeMismatch {
                            field: field.name,
                            tag,
                            declared: size,
                            actual,
                        });
                    }
                }
            }
            self.close_site(size_at);
        }
        Ok(())
    }

    fn charge(&mut self, field: &'static str, bytes: u64) -> Result<(), WireError> {
        self.decoded = self.decoded.saturating_add(bytes);
        if self.decoded > DECODE_BUDGET_BYTES {
            return Err(WireError::DecodeBudget {
                field,
                estimated: self.decoded,
                budget: DECODE_BUDGET_BYTES,
            });
        }
        Ok(())
    }

    fn value(&mut self, name: &'static str, ty: &'static Ty, nullable: bool) -> Result<(), WireError> {
        if let Some(width) = ty.fixed_width() {
            self.take(width, name)?;
            return Ok(());
        }
        let offset = self.pos;
        match ty {
            Ty::Str => {
                if let Some(len) = self.length(name, LenKind::Str, nullable, 1)? {
                    let raw = self.take(len, name)?;
                    if std::str::from_utf8(raw).is_err() {
                        return Err(WireError::InvalidUtf8 { field: name });
                    }
                }
            }
            Ty::Bytes => {
                if let Some(len) = self.length(name, LenKind::Bytes, nullable, 1)? {
                    self.take(len, name)?;
                }
            }
            Ty::Array(elem) => {
                let unit = elem.fixed_width().unwrap_or(1);
                if let Some(count) = self.length(name, LenKind::Array, nullable, unit)? {
                    self.charge(name, count as u64 * element_cost(elem))?;
                    for _ in 0..count {
                        // Elements of an array are never null.
                        self.value(name, elem, false)?;
                    }
                }
            }
            Ty::Struct(fields) => return self.fields(fields),
            _ => {}
        }
        self.close_site(offset);
        Ok(())
    }
}

/// Upper bound of the in-memory size of one decoded array element.
///
/// In `kafka-protocol` every struct field is at most 32 bytes inline
/// (`StrBytes`/`Bytes`/`Option<Bytes>` are 32, `Vec` 24, `Uuid` 16, integers
/// at most 8) and each struct adds a 24-byte map of unknown tagged fields, so
/// a struct of n fields fits in 32 (n + 1). String and bytes contents are
/// slices of the frame, not copies. A test checks this against `size_of`.
pub(crate) fn element_cost(elem: &Ty) -> u64 {
    match elem {
        Ty::Struct(fields) => 32 * (fields.len() as u64 + 1),
        Ty::Str | Ty::Bytes => 32,
        Ty::Array(_) => 24,
        scalar => scalar.fixed_width().unwrap_or(32) as u64,
    }
}
