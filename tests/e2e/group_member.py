"""One consumer-group member for the e2e tests, and the test-side handle that runs it as a process.

Run as a script (MemberProcess does that with /usr/bin/python3), it subscribes a confluent-kafka
(librdkafka) consumer to the given topics in the given group and reports, as JSON lines on stdout:

  {"event": "ready"}                                       consumer created and subscribed
  {"event": "assign"|"revoke"|"lost", "partitions": P}     rebalance callbacks (incremental under
                                                           the cooperative protocol)
  {"event": "assignment", "partitions": P}                 consumer.assignment() changed (full set)
  {"event": "records", "records": [[t, p, offset, key, value], ...]}
  {"event": "committed", "offsets": [[t, p, offset], ...]} a commit the broker acknowledged
  {"event": "commit_error", "error": "..."}
  {"event": "error", "error": "..."}                       a consumer error other than partition EOF
  {"event": "closed"}                                      close() returned (clean shutdown)

where P is [[topic, partition], ...]. Commits are either librdkafka's auto-commit (`--commit auto`,
interval 200 ms, reported through on_commit) or a synchronous commit of the consumed positions after
every non-empty batch (`--commit sync`). SIGTERM (or SIGINT) ends the poll loop and closes the
consumer: under auto-commit that commits the consumed positions, and a dynamic member leaves the
group (a static member, with group.instance.id, does not send LeaveGroup). The member also exits by
itself after --max-runtime-s so a lost test can never leave it running."""
import json
import os
import signal
import subprocess
import sys
import threading
import time

from conftest import wait_until

SCRIPT = os.path.abspath(__file__)
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


# ---------------------------------------------------------------------------------------------
# The member (child process side)
# ---------------------------------------------------------------------------------------------

def _emit(event, **fields):
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


def _parts(tps):
    return sorted([tp.topic, tp.partition] for tp in tps)


def _member_main(argv):
    import argparse

    from confluent_kafka import Consumer, KafkaError, KafkaException

    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--topic", action="append", required=True)
    ap.add_argument("--client-id", required=True)
    ap.add_argument("--strategy", default="range")
    ap.add_argument("--commit", choices=("auto", "sync"), default="sync")
    ap.add_argument("--instance-id")
    ap.add_argument("--session-timeout-ms", type=int, default=6000)
    ap.add_argument("--heartbeat-interval-ms", type=int, default=500)
    ap.add_argument("--max-poll-interval-ms", type=int, default=30000)
    ap.add_argument("--max-runtime-s", type=float, default=150)
    args = ap.parse_args(argv)

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def on_commit(err, partitions):
        if err is not None:
            _emit("commit_error", error=str(err))
            return
        _emit("committed", offsets=sorted([tp.topic, tp.partition, tp.offset] for tp in partitions
                                          if tp.error is None and tp.offset >= 0))

    conf = {
        "bootstrap.servers": args.bootstrap,
        "group.id": args.group,
        "client.id": args.client_id,
        "partition.assignment.strategy": args.strategy,
        "session.timeout.ms": args.session_timeout_ms,
        "heartbeat.interval.ms": args.heartbeat_interval_ms,
        "max.poll.interval.ms": args.max_poll_interval_ms,
        "auto.offset.reset": "earliest",
        "enable.partition.eof": False,
        "fetch.wait.max.ms": 100,
        "socket.timeout.ms": 15000,
    }
    if args.instance_id:
        conf["group.instance.id"] = args.instance_id
    if args.commit == "auto":
        conf.update({"enable.auto.commit": True, "auto.commit.interval.ms": 200, "on_commit": on_commit})
    else:
        conf["enable.auto.commit"] = False

    consumer = Consumer(conf)
    consumer.subscribe(
        args.topic,
        on_assign=lambda c, tps: _emit("assign", partitions=_parts(tps)),
        on_revoke=lambda c, tps: _emit("revoke", partitions=_parts(tps)),
        on_lost=lambda c, tps: _emit("lost", partitions=_parts(tps)))
    _emit("ready")

    deadline = time.monotonic() + args.max_runtime_s
    last_assignment = None
    try:
        while not stop.is_set() and time.monotonic() < deadline:
            msgs = consumer.consume(num_messages=500, timeout=0.2)
            assignment = _parts(consumer.assignment())
            if assignment != last_assignment:
                _emit("assignment", partitions=assignment)
                last_assignment = assignment
            records = []
            for m in msgs:
                if m.error() is not None:
                    if m.error().code() != KafkaError._PARTITION_EOF:
                        _emit("error", error=str(m.error()))
                    continue
                key = m.key().decode() if m.key() is not None else None
                value = m.value().decode() if m.value() is not None else None
                records.append([m.topic(), m.partition(), m.offset(), key, value])
            if not records:
                continue
            _emit("records", records=records)
            if args.commit == "sync":
                try:
                    committed = consumer.commit(asynchronous=False)
                except KafkaException as e:
                    _emit("commit_error", error=str(e))
                else:
                    _emit("committed", offsets=sorted([tp.topic, tp.partition, tp.offset] for tp in committed or []
                                                      if tp.error is None and tp.offset >= 0))
    finally:
        consumer.close()
        _emit("closed")


# ---------------------------------------------------------------------------------------------
# The test-side handle
# ---------------------------------------------------------------------------------------------

class MemberProcess:
    """A running group_member.py. Its stdout events are collected in `events` as (arrival time
    (time.monotonic() in the test process), event dict), in the order the member printed them."""

    def __init__(self, bootstrap, group, topics, client_id, strategy="range", commit="sync",
                 instance_id=None, session_timeout_ms=6000, heartbeat_interval_ms=500, max_runtime_s=150):
        self.name = client_id
        args = [PYTHON, SCRIPT, "--bootstrap", bootstrap, "--group", group, "--client-id", client_id,
                "--strategy", strategy, "--commit", commit, "--session-timeout-ms", str(session_timeout_ms),
                "--heartbeat-interval-ms", str(heartbeat_interval_ms), "--max-runtime-s", str(max_runtime_s)]
        for t in topics:
            args += ["--topic", t]
        if instance_id:
            args += ["--instance-id", instance_id]
        self.events = []
        self.stderr = []
        self._cond = threading.Condition()
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     cwd=os.path.dirname(SCRIPT))
        self._readers = [threading.Thread(target=self._read_stdout, daemon=True),
                         threading.Thread(target=self._read_stderr, daemon=True)]
        for t in self._readers:
            t.start()

    def __repr__(self):
        return f"<member {self.name} pid {self.proc.pid} rc {self.proc.poll()}>"

    def _read_stdout(self):
        for line in self.proc.stdout:
            line = line.strip()
            if not line:
                continue
            try:
                event = json.loads(line)
            except ValueError:
                event = {"event": "garbage", "line": line}
            with self._cond:
                self.events.append((time.monotonic(), event))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def _read_stderr(self):
        for line in self.proc.stderr:
            self.stderr.append(line)

    # ---- views of the events ----

    def snapshot(self):
        with self._cond:
            return list(self.events)

    def mark(self):
        """A position in the event stream, for `since=` arguments."""
        with self._cond:
            return len(self.events)

    def of(self, kind, since=0):
        return [e for _, e in self.snapshot()[since:] if e["event"] == kind]

    def assignment(self):
        """The member's latest reported full assignment as a set of (topic, partition), or None."""
        latest = self.of("assignment")
        return {tuple(p) for p in latest[-1]["partitions"]} if latest else None

    def records(self, since=0):
        """Consumed records [(topic, partition, offset, key, value)] in consumption order."""
        return [tuple(r) for e in self.of("records", since) for r in e["records"]]

    def committed(self, since=0):
        """{(topic, partition): highest offset this member reported as committed}."""
        out = {}
        for e in self.of("committed", since):
            for t, p, o in e["offsets"]:
                out[(t, p)] = max(out.get((t, p), -1), o)
        return out

    def rebalance_callbacks(self, since=0):
        return [e for e in self.of("assign", since) + self.of("revoke", since) + self.of("lost", since)]

    def errors(self):
        return self.of("error") + [e for e in self.of("garbage")]

    def describe(self):
        return (f"{self!r}\n  last events: {[e for _, e in self.snapshot()[-8:]]}\n"
                f"  stderr tail: {''.join(self.stderr[-15:])}")

    def wait_for(self, predicate, timeout, what):
        """Waits until predicate(self) is truthy (returned); fails with the member's recent output."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate(self)
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out after {timeout}s waiting for {what}: {self.describe()}")
                if self.proc.poll() is not None and not self._readers[0].is_alive():
                    value = predicate(self)
                    if value:
                        return value
                    raise AssertionError(f"member exited while waiting for {what}: {self.describe()}")
                self._cond.wait(min(left, 0.2))

    # ---- lifecycle ----

    def terminate(self, timeout=30):
        """SIGTERM: the member closes its consumer cleanly. Returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"member did not stop within {timeout}s of SIGTERM: {self.describe()}")
        for t in self._readers:
            t.join(timeout=5)
        return self.proc.returncode

    def kill(self):
        """SIGKILL: the member vanishes without leaving the group or committing."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for t in self._readers:
            t.join(timeout=5)
        return self.proc.returncode


class MemberPool:
    """Starts MemberProcesses and kills whatever is still running at close() (fixture teardown)."""

    def __init__(self):
        self.members = []

    def start(self, *args, **kwargs):
        m = MemberProcess(*args, **kwargs)
        self.members.append(m)
        return m

    def close(self):
        for m in self.members:
            if m.proc.poll() is None:
                m.proc.kill()
        for m in self.members:
            try:
                m.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass


# ---------------------------------------------------------------------------------------------
# Shared test helpers for the consumer-group tests
# ---------------------------------------------------------------------------------------------

# Broker settings every group test uses: no initial rebalance delay (members join at once), and
# session timeouts down to 1 s allowed.
GROUP_SETTINGS = ("--set", "group.initial.rebalance.delay.ms=0", "--set", "group.min.session.timeout.ms=1000")


# The e2e suite's one polling helper, under the name these tests use.
poll_until = wait_until


def produce(bootstrap, topic, n, tag, produced, partition_of=None):
    """Produces n keyed records (key f"{tag}-{i}", value f"{tag}-value-{i}") with acks=all, to
    partition_of(i) or, when None, where the default (key-hashing) partitioner puts them. Records
    every acknowledged record in `produced` as {(topic, partition, offset): (key, value)} and
    returns {partition: [offsets of this call]}."""
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5})
    errors = []
    batch = {}

    def on_delivery(err, msg):
        if err is not None:
            errors.append(err)
            return
        produced[(msg.topic(), msg.partition(), msg.offset())] = (msg.key().decode(), msg.value().decode())
        batch.setdefault(msg.partition(), []).append(msg.offset())

    for i in range(n):
        kwargs = {} if partition_of is None else {"partition": partition_of(i)}
        p.produce(topic, key=f"{tag}-{i}", value=f"{tag}-value-{i}", on_delivery=on_delivery, **kwargs)
    assert p.flush(60) == 0, "every record got a delivery report"
    assert errors == [], errors
    assert sum(len(v) for v in batch.values()) == n
    return batch


def ends_of(produced, topic):
    """{partition: log end offset} from the acknowledged records."""
    ends = {}
    for t, p, o in produced:
        if t == topic:
            ends[p] = max(ends.get(p, 0), o + 1)
    return ends


def check_records_match(members, produced, since=None):
    """Every record any member consumed is exactly the produced record at that offset."""
    since = since or {}
    for m in members:
        for t, p, o, k, v in m.records(since.get(m, 0)):
            assert produced.get((t, p, o)) == (k, v), f"{m.name} consumed {t}/{p}@{o} = {(k, v)!r}, " \
                                                      f"produced {produced.get((t, p, o))!r}"


def consumed_offsets(members, topic, since=None):
    """{partition: set of offsets} consumed by any of the members (each from its `since` mark)."""
    since = since or {}
    out = {}
    for m in members:
        for t, p, o, _, _ in m.records(since.get(m, 0)):
            if t == topic:
                out.setdefault(p, set()).add(o)
    return out


def wait_balanced(members, topic, partitions, timeout=45):
    """Waits until the members' latest assignments of `topic` are pairwise disjoint, each of the
    same size (partitions / len(members)), and together cover every partition exactly once.
    Returns {member: set of partitions}."""
    want = set(range(partitions))
    per_member = partitions // len(members)

    def balanced():
        current = {}
        for m in members:
            a = m.assignment()
            if a is None:
                return None
            current[m] = {p for t, p in a if t == topic}
        if any(len(s) != per_member for s in current.values()):
            return None
        union = set().union(*current.values())
        if union != want or sum(len(s) for s in current.values()) != partitions:
            return None
        return current

    try:
        return poll_until(balanced, timeout, f"{len(members)} members to share {partitions} partitions of {topic}")
    except AssertionError as e:
        raise AssertionError(f"{e}\n" + "\n".join(m.describe() for m in members)) from None


def wait_consumed(members, topic, ends, timeout=45, since=None, start=None):
    """Waits until, for every partition, the members together consumed every offset in
    [start[p] (default 0), ends[p])."""
    start = start or {}

    def done():
        got = consumed_offsets(members, topic, since)
        return all(set(range(start.get(p, 0), end)) <= got.get(p, set()) for p, end in ends.items())

    try:
        poll_until(done, timeout, f"members to consume {topic} up to {ends}")
    except AssertionError as e:
        got = consumed_offsets(members, topic, since)
        summary = {p: (len(got.get(p, ())), max(got.get(p, {-1}))) for p in ends}
        raise AssertionError(f"{e}\nconsumed (count, max) per partition: {summary}\n" +
                             "\n".join(m.describe() for m in members)) from None


def wait_committed(members, topic, ends, timeout=30):
    """Waits until the highest offsets the members reported as committed reach `ends`."""
    def done():
        best = {}
        for m in members:
            for (t, p), o in m.committed().items():
                if t == topic:
                    best[p] = max(best.get(p, -1), o)
        return all(best.get(p, -1) >= end for p, end in ends.items())

    poll_until(done, timeout, f"commits of {topic} up to {ends}")


def committed_offsets(bootstrap, group, topic, partitions, timeout=15):
    """The group's committed offsets {partition: offset} as a group-less confluent consumer reads
    them (OffsetFetch; -1001 = none)."""
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        tps = c.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=timeout)
        for tp in tps:
            assert tp.error is None, tp
        return {tp.partition: tp.offset for tp in tps}
    finally:
        c.close()


def decode_consumer_assignment(data):
    """ConsumerProtocolAssignment (any version: int16 version, [topic string, [int32 partition]],
    bytes user_data): {topic: [partitions]}."""
    import struct
    pos = 2
    (n,) = struct.unpack_from(">i", data, pos)
    pos += 4
    out = {}
    for _ in range(n):
        (tl,) = struct.unpack_from(">h", data, pos)
        pos += 2
        topic = data[pos:pos + tl].decode()
        pos += tl
        (pn,) = struct.unpack_from(">i", data, pos)
        pos += 4
        out[topic] = list(struct.unpack_from(f">{pn}i", data, pos))
        pos += 4 * pn
    return out


def decode_consumer_subscription(data):
    """ConsumerProtocolSubscription (any version starts with int16 version, [topic string]): the topics."""
    import struct
    pos = 2
    (n,) = struct.unpack_from(">i", data, pos)
    pos += 4
    topics = []
    for _ in range(n):
        (tl,) = struct.unpack_from(">h", data, pos)
        pos += 2
        topics.append(data[pos:pos + tl].decode())
        pos += tl
    return topics


if __name__ == "__main__":
    _member_main(sys.argv[1:])
