"""The committed offsets and group metadata the broker writes to `__consumer_offsets` are Kafka's
records, byte for byte as Kafka lays them out: read the topic with a plain consumer and decode every
key and value with the independent decoder below (written from Kafka's record schemas, with
struct), and find exactly the committed offsets (the latest record per key wins) and the group's
metadata, each group on partition Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions.

Record schemas (all big-endian, non-flexible: string = int16 length + UTF-8, nullable string
length -1 = null, bytes = int32 length + bytes, array = int32 count + items):
  key    int16 version
         0, 1: OffsetCommitKey   group string, topic string, partition int32
         2:    GroupMetadataKey  group string
  OffsetCommitValue   int16 version
         0: offset int64, metadata string, timestamp int64
         1: offset int64, metadata string, commit_timestamp int64, expire_timestamp int64
         2: offset int64, metadata string, commit_timestamp int64
         3: offset int64, leader_epoch int32, metadata string, commit_timestamp int64
  GroupMetadataValue  int16 version (0-3)
         protocol_type string, generation int32, protocol nullable string, leader nullable string,
         current_state_timestamp int64 (v2+),
         members array of: member_id string, group_instance_id nullable string (v3+),
                           client_id string, client_host string, rebalance_timeout int32 (v1+),
                           session_timeout int32, subscription bytes, assignment bytes
A null value is a tombstone (offset deleted or expired, group deleted)."""
import struct
import time

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient
from kafka import KafkaConsumer
from kafka import TopicPartition as KTopicPartition
from kafka.structs import OffsetAndMetadata

from conftest import confluent_read_all
from group_member import GROUP_SETTINGS, decode_consumer_assignment, decode_consumer_subscription, poll_until, produce

OFFSETS_TOPIC = "__consumer_offsets"
NUM_PARTITIONS = 5


# ---- Kafka's group placement ----

def java_string_hashcode(s):
    """java.lang.String.hashCode(): h = 31 * h + c over the UTF-16 code units, in int32 arithmetic."""
    h = 0
    units = s.encode("utf-16-be")
    for i in range(0, len(units), 2):
        h = (31 * h + int.from_bytes(units[i:i + 2], "big")) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def kafka_partition_for(group, partitions):
    """GroupMetadataManager.partitionFor: Utils.abs(groupId.hashCode) % partitions, where Utils.abs
    is Math.abs except that Integer.MIN_VALUE maps to 0. (Not `hash & 0x7fffffff`, the producer's
    toPositive: for a negative hash the two differ.)"""
    h = java_string_hashcode(group)
    return (0 if h == -(1 << 31) else abs(h)) % partitions


def _pick_group(prefix, want):
    for i in range(10_000):
        g = f"{prefix}-{i}"
        if want(g):
            return g
    raise AssertionError(f"no group name {prefix}-N fits")


# An active (subscribed) group on a partition other than 0, with a positive hashCode.
GROUP_ACTIVE = _pick_group("fmt-active", lambda g: java_string_hashcode(g) > 0 and
                           kafka_partition_for(g, NUM_PARTITIONS) == 3)
# A commit-only group whose hashCode is negative and where Utils.abs and `& 0x7fffffff` disagree.
GROUP_SIMPLE = _pick_group("fmt-simple", lambda g: java_string_hashcode(g) < 0 and
                           kafka_partition_for(g, NUM_PARTITIONS) not in (0, 3) and
                           kafka_partition_for(g, NUM_PARTITIONS) !=
                           (java_string_hashcode(g) & 0x7FFFFFFF) % NUM_PARTITIONS)
# hashCode == Integer.MIN_VALUE: Utils.abs gives 0 (Python's abs would give partition 3).
GROUP_MIN_HASH = "polygenelubricants"


def test_java_hashcode_and_partition_helpers():
    assert java_string_hashcode("") == 0
    assert java_string_hashcode("hello") == 99162322
    assert java_string_hashcode("polygenelubricants") == -(1 << 31)
    assert java_string_hashcode("\U0001F600") == (0xD83D * 31 + 0xDE00)  # surrogate pair, two units
    assert kafka_partition_for(GROUP_MIN_HASH, NUM_PARTITIONS) == 0
    assert kafka_partition_for(GROUP_ACTIVE, NUM_PARTITIONS) == 3
    h = java_string_hashcode(GROUP_SIMPLE)
    assert h < 0 and kafka_partition_for(GROUP_SIMPLE, NUM_PARTITIONS) == abs(h) % NUM_PARTITIONS


# ---- the independent record decoder ----

class Reader:
    def __init__(self, data):
        self.data = bytes(data)
        self.pos = 0

    def _unpack(self, fmt):
        assert self.pos + struct.calcsize(fmt) <= len(self.data), f"truncated record: {self.data!r}"
        (v,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return v

    def i16(self):
        return self._unpack(">h")

    def i32(self):
        return self._unpack(">i")

    def i64(self):
        return self._unpack(">q")

    def string(self, nullable=False):
        n = self.i16()
        if n == -1:
            assert nullable, f"null in a non-nullable string at {self.pos}: {self.data!r}"
            return None
        assert 0 <= n and self.pos + n <= len(self.data), f"bad string length {n}: {self.data!r}"
        s = self.data[self.pos:self.pos + n].decode("utf-8")
        self.pos += n
        return s

    def bytes_(self):
        n = self.i32()
        assert 0 <= n and self.pos + n <= len(self.data), f"bad bytes length {n}: {self.data!r}"
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def end(self):
        assert self.pos == len(self.data), f"{len(self.data) - self.pos} trailing bytes: {self.data!r}"


def decode_key(data):
    """("offset", version, group, topic, partition) or ("group", version, group)."""
    r = Reader(data)
    version = r.i16()
    if version in (0, 1):
        out = ("offset", version, r.string(), r.string(), r.i32())
    elif version == 2:
        out = ("group", version, r.string())
    else:
        raise AssertionError(f"unknown __consumer_offsets key version {version}: {data!r}")
    r.end()
    return out


def decode_offset_value(data):
    r = Reader(data)
    v = r.i16()
    out = {"version": v, "leader_epoch": None, "expire_timestamp": None}
    if v == 0:
        out.update(offset=r.i64(), metadata=r.string(), commit_timestamp=r.i64())
    elif v == 1:
        out.update(offset=r.i64(), metadata=r.string(), commit_timestamp=r.i64(), expire_timestamp=r.i64())
    elif v == 2:
        out.update(offset=r.i64(), metadata=r.string(), commit_timestamp=r.i64())
    elif v == 3:
        out.update(offset=r.i64(), leader_epoch=r.i32(), metadata=r.string(), commit_timestamp=r.i64())
    else:
        raise AssertionError(f"unknown offset commit value version {v}: {data!r}")
    r.end()
    return out


def decode_group_value(data):
    r = Reader(data)
    v = r.i16()
    assert 0 <= v <= 3, f"unknown group metadata value version {v}: {data!r}"
    out = {"version": v, "protocol_type": r.string(), "generation": r.i32(), "protocol": r.string(nullable=True),
           "leader": r.string(nullable=True), "current_state_timestamp": r.i64() if v >= 2 else None}
    members = []
    for _ in range(r.i32()):
        m = {"member_id": r.string()}
        m["group_instance_id"] = r.string(nullable=True) if v >= 3 else None
        m["client_id"] = r.string()
        m["client_host"] = r.string()
        m["rebalance_timeout"] = r.i32() if v >= 1 else None
        m["session_timeout"] = r.i32()
        m["subscription"] = r.bytes_()
        m["assignment"] = r.bytes_()
        members.append(m)
    out["members"] = members
    r.end()
    return out


def read_offsets_topic(bootstrap):
    """Every record of __consumer_offsets, decoded: [(partition, offset, key, value or None)] in
    partition then offset order."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "spate-e2e-unused", "enable.auto.commit": False})
    try:
        ends = {}
        for p in range(NUM_PARTITIONS):
            low, high = c.get_watermark_offsets(TopicPartition(OFFSETS_TOPIC, p), timeout=15, cached=False)
            ends[p] = high
    finally:
        c.close()
    got = confluent_read_all(bootstrap, OFFSETS_TOPIC, ends, timeout=30)
    out = []
    for p in sorted(got):
        for m in got[p]:
            assert m.key() is not None, f"record without a key at {p}@{m.offset()}"
            key = decode_key(m.key())
            if m.value() is None:
                value = None
            elif key[0] == "offset":
                value = decode_offset_value(m.value())
            else:
                value = decode_group_value(m.value())
            out.append((p, m.offset(), key, value))
    return out


def latest_state(records):
    """Latest record per key wins (tombstones remove): ({(group, topic, partition): offset value},
    {group: group value}), and {group: set of __consumer_offsets partitions its records are on}."""
    offsets, groups, placement = {}, {}, {}
    for p, _, key, value in records:
        group = key[2]
        placement.setdefault(group, set()).add(p)
        if key[0] == "offset":
            k = (group, key[3], key[4])
            if value is None:
                offsets.pop(k, None)
            else:
                offsets[k] = value
        elif value is None:
            groups.pop(group, None)
        else:
            groups[group] = value
    return offsets, groups, placement


def test_consumer_offsets_records_are_kafkas(start_broker):
    topic = "fmt"
    b = start_broker(*GROUP_SETTINGS, "--set", f"offsets.topic.num.partitions={NUM_PARTITIONS}",
                     "--set", f"topics={topic}:3")
    produce(b.bootstrap, topic, 60, "a", {}, partition_of=lambda i: i % 3)
    t_before = int(time.time() * 1000) - 2000

    # An active group (one subscribed member, protocol "range") commits twice; the second commit
    # overrides two of the three partitions.
    active = Consumer({"bootstrap.servers": b.bootstrap, "group.id": GROUP_ACTIVE, "client.id": "fmt-client",
                       "enable.auto.commit": False, "partition.assignment.strategy": "range",
                       "session.timeout.ms": 6000, "heartbeat.interval.ms": 500, "max.poll.interval.ms": 45000,
                       "auto.offset.reset": "earliest"})
    try:
        active.subscribe([topic])

        def assigned():
            active.poll(0.1)
            return len(active.assignment()) == 3

        poll_until(assigned, 30, "the active member's assignment", interval=0)
        for offsets in ([TopicPartition(topic, 0, 3), TopicPartition(topic, 1, 4), TopicPartition(topic, 2, 5)],
                        [TopicPartition(topic, 0, 10), TopicPartition(topic, 2, 12)]):
            result = active.commit(offsets=offsets, asynchronous=False)
            assert all(tp.error is None for tp in result), result
        want_active = {(topic, 0): 10, (topic, 1): 4, (topic, 2): 12}

        # Commit-only groups (no membership, generation -1), with offset metadata.
        for group, commits in ((GROUP_SIMPLE, {0: (7, "meta-b0"), 1: (9, "")}), (GROUP_MIN_HASH, {2: (1, "min")})):
            kc = KafkaConsumer(bootstrap_servers=b.bootstrap, group_id=group, enable_auto_commit=False,
                               request_timeout_ms=15000)
            try:
                kc.assign([KTopicPartition(topic, p) for p in commits])
                kc.commit({KTopicPartition(topic, p): OffsetAndMetadata(o, md) for p, (o, md) in commits.items()})
            finally:
                kc.close()
        t_after = int(time.time() * 1000) + 2000

        meta = AdminClient({"bootstrap.servers": b.bootstrap}).list_topics(timeout=15)
        assert len(meta.topics[OFFSETS_TOPIC].partitions) == NUM_PARTITIONS

        records = read_offsets_topic(b.bootstrap)
        offsets, groups, placement = latest_state(records)
        assert set(placement) == {GROUP_ACTIVE, GROUP_SIMPLE, GROUP_MIN_HASH}, placement
        for g in placement:
            assert placement[g] == {kafka_partition_for(g, NUM_PARTITIONS)}, \
                f"group {g!r} (hashCode {java_string_hashcode(g)}) is on {placement[g]}, Kafka puts it on " \
                f"{kafka_partition_for(g, NUM_PARTITIONS)}"

        def committed_of(group):
            return {(t, p): v for (g, t, p), v in offsets.items() if g == group}

        assert {k: v["offset"] for k, v in committed_of(GROUP_ACTIVE).items()} == want_active
        assert {k: (v["offset"], v["metadata"]) for k, v in committed_of(GROUP_SIMPLE).items()} == \
            {(topic, 0): (7, "meta-b0"), (topic, 1): (9, "")}
        assert {k: (v["offset"], v["metadata"]) for k, v in committed_of(GROUP_MIN_HASH).items()} == \
            {(topic, 2): (1, "min")}
        # Every offset record in the log (not only the latest) is well-formed and timestamped now.
        for _, _, key, v in records:
            if key[0] == "offset" and v is not None:
                assert t_before <= v["commit_timestamp"] <= t_after, (key, v)
                if v["version"] == 1:
                    assert v["expire_timestamp"] >= v["commit_timestamp"], (key, v)
                if v["version"] == 3:
                    assert v["leader_epoch"] >= -1, (key, v)
        # Three records for the active group's first commit, two for its second.
        assert sum(1 for _, _, key, v in records if key[0] == "offset" and key[2] == GROUP_ACTIVE) == 5

        # The active group's metadata: a Stable generation with its one member.
        g = groups[GROUP_ACTIVE]
        assert (g["protocol_type"], g["protocol"]) == ("consumer", "range"), g
        assert g["generation"] >= 1
        assert len(g["members"]) == 1, g
        (m,) = g["members"]
        assert g["leader"] == m["member_id"] and m["member_id"]
        assert m["client_id"] == "fmt-client"
        assert "127.0.0.1" in m["client_host"], m["client_host"]
        assert m["session_timeout"] == 6000
        if g["version"] >= 1:
            assert m["rebalance_timeout"] == 45000, "librdkafka's rebalance timeout is max.poll.interval.ms"
        if g["version"] >= 2:
            assert g["current_state_timestamp"] == -1 or t_before <= g["current_state_timestamp"] <= t_after
        assert m["group_instance_id"] is None
        assert decode_consumer_subscription(m["subscription"]) == [topic]
        assert {t: sorted(ps) for t, ps in decode_consumer_assignment(m["assignment"]).items()} == {topic: [0, 1, 2]}
        active_generation = g["generation"]
    finally:
        active.close()  # LeaveGroup; no auto-commit, so no further offsets

    # The last member left: Kafka writes the now empty group (next generation, no protocol, no
    # leader, no members; still of protocol type "consumer"). The offsets are untouched.
    def emptied():
        _, groups, _ = latest_state(read_offsets_topic(b.bootstrap))
        return groups[GROUP_ACTIVE] if not groups[GROUP_ACTIVE]["members"] else None

    g = poll_until(emptied, 20, "the empty group's metadata record", interval=0.2)
    assert (g["protocol_type"], g["generation"], g["protocol"], g["leader"], g["members"]) == \
        ("consumer", active_generation + 1, None, None, []), g
    offsets, _, placement = latest_state(read_offsets_topic(b.bootstrap))
    assert {(t, p): v["offset"] for (grp, t, p), v in offsets.items() if grp == GROUP_ACTIVE} == want_active
    assert placement[GROUP_ACTIVE] == {kafka_partition_for(GROUP_ACTIVE, NUM_PARTITIONS)}
