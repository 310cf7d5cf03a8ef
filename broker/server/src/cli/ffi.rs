//! The few librdkafka admin calls that `rdkafka` 0.39 does not wrap, called through its
//! re-exported C bindings:
//!
//! - `IncrementalAlterConfigs` (KIP-339): `rdkafka` only offers the legacy, whole-set
//!   `AlterConfigs`, which silently drops every override not listed. Kafka's own tools
//!   moved to the incremental API and a Kavka broker may not implement the legacy one.
//! - `DescribeTopics`: the only librdkafka call that exposes topic ids, which
//!   `topic describe` prints like Kafka's `kafka-topics.sh`.
//! - `rd_kafka_err2name`/`err2str`: Kafka's error code names (TOPIC_ALREADY_EXISTS) for
//!   error messages.
//!
//! Every function is synchronous (it blocks on a private result queue); callers run it
//! on a blocking thread. All native objects are owned by small RAII guards so that
//! every early return frees them.

use std::collections::HashMap;
use std::ffi::{c_char, CStr, CString};
use std::ptr::NonNull;
use std::time::{Duration, Instant};

use rdkafka::admin::AdminClient;
use rdkafka::bindings as rd;
use rdkafka::client::ClientContext;
use rdkafka::types::{RDKafkaErrorCode, RDKafkaRespErr};

use super::describe::topic_id_string;
use super::error::{kafka_error_name, CliError};

/// One change of an incremental config alteration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigOp {
    Set(String, String),
    Delete(String),
}

/// Kafka's name for an error code, e.g. `TOPIC_ALREADY_EXISTS`; librdkafka-local errors
/// start with an underscore (`_TIMED_OUT`).
pub fn error_name(code: RDKafkaErrorCode) -> String {
    match RDKafkaRespErr::try_from(code as i32) {
        // SAFETY: err2name accepts any code and returns a static NUL-terminated string.
        Ok(err) => unsafe { cstr_to_string(rd::rd_kafka_err2name(err)) },
        Err(_) => format!("{code:?}"),
    }
}

/// librdkafka's human-readable description of an error code.
pub fn error_text(code: RDKafkaErrorCode) -> String {
    match RDKafkaRespErr::try_from(code as i32) {
        // SAFETY: as for err2name.
        Ok(err) => unsafe { cstr_to_string(rd::rd_kafka_err2str(err)) },
        Err(_) => "unknown error".to_string(),
    }
}

/// Copies a C string owned by librdkafka; null becomes an empty string.
///
/// # Safety
/// `ptr` must be null or point to a NUL-terminated string valid for this call.
unsafe fn cstr_to_string(ptr: *const c_char) -> String {
    if ptr.is_null() {
        String::new()
    } else {
        CStr::from_ptr(ptr).to_string_lossy().into_owned()
    }
}

fn cstring(what: &str, s: &str) -> Result<CString, CliError> {
    CString::new(s).map_err(|_| CliError::InvalidArgument {
        arg: what.to_string(),
        reason: format!("{s:?} contains a NUL byte"),
    })
}

/// A result queue private to one admin call.
struct Queue(NonNull<rd::rd_kafka_queue_t>);

impl Queue {
    fn new(rk: *mut rd::rd_kafka_t) -> Result<Self, CliError> {
        // SAFETY: rk is a live client handle for the duration of the admin call.
        NonNull::new(unsafe { rd::rd_kafka_queue_new(rk) })
            .map(Queue)
            .ok_or_else(|| CliError::Native("rd_kafka_queue_new returned null".into()))
    }

    /// Waits for the result event of type `want`, ignoring anything else.
    fn wait(&self, want: i32, timeout: Duration) -> Result<Event, CliError> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(CliError::Timeout(timeout));
            }
            let ms = i32::try_from(left.as_millis()).unwrap_or(i32::MAX).max(1);
            // SAFETY: the queue is alive; poll returns null or an owned event.
            let ev = unsafe { rd::rd_kafka_queue_poll(self.0.as_ptr(), ms) };
            if let Some(ev) = NonNull::new(ev).map(Event) {
                // SAFETY: ev is a valid event.
                if unsafe { rd::rd_kafka_event_type(ev.0.as_ptr()) } == want {
                    return Ok(ev);
                }
            }
        }
    }
}

impl Drop for Queue {
    fn drop(&mut self) {
        // SAFETY: we own the queue.
        unsafe { rd::rd_kafka_queue_destroy(self.0.as_ptr()) }
    }
}

struct Event(NonNull<rd::rd_kafka_event_t>);

impl Event {
    /// The request-level error of an admin result event, if any.
    fn check(&self, op: &str) -> Result<(), CliError> {
        // SAFETY: the event is alive; the error string lives as long as the event.
        let err = unsafe { rd::rd_kafka_event_error(self.0.as_ptr()) };
        if err == RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR {
            return Ok(());
        }
        let code = RDKafkaErrorCode::from(err);
        let message = unsafe { cstr_to_string(rd::rd_kafka_event_error_string(self.0.as_ptr())) };
        Err(CliError::Broker {
            op: op.to_string(),
            resource: "request".to_string(),
            code: kafka_error_name(&error_name(code)).to_string(),
            message,
        })
    }
}

impl Drop for Event {
    fn drop(&mut self) {
        // SAFETY: we own the event.
        unsafe { rd::rd_kafka_event_destroy(self.0.as_ptr()) }
    }
}

struct Options(NonNull<rd::rd_kafka_AdminOptions_t>);

impl Options {
    fn new(
        rk: *mut rd::rd_kafka_t,
        op: rd::rd_kafka_admin_op_t,
        timeout: Duration,
    ) -> Result<Self, CliError> {
        // SAFETY: rk is a live client handle.
        let opts = NonNull::new(unsafe { rd::rd_kafka_AdminOptions_new(rk, op) })
            .map(Options)
            .ok_or_else(|| CliError::Native("rd_kafka_AdminOptions_new returned null".into()))?;
        let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        let mut errstr = [0 as c_char; 256];
        // SAFETY: opts is alive and errstr is a writable buffer of the given size.
        let err = unsafe {
            rd::rd_kafka_AdminOptions_set_request_timeout(
                opts.0.as_ptr(),
                ms,
                errstr.as_mut_ptr(),
                errstr.len(),
            )
        };
        if err != RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR {
            // SAFETY: librdkafka NUL-terminates errstr.
            let msg = unsafe { cstr_to_string(errstr.as_ptr()) };
            return Err(CliError::Native(format!("request timeout: {msg}")));
        }
        Ok(opts)
    }
}

impl Drop for Options {
    fn drop(&mut self) {
        // SAFETY: we own the options.
        unsafe { rd::rd_kafka_AdminOptions_destroy(self.0.as_ptr()) }
    }
}

/// Applies `ops` to topic `topic` with one IncrementalAlterConfigs request.
pub fn incremental_alter_topic<C: ClientContext>(
    admin: &AdminClient<C>,
    topic: &str,
    ops: &[ConfigOp],
    timeout: Duration,
) -> Result<(), CliError> {
    const OP: &str = "IncrementalAlterConfigs";
    let rk = admin.inner().native_ptr();
    let name = cstring("topic", topic)?;
    // SAFETY: name is a valid C string; the resource is owned by the guard below.
    let resource = unsafe {
        rd::rd_kafka_ConfigResource_new(
            rd::rd_kafka_ResourceType_t::RD_KAFKA_RESOURCE_TOPIC,
            name.as_ptr(),
        )
    };
    let resource = NonNull::new(resource)
        .ok_or_else(|| CliError::Native("rd_kafka_ConfigResource_new returned null".into()))?;
    struct Resource(NonNull<rd::rd_kafka_ConfigResource_t>);
    impl Drop for Resource {
        fn drop(&mut self) {
            // SAFETY: we own the resource; IncrementalAlterConfigs does not take ownership.
            unsafe { rd::rd_kafka_ConfigResource_destroy(self.0.as_ptr()) }
        }
    }
    let resource = Resource(resource);
    for op in ops {
        let (key, value, kind) = match op {
            ConfigOp::Set(k, v) => (
                cstring("config name", k)?,
                Some(cstring("config value", v)?),
                rd::rd_kafka_AlterConfigOpType_t::RD_KAFKA_ALTER_CONFIG_OP_TYPE_SET,
            ),
            ConfigOp::Delete(k) => (
                cstring("config name", k)?,
                None,
                rd::rd_kafka_AlterConfigOpType_t::RD_KAFKA_ALTER_CONFIG_OP_TYPE_DELETE,
            ),
        };
        let value_ptr = value.as_ref().map_or(std::ptr::null(), |v| v.as_ptr());
        // SAFETY: all pointers are valid for the call; librdkafka copies the strings.
        let err = unsafe {
            rd::rd_kafka_ConfigResource_add_incremental_config(
                resource.0.as_ptr(),
                key.as_ptr(),
                kind,
                value_ptr,
            )
        };
        if let Some(err) = NonNull::new(err) {
            // SAFETY: we own the returned error object and destroy it after reading it.
            let msg = unsafe {
                let m = cstr_to_string(rd::rd_kafka_error_string(err.as_ptr()));
                rd::rd_kafka_error_destroy(err.as_ptr());
                m
            };
            return Err(CliError::InvalidArgument {
                arg: "--config".to_string(),
                reason: msg,
            });
        }
    }
    let options = Options::new(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_INCREMENTALALTERCONFIGS,
        timeout,
    )?;
    let queue = Queue::new(rk)?;
    let mut resources = [resource.0.as_ptr()];
    // SAFETY: the resource array, options and queue outlive the call; librdkafka copies
    // the resources before returning.
    unsafe {
        rd::rd_kafka_IncrementalAlterConfigs(
            rk,
            resources.as_mut_ptr(),
            resources.len(),
            options.0.as_ptr(),
            queue.0.as_ptr(),
        )
    };
    // Give librdkafka a little longer than the request timeout so its own timeout error
    // (with a proper code) wins over ours.
    let event = queue.wait(
        rd::RD_KAFKA_EVENT_INCREMENTALALTERCONFIGS_RESULT,
        timeout + Duration::from_secs(5),
    )?;
    event.check(OP)?;
    let mut count = 0usize;
    // SAFETY: the event is of the matching result type; the array lives with the event.
    let results =
        unsafe { rd::rd_kafka_IncrementalAlterConfigs_result_resources(event.0.as_ptr(), &mut count) };
    for i in 0..count {
        // SAFETY: i < count entries of a valid array.
        let res = unsafe { *results.add(i) };
        let err = unsafe { rd::rd_kafka_ConfigResource_error(res) };
        if err != RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR {
            let code = RDKafkaErrorCode::from(err);
            let message = unsafe { cstr_to_string(rd::rd_kafka_ConfigResource_error_string(res)) };
            return Err(CliError::Broker {
                op: OP.to_string(),
                resource: format!("topic '{topic}'"),
                code: kafka_error_name(&error_name(code)).to_string(),
                message: if message.is_empty() {
                    error_text(code)
                } else {
                    message
                },
            });
        }
    }
    Ok(())
}

/// Topic ids (in Kafka's text form) of `names`, through DescribeTopics.
///
/// A topic the broker reports an error for is left out of the map; a broker that
/// predates topic ids (Metadata < v10) reports the zero id.
pub fn describe_topic_ids<C: ClientContext>(
    admin: &AdminClient<C>,
    names: &[String],
    timeout: Duration,
) -> Result<HashMap<String, String>, CliError> {
    const OP: &str = "DescribeTopics";
    let rk = admin.inner().native_ptr();
    let cnames = names
        .iter()
        .map(|n| cstring("topic", n))
        .collect::<Result<Vec<_>, _>>()?;
    let mut ptrs: Vec<*const c_char> = cnames.iter().map(|c| c.as_ptr()).collect();
    // SAFETY: ptrs holds valid C strings; the collection copies them.
    let coll = unsafe { rd::rd_kafka_TopicCollection_of_topic_names(ptrs.as_mut_ptr(), ptrs.len()) };
    let coll = NonNull::new(coll)
        .ok_or_else(|| CliError::Native("rd_kafka_TopicCollection_of_topic_names returned null".into()))?;
    struct Collection(NonNull<rd::rd_kafka_TopicCollection_t>);
    impl Drop for Collection {
        fn drop(&mut self) {
            // SAFETY: we own the collection.
            unsafe { rd::rd_kafka_TopicCollection_destroy(self.0.as_ptr()) }
        }
    }
    let coll = Collection(coll);
    let options = Options::new(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBETOPICS,
        timeout,
    )?;
    let queue = Queue::new(rk)?;
    // SAFETY: collection, options and queue are alive for the call.
    unsafe { rd::rd_kafka_DescribeTopics(rk, coll.0.as_ptr(), options.0.as_ptr(), queue.0.as_ptr()) };
    let event = queue.wait(
        rd::RD_KAFKA_EVENT_DESCRIBETOPICS_RESULT,
        timeout + Duration::from_secs(5),
    )?;
    event.check(OP)?;
    let mut count = 0usize;
    // SAFETY: the event has the matching type; descriptions live with the event.
    let topics = unsafe { rd::rd_kafka_DescribeTopics_result_topics(event.0.as_ptr(), &mut count) };
    let mut ids = HashMap::new();
    for i in 0..count {
        // SAFETY: i < count entries of a valid array; all getters return data owned by
        // the event, copied out before it is destroyed.
        unsafe {
            let desc = *topics.add(i);
            let err = rd::rd_kafka_TopicDescription_error(desc);
            if !err.is_null() && rd::rd_kafka_error_code(err) != RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR {
                continue;
            }
            let name = cstr_to_string(rd::rd_kafka_TopicDescription_name(desc));
            let uuid = rd::rd_kafka_TopicDescription_topic_id(desc);
            if !uuid.is_null() {
                let msb = rd::rd_kafka_Uuid_most_significant_bits(uuid);
                let lsb = rd::rd_kafka_Uuid_least_significant_bits(uuid);
                ids.insert(name, topic_id_string(msb, lsb));
            }
        }
    }
    Ok(ids)
}
