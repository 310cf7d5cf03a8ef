//! Random sequences of client actions never break the group's invariants,
//! never answer a request twice or unasked, and once clients go quiet every
//! parked request is eventually answered.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::prop;
use proptest::prelude::{
    any, prop_assert, prop_assert_eq, prop_oneof, proptest, ProptestConfig, Strategy, TestCaseError,
};

use super::*;

#[derive(Debug, Clone)]
enum Op {
    Join {
        c: usize,
        alt: bool,
        restart: bool,
        kip394: bool,
    },
    Sync {
        c: usize,
    },
    Heartbeat {
        c: usize,
    },
    Leave {
        c: usize,
    },
    Commit {
        c: usize,
    },
    Advance {
        ms: i64,
    },
    Writes {
        ok: bool,
    },
}

const CLIENTS: usize = 4;

fn op() -> impl Strategy<Value = Op> {
    let c = 0..CLIENTS;
    prop_oneof![
        4 => (c.clone(), any::<bool>(), prop::bool::weighted(0.2), any::<bool>())
            .prop_map(|(c, alt, restart, kip394)| Op::Join { c, alt, restart, kip394 }),
        3 => c.clone().prop_map(|c| Op::Sync { c }),
        3 => c.clone().prop_map(|c| Op::Heartbeat { c }),
        1 => c.clone().prop_map(|c| Op::Leave { c }),
        1 => c.prop_map(|c| Op::Commit { c }),
        3 => (0i64..12_000).prop_map(|ms| Op::Advance { ms }),
        2 => prop::bool::weighted(0.85).prop_map(|ok| Op::Writes { ok }),
    ]
}

#[derive(Debug, Default, Clone)]
struct Client {
    member_id: Option<MemberId>,
    generation: i32,
    /// Non-empty when the last join response made this client the leader.
    members: Vec<MemberId>,
}

/// Clients 2 and 3 are static members.
fn instance(c: usize) -> Option<GroupInstanceId> {
    (c >= 2).then(|| GroupInstanceId::new(format!("inst-{c}")))
}

struct World {
    h: Harness,
    clients: Vec<Client>,
    /// Parked requests: (member id, is_join).
    parked: BTreeSet<(MemberId, bool)>,
    last_generation: Option<i32>,
}

impl World {
    fn new() -> Self {
        Self {
            h: Harness::new(),
            clients: vec![Client::default(); CLIENTS],
            parked: BTreeSet::new(),
            last_generation: None,
        }
    }

    fn on_join(&mut self, c: Option<usize>, result: Result<JoinResponse, JoinError>) {
        let client = match c {
            Some(i) => Some(&mut self.clients[i]),
            None => None,
        };
        let Some(client) = client else { return };
        match result {
            Ok(r) => {
                client.member_id = Some(r.member_id.clone());
                client.generation = r.generation.0;
                client.members = r.members.iter().map(|m| m.member_id.clone()).collect();
            }
            Err(e) if e.error == GroupError::MemberIdRequired => client.member_id = Some(e.member_id),
            Err(_) => *client = Client::default(),
        }
    }

    /// Routes new completions, checking each answers a parked request.
    fn drain_completions(&mut self) -> Result<(), TestCaseError> {
        let completions = std::mem::take(&mut self.h.completions);
        for done in completions {
            let is_join = matches!(done.kind, CompletionKind::Join(_));
            prop_assert!(
                self.parked.remove(&(done.member_id.clone(), is_join)),
                "completion for a request that was not parked: {:?}",
                done
            );
            let idx = self
                .clients
                .iter()
                .position(|c| c.member_id.as_ref() == Some(&done.member_id));
            match done.kind {
                CompletionKind::Join(r) => self.on_join(idx, r),
                // A failed sync needs no action: the client will learn to
                // rejoin from its next heartbeat.
                CompletionKind::Sync(_) => {}
            }
        }
        Ok(())
    }

    fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
        match *op {
            Op::Join {
                c,
                alt,
                restart,
                kip394,
            } => {
                if restart {
                    self.clients[c] = Client::default();
                }
                let member = self.clients[c].member_id.clone().unwrap_or_default();
                let req = JoinRequest {
                    member_id: member,
                    group_instance_id: instance(c),
                    client_id: format!("c{c}"),
                    protocols: if alt {
                        protocols(&["range", "roundrobin"], &["t", "u"])
                    } else {
                        protocols(&["range"], &["t"])
                    },
                    require_known_member_id: kip394 && instance(c).is_none(),
                    ..jreq("")
                };
                let key = req.member_id.clone();
                match self.h.join(req) {
                    JoinReply::Pending { member_id } => {
                        self.clients[c].member_id = Some(member_id.clone());
                        self.parked.insert((member_id, true));
                    }
                    JoinReply::Done(r) => {
                        // A direct answer also answers an older parked join
                        // of the same member (the async layer's rule).
                        self.parked.remove(&(key, true));
                        self.on_join(Some(c), r);
                    }
                }
            }
            Op::Sync { c } => {
                let client = self.clients[c].clone();
                let Some(id) = client.member_id else {
                    return Ok(());
                };
                let assignments = client
                    .members
                    .iter()
                    .map(|m| (m.clone(), Bytes::from(format!("for-{m}"))))
                    .collect();
                let req = SyncRequest {
                    member_id: id.clone(),
                    group_instance_id: instance(c),
                    generation: Generation(client.generation),
                    protocol_type: None,
                    protocol_name: None,
                    assignments,
                };
                match self.h.sync_req(req) {
                    SyncReply::Pending { member_id } => {
                        self.parked.insert((member_id, false));
                    }
                    SyncReply::Done(_) => {
                        self.parked.remove(&(id, false));
                    }
                }
            }
            Op::Heartbeat { c } => {
                let client = self.clients[c].clone();
                let Some(id) = client.member_id else {
                    return Ok(());
                };
                let r = self.h.heartbeat_as(&id, instance(c), client.generation);
                if matches!(r, Err(GroupError::UnknownMemberId | GroupError::FencedInstanceId)) {
                    self.clients[c] = Client::default();
                }
            }
            Op::Leave { c } => {
                let Some(id) = self.clients[c].member_id.clone() else {
                    return Ok(());
                };
                let leave = LeaveMember {
                    member_id: id,
                    group_instance_id: instance(c),
                };
                self.h
                    .leave(&[leave])
                    .map_err(|e| TestCaseError::fail(format!("{e}")))?;
                self.clients[c] = Client::default();
            }
            Op::Commit { c } => {
                let client = self.clients[c].clone();
                let req = OffsetCommitRequest {
                    member_id: client.member_id.clone().unwrap_or_default(),
                    group_instance_id: client.member_id.as_ref().and(instance(c)),
                    generation: if client.member_id.is_some() {
                        Generation(client.generation)
                    } else {
                        Generation::UNKNOWN
                    },
                    retention_ms: None,
                    partitions: vec![OffsetCommitEntry {
                        partition: TopicPartition::new("t", c as i32),
                        offset: 1,
                        leader_epoch: None,
                        metadata: None,
                    }],
                };
                let gid = self.h.gid.clone();
                let mut fx = Effects::new();
                let out = self.h.coord.commit_offsets(&gid, &req, self.h.now, &mut fx);
                self.h.completions.extend(fx.completions);
                self.h.writes.extend(fx.writes);
                if let Some((_, pending)) = out.write {
                    self.h.coord.finish_commit(pending, Ok(()));
                }
            }
            Op::Advance { ms } => self.h.advance(ms),
            Op::Writes { ok } => self
                .h
                .finish_writes(if ok { Ok(()) } else { Err(AppendError(19)) }),
        }
        self.drain_completions()?;
        self.check()
    }

    fn check(&mut self) -> Result<(), TestCaseError> {
        let Some(g) = self.h.coord.group(&self.h.gid) else {
            self.last_generation = None;
            return Ok(());
        };
        let generation = g.generation().0;
        if let Some(last) = self.last_generation {
            prop_assert!(
                generation >= last,
                "generation went back {} -> {}",
                last,
                generation
            );
        }
        self.last_generation = Some(generation);
        let members: Vec<&Member> = g.members().collect();
        match g.leader() {
            Some(l) => prop_assert!(g.member(l).is_some(), "leader {} is not a member", l),
            None => prop_assert!(members.is_empty(), "members without a leader"),
        }
        prop_assert_eq!(
            g.num_awaiting_join(),
            members.iter().filter(|m| m.awaiting_join).count()
        );
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for m in &members {
            for p in &m.protocols {
                *counts.entry(p.name.as_str()).or_default() += 1;
            }
            if let Some(i) = &m.instance_id {
                prop_assert_eq!(g.static_member_id(i), Some(&m.id));
            }
        }
        for (name, n) in &counts {
            let common = *n == members.len();
            if common {
                prop_assert!(
                    g.supports_protocols("consumer", &[Protocol::new(*name, Bytes::new())])
                        || g.state() == GroupState::Empty
                );
            }
        }
        match g.state() {
            GroupState::Empty => prop_assert!(members.is_empty()),
            GroupState::PreparingRebalance => {
                prop_assert!(g.join_timer.is_some(), "a rebalance without a deadline")
            }
            GroupState::CompletingRebalance | GroupState::Stable => {
                prop_assert!(!members.is_empty());
                let protocol = g.protocol_name().map(str::to_owned);
                prop_assert!(protocol.is_some());
                let protocol = protocol.unwrap_or_default();
                prop_assert!(members.iter().all(|m| m.supports(&protocol)));
                if g.state() == GroupState::Stable {
                    prop_assert!(members.iter().all(|m| !m.awaiting_sync));
                    prop_assert!(
                        members.iter().all(|m| !m.assignment.is_empty()),
                        "a Stable member without assignment"
                    );
                } else if g.pending_sync_ids().next().is_some() {
                    prop_assert!(g.sync_timer.is_some());
                }
            }
            GroupState::Dead => prop_assert!(false, "dead group kept"),
        }
        Ok(())
    }

    /// Clients go quiet: finish writes and let time pass until nothing is
    /// parked any more.
    fn quiesce(&mut self) -> Result<(), TestCaseError> {
        for _ in 0..20 {
            self.h.finish_writes(Ok(()));
            self.h.advance(60_000);
            self.drain_completions()?;
            self.check()?;
        }
        prop_assert!(
            self.parked.is_empty(),
            "requests never answered: {:?}",
            self.parked
        );
        if let Some(g) = self.h.coord.group(&self.h.gid) {
            prop_assert_eq!(g.state(), GroupState::Empty, "silent members expired");
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(400),
        // Regressions go to the test output, not into the source tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_client_behaviour_keeps_invariants(ops in proptest::collection::vec(op(), 1..80)) {
        let mut world = World::new();
        for op in &ops {
            world.apply(op)?;
        }
        world.quiesce()?;
    }
}
