//! What `kavka group list|describe|reset-offsets|delete --delete-offsets` print, in
//! the layout of Kafka's `kafka-consumer-groups.sh` (column order, minimum widths,
//! `-` for missing values), so scripts written against Kafka's tool keep working.
//! Pure: built from domain structs and tested without a broker.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use super::group_model::{GroupDescription, GroupListing, GroupState, MemberDescription, TopicPartition};

/// Kafka's placeholder for a missing value.
pub const MISSING: &str = "-";

/// One line of `describe` (the offsets view).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetRow {
    pub group: String,
    pub partition: TopicPartition,
    /// The committed offset, if any.
    pub current: Option<i64>,
    pub log_end: Option<i64>,
    /// `None` for committed partitions that no member is assigned.
    pub member: Option<(String, String, String)>,
}

impl OffsetRow {
    /// Kafka's lag: only defined when both offsets are known (and the commit is real).
    pub fn lag(&self) -> Option<i64> {
        let current = self.current.filter(|o| *o != -1)?;
        Some(self.log_end? - current)
    }
}

/// The offsets view of one group, in Kafka's order: members with the most partitions
/// first (each member's partitions sorted), then committed partitions no member has.
pub fn offset_rows(
    desc: &GroupDescription,
    committed: &BTreeMap<TopicPartition, i64>,
    log_end: &HashMap<TopicPartition, i64>,
) -> Vec<OffsetRow> {
    let mut members: Vec<&MemberDescription> =
        desc.members.iter().filter(|m| !m.assignment.is_empty()).collect();
    // Stable sort: members with equal counts keep the broker's order.
    members.sort_by_key(|m| std::cmp::Reverse(m.assignment.len()));
    let row = |tp: &TopicPartition, member: Option<(String, String, String)>| OffsetRow {
        group: desc.group_id.clone(),
        partition: tp.clone(),
        current: committed.get(tp).copied(),
        log_end: log_end.get(tp).copied(),
        member,
    };
    let mut rows = Vec::new();
    let mut assigned = std::collections::HashSet::new();
    for m in members {
        let mut parts = m.assignment.clone();
        parts.sort();
        for tp in &parts {
            assigned.insert(tp.clone());
            rows.push(row(
                tp,
                Some((m.member_id.clone(), m.host.clone(), m.client_id.clone())),
            ));
        }
    }
    rows.extend(
        committed
            .keys()
            .filter(|tp| !assigned.contains(*tp))
            .map(|tp| row(tp, None)),
    );
    rows
}

/// What Kafka's tool says about a group's state before its table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateNotice {
    /// An error: nothing more is printed for the group.
    DoesNotExist(String),
    /// Printed to stderr; the table follows.
    Note(String),
}

pub fn state_notice(group: &str, state: GroupState) -> Option<StateNotice> {
    match state {
        GroupState::Dead => Some(StateNotice::DoesNotExist(format!(
            "Consumer group '{group}' does not exist."
        ))),
        GroupState::Empty => Some(StateNotice::Note(format!(
            "Consumer group '{group}' has no active members."
        ))),
        s if s.is_rebalancing() => Some(StateNotice::Note(format!(
            "Warning: Consumer group '{group}' is rebalancing."
        ))),
        _ => None,
    }
}

fn width(min: usize, values: impl Iterator<Item = usize>) -> usize {
    values.fold(min, usize::max)
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| MISSING.to_string(), |v| v.to_string())
}

/// `group list`: ids one per line, or with `--state` Kafka's GROUP/STATE table.
pub fn format_list(listings: &[GroupListing], with_state: bool) -> String {
    let mut sorted: Vec<&GroupListing> = listings.iter().collect();
    sorted.sort_by(|a, b| a.group_id.cmp(&b.group_id));
    let mut out = String::new();
    if !with_state {
        for l in sorted {
            let _ = writeln!(out, "{}", l.group_id);
        }
        return out;
    }
    let g = width(15, sorted.iter().map(|l| l.group_id.len())) + 10;
    let _ = writeln!(out, "{:<g$} {:<20}", "GROUP", "STATE");
    for l in sorted {
        let _ = writeln!(out, "{:<g$} {:<20}", l.group_id, l.state.name());
    }
    out
}

/// The offsets table (`describe`), preceded by a blank line as Kafka prints it.
pub fn format_offsets(rows: &[OffsetRow]) -> String {
    let member = |r: &OffsetRow, i: usize| -> String {
        r.member
            .as_ref()
            .map_or_else(|| MISSING.to_string(), |m| [&m.0, &m.1, &m.2][i].to_string())
    };
    let g = width(15, rows.iter().map(|r| r.group.len()));
    let t = width(15, rows.iter().map(|r| r.partition.topic.len()));
    let c = width(15, rows.iter().map(|r| member(r, 0).len()));
    let h = width(15, rows.iter().map(|r| member(r, 1).len()));
    let mut out = String::new();
    let mut line = |cols: [String; 9]| {
        let _ = write!(
            out,
            "\n{:<g$} {:<t$} {:<10} {:<15} {:<15} {:<15} {:<c$} {:<h$} {}",
            cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7], cols[8]
        );
    };
    line(
        [
            "GROUP",
            "TOPIC",
            "PARTITION",
            "CURRENT-OFFSET",
            "LOG-END-OFFSET",
            "LAG",
            "CONSUMER-ID",
            "HOST",
            "CLIENT-ID",
        ]
        .map(String::from),
    );
    for r in rows {
        line([
            r.group.clone(),
            r.partition.topic.clone(),
            r.partition.partition.to_string(),
            opt(r.current),
            opt(r.log_end),
            opt(r.lag()),
            member(r, 0),
            member(r, 1),
            member(r, 2),
        ]);
    }
    out.push('\n');
    out
}

/// Kafka's assignment string: `topic:0,1;other:2`, topics sorted.
pub fn assignment_string(assignment: &[TopicPartition]) -> String {
    if assignment.is_empty() {
        return MISSING.to_string();
    }
    let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for tp in assignment {
        by_topic.entry(&tp.topic).or_default().push(tp.partition);
    }
    by_topic
        .into_iter()
        .map(|(t, mut ps)| {
            ps.sort_unstable();
            let ps: Vec<String> = ps.iter().map(i32::to_string).collect();
            format!("{t}:{}", ps.join(","))
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// `describe --members [--verbose]`. Classic-protocol members have no epochs or
/// target assignment, which Kafka's tool prints as `-`.
pub fn format_members(group: &str, members: &[MemberDescription], verbose: bool) -> String {
    let g = width(15, std::iter::once(group.len()));
    let c = width(15, members.iter().map(|m| m.member_id.len()));
    let h = width(15, members.iter().map(|m| m.host.len()));
    let cl = width(15, members.iter().map(|m| m.client_id.len()));
    let ca = width(20, members.iter().map(|m| assignment_string(&m.assignment).len()));
    let ta = 20;
    let mut out = String::new();
    let _ = write!(
        out,
        "\n{:<g$} {:<c$} {:<h$} {:<cl$} {:<15} ",
        "GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS"
    );
    if verbose {
        let _ = write!(
            out,
            "{:<15} {:<ca$} {:<15} {:<ta$}",
            "CURRENT-EPOCH", "CURRENT-ASSIGNMENT", "TARGET-EPOCH", "TARGET-ASSIGNMENT"
        );
    }
    out.push('\n');
    for m in members {
        let _ = write!(
            out,
            "{:<g$} {:<c$} {:<h$} {:<cl$} {:<15} ",
            group,
            m.member_id,
            m.host,
            m.client_id,
            m.assignment.len()
        );
        if verbose {
            let _ = write!(
                out,
                "{:<15} {:<ca$} {:<15} {:<ta$}",
                MISSING,
                assignment_string(&m.assignment),
                MISSING,
                MISSING
            );
        }
        out.push('\n');
    }
    out
}

/// `describe --state`.
pub fn format_state(d: &GroupDescription) -> String {
    let coordinator = format!(
        "{}:{}  ({})",
        d.coordinator.host, d.coordinator.port, d.coordinator.id
    );
    let co = width(25, std::iter::once(coordinator.len()));
    let g = width(15, std::iter::once(d.group_id.len()));
    let strategy = if d.assignor.is_empty() {
        MISSING
    } else {
        &d.assignor
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "\n{:<g$} {:<co$} {:<20} {:<20} #MEMBERS",
        "GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE"
    );
    let _ = write!(
        out,
        "\n{:<g$} {:<co$} {:<20} {:<20} {}",
        d.group_id,
        coordinator,
        strategy,
        d.state.name(),
        d.members.len()
    );
    out.push('\n');
    out
}

/// `reset-offsets`: GROUP TOPIC PARTITION NEW-OFFSET.
pub fn format_reset(plans: &[(String, Vec<(TopicPartition, i64)>)]) -> String {
    let g = width(15, plans.iter().map(|(g, _)| g.len()));
    let t = width(
        15,
        plans
            .iter()
            .flat_map(|(_, o)| o.iter().map(|(tp, _)| tp.topic.len())),
    );
    let mut out = String::new();
    if !plans.is_empty() {
        let _ = write!(
            out,
            "\n{:<g$} {:<t$} {:<10} NEW-OFFSET",
            "GROUP", "TOPIC", "PARTITION"
        );
    }
    for (group, offsets) in plans {
        for (tp, offset) in offsets {
            let _ = write!(
                out,
                "\n{:<g$} {:<t$} {:<10} {}",
                group, tp.topic, tp.partition, offset
            );
        }
    }
    out.push('\n');
    out
}

/// `delete --delete-offsets`: one status per partition (`None` = deleted).
pub fn format_delete_offsets(results: &[(TopicPartition, Option<String>)]) -> String {
    let mut sorted: Vec<&(TopicPartition, Option<String>)> = results.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let t = width(15, sorted.iter().map(|(tp, _)| tp.topic.len()));
    let mut out = String::new();
    let _ = write!(out, "\n{:<t$} {:<10} {:<15}", "TOPIC", "PARTITION", "STATUS");
    for (tp, err) in sorted {
        let partition = if tp.partition >= 0 {
            tp.partition.to_string()
        } else {
            MISSING.to_string()
        };
        let status = err
            .as_ref()
            .map_or_else(|| "Successful".to_string(), |e| format!("Error: {e}"));
        let _ = write!(out, "\n{:<t$} {:<10} {:<15}", tp.topic, partition, status);
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::group_model::Coordinator;

    fn tp(t: &str, p: i32) -> TopicPartition {
        TopicPartition::new(t, p)
    }

    fn member(id: &str, parts: &[(&str, i32)]) -> MemberDescription {
        MemberDescription {
            member_id: id.into(),
            client_id: format!("client-{id}"),
            host: "/127.0.0.1".into(),
            assignment: parts.iter().map(|(t, p)| tp(t, *p)).collect(),
        }
    }

    fn group(members: Vec<MemberDescription>, state: GroupState) -> GroupDescription {
        GroupDescription {
            group_id: "g1".into(),
            coordinator: Coordinator {
                id: 1,
                host: "localhost".into(),
                port: 9092,
            },
            state,
            assignor: "range".into(),
            members,
        }
    }

    #[test]
    fn rows_put_bigger_members_first_then_unassigned_commits() {
        let d = group(
            vec![
                member("m-small", &[("t", 2)]),
                member("m-empty", &[]),
                member("m-big", &[("t", 1), ("t", 0)]),
            ],
            GroupState::Stable,
        );
        let committed: BTreeMap<_, _> = [(tp("t", 0), 5), (tp("old", 0), 7)].into_iter().collect();
        let ends: HashMap<_, _> = [(tp("t", 0), 9), (tp("t", 1), 3), (tp("old", 0), 7)]
            .into_iter()
            .collect();
        let rows = offset_rows(&d, &committed, &ends);
        let order: Vec<(String, Option<&str>)> = rows
            .iter()
            .map(|r| (r.partition.to_string(), r.member.as_ref().map(|m| m.0.as_str())))
            .collect();
        assert_eq!(
            order,
            vec![
                ("t-0".to_string(), Some("m-big")),
                ("t-1".to_string(), Some("m-big")),
                ("t-2".to_string(), Some("m-small")),
                ("old-0".to_string(), None),
            ]
        );
        assert_eq!(rows[0].lag(), Some(4));
        assert_eq!(rows[1].lag(), None, "no commit, no lag");
        assert_eq!(rows[2].log_end, None);
        assert_eq!(rows[3].lag(), Some(0));
    }

    #[test]
    fn offsets_table_like_kafka() {
        let d = group(
            vec![member("consumer-1-abc", &[("orders", 0)])],
            GroupState::Stable,
        );
        let committed: BTreeMap<_, _> = [(tp("orders", 0), 5), (tp("orders", 1), 2)].into_iter().collect();
        let ends: HashMap<_, _> = [(tp("orders", 0), 8)].into_iter().collect();
        let s = format_offsets(&offset_rows(&d, &committed, &ends));
        let expected = "\n\
GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID\n\
g1              orders          0          5               8               3               consumer-1-abc  /127.0.0.1      client-consumer-1-abc\n\
g1              orders          1          2               -               -               -               -               -\n";
        assert_eq!(s, expected);
    }

    #[test]
    fn long_values_widen_their_columns() {
        let long_topic = "a-very-long-topic-name";
        let d = group(vec![member("m", &[(long_topic, 0)])], GroupState::Stable);
        let s = format_offsets(&offset_rows(&d, &BTreeMap::new(), &HashMap::new()));
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[1].find("PARTITION"), lines[2].find(" 0 ").map(|i| i + 1));
        assert!(lines[2].starts_with(&format!("g1              {long_topic} 0")));
    }

    #[test]
    fn list_with_and_without_state() {
        let l = vec![
            GroupListing {
                group_id: "zeta".into(),
                state: GroupState::Empty,
            },
            GroupListing {
                group_id: "alpha".into(),
                state: GroupState::Stable,
            },
        ];
        assert_eq!(format_list(&l, false), "alpha\nzeta\n");
        let s = format_list(&l, true);
        let expected = format!(
            "{:<25} {:<20}\n{:<25} {:<20}\n{:<25} {:<20}\n",
            "GROUP", "STATE", "alpha", "Stable", "zeta", "Empty"
        );
        assert_eq!(s, expected);
        assert!(s.starts_with("GROUP                     STATE"));
    }

    #[test]
    fn members_view() {
        let ms = vec![member("m1", &[("b", 1), ("a", 0), ("b", 0)]), member("m2", &[])];
        let s = format_members("g1", &ms, false);
        assert_eq!(
            s,
            "\nGROUP           CONSUMER-ID     HOST            CLIENT-ID       #PARTITIONS     \n\
             g1              m1              /127.0.0.1      client-m1       3               \n\
             g1              m2              /127.0.0.1      client-m2       0               \n"
        );
        let v = format_members("g1", &ms, true);
        assert!(
            v.contains("CURRENT-EPOCH   CURRENT-ASSIGNMENT   TARGET-EPOCH    TARGET-ASSIGNMENT"),
            "{v}"
        );
        assert!(
            v.contains("-               a:0;b:0,1            -               -"),
            "{v}"
        );
        assert_eq!(assignment_string(&[]), "-");
    }

    #[test]
    fn state_view_and_notices() {
        let d = group(vec![member("m1", &[])], GroupState::Stable);
        assert_eq!(
            format_state(&d),
            "\nGROUP           COORDINATOR (ID)          ASSIGNMENT-STRATEGY  STATE                #MEMBERS\n\
             g1              localhost:9092  (1)       range                Stable               1\n"
        );
        let mut empty = group(vec![], GroupState::Empty);
        empty.assignor.clear();
        assert!(format_state(&empty).contains(" -                    Empty "));
        assert_eq!(
            state_notice("g", GroupState::Dead),
            Some(StateNotice::DoesNotExist(
                "Consumer group 'g' does not exist.".into()
            ))
        );
        assert_eq!(
            state_notice("g", GroupState::Empty),
            Some(StateNotice::Note(
                "Consumer group 'g' has no active members.".into()
            ))
        );
        assert!(matches!(
            state_notice("g", GroupState::PreparingRebalance),
            Some(StateNotice::Note(m)) if m.contains("is rebalancing")
        ));
        assert_eq!(state_notice("g", GroupState::Stable), None);
    }

    #[test]
    fn reset_and_delete_tables() {
        let plans = vec![("g1".to_string(), vec![(tp("t", 0), 5), (tp("t", 1), 0)])];
        assert_eq!(
            format_reset(&plans),
            "\nGROUP           TOPIC           PARTITION  NEW-OFFSET\n\
             g1              t               0          5\n\
             g1              t               1          0\n"
        );
        assert_eq!(format_reset(&[]), "\n");
        let del = vec![
            (tp("t", 1), Some("GROUP_SUBSCRIBED_TO_TOPIC".to_string())),
            (tp("t", 0), None),
        ];
        assert_eq!(
            format_delete_offsets(&del),
            "\nTOPIC           PARTITION  STATUS         \n\
             t               0          Successful     \n\
             t               1          Error: GROUP_SUBSCRIBED_TO_TOPIC\n"
        );
    }
}
