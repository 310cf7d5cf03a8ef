//! Consumer-group, offset and producer-id requests.

use super::{api, f, ApiSchema, Field, Ty::*};

pub const FIND_COORDINATOR: ApiSchema = api(
    10,
    "FindCoordinator",
    (0, 6),
    Some(3),
    &[
        f("key", Str).to(3),
        f("key_type", I8).from(1),
        f("coordinator_keys", Array(&Str)).from(4),
    ],
);

const JOIN_GROUP_PROTOCOL: &[Field] = &[f("name", Str), f("metadata", Bytes)];
pub const JOIN_GROUP: ApiSchema = api(
    11,
    "JoinGroup",
    (0, 9),
    Some(6),
    &[
        f("group_id", Str),
        f("session_timeout_ms", I32),
        f("rebalance_timeout_ms", I32).from(1),
        f("member_id", Str),
        f("group_instance_id", Str).null().from(5),
        f("protocol_type", Str),
        f("protocols", Array(&Struct(JOIN_GROUP_PROTOCOL))),
        f("reason", Str).null().from(8),
    ],
);

const SYNC_GROUP_ASSIGNMENT: &[Field] = &[f("member_id", Str), f("assignment", Bytes)];
pub const SYNC_GROUP: ApiSchema = api(
    14,
    "SyncGroup",
    (0, 5),
    Some(4),
    &[
        f("group_id", Str),
        f("generation_id", I32),
        f("member_id", Str),
        f("group_instance_id", Str).null().from(3),
        f("protocol_type", Str).null().from(5),
        f("protocol_name", Str).null().from(5),
        f("assignments", Array(&Struct(SYNC_GROUP_ASSIGNMENT))),
    ],
);

pub const HEARTBEAT: ApiSchema = api(
    12,
    "Heartbeat",
    (0, 4),
    Some(4),
    &[
        f("group_id", Str),
        f("generation_id", I32),
        f("member_id", Str),
        f("group_instance_id", Str).null().from(3),
    ],
);

const MEMBER_IDENTITY: &[Field] = &[
    f("member_id", Str).from(3),
    f("group_instance_id", Str).null().from(3),
    f("reason", Str).null().from(5),
];
pub const LEAVE_GROUP: ApiSchema = api(
    13,
    "LeaveGroup",
    (0, 5),
    Some(4),
    &[
        f("group_id", Str),
        f("member_id", Str).to(2),
        f("members", Array(&Struct(MEMBER_IDENTITY))).from(3),
    ],
);

const OFFSET_COMMIT_PARTITION: &[Field] = &[
    f("partition_index", I32),
    f("committed_offset", I64),
    f("committed_leader_epoch", I32).from(6),
    f("committed_metadata", Str).null(),
];
const OFFSET_COMMIT_TOPIC: &[Field] = &[
    f("name", Str),
    f("partitions", Array(&Struct(OFFSET_COMMIT_PARTITION))),
];
pub const OFFSET_COMMIT: ApiSchema = api(
    8,
    "OffsetCommit",
    // kafka-protocol 0.18 lists v10 in ApiKey::valid_versions but its request
    // struct only decodes up to v9.
    (2, 9),
    Some(8),
    &[
        f("group_id", Str),
        f("generation_id_or_member_epoch", I32),
        f("member_id", Str),
        f("group_instance_id", Str).null().from(7),
        f("retention_time_ms", I64).to(4),
        f("topics", Array(&Struct(OFFSET_COMMIT_TOPIC))),
    ],
);

const OFFSET_FETCH_TOPIC: &[Field] = &[f("name", Str).to(7), f("partition_indexes", Array(&I32)).to(7)];
const OFFSET_FETCH_GROUP_TOPIC: &[Field] = &[
    f("name", Str).from(8),
    f("partition_indexes", Array(&I32)).from(8),
];
const OFFSET_FETCH_GROUP: &[Field] = &[
    f("group_id", Str).from(8),
    f("member_id", Str).null().from(9),
    f("member_epoch", I32).from(9),
    f("topics", Array(&Struct(OFFSET_FETCH_GROUP_TOPIC)))
        .null()
        .from(8),
];
pub const OFFSET_FETCH: ApiSchema = api(
    9,
    "OffsetFetch",
    // ApiKey::valid_versions says 1-10; the request struct decodes 1-9.
    (1, 9),
    Some(6),
    &[
        f("group_id", Str).to(7),
        f("topics", Array(&Struct(OFFSET_FETCH_TOPIC))).null().to(7),
        f("groups", Array(&Struct(OFFSET_FETCH_GROUP))).from(8),
        f("require_stable", Bool).from(7),
    ],
);

pub const LIST_GROUPS: ApiSchema = api(
    16,
    "ListGroups",
    (0, 5),
    Some(3),
    &[
        f("states_filter", Array(&Str)).from(4),
        f("types_filter", Array(&Str)).from(5),
    ],
);

pub const DESCRIBE_GROUPS: ApiSchema = api(
    15,
    "DescribeGroups",
    (0, 6),
    Some(5),
    &[
        f("groups", Array(&Str)),
        f("include_authorized_operations", Bool).from(3),
    ],
);

pub const DELETE_GROUPS: ApiSchema = api(
    42,
    "DeleteGroups",
    (0, 2),
    Some(2),
    &[f("groups_names", Array(&Str))],
);

const OFFSET_DELETE_PARTITION: &[Field] = &[f("partition_index", I32)];
const OFFSET_DELETE_TOPIC: &[Field] = &[
    f("name", Str),
    f("partitions", Array(&Struct(OFFSET_DELETE_PARTITION))),
];
pub const OFFSET_DELETE: ApiSchema = api(
    47,
    "OffsetDelete",
    (0, 0),
    None,
    &[
        f("group_id", Str),
        f("topics", Array(&Struct(OFFSET_DELETE_TOPIC))),
    ],
);

pub const INIT_PRODUCER_ID: ApiSchema = api(
    22,
    "InitProducerId",
    // ApiKey::valid_versions says 0-6; the request struct decodes 0-5.
    (0, 5),
    Some(2),
    &[
        f("transactional_id", Str).null(),
        f("transaction_timeout_ms", I32),
        f("producer_id", I64).from(3),
        f("producer_epoch", I16).from(3),
    ],
);
