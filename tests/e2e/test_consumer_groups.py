"""Consumer groups end to end with real clients: a group of three confluent-kafka (librdkafka)
consumer processes (failover on SIGKILL within the session timeout, committed offsets surviving a
broker restart, for the eager `range` and the incremental `cooperative-sticky` protocols), static
membership (a restarted static member gets its partitions back without a rebalance), and
kafka-python, kafkajs and kcat consumer groups that consume, commit and resume."""
import json
import os
import pathlib
import shutil
import subprocess
import time

import pytest
from kafka import KafkaConsumer
from kafka import TopicPartition as KTopicPartition
from kafka.admin import KafkaAdminClient
from kafka.structs import OffsetAndMetadata

from conftest import run_kcat
from group_member import (GROUP_SETTINGS, MemberPool, check_records_match, committed_offsets, consumed_offsets,
                          ends_of, poll_until, produce, wait_balanced, wait_committed, wait_consumed)

JS = pathlib.Path(__file__).resolve().parent / "js"
SESSION_MS = 6000
HEARTBEAT_MS = 500


@pytest.fixture
def members():
    pool = MemberPool()
    yield pool
    pool.close()


def describe_group(bootstrap, group):
    """kafka-python's DescribeGroups view: GroupInformation(error_code, group, state, protocol_type,
    protocol, members, authorized_operations) with member metadata/assignments decoded."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000, client_id="group-e2e-admin")
    try:
        (g,) = admin.describe_consumer_groups([group])
        return g
    finally:
        admin.close()


def poll_equal(get, want, timeout, what):
    """Polls get() until it equals want; fails showing the last value."""
    last = {}

    def check():
        last["value"] = get()
        return last["value"] == want

    try:
        poll_until(check, timeout, what)
    except AssertionError as e:
        raise AssertionError(f"{e}; last value {last.get('value')!r}, want {want!r}") from None


# ---------------------------------------------------------------------------------------------
# 1. Three member processes: balanced assignment, failover, commits survive a broker restart
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("strategy,commit", [("range", "sync"), ("cooperative-sticky", "auto")],
                         ids=["range-sync-commit", "cooperative-sticky-auto-commit"])
def test_three_member_group_failover_and_resume_after_broker_restart(start_broker, members, tmp_path,
                                                                      strategy, commit):
    topic, partitions = "gt", 6
    group = f"failover-{strategy}"
    data = tmp_path / "groupdata"
    settings = (*GROUP_SETTINGS, "--set", "auto.create.topics.enable=false")
    b = start_broker(*settings, "--set", f"topics={topic}:{partitions}", data_dir=data)
    produced = {}
    batch = produce(b.bootstrap, topic, 600, "a", produced)
    assert sorted(batch) == list(range(partitions)), "the keyed records reach every partition"
    end1 = ends_of(produced, topic)

    def start(name):
        return members.start(b.bootstrap, group, [topic], name, strategy=strategy, commit=commit,
                             session_timeout_ms=SESSION_MS, heartbeat_interval_ms=HEARTBEAT_MS)

    # Every partition is assigned exactly once, two per member; everything is consumed and committed.
    first = [start(f"{strategy}-m{i}") for i in range(3)]
    owners = wait_balanced(first, topic, partitions)
    wait_consumed(first, topic, end1)
    wait_committed(first, topic, end1)
    check_records_match(first, produced)
    assert committed_offsets(b.bootstrap, group, topic, partitions) == end1

    # SIGKILL one member: no LeaveGroup, no commit. Once its session times out its partitions move to
    # the two survivors (three each), which resume at the committed offsets: everything before them
    # was committed, so nothing is redelivered and nothing is skipped.
    victim, survivors = first[0], first[1:]
    marks = {m: m.mark() for m in survivors}
    t_kill = time.monotonic()
    victim.kill()
    after = wait_balanced(survivors, topic, partitions, timeout=SESSION_MS / 1000 + 30)
    moved_in = time.monotonic() - t_kill
    assert moved_in < SESSION_MS / 1000 + 6, \
        f"the killed member's partitions moved {moved_in:.1f}s after SIGKILL (session timeout {SESSION_MS} ms)"
    assert owners[victim] <= after[survivors[0]] | after[survivors[1]]
    if strategy == "cooperative-sticky":
        for m in survivors:
            assert owners[m] <= after[m], f"{m.name} keeps its partitions under cooperative-sticky"
            assert not [e for e in m.of("revoke", marks[m]) + m.of("lost", marks[m]) if e["partitions"]], \
                f"{m.name}: nothing revoked from a survivor in an incremental rebalance"

    batch = produce(b.bootstrap, topic, 300, "b", produced)
    assert sorted(batch) == list(range(partitions))
    end2 = ends_of(produced, topic)
    wait_consumed(survivors, topic, end2, since=marks, start=end1)
    redelivered = {p: sorted(o for o in offs if o < end1[p])
                   for p, offs in consumed_offsets(survivors, topic, since=marks).items()}
    assert all(not offs for offs in redelivered.values()), \
        f"committed records were consumed again after the failover: {redelivered}"
    check_records_match(survivors, produced)

    # A clean stop (SIGTERM -> close) commits what was consumed and leaves the group.
    for m in survivors:
        assert m.terminate() == 0, m.describe()
        assert m.of("closed"), m.describe()
    assert committed_offsets(b.bootstrap, group, topic, partitions) == end2

    # Restart the broker on the same data: the group (now empty) and its offsets are still there.
    assert b.stop() == 0
    b = start_broker(*settings, data_dir=data)
    poll_equal(lambda: committed_offsets(b.bootstrap, group, topic, partitions), end2, 30,
               "the committed offsets after the broker restart")
    g = poll_until(lambda: describe_group(b.bootstrap, group), 30, "DescribeGroups after the restart")
    assert (g.error_code, g.state, g.protocol_type, g.members) == (0, "Empty", "consumer", []), g

    # More records, a fresh group of three: consumption resumes exactly at the committed offsets.
    batch = produce(b.bootstrap, topic, 300, "c", produced)
    assert sorted(batch) == list(range(partitions))
    end3 = ends_of(produced, topic)
    second = [start(f"{strategy}-n{i}") for i in range(3)]
    wait_balanced(second, topic, partitions)
    wait_consumed(second, topic, end3, start=end2)
    got = consumed_offsets(second, topic)
    for p in range(partitions):
        assert min(got[p]) == end2[p], \
            f"partition {p}: after the restart consumption starts at {min(got[p])}, committed {end2[p]}"
    check_records_match(second, produced)
    for m in second:
        assert m.terminate() == 0, m.describe()
    assert committed_offsets(b.bootstrap, group, topic, partitions) == end3

    # Every produced record was consumed at least once over the whole run.
    everyone = first + second
    seen = consumed_offsets(everyone, topic)
    for p in range(partitions):
        assert seen[p] == set(range(end3[p])), f"partition {p}: missing {sorted(set(range(end3[p])) - seen[p])[:20]}"
    for m in everyone:
        assert not m.errors(), m.describe()


# ---------------------------------------------------------------------------------------------
# 2. Static membership
# ---------------------------------------------------------------------------------------------

STATIC_SESSION_MS = 10000


def static_member_ids(bootstrap, group):
    """{client_id: member_id} of a Stable group (None while the group is in any other state)."""
    g = describe_group(bootstrap, group)
    if g.error_code != 0 or g.state != "Stable":
        return None
    return {m.client_id: m.member_id for m in g.members}


def test_static_member_restart_within_session_timeout_causes_no_rebalance(start_broker, members):
    topic, partitions, group = "st", 6, "static-group"
    b = start_broker(*GROUP_SETTINGS, "--set", f"topics={topic}:{partitions}")
    produced = {}
    produce(b.bootstrap, topic, 120, "a", produced, partition_of=lambda i: i % partitions)
    end1 = ends_of(produced, topic)

    def start(i):
        return members.start(b.bootstrap, group, [topic], f"static-{i}", instance_id=f"static-{i}",
                             strategy="range", commit="sync", session_timeout_ms=STATIC_SESSION_MS,
                             heartbeat_interval_ms=HEARTBEAT_MS)

    ms = [start(i) for i in range(3)]
    owners = wait_balanced(ms, topic, partitions)
    wait_consumed(ms, topic, end1)
    wait_committed(ms, topic, end1)
    before = poll_until(lambda: static_member_ids(b.bootstrap, group), 30, "a Stable group")
    assert sorted(before) == ["static-0", "static-1", "static-2"]

    # Restart static-1: close() sends no LeaveGroup for a static member, so the group keeps it
    # (Stable, three members) until its session would time out.
    restarted, others = ms[1], [ms[0], ms[2]]
    marks = {m: m.mark() for m in others}
    t_stop = time.monotonic()
    assert restarted.terminate() == 0, restarted.describe()
    assert static_member_ids(b.bootstrap, group) == before, "the group still has the closed static member"
    replacement = start(1)
    replacement.wait_for(lambda m: m.assignment(), 30, "the restarted static member's assignment")
    rejoined_in = time.monotonic() - t_stop
    assert rejoined_in < STATIC_SESSION_MS / 1000, \
        f"test premise: the member must be back within its session timeout (took {rejoined_in:.1f}s)"
    assert {p for _, p in replacement.assignment()} == owners[restarted], \
        "the static member gets its previous partitions back"

    # New records: every member consumes its own partitions; the restarted member resumes at its
    # committed offsets.
    produce(b.bootstrap, topic, 60, "b", produced, partition_of=lambda i: i % partitions)
    end2 = ends_of(produced, topic)
    since = {**marks, replacement: 0}
    wait_consumed([*others, replacement], topic, end2, since=since, start=end1)
    for p, offs in consumed_offsets([replacement], topic).items():
        assert min(offs) == end1[p], f"partition {p}: the restarted member starts at {min(offs)}, committed {end1[p]}"
    check_records_match([*others, replacement], produced)

    # No rebalance: it would reach the others with their next heartbeat (every 500 ms). Watch for a
    # few heartbeat intervals (an absence cannot be polled for), then check nothing moved.
    time.sleep(4 * HEARTBEAT_MS / 1000)
    for m in others:
        assert m.rebalance_callbacks(marks[m]) == [], f"{m.name} saw a rebalance: {m.describe()}"
        assert {p for _, p in m.assignment()} == owners[m]
        assert m.proc.poll() is None
    now = static_member_ids(b.bootstrap, group)
    assert now is not None and sorted(now) == sorted(before)
    assert now["static-0"] == before["static-0"] and now["static-2"] == before["static-2"]
    assert now["static-1"] != before["static-1"], "the rejoined static member got a new member id"
    for m in [*ms, replacement]:
        assert not m.errors(), m.describe()


# ---------------------------------------------------------------------------------------------
# 3. Other clients: kafka-python, kafkajs, kcat
# ---------------------------------------------------------------------------------------------

def kafka_python_consumer(bootstrap, group, topic, client_id):
    return KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, client_id=client_id,
                         enable_auto_commit=False, auto_offset_reset="earliest", session_timeout_ms=6000,
                         heartbeat_interval_ms=500, fetch_max_wait_ms=100, max_poll_interval_ms=30000,
                         # kafka-python waits for a held JoinGroup only up to the request timeout:
                         # keep it above the rebalance timeout (max_poll_interval_ms), as its default does.
                         request_timeout_ms=40000)


def kafka_python_poll(consumer, want, timeout=45):
    """Polls until `want` records ({partition: count}) arrived; returns {partition: [(offset, key, value)]}."""
    got = {}
    deadline = time.monotonic() + timeout
    while any(len(got.get(p, [])) < n for p, n in want.items()):
        assert time.monotonic() < deadline, f"kafka-python consumer got { {p: len(v) for p, v in got.items()} }, want {want}"
        for tp, msgs in consumer.poll(timeout_ms=200).items():
            got.setdefault(tp.partition, []).extend((m.offset, m.key.decode(), m.value.decode()) for m in msgs)
    return got


def test_kafka_python_group_commit_committed_and_resume(start_broker):
    topic, group = "kpg", "kafka-python-group"
    b = start_broker(*GROUP_SETTINGS, "--set", f"topics={topic}:2")
    produced = {}
    produce(b.bootstrap, topic, 200, "a", produced, partition_of=lambda i: i % 2)
    tp0, tp1 = KTopicPartition(topic, 0), KTopicPartition(topic, 1)

    c = kafka_python_consumer(b.bootstrap, group, topic, "kp-first")
    try:
        got = kafka_python_poll(c, {0: 100, 1: 100})
        for p in (0, 1):
            assert [o for o, _, _ in got[p]] == list(range(100)), f"partition {p}"
            assert all(produced[(topic, p, o)] == (k, v) for o, k, v in got[p])
        assert c.assignment() == {tp0, tp1}
        assert c.committed(tp0) is None and c.committed(tp1) is None, "nothing committed yet"
        c.commit()
        assert (c.committed(tp0), c.committed(tp1)) == (100, 100)
        c.commit({tp0: OffsetAndMetadata(40, "forty"), tp1: OffsetAndMetadata(70, "")})
        assert c.committed(tp0, metadata=True) == OffsetAndMetadata(40, "forty")
        assert c.committed(tp1, metadata=True) == OffsetAndMetadata(70, "")
        # The committing consumer answers from its cache; a second, unsubscribed consumer of the
        # group reads the broker's view (OffsetFetch), metadata included.
        reader = KafkaConsumer(bootstrap_servers=b.bootstrap, group_id=group, enable_auto_commit=False,
                               request_timeout_ms=15000)
        try:
            assert reader.committed(tp0, metadata=True) == OffsetAndMetadata(40, "forty")
            assert reader.committed(tp1, metadata=True) == OffsetAndMetadata(70, "")
        finally:
            reader.close()
    finally:
        c.close()  # no auto-commit: closing commits nothing

    assert committed_offsets(b.bootstrap, group, topic, 2) == {0: 40, 1: 70}
    c = kafka_python_consumer(b.bootstrap, group, topic, "kp-second")
    try:
        got = kafka_python_poll(c, {0: 60, 1: 30})
        assert [o for o, _, _ in got[0]] == list(range(40, 100)), "resumes at the committed offset"
        assert [o for o, _, _ in got[1]] == list(range(70, 100)), "resumes at the committed offset"
        c.commit()
        assert (c.committed(tp0), c.committed(tp1)) == (100, 100)
    finally:
        c.close()


def test_kafkajs_consumer_group(start_broker):
    assert shutil.which("node"), "node is missing: run scripts/install-deps.sh"
    assert (JS / "node_modules" / "kafkajs").is_dir(), "kafkajs is missing: run scripts/install-deps.sh"
    b = start_broker(*GROUP_SETTINGS, "--set", "auto.create.topics.enable=false")
    result = subprocess.run(["node", "--test", "--test-reporter=spec", str(JS / "group_consumer.js")], cwd=JS,
                            env={**os.environ, "SPATE_BOOTSTRAP": b.bootstrap},
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, f"node --test group_consumer.js failed:\n{result.stdout}\n{result.stderr}"


def kcat_group_consume(bootstrap, group, topic):
    out = run_kcat("-b", bootstrap, "-G", group, "-e", "-J", "-q",
                   "-X", "auto.offset.reset=earliest", "-X", "session.timeout.ms=6000",
                   "-X", "heartbeat.interval.ms=500", "-X", "client.id=kcat-group-e2e", topic, timeout=60)
    return [json.loads(line) for line in out.decode().splitlines() if line.strip()]


def test_kcat_balanced_consumer_consumes_commits_and_resumes(start_broker):
    topic, group = "kg", "kcat-group"
    b = start_broker(*GROUP_SETTINGS, "--set", f"topics={topic}:3")
    produced = {}
    produce(b.bootstrap, topic, 150, "a", produced, partition_of=lambda i: i % 3)

    msgs = kcat_group_consume(b.bootstrap, group, topic)
    got = sorted((m["partition"], m["offset"], m["key"], m["payload"]) for m in msgs)
    assert got == sorted((p, o, k, v) for (t, p, o), (k, v) in produced.items()), "every record, exactly once"
    # kcat closes its consumer on exit, committing (auto-commit) what it consumed.
    poll_equal(lambda: committed_offsets(b.bootstrap, group, topic, 3), {0: 50, 1: 50, 2: 50}, 15,
               "kcat's committed offsets")

    new = {}
    produce(b.bootstrap, topic, 15, "b", new, partition_of=lambda i: i % 3)
    msgs = kcat_group_consume(b.bootstrap, group, topic)
    got = sorted((m["partition"], m["offset"], m["key"], m["payload"]) for m in msgs)
    assert got == sorted((p, o, k, v) for (t, p, o), (k, v) in new.items()), "only the records after the commit"
    poll_equal(lambda: committed_offsets(b.bootstrap, group, topic, 3), {0: 55, 1: 55, 2: 55}, 15,
               "kcat's committed offsets after the second run")
