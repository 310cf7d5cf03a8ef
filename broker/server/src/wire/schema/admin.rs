//! Cluster and topic administration requests.

use super::{api, f, ApiSchema, Field, Ty::*};

pub const API_VERSIONS: ApiSchema = api(
    18,
    "ApiVersions",
    (0, 4),
    Some(3),
    &[
        f("client_software_name", Str).from(3),
        f("client_software_version", Str).from(3),
    ],
);

const METADATA_TOPIC: &[Field] = &[f("topic_id", Uuid).from(10), f("name", Str).null()];
pub const METADATA: ApiSchema = api(
    3,
    "Metadata",
    (0, 13),
    Some(9),
    &[
        // Null means "all topics".
        f("topics", Array(&Struct(METADATA_TOPIC))).null(),
        f("allow_auto_topic_creation", Bool).from(4),
        f("include_cluster_authorized_operations", Bool).from(8).to(10),
        f("include_topic_authorized_operations", Bool).from(8),
    ],
);

const CREATABLE_ASSIGNMENT: &[Field] = &[f("partition_index", I32), f("broker_ids", Array(&I32))];
const CREATABLE_CONFIG: &[Field] = &[f("name", Str), f("value", Str).null()];
const CREATABLE_TOPIC: &[Field] = &[
    f("name", Str),
    f("num_partitions", I32),
    f("replication_factor", I16),
    f("assignments", Array(&Struct(CREATABLE_ASSIGNMENT))),
    f("configs", Array(&Struct(CREATABLE_CONFIG))),
];
pub const CREATE_TOPICS: ApiSchema = api(
    19,
    "CreateTopics",
    (2, 7),
    Some(5),
    &[
        f("topics", Array(&Struct(CREATABLE_TOPIC))),
        f("timeout_ms", I32),
        f("validate_only", Bool),
    ],
);

const DELETE_TOPIC_STATE: &[Field] = &[f("name", Str).null().from(6), f("topic_id", Uuid).from(6)];
pub const DELETE_TOPICS: ApiSchema = api(
    20,
    "DeleteTopics",
    (1, 6),
    Some(4),
    &[
        f("topics", Array(&Struct(DELETE_TOPIC_STATE))).from(6),
        f("topic_names", Array(&Str)).to(5),
        f("timeout_ms", I32),
    ],
);

const CREATE_PARTITIONS_ASSIGNMENT: &[Field] = &[f("broker_ids", Array(&I32))];
const CREATE_PARTITIONS_TOPIC: &[Field] = &[
    f("name", Str),
    f("count", I32),
    f("assignments", Array(&Struct(CREATE_PARTITIONS_ASSIGNMENT))).null(),
];
pub const CREATE_PARTITIONS: ApiSchema = api(
    37,
    "CreatePartitions",
    (0, 3),
    Some(2),
    &[
        f("topics", Array(&Struct(CREATE_PARTITIONS_TOPIC))),
        f("timeout_ms", I32),
        f("validate_only", Bool),
    ],
);

const DESCRIBE_CONFIGS_RESOURCE: &[Field] = &[
    f("resource_type", I8),
    f("resource_name", Str),
    f("configuration_keys", Array(&Str)).null(),
];
pub const DESCRIBE_CONFIGS: ApiSchema = api(
    32,
    "DescribeConfigs",
    (1, 4),
    Some(4),
    &[
        f("resources", Array(&Struct(DESCRIBE_CONFIGS_RESOURCE))),
        f("include_synonyms", Bool),
        f("include_documentation", Bool).from(3),
    ],
);

const ALTERABLE_CONFIG: &[Field] = &[f("name", Str), f("value", Str).null()];
const ALTER_CONFIGS_RESOURCE: &[Field] = &[
    f("resource_type", I8),
    f("resource_name", Str),
    f("configs", Array(&Struct(ALTERABLE_CONFIG))),
];
pub const ALTER_CONFIGS: ApiSchema = api(
    33,
    "AlterConfigs",
    (0, 2),
    Some(2),
    &[
        f("resources", Array(&Struct(ALTER_CONFIGS_RESOURCE))),
        f("validate_only", Bool),
    ],
);

const INCREMENTAL_CONFIG: &[Field] = &[f("name", Str), f("config_operation", I8), f("value", Str).null()];
const INCREMENTAL_RESOURCE: &[Field] = &[
    f("resource_type", I8),
    f("resource_name", Str),
    f("configs", Array(&Struct(INCREMENTAL_CONFIG))),
];
pub const INCREMENTAL_ALTER_CONFIGS: ApiSchema = api(
    44,
    "IncrementalAlterConfigs",
    (0, 1),
    Some(1),
    &[
        f("resources", Array(&Struct(INCREMENTAL_RESOURCE))),
        f("validate_only", Bool),
    ],
);

pub const DESCRIBE_CLUSTER: ApiSchema = api(
    60,
    "DescribeCluster",
    (0, 2),
    Some(0),
    &[
        f("include_cluster_authorized_operations", Bool),
        f("endpoint_type", I8).from(1),
        f("include_fenced_brokers", Bool).from(2),
    ],
);

const DESCRIBABLE_LOG_DIR_TOPIC: &[Field] = &[f("topic", Str), f("partitions", Array(&I32))];
pub const DESCRIBE_LOG_DIRS: ApiSchema = api(
    35,
    "DescribeLogDirs",
    (1, 4),
    Some(2),
    &[f("topics", Array(&Struct(DESCRIBABLE_LOG_DIR_TOPIC))).null()],
);

const ELECT_TOPIC_PARTITIONS: &[Field] = &[f("topic", Str), f("partitions", Array(&I32))];
pub const ELECT_LEADERS: ApiSchema = api(
    43,
    "ElectLeaders",
    (0, 2),
    Some(2),
    &[
        f("election_type", I8).from(1),
        f("topic_partitions", Array(&Struct(ELECT_TOPIC_PARTITIONS))).null(),
        f("timeout_ms", I32),
    ],
);

const REASSIGNABLE_PARTITION: &[Field] = &[f("partition_index", I32), f("replicas", Array(&I32)).null()];
const REASSIGNABLE_TOPIC: &[Field] = &[
    f("name", Str),
    f("partitions", Array(&Struct(REASSIGNABLE_PARTITION))),
];
pub const ALTER_PARTITION_REASSIGNMENTS: ApiSchema = api(
    45,
    "AlterPartitionReassignments",
    (0, 1),
    Some(0),
    &[
        f("timeout_ms", I32),
        f("allow_replication_factor_change", Bool).from(1),
        f("topics", Array(&Struct(REASSIGNABLE_TOPIC))),
    ],
);

const LIST_REASSIGNMENTS_TOPIC: &[Field] = &[f("name", Str), f("partition_indexes", Array(&I32))];
pub const LIST_PARTITION_REASSIGNMENTS: ApiSchema = api(
    46,
    "ListPartitionReassignments",
    (0, 0),
    Some(0),
    &[
        f("timeout_ms", I32),
        f("topics", Array(&Struct(LIST_REASSIGNMENTS_TOPIC))).null(),
    ],
);
