//! "Every supported request with huge array and string lengths": for each
//! (api, version), every length prefix of a populated body is overwritten with
//! huge and negative values; the guard must refuse, never panic, and whatever
//! it still accepts must decode with the crate.

use super::super::guard::{walk_request, LenEncoding, LenKind, LenSite};
use super::super::schema::ALL;
use super::super::{check_request_body, WireError};
use super::gen::{crate_decode, gen_body, Rng};

fn uvarint(mut v: u32) -> Vec<u8> {
    let mut out = Vec::new();
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
    out
}

/// Replaces the prefix at `site` by `new` (an encoded prefix).
fn splice(body: &[u8], site: &LenSite, new: &[u8]) -> Vec<u8> {
    let width = match site.encoding {
        LenEncoding::I16 => 2,
        LenEncoding::I32 => 4,
        LenEncoding::UVarint(n) => n,
    };
    let mut out = body[..site.offset].to_vec();
    out.extend_from_slice(new);
    out.extend_from_slice(&body[site.offset + width..]);
    out
}

/// The value a length prefix claims after the guard's interpretation, and
/// its encoding, for each replacement we try at a site.
fn replacements(site: &LenSite) -> Vec<(i64, Vec<u8>)> {
    let plain = matches!(site.kind, LenKind::TagCount | LenKind::TagSize);
    match site.encoding {
        LenEncoding::I16 => [0x7fff_i16, 0x4000, -1, -2, i16::MIN]
            .iter()
            .map(|v| (i64::from(*v), v.to_be_bytes().to_vec()))
            .collect(),
        LenEncoding::I32 => [0x7fff_ffff_i32, 0x4000_0000, 0x8000, -1, -2, i32::MIN]
            .iter()
            .map(|v| (i64::from(*v), v.to_be_bytes().to_vec()))
            .collect(),
        LenEncoding::UVarint(_) => {
            // Raw varints; compact lengths mean raw - 1, raw 0 is null.
            let raws: &[u32] = &[0x8000_0000, 0x4000_0000, 0x7fff_ffff, u32::MAX, 0x8000, 0];
            raws.iter()
                .filter(|r| !(plain && **r == 0))
                .map(|r| {
                    let claimed = if plain { i64::from(*r) } else { i64::from(*r) - 1 };
                    (claimed, uvarint(*r))
                })
                .collect()
        }
    }
}

/// Whether `site` lies inside the value of a known tagged field (whose size
/// would no longer match after a splice that changes the field's length).
fn inside_tagged_value(site: &LenSite, sites: &[LenSite]) -> bool {
    sites
        .iter()
        .any(|t| t.kind == LenKind::TagSize && site.offset > t.offset && site.offset < t.field_end)
}

fn null_marker(site: &LenSite) -> Vec<u8> {
    match site.encoding {
        LenEncoding::I16 => (-1i16).to_be_bytes().to_vec(),
        LenEncoding::I32 => (-1i32).to_be_bytes().to_vec(),
        LenEncoding::UVarint(_) => vec![0],
    }
}

#[test]
fn huge_and_negative_lengths_are_refused_everywhere() {
    let mut checked = 0usize;
    for s in ALL {
        for v in s.min..=s.max {
            for seed in 0..3u64 {
                let mut rng = Rng::new(0xabc + seed + 100 * v as u64 + 10_000 * s.key as u64);
                let body = gen_body(s, v, &mut rng);
                let mut sites = Vec::new();
                walk_request(s.key, v, &body, Some(&mut sites)).unwrap();
                for site in &sites {
                    for (claimed, enc) in replacements(site) {
                        let ctx = format!("{} v{v} seed {seed} {site:?} -> {claimed}", s.name);
                        let mutated = splice(&body, site, &enc);
                        let verdict = check_request_body(s.key, v, &mutated);
                        checked += 1;
                        if claimed > mutated.len() as i64 {
                            // More than the whole body could hold.
                            assert!(
                                matches!(verdict, Err(WireError::LengthTooLarge { claimed: c, .. }) if c == claimed),
                                "{ctx}: {verdict:?}"
                            );
                        } else if claimed < -1 || (claimed == -1 && !site.nullable) {
                            assert!(
                                matches!(verdict, Err(WireError::NegativeLength { claimed: c, .. }) if c == claimed),
                                "{ctx}: {verdict:?}"
                            );
                        }
                        if verdict.is_ok() {
                            // Whatever slips through must be decodable.
                            crate_decode(s.key, v, &mutated)
                                .unwrap_or_else(|e| panic!("{ctx}: guard ok, crate: {e}"));
                        }
                    }
                }
            }
        }
    }
    assert!(checked > 10_000, "only {checked} mutations");
}

/// Replacing a whole string/bytes/array field by null: the guard accepts
/// exactly when the crate does, which pins our nullability to the crate's.
#[test]
fn null_substitution_agrees_with_the_crate() {
    for s in ALL {
        for v in s.min..=s.max {
            let mut rng = Rng::new(77 + v as u64 + 1000 * s.key as u64);
            let body = gen_body(s, v, &mut rng);
            let mut sites = Vec::new();
            walk_request(s.key, v, &body, Some(&mut sites)).unwrap();
            for site in &sites {
                if matches!(site.kind, LenKind::TagCount | LenKind::TagSize)
                    || inside_tagged_value(site, &sites)
                {
                    continue;
                }
                let mut mutated = body[..site.offset].to_vec();
                mutated.extend_from_slice(&null_marker(site));
                mutated.extend_from_slice(&body[site.field_end..]);
                let guard = check_request_body(s.key, v, &mutated);
                let krate = crate_decode(s.key, v, &mutated);
                assert_eq!(
                    guard.is_ok(),
                    krate.is_ok(),
                    "{} v{v} {site:?}: guard {guard:?} crate {:?}",
                    s.name,
                    krate.err()
                );
                assert_eq!(guard.is_ok(), site.nullable, "{} v{v} {site:?}", s.name);
            }
        }
    }
}
