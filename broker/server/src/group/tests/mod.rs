//! Tests of the group coordinator, driven by a scripted clock.

mod coordinator;
mod join;
mod leave;
mod load;
mod offsets;
mod prop;
mod records;
mod static_members;
mod sync;
mod timers;

use bytes::{BufMut, Bytes, BytesMut};
use uuid::Uuid;

use super::*;

pub const SESSION: i32 = 10_000;
pub const REBALANCE: i32 = 30_000;

/// A config with short, distinct timeouts so tests can tell them apart.
pub fn config() -> GroupConfig {
    GroupConfig {
        min_session_timeout_ms: 1_000,
        max_session_timeout_ms: 60_000,
        initial_rebalance_delay_ms: 3_000,
        max_size: 100,
        new_member_join_timeout_ms: 120_000,
        offsets_retention_ms: 1_000_000,
        offset_metadata_max_bytes: 16,
    }
}

/// A ConsumerProtocolSubscription (version 1, no owned partitions).
pub fn subscription(topics: &[&str]) -> Bytes {
    let mut b = BytesMut::new();
    b.put_i16(1);
    b.put_i32(topics.len() as i32);
    for t in topics {
        b.put_i16(t.len() as i16);
        b.put_slice(t.as_bytes());
    }
    b.put_i32(-1); // null user data
    b.put_i32(0); // owned partitions: empty
    b.freeze()
}

pub fn protocols(names: &[&str], topics: &[&str]) -> Vec<Protocol> {
    names
        .iter()
        .map(|n| Protocol::new(*n, subscription(topics)))
        .collect()
}

/// A JoinGroup for a dynamic member of a "consumer" group using "range".
pub fn jreq(member: &str) -> JoinRequest {
    JoinRequest {
        member_id: MemberId::new(member),
        group_instance_id: None,
        client_id: "client".into(),
        client_host: "/127.0.0.1".into(),
        session_timeout_ms: SESSION,
        rebalance_timeout_ms: REBALANCE,
        protocol_type: "consumer".into(),
        protocols: protocols(&["range"], &["t"]),
        require_known_member_id: false,
        supports_skip_assignment: false,
    }
}

pub fn static_jreq(member: &str, instance: &str) -> JoinRequest {
    JoinRequest {
        group_instance_id: Some(GroupInstanceId::new(instance)),
        ..jreq(member)
    }
}

pub fn mid(s: &str) -> MemberId {
    MemberId::new(s)
}

/// One coordinator, one group id, a clock and the effects seen so far.
pub struct Harness {
    pub coord: GroupCoordinator,
    pub gid: GroupId,
    pub now: i64,
    next_uuid: u128,
    pub completions: Vec<Completion>,
    pub writes: Vec<PendingWrite>,
}

impl Harness {
    pub fn new() -> Self {
        Self::with_config(config())
    }

    pub fn with_config(config: GroupConfig) -> Self {
        Self {
            coord: GroupCoordinator::new(config),
            gid: GroupId::new("g"),
            now: 1_000_000,
            next_uuid: 1,
            completions: Vec::new(),
            writes: Vec::new(),
        }
    }

    fn absorb(&mut self, fx: Effects) {
        self.completions.extend(fx.completions);
        self.writes.extend(fx.writes);
    }

    pub fn group(&self) -> &Group {
        self.coord.group(&self.gid).expect("group exists")
    }

    pub fn state(&self) -> GroupState {
        self.group().state()
    }

    pub fn join(&mut self, req: JoinRequest) -> JoinReply {
        let mut fx = Effects::new();
        let fresh = Uuid::from_u128(self.next_uuid);
        self.next_uuid += 1;
        let gid = self.gid.clone();
        let r = self.coord.join(&gid, req, self.now, fresh, &mut fx);
        self.absorb(fx);
        r
    }

    /// Joins a new dynamic member (no KIP-394) and returns its member id.
    pub fn join_new(&mut self, client: &str) -> MemberId {
        let req = JoinRequest {
            client_id: client.into(),
            ..jreq("")
        };
        match self.join(req) {
            JoinReply::Pending { member_id } => member_id,
            JoinReply::Done(Ok(r)) => r.member_id,
            other => panic!("unexpected join reply {other:?}"),
        }
    }

    pub fn sync(
        &mut self,
        member: &MemberId,
        generation: i32,
        assignments: Vec<(MemberId, Bytes)>,
    ) -> SyncReply {
        let req = SyncRequest {
            member_id: member.clone(),
            group_instance_id: self
                .coord
                .group(&self.gid)
                .and_then(|g| g.member(member))
                .and_then(|m| m.instance_id.clone()),
            generation: Generation(generation),
            protocol_type: Some("consumer".into()),
            protocol_name: None,
            assignments,
        };
        self.sync_req(req)
    }

    pub fn sync_req(&mut self, req: SyncRequest) -> SyncReply {
        let mut fx = Effects::new();
        let gid = self.gid.clone();
        let r = self.coord.sync(&gid, req, self.now, &mut fx);
        self.absorb(fx);
        r
    }

    pub fn heartbeat(&mut self, member: &MemberId, generation: i32) -> Result<(), GroupError> {
        let instance = self
            .coord
            .group(&self.gid)
            .and_then(|g| g.member(member))
            .and_then(|m| m.instance_id.clone());
        self.heartbeat_as(member, instance, generation)
    }

    pub fn heartbeat_as(
        &mut self,
        member: &MemberId,
        instance: Option<GroupInstanceId>,
        generation: i32,
    ) -> Result<(), GroupError> {
        let mut fx = Effects::new();
        let req = HeartbeatRequest {
            member_id: member.clone(),
            group_instance_id: instance,
            generation: Generation(generation),
        };
        let gid = self.gid.clone();
        let r = self.coord.heartbeat(&gid, &req, self.now, &mut fx);
        self.absorb(fx);
        r
    }

    pub fn leave(&mut self, members: &[LeaveMember]) -> Result<Vec<LeaveResult>, GroupError> {
        let mut fx = Effects::new();
        let gid = self.gid.clone();
        let r = self.coord.leave(&gid, members, self.now, &mut fx);
        self.absorb(fx);
        r
    }

    pub fn advance(&mut self, ms: i64) {
        self.now += ms;
        let mut fx = Effects::new();
        self.coord.tick(self.now, &mut fx);
        self.absorb(fx);
    }

    /// Completes every pending write with `outcome`.
    pub fn finish_writes(&mut self, outcome: AppendResult) {
        let writes = std::mem::take(&mut self.writes);
        for w in writes {
            let mut fx = Effects::new();
            self.coord.write_completed(w.token, outcome, self.now, &mut fx);
            self.absorb(fx);
        }
    }

    /// Removes and returns the join completion for `member`.
    pub fn take_join(&mut self, member: &MemberId) -> Option<Result<JoinResponse, JoinError>> {
        let pos = self
            .completions
            .iter()
            .position(|c| &c.member_id == member && matches!(c.kind, CompletionKind::Join(_)))?;
        self.completions.remove(pos).kind.into_join()
    }

    pub fn take_sync(&mut self, member: &MemberId) -> Option<Result<SyncResponse, GroupError>> {
        let pos = self
            .completions
            .iter()
            .position(|c| &c.member_id == member && matches!(c.kind, CompletionKind::Sync(_)))?;
        self.completions.remove(pos).kind.into_sync()
    }

    /// Brings `clients` to a Stable group (generation returned), each member
    /// assigned its own id as bytes.
    pub fn stable_group(&mut self, clients: &[&str]) -> (Vec<MemberId>, i32) {
        let ids: Vec<MemberId> = clients.iter().map(|c| self.join_new(c)).collect();
        // Members after the first extend the initial delay once.
        let delay = i64::from(config().initial_rebalance_delay_ms);
        self.advance(if ids.len() > 1 { 2 * delay } else { delay });
        let mut generation = 0;
        for id in &ids {
            let r = self.take_join(id).expect("join completed").expect("join ok");
            generation = r.generation.0;
        }
        assert_eq!(self.state(), GroupState::CompletingRebalance);
        let leader = self.group().leader().cloned().expect("leader");
        let assignments: Vec<(MemberId, Bytes)> = ids
            .iter()
            .map(|id| (id.clone(), Bytes::from(id.0.clone())))
            .collect();
        for id in &ids {
            let a = if *id == leader {
                assignments.clone()
            } else {
                Vec::new()
            };
            assert!(self.sync(id, generation, a).done().is_none(), "sync parks");
        }
        self.finish_writes(Ok(()));
        for id in &ids {
            let r = self.take_sync(id).expect("sync completed").expect("sync ok");
            assert_eq!(r.assignment, Bytes::from(id.0.clone()));
        }
        assert_eq!(self.state(), GroupState::Stable);
        (ids, generation)
    }
}
