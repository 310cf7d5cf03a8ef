//! A compact description of the request bodies we accept, used by the guard.
//!
//! Each request is a list of [`Field`]s. A field has a wire type, the versions
//! in which it is present, whether null is accepted, and, for tagged fields,
//! its tag. The encoding (classic or compact lengths, tagged-field sections)
//! follows from whether the version is flexible, exactly as in Kafka's message
//! JSON: classic versions use i16 string, i32 bytes/array lengths with -1 for
//! null; flexible versions use unsigned varint `length + 1` with 0 for null,
//! and every struct ends with a tagged-field section.
//!
//! Facts (field order, versions, flexible versions, nullability, tags) were
//! taken from the Kafka protocol definition as shipped by `kafka-protocol`
//! 0.18 (generated from Kafka 4.1). Nullability is the decoder's: a field is
//! nullable here when that crate decodes it as `Option`, so the guard never
//! refuses a request the crate would accept for that reason. The version range
//! of each API is the range its request struct decodes (which for a few APIs is
//! narrower than `ApiKey::valid_versions`).
//!
//! The tests check every schema against the crate by generating encodings from
//! the schema, decoding them with the crate and re-encoding them byte for byte.

mod admin;
mod controller;
mod data;
mod groups;

/// Upper bound used for "all later versions" in field version ranges.
pub const MAX: i16 = i16::MAX;

/// Wire type of a field.
#[derive(Debug, Clone, Copy)]
pub enum Ty {
    /// One byte, decoded as `bool` (any non-zero is true).
    Bool,
    I8,
    I16,
    U16,
    I32,
    I64,
    Uuid,
    /// UTF-8 string: i16 length (classic) or varint length + 1 (flexible).
    Str,
    /// Bytes (also record sets): i32 length (classic) or varint length + 1 (flexible).
    Bytes,
    /// A nested struct encoded inline (only used by tagged fields here).
    Struct(&'static [Field]),
    /// Array: i32 count (classic) or varint count + 1 (flexible).
    Array(&'static Ty),
}

impl Ty {
    /// Width in bytes of a fixed-size scalar, `None` for the variable types.
    pub const fn fixed_width(&self) -> Option<usize> {
        match self {
            Ty::Bool | Ty::I8 => Some(1),
            Ty::I16 | Ty::U16 => Some(2),
            Ty::I32 => Some(4),
            Ty::I64 => Some(8),
            Ty::Uuid => Some(16),
            Ty::Str | Ty::Bytes | Ty::Struct(_) | Ty::Array(_) => None,
        }
    }
}

/// One field of a request or of a struct nested in it.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub ty: Ty,
    /// First version in which the field is present.
    pub min: i16,
    /// Last version in which the field is present (inclusive).
    pub max: i16,
    /// Null (-1 / varint 0) is accepted.
    pub nullable: bool,
    /// `Some(tag)` for a tagged field, which lives in the tagged-field section.
    pub tag: Option<u32>,
}

/// Starts a field present in every version, not nullable, not tagged.
pub const fn f(name: &'static str, ty: Ty) -> Field {
    Field {
        name,
        ty,
        min: 0,
        max: MAX,
        nullable: false,
        tag: None,
    }
}

impl Field {
    /// Present from version `v` on.
    pub const fn from(mut self, v: i16) -> Self {
        self.min = v;
        self
    }
    /// Present up to and including version `v`.
    pub const fn to(mut self, v: i16) -> Self {
        self.max = v;
        self
    }
    /// Present in exactly version `v`.
    pub const fn only(self, v: i16) -> Self {
        self.from(v).to(v)
    }
    /// Null is accepted.
    pub const fn null(mut self) -> Self {
        self.nullable = true;
        self
    }
    /// A tagged field with tag `t`.
    pub const fn tag(mut self, t: u32) -> Self {
        self.tag = Some(t);
        self
    }
    /// Whether the field exists in `version`.
    pub const fn in_version(&self, version: i16) -> bool {
        self.min <= version && version <= self.max
    }
}

/// The schema of one request type.
#[derive(Debug, Clone, Copy)]
pub struct ApiSchema {
    pub key: i16,
    pub name: &'static str,
    /// Lowest version we accept.
    pub min: i16,
    /// Highest version we accept.
    pub max: i16,
    /// First flexible version (compact encodings, tagged fields, header v2).
    pub flexible_from: Option<i16>,
    pub body: &'static [Field],
}

impl ApiSchema {
    pub const fn is_flexible(&self, version: i16) -> bool {
        match self.flexible_from {
            Some(v) => version >= v,
            None => false,
        }
    }
    pub const fn supports(&self, version: i16) -> bool {
        self.min <= version && version <= self.max
    }
}

/// Shorthand used by the per-group schema files.
pub(crate) const fn api(
    key: i16,
    name: &'static str,
    (min, max): (i16, i16),
    flexible_from: Option<i16>,
    body: &'static [Field],
) -> ApiSchema {
    ApiSchema {
        key,
        name,
        min,
        max,
        flexible_from,
        body,
    }
}

/// Every request type the guard knows, ordered by API key.
pub static ALL: &[&ApiSchema] = &[
    &data::PRODUCE,
    &data::FETCH,
    &data::LIST_OFFSETS,
    &admin::METADATA,
    &groups::OFFSET_COMMIT,
    &groups::OFFSET_FETCH,
    &groups::FIND_COORDINATOR,
    &groups::JOIN_GROUP,
    &groups::HEARTBEAT,
    &groups::LEAVE_GROUP,
    &groups::SYNC_GROUP,
    &groups::DESCRIBE_GROUPS,
    &groups::LIST_GROUPS,
    &admin::API_VERSIONS,
    &admin::CREATE_TOPICS,
    &admin::DELETE_TOPICS,
    &data::DELETE_RECORDS,
    &groups::INIT_PRODUCER_ID,
    &data::OFFSET_FOR_LEADER_EPOCH,
    &admin::DESCRIBE_CONFIGS,
    &admin::ALTER_CONFIGS,
    &admin::DESCRIBE_LOG_DIRS,
    &admin::CREATE_PARTITIONS,
    &groups::DELETE_GROUPS,
    &admin::ELECT_LEADERS,
    &admin::INCREMENTAL_ALTER_CONFIGS,
    &admin::ALTER_PARTITION_REASSIGNMENTS,
    &admin::LIST_PARTITION_REASSIGNMENTS,
    &groups::OFFSET_DELETE,
    &controller::ALTER_PARTITION,
    &admin::DESCRIBE_CLUSTER,
    &controller::BROKER_REGISTRATION,
    &controller::BROKER_HEARTBEAT,
    &controller::ALLOCATE_PRODUCER_IDS,
];

/// The schema for an API key, whatever the version.
pub fn schema_for(api_key: i16) -> Option<&'static ApiSchema> {
    ALL.iter().copied().find(|s| s.key == api_key)
}

/// The schema for (api key, version), `None` if we do not cover that pair.
pub fn lookup(api_key: i16, version: i16) -> Option<&'static ApiSchema> {
    schema_for(api_key).filter(|s| s.supports(version))
}

/// The version range we can guard and decode for `api_key`, for ApiVersions.
pub fn supported_versions(api_key: i16) -> Option<(i16, i16)> {
    schema_for(api_key).map(|s| (s.min, s.max))
}
