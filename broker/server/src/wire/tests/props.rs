//! Property tests: the guard never panics, and whatever it accepts the crate
//! decodes (without panicking or aborting, since it runs in this process).

use bytes::Bytes;
use proptest::prelude::*;

use super::super::schema::ALL;
use super::super::{check_request_body, decode_request_body, parse_request_header};
use super::gen::{crate_decode, gen_body, Rng};

/// A random covered (api key, version).
fn api_version() -> impl Strategy<Value = (usize, i16)> {
    (0..ALL.len()).prop_flat_map(|i| (Just(i), ALL[i].min..=ALL[i].max))
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Overwrite the byte at (fraction of length) with a value.
    Set(u16, u8),
    /// Overwrite four bytes with a big-endian i32 (often a length).
    SetI32(u16, i32),
    /// Insert bytes.
    Insert(u16, Vec<u8>),
    /// Remove a byte.
    Remove(u16),
    /// Cut the body.
    Truncate(u16),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<u16>(), any::<u8>()).prop_map(|(p, b)| Mutation::Set(p, b)),
        2 => (any::<u16>(), prop_oneof![Just(-1), Just(-2), Just(i32::MAX), Just(0x4000_0000), any::<i32>()])
            .prop_map(|(p, v)| Mutation::SetI32(p, v)),
        2 => (any::<u16>(), proptest::collection::vec(any::<u8>(), 1..6)).prop_map(|(p, b)| Mutation::Insert(p, b)),
        1 => any::<u16>().prop_map(Mutation::Remove),
        1 => any::<u16>().prop_map(Mutation::Truncate),
    ]
}

fn at(len: usize, frac: u16) -> usize {
    if len == 0 {
        0
    } else {
        (frac as usize * len) / (u16::MAX as usize + 1)
    }
}

fn apply(body: &mut Vec<u8>, m: &Mutation) {
    match m {
        Mutation::Set(p, b) => {
            let i = at(body.len(), *p);
            if i < body.len() {
                body[i] = *b;
            }
        }
        Mutation::SetI32(p, v) => {
            let i = at(body.len(), *p);
            if i + 4 <= body.len() {
                body[i..i + 4].copy_from_slice(&v.to_be_bytes());
            }
        }
        Mutation::Insert(p, bytes) => {
            let i = at(body.len() + 1, *p);
            body.splice(i..i, bytes.iter().copied());
        }
        Mutation::Remove(p) => {
            let i = at(body.len(), *p);
            if i < body.len() {
                body.remove(i);
            }
        }
        Mutation::Truncate(p) => {
            let i = at(body.len(), *p);
            body.truncate(i);
        }
    }
}

/// The property itself: no panic in the guard; if it accepts, the crate
/// decodes successfully.
fn guard_then_decode(key: i16, version: i16, body: &[u8]) -> Result<(), TestCaseError> {
    if check_request_body(key, version, body).is_ok() {
        let decoded = crate_decode(key, version, body);
        prop_assert!(
            decoded.is_ok(),
            "guard accepted, crate refused: {:?}",
            decoded.err()
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic((i, v) in api_version(), body in proptest::collection::vec(any::<u8>(), 0..300)) {
        guard_then_decode(ALL[i].key, v, &body)?;
    }

    #[test]
    fn mutated_valid_bodies_never_panic(
        (i, v) in api_version(),
        seed in any::<u64>(),
        muts in proptest::collection::vec(mutation(), 1..4),
    ) {
        let s = ALL[i];
        let mut body = gen_body(s, v, &mut Rng::new(seed));
        for m in &muts {
            apply(&mut body, m);
        }
        guard_then_decode(s.key, v, &body)?;
    }

    #[test]
    fn whole_frames_never_panic(frame in proptest::collection::vec(any::<u8>(), 0..200), key in prop_oneof![0i16..70, any::<i16>()], version in -1i16..20) {
        // Header + body path as the connection uses it, with a plausible key.
        let mut frame = frame;
        if frame.len() >= 4 {
            frame[0..2].copy_from_slice(&key.to_be_bytes());
            frame[2..4].copy_from_slice(&version.to_be_bytes());
        }
        if let Ok((h, off)) = parse_request_header(&frame) {
            prop_assert!(off <= frame.len());
            let _ = decode_request_body(h.api_key, h.api_version, Bytes::copy_from_slice(&frame[off..]));
        }
    }
}
