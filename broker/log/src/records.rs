//! Records inside an *uncompressed* v2 batch: decoding and encoding.
//!
//! The log stores batches opaquely; records are only looked at by compaction,
//! by timestamp lookups (to find the exact record), and by whoever needs to
//! build batches (tests, the broker's internal topics and control markers).
//! Compressed batches are never decoded here.
//!
//! Record layout (Kafka v2): `length varint`, `attributes i8`,
//! `timestampDelta varlong`, `offsetDelta varint`, `keyLength varint` (-1 =
//! null), key, `valueLength varint` (-1 = null), value, `headerCount varint`,
//! then per header `keyLength varint`, key, `valueLength varint`, value.
//! Varints are zig-zag encoded.

use crate::batch::{self, BatchHeader, Compression, TimestampType, HEADER_SIZE, LOG_OVERHEAD, MAGIC_V2};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RecordError {
    #[error("batch is compressed ({0:?}); records are not decoded")]
    Compressed(Compression),
    #[error("malformed record at byte {position} of the batch: {reason}")]
    Malformed { position: usize, reason: &'static str },
    #[error("batch declares {declared} records but holds {actual}")]
    CountMismatch { declared: i32, actual: usize },
}

// ---- varints -------------------------------------------------------------

pub(crate) fn put_varint(out: &mut Vec<u8>, v: i32) {
    put_unsigned(out, ((v << 1) ^ (v >> 31)) as u32 as u64);
}

pub(crate) fn put_varlong(out: &mut Vec<u8>, v: i64) {
    put_unsigned(out, ((v << 1) ^ (v >> 63)) as u64);
}

fn put_unsigned(out: &mut Vec<u8>, mut u: u64) {
    while u >= 0x80 {
        out.push((u as u8) | 0x80);
        u >>= 7;
    }
    out.push(u as u8);
}

/// Cursor over a record byte region; every read is bounds-checked because
/// the bytes come from producers.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn err(&self, reason: &'static str) -> RecordError {
        RecordError::Malformed {
            position: self.pos,
            reason,
        }
    }

    fn unsigned(&mut self, max_bytes: usize) -> Result<u64, RecordError> {
        let mut result = 0u64;
        for i in 0..max_bytes {
            let b = *self
                .buf
                .get(self.pos)
                .ok_or_else(|| self.err("varint past end"))?;
            self.pos += 1;
            result |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(result);
            }
        }
        Err(self.err("varint too long"))
    }

    fn varint(&mut self) -> Result<i32, RecordError> {
        let u = self.unsigned(5)?;
        let u = u32::try_from(u).map_err(|_| self.err("varint overflows 32 bits"))?;
        Ok(((u >> 1) as i32) ^ -((u & 1) as i32))
    }

    fn varlong(&mut self) -> Result<i64, RecordError> {
        let u = self.unsigned(10)?;
        Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
    }

    fn byte(&mut self) -> Result<u8, RecordError> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or_else(|| self.err("attributes past end"))?;
        self.pos += 1;
        Ok(b)
    }

    fn bytes(&mut self, len: usize) -> Result<&'a [u8], RecordError> {
        let end = self
            .pos
            .checked_add(len)
            .ok_or_else(|| self.err("length overflow"))?;
        let s = self
            .buf
            .get(self.pos..end)
            .ok_or_else(|| self.err("field past end"))?;
        self.pos = end;
        Ok(s)
    }

    /// A varint length followed by that many bytes; -1 means null.
    fn nullable_bytes(&mut self) -> Result<Option<&'a [u8]>, RecordError> {
        let len = self.varint()?;
        if len == -1 {
            return Ok(None);
        }
        let len = usize::try_from(len).map_err(|_| self.err("negative length"))?;
        self.bytes(len).map(Some)
    }
}

// ---- decoded records -------------------------------------------------------

/// A record borrowed from a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedRecord<'a> {
    pub attributes: i8,
    pub timestamp_delta: i64,
    pub offset_delta: i32,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    pub headers: Vec<(&'a [u8], Option<&'a [u8]>)>,
    /// The record's complete encoding, length prefix included, so it can be
    /// copied verbatim when its deltas do not change.
    pub raw: &'a [u8],
}

impl DecodedRecord<'_> {
    pub fn offset(&self, header: &BatchHeader) -> i64 {
        header.base_offset + i64::from(self.offset_delta)
    }

    /// Timestamp as Kafka clients see it: the batch max timestamp for
    /// LogAppendTime batches, else base timestamp plus delta.
    pub fn timestamp(&self, header: &BatchHeader) -> i64 {
        match header.timestamp_type() {
            TimestampType::LogAppendTime => header.max_timestamp,
            TimestampType::CreateTime => header.base_timestamp.wrapping_add(self.timestamp_delta),
        }
    }

    pub fn is_tombstone(&self) -> bool {
        self.value.is_none()
    }
}

/// Decodes the records of one complete, uncompressed batch (header included
/// in `batch`). Fails for compressed batches.
pub fn decode_records(batch: &[u8]) -> Result<(BatchHeader, Vec<DecodedRecord<'_>>), RecordError> {
    let header = BatchHeader::parse(batch).ok_or(RecordError::Malformed {
        position: 0,
        reason: "batch shorter than its header",
    })?;
    match header.compression() {
        Some(Compression::None) => {}
        Some(c) => return Err(RecordError::Compressed(c)),
        None => {
            return Err(RecordError::Malformed {
                position: batch::ATTRIBUTES_OFFSET,
                reason: "unknown compression codec",
            })
        }
    }
    let end = header.size().min(batch.len());
    let mut r = Reader {
        buf: &batch[..end],
        pos: HEADER_SIZE,
    };
    // Never trust the declared count for the allocation size.
    let mut records = Vec::with_capacity(usize::try_from(header.records_count).unwrap_or(0).min(4096));
    while r.pos < end {
        records.push(decode_one(&mut r)?);
    }
    if usize::try_from(header.records_count).ok() != Some(records.len()) {
        return Err(RecordError::CountMismatch {
            declared: header.records_count,
            actual: records.len(),
        });
    }
    Ok((header, records))
}

fn decode_one<'a>(r: &mut Reader<'a>) -> Result<DecodedRecord<'a>, RecordError> {
    let start = r.pos;
    let len = r.varint()?;
    let len = usize::try_from(len).map_err(|_| r.err("negative record length"))?;
    let body_start = r.pos;
    let body_end = body_start
        .checked_add(len)
        .ok_or_else(|| r.err("record length overflow"))?;
    if body_end > r.buf.len() {
        return Err(r.err("record past end of batch"));
    }
    let attributes = r.byte()? as i8;
    let timestamp_delta = r.varlong()?;
    let offset_delta = r.varint()?;
    let key = r.nullable_bytes()?;
    let value = r.nullable_bytes()?;
    let header_count = r.varint()?;
    let header_count = usize::try_from(header_count).map_err(|_| r.err("negative header count"))?;
    let mut headers = Vec::with_capacity(header_count.min(64));
    for _ in 0..header_count {
        let k_len = r.varint()?;
        let k_len = usize::try_from(k_len).map_err(|_| r.err("negative header key length"))?;
        let k = r.bytes(k_len)?;
        let v = r.nullable_bytes()?;
        headers.push((k, v));
    }
    if r.pos != body_end {
        return Err(r.err("record length does not match its fields"));
    }
    Ok(DecodedRecord {
        attributes,
        timestamp_delta,
        offset_delta,
        key,
        value,
        headers,
        raw: &r.buf[start..body_end],
    })
}

// ---- encoding --------------------------------------------------------------

/// An owned record to encode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub timestamp: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl Record {
    pub fn new(timestamp: i64, key: Option<Vec<u8>>, value: Option<Vec<u8>>) -> Record {
        Record {
            timestamp,
            key,
            value,
            headers: Vec::new(),
        }
    }
}

/// Header fields for [`encode_batch`]; defaults are a plain, non-idempotent
/// producer batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchSpec {
    pub base_offset: i64,
    pub partition_leader_epoch: i32,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub transactional: bool,
    pub control: bool,
    /// `Some(t)`: LogAppendTime batch with max timestamp `t`.
    pub log_append_time: Option<i64>,
}

impl BatchSpec {
    pub fn new(base_offset: i64) -> BatchSpec {
        BatchSpec {
            base_offset,
            partition_leader_epoch: batch::NO_PARTITION_LEADER_EPOCH,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            transactional: false,
            control: false,
            log_append_time: None,
        }
    }
}

fn put_nullable(out: &mut Vec<u8>, b: Option<&[u8]>) {
    match b {
        // Lengths above i32::MAX cannot occur in a batch bounded by i32 length.
        Some(b) => {
            put_varint(out, b.len() as i32);
            out.extend_from_slice(b);
        }
        None => put_varint(out, -1),
    }
}

/// Encodes one record with explicit deltas.
pub(crate) fn encode_record_into(
    out: &mut Vec<u8>,
    attributes: i8,
    timestamp_delta: i64,
    offset_delta: i32,
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    headers: &[(&[u8], Option<&[u8]>)],
) {
    let mut body = Vec::with_capacity(16 + key.map_or(0, <[u8]>::len) + value.map_or(0, <[u8]>::len));
    body.push(attributes as u8);
    put_varlong(&mut body, timestamp_delta);
    put_varint(&mut body, offset_delta);
    put_nullable(&mut body, key);
    put_nullable(&mut body, value);
    put_varint(&mut body, headers.len() as i32);
    for (k, v) in headers {
        put_varint(&mut body, k.len() as i32);
        body.extend_from_slice(k);
        put_nullable(&mut body, *v);
    }
    put_varint(out, body.len() as i32);
    out.extend_from_slice(&body);
}

/// Wraps encoded records in a v2 header and computes length and CRC. Fields
/// of `template` other than length/magic/crc/count are used as given.
pub(crate) fn assemble_batch(template: &BatchHeader, records: &[u8], count: i32) -> Vec<u8> {
    let mut out = vec![0u8; HEADER_SIZE];
    out.extend_from_slice(records);
    let header = BatchHeader {
        batch_length: (out.len() - LOG_OVERHEAD) as i32,
        magic: MAGIC_V2,
        crc: 0,
        records_count: count,
        ..*template
    };
    header.write_to(&mut out);
    batch::write_crc(&mut out);
    out
}

/// Builds an uncompressed v2 batch; record `i` gets offset `base_offset + i`.
/// The base timestamp is the first record's, as Kafka producers do.
pub fn encode_batch(spec: &BatchSpec, records: &[Record]) -> Vec<u8> {
    let base_ts = records.first().map_or(batch::NO_TIMESTAMP, |r| r.timestamp);
    let mut body = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let headers: Vec<(&[u8], Option<&[u8]>)> = r
            .headers
            .iter()
            .map(|(k, v)| (k.as_slice(), v.as_deref()))
            .collect();
        encode_record_into(
            &mut body,
            0,
            r.timestamp - base_ts,
            i as i32,
            r.key.as_deref(),
            r.value.as_deref(),
            &headers,
        );
    }
    let mut attributes = 0i16;
    if spec.log_append_time.is_some() {
        attributes |= batch::TIMESTAMP_TYPE_BIT;
    }
    if spec.transactional {
        attributes |= 0x10;
    }
    if spec.control {
        attributes |= 0x20;
    }
    let max_ts = match spec.log_append_time {
        Some(t) => t,
        None => records
            .iter()
            .map(|r| r.timestamp)
            .max()
            .unwrap_or(batch::NO_TIMESTAMP),
    };
    let template = BatchHeader {
        base_offset: spec.base_offset,
        batch_length: 0,
        partition_leader_epoch: spec.partition_leader_epoch,
        magic: MAGIC_V2,
        crc: 0,
        attributes,
        last_offset_delta: records.len().saturating_sub(1) as i32,
        base_timestamp: base_ts,
        max_timestamp: max_ts,
        producer_id: spec.producer_id,
        producer_epoch: spec.producer_epoch,
        base_sequence: spec.base_sequence,
        records_count: 0,
    };
    assemble_batch(&template, &body, records.len() as i32)
}

/// A transaction marker record (Kafka's control record: key = version 0 +
/// type 0 abort / 1 commit; value = version 0 + coordinator epoch). Put it in
/// a batch with `control = true` and `transactional = true`.
pub fn control_record(commit: bool, coordinator_epoch: i32, timestamp: i64) -> Record {
    let mut key = Vec::with_capacity(4);
    key.extend_from_slice(&0i16.to_be_bytes());
    key.extend_from_slice(&(i16::from(commit)).to_be_bytes());
    let mut value = Vec::with_capacity(6);
    value.extend_from_slice(&0i16.to_be_bytes());
    value.extend_from_slice(&coordinator_epoch.to_be_bytes());
    Record::new(timestamp, Some(key), Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{validate_batches, ValidationMode};
    use proptest::prelude::*;

    #[test]
    fn varint_known_encodings() {
        let cases: [(i32, &[u8]); 6] = [
            (0, &[0x00]),
            (-1, &[0x01]),
            (1, &[0x02]),
            (63, &[0x7e]),
            (-64, &[0x7f]),
            (64, &[0x80, 0x01]),
        ];
        for (v, enc) in cases {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert_eq!(out, enc, "{v}");
            let mut r = Reader { buf: enc, pos: 0 };
            assert_eq!(r.varint().unwrap(), v);
        }
    }

    #[test]
    fn varint_rejects_overlong() {
        let buf = [0xffu8; 11];
        assert!(Reader { buf: &buf, pos: 0 }.varint().is_err());
        assert!(Reader { buf: &buf, pos: 0 }.varlong().is_err());
        assert!(Reader { buf: &[0x80], pos: 0 }.varint().is_err());
    }

    proptest! {
        #[test]
        fn varints_roundtrip(a in any::<i32>(), b in any::<i64>()) {
            let mut out = Vec::new();
            put_varint(&mut out, a);
            put_varlong(&mut out, b);
            let mut r = Reader { buf: &out, pos: 0 };
            prop_assert_eq!(r.varint().unwrap(), a);
            prop_assert_eq!(r.varlong().unwrap(), b);
            prop_assert_eq!(r.pos, out.len());
        }

        #[test]
        fn batch_roundtrip(
            recs in proptest::collection::vec(
                (0i64..1_000_000, proptest::option::of(proptest::collection::vec(any::<u8>(), 0..20)),
                 proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40))),
                1..20),
            base in 0i64..1_000_000,
        ) {
            let records: Vec<Record> = recs.into_iter().map(|(t, k, v)| {
                let mut r = Record::new(t, k, v);
                r.headers.push((b"h".to_vec(), Some(b"x".to_vec())));
                r
            }).collect();
            let b = encode_batch(&BatchSpec::new(base), &records);
            let hs = validate_batches(&b, usize::MAX).unwrap();
            prop_assert_eq!(hs.len(), 1);
            let (h, decoded) = decode_records(&b).unwrap();
            prop_assert_eq!(decoded.len(), records.len());
            prop_assert_eq!(h.max_timestamp, records.iter().map(|r| r.timestamp).max().unwrap());
            for (i, (d, r)) in decoded.iter().zip(&records).enumerate() {
                prop_assert_eq!(d.offset(&h), base + i as i64);
                prop_assert_eq!(d.timestamp(&h), r.timestamp);
                prop_assert_eq!(d.key, r.key.as_deref());
                prop_assert_eq!(d.value, r.value.as_deref());
                prop_assert_eq!(d.headers.len(), 1);
            }
        }
    }

    #[test]
    fn decode_rejects_garbage_and_compressed() {
        let b = encode_batch(&BatchSpec::new(0), &[Record::new(5, Some(b"k".to_vec()), None)]);
        // Truncate the record region: the count can no longer be met.
        let mut short = b.clone();
        short.truncate(b.len() - 1);
        assert!(decode_records(&short).is_err());
        // Declared count higher than actual.
        let mut more = b.clone();
        more[batch::RECORDS_COUNT_OFFSET..batch::RECORDS_COUNT_OFFSET + 4]
            .copy_from_slice(&2i32.to_be_bytes());
        assert_eq!(
            decode_records(&more).unwrap_err(),
            RecordError::CountMismatch {
                declared: 2,
                actual: 1
            }
        );
        let mut gz = b.clone();
        gz[batch::ATTRIBUTES_OFFSET + 1] |= 1;
        assert_eq!(
            decode_records(&gz).unwrap_err(),
            RecordError::Compressed(Compression::Gzip)
        );
        let (_, recs) = decode_records(&b).unwrap();
        assert!(recs[0].is_tombstone());
    }

    #[test]
    fn control_batch_is_valid() {
        let mut spec = BatchSpec::new(3);
        spec.control = true;
        spec.transactional = true;
        spec.producer_id = 7;
        spec.producer_epoch = 1;
        let b = encode_batch(&spec, &[control_record(true, 4, 100)]);
        let h = crate::batch::validate_batches_with(&b, usize::MAX, ValidationMode::Replica).unwrap()[0];
        assert!(h.is_control() && h.is_transactional());
        let (_, recs) = decode_records(&b).unwrap();
        assert_eq!(recs[0].key, Some(&[0u8, 0, 0, 1][..]));
    }
}
