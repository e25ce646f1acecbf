"""The built-in lag monitor against real consumers (confluent-kafka, kafka-python, kafkajs): each
scenario asserts the status the monitor reports, its reason and the lags, read from /v1/lag."""
import os
import shutil
import signal
import subprocess
import time

import pytest

from conftest import wait_until
from lag_support import (LAG_SETTINGS, TICK_S, ConsumerProcess, SteadyProducer, create_topic, get_json, lag_group,
                         produce, transitions, wait_group)


@pytest.fixture
def lag_broker(start_broker):
    return start_broker(*LAG_SETTINGS)


def statuses(view):
    return {p["status"] for p in view["partitions"]}


def commit(bootstrap, group, topic, offset, partition=0):
    """A simple commit (no group membership), as a tool or a stopped consumer's last commit leaves."""
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        c.commit(offsets=[TopicPartition(topic, partition, offset)], asynchronous=False)
    finally:
        c.close()


def test_consumer_that_keeps_up_is_ok_with_lag_near_zero(lag_broker):
    create_topic(lag_broker.bootstrap, "keep")
    producer = SteadyProducer(lag_broker.bootstrap, "keep", rate=100)
    consumer = ConsumerProcess(lag_broker.bootstrap, "keeper", "keep")
    try:
        view = wait_group(lag_broker, "keeper", lambda v: v["status"] == "OK" and v["total_lag"] < 100
                          and v["partitions"][0]["consume_rate"] > 0, 20, "OK while producing")
        assert view["members"] == 1 and view["state"] == "Stable"
        p = view["partitions"][0]
        assert p["owner"] is not None and p["consume_rate"] > 0, p
        producer.stop()
        wait_group(lag_broker, "keeper", lambda v: v["total_lag"] == 0 and v["status"] in ("OK", "IDLE"), 20,
                   "caught up after the producer stopped")
    finally:
        producer.stop()
        consumer.stop()
    assert not [t for t in transitions(lag_broker, "keeper") if t["to"] in ("STOPPED", "STALLED", "SLOW")]


def test_idle_topic_with_stopped_consumer_that_read_everything_is_idle_never_stopped(lag_broker):
    create_topic(lag_broker.bootstrap, "quiet")
    produce(lag_broker.bootstrap, "quiet", 20)
    consumer = ConsumerProcess(lag_broker.bootstrap, "reader", "quiet")
    wait_until(lambda: "consumed 20" in consumer.lines, 20, "consumer read all 20")
    consumer.stop()  # leaves the group: Empty, nothing unread
    wait_group(lag_broker, "reader", lambda v: v["state"] == "Empty" and v["status"] == "IDLE", 10, "IDLE")
    # Many ticks later it is still IDLE: an idle topic is never an alarm, whatever the commit's age.
    deadline = time.monotonic() + 15 * TICK_S
    while time.monotonic() < deadline:
        view = lag_group(lag_broker, "reader")
        assert view["status"] == "IDLE" and view["total_lag"] == 0, view
        time.sleep(TICK_S)
    assert not [t for t in transitions(lag_broker, "reader") if t["to"] == "STOPPED"]


def test_killed_consumer_is_stopped_with_growing_time_lag_then_recovers(lag_broker):
    create_topic(lag_broker.bootstrap, "busy")
    producer = SteadyProducer(lag_broker.bootstrap, "busy", rate=100)
    try:
        consumer = ConsumerProcess(lag_broker.bootstrap, "victim", "busy")
        wait_group(lag_broker, "victim", lambda v: v["status"] == "OK", 20, "OK before the kill")
        consumer.kill()
        killed_at = time.monotonic()
        # The group empties when the 2 s session expires; STOPPED follows within two ticks.
        empty = wait_group(lag_broker, "victim", lambda v: v["state"] == "Empty", 15, "group empty")
        stopped = wait_group(lag_broker, "victim", lambda v: v["status"] == "STOPPED", 3 * TICK_S + 1,
                             "STOPPED within two ticks of emptying")
        assert stopped["taken_at_ms"] - empty["taken_at_ms"] <= 2 * TICK_S * 1000 + 150
        assert time.monotonic() - killed_at < 10
        assert "no live member" in stopped["reason"].lower() or "stopped" in stopped["reason"].lower(), stopped
        # No commits happen now: time lag grows with the wall clock, not frozen at the last commit.
        first = lag_group(lag_broker, "victim")
        time.sleep(1.5)
        second = lag_group(lag_broker, "victim")
        grown = second["max_time_lag_ms"] - first["max_time_lag_ms"]
        elapsed = second["taken_at_ms"] - first["taken_at_ms"]
        assert second["status"] == "STOPPED"
        assert abs(grown - elapsed) <= 2 * TICK_S * 1000, (first, second)
        # A new member resumes, paced so the catch-up spans several ticks: RECOVERING, then OK.
        resumed = ConsumerProcess(lag_broker.bootstrap, "victim", "busy", rate=400)
        try:
            wait_group(lag_broker, "victim", lambda v: v["status"] == "RECOVERING", 20, "RECOVERING")
            wait_group(lag_broker, "victim", lambda v: v["status"] == "OK", 40, "OK after recovering")
        finally:
            resumed.stop()
    finally:
        producer.stop()
    path = [t["to"] for t in transitions(lag_broker, "victim") if t["partition"] is None][::-1]
    assert "STOPPED" in path and "RECOVERING" in path[path.index("STOPPED"):], path


def test_slow_consumer_is_slow_then_eta_tracks_the_catch_up(lag_broker):
    create_topic(lag_broker.bootstrap, "fast")
    producer = SteadyProducer(lag_broker.bootstrap, "fast", rate=300)
    consumer = ConsumerProcess(lag_broker.bootstrap, "slowpoke", "fast", rate=100, fast_rate=500)
    try:
        slow = wait_group(lag_broker, "slowpoke", lambda v: v["status"] == "SLOW", 30, "SLOW")
        p = slow["partitions"][0]
        assert p["produce_rate"] > p["consume_rate"] > 0, p
        assert "rec/s" in p["reason"], p["reason"]
        wait_group(lag_broker, "slowpoke", lambda v: v["total_lag"] > 1500, 30, "a backlog of 1500")
        consumer.signal(signal.SIGUSR1)  # now consumes faster than the producer
        switched_ms = int(time.time() * 1000)
        # The rates are taken over the window (5 ticks): once it holds only the faster consumption,
        # the ETA is lag / (consume rate - produce rate) at the new pace.
        first = wait_group(lag_broker, "slowpoke", lambda v: v["eta_seconds"] is not None and v["total_lag"] > 300
                           and v["taken_at_ms"] >= switched_ms + 6 * TICK_S * 1000, 30, "an ETA while catching up")
        estimated_at, estimate = time.monotonic(), first["eta_seconds"]
        # Half the estimate later (rates wobble tick to tick; over seconds the ETA must fall).
        later = wait_group(lag_broker, "slowpoke", lambda v: v["eta_seconds"] is not None and
                           v["taken_at_ms"] >= first["taken_at_ms"] + min(2500, estimate * 500), 10, "a later ETA")
        assert later["eta_seconds"] < estimate, (first, later)
        wait_group(lag_broker, "slowpoke", lambda v: v["total_lag"] < 50, 120, "caught up")
        actual = time.monotonic() - estimated_at
        assert abs(actual - estimate) <= max(3.0, 0.5 * actual), (estimate, actual)
    finally:
        producer.stop()
        consumer.stop()


def test_members_alive_but_not_committing_are_stalled_and_a_seek_back_is_rewound(lag_broker):
    from kafka import KafkaConsumer, TopicPartition
    from kafka.structs import OffsetAndMetadata
    create_topic(lag_broker.bootstrap, "stuck")
    produce(lag_broker.bootstrap, "stuck", 40)
    tp = TopicPartition("stuck", 0)
    consumer = KafkaConsumer(bootstrap_servers=lag_broker.bootstrap, group_id="staller", enable_auto_commit=False,
                             auto_offset_reset="earliest", session_timeout_ms=6000, heartbeat_interval_ms=500)
    try:
        consumer.subscribe(["stuck"])
        wait_until(lambda: consumer.poll(timeout_ms=100) is not None and consumer.assignment(), 20, "assignment")
        consumer.commit({tp: OffsetAndMetadata(30, None)})
        produce(lag_broker.bootstrap, "stuck", 20)  # more to read; the member keeps polling, never commits
        def stalled():
            consumer.poll(timeout_ms=50)  # stays a live member
            view = lag_group(lag_broker, "staller")
            # STALLED may already hold before the sampler has seen the 20 new records (lag 10): wait
            # for the sample that has them.
            return view if view and view["status"] == "STALLED" and view["total_lag"] == 30 else None
        view = wait_until(stalled, 30, "STALLED")
        assert view["members"] == 1 and view["total_lag"] == 30, view
        assert "30" in view["partitions"][0]["reason"], view["partitions"][0]["reason"]
        consumer.commit({tp: OffsetAndMetadata(10, None)})  # a seek back, committed
        wait_until(lambda: consumer.poll(timeout_ms=50) is not None and
                   [t for t in transitions(lag_broker, "staller") if t["to"] == "REWOUND" and t["partition"] == 0],
                   10, "a REWOUND transition")
    finally:
        consumer.close(autocommit=False)


def test_read_committed_consumer_of_a_transactional_producer_has_zero_lag(lag_broker):
    from confluent_kafka import Consumer, Producer
    create_topic(lag_broker.bootstrap, "txn-topic")
    producer = Producer({"bootstrap.servers": lag_broker.bootstrap, "transactional.id": "lag-txn"})
    producer.init_transactions(30)
    for batch in range(3):
        producer.begin_transaction()
        for i in range(5):
            producer.produce("txn-topic", value=f"{batch}-{i}".encode(), partition=0)
        producer.commit_transaction(30)
    consumer = Consumer({"bootstrap.servers": lag_broker.bootstrap, "group.id": "txn-reader",
                         "isolation.level": "read_committed", "auto.offset.reset": "earliest",
                         "enable.auto.commit": False})
    try:
        consumer.subscribe(["txn-topic"])
        got = []
        wait_until(lambda: got.extend(m for m in consumer.consume(100, 0.2) if m.error() is None) or len(got) >= 15,
                   30, "15 committed records")
        consumer.commit(asynchronous=False)
        view = wait_group(lag_broker, "txn-reader", lambda v: v["partitions"][0]["committed_offset"] >= 15, 10,
                          "the commit seen")
        wait_group(lag_broker, "txn-reader", lambda v: v["total_lag"] == 0, 5, "lag 0")
        p = lag_group(lag_broker, "txn-reader")["partitions"][0]
        # Three commit markers sit in the log: 15 records + 3 markers.
        assert p["high_watermark"] == 18, p
        assert p["offset_lag"] == 0 and p["time_lag_ms"] == 0, p
        assert p["read_committed"] is True, p
        assert view["status"] in ("OK", "IDLE")
    finally:
        consumer.close()


def test_time_lag_is_exact_against_produce_timestamps(lag_broker):
    create_topic(lag_broker.bootstrap, "stamped")
    now_ms = int(time.time() * 1000)
    stamps = [now_ms - 600_000 + i * 10_000 for i in range(30)]  # every 10 s, starting 10 minutes ago
    produce(lag_broker.bootstrap, "stamped", 30, timestamps=stamps)
    commit(lag_broker.bootstrap, "stamp-reader", "stamped", 12)  # stopped at a known offset
    view = wait_group(lag_broker, "stamp-reader", lambda v: v["total_lag"] == 18, 10, "lag 18")
    p = view["partitions"][0]
    assert p["offset_lag"] == 18
    assert abs(p["time_lag_ms"] - (view["taken_at_ms"] - stamps[12])) <= 5, (p, stamps[12])
    assert view["status"] == "STOPPED", view  # no member, records unread
    commit(lag_broker.bootstrap, "stamp-reader", "stamped", 30)
    view = wait_group(lag_broker, "stamp-reader", lambda v: v["total_lag"] == 0, 10, "caught up")
    assert view["max_time_lag_ms"] == 0


def test_kafkajs_consumer_keeping_up_is_ok(lag_broker):
    assert shutil.which("node"), "node is missing: run scripts/install-deps.sh"
    create_topic(lag_broker.bootstrap, "js-lag")
    produce(lag_broker.bootstrap, "js-lag", 50)
    js = os.path.join(os.path.dirname(__file__), "js")
    proc = subprocess.Popen(["node", "lag_consumer.js"], cwd=js, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "SPATE_BOOTSTRAP": lag_broker.bootstrap,
                                            "LAG_GROUP": "js-group", "LAG_TOPIC": "js-lag"})
    try:
        view = wait_group(lag_broker, "js-group", lambda v: v["total_lag"] == 0 and v["members"] == 1, 30,
                          "kafkajs caught up")
        assert view["status"] in ("OK", "IDLE"), view
        p = view["partitions"][0]
        assert p["committed_offset"] == 50 and p["owner"]["client_id"] == "spate-lag-js", p
    finally:
        proc.terminate()
        proc.wait(20)


def test_history_and_statuses_survive_a_restart(start_broker, tmp_path):
    data = tmp_path / "restart-data"
    broker = start_broker(*LAG_SETTINGS, data_dir=data)
    create_topic(broker.bootstrap, "kept")
    produce(broker.bootstrap, "kept", 20)
    commit(broker.bootstrap, "sleeper", "kept", 5)
    wait_group(broker, "sleeper", lambda v: v["status"] == "STOPPED", 10, "STOPPED")
    before = transitions(broker, "sleeper")
    assert before
    broker.stop()
    restarted_at = int(time.time() * 1000)
    broker = start_broker(*LAG_SETTINGS, data_dir=data)
    view = wait_group(broker, "sleeper", lambda v: v["taken_at_ms"] > restarted_at, 10, "a tick after restart")
    assert view["status"] == "STOPPED" and view["status_since_ms"] < restarted_at, view
    after = transitions(broker, "sleeper")
    assert [t for t in after if t["at_ms"] < restarted_at] == before
    assert not [t for t in after if t["at_ms"] >= restarted_at], after  # resumed, not re-detected
    history = get_json(broker, "/v1/lag/groups/sleeper/history")
    assert [p for p in history["points"] if p["at_ms"] < restarted_at and p["offset_lag"] == 15], history


def test_burrow_and_exporter_compatible_outputs(lag_broker):
    create_topic(lag_broker.bootstrap, "compat")
    produce(lag_broker.bootstrap, "compat", 10)
    commit(lag_broker.bootstrap, "burrowed", "compat", 4)
    wait_group(lag_broker, "burrowed", lambda v: v["status"] == "STOPPED", 10, "STOPPED")
    clusters = get_json(lag_broker, "/v3/kafka")
    assert clusters["error"] is False and clusters["clusters"] == ["local"] and "request" in clusters
    consumers = get_json(lag_broker, "/v3/kafka/local/consumer")
    assert "burrowed" in consumers["consumers"]
    for path, all_partitions in (("status", False), ("lag", True)):
        body = get_json(lag_broker, f"/v3/kafka/local/consumer/burrowed/{path}")
        s = body["status"]
        assert body["error"] is False and body["message"] == "consumer status returned"
        assert {"cluster", "group", "status", "complete", "partitions", "partition_count", "maxlag",
                "totallag"} <= set(s), s
        assert s["status"] == "ERR" and s["totallag"] == 6 and s["partition_count"] == 1
        assert s["maxlag"]["status"] == "STOP" and s["maxlag"]["current_lag"] == 6
        assert {"topic", "partition", "owner", "status", "start", "end", "current_lag", "complete"} <= set(s["maxlag"])
        assert {"offset", "timestamp", "lag"} <= set(s["maxlag"]["end"])
        assert len(s["partitions"]) == 1  # STOP is not OK, so /status lists it too
    detail = get_json(lag_broker, "/v3/kafka/local/consumer/burrowed")
    assert detail["topics"]["compat"][0]["offsets"][-1]["offset"] == 4
    metrics = subprocess.run(["curl", "-sf", lag_broker.admin_url + "/metrics"], capture_output=True, text=True,
                             check=True).stdout
    lag_line = [l for l in metrics.splitlines() if l.startswith("kafka_consumergroup_group_lag{") and
                'group="burrowed"' in l]
    assert lag_line and lag_line[0].endswith(" 6"), lag_line
    assert 'cluster_name="local"' in lag_line[0] and 'topic="compat"' in lag_line[0] and 'partition="0"' in lag_line[0]
    for name in ("kafka_consumergroup_group_lag_seconds", "kafka_consumergroup_group_max_lag",
                 "kafka_consumergroup_group_max_lag_seconds", "kafka_consumergroup_group_sum_lag",
                 "kafka_partition_latest_offset", "kafka_partition_earliest_offset"):
        assert f"\n{name}{{" in metrics, name
    assert 'spate_consumergroup_status{cluster_name="local",group="burrowed",status="STOPPED"} 1' in metrics


def test_webhook_alerts_on_stopped_and_resolved(start_broker):
    """A real HTTP receiver gets a JSON notice when a group reaches the threshold and one when it
    is resolved."""
    import http.server
    import json
    import threading
    received = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server API
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        broker = start_broker(*LAG_SETTINGS, "--set", f"lag.alert.webhook.url=http://127.0.0.1:{server.server_port}/hook",
                              "--set", "lag.alert.threshold=STOPPED", "--set", "lag.alert.min.interval.ms=0")
        create_topic(broker.bootstrap, "alerted")
        produce(broker.bootstrap, "alerted", 10)
        commit(broker.bootstrap, "paged", "alerted", 3)
        alert = wait_until(lambda: [n for n in received if n["group"] == "paged" and not n["resolved"]], 10,
                           "an alert")[0]
        assert alert["status"] == "STOPPED" and alert["cluster"] == "local" and alert["total_lag"] == 7, alert
        assert alert["reason"], alert
        commit(broker.bootstrap, "paged", "alerted", 10)
        resolved = wait_until(lambda: [n for n in received if n["group"] == "paged" and n["resolved"]], 10,
                              "a resolved notice")[0]
        assert resolved["status"] in ("OK", "IDLE"), resolved
    finally:
        server.shutdown()
