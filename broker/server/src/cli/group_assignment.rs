//! Decoder of Kafka's `ConsumerProtocolAssignment`: the bytes a consumer group's
//! leader hands each member through SyncGroup, returned verbatim by DescribeGroups.
//!
//! Layout (versions 0-3 share it; none is flexible), big-endian:
//! `version: i16`, `assigned_partitions: [ topic: string(i16 len), partitions: [i32] ]`
//! (arrays have an i32 count), `user_data: nullable bytes (i32 len, -1 = null)`.
//! Like Kafka's `ConsumerProtocol`, a version above the newest known one is read with
//! the newest layout and trailing bytes are ignored, so newer clients still decode.
//!
//! The input comes from the network: every count is checked against the bytes that
//! remain before anything is allocated, so a hostile length cannot exhaust memory.

use std::collections::BTreeSet;

use super::group_model::TopicPartition;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsumerAssignment {
    pub version: i16,
    /// Topics with their partitions, in wire order.
    pub topics: Vec<(String, Vec<i32>)>,
    pub user_data: Option<Vec<u8>>,
}

impl ConsumerAssignment {
    /// The assigned partitions, sorted and without duplicates.
    pub fn topic_partitions(&self) -> Vec<TopicPartition> {
        let set: BTreeSet<TopicPartition> = self
            .topics
            .iter()
            .flat_map(|(t, ps)| ps.iter().map(move |p| TopicPartition::new(t.clone(), *p)))
            .collect();
        set.into_iter().collect()
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum AssignmentError {
    #[error("unsupported assignment version {0}")]
    Version(i16),
    #[error("truncated at byte {at}: {what} needs {needed} bytes, {left} left")]
    Truncated {
        what: &'static str,
        at: usize,
        needed: usize,
        left: usize,
    },
    #[error("invalid {what} {value} at byte {at}")]
    InvalidLength {
        what: &'static str,
        value: i64,
        at: usize,
    },
    #[error("topic name at byte {at} is not UTF-8")]
    Utf8 { at: usize },
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn left(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], AssignmentError> {
        if n > self.left() {
            return Err(AssignmentError::Truncated {
                what,
                at: self.pos,
                needed: n,
                left: self.left(),
            });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn i16(&mut self, what: &'static str) -> Result<i16, AssignmentError> {
        let b = self.take(2, what)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }

    fn i32(&mut self, what: &'static str) -> Result<i32, AssignmentError> {
        let b = self.take(4, what)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// An array count, refused when `count * min_element_size` cannot fit in what is
    /// left (so allocating `count` entries is bounded by the input size).
    fn count(&mut self, what: &'static str, min_element_size: usize) -> Result<usize, AssignmentError> {
        let at = self.pos;
        let n = self.i32(what)?;
        let invalid = || AssignmentError::InvalidLength {
            what,
            value: i64::from(n),
            at,
        };
        let n = usize::try_from(n).map_err(|_| invalid())?;
        if n.saturating_mul(min_element_size) > self.left() {
            return Err(invalid());
        }
        Ok(n)
    }
}

/// Decodes an assignment. Empty input is an empty assignment: members that have not
/// finished a rebalance are described with no assignment bytes.
pub fn decode_assignment(bytes: &[u8]) -> Result<ConsumerAssignment, AssignmentError> {
    if bytes.is_empty() {
        return Ok(ConsumerAssignment::default());
    }
    let mut r = Reader { buf: bytes, pos: 0 };
    let version = r.i16("version")?;
    if version < 0 {
        return Err(AssignmentError::Version(version));
    }
    // A topic entry is at least a 2-byte name length plus a 4-byte partition count.
    let topic_count = r.count("topic count", 6)?;
    let mut topics = Vec::with_capacity(topic_count);
    for _ in 0..topic_count {
        let at = r.pos;
        let len = r.i16("topic name length")?;
        let len = usize::try_from(len).map_err(|_| AssignmentError::InvalidLength {
            what: "topic name length",
            value: i64::from(len),
            at,
        })?;
        let name_at = r.pos;
        let name = std::str::from_utf8(r.take(len, "topic name")?)
            .map_err(|_| AssignmentError::Utf8 { at: name_at })?
            .to_string();
        let partition_count = r.count("partition count", 4)?;
        let mut partitions = Vec::with_capacity(partition_count);
        for _ in 0..partition_count {
            partitions.push(r.i32("partition")?);
        }
        topics.push((name, partitions));
    }
    let at = r.pos;
    let user_data = match r.i32("user data length")? {
        -1 => None,
        n if n < 0 => {
            return Err(AssignmentError::InvalidLength {
                what: "user data length",
                value: i64::from(n),
                at,
            })
        }
        // Non-negative, so the cast is lossless; `take` bounds it by the input.
        n => Some(r.take(n as usize, "user data")?.to_vec()),
    };
    Ok(ConsumerAssignment {
        version,
        topics,
        user_data,
    })
}

/// Encodes an assignment (tests only: the CLI never writes one).
#[cfg(test)]
pub fn encode_assignment_for_test(
    version: i16,
    topics: &[(&str, &[i32])],
    user_data: Option<&[u8]>,
) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&(topics.len() as i32).to_be_bytes());
    for (t, ps) in topics {
        out.extend_from_slice(&(t.len() as i16).to_be_bytes());
        out.extend_from_slice(t.as_bytes());
        out.extend_from_slice(&(ps.len() as i32).to_be_bytes());
        for p in *ps {
            out.extend_from_slice(&p.to_be_bytes());
        }
    }
    match user_data {
        None => out.extend_from_slice(&(-1i32).to_be_bytes()),
        Some(d) => {
            out.extend_from_slice(&(d.len() as i32).to_be_bytes());
            out.extend_from_slice(d);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decodes_kafka_layout_byte_by_byte() {
        // version 1, one topic "ab" with partitions 0 and 7, user data [0xff].
        let bytes = [
            0, 1, // version
            0, 0, 0, 1, // one topic
            0, 2, b'a', b'b', // "ab"
            0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 7, // [0, 7]
            0, 0, 0, 1, 0xff, // user data
        ];
        let a = decode_assignment(&bytes).unwrap();
        assert_eq!(a.version, 1);
        assert_eq!(a.topics, vec![("ab".to_string(), vec![0, 7])]);
        assert_eq!(a.user_data, Some(vec![0xff]));
        assert_eq!(
            a.topic_partitions(),
            vec![TopicPartition::new("ab", 0), TopicPartition::new("ab", 7)]
        );
    }

    #[test]
    fn empty_bytes_mean_no_assignment() {
        assert_eq!(decode_assignment(&[]).unwrap(), ConsumerAssignment::default());
    }

    #[test]
    fn newer_versions_and_trailing_bytes_are_tolerated() {
        let mut bytes = encode_assignment_for_test(9, &[("t", &[3])], None);
        bytes.extend_from_slice(&[1, 2, 3]);
        let a = decode_assignment(&bytes).unwrap();
        assert_eq!(a.version, 9);
        assert_eq!(a.topic_partitions(), vec![TopicPartition::new("t", 3)]);
        assert_eq!(a.user_data, None);
    }

    #[test]
    fn hostile_lengths_are_refused_before_allocating() {
        // A topic count of i32::MAX in a 10-byte buffer.
        let mut bytes = vec![0, 0];
        bytes.extend_from_slice(&i32::MAX.to_be_bytes());
        bytes.extend_from_slice(&[0; 4]);
        assert!(matches!(
            decode_assignment(&bytes),
            Err(AssignmentError::InvalidLength {
                what: "topic count",
                ..
            })
        ));
        // A partition count larger than what is left.
        let mut bytes = vec![0, 0, 0, 0, 0, 1, 0, 1, b't'];
        bytes.extend_from_slice(&1000i32.to_be_bytes());
        bytes.extend_from_slice(&[0; 8]);
        assert!(matches!(
            decode_assignment(&bytes),
            Err(AssignmentError::InvalidLength {
                what: "partition count",
                ..
            })
        ));
        assert!(matches!(
            decode_assignment(&[0xff, 0xff]),
            Err(AssignmentError::Version(-1))
        ));
        let bad_name = [0, 0, 0, 0, 0, 1, 0, 1, 0xc3, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff];
        assert!(matches!(
            decode_assignment(&bad_name),
            Err(AssignmentError::Utf8 { at: 8 })
        ));
        // Missing user data length.
        let mut cut = encode_assignment_for_test(0, &[("t", &[1])], None);
        cut.truncate(cut.len() - 2);
        assert!(matches!(
            decode_assignment(&cut),
            Err(AssignmentError::Truncated {
                what: "user data length",
                ..
            })
        ));
    }

    proptest! {
        #[test]
        fn round_trips(
            version in 0i16..4,
            topics in proptest::collection::vec(("[a-z._-]{1,12}", proptest::collection::vec(0i32..1000, 0..8)), 0..6),
            user_data in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..16)),
        ) {
            let refs: Vec<(&str, &[i32])> = topics.iter().map(|(t, p)| (t.as_str(), p.as_slice())).collect();
            let bytes = encode_assignment_for_test(version, &refs, user_data.as_deref());
            let a = decode_assignment(&bytes).unwrap();
            prop_assert_eq!(a.version, version);
            prop_assert_eq!(a.topics, topics);
            prop_assert_eq!(a.user_data, user_data);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode_assignment(&bytes);
        }

        #[test]
        fn every_truncation_is_an_error(cut in 1usize..40) {
            let bytes = encode_assignment_for_test(0, &[("orders", &[0, 1, 2]), ("x", &[5])], Some(b"ud"));
            let cut = cut.min(bytes.len() - 1);
            prop_assert!(decode_assignment(&bytes[..cut]).is_err());
        }
    }
}
