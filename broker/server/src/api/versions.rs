//! The API versions this broker implements. ApiVersions advertises exactly
//! this table; a request outside it is refused before it is decoded.

use kafka_protocol::messages::ApiKey;

/// (api, min version, max version). Every entry is fully implemented.
pub const SUPPORTED: &[(ApiKey, i16, i16)] = &[
    (ApiKey::Produce, 3, 13),
    (ApiKey::Fetch, 4, 18),
    (ApiKey::ListOffsets, 1, 10),
    (ApiKey::Metadata, 0, 13),
    (ApiKey::ApiVersions, 0, 4),
    (ApiKey::CreateTopics, 2, 7),
    (ApiKey::DeleteTopics, 1, 6),
    (ApiKey::DeleteRecords, 0, 2),
    (ApiKey::OffsetForLeaderEpoch, 2, 4),
    (ApiKey::DescribeConfigs, 1, 4),
    (ApiKey::AlterConfigs, 0, 2),
    (ApiKey::DescribeLogDirs, 1, 4),
    (ApiKey::CreatePartitions, 0, 3),
    (ApiKey::IncrementalAlterConfigs, 0, 1),
    (ApiKey::DescribeCluster, 0, 2),
    (ApiKey::InitProducerId, 0, 5),
    // Group coordinator (classic protocol).
    (ApiKey::OffsetCommit, 2, 9),
    (ApiKey::OffsetFetch, 1, 9),
    (ApiKey::FindCoordinator, 0, 6),
    (ApiKey::JoinGroup, 0, 9),
    (ApiKey::Heartbeat, 0, 4),
    (ApiKey::LeaveGroup, 0, 5),
    (ApiKey::SyncGroup, 0, 5),
    (ApiKey::DescribeGroups, 0, 6),
    (ApiKey::ListGroups, 0, 5),
    (ApiKey::DeleteGroups, 0, 2),
    (ApiKey::OffsetDelete, 0, 0),
];

/// The implemented version range of an API, if any.
pub fn range(api: ApiKey) -> Option<(i16, i16)> {
    SUPPORTED
        .iter()
        .find(|(k, _, _)| *k == api)
        .map(|(_, lo, hi)| (*lo, *hi))
}

pub fn is_supported(api: ApiKey, version: i16) -> bool {
    range(api).is_some_and(|(lo, hi)| (lo..=hi).contains(&version))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::*;
    use kafka_protocol::protocol::Message;

    /// Every advertised version has a guard schema, so no request we accept
    /// reaches the crate's decoder unchecked.
    #[test]
    fn within_guarded_ranges() {
        for (api, lo, hi) in SUPPORTED {
            let (glo, ghi) = crate::wire::supported_versions(*api as i16)
                .unwrap_or_else(|| panic!("{api:?} has no guard schema"));
            assert!(
                *lo >= glo && *hi <= ghi,
                "{api:?} {lo}-{hi} outside guarded {glo}-{ghi}"
            );
        }
    }

    /// Our ranges never exceed what the protocol crate can decode.
    #[test]
    fn within_crate_ranges() {
        fn check<M: Message>(api: ApiKey) {
            let (lo, hi) = range(api).unwrap();
            assert!(lo >= M::VERSIONS.min && hi <= M::VERSIONS.max, "{api:?}");
        }
        check::<ProduceRequest>(ApiKey::Produce);
        check::<FetchRequest>(ApiKey::Fetch);
        check::<ListOffsetsRequest>(ApiKey::ListOffsets);
        check::<MetadataRequest>(ApiKey::Metadata);
        check::<ApiVersionsRequest>(ApiKey::ApiVersions);
        check::<CreateTopicsRequest>(ApiKey::CreateTopics);
        check::<DeleteTopicsRequest>(ApiKey::DeleteTopics);
        check::<DeleteRecordsRequest>(ApiKey::DeleteRecords);
        check::<OffsetForLeaderEpochRequest>(ApiKey::OffsetForLeaderEpoch);
        check::<DescribeConfigsRequest>(ApiKey::DescribeConfigs);
        check::<AlterConfigsRequest>(ApiKey::AlterConfigs);
        check::<DescribeLogDirsRequest>(ApiKey::DescribeLogDirs);
        check::<CreatePartitionsRequest>(ApiKey::CreatePartitions);
        check::<IncrementalAlterConfigsRequest>(ApiKey::IncrementalAlterConfigs);
        check::<DescribeClusterRequest>(ApiKey::DescribeCluster);
        check::<InitProducerIdRequest>(ApiKey::InitProducerId);
        check::<OffsetCommitRequest>(ApiKey::OffsetCommit);
        check::<OffsetFetchRequest>(ApiKey::OffsetFetch);
        check::<FindCoordinatorRequest>(ApiKey::FindCoordinator);
        check::<JoinGroupRequest>(ApiKey::JoinGroup);
        check::<HeartbeatRequest>(ApiKey::Heartbeat);
        check::<LeaveGroupRequest>(ApiKey::LeaveGroup);
        check::<SyncGroupRequest>(ApiKey::SyncGroup);
        check::<DescribeGroupsRequest>(ApiKey::DescribeGroups);
        check::<ListGroupsRequest>(ApiKey::ListGroups);
        check::<DeleteGroupsRequest>(ApiKey::DeleteGroups);
        check::<OffsetDeleteRequest>(ApiKey::OffsetDelete);
    }
}
