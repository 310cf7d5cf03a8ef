//! Data-plane requests: Produce, Fetch, ListOffsets, OffsetForLeaderEpoch, DeleteRecords.

use super::{api, f, ApiSchema, Field, Ty::*};

const PRODUCE_PARTITION: &[Field] = &[
    f("index", I32),
    // Record batches stay opaque bytes; the crate slices them out of the
    // request `Bytes` without copying or parsing them.
    f("records", Bytes).null(),
];
const PRODUCE_TOPIC: &[Field] = &[
    f("name", Str).to(12),
    f("topic_id", Uuid).from(13),
    f("partition_data", Array(&Struct(PRODUCE_PARTITION))),
];
pub const PRODUCE: ApiSchema = api(
    0,
    "Produce",
    (3, 13),
    Some(9),
    &[
        f("transactional_id", Str).null(),
        f("acks", I16),
        f("timeout_ms", I32),
        f("topic_data", Array(&Struct(PRODUCE_TOPIC))),
    ],
);

const FETCH_PARTITION: &[Field] = &[
    f("partition", I32),
    f("current_leader_epoch", I32).from(9),
    f("fetch_offset", I64),
    f("last_fetched_epoch", I32).from(12),
    f("log_start_offset", I64).from(5),
    f("partition_max_bytes", I32),
    f("replica_directory_id", Uuid).from(17).tag(0),
    f("high_watermark", I64).from(18).tag(1),
];
const FETCH_TOPIC: &[Field] = &[
    f("topic", Str).to(12),
    f("topic_id", Uuid).from(13),
    f("partitions", Array(&Struct(FETCH_PARTITION))),
];
const FORGOTTEN_TOPIC: &[Field] = &[
    f("topic", Str).from(7).to(12),
    f("topic_id", Uuid).from(13),
    f("partitions", Array(&I32)).from(7),
];
const REPLICA_STATE: &[Field] = &[f("replica_id", I32).from(15), f("replica_epoch", I64).from(15)];
pub const FETCH: ApiSchema = api(
    1,
    "Fetch",
    (4, 18),
    Some(12),
    &[
        f("cluster_id", Str).null().from(12).tag(0),
        f("replica_id", I32).to(14),
        f("replica_state", Struct(REPLICA_STATE)).from(15).tag(1),
        f("max_wait_ms", I32),
        f("min_bytes", I32),
        f("max_bytes", I32),
        f("isolation_level", I8),
        f("session_id", I32).from(7),
        f("session_epoch", I32).from(7),
        f("topics", Array(&Struct(FETCH_TOPIC))),
        f("forgotten_topics_data", Array(&Struct(FORGOTTEN_TOPIC))).from(7),
        f("rack_id", Str).from(11),
    ],
);

const LIST_OFFSETS_PARTITION: &[Field] = &[
    f("partition_index", I32),
    f("current_leader_epoch", I32).from(4),
    f("timestamp", I64),
];
const LIST_OFFSETS_TOPIC: &[Field] = &[
    f("name", Str),
    f("partitions", Array(&Struct(LIST_OFFSETS_PARTITION))),
];
pub const LIST_OFFSETS: ApiSchema = api(
    2,
    "ListOffsets",
    (1, 10),
    Some(6),
    &[
        f("replica_id", I32),
        f("isolation_level", I8).from(2),
        f("topics", Array(&Struct(LIST_OFFSETS_TOPIC))),
        f("timeout_ms", I32).from(10),
    ],
);

const OFFSET_FOR_LEADER_PARTITION: &[Field] = &[
    f("partition", I32),
    f("current_leader_epoch", I32),
    f("leader_epoch", I32),
];
const OFFSET_FOR_LEADER_TOPIC: &[Field] = &[
    f("topic", Str),
    f("partitions", Array(&Struct(OFFSET_FOR_LEADER_PARTITION))),
];
pub const OFFSET_FOR_LEADER_EPOCH: ApiSchema = api(
    23,
    "OffsetForLeaderEpoch",
    (2, 4),
    Some(4),
    &[
        f("replica_id", I32).from(3),
        f("topics", Array(&Struct(OFFSET_FOR_LEADER_TOPIC))),
    ],
);

const DELETE_RECORDS_PARTITION: &[Field] = &[f("partition_index", I32), f("offset", I64)];
const DELETE_RECORDS_TOPIC: &[Field] = &[
    f("name", Str),
    f("partitions", Array(&Struct(DELETE_RECORDS_PARTITION))),
];
pub const DELETE_RECORDS: ApiSchema = api(
    21,
    "DeleteRecords",
    (0, 2),
    Some(2),
    &[
        f("topics", Array(&Struct(DELETE_RECORDS_TOPIC))),
        f("timeout_ms", I32),
    ],
);
