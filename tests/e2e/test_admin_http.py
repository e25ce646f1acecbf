"""The HTTP admin API (docs/admin-api.md): every route, its errors, the request limits (bad JSON,
oversized bodies, slowloris clients, connection cap), the generated OpenAPI document, and write
operations checked against independent Kafka clients (confluent-kafka, kafka-python)."""
import http.client
import json
import socket
import subprocess
import time
import urllib.parse

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka import TopicPartition as CTopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource
from kafka import KafkaConsumer
from kafka import TopicPartition as KTopicPartition
from kafka.structs import OffsetAndMetadata

from conftest import SPATE, free_port, wait_until
from group_member import GROUP_SETTINGS

# Every route the admin API serves; the OpenAPI document must list exactly these.
ROUTES = {
    ("GET", "/v1/health/live"), ("GET", "/v1/health/ready"), ("GET", "/v1/status"), ("GET", "/v1/diag"),
    ("GET", "/metrics"), ("GET", "/v1/openapi.json"),
    ("GET", "/v1/topics"), ("POST", "/v1/topics"), ("GET", "/v1/topics/{topic}"), ("DELETE", "/v1/topics/{topic}"),
    ("PATCH", "/v1/topics/{topic}/config"), ("POST", "/v1/topics/{topic}/delete-records"),
    ("GET", "/v1/groups"), ("GET", "/v1/groups/{group}"), ("POST", "/v1/groups/{group}/reset-offsets"),
    ("DELETE", "/v1/groups/{group}"),
    ("GET", "/v1/quotas"), ("POST", "/v1/quotas"),
    # The lag monitor (docs/lag.md) and Burrow's API over it.
    ("GET", "/v1/lag/clusters"), ("GET", "/v1/lag/groups"), ("GET", "/v1/lag/groups/{group}"),
    ("GET", "/v1/lag/groups/{group}/history"), ("GET", "/v1/lag/transitions"),
    ("GET", "/burrow/admin"), ("GET", "/v3/kafka"), ("GET", "/v3/kafka/{cluster}"),
    ("GET", "/v3/kafka/{cluster}/consumer"), ("GET", "/v3/kafka/{cluster}/consumer/{group}"),
    ("GET", "/v3/kafka/{cluster}/consumer/{group}/status"), ("GET", "/v3/kafka/{cluster}/consumer/{group}/lag"),
    ("GET", "/v3/kafka/{cluster}/topic"), ("GET", "/v3/kafka/{cluster}/topic/{topic}"),
}


def call(broker, method, path, body=None, raw=None, timeout=30):
    """(status, headers dict, JSON body or text) of one request on a fresh connection."""
    url = urllib.parse.urlparse(broker.admin_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    try:
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        headers = {"Content-Type": "application/json"} if data is not None else {}
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        text = resp.read().decode()
        ctype = resp.getheader("Content-Type", "")
        return resp.status, dict(resp.getheaders()), json.loads(text) if ctype.startswith("application/json") else text
    finally:
        conn.close()


def admin_addr(broker):
    url = urllib.parse.urlparse(broker.admin_url)
    return url.hostname, url.port


def produce(bootstrap, topic, partition, n):
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    for i in range(n):
        p.produce(topic, value=f"v{i}".encode(), partition=partition)
    assert p.flush(30) == 0


def watermarks(bootstrap, topic, partition):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "admin-http-watermarks"})
    try:
        return c.get_watermark_offsets(CTopicPartition(topic, partition), timeout=15)
    finally:
        c.close()


def committed(bootstrap, group, topic, partitions):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        tps = c.committed([CTopicPartition(topic, p) for p in partitions], timeout=15)
        return {tp.partition: tp.offset for tp in tps}
    finally:
        c.close()


def topic_config(bootstrap, topic, name):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    entries = admin.describe_configs([resource])[resource].result(timeout=15)
    return entries[name]


@pytest.fixture
def broker(start_broker):
    return start_broker(*GROUP_SETTINGS, "--set", "topics=orders:3,events:1")


def test_ready_line_names_the_admin_listener(broker):
    assert broker.admin_url and broker.admin_url.startswith("http://127.0.0.1:")
    assert admin_addr(broker)[1] != 9644


def test_health(broker):
    assert call(broker, "GET", "/v1/health/live")[0] == 200
    status, _, body = call(broker, "GET", "/v1/health/ready")
    assert (status, body["status"]) == (200, "ready")


def test_status_matches_the_broker(broker):
    status, _, s = call(broker, "GET", "/v1/status")
    assert status == 200
    assert s["node_id"] == 1 and s["version"]
    assert s["listeners"] == {"kafka": broker.bootstrap, "admin": broker.admin_url.removeprefix("http://")}
    assert s["data_dir"] == str(broker.data_dir)
    meta = AdminClient({"bootstrap.servers": broker.bootstrap}).list_topics(timeout=15)
    assert s["cluster_id"] == meta.cluster_id
    assert s["counts"]["topics"] == len(meta.topics)
    assert s["counts"]["partitions"] == sum(len(t.partitions) for t in meta.topics.values())
    assert s["counts"]["groups"] == 0
    assert s["usage"]["fs_total_bytes"] > s["usage"]["fs_free_bytes"] > 0
    assert s["usage"]["log_bytes"] >= 0
    assert s["recovery"]["state"] == "new_data_dir"
    assert s["uptime_s"] >= 0 and s["ready"] is True
    # An open Kafka connection is counted.
    sock = socket.create_connection(("127.0.0.1", broker.port))
    try:
        wait_until(lambda: call(broker, "GET", "/v1/status")[2]["counts"]["connections"] >= 1, 10, "connection counted")
    finally:
        sock.close()


def test_status_after_a_restart_reports_a_clean_start(start_broker, tmp_path):
    first = start_broker(data_dir=tmp_path / "kept")
    # A clean stop (exit 0 within the fixture's limit) is what leaves the clean-shutdown marker.
    assert first.stop() == 0, "".join(first.log)
    second = start_broker(data_dir=tmp_path / "kept")
    recovery = call(second, "GET", "/v1/status")[2]["recovery"]
    assert recovery["state"] == "clean_start", (recovery, "".join(first.log), "".join(second.log))


def test_topics_list_and_describe(broker):
    produce(broker.bootstrap, "orders", 1, 7)
    status, _, body = call(broker, "GET", "/v1/topics")
    assert status == 200
    by_name = {t["name"]: t for t in body["topics"]}
    assert by_name["orders"]["partitions"] == 3 and by_name["events"]["partitions"] == 1
    assert by_name["orders"]["internal"] is False
    status, _, t = call(broker, "GET", "/v1/topics/orders")
    assert status == 200 and t["name"] == "orders" and t["partition_count"] == 3
    p1 = t["partitions"][1]
    assert (p1["partition"], p1["log_start_offset"], p1["log_end_offset"], p1["high_watermark"],
            p1["last_stable_offset"]) == (1, 0, 7, 7, 7)
    assert p1["size_bytes"] > 0 and p1["segment_count"] >= 1
    assert watermarks(broker.bootstrap, "orders", 1) == (0, 7)
    status, _, err = call(broker, "GET", "/v1/topics/nope")
    assert (status, err["error"]) == (404, "UNKNOWN_TOPIC_OR_PARTITION")


def test_create_topic_is_kafkas_create_topics(broker):
    status, _, t = call(broker, "POST", "/v1/topics",
                        {"name": "made", "partitions": 4, "replication_factor": 1, "configs": {"retention.ms": "60000"}})
    assert status == 201, t
    assert t["partition_count"] == 4 and t["configs"] == {"retention.ms": "60000"}
    meta = AdminClient({"bootstrap.servers": broker.bootstrap}).list_topics(timeout=15)
    assert len(meta.topics["made"].partitions) == 4
    assert topic_config(broker.bootstrap, "made", "retention.ms").value == "60000"
    # Kafka's errors, with their HTTP statuses.
    assert call(broker, "POST", "/v1/topics", {"name": "made", "partitions": 1})[2]["error"] == "TOPIC_ALREADY_EXISTS"
    assert call(broker, "POST", "/v1/topics", {"name": "made", "partitions": 1})[0] == 409
    status, _, err = call(broker, "POST", "/v1/topics", {"name": "zero", "partitions": 0})
    assert (status, err["error"]) == (400, "INVALID_PARTITIONS")
    status, _, err = call(broker, "POST", "/v1/topics", {"name": "badcfg", "configs": {"cleanup.policy": "nope"}})
    assert (status, err["error"]) == (400, "INVALID_CONFIG")
    status, _, err = call(broker, "POST", "/v1/topics", {"name": "rf", "replication_factor": 3})
    assert (status, err["error"]) == (400, "INVALID_REPLICATION_FACTOR")
    status, _, err = call(broker, "POST", "/v1/topics", {"name": "bad/name"})
    assert (status, err["error"]) == (400, "INVALID_TOPIC_EXCEPTION")
    status, _, err = call(broker, "POST", "/v1/topics", {"partitions": 1})
    assert (status, err["error"]) == (400, "INVALID_REQUEST")
    status, _, err = call(broker, "POST", "/v1/topics", raw="{not json")
    assert (status, err["error"]) == (400, "INVALID_JSON")
    status, _, err = call(broker, "POST", "/v1/topics", raw="[1, 2]")
    assert (status, err["error"]) == (400, "INVALID_JSON")
    # Defaults: num.partitions.
    status, _, t = call(broker, "POST", "/v1/topics", {"name": "defaulted"})
    assert status == 201 and t["partition_count"] == 1


def test_delete_topic_is_kafkas_delete_topics(broker):
    assert call(broker, "DELETE", "/v1/topics/events")[0] == 200
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    wait_until(lambda: "events" not in admin.list_topics(timeout=15).topics, 15, "topic gone")
    status, _, err = call(broker, "DELETE", "/v1/topics/events")
    assert (status, err["error"]) == (404, "UNKNOWN_TOPIC_OR_PARTITION")
    status, _, err = call(broker, "DELETE", "/v1/topics/__consumer_offsets")
    assert status in (400, 403, 500) and err["error"] != "NONE"


def test_alter_topic_config_is_incremental_alter_configs(broker):
    status, _, t = call(broker, "PATCH", "/v1/topics/orders/config", {"set": {"retention.ms": 123456, "cleanup.policy": "compact"}})
    assert status == 200, t
    assert t["configs"] == {"retention.ms": "123456", "cleanup.policy": "compact"}
    assert topic_config(broker.bootstrap, "orders", "retention.ms").value == "123456"
    status, _, t = call(broker, "PATCH", "/v1/topics/orders/config", {"delete": ["retention.ms"]})
    assert status == 200 and t["configs"] == {"cleanup.policy": "compact"}
    assert topic_config(broker.bootstrap, "orders", "retention.ms").is_default
    status, _, err = call(broker, "PATCH", "/v1/topics/orders/config", {"set": {"no.such.config": "1"}})
    assert (status, err["error"]) == (400, "INVALID_CONFIG")
    status, _, err = call(broker, "PATCH", "/v1/topics/orders/config", {"set": {"retention.ms": "soon"}})
    assert (status, err["error"]) == (400, "INVALID_CONFIG")
    status, _, err = call(broker, "PATCH", "/v1/topics/nope/config", {"set": {"retention.ms": "1"}})
    assert (status, err["error"]) == (404, "UNKNOWN_TOPIC_OR_PARTITION")
    status, _, err = call(broker, "PATCH", "/v1/topics/orders/config", {})
    assert (status, err["error"]) == (400, "INVALID_REQUEST")
    status, _, err = call(broker, "PATCH", "/v1/topics/orders/config", raw="{")
    assert (status, err["error"]) == (400, "INVALID_JSON")


def test_delete_records_is_kafkas_delete_records(broker):
    produce(broker.bootstrap, "orders", 0, 10)
    status, _, body = call(broker, "POST", "/v1/topics/orders/delete-records",
                           {"partitions": [{"partition": 0, "offset": 4}]})
    assert status == 200, body
    assert body["partitions"] == [{"partition": 0, "low_watermark": 4, "error": None}]
    assert watermarks(broker.bootstrap, "orders", 0) == (4, 10)
    assert call(broker, "GET", "/v1/topics/orders")[2]["partitions"][0]["log_start_offset"] == 4
    status, _, body = call(broker, "POST", "/v1/topics/orders/delete-records",
                           {"partitions": [{"partition": 0, "offset": -1}]})
    assert status == 200 and body["partitions"][0]["low_watermark"] == 10
    status, _, err = call(broker, "POST", "/v1/topics/orders/delete-records",
                          {"partitions": [{"partition": 0, "offset": 99}]})
    assert (status, err["error"]) == (400, "OFFSET_OUT_OF_RANGE")
    status, _, err = call(broker, "POST", "/v1/topics/orders/delete-records",
                          {"partitions": [{"partition": 7, "offset": 0}]})
    assert (status, err["error"]) == (404, "UNKNOWN_TOPIC_OR_PARTITION")
    status, _, err = call(broker, "POST", "/v1/topics/orders/delete-records", {"partitions": "all"})
    assert (status, err["error"]) == (400, "INVALID_REQUEST")


def commit(bootstrap, group, offsets):
    c = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False, request_timeout_ms=15000)
    try:
        tps = {KTopicPartition(t, p): OffsetAndMetadata(o, "") for (t, p), o in offsets.items()}
        c.assign(list(tps))
        c.commit(tps)
    finally:
        c.close()


def test_groups_list_describe_and_lag(broker):
    produce(broker.bootstrap, "orders", 0, 10)
    commit(broker.bootstrap, "g1", {("orders", 0): 4})
    status, _, body = call(broker, "GET", "/v1/groups")
    assert status == 200 and {"group_id": "g1", "state": "Empty", "protocol_type": ""} in body["groups"]
    status, _, g = call(broker, "GET", "/v1/groups/g1")
    assert status == 200
    assert (g["state"], g["members"]) == ("Empty", [])
    assert g["offsets"] == [{"topic": "orders", "partition": 0, "committed_offset": 4, "metadata": "",
                             "log_end_offset": 10, "lag": 6}]
    assert g["total_lag"] == 6
    status, _, err = call(broker, "GET", "/v1/groups/nope")
    assert (status, err["error"]) == (404, "GROUP_ID_NOT_FOUND")
    assert call(broker, "GET", "/v1/status")[2]["counts"]["groups"] == 1


def test_reset_offsets_of_an_empty_group(broker):
    produce(broker.bootstrap, "orders", 0, 10)
    produce(broker.bootstrap, "orders", 2, 5)
    commit(broker.bootstrap, "g2", {("orders", 0): 4, ("orders", 2): 1})

    def reset(body):
        status, _, answer = call(broker, "POST", "/v1/groups/g2/reset-offsets", body)
        assert status == 200, answer
        return committed(broker.bootstrap, "g2", "orders", [0, 2])

    assert reset({"to": "latest"}) == {0: 10, 2: 5}
    assert reset({"to": "earliest"}) == {0: 0, 2: 0}
    assert reset({"to": "offset", "offset": 7}) == {0: 7, 2: 5}  # clamped to the high watermark
    assert reset({"to": "shift", "shift": -3}) == {0: 4, 2: 2}
    assert reset({"to": "timestamp", "timestamp": 0}) == {0: 0, 2: 0}
    assert reset({"to": "timestamp", "timestamp": int(time.time() * 1000) + 3600_000}) == {0: 10, 2: 5}
    # One topic's partitions only; a dry run changes nothing.
    status, _, body = call(broker, "POST", "/v1/groups/g2/reset-offsets",
                           {"to": "earliest", "topic": "orders", "partitions": [2], "dry_run": True})
    assert status == 200 and body["offsets"] == [{"topic": "orders", "partition": 2, "offset": 0}]
    assert committed(broker.bootstrap, "g2", "orders", [0, 2]) == {0: 10, 2: 5}
    assert reset({"to": "earliest", "topic": "orders", "partitions": [2]}) == {0: 10, 2: 0}
    # A new group: named topic's partitions get offsets.
    status, _, body = call(broker, "POST", "/v1/groups/fresh/reset-offsets", {"to": "latest", "topic": "orders"})
    assert status == 200 and len(body["offsets"]) == 3
    assert committed(broker.bootstrap, "fresh", "orders", [0, 1, 2]) == {0: 10, 1: 0, 2: 5}
    # Bad requests.
    for bad in ({"to": "sideways"}, {"to": "offset"}, {}, {"to": "earliest", "topic": 5}):
        status, _, err = call(broker, "POST", "/v1/groups/g2/reset-offsets", bad)
        assert (status, err["error"]) == (400, "INVALID_REQUEST"), bad
    status, _, err = call(broker, "POST", "/v1/groups/g2/reset-offsets", {"to": "earliest", "topic": "nope"})
    assert (status, err["error"]) == (404, "UNKNOWN_TOPIC_OR_PARTITION")
    status, _, err = call(broker, "POST", "/v1/groups/never/reset-offsets", {"to": "earliest"})
    assert (status, err["error"]) == (400, "INVALID_REQUEST")
    status, _, err = call(broker, "POST", "/v1/groups/g2/reset-offsets", raw="nope")
    assert (status, err["error"]) == (400, "INVALID_JSON")


def test_an_active_group_is_neither_reset_nor_deleted(broker):
    produce(broker.bootstrap, "orders", 0, 3)
    c = KafkaConsumer("orders", bootstrap_servers=broker.bootstrap, group_id="active", enable_auto_commit=False,
                      session_timeout_ms=6000, heartbeat_interval_ms=500, request_timeout_ms=15000)
    try:
        def assigned():
            c.poll(timeout_ms=200)
            return c.assignment()
        wait_until(assigned, 30, "assignment")
        status, _, g = call(broker, "GET", "/v1/groups/active")
        assert status == 200 and g["state"] == "Stable" and g["protocol_type"] == "consumer"
        assert len(g["members"]) == 1 and g["members"][0]["client_id"] and g["protocol"]
        status, _, err = call(broker, "POST", "/v1/groups/active/reset-offsets", {"to": "earliest", "topic": "orders"})
        assert (status, err["error"]) == (409, "NON_EMPTY_GROUP")
        status, _, err = call(broker, "DELETE", "/v1/groups/active")
        assert (status, err["error"]) == (409, "NON_EMPTY_GROUP")
    finally:
        c.close()
    wait_until(lambda: call(broker, "GET", "/v1/groups/active")[2]["state"] == "Empty", 15, "group empty")
    assert call(broker, "DELETE", "/v1/groups/active")[0] == 200
    status, _, err = call(broker, "GET", "/v1/groups/active")
    assert (status, err["error"]) == (404, "GROUP_ID_NOT_FOUND")
    status, _, err = call(broker, "DELETE", "/v1/groups/active")
    assert (status, err["error"]) == (404, "GROUP_ID_NOT_FOUND")


def test_diag_lists_the_largest_partitions(broker):
    produce(broker.bootstrap, "orders", 2, 50)
    produce(broker.bootstrap, "events", 0, 5)
    status, _, d = call(broker, "GET", "/v1/diag")
    assert status == 200
    largest = d["largest_partitions"]
    assert len(largest) == 5
    assert largest[0]["topic"] == "orders" and largest[0]["partition"] == 2 and largest[0]["size_bytes"] > 0
    assert largest[1]["topic"] == "events"
    assert all(set(p) == {"topic", "partition", "size_bytes"} for p in largest)
    assert str(broker.data_dir) not in json.dumps(d)
    assert isinstance(d["slowest_requests"], list) and isinstance(d["recent_errors"], list)


def test_metrics_is_text_or_a_json_404(broker):
    status, headers, body = call(broker, "GET", "/metrics")
    if status == 200:
        assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    else:
        assert (status, body["error"]) == (404, "METRICS_NOT_ENABLED")


def test_unknown_routes_and_wrong_methods(broker):
    for path in ("/", "/v1", "/v1/nope", "/v1/topics/orders/nope", "/v2/status", "/v1/status/"):
        status, _, err = call(broker, "GET", path)
        assert (status, err["error"]) == (404, "NOT_FOUND"), path
    status, headers, err = call(broker, "PUT", "/v1/topics")
    assert (status, err["error"]) == (405, "METHOD_NOT_ALLOWED")
    assert set(headers["Allow"].split(", ")) == {"GET", "POST"}
    status, _, err = call(broker, "POST", "/v1/status", {})
    assert (status, err["error"]) == (405, "METHOD_NOT_ALLOWED")
    status, _, err = call(broker, "GET", "/v1/groups/g/reset-offsets")
    assert (status, err["error"]) == (405, "METHOD_NOT_ALLOWED")


def test_keep_alive_serves_several_requests_on_one_connection(broker):
    host, port = admin_addr(broker)
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        for path in ("/v1/health/live", "/v1/status", "/v1/topics", "/v1/nope"):
            conn.request("GET", path)
            resp = conn.getresponse()
            json.loads(resp.read())
    finally:
        conn.close()


def test_a_body_over_1_mib_is_413(broker):
    body = b'{"name": "' + b"x" * (1536 * 1024) + b'"}'
    status, _, err = call(broker, "POST", "/v1/topics", raw=body)
    assert (status, err["error"]) == (413, "PAYLOAD_TOO_LARGE")
    # The server is fine afterwards.
    assert call(broker, "GET", "/v1/health/live")[0] == 200


def test_slowloris_gets_408_while_kafka_serves(start_broker):
    b = start_broker("--set", "admin.request.timeout.ms=1000", "--set", "topics=t:1")
    sock = socket.create_connection(admin_addr(b), timeout=10)
    started = time.monotonic()
    sock.sendall(b"GET /v1/status HTTP/1.1\r\nHost: x\r\n")
    answer = b""
    produced = False
    try:
        while time.monotonic() - started < 8:
            try:
                sock.sendall(b"X")  # one header byte at a time, never finishing
            except OSError:
                break
            if not produced:
                produce(b.bootstrap, "t", 0, 3)  # the Kafka listener is unaffected
                produced = True
            sock.settimeout(0.3)
            try:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
            except socket.timeout:
                pass
            except OSError:
                break
    finally:
        sock.close()
    elapsed = time.monotonic() - started
    assert produced and watermarks(b.bootstrap, "t", 0) == (0, 3)
    assert elapsed < 5, f"connection still open after {elapsed:.1f} s"
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert call(b, "GET", "/v1/health/live")[0] == 200


def test_connections_beyond_the_cap_get_503(broker):
    host, port = admin_addr(broker)
    idle = [socket.create_connection((host, port)) for _ in range(64)]
    try:
        time.sleep(0.3)  # the server has accepted them all
        status, _, err = call(broker, "GET", "/v1/health/live")
        assert (status, err["error"]) == (503, "SERVICE_UNAVAILABLE")
    finally:
        for s in idle:
            s.close()
    wait_until(lambda: call(broker, "GET", "/v1/health/live")[0] == 200, 10, "served again")


def test_a_busy_admin_port_stops_start_up_with_one_line(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([str(SPATE), "serve", "--listen", f"127.0.0.1:{free_port()}", "--data-dir",
                                 str(tmp_path / "d"), "--set", f"admin.listeners=127.0.0.1:{port}"],
                                capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if "admin.listeners" in line]
    assert len(lines) == 1 and f"127.0.0.1:{port}" in lines[0] and "in use" in lines[0], result.stderr


def test_an_empty_admin_listener_disables_the_api(start_broker):
    b = start_broker("--set", "admin.listeners=")
    assert b.admin_url is None
    assert any("admin=off" in line for line in b.log)


# ---- the OpenAPI document


def check_openapi_structure(doc):
    """A structural check of OpenAPI 3.0.3 (openapi-spec-validator is not packaged for Debian 12)."""
    assert doc["openapi"] == "3.0.3"
    assert doc["info"]["title"] and doc["info"]["version"]
    operation_ids = set()
    for path, item in doc["paths"].items():
        assert path.startswith("/")
        params = {seg[1:-1] for seg in path.split("/") if seg.startswith("{") and seg.endswith("}")}
        for method, op in item.items():
            assert method in {"get", "post", "put", "patch", "delete"}
            assert op["summary"] and op["operationId"] not in operation_ids
            operation_ids.add(op["operationId"])
            assert op["responses"] and all(code == "default" or code.isdigit() for code in op["responses"])
            for response in op["responses"].values():
                assert response["description"]
                for media in response.get("content", {}).values():
                    assert "schema" in media
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == params, (path, method)
            assert all(p["required"] is True for p in op.get("parameters", []) if p["in"] == "path")
            if "requestBody" in op:
                assert "application/json" in op["requestBody"]["content"]
    for ref_holder in json.dumps(doc).split('"$ref": "')[1:]:
        name = ref_holder.split('"')[0]
        assert name.startswith("#/components/schemas/") and name.rsplit("/", 1)[1] in doc["components"]["schemas"]


def test_openapi_documents_exactly_the_routes_served(broker):
    status, _, doc = call(broker, "GET", "/v1/openapi.json")
    assert status == 200
    check_openapi_structure(doc)
    documented = {(m.upper(), p) for p, item in doc["paths"].items() for m in item}
    assert documented == ROUTES
    # Every documented route answers (no NOT_FOUND / METHOD_NOT_ALLOWED), with placeholders for params.
    for method, path in sorted(documented):
        concrete = path.replace("{topic}", "openapi-probe").replace("{group}", "openapi-probe").replace(
            "{cluster}", "local")
        status, _, body = call(broker, method, concrete, raw="{}" if method in ("POST", "PATCH") else None)
        if isinstance(body, dict) and "error" in body:
            assert body["error"] not in ("NOT_FOUND", "METHOD_NOT_ALLOWED"), (method, path, body)
    # And a route not in the document is not served.
    for method, path in (("GET", "/v1/brokers"), ("DELETE", "/v1/topics"), ("GET", "/v1/topics/x/config")):
        assert call(broker, method, path)[0] in (404, 405)
