//! Replica placement for new topics and partitions. Pure.
//!
//! Greedy, load-aware and rack-aware: each new partition takes as preferred
//! leader (first replica) the broker leading the fewest partitions, then adds
//! followers from racks the partition does not use yet, least-loaded first.
//! Because every choice takes a minimum, placing onto an evenly loaded
//! cluster keeps leader and replica counts within one of each other; onto an
//! uneven one, new replicas go to the emptier brokers first.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

use crate::error::PlacementError;
use crate::image::BrokerLoad;
use crate::types::BrokerId;

/// A broker that may receive replicas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacementBroker {
    pub id: BrokerId,
    /// Brokers without a rack count as one shared rack.
    pub rack: Option<String>,
}

/// Checks a requested replication factor against the usable brokers.
pub fn check_replication_factor(replication_factor: i32, available: usize) -> Result<usize, PlacementError> {
    match usize::try_from(replication_factor) {
        Ok(rf) if rf >= 1 && rf <= available => Ok(rf),
        _ => Err(PlacementError::InvalidReplicationFactor {
            requested: replication_factor,
            available,
        }),
    }
}

/// Assigns `replication_factor` distinct brokers to each of `partitions` new
/// partitions; the first replica of each is its preferred leader. `load` is
/// the current per-broker count (brokers missing from it count as empty).
pub fn place_replicas(
    brokers: &[PlacementBroker],
    load: &BTreeMap<BrokerId, BrokerLoad>,
    partitions: i32,
    replication_factor: i32,
) -> Result<Vec<Vec<BrokerId>>, PlacementError> {
    // Deduplicate and order by id so the result does not depend on input order.
    let mut by_id: BTreeMap<BrokerId, Option<&str>> = BTreeMap::new();
    for b in brokers {
        by_id.insert(b.id, b.rack.as_deref());
    }
    let ids: Vec<BrokerId> = by_id.keys().copied().collect();
    let racks: Vec<Option<&str>> = by_id.values().copied().collect();
    let rf = check_replication_factor(replication_factor, ids.len())?;
    let count = usize::try_from(partitions)
        .ok()
        .filter(|n| *n >= 1)
        .ok_or(PlacementError::InvalidPartitions(partitions))?;

    let mut counts: Vec<BrokerLoad> = ids
        .iter()
        .map(|id| load.get(id).copied().unwrap_or_default())
        .collect();
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let replicas = place_one(&racks, &counts, rf);
        for (slot, &i) in replicas.iter().enumerate() {
            counts[i].replicas += 1;
            if slot == 0 {
                counts[i].leaders += 1;
            }
        }
        out.push(replicas.into_iter().map(|i| ids[i]).collect());
    }
    Ok(out)
}

/// Picks broker indexes for one partition. `rf <= racks.len()` is checked by
/// the caller.
fn place_one(racks: &[Option<&str>], counts: &[BrokerLoad], rf: usize) -> Vec<usize> {
    let n = racks.len();
    let Some(leader) = (0..n).min_by_key(|&i| (counts[i].leaders, counts[i].replicas, i)) else {
        return Vec::new();
    };
    let mut chosen = vec![leader];
    let mut used_racks: BTreeSet<Option<&str>> = BTreeSet::from([racks[leader]]);
    while chosen.len() < rf {
        let free = || (0..n).filter(|i| !chosen.contains(i));
        let new_rack_exists = free().any(|i| !used_racks.contains(&racks[i]));
        // Among the least-loaded, prefer brokers that already lead more:
        // those leading less are the next leaders and should stay light.
        let pick = free()
            .filter(|i| !new_rack_exists || !used_racks.contains(&racks[*i]))
            .min_by_key(|&i| (counts[i].replicas, Reverse(counts[i].leaders), i));
        let Some(pick) = pick else { break };
        used_racks.insert(racks[pick]);
        chosen.push(pick);
    }
    chosen
}

/// Turns CreateTopics' `partition index -> replicas` map into a list,
/// requiring the indexes 0..n as Kafka does.
pub fn assignment_from_map(map: &BTreeMap<i32, Vec<BrokerId>>) -> Result<Vec<Vec<BrokerId>>, PlacementError> {
    if map.is_empty() {
        return Err(PlacementError::InvalidAssignment(
            "the replica assignment is empty".into(),
        ));
    }
    for (expected, index) in map.keys().enumerate() {
        if usize::try_from(*index).ok() != Some(expected) {
            return Err(PlacementError::InvalidAssignment(format!(
                "partitions should be a consecutive 0-based integer sequence, but the \
                 assignment has partition {index} where {expected} was expected"
            )));
        }
    }
    Ok(map.values().cloned().collect())
}

/// Validates a manual assignment: every partition non-empty, replicas
/// distinct and registered, and all partitions of one length (`expected_rf`
/// when the topic already has partitions).
pub fn validate_assignment(
    assignment: &[Vec<BrokerId>],
    registered: &BTreeSet<BrokerId>,
    expected_rf: Option<usize>,
) -> Result<(), PlacementError> {
    let fail = |msg: String| Err(PlacementError::InvalidAssignment(msg));
    let rf = match (expected_rf, assignment.first()) {
        (Some(rf), _) => rf,
        (None, Some(first)) => first.len(),
        (None, None) => return fail("the replica assignment is empty".into()),
    };
    for (i, replicas) in assignment.iter().enumerate() {
        if replicas.is_empty() {
            return fail(format!("partition {i} has an empty replica list"));
        }
        let distinct: BTreeSet<_> = replicas.iter().collect();
        if distinct.len() != replicas.len() {
            return fail(format!(
                "duplicate brokers are not allowed in a replica assignment: partition {i} \
                 has {replicas:?}"
            ));
        }
        if let Some(b) = replicas.iter().find(|b| !registered.contains(b)) {
            return fail(format!(
                "partition {i} is assigned to broker {b}, which is not registered"
            ));
        }
        if replicas.len() != rf {
            return fail(match expected_rf {
                Some(_) => format!(
                    "the manual partition assignment includes a partition with {} replica(s), \
                     but this is not consistent with previous partitions, which have {rf} \
                     replica(s)",
                    replicas.len()
                ),
                None => format!(
                    "all partitions should have the same number of replicas: partition 0 has \
                     {rf}, partition {i} has {}",
                    replicas.len()
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn brokers(n: usize, racks: usize) -> Vec<PlacementBroker> {
        (0..n)
            .map(|i| PlacementBroker {
                id: BrokerId(i as i32 * 10),
                rack: (racks > 0).then(|| format!("r{}", i % racks)),
            })
            .collect()
    }

    fn counts(a: &[Vec<BrokerId>], brokers: &[PlacementBroker]) -> (Vec<usize>, Vec<usize>) {
        let reps = brokers
            .iter()
            .map(|b| a.iter().filter(|p| p.contains(&b.id)).count())
            .collect();
        let leads = brokers
            .iter()
            .map(|b| a.iter().filter(|p| p[0] == b.id).count())
            .collect();
        (reps, leads)
    }

    fn spread(v: &[usize]) -> usize {
        v.iter().max().unwrap() - v.iter().min().unwrap()
    }

    #[test]
    fn errors_name_both_numbers() {
        let b = brokers(3, 0);
        let load = BTreeMap::new();
        let e = place_replicas(&b, &load, 1, 4).unwrap_err();
        assert_eq!(
            e,
            PlacementError::InvalidReplicationFactor {
                requested: 4,
                available: 3
            }
        );
        let msg = e.to_string();
        assert!(msg.contains('4') && msg.contains('3'), "{msg}");
        assert!(place_replicas(&b, &load, 1, 0).is_err());
        assert!(place_replicas(&b, &load, 1, -1).is_err());
        assert_eq!(
            place_replicas(&b, &load, 0, 1).unwrap_err(),
            PlacementError::InvalidPartitions(0)
        );
        assert!(place_replicas(&[], &load, 1, 1).is_err());
    }

    #[test]
    fn single_broker() {
        let b = brokers(1, 0);
        let a = place_replicas(&b, &BTreeMap::new(), 3, 1).unwrap();
        assert_eq!(a, vec![vec![BrokerId(0)]; 3]);
    }

    #[test]
    fn prefers_less_loaded_brokers() {
        let b = brokers(3, 0);
        let mut load = BTreeMap::new();
        load.insert(
            BrokerId(0),
            BrokerLoad {
                replicas: 10,
                leaders: 5,
            },
        );
        load.insert(
            BrokerId(10),
            BrokerLoad {
                replicas: 10,
                leaders: 5,
            },
        );
        let a = place_replicas(&b, &load, 4, 1).unwrap();
        assert_eq!(a, vec![vec![BrokerId(20)]; 4]);
        let a = place_replicas(&b, &load, 2, 2).unwrap();
        assert!(a.iter().all(|p| p[0] == BrokerId(20)), "{a:?}");
    }

    #[test]
    fn rack_aware_spreads_over_racks() {
        let b = brokers(6, 3);
        let a = place_replicas(&b, &BTreeMap::new(), 12, 3).unwrap();
        for p in &a {
            let racks: BTreeSet<_> = p
                .iter()
                .map(|id| b.iter().find(|x| x.id == *id).unwrap().rack.clone())
                .collect();
            assert_eq!(racks.len(), 3, "{p:?}");
        }
    }

    #[test]
    fn manual_assignment_validation() {
        let reg: BTreeSet<_> = [BrokerId(1), BrokerId(2), BrokerId(3)].into();
        let ok = vec![vec![BrokerId(1), BrokerId(2)], vec![BrokerId(3), BrokerId(1)]];
        validate_assignment(&ok, &reg, None).unwrap();
        validate_assignment(&ok, &reg, Some(2)).unwrap();
        let e = validate_assignment(&ok, &reg, Some(3)).unwrap_err();
        assert!(e.to_string().contains("previous partitions"), "{e}");
        let dup = vec![vec![BrokerId(1), BrokerId(1)]];
        assert!(validate_assignment(&dup, &reg, None)
            .unwrap_err()
            .to_string()
            .contains("duplicate"));
        let unknown = vec![vec![BrokerId(9)]];
        assert!(validate_assignment(&unknown, &reg, None)
            .unwrap_err()
            .to_string()
            .contains("9"));
        let ragged = vec![vec![BrokerId(1)], vec![BrokerId(2), BrokerId(3)]];
        assert!(validate_assignment(&ragged, &reg, None).is_err());
        assert!(validate_assignment(&[vec![]], &reg, None).is_err());
        assert!(validate_assignment(&[], &reg, None).is_err());
    }

    #[test]
    fn assignment_map_must_be_consecutive() {
        let mut m = BTreeMap::new();
        m.insert(0, vec![BrokerId(1)]);
        m.insert(2, vec![BrokerId(1)]);
        let e = assignment_from_map(&m).unwrap_err();
        assert!(e.to_string().contains("consecutive"), "{e}");
        m.insert(1, vec![BrokerId(2)]);
        assert_eq!(assignment_from_map(&m).unwrap()[1], vec![BrokerId(2)]);
        assert!(assignment_from_map(&BTreeMap::new()).is_err());
        let mut neg = BTreeMap::new();
        neg.insert(-1, vec![BrokerId(1)]);
        assert!(assignment_from_map(&neg).is_err());
    }

    proptest! {
        #[test]
        fn balanced_without_racks(n in 1usize..12, rf_seed in 0usize..12, parts in 1i32..60) {
            let rf = rf_seed % n + 1;
            let b = brokers(n, 0);
            let a = place_replicas(&b, &BTreeMap::new(), parts, rf as i32).unwrap();
            prop_assert_eq!(a.len(), parts as usize);
            for p in &a {
                let distinct: BTreeSet<_> = p.iter().collect();
                prop_assert_eq!(p.len(), rf);
                prop_assert_eq!(distinct.len(), rf);
            }
            let (reps, leads) = counts(&a, &b);
            prop_assert!(spread(&reps) <= 1, "replicas {:?} for {:?}", reps, a);
            prop_assert!(spread(&leads) <= 1, "leaders {:?}", leads);
        }

        #[test]
        fn rack_distinct_when_enough_racks(
            n in 1usize..12, racks_seed in 1usize..12, rf_seed in 0usize..12, parts in 1i32..40,
        ) {
            let racks = racks_seed % n + 1;
            let rf = rf_seed % racks + 1;
            let b = brokers(n, racks);
            let a = place_replicas(&b, &BTreeMap::new(), parts, rf as i32).unwrap();
            for p in &a {
                let distinct: BTreeSet<_> = p.iter().collect();
                prop_assert_eq!(distinct.len(), rf);
                let rack_set: BTreeSet<_> = p
                    .iter()
                    .map(|id| b.iter().find(|x| x.id == *id).map(|x| x.rack.clone()))
                    .collect();
                prop_assert_eq!(rack_set.len(), rf, "{:?}", p);
            }
            let (_, leads) = counts(&a, &b);
            prop_assert!(spread(&leads) <= 1, "leaders {:?}", leads);
        }

        #[test]
        fn balanced_with_equal_racks(
            racks in 1usize..5, per_rack in 1usize..4, rf_seed in 0usize..5, parts in 1i32..40,
        ) {
            let n = racks * per_rack;
            let rf = rf_seed % racks + 1;
            let b = brokers(n, racks);
            let a = place_replicas(&b, &BTreeMap::new(), parts, rf as i32).unwrap();
            let (reps, leads) = counts(&a, &b);
            prop_assert!(spread(&reps) <= 1, "replicas {:?} for {:?}", reps, a);
            prop_assert!(spread(&leads) <= 1, "leaders {:?}", leads);
        }

        #[test]
        fn incremental_placement_stays_balanced(
            n in 1usize..8, rf_seed in 0usize..8, batches in proptest::collection::vec(1i32..10, 1..6),
        ) {
            // Creating topics one after another, each seeing the load of the
            // earlier ones, balances the cluster as a whole.
            let rf = rf_seed % n + 1;
            let b = brokers(n, 0);
            let mut load: BTreeMap<BrokerId, BrokerLoad> = BTreeMap::new();
            let mut all = Vec::new();
            for parts in batches {
                let a = place_replicas(&b, &load, parts, rf as i32).unwrap();
                for p in &a {
                    for (i, id) in p.iter().enumerate() {
                        let e = load.entry(*id).or_default();
                        e.replicas += 1;
                        if i == 0 { e.leaders += 1; }
                    }
                }
                all.extend(a);
            }
            let (reps, leads) = counts(&all, &b);
            prop_assert!(spread(&reps) <= 1, "replicas {:?}", reps);
            prop_assert!(spread(&leads) <= 1, "leaders {:?}", leads);
        }
    }
}
