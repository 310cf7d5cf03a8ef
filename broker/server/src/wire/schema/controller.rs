//! Broker-to-controller requests.

use super::{api, f, ApiSchema, Field, Ty::*};

const LISTENER: &[Field] = &[
    f("name", Str),
    f("host", Str),
    f("port", U16),
    f("security_protocol", I16),
];
const FEATURE: &[Field] = &[
    f("name", Str),
    f("min_supported_version", I16),
    f("max_supported_version", I16),
];
pub const BROKER_REGISTRATION: ApiSchema = api(
    62,
    "BrokerRegistration",
    (0, 4),
    Some(0),
    &[
        f("broker_id", I32),
        f("cluster_id", Str),
        f("incarnation_id", Uuid),
        f("listeners", Array(&Struct(LISTENER))),
        f("features", Array(&Struct(FEATURE))),
        f("rack", Str).null(),
        f("is_migrating_zk_broker", Bool).from(1),
        f("log_dirs", Array(&Uuid)).from(2),
        f("previous_broker_epoch", I64).from(3),
    ],
);

pub const BROKER_HEARTBEAT: ApiSchema = api(
    63,
    "BrokerHeartbeat",
    (0, 1),
    Some(0),
    &[
        f("broker_id", I32),
        f("broker_epoch", I64),
        f("current_metadata_offset", I64),
        f("want_fence", Bool),
        f("want_shut_down", Bool),
        f("offline_log_dirs", Array(&Uuid)).from(1).tag(0),
    ],
);

const BROKER_STATE: &[Field] = &[f("broker_id", I32).from(3), f("broker_epoch", I64).from(3)];
const ALTER_PARTITION_DATA: &[Field] = &[
    f("partition_index", I32),
    f("leader_epoch", I32),
    f("new_isr", Array(&I32)).only(2),
    f("new_isr_with_epochs", Array(&Struct(BROKER_STATE))).from(3),
    f("leader_recovery_state", I8),
    f("partition_epoch", I32),
];
const ALTER_PARTITION_TOPIC: &[Field] = &[
    f("topic_id", Uuid),
    f("partitions", Array(&Struct(ALTER_PARTITION_DATA))),
];
pub const ALTER_PARTITION: ApiSchema = api(
    56,
    "AlterPartition",
    (2, 3),
    Some(0),
    &[
        f("broker_id", I32),
        f("broker_epoch", I64),
        f("topics", Array(&Struct(ALTER_PARTITION_TOPIC))),
    ],
);

pub const ALLOCATE_PRODUCER_IDS: ApiSchema = api(
    67,
    "AllocateProducerIds",
    (0, 0),
    Some(0),
    &[f("broker_id", I32), f("broker_epoch", I64)],
);
