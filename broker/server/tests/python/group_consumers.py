"""Consumer groups with kafka-python and aiokafka against a Kavka broker.

Usage: group_consumers.py BOOTSTRAP TOPIC PARTITIONS PER_PARTITION CLIENT

CLIENT is kafka-python or aiokafka.

The topic must hold PER_PARTITION records in each of its PARTITIONS
partitions. For each client library, in its own group:
  1. one consumer reads everything, commits, and sees its commits;
  2. a restarted consumer of the group is assigned every partition and
     reads nothing (it resumes after the committed offsets);
  3. two consumers of one group split the partitions between them.
Prints one line per passed check; exits non-zero on the first failure.
"""

import asyncio
import sys
import threading
import time

WAIT_S = 15.0


def fail(msg):
    print(f"FAIL: {msg}", flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def covers_disjoint(assignments, partitions):
    seen = []
    for a in assignments:
        if not a:
            return False
        seen.extend(a)
    return len(seen) == len(set(seen)) and set(seen) == set(range(partitions))


# ---- kafka-python ------------------------------------------------------------


def kafka_python(bootstrap, topic, partitions, per_partition):
    from kafka import KafkaConsumer, TopicPartition

    group = "py-kafka-python"
    total = partitions * per_partition

    def consumer():
        return KafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id=group,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            session_timeout_ms=6000,
            heartbeat_interval_ms=500,
        )

    c = consumer()
    got = []
    deadline = time.time() + WAIT_S
    while len(got) < total and time.time() < deadline:
        for records in c.poll(timeout_ms=200).values():
            got.extend((r.partition, r.offset) for r in records)
    check(len(got) == total, f"kafka-python read {len(got)} of {total} records")
    c.commit()
    committed = {p: c.committed(TopicPartition(topic, p)) for p in range(partitions)}
    check(
        all(o == per_partition for o in committed.values()),
        f"kafka-python committed {committed}",
    )
    c.close()
    print("kafka-python: consumed and committed", flush=True)

    c = consumer()
    deadline = time.time() + WAIT_S
    extra = []
    while len(c.assignment()) < partitions and time.time() < deadline:
        for records in c.poll(timeout_ms=200).values():
            extra.extend(records)
    check(len(c.assignment()) == partitions, f"restarted consumer got {c.assignment()}")
    end = time.time() + 1.0
    while time.time() < end:
        for records in c.poll(timeout_ms=200).values():
            extra.extend(records)
    check(not extra, f"restarted consumer re-read {len(extra)} records")
    c.close()
    print("kafka-python: resumed after the committed offsets", flush=True)

    stop = threading.Event()
    assignments = [set(), set()]

    def member(i):
        m = consumer()
        while not stop.is_set():
            m.poll(timeout_ms=100)
            assignments[i] = {tp.partition for tp in m.assignment()}
        m.close()

    threads = [threading.Thread(target=member, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    deadline = time.time() + WAIT_S
    while not covers_disjoint(assignments, partitions) and time.time() < deadline:
        time.sleep(0.1)
    ok = covers_disjoint(assignments, partitions)
    stop.set()
    for t in threads:
        t.join()
    check(ok, f"kafka-python members split {assignments}")
    print("kafka-python: two members split the partitions", flush=True)


# ---- aiokafka ------------------------------------------------------------------


async def aiokafka(bootstrap, topic, partitions, per_partition):
    from aiokafka import AIOKafkaConsumer, TopicPartition

    group = "py-aiokafka"
    total = partitions * per_partition

    def consumer():
        return AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id=group,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            session_timeout_ms=6000,
            heartbeat_interval_ms=500,
        )

    c = consumer()
    await c.start()
    got = []
    deadline = time.time() + WAIT_S
    while len(got) < total and time.time() < deadline:
        batch = await c.getmany(timeout_ms=200)
        for records in batch.values():
            got.extend((r.partition, r.offset) for r in records)
    check(len(got) == total, f"aiokafka read {len(got)} of {total} records")
    await c.commit()
    committed = {p: await c.committed(TopicPartition(topic, p)) for p in range(partitions)}
    check(all(o == per_partition for o in committed.values()), f"aiokafka committed {committed}")
    await c.stop()
    print("aiokafka: consumed and committed", flush=True)

    c = consumer()
    await c.start()
    extra = []
    deadline = time.time() + WAIT_S
    while len(c.assignment()) < partitions and time.time() < deadline:
        for records in (await c.getmany(timeout_ms=200)).values():
            extra.extend(records)
    check(len(c.assignment()) == partitions, f"restarted consumer got {c.assignment()}")
    end = time.time() + 1.0
    while time.time() < end:
        for records in (await c.getmany(timeout_ms=200)).values():
            extra.extend(records)
    check(not extra, f"restarted consumer re-read {len(extra)} records")
    await c.stop()
    print("aiokafka: resumed after the committed offsets", flush=True)

    members = [consumer(), consumer()]
    for m in members:
        await m.start()
    stop = asyncio.Event()

    async def poll(m):
        while not stop.is_set():
            await m.getmany(timeout_ms=100)

    tasks = [asyncio.create_task(poll(m)) for m in members]

    def assignments():
        return [{tp.partition for tp in m.assignment()} for m in members]

    deadline = time.time() + WAIT_S
    while not covers_disjoint(assignments(), partitions) and time.time() < deadline:
        await asyncio.sleep(0.1)
    ok = covers_disjoint(assignments(), partitions)
    seen = assignments()
    stop.set()
    await asyncio.gather(*tasks)
    for m in members:
        await m.stop()
    check(ok, f"aiokafka members split {seen}")
    print("aiokafka: two members split the partitions", flush=True)


def main():
    if len(sys.argv) != 6:
        fail(__doc__)
    bootstrap, topic, client = sys.argv[1], sys.argv[2], sys.argv[5]
    partitions, per_partition = int(sys.argv[3]), int(sys.argv[4])
    if client == "kafka-python":
        kafka_python(bootstrap, topic, partitions, per_partition)
    elif client == "aiokafka":
        asyncio.run(aiokafka(bootstrap, topic, partitions, per_partition))
    else:
        fail(f"unknown client {client}")
    print("OK", flush=True)


if __name__ == "__main__":
    main()
