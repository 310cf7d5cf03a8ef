//! The librdkafka consumer-group admin calls that `rdkafka` 0.39 does not wrap, through
//! its re-exported C bindings:
//!
//! - ListConsumerGroups (ListGroups to every broker, with a state filter, KIP-518);
//! - `rd_kafka_list_groups` (ListGroups + DescribeGroups): the one call that returns
//!   members' raw assignment bytes, which we decode ourselves, and the coordinator;
//! - ListConsumerGroupOffsets (OffsetFetch), AlterConsumerGroupOffsets (OffsetCommit
//!   as a non-member, generation -1), DeleteConsumerGroupOffsets (OffsetDelete);
//! - ListOffsets (earliest / latest / by timestamp, batched per leader).
//!
//! Every function blocks (callers run it on a blocking thread) and owns each native
//! object through a small guard, so every early return frees it. The guards repeat
//! the pattern of `cli/ffi.rs`, whose helpers are private to that module.

use std::collections::{BTreeMap, HashMap};
use std::ffi::{c_char, CStr, CString};
use std::ptr::NonNull;
use std::time::{Duration, Instant};

use rdkafka::bindings as rd;
use rdkafka::client::{Client, ClientContext};
use rdkafka::consumer::BaseConsumer;
use rdkafka::types::{RDKafkaErrorCode, RDKafkaRespErr};
use rdkafka::ClientConfig;

use super::error::{kafka_error_name, CliError};
use super::ffi::{error_name, error_text};
use super::group_model::{Coordinator, GroupListing, GroupState, RawGroup, RawMember, TopicPartition};

const NO_ERROR: RDKafkaRespErr = RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR;

/// Extra wait beyond the request timeout, so librdkafka's own timeout error (with a
/// proper code) arrives before ours.
const GRACE: Duration = Duration::from_secs(5);

/// A native object destroyed with `destroy` when dropped.
struct Owned<T> {
    ptr: NonNull<T>,
    destroy: unsafe extern "C" fn(*mut T),
}

impl<T> Owned<T> {
    fn new(ptr: *mut T, destroy: unsafe extern "C" fn(*mut T), what: &str) -> Result<Self, CliError> {
        NonNull::new(ptr)
            .map(|ptr| Owned { ptr, destroy })
            .ok_or_else(|| CliError::Native(format!("{what} returned null")))
    }

    fn as_ptr(&self) -> *mut T {
        self.ptr.as_ptr()
    }
}

impl<T> Drop for Owned<T> {
    fn drop(&mut self) {
        // SAFETY: we own the object and drop it exactly once.
        unsafe { (self.destroy)(self.ptr.as_ptr()) }
    }
}

/// Copies a C string owned by librdkafka; null becomes an empty string.
///
/// # Safety
/// `ptr` must be null or point to a NUL-terminated string valid for this call.
unsafe fn string(ptr: *const c_char) -> String {
    if ptr.is_null() {
        String::new()
    } else {
        CStr::from_ptr(ptr).to_string_lossy().into_owned()
    }
}

fn cstring(what: &str, s: &str) -> Result<CString, CliError> {
    CString::new(s).map_err(|_| CliError::invalid(what, format!("{s:?} contains a NUL byte")))
}

fn broker_error(op: &str, resource: &str, code: RDKafkaErrorCode, message: String) -> CliError {
    CliError::Broker {
        op: op.to_string(),
        resource: resource.to_string(),
        code: kafka_error_name(&error_name(code)).to_string(),
        message: if message.is_empty() {
            error_text(code)
        } else {
            message
        },
    }
}

/// Takes ownership of an `rd_kafka_error_t` returned by a setter and turns it into a
/// `CliError`; `Ok` when it is null.
fn check_error(err: *mut rd::rd_kafka_error_t, what: &str) -> Result<(), CliError> {
    let Some(err) = NonNull::new(err) else {
        return Ok(());
    };
    // SAFETY: we own the error and destroy it after reading its message.
    let msg = unsafe {
        let m = string(rd::rd_kafka_error_string(err.as_ptr()));
        rd::rd_kafka_error_destroy(err.as_ptr());
        m
    };
    Err(CliError::Native(format!("{what}: {msg}")))
}

/// The partitions of a result: (partition, offset, error).
type PartitionResults = Vec<(TopicPartition, i64, RDKafkaRespErr)>;

/// A request-level error of an admin call: its code and librdkafka's message.
type RequestError = (RDKafkaErrorCode, String);

/// Runs one admin call: builds options with the request timeout (plus `configure`),
/// issues it with `call` on a private queue, and returns the result event of type
/// `event_type` after checking its request-level error.
fn admin_call<C: ClientContext>(
    client: &Client<C>,
    op: rd::rd_kafka_admin_op_t,
    event_type: i32,
    (op_name, resource): (&str, &str),
    timeout: Duration,
    configure: impl FnOnce(*mut rd::rd_kafka_AdminOptions_t) -> Result<(), CliError>,
    call: impl FnOnce(*mut rd::rd_kafka_t, *const rd::rd_kafka_AdminOptions_t, *mut rd::rd_kafka_queue_t),
) -> Result<Owned<rd::rd_kafka_event_t>, CliError> {
    admin_call_raw(client, op, event_type, timeout, configure, call)?
        .map_err(|(code, message)| broker_error(op_name, resource, code, message))
}

/// `admin_call`, leaving the request-level error to the caller.
fn admin_call_raw<C: ClientContext>(
    client: &Client<C>,
    op: rd::rd_kafka_admin_op_t,
    event_type: i32,
    timeout: Duration,
    configure: impl FnOnce(*mut rd::rd_kafka_AdminOptions_t) -> Result<(), CliError>,
    call: impl FnOnce(*mut rd::rd_kafka_t, *const rd::rd_kafka_AdminOptions_t, *mut rd::rd_kafka_queue_t),
) -> Result<Result<Owned<rd::rd_kafka_event_t>, RequestError>, CliError> {
    let rk = client.native_ptr();
    // SAFETY: rk is a live client handle for the whole call.
    let options = Owned::new(
        unsafe { rd::rd_kafka_AdminOptions_new(rk, op) },
        rd::rd_kafka_AdminOptions_destroy,
        "rd_kafka_AdminOptions_new",
    )?;
    let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
    let mut errstr = [0 as c_char; 256];
    // SAFETY: options is alive; errstr is writable and its size is passed.
    let err = unsafe {
        rd::rd_kafka_AdminOptions_set_request_timeout(options.as_ptr(), ms, errstr.as_mut_ptr(), errstr.len())
    };
    if err != NO_ERROR {
        // SAFETY: librdkafka NUL-terminates errstr.
        let msg = unsafe { string(errstr.as_ptr()) };
        return Err(CliError::Native(format!("request timeout: {msg}")));
    }
    configure(options.as_ptr())?;
    // SAFETY: rk is alive.
    let queue = Owned::new(
        unsafe { rd::rd_kafka_queue_new(rk) },
        rd::rd_kafka_queue_destroy,
        "rd_kafka_queue_new",
    )?;
    call(rk, options.as_ptr(), queue.as_ptr());

    let wait = timeout + GRACE;
    let deadline = Instant::now() + wait;
    let event = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(CliError::Timeout(wait));
        }
        let ms = i32::try_from(left.as_millis()).unwrap_or(i32::MAX).max(1);
        // SAFETY: the queue is alive; poll returns null or an event we then own.
        let ev = unsafe { rd::rd_kafka_queue_poll(queue.as_ptr(), ms) };
        if ev.is_null() {
            continue;
        }
        let ev = Owned::new(ev, rd::rd_kafka_event_destroy, "rd_kafka_queue_poll")?;
        // SAFETY: ev is a valid event.
        if unsafe { rd::rd_kafka_event_type(ev.as_ptr()) } == event_type {
            break ev;
        }
    };
    // SAFETY: the event is alive; its error string lives as long as the event.
    let err = unsafe { rd::rd_kafka_event_error(event.as_ptr()) };
    if err != NO_ERROR {
        let message = unsafe { string(rd::rd_kafka_event_error_string(event.as_ptr())) };
        return Ok(Err((RDKafkaErrorCode::from(err), message)));
    }
    Ok(Ok(event))
}

/// Pause between attempts after a coordinator error.
const RETRY_BACKOFF: Duration = Duration::from_millis(200);

/// Errors that mean "ask again, maybe elsewhere": the coordinator moved or is loading.
fn is_coordinator_error(code: RDKafkaErrorCode) -> bool {
    matches!(
        code,
        RDKafkaErrorCode::CoordinatorNotAvailable
            | RDKafkaErrorCode::NotCoordinator
            | RDKafkaErrorCode::CoordinatorLoadInProgress
    )
}

/// Runs `attempt` (given the time left) until it succeeds, fails for good, or the
/// time is up. Coordinator errors are retried, as Kafka's admin client does: the
/// coordinator moves, or is still loading `__consumer_offsets` (a fresh cluster's
/// first group request creates that topic).
fn with_coordinator_retry<T>(
    (op, resource): (&str, &str),
    timeout: Duration,
    mut attempt: impl FnMut(Duration) -> Result<Result<T, RequestError>, CliError>,
) -> Result<T, CliError> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline
            .saturating_duration_since(Instant::now())
            .max(RETRY_BACKOFF);
        let (code, message) = match attempt(left)? {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        if !is_coordinator_error(code) || Instant::now() + RETRY_BACKOFF >= deadline {
            return Err(broker_error(op, resource, code, message));
        }
        tracing::debug!(op, resource, ?code, "coordinator not ready; retrying");
        std::thread::sleep(RETRY_BACKOFF);
    }
}

/// A native topic-partition list holding `entries` (offset `None` leaves librdkafka's
/// default, "invalid").
fn partition_list(
    entries: &[(TopicPartition, Option<i64>)],
) -> Result<Owned<rd::rd_kafka_topic_partition_list_t>, CliError> {
    let size = i32::try_from(entries.len()).map_err(|_| CliError::invalid("partitions", "too many"))?;
    // SAFETY: creates an empty list we own.
    let list = Owned::new(
        unsafe { rd::rd_kafka_topic_partition_list_new(size) },
        rd::rd_kafka_topic_partition_list_destroy,
        "rd_kafka_topic_partition_list_new",
    )?;
    for (tp, offset) in entries {
        let topic = cstring("topic", &tp.topic)?;
        // SAFETY: list and topic are valid; librdkafka copies the name and returns
        // the element, which lives as long as the list.
        let elem =
            unsafe { rd::rd_kafka_topic_partition_list_add(list.as_ptr(), topic.as_ptr(), tp.partition) };
        if elem.is_null() {
            return Err(CliError::Native(
                "rd_kafka_topic_partition_list_add returned null".into(),
            ));
        }
        if let Some(o) = offset {
            // SAFETY: elem points into the list.
            unsafe { (*elem).offset = *o };
        }
    }
    Ok(list)
}

/// (partition, offset, error) of every element of a list owned by a result.
///
/// # Safety
/// `list` must be null or a valid list that outlives this call.
unsafe fn read_partitions(list: *const rd::rd_kafka_topic_partition_list_t) -> PartitionResults {
    if list.is_null() {
        return Vec::new();
    }
    let list = &*list;
    let count = usize::try_from(list.cnt).unwrap_or(0);
    (0..count)
        .map(|i| {
            let e = &*list.elems.add(i);
            (TopicPartition::new(string(e.topic), e.partition), e.offset, e.err)
        })
        .collect()
}

/// A group's result in an admin response: its group-level error, if any, and its
/// partitions with offset and error.
type GroupResult = (Option<(RDKafkaErrorCode, String)>, PartitionResults);

/// The group results of a result event: (request-level error of the group, its
/// partitions).
///
/// # Safety
/// `groups` must point to `count` valid group results owned by a live event.
unsafe fn read_group_result(
    groups: *mut *const rd::rd_kafka_group_result_t,
    count: usize,
) -> Option<GroupResult> {
    if groups.is_null() || count == 0 {
        return None;
    }
    let g = *groups;
    let err = rd::rd_kafka_group_result_error(g);
    let error = (!err.is_null() && rd::rd_kafka_error_code(err) != NO_ERROR).then(|| {
        (
            RDKafkaErrorCode::from(rd::rd_kafka_error_code(err)),
            string(rd::rd_kafka_error_string(err)),
        )
    });
    Some((error, read_partitions(rd::rd_kafka_group_result_partitions(g))))
}

fn state_code(s: GroupState) -> rd::rd_kafka_consumer_group_state_t {
    use rd::rd_kafka_consumer_group_state_t as S;
    match s {
        GroupState::PreparingRebalance => S::RD_KAFKA_CONSUMER_GROUP_STATE_PREPARING_REBALANCE,
        GroupState::CompletingRebalance => S::RD_KAFKA_CONSUMER_GROUP_STATE_COMPLETING_REBALANCE,
        GroupState::Stable => S::RD_KAFKA_CONSUMER_GROUP_STATE_STABLE,
        GroupState::Dead => S::RD_KAFKA_CONSUMER_GROUP_STATE_DEAD,
        GroupState::Empty => S::RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY,
        GroupState::Assigning | GroupState::Reconciling | GroupState::Unknown => {
            S::RD_KAFKA_CONSUMER_GROUP_STATE_UNKNOWN
        }
    }
}

/// Consumer groups of the whole cluster, optionally only those in `states`. Brokers
/// that failed are reported in the second vector (the listing is then partial).
pub fn list_consumer_groups<C: ClientContext>(
    client: &Client<C>,
    states: &[GroupState],
    timeout: Duration,
) -> Result<(Vec<GroupListing>, Vec<String>), CliError> {
    let codes: Vec<rd::rd_kafka_consumer_group_state_t> = states.iter().map(|s| state_code(*s)).collect();
    let event = admin_call(
        client,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS,
        rd::RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT,
        ("ListGroups", "cluster"),
        timeout,
        |opts| {
            if codes.is_empty() {
                return Ok(());
            }
            // SAFETY: opts is alive; librdkafka copies the array.
            let err = unsafe {
                rd::rd_kafka_AdminOptions_set_match_consumer_group_states(opts, codes.as_ptr(), codes.len())
            };
            check_error(err, "state filter")
        },
        // SAFETY (closure body): handles are alive for the call.
        |rk, opts, q| unsafe { rd::rd_kafka_ListConsumerGroups(rk, opts, q) },
    )?;
    // SAFETY: the event has the matching type; everything read below is owned by it
    // and copied out before it is dropped.
    unsafe {
        let result = rd::rd_kafka_event_ListConsumerGroups_result(event.as_ptr());
        let mut count = 0usize;
        let valid = rd::rd_kafka_ListConsumerGroups_result_valid(result, &mut count);
        let mut groups = Vec::with_capacity(count);
        for i in 0..count {
            let l = *valid.add(i);
            let state = string(rd::rd_kafka_consumer_group_state_name(
                rd::rd_kafka_ConsumerGroupListing_state(l),
            ));
            groups.push(GroupListing {
                group_id: string(rd::rd_kafka_ConsumerGroupListing_group_id(l)),
                state: GroupState::from_name(&state),
            });
        }
        let mut err_count = 0usize;
        let errs = rd::rd_kafka_ListConsumerGroups_result_errors(result, &mut err_count);
        let errors = (0..err_count)
            .map(|i| {
                let e = *errs.add(i);
                let code = RDKafkaErrorCode::from(rd::rd_kafka_error_code(e));
                format!(
                    "{}: {}",
                    kafka_error_name(&error_name(code)),
                    string(rd::rd_kafka_error_string(e))
                )
            })
            .collect();
        Ok((groups, errors))
    }
}

/// Describes one group through ListGroups + DescribeGroups (`rd_kafka_list_groups`),
/// which keeps each member's assignment bytes. `None` when no broker lists the group:
/// Kafka's "Dead" (it has neither members nor committed offsets). A coordinator
/// that is still loading its partition is asked again until `timeout`.
pub fn describe_group<C: ClientContext>(
    client: &Client<C>,
    group: &str,
    timeout: Duration,
) -> Result<Option<RawGroup>, CliError> {
    let resource = format!("group '{group}'");
    let name = cstring("group", group)?;
    with_coordinator_retry(("ListGroups/DescribeGroups", &resource), timeout, |left| {
        describe_group_once(client, &name, group, left)
    })
}

fn describe_group_once<C: ClientContext>(
    client: &Client<C>,
    name: &CStr,
    group: &str,
    timeout: Duration,
) -> Result<Result<Option<RawGroup>, RequestError>, CliError> {
    struct GroupList(*const rd::rd_kafka_group_list);
    impl Drop for GroupList {
        fn drop(&mut self) {
            if !self.0.is_null() {
                // SAFETY: we own the list librdkafka returned.
                unsafe { rd::rd_kafka_group_list_destroy(self.0) }
            }
        }
    }
    let rk = client.native_ptr();
    let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
    let mut list = GroupList(std::ptr::null());
    // SAFETY: rk and name are valid; on return list.0 is null or a list we own.
    let err = unsafe { rd::rd_kafka_list_groups(rk, name.as_ptr(), &mut list.0, ms) };
    // _PARTIAL: some broker did not answer, but one that did listed the group, and the
    // group's own coordinator is the broker that lists it — so the description is whole.
    let partial_but_found = err == RDKafkaRespErr::RD_KAFKA_RESP_ERR__PARTIAL && !list.0.is_null();
    if err != NO_ERROR && !partial_but_found {
        return Ok(Err((RDKafkaErrorCode::from(err), String::new())));
    }
    if list.0.is_null() {
        return Ok(Ok(None));
    }
    // SAFETY: the list and everything it points to live until `list` is dropped; all
    // strings and bytes are copied out.
    unsafe {
        let l = &*list.0;
        let count = usize::try_from(l.group_cnt).unwrap_or(0);
        for i in 0..count {
            let g = &*l.groups.add(i);
            if string(g.group) != group {
                continue;
            }
            if g.err == RDKafkaRespErr::RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND {
                return Ok(Ok(None));
            }
            if g.err != NO_ERROR {
                return Ok(Err((RDKafkaErrorCode::from(g.err), String::new())));
            }
            let member_count = usize::try_from(g.member_cnt).unwrap_or(0);
            let mut members = Vec::with_capacity(member_count);
            for j in 0..member_count {
                let m = &*g.members.add(j);
                let len = usize::try_from(m.member_assignment_size).unwrap_or(0);
                let assignment = if m.member_assignment.is_null() || len == 0 {
                    Vec::new()
                } else {
                    std::slice::from_raw_parts(m.member_assignment as *const u8, len).to_vec()
                };
                members.push(RawMember {
                    member_id: string(m.member_id),
                    client_id: string(m.client_id),
                    client_host: string(m.client_host),
                    assignment,
                });
            }
            return Ok(Ok(Some(RawGroup {
                group_id: group.to_string(),
                coordinator: Coordinator {
                    id: g.broker.id,
                    host: string(g.broker.host),
                    port: g.broker.port,
                },
                state: string(g.state),
                protocol_type: string(g.protocol_type),
                protocol: string(g.protocol),
                members,
            })));
        }
    }
    Ok(Ok(None))
}

/// Committed offsets of `group` (OffsetFetch): of `partitions`, or of every partition
/// the group has committed when `None`. Partitions without a commit are left out.
///
/// Runs on a consumer handle of its own, with `group.id` = `group` but never joining:
/// librdkafka 2.12's ListConsumerGroupOffsets answers a NOT_COORDINATOR-like error by
/// asking the handle's consumer-group object to re-query the coordinator, and a plain
/// admin (producer) handle has none, so it dereferences null and crashes the process.
pub fn committed_offsets(
    config: &ClientConfig,
    group: &str,
    partitions: Option<&[TopicPartition]>,
    timeout: Duration,
) -> Result<BTreeMap<TopicPartition, i64>, CliError> {
    const OP: &str = "OffsetFetch";
    let resource = format!("group '{group}'");
    let name = cstring("group", group)?;
    let list = match partitions {
        Some([]) => return Ok(BTreeMap::new()),
        Some(ps) => Some(partition_list(
            &ps.iter().map(|tp| (tp.clone(), None)).collect::<Vec<_>>(),
        )?),
        None => None,
    };
    let list_ptr = list.as_ref().map_or(std::ptr::null(), |l| l.as_ptr() as *const _);
    let consumer: BaseConsumer = config
        .clone()
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .map_err(|e| CliError::client("creating the offset-fetch client", e))?;
    let client = rdkafka::consumer::Consumer::client(&consumer);
    let parts = with_coordinator_retry((OP, &resource), timeout, |left| {
        // SAFETY: name and the optional list are valid; librdkafka copies them.
        let request = Owned::new(
            unsafe { rd::rd_kafka_ListConsumerGroupOffsets_new(name.as_ptr(), list_ptr) },
            rd::rd_kafka_ListConsumerGroupOffsets_destroy,
            "rd_kafka_ListConsumerGroupOffsets_new",
        )?;
        let event = match admin_call_raw(
            client,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS,
            rd::RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT,
            left,
            |_| Ok(()),
            |rk, opts, q| {
                let mut reqs = [request.as_ptr()];
                // SAFETY: the request array, options and queue are alive for the call.
                unsafe { rd::rd_kafka_ListConsumerGroupOffsets(rk, reqs.as_mut_ptr(), 1, opts, q) }
            },
        )? {
            Ok(ev) => ev,
            Err(e) => return Ok(Err(e)),
        };
        // SAFETY: the event has the matching type and outlives the reads.
        let result = unsafe {
            let result = rd::rd_kafka_event_ListConsumerGroupOffsets_result(event.as_ptr());
            let mut count = 0usize;
            let groups = rd::rd_kafka_ListConsumerGroupOffsets_result_groups(result, &mut count);
            read_group_result(groups, count)
        };
        group_result(OP, &resource, result)
    })?;
    let mut out = BTreeMap::new();
    for (tp, offset, err) in parts {
        if err != NO_ERROR {
            let code = RDKafkaErrorCode::from(err);
            return Err(broker_error(
                OP,
                &format!("partition {tp} of {resource}"),
                code,
                String::new(),
            ));
        }
        // librdkafka reports "no committed offset" as RD_KAFKA_OFFSET_INVALID (-1001).
        if offset >= 0 {
            out.insert(tp, offset);
        }
    }
    Ok(out)
}

/// A group result as an attempt's outcome: its group-level error, and a coordinator
/// error on any partition (OffsetCommit has no group-level error field, so brokers
/// report a moved coordinator per partition), are retried by
/// `with_coordinator_retry` like a request-level error.
fn group_result(
    op: &str,
    resource: &str,
    result: Option<GroupResult>,
) -> Result<Result<PartitionResults, RequestError>, CliError> {
    let (error, parts) = result.ok_or_else(|| CliError::Native(format!("{op}: no result for {resource}")))?;
    if let Some(e) = error {
        return Ok(Err(e));
    }
    let moved = parts
        .iter()
        .map(|(_, _, err)| RDKafkaErrorCode::from(*err))
        .find(|code| is_coordinator_error(*code));
    Ok(match moved {
        Some(code) => Err((code, String::new())),
        None => Ok(parts),
    })
}

/// Per-partition outcome of an offset change: `None` = done.
pub type PartitionOutcome = Vec<(TopicPartition, Option<RDKafkaErrorCode>)>;

fn outcomes(parts: PartitionResults) -> PartitionOutcome {
    parts
        .into_iter()
        .map(|(tp, _, err)| (tp, (err != NO_ERROR).then(|| RDKafkaErrorCode::from(err))))
        .collect()
}

/// Commits `offsets` for `group` as a non-member (OffsetCommit with generation -1),
/// which the coordinator accepts only while the group has no members.
pub fn alter_offsets<C: ClientContext>(
    client: &Client<C>,
    group: &str,
    offsets: &[(TopicPartition, i64)],
    timeout: Duration,
) -> Result<PartitionOutcome, CliError> {
    const OP: &str = "OffsetCommit";
    if offsets.is_empty() {
        return Ok(Vec::new());
    }
    let resource = format!("group '{group}'");
    let name = cstring("group", group)?;
    let list = partition_list(
        &offsets
            .iter()
            .map(|(tp, o)| (tp.clone(), Some(*o)))
            .collect::<Vec<_>>(),
    )?;
    let parts = with_coordinator_retry((OP, &resource), timeout, |left| {
        // SAFETY: name and list are valid; librdkafka copies them.
        let request = Owned::new(
            unsafe { rd::rd_kafka_AlterConsumerGroupOffsets_new(name.as_ptr(), list.as_ptr()) },
            rd::rd_kafka_AlterConsumerGroupOffsets_destroy,
            "rd_kafka_AlterConsumerGroupOffsets_new",
        )?;
        let event = match admin_call_raw(
            client,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS,
            rd::RD_KAFKA_EVENT_ALTERCONSUMERGROUPOFFSETS_RESULT,
            left,
            |_| Ok(()),
            |rk, opts, q| {
                let mut reqs = [request.as_ptr()];
                // SAFETY: the request array, options and queue are alive for the call.
                unsafe { rd::rd_kafka_AlterConsumerGroupOffsets(rk, reqs.as_mut_ptr(), 1, opts, q) }
            },
        )? {
            Ok(ev) => ev,
            Err(e) => return Ok(Err(e)),
        };
        // SAFETY: the event has the matching type and outlives the reads.
        let result = unsafe {
            let result = rd::rd_kafka_event_AlterConsumerGroupOffsets_result(event.as_ptr());
            let mut count = 0usize;
            let groups = rd::rd_kafka_AlterConsumerGroupOffsets_result_groups(result, &mut count);
            read_group_result(groups, count)
        };
        group_result(OP, &resource, result)
    })?;
    Ok(outcomes(parts))
}

/// Deletes `group`'s committed offsets of `partitions` (OffsetDelete). A group-level
/// refusal (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, ...) is an error; partition-level
/// ones (GROUP_SUBSCRIBED_TO_TOPIC) are returned per partition.
pub fn delete_offsets<C: ClientContext>(
    client: &Client<C>,
    group: &str,
    partitions: &[TopicPartition],
    timeout: Duration,
) -> Result<PartitionOutcome, CliError> {
    const OP: &str = "OffsetDelete";
    if partitions.is_empty() {
        return Ok(Vec::new());
    }
    let resource = format!("group '{group}'");
    let name = cstring("group", group)?;
    let list = partition_list(&partitions.iter().map(|tp| (tp.clone(), None)).collect::<Vec<_>>())?;
    let parts = with_coordinator_retry((OP, &resource), timeout, |left| {
        // SAFETY: name and list are valid; librdkafka copies them.
        let request = Owned::new(
            unsafe { rd::rd_kafka_DeleteConsumerGroupOffsets_new(name.as_ptr(), list.as_ptr()) },
            rd::rd_kafka_DeleteConsumerGroupOffsets_destroy,
            "rd_kafka_DeleteConsumerGroupOffsets_new",
        )?;
        let event = match admin_call_raw(
            client,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DELETECONSUMERGROUPOFFSETS,
            rd::RD_KAFKA_EVENT_DELETECONSUMERGROUPOFFSETS_RESULT,
            left,
            |_| Ok(()),
            |rk, opts, q| {
                let mut reqs = [request.as_ptr()];
                // SAFETY: the request array, options and queue are alive for the call.
                unsafe { rd::rd_kafka_DeleteConsumerGroupOffsets(rk, reqs.as_mut_ptr(), 1, opts, q) }
            },
        )? {
            Ok(ev) => ev,
            Err(e) => return Ok(Err(e)),
        };
        // SAFETY: the event has the matching type and outlives the reads.
        let result = unsafe {
            let result = rd::rd_kafka_event_DeleteConsumerGroupOffsets_result(event.as_ptr());
            let mut count = 0usize;
            let groups = rd::rd_kafka_DeleteConsumerGroupOffsets_result_groups(result, &mut count);
            read_group_result(groups, count)
        };
        group_result(OP, &resource, result)
    })?;
    Ok(outcomes(parts))
}

/// What ListOffsets looks up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetQuery {
    Earliest,
    Latest,
    /// The first offset whose timestamp is at or after this one (ms); -1 when none.
    Timestamp(i64),
}

/// Offsets of `partitions` by one query (ListOffsets, read_uncommitted, as Kafka's
/// tool uses). A partition the broker refused maps to its error code.
pub fn list_offsets<C: ClientContext>(
    client: &Client<C>,
    partitions: &[TopicPartition],
    query: OffsetQuery,
    timeout: Duration,
) -> Result<HashMap<TopicPartition, Result<i64, RDKafkaErrorCode>>, CliError> {
    if partitions.is_empty() {
        return Ok(HashMap::new());
    }
    let spec = match query {
        OffsetQuery::Earliest => rd::rd_kafka_OffsetSpec_t::RD_KAFKA_OFFSET_SPEC_EARLIEST as i64,
        OffsetQuery::Latest => rd::rd_kafka_OffsetSpec_t::RD_KAFKA_OFFSET_SPEC_LATEST as i64,
        // Negative timestamps would be read as the specs above.
        OffsetQuery::Timestamp(ts) if ts < 0 => {
            return Err(CliError::invalid("timestamp", format!("{ts} is before 1970")))
        }
        OffsetQuery::Timestamp(ts) => ts,
    };
    let mut unique: Vec<TopicPartition> = partitions.to_vec();
    unique.sort();
    unique.dedup();
    let list = partition_list(
        &unique
            .iter()
            .map(|tp| (tp.clone(), Some(spec)))
            .collect::<Vec<_>>(),
    )?;
    let event = admin_call_raw(
        client,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTOFFSETS,
        rd::RD_KAFKA_EVENT_LISTOFFSETS_RESULT,
        timeout,
        |_| Ok(()),
        // SAFETY (closure body): list, options and queue are alive; librdkafka copies
        // the list.
        |rk, opts, q| unsafe { rd::rd_kafka_ListOffsets(rk, list.as_ptr(), opts, q) },
    )?;
    let event = match event {
        Ok(ev) => ev,
        // librdkafka fails the whole request when no partition has a known leader
        // (all belong to deleted topics, say); report that per partition, as it does
        // when only some are affected.
        Err((code, _)) if code == RDKafkaErrorCode::from(RDKafkaRespErr::RD_KAFKA_RESP_ERR__NOENT) => {
            return Ok(unique.into_iter().map(|tp| (tp, Err(code))).collect());
        }
        Err((code, message)) => return Err(broker_error("ListOffsets", "partitions", code, message)),
    };
    let mut out = HashMap::with_capacity(unique.len());
    // SAFETY: the event has the matching type; infos and their partitions live with it.
    unsafe {
        let result = rd::rd_kafka_event_ListOffsets_result(event.as_ptr());
        let mut count = 0usize;
        let infos = rd::rd_kafka_ListOffsets_result_infos(result, &mut count);
        for i in 0..count {
            let p = rd::rd_kafka_ListOffsetsResultInfo_topic_partition(*infos.add(i));
            if p.is_null() {
                continue;
            }
            let p = &*p;
            let tp = TopicPartition::new(string(p.topic), p.partition);
            let value = if p.err == NO_ERROR {
                Ok(p.offset)
            } else {
                Err(RDKafkaErrorCode::from(p.err))
            };
            out.insert(tp, value);
        }
    }
    Ok(out)
}
