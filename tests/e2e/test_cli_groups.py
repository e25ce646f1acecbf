"""`spate group ...` against the real broker, checked with confluent-kafka consumers in the group."""
import socket

from confluent_kafka import Consumer, Producer, TopicPartition

from cli_support import as_json, failure, ok, spate, table, tables
from conftest import wait_until


def produce(broker, topic, counts, timestamp_ms=None):
    """Writes counts[p] records to each partition p."""
    p = Producer({"bootstrap.servers": broker.bootstrap})
    for partition, n in counts.items():
        for i in range(n):
            kwargs = {"timestamp": timestamp_ms(partition, i)} if timestamp_ms else {}
            p.produce(topic, value=f"{partition}-{i}".encode(), partition=partition, **kwargs)
    assert p.flush(30) == 0


def commit(broker, group, offsets):
    """Commits {(topic, partition): offset} for `group` without joining it."""
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        c.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()], asynchronous=False)
    finally:
        c.close()


def committed(broker, group, topic, partitions):
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        return {tp.partition: tp.offset for tp in c.committed([TopicPartition(topic, p) for p in partitions],
                                                              timeout=10)}
    finally:
        c.close()


def joined_member(broker, group, topic, client_id="cli-test-member"):
    """A confluent consumer subscribed to `topic` that holds its assignment; close() it when done."""
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group, "client.id": client_id,
                  "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    c.subscribe([topic])

    def assigned():
        c.poll(0.2)
        return c.assignment()
    wait_until(assigned, 30, f"{group} to assign partitions")
    return c


def test_describe_shows_state_members_assignment_and_lag_of_a_live_group(broker):
    produce(broker, "orders", {0: 4, 1: 2, 2: 0})
    commit(broker, "live", {("orders", 0): 1, ("orders", 1): 2})
    member = joined_member(broker, "live", "orders")
    try:
        d = as_json(broker, "group", "describe", "live")
        assert d["group"] == "live"
        assert d["state"] == "Stable"
        assert d["protocol_type"] == "consumer"
        assert d["protocol"] in ("range", "roundrobin", "cooperative-sticky")
        assert len(d["members"]) == 1
        m = d["members"][0]
        assert m["client_id"] == "cli-test-member"
        assert m["member_id"].startswith("cli-test-member")
        assert m["host"]
        assigned = sorted((tp.topic, tp.partition) for tp in member.assignment())
        decoded = sorted((tp["topic"], p) for tp in m["assignment"]["partitions"] for p in tp["partitions"])
        assert decoded == assigned == [("orders", 0), ("orders", 1), ("orders", 2)]
        offsets = {o["partition"]: o for o in d["offsets"]}
        assert offsets[0] == {"topic": "orders", "partition": 0, "committed": 1, "log_end_offset": 4, "lag": 3}
        assert offsets[1]["committed"] == 2 and offsets[1]["lag"] == 0
        assert offsets[2]["committed"] is None and offsets[2]["lag"] is None and offsets[2]["log_end_offset"] == 0

        members_table, offsets_table = tables(ok(broker, "group", "describe", "live"))
        assert members_table[0]["CLIENT_ID"] == "cli-test-member"
        assert members_table[0]["ASSIGNMENT"] == "orders:0,1,2"
        assert [(r["PARTITION"], r["COMMITTED"], r["LOG_END"], r["LAG"]) for r in offsets_table] == \
            [("0", "1", "4", "3"), ("1", "2", "2", "0"), ("2", "-", "0", "-")]

        listed = {g["group"]: g for g in as_json(broker, "group", "list")["groups"]}
        assert listed["live"]["state"] == "Stable"

        # A group with members is not reset, and nothing changes.
        result = spate("group", "reset-offsets", "live", "--topic", "orders", "--to-earliest", "--execute",
                       "-b", broker.bootstrap)
        line = failure(result)
        assert "NON_EMPTY_GROUP" in line and "live" in line
    finally:
        member.close()
    assert committed(broker, "live", "orders", [0, 1]) == {0: 1, 1: 2}


def test_reset_is_a_dry_run_until_execute_and_a_new_member_starts_at_the_new_offset(broker):
    produce(broker, "orders", {0: 10, 1: 10, 2: 10})
    commit(broker, "g", {("orders", 0): 8, ("orders", 1): 9, ("orders", 2): 10})

    plan = as_json(broker, "group", "reset-offsets", "g", "--topic", "orders:0,1", "--shift-by", "-5")
    assert plan == {"group": "g", "executed": False, "partitions": [
        {"topic": "orders", "partition": 0, "current": 8, "new": 3},
        {"topic": "orders", "partition": 1, "current": 9, "new": 4}]}
    assert committed(broker, "g", "orders", [0, 1, 2]) == {0: 8, 1: 9, 2: 10}

    text = ok(broker, "group", "reset-offsets", "g", "--topic", "orders:0,1", "--shift-by", "-5", "--execute")
    assert [(r["PARTITION"], r["CURRENT"], r["NEW"]) for r in table(text)] == [("0", "8", "3"), ("1", "9", "4")]
    assert committed(broker, "g", "orders", [0, 1, 2]) == {0: 3, 1: 4, 2: 10}

    # A consumer of the group starts where the reset put it.
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "g", "enable.auto.commit": False})
    c.assign([TopicPartition("orders", 0)])
    try:
        msg = wait_until(lambda: c.poll(0.5), 30, "a record from orders[0]")
        assert msg.error() is None and msg.offset() == 3 and msg.value() == b"0-3"
    finally:
        c.close()


def test_reset_to_earliest_latest_offset_for_all_topics(broker):
    produce(broker, "orders", {0: 5})
    produce(broker, "events", {0: 7})
    commit(broker, "multi", {("orders", 0): 2, ("events", 0): 3})
    ok(broker, "group", "reset-offsets", "multi", "--all-topics", "--to-latest", "--execute")
    assert committed(broker, "multi", "orders", [0]) == {0: 5}
    assert committed(broker, "multi", "events", [0]) == {0: 7}
    ok(broker, "group", "reset-offsets", "multi", "--all-topics", "--to-earliest", "--execute")
    assert committed(broker, "multi", "events", [0]) == {0: 0}
    # --to-offset is clamped to the log.
    ok(broker, "group", "reset-offsets", "multi", "--topic", "events", "--to-offset", "100", "--execute")
    assert committed(broker, "multi", "events", [0]) == {0: 7}


def test_reset_to_datetime_finds_the_first_record_at_or_after_the_time(broker):
    base = 1_700_000_000_000  # 2023-11-14T22:13:20Z
    produce(broker, "events", {0: 6}, timestamp_ms=lambda p, i: base + i * 60_000)
    commit(broker, "dt", {("events", 0): 0})
    plan = as_json(broker, "group", "reset-offsets", "dt", "--topic", "events", "--to-datetime",
                   "2023-11-14T22:15:00Z", "--execute")
    assert plan["partitions"] == [{"topic": "events", "partition": 0, "current": 0, "new": 2}]
    assert committed(broker, "dt", "events", [0]) == {0: 2}
    # A zone offset means the same instant.
    plan = as_json(broker, "group", "reset-offsets", "dt", "--topic", "events", "--to-datetime",
                   "2023-11-15T00:16:20+02:00")
    assert plan["partitions"][0]["new"] == 3
    # Later than every record: the log end.
    plan = as_json(broker, "group", "reset-offsets", "dt", "--topic", "events", "--to-datetime", "2030-01-01")
    assert plan["partitions"][0]["new"] == 6


def test_delete_removes_an_empty_group(broker):
    commit(broker, "doomed", {("orders", 0): 0})
    assert "doomed" in [r["GROUP"] for r in table(ok(broker, "group", "list"))]
    assert as_json(broker, "group", "delete", "doomed") == {"deleted": ["doomed"]}
    wait_until(lambda: "doomed" not in [g["group"] for g in as_json(broker, "group", "list")["groups"]], 15,
               "doomed to leave the group list")
    line = failure(spate("group", "describe", "doomed", "-b", broker.bootstrap))
    assert "GROUP_ID_NOT_FOUND" in line


def test_missing_topic_or_partition_fails_the_reset(broker):
    commit(broker, "g2", {("orders", 0): 0})
    line = failure(spate("group", "reset-offsets", "g2", "--topic", "nope", "--to-earliest", "-b", broker.bootstrap))
    assert "UNKNOWN_TOPIC_OR_PART" in line and "nope" in line
    line = failure(spate("group", "reset-offsets", "g2", "--topic", "orders:7", "--to-earliest",
                         "-b", broker.bootstrap))
    assert "no partition 7" in line


def test_reset_usage_errors_exit_2(broker):
    for extra in ([], ["--to-earliest", "--to-latest"], ["--all-topics", "--topic", "orders", "--to-earliest"],
                  ["--to-earliest"], ["--topic", "orders", "--to-datetime", "yesterday"],
                  ["--topic", "orders:x", "--to-earliest"]):
        result = spate("group", "reset-offsets", "g", *extra, "-b", broker.bootstrap)
        assert result.returncode == 2, (extra, result.returncode, result.stderr)


def test_unreachable_broker_fails_with_one_line():
    port = socket.socket()
    port.bind(("127.0.0.1", 0))
    address = f"127.0.0.1:{port.getsockname()[1]}"  # bound, not listening: connections are refused
    try:
        failure(spate("group", "list", "-b", address, "--timeout", "1500", timeout=30))
    finally:
        port.close()
