//! `kavka group ...`: list, describe and delete consumer groups and reset their
//! committed offsets, with the options, output and messages of Kafka's
//! `kafka-consumer-groups.sh`. Works against any Kafka cluster.
//!
//! The pieces: option parsing (`group_args`), the assignment decoder
//! (`group_assignment`), reset planning (`group_reset`) and output (`group_view`) are
//! pure; `group_ffi` holds the librdkafka admin calls; this module sequences them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use rdkafka::types::RDKafkaErrorCode;

use super::args::ClientArgs;
use super::client::{self, Admin, ClusterInfo};
use super::error::{describe_code, CliError};
use super::group_args::{parse_datetime, parse_state_filter, parse_topic_spec, TopicSpec};
use super::group_ffi::{self as gffi, OffsetQuery};
use super::group_model::{GroupDescription, GroupState, TopicPartition};
use super::group_reset::{partitions_to_reset, plan_reset, LogOffsets, ResetSpec};
use super::group_view::{
    format_delete_offsets, format_list, format_members, format_offsets, format_reset, format_state,
    offset_rows, state_notice, StateNotice,
};

#[derive(Debug, Clone, clap::Subcommand)]
pub enum GroupCommand {
    /// List consumer groups.
    List {
        /// Print each group's state too; with states (comma-separated or repeated),
        /// list only groups in those states.
        #[arg(long, num_args = 0.., value_delimiter = ',', value_name = "STATE", value_parser = parse_state_filter)]
        state: Option<Vec<GroupState>>,
    },
    /// Describe groups: offsets and lag per partition (default), --members or --state.
    Describe {
        #[arg(required_unless_present = "all_groups")]
        groups: Vec<String>,
        /// Describe every consumer group.
        #[arg(long, conflicts_with = "groups")]
        all_groups: bool,
        /// Committed offsets, log end and lag per partition (the default view).
        #[arg(long, conflicts_with_all = ["members", "state"])]
        offsets: bool,
        /// One line per member with its number of partitions.
        #[arg(long, conflicts_with = "state")]
        members: bool,
        /// Coordinator, assignment strategy, state and member count.
        #[arg(long)]
        state: bool,
        /// With --members: each member's assignment too.
        #[arg(long, requires = "members")]
        verbose: bool,
    },
    /// Delete groups (all their committed offsets); with --delete-offsets, only one
    /// group's offsets of the given topics.
    Delete {
        #[arg(required = true)]
        groups: Vec<String>,
        /// Delete committed offsets of --topic instead of whole groups.
        #[arg(long, requires = "topics")]
        delete_offsets: bool,
        /// `TOPIC` or `TOPIC:P,...`; repeatable (with --delete-offsets).
        #[arg(long = "topic", value_name = "TOPIC[:P,...]", value_parser = parse_topic_spec, requires = "delete_offsets")]
        topics: Vec<TopicSpec>,
    },
    /// Move the committed offsets of inactive groups; a dry run unless --execute.
    ResetOffsets(ResetArgs),
}

#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("scope").required(true).args(["topics", "all_topics"])))]
pub struct ResetArgs {
    /// Group whose offsets to reset; repeatable.
    #[arg(long = "group", required = true, value_name = "GROUP")]
    pub groups: Vec<String>,
    /// `TOPIC` (all partitions) or `TOPIC:P,...`; repeatable.
    #[arg(long = "topic", value_name = "TOPIC[:P,...]", value_parser = parse_topic_spec)]
    pub topics: Vec<TopicSpec>,
    /// Every partition the group has committed offsets for.
    #[arg(long, conflicts_with = "topics")]
    pub all_topics: bool,
    #[command(flatten)]
    pub scenario: ResetScenario,
    /// Commit the new offsets (default: only print them).
    #[arg(long)]
    pub execute: bool,
    /// Only print the new offsets (the default).
    #[arg(long, conflicts_with = "execute")]
    pub dry_run: bool,
}

/// Exactly one target, as in Kafka's tool.
#[derive(Debug, Clone, clap::Args)]
#[group(required = true, multiple = false)]
pub struct ResetScenario {
    /// The log start offset.
    #[arg(long)]
    pub to_earliest: bool,
    /// The log end offset.
    #[arg(long)]
    pub to_latest: bool,
    /// This offset, clamped into the log's range.
    #[arg(long, value_name = "OFFSET", value_parser = clap::value_parser!(i64).range(0..))]
    pub to_offset: Option<i64>,
    /// The first offset at or after this time: YYYY-MM-DDTHH:mm:SS.sss, UTC unless a
    /// zone (Z, +01:00) is given.
    #[arg(long, value_name = "DATETIME", value_parser = parse_datetime)]
    pub to_datetime: Option<i64>,
    /// The committed offset moved by N (negative: back), clamped into the log's range.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub shift_by: Option<i64>,
}

impl ResetScenario {
    pub fn spec(&self) -> ResetSpec {
        match (self.to_offset, self.to_datetime, self.shift_by) {
            (Some(o), _, _) => ResetSpec::ToOffset(o),
            (_, Some(ts), _) => ResetSpec::ToDatetime(ts),
            (_, _, Some(n)) => ResetSpec::ShiftBy(n),
            _ if self.to_latest => ResetSpec::Latest,
            // clap guarantees one option; earliest is the only one left.
            _ => ResetSpec::Earliest,
        }
    }
}

/// What a command printed; written out by `run_group` (tests read it instead).
#[derive(Debug, Default)]
pub struct Printed {
    pub out: String,
    pub err: String,
}

pub async fn run_group(cmd: GroupCommand, common: &ClientArgs) -> anyhow::Result<()> {
    let mut printed = Printed::default();
    let result = execute(cmd, common, &mut printed).await;
    // Written at the end, notices (stderr) before tables, so a failure midway still
    // shows what was gathered before it.
    eprint!("{}", printed.err);
    print!("{}", printed.out);
    Ok(result?)
}

pub async fn execute(cmd: GroupCommand, common: &ClientArgs, p: &mut Printed) -> Result<(), CliError> {
    let admin = client::admin(common)?;
    match cmd {
        GroupCommand::List { state } => list(&admin, common, state, p).await,
        GroupCommand::Describe {
            groups,
            all_groups,
            offsets: _,
            members,
            state,
            verbose,
        } => {
            let view = match (members, state) {
                (true, _) => View::Members { verbose },
                (_, true) => View::State,
                _ => View::Offsets,
            };
            let groups = if all_groups {
                list_ids(&admin, common).await?
            } else {
                sorted_unique(groups)
            };
            describe(&admin, common, &groups, view, p).await
        }
        GroupCommand::Delete {
            groups,
            delete_offsets,
            topics,
        } => {
            if delete_offsets {
                delete_group_offsets(&admin, common, &groups, &topics, p).await
            } else {
                delete_groups(&admin, common, sorted_unique(groups), p).await
            }
        }
        GroupCommand::ResetOffsets(args) => reset_offsets(&admin, common, args, p).await,
    }
}

fn sorted_unique(groups: Vec<String>) -> Vec<String> {
    groups.into_iter().collect::<BTreeSet<_>>().into_iter().collect()
}

/// One failure is returned as is; several are listed and summarised, so the final
/// error line does not repeat one of them.
fn finish(mut errors: Vec<CliError>, total: usize, what: &str, p: &mut Printed) -> Result<(), CliError> {
    match errors.len() {
        0 => Ok(()),
        1 => Err(errors.remove(0)),
        n => {
            for e in &errors {
                p.err.push_str(&format!("Error: {e}\n"));
            }
            Err(CliError::Incomplete(format!("{n} of {total} {what}")))
        }
    }
}

async fn list(
    admin: &Arc<Admin>,
    common: &ClientArgs,
    state: Option<Vec<GroupState>>,
    p: &mut Printed,
) -> Result<(), CliError> {
    let filter = state.clone().unwrap_or_default();
    let (a, timeout) = (Arc::clone(admin), common.request_timeout());
    let (groups, errors) =
        client::blocking(move || gffi::list_consumer_groups(a.inner(), &filter, timeout)).await?;
    p.out.push_str(&format_list(&groups, state.is_some()));
    if errors.is_empty() {
        return Ok(());
    }
    for e in &errors {
        p.err
            .push_str(&format!("Error: ListGroups failed on a broker: {e}\n"));
    }
    Err(CliError::Incomplete(format!(
        "the group listing is incomplete: {} broker request(s) failed",
        errors.len()
    )))
}

async fn list_ids(admin: &Arc<Admin>, common: &ClientArgs) -> Result<Vec<String>, CliError> {
    let (a, timeout) = (Arc::clone(admin), common.request_timeout());
    let (groups, errors) =
        client::blocking(move || gffi::list_consumer_groups(a.inner(), &[], timeout)).await?;
    if let Some(e) = errors.first() {
        return Err(CliError::Incomplete(format!("cannot list all groups: {e}")));
    }
    Ok(sorted_unique(groups.into_iter().map(|g| g.group_id).collect()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Offsets,
    Members { verbose: bool },
    State,
}

/// The group's description; a group no broker lists is Kafka's "Dead".
async fn describe_one(
    admin: &Arc<Admin>,
    common: &ClientArgs,
    group: &str,
) -> Result<Option<GroupDescription>, CliError> {
    let (a, g, timeout) = (Arc::clone(admin), group.to_string(), common.request_timeout());
    let raw = client::blocking(move || gffi::describe_group(a.inner(), &g, timeout)).await?;
    raw.map(GroupDescription::from_raw)
        .transpose()
        .map_err(|e| CliError::Incomplete(e.to_string()))
}

async fn committed(
    common: &ClientArgs,
    group: &str,
    partitions: Option<Vec<TopicPartition>>,
) -> Result<BTreeMap<TopicPartition, i64>, CliError> {
    let config = common.client_config(&[])?;
    let (g, timeout) = (group.to_string(), common.request_timeout());
    client::blocking(move || gffi::committed_offsets(&config, &g, partitions.as_deref(), timeout)).await
}

/// Offsets by `query`; partitions the broker refused are left out, with a note.
async fn log_offsets(
    admin: &Arc<Admin>,
    common: &ClientArgs,
    partitions: &[TopicPartition],
    query: OffsetQuery,
    p: &mut Printed,
) -> Result<HashMap<TopicPartition, i64>, CliError> {
    let (a, parts, timeout) = (Arc::clone(admin), partitions.to_vec(), common.request_timeout());
    let found = client::blocking(move || gffi::list_offsets(a.inner(), &parts, query, timeout)).await?;
    let mut out = HashMap::with_capacity(found.len());
    let mut failed: Vec<(TopicPartition, RDKafkaErrorCode)> = Vec::new();
    for (tp, r) in found {
        match r {
            Ok(o) => {
                out.insert(tp, o);
            }
            Err(code) => failed.push((tp, code)),
        }
    }
    failed.sort_by(|a, b| a.0.cmp(&b.0));
    for (tp, code) in failed {
        p.err.push_str(&format!(
            "Warning: ListOffsets failed for {tp}: {}\n",
            describe_code(code)
        ));
    }
    Ok(out)
}

async fn describe(
    admin: &Arc<Admin>,
    common: &ClientArgs,
    groups: &[String],
    view: View,
    p: &mut Printed,
) -> Result<(), CliError> {
    let mut errors = Vec::new();
    for group in groups {
        if let Err(e) = describe_group(admin, common, group, view, p).await {
            errors.push(e);
        }
    }
    finish(errors, groups.len(), "consumer groups could not be described", p)
}

async fn describe_group(
    admin: &Arc<Admin>,
    common: &ClientArgs,
    group: &str,
    view: View,
    p: &mut Printed,
) -> Result<(), CliError> {
    let Some(desc) = describe_one(admin, common, group).await? else {
        return Err(CliError::Incomplete(format!(
            "Consumer group '{group}' does not exist."
        )));
    };
    match state_notice(group, desc.state) {
        Some(StateNotice::DoesNotExist(msg)) => return Err(CliError::Incomplete(msg)),
        Some(StateNotice::Note(msg)) => p.err.push_str(&format!("\n{msg}\n")),
        None => {}
    }
    match view {
        View::State => p.out.push_str(&format_state(&desc)),
        View::Members { verbose } => p.out.push_str(&format_members(group, &desc.members, verbose)),
        View::Offsets => {
            let committed = committed(common, group, None).await?;
            let partitions: BTreeSet<TopicPartition> = desc
                .members
                .iter()
                .flat_map(|m| m.assignment.iter().cloned())
                .chain(committed.keys().cloned())
                .collect();
            let partitions: Vec<TopicPartition> = partitions.into_iter().collect();
            let ends = log_offsets(admin, common, &partitions, OffsetQuery::Latest, p).await?;
            let rows = offset_rows(&desc, &committed, &ends);
            // Kafka prints no table when there is nothing to show (an Empty group
            // without commits).
            if !rows.is_empty() {
                p.out.push_str(&format_offsets(&rows));
            }
        }
    }
    Ok(())
}

async fn delete_groups(
    admin: &Arc<Admin>,
    common: &ClientArgs,
    groups: Vec<String>,
    p: &mut Printed,
) -> Result<(), CliError> {
    let refs: Vec<&str> = groups.iter().map(String::as_str).collect();
    let results = admin
        .delete_groups(&refs, &client::admin_options(common))
        .await
        .map_err(|e| CliError::client("DeleteGroups", e))?;
    let mut ok = Vec::new();
    let mut failed = Vec::new();
    for r in results {
        match r {
            Ok(g) => ok.push(format!("'{g}'")),
            Err((g, code)) => failed.push((g, code)),
        }
    }
    if failed.is_empty() {
        p.out.push_str(&format!(
            "Deletion of requested consumer groups ({}) was successful.\n",
            ok.join(", ")
        ));
        return Ok(());
    }
    p.out
        .push_str("\nError: Deletion of some consumer groups failed:\n");
    for (g, code) in &failed {
        p.out.push_str(&format!(
            "* Group '{g}' could not be deleted due to: {}\n",
            describe_code(*code)
        ));
    }
    if !ok.is_empty() {
        p.out.push_str(&format!(
            "\nThese consumer groups were deleted successfully: {}\n",
            ok.join(", ")
        ));
    }
    Err(CliError::Incomplete(format!(
        "{} of {} consumer groups could not be deleted",
        failed.len(),
        groups.len()
    )))
}

/// Metadata of just the topics `specs` name.
async fn topics_info(
    admin: &Arc<Admin>,
    common: &ClientArgs,
    specs: &[TopicSpec],
) -> Result<ClusterInfo, CliError> {
    let names: BTreeSet<&str> = specs.iter().map(TopicSpec::topic).collect();
    let mut info = ClusterInfo {
        brokers: BTreeSet::new(),
        topics: Vec::new(),
    };
    for name in names {
        let one = client::cluster_info(admin, Some(name), common.request_timeout()).await?;
        info.brokers.extend(one.brokers);
        info.topics
            .extend(one.topics.into_iter().filter(|t| t.name == name));
    }
    Ok(info)
}

async fn delete_group_offsets(
    admin: &Arc<Admin>,
    common: &ClientArgs,
    groups: &[String],
    specs: &[TopicSpec],
    p: &mut Printed,
) -> Result<(), CliError> {
    let [group] = groups else {
        return Err(CliError::invalid("--delete-offsets", "takes exactly one group"));
    };
    let info = topics_info(admin, common, specs).await?;
    let mut partitions = BTreeSet::new();
    let mut rows: Vec<(TopicPartition, Option<String>)> = Vec::new();
    for spec in specs {
        match spec {
            TopicSpec::Partitions(t, ids) => {
                partitions.extend(ids.iter().map(|i| TopicPartition::new(t, *i)))
            }
            TopicSpec::All(t) => match info.topic(t).filter(|ti| ti.error.is_none()) {
                Some(ti) => partitions.extend(ti.partitions.iter().map(|pd| TopicPartition::new(t, pd.id))),
                // Kafka reports a topic it cannot describe as one row without partition.
                None => rows.push((
                    TopicPartition::new(t, -1),
                    Some(describe_code(RDKafkaErrorCode::UnknownTopicOrPartition)),
                )),
            },
        }
    }
    let (a, g, timeout) = (Arc::clone(admin), group.clone(), common.request_timeout());
    let parts: Vec<TopicPartition> = partitions.into_iter().collect();
    let outcome = client::blocking(move || gffi::delete_offsets(a.inner(), &g, &parts, timeout)).await?;
    rows.extend(outcome.into_iter().map(|(tp, err)| (tp, err.map(describe_code))));
    let any_error = rows.iter().any(|(_, e)| e.is_some());
    if !any_error {
        p.out.push_str(&format!(
            "Request succeeded for deleting offsets from group {group}.\n"
        ));
    }
    p.out.push_str(&format_delete_offsets(&rows));
    if any_error {
        return Err(CliError::Incomplete(
            "Encountered some partition-level error, see the details above.".to_string(),
        ));
    }
    Ok(())
}

async fn reset_offsets(
    admin: &Arc<Admin>,
    common: &ClientArgs,
    args: ResetArgs,
    p: &mut Printed,
) -> Result<(), CliError> {
    if !args.execute && !args.dry_run {
        p.err
            .push_str("WARN: No action will be performed as the --execute option is missing.\n");
    }
    let spec = args.scenario.spec();
    // The named partitions are the same for every group: check them once.
    let named = if args.all_topics {
        None
    } else {
        let info = topics_info(admin, common, &args.topics).await?;
        Some(partitions_to_reset(&args.topics, &info).map_err(|e| CliError::Incomplete(e.to_string()))?)
    };
    let groups = sorted_unique(args.groups);
    let mut plans = Vec::new();
    let mut errors = Vec::new();
    for group in &groups {
        match reset_group(admin, common, group, spec, named.as_deref(), args.execute, p).await {
            Ok(offsets) => plans.push((group.clone(), offsets)),
            Err(e) => errors.push(e),
        }
    }
    if !plans.is_empty() {
        p.out.push_str(&format_reset(&plans));
    }
    finish(errors, groups.len(), "consumer groups could not be reset", p)
}

async fn reset_group(
    admin: &Arc<Admin>,
    common: &ClientArgs,
    group: &str,
    spec: ResetSpec,
    named: Option<&[TopicPartition]>,
    execute: bool,
    p: &mut Printed,
) -> Result<Vec<(TopicPartition, i64)>, CliError> {
    // Kafka resets only groups without members: a live member would overwrite the
    // new offsets with its next commit. A group no broker lists is Dead, i.e. inactive.
    let state = describe_one(admin, common, group)
        .await?
        .map_or(GroupState::Dead, |d| d.state);
    if !state.is_inactive() {
        return Err(CliError::Incomplete(format!(
            "Assignments can only be reset if the group '{group}' is inactive, but the current state is {state}."
        )));
    }
    let partitions: Vec<TopicPartition> = match named {
        Some(ps) => ps.to_vec(),
        None => committed(common, group, None).await?.into_keys().collect(),
    };
    let needs = spec.needs();
    let current = if needs.committed {
        committed(common, group, Some(partitions.clone())).await?
    } else {
        BTreeMap::new()
    };
    let mut logs = LogOffsets::default();
    if needs.earliest {
        logs.earliest = log_offsets(admin, common, &partitions, OffsetQuery::Earliest, p).await?;
    }
    if needs.latest {
        logs.latest = log_offsets(admin, common, &partitions, OffsetQuery::Latest, p).await?;
    }
    if let Some(ts) = needs.timestamp {
        logs.at_time = log_offsets(admin, common, &partitions, OffsetQuery::Timestamp(ts), p).await?;
    }
    let plan =
        plan_reset(spec, &partitions, &current, &logs).map_err(|e| CliError::Incomplete(e.to_string()))?;
    for w in &plan.warnings {
        p.err.push_str(&format!("{w}\n"));
    }
    if execute {
        let (a, g, offsets, timeout) = (
            Arc::clone(admin),
            group.to_string(),
            plan.offsets.clone(),
            common.request_timeout(),
        );
        let outcome = client::blocking(move || gffi::alter_offsets(a.inner(), &g, &offsets, timeout)).await?;
        if let Some((tp, code)) = outcome.iter().find_map(|(tp, e)| e.map(|c| (tp, c))) {
            return Err(CliError::broker(
                "OffsetCommit",
                format!("partition {tp} of group '{group}'"),
                code,
            ));
        }
    }
    Ok(plan.offsets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        cmd: GroupCommand,
    }

    fn parse(args: &[&str]) -> Result<GroupCommand, clap::Error> {
        Cli::try_parse_from(std::iter::once("group").chain(args.iter().copied())).map(|c| c.cmd)
    }

    #[test]
    fn list_state_filter_is_optional_and_comma_separated() {
        match parse(&["list"]).unwrap() {
            GroupCommand::List { state } => assert_eq!(state, None),
            other => panic!("{other:?}"),
        }
        match parse(&["list", "--state"]).unwrap() {
            GroupCommand::List { state } => assert_eq!(state, Some(vec![])),
            other => panic!("{other:?}"),
        }
        match parse(&["list", "--state", "stable,Empty"]).unwrap() {
            GroupCommand::List { state } => {
                assert_eq!(state, Some(vec![GroupState::Stable, GroupState::Empty]))
            }
            other => panic!("{other:?}"),
        }
        let err = parse(&["list", "--state", "sleepy"]).unwrap_err().to_string();
        assert!(err.contains("Invalid state list 'sleepy'"), "{err}");
    }

    #[test]
    fn describe_views_exclude_each_other() {
        assert!(parse(&["describe"]).is_err());
        assert!(parse(&["describe", "g", "--members", "--state"]).is_err());
        assert!(parse(&["describe", "g", "--verbose"]).is_err());
        assert!(parse(&["describe", "g", "--all-groups"]).is_err());
        assert!(parse(&["describe", "--all-groups"]).is_ok());
        match parse(&["describe", "g1", "g2", "--members", "--verbose"]).unwrap() {
            GroupCommand::Describe {
                groups,
                members,
                verbose,
                ..
            } => {
                assert_eq!(groups, ["g1", "g2"]);
                assert!(members && verbose);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn delete_offsets_needs_topics() {
        assert!(parse(&["delete"]).is_err());
        assert!(parse(&["delete", "g", "--delete-offsets"]).is_err());
        assert!(parse(&["delete", "g", "--topic", "t"]).is_err());
        match parse(&["delete", "g", "--delete-offsets", "--topic", "t:0,1"]).unwrap() {
            GroupCommand::Delete { topics, .. } => {
                assert_eq!(topics, vec![TopicSpec::Partitions("t".into(), vec![0, 1])])
            }
            other => panic!("{other:?}"),
        }
    }

    fn reset(args: &[&str]) -> Result<ResetArgs, clap::Error> {
        let mut all = vec!["reset-offsets"];
        all.extend_from_slice(args);
        match parse(&all)? {
            GroupCommand::ResetOffsets(r) => Ok(r),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reset_needs_one_scenario_and_one_scope() {
        let r = reset(&["--group", "g", "--topic", "t", "--to-earliest"]).unwrap();
        assert_eq!(r.scenario.spec(), ResetSpec::Earliest);
        assert!(!r.execute);
        let r = reset(&["--group", "g", "--all-topics", "--shift-by", "-5", "--execute"]).unwrap();
        assert_eq!(r.scenario.spec(), ResetSpec::ShiftBy(-5));
        assert!(r.execute && r.all_topics);
        let r = reset(&[
            "--group",
            "g",
            "--topic",
            "t:1",
            "--to-datetime",
            "2024-01-01T00:00:00.000",
        ])
        .unwrap();
        assert_eq!(r.scenario.spec(), ResetSpec::ToDatetime(1_704_067_200_000));
        assert_eq!(
            reset(&["--group", "g", "--topic", "t", "--to-offset", "7"])
                .unwrap()
                .scenario
                .spec(),
            ResetSpec::ToOffset(7)
        );
        assert_eq!(
            reset(&["--group", "g", "--topic", "t", "--to-latest"])
                .unwrap()
                .scenario
                .spec(),
            ResetSpec::Latest
        );

        // No scenario, two scenarios, no scope, two scopes, no group, bad values.
        assert!(reset(&["--group", "g", "--topic", "t"]).is_err());
        assert!(reset(&["--group", "g", "--topic", "t", "--to-earliest", "--to-latest"]).is_err());
        assert!(reset(&["--group", "g", "--to-earliest"]).is_err());
        assert!(reset(&["--group", "g", "--topic", "t", "--all-topics", "--to-earliest"]).is_err());
        assert!(reset(&["--topic", "t", "--to-earliest"]).is_err());
        assert!(reset(&["--group", "g", "--topic", "t", "--to-offset", "-1"]).is_err());
        assert!(reset(&["--group", "g", "--topic", "t", "--to-datetime", "yesterday"]).is_err());
        assert!(reset(&[
            "--group",
            "g",
            "--topic",
            "t",
            "--to-earliest",
            "--execute",
            "--dry-run"
        ])
        .is_err());
    }
}
