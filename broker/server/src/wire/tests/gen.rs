//! Test helpers: a schema-driven generator of populated request bodies, and
//! the crate-side decode/encode used as the reference.

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestKind};

use super::super::schema::{ApiSchema, Field, Ty};

/// Small deterministic PRNG (xorshift64*), so failures reproduce by seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Encodes a random but fully populated body for `schema` at `version`:
/// arrays have 1-3 elements, strings are non-empty (some multi-byte UTF-8),
/// nullable fields are null now and then, every known tagged field valid in
/// the version is present with a non-default value, and flexible structs carry
/// a couple of unknown tagged fields too.
pub fn gen_body(schema: &ApiSchema, version: i16, rng: &mut Rng) -> Vec<u8> {
    let mut g = Gen {
        rng,
        version,
        flexible: schema.is_flexible(version),
        out: Vec::new(),
    };
    g.fields(schema.body);
    g.out
}

struct Gen<'r> {
    rng: &'r mut Rng,
    version: i16,
    flexible: bool,
    out: Vec<u8>,
}

impl Gen<'_> {
    fn uvarint(&mut self, mut v: u32) {
        while v >= 0x80 {
            self.out.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.out.push(v as u8);
    }

    /// Writes a length prefix; `None` is null.
    fn len(&mut self, len: Option<usize>, classic_width: usize) {
        if self.flexible {
            self.uvarint(len.map_or(0, |n| n as u32 + 1));
        } else if classic_width == 2 {
            let v = len.map_or(-1, |n| n as i16);
            self.out.extend_from_slice(&v.to_be_bytes());
        } else {
            let v = len.map_or(-1, |n| n as i32);
            self.out.extend_from_slice(&v.to_be_bytes());
        }
    }

    fn fields(&mut self, fields: &'static [Field]) {
        for f in fields {
            if f.tag.is_none() && f.in_version(self.version) {
                self.value(&f.ty, f.nullable, false);
            }
        }
        if !self.flexible {
            return;
        }
        let mut known: Vec<&Field> = fields
            .iter()
            .filter(|f| f.tag.is_some() && f.in_version(self.version))
            .collect();
        known.sort_by_key(|f| f.tag);
        // The crate writes known tags first and unknown ones after them, in
        // tag order, so unknown tags are drawn above every known tag.
        let unknown = self.rng.below(3) as usize;
        self.uvarint((known.len() + unknown) as u32);
        for f in known {
            let saved = std::mem::take(&mut self.out);
            // Tagged fields equal to their default are omitted by the
            // crate's encoder, so generate non-null, non-empty values.
            self.value(&f.ty, false, true);
            let content = std::mem::replace(&mut self.out, saved);
            self.uvarint(f.tag.unwrap_or(0));
            self.uvarint(content.len() as u32);
            self.out.extend_from_slice(&content);
        }
        let mut tag = 10 + self.rng.below(5) as u32;
        for _ in 0..unknown {
            let size = self.rng.below(4) as usize;
            let content = self.rng.bytes(size);
            self.uvarint(tag);
            self.uvarint(size as u32);
            self.out.extend_from_slice(&content);
            tag += 1 + self.rng.below(200) as u32;
        }
    }

    fn string(&mut self) -> Vec<u8> {
        const PIECES: &[&str] = &["a", "topic", "-", "é", "日本", "z9", "_", "."];
        let n = 1 + self.rng.below(4) as usize;
        let mut s = String::new();
        for _ in 0..n {
            s.push_str(PIECES[self.rng.below(PIECES.len() as u64) as usize]);
        }
        s.into_bytes()
    }

    fn value(&mut self, ty: &'static Ty, nullable: bool, non_default: bool) {
        let null = nullable && !non_default && self.rng.chance(15);
        match ty {
            Ty::Bool => {
                let b = self.rng.below(2) as u8;
                self.out.push(b);
            }
            Ty::Struct(fields) => self.fields(fields),
            Ty::Str => {
                if null {
                    self.len(None, 2);
                } else {
                    let s = self.string();
                    self.len(Some(s.len()), 2);
                    self.out.extend_from_slice(&s);
                }
            }
            Ty::Bytes => {
                if null {
                    self.len(None, 4);
                } else {
                    let n = self.rng.below(12) as usize + usize::from(non_default);
                    let b = self.rng.bytes(n);
                    self.len(Some(n), 4);
                    self.out.extend_from_slice(&b);
                }
            }
            Ty::Array(elem) => {
                if null {
                    self.len(None, 4);
                } else {
                    let n = 1 + self.rng.below(3) as usize;
                    self.len(Some(n), 4);
                    for _ in 0..n {
                        self.value(elem, false, false);
                    }
                }
            }
            fixed => {
                let w = fixed.fixed_width().unwrap_or(0);
                let b = self.rng.bytes(w);
                self.out.extend_from_slice(&b);
            }
        }
    }
}

/// Decodes with the crate, without the guard. Only call on bodies the guard
/// accepted or that are known to be well-formed: this is the hazard itself.
pub fn crate_decode(api_key: i16, version: i16, body: &[u8]) -> Result<(RequestKind, usize), String> {
    let key = ApiKey::try_from(api_key).map_err(|()| "unknown key".to_string())?;
    let mut buf = Bytes::copy_from_slice(body);
    let decoded = RequestKind::decode(key, &mut buf, version).map_err(|e| format!("{e:#}"))?;
    Ok((decoded, body.len() - buf.len()))
}

/// Encodes with the crate.
pub fn crate_encode(req: &RequestKind, version: i16) -> Vec<u8> {
    let mut out = BytesMut::new();
    req.encode(&mut out, version).expect("crate encode");
    out.to_vec()
}
