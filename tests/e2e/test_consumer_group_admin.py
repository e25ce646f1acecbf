"""Group administration as admin clients see it: ListGroups, DescribeGroups (state, protocol, members
with decodable subscriptions and assignments), OffsetFetch of a whole group, DeleteGroups (refused
for a group with members, NON_EMPTY_GROUP; an empty group and its offsets are removed) and
OffsetDelete (refused for topics an active group subscribes to), through kafka-python's
KafkaAdminClient, confluent-kafka's AdminClient and raw requests."""
import kafka.errors as kerrors
import pytest
from confluent_kafka.admin import AdminClient
from kafka import KafkaConsumer
from kafka import TopicPartition as KTopicPartition
from kafka.admin import KafkaAdminClient
from kafka.structs import OffsetAndMetadata

import data_wire as dw
from group_member import (GROUP_SETTINGS, MemberPool, committed_offsets, decode_consumer_assignment,
                          decode_consumer_subscription, ends_of, poll_until, produce, wait_balanced, wait_committed,
                          wait_consumed)

OFFSET_DELETE = 47
GROUP_SUBSCRIBED_TO_TOPIC = 86
GROUP_ID_NOT_FOUND = 69


@pytest.fixture
def members():
    pool = MemberPool()
    yield pool
    pool.close()


@pytest.fixture
def kadmin():
    """A kafka-python KafkaAdminClient factory; closes them at the end."""
    admins = []

    def make(bootstrap):
        a = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000, client_id="group-e2e-admin")
        admins.append(a)
        return a

    yield make
    for a in admins:
        a.close()


def describe(admin, group):
    (g,) = admin.describe_consumer_groups([group])
    return g


def wait_state(admin, group, state, timeout=30):
    """Polls DescribeGroups until the group is in `state`; returns the description."""
    def check():
        g = describe(admin, group)
        return g if g.state == state else None
    return poll_until(check, timeout, f"group {group} to be {state}")


def group_offsets(admin, group):
    """{(topic, partition): offset} from OffsetFetch for the whole group."""
    return {(tp.topic, tp.partition): om.offset for tp, om in admin.list_consumer_group_offsets(group).items()}


def confluent_group(bootstrap, group):
    """confluent-kafka's (librdkafka's ListGroups + DescribeGroups) view of one group."""
    a = AdminClient({"bootstrap.servers": bootstrap})
    everything = {g.id: g for g in a.list_groups(timeout=15)}
    (one,) = a.list_groups(group=group, timeout=15)
    assert one.id == group
    assert group in everything
    return one


def test_admin_views_of_an_active_group_and_delete_only_when_empty(start_broker, members, kadmin):
    topic, partitions, group = "adm", 4, "admin-group"
    b = start_broker(*GROUP_SETTINGS, "--set", f"topics={topic}:{partitions},other:1")
    produced = {}
    produce(b.bootstrap, topic, 40, "a", produced, partition_of=lambda i: i % partitions)
    ends = ends_of(produced, topic)
    ms = [members.start(b.bootstrap, group, [topic], f"admin-{x}", strategy="range", commit="sync") for x in "ab"]
    owners = wait_balanced(ms, topic, partitions)
    wait_consumed(ms, topic, ends)
    wait_committed(ms, topic, ends)
    owned_by_client = {m.name: owners[m] for m in ms}
    admin = kadmin(b.bootstrap)
    want_offsets = {(topic, p): ends[p] for p in range(partitions)}

    # ---- kafka-python ----
    assert (group, "consumer") in admin.list_consumer_groups()
    g = wait_state(admin, group, "Stable")
    assert (g.error_code, g.group, g.protocol_type, g.protocol) == (0, group, "consumer", "range")
    assert sorted(m.client_id for m in g.members) == ["admin-a", "admin-b"]
    assert len({m.member_id for m in g.members}) == 2 and all(m.member_id for m in g.members)
    for m in g.members:
        assert "127.0.0.1" in m.client_host, m.client_host
        assert m.member_metadata.subscription == [topic]
        assert {tp.partition for tp in m.member_assignment.partitions() if tp.topic == topic} == \
            owned_by_client[m.client_id], "DescribeGroups shows the assignment each member consumes"
    assert group_offsets(admin, group) == want_offsets
    explicit = admin.list_consumer_group_offsets(group, partitions=[KTopicPartition(topic, 0),
                                                                    KTopicPartition("other", 0)])
    assert explicit[KTopicPartition(topic, 0)].offset == ends[0]
    assert explicit[KTopicPartition("other", 0)].offset == -1, "no committed offset: -1"

    # ---- confluent-kafka ----
    cg = confluent_group(b.bootstrap, group)
    assert (cg.error, cg.state, cg.protocol_type, cg.protocol) == (None, "Stable", "consumer", "range")
    assert sorted(m.client_id for m in cg.members) == ["admin-a", "admin-b"]
    assert sorted(m.id for m in cg.members) == sorted(m.member_id for m in g.members)
    for m in cg.members:
        assert decode_consumer_subscription(m.metadata) == [topic]
        assert set(decode_consumer_assignment(m.assignment).get(topic, [])) == owned_by_client[m.client_id]
    assert committed_offsets(b.bootstrap, group, topic, partitions) == ends
    check_confluent_2_admin_api(b.bootstrap, group, topic, owned_by_client, ends)

    # ---- DeleteGroups: refused while the group has members ----
    assert admin.delete_consumer_groups([group]) == [(group, kerrors.NonEmptyGroupError)]
    assert group_offsets(admin, group) == want_offsets
    assert describe(admin, group).state == "Stable"

    # Both members close (LeaveGroup): the group is Empty, still listed, offsets kept.
    for m in ms:
        assert m.terminate() == 0, m.describe()
    g = wait_state(admin, group, "Empty")
    assert (g.error_code, g.protocol_type, g.members) == (0, "consumer", [])
    assert (group, "consumer") in admin.list_consumer_groups()
    assert group_offsets(admin, group) == want_offsets
    assert confluent_group(b.bootstrap, group).state == "Empty"

    # ---- DeleteGroups: an empty group goes, with its offsets ----
    assert admin.delete_consumer_groups([group]) == [(group, kerrors.NoError)]
    assert group_offsets(admin, group) == {}
    assert group not in [name for name, _ in admin.list_consumer_groups()]
    g = describe(admin, group)
    assert (g.error_code, g.state, g.members) == (0, "Dead", []), "an unknown group describes as Dead"
    assert committed_offsets(b.bootstrap, group, topic, partitions) == {p: -1001 for p in range(partitions)}
    assert admin.delete_consumer_groups([group]) == [(group, kerrors.GroupIdNotFoundError)]


def check_confluent_2_admin_api(bootstrap, group, topic, owned_by_client, ends):
    """confluent-kafka >= 2.0 has list_consumer_groups / describe_consumer_groups /
    list_consumer_group_offsets; older versions (1.7 on Debian 12) only list_groups, checked above."""
    a = AdminClient({"bootstrap.servers": bootstrap})
    if not hasattr(a, "describe_consumer_groups"):
        return
    from confluent_kafka import ConsumerGroupState, ConsumerGroupTopicPartitions
    listing = a.list_consumer_groups(request_timeout=15).result()
    assert not listing.errors
    (found,) = [x for x in listing.valid if x.group_id == group]
    assert found.state == ConsumerGroupState.STABLE and not found.is_simple_consumer_group
    desc = a.describe_consumer_groups([group], request_timeout=15)[group].result()
    assert desc.state == ConsumerGroupState.STABLE and desc.partition_assignor == "range"
    assert {m.client_id: {tp.partition for tp in m.assignment.topic_partitions if tp.topic == topic}
            for m in desc.members} == owned_by_client
    res = a.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)], request_timeout=15)[group].result()
    assert {tp.partition: tp.offset for tp in res.topic_partitions if tp.topic == topic} == ends


def test_commit_only_group_is_listed_empty_and_deletable(start_broker, kadmin):
    """A group that only stores offsets (commits with generation -1, never joined) exists: Empty,
    protocol type "", listed; DeleteGroups removes it."""
    b = start_broker(*GROUP_SETTINGS, "--set", "topics=simple:2")
    group = "commit-only-group"
    produce(b.bootstrap, "simple", 20, "a", {}, partition_of=lambda i: i % 2)
    c = KafkaConsumer(bootstrap_servers=b.bootstrap, group_id=group, enable_auto_commit=False,
                      request_timeout_ms=15000)
    try:
        tps = [KTopicPartition("simple", 0), KTopicPartition("simple", 1)]
        c.assign(tps)
        c.commit({tps[0]: OffsetAndMetadata(3, "three"), tps[1]: OffsetAndMetadata(10, "")})
    finally:
        c.close()
    admin = kadmin(b.bootstrap)
    assert (group, "") in admin.list_consumer_groups()
    g = describe(admin, group)
    assert (g.error_code, g.state, g.protocol_type, g.members) == (0, "Empty", "", [])
    offsets = admin.list_consumer_group_offsets(group)
    assert offsets == {KTopicPartition("simple", 0): OffsetAndMetadata(3, "three"),
                       KTopicPartition("simple", 1): OffsetAndMetadata(10, "")}
    assert admin.delete_consumer_groups([group]) == [(group, kerrors.NoError)]
    assert admin.list_consumer_group_offsets(group) == {}
    assert group not in [name for name, _ in admin.list_consumer_groups()]


def test_deleting_a_topic_removes_its_committed_offsets(start_broker, kadmin):
    """As Kafka does: a deleted topic's offsets leave every group, so a topic re-created under the
    same name does not resume from stale commits; other topics' offsets stay."""
    b = start_broker(*GROUP_SETTINGS, "--set", "topics=doomed:1,kept:1")
    group = "deleted-topic-group"
    c = KafkaConsumer(bootstrap_servers=b.bootstrap, group_id=group, enable_auto_commit=False,
                      request_timeout_ms=15000)
    try:
        tps = [KTopicPartition("doomed", 0), KTopicPartition("kept", 0)]
        c.assign(tps)
        c.commit({tps[0]: OffsetAndMetadata(5, ""), tps[1]: OffsetAndMetadata(7, "")})
    finally:
        c.close()
    admin = kadmin(b.bootstrap)
    assert set(admin.list_consumer_group_offsets(group)) == {KTopicPartition("doomed", 0), KTopicPartition("kept", 0)}
    admin.delete_topics(["doomed"], timeout_ms=15000)
    assert admin.list_consumer_group_offsets(group) == {KTopicPartition("kept", 0): OffsetAndMetadata(7, "")}


def offset_delete(broker, group, topics):
    """OffsetDelete v0 (raw): returns (top-level error, {(topic, partition): error})."""
    body = dw.W().string(group).array(
        list(topics.items()), lambda w, t: w.string(t[0]).array(t[1], lambda w2, p: w2.i32(p)))
    with dw.Conn(broker) as conn:
        r = conn.call(OFFSET_DELETE, 0, body.buf, flexible=False)
        err = r.i16()
        r.i32()  # throttle_time_ms
        parts = r.array(lambda r: (r.string(), r.array(lambda r: (r.i32(), r.i16()))))
    return err, {(t, p): e for t, ps in parts or [] for p, e in ps}


def test_offset_delete_refused_for_subscribed_topics_while_active(start_broker, members, kadmin):
    b = start_broker(*GROUP_SETTINGS, "--set", "topics=od:2,od-other:2")
    group = "offset-delete-group"
    produced = {}
    produce(b.bootstrap, "od", 20, "a", produced, partition_of=lambda i: i % 2)
    produce(b.bootstrap, "od-other", 20, "b", produced, partition_of=lambda i: i % 2)
    ends = ends_of(produced, "od")
    # Offsets of od-other, committed while the group is empty (no generation).
    c = KafkaConsumer(bootstrap_servers=b.bootstrap, group_id=group, enable_auto_commit=False,
                      request_timeout_ms=15000)
    try:
        c.assign([KTopicPartition("od-other", 0), KTopicPartition("od-other", 1)])
        c.commit({KTopicPartition("od-other", 0): OffsetAndMetadata(3, ""),
                  KTopicPartition("od-other", 1): OffsetAndMetadata(4, "")})
    finally:
        c.close()
    # A member subscribed to od consumes and commits od.
    m = members.start(b.bootstrap, group, ["od"], "od-member", commit="sync")
    wait_balanced([m], "od", 2)
    wait_consumed([m], "od", ends)
    wait_committed([m], "od", ends)
    admin = kadmin(b.bootstrap)
    assert group_offsets(admin, group) == {("od", 0): ends[0], ("od", 1): ends[1], ("od-other", 0): 3,
                                           ("od-other", 1): 4}

    # While the group is active: the subscribed topic's offsets stay (GROUP_SUBSCRIBED_TO_TOPIC),
    # another topic's go.
    err, res = offset_delete(b, group, {"od": [0, 1], "od-other": [0]})
    assert (err, res) == (0, {("od", 0): GROUP_SUBSCRIBED_TO_TOPIC, ("od", 1): GROUP_SUBSCRIBED_TO_TOPIC,
                              ("od-other", 0): 0})
    assert group_offsets(admin, group) == {("od", 0): ends[0], ("od", 1): ends[1], ("od-other", 1): 4}

    # Once the group is empty, any of its offsets can be deleted.
    assert m.terminate() == 0, m.describe()
    wait_state(admin, group, "Empty")
    assert offset_delete(b, group, {"od": [0]}) == (0, {("od", 0): 0})
    assert group_offsets(admin, group) == {("od", 1): ends[1], ("od-other", 1): 4}
    assert committed_offsets(b.bootstrap, group, "od", 2) == {0: -1001, 1: ends[1]}

    assert offset_delete(b, "no-such-group", {"od": [0]})[0] == GROUP_ID_NOT_FOUND
