"""`spate cluster info` against the real broker, checked with confluent-kafka and a raw ApiVersions v0."""
import socket

from confluent_kafka.admin import AdminClient

import kafka_wire
from cli_support import as_json, failure, ok, spate, tables


def test_cluster_info_json_matches_metadata_and_api_versions(broker):
    info = as_json(broker, "cluster", "info")
    md = AdminClient({"bootstrap.servers": broker.bootstrap}).list_topics(timeout=10)
    assert info["cluster_id"] == md.cluster_id
    assert info["controller_id"] == md.controller_id
    assert info["brokers"] == [{"id": b.id, "host": b.host, "port": b.port}
                               for b in sorted(md.brokers.values(), key=lambda b: b.id)]
    assert info["api_versions_from"] == broker.bootstrap

    with kafka_wire.connect(broker) as s:
        error, served = kafka_wire.api_versions_v0(s)
    assert error == 0
    assert {v["api_key"]: (v["min_version"], v["max_version"]) for v in info["api_versions"]} == served
    names = {v["api_key"]: v["name"] for v in info["api_versions"]}
    assert names[0] == "Produce" and names[18] == "ApiVersions"


def test_cluster_info_tables(broker):
    text = ok(broker, "cluster", "info")
    assert text.startswith("Cluster id: ")
    brokers, apis = tables(text)
    assert brokers == [{"ID": "1", "HOST": "127.0.0.1", "PORT": str(broker.port), "CONTROLLER": "yes"}]
    produce = [r for r in apis if r["NAME"] == "Produce"][0]
    assert produce["API_KEY"] == "0" and int(produce["MAX"]) >= 3


def test_cluster_info_unreachable_broker_fails_within_the_timeout():
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
        result = spate("cluster", "info", "-b", f"127.0.0.1:{held.getsockname()[1]}", "--timeout", "1500", timeout=30)
    line = failure(result)
    assert line.startswith("spate: cluster info: "), line


def test_cluster_info_usage_error_exits_2(broker):
    assert spate("cluster", "-b", broker.bootstrap).returncode == 2
    assert spate("cluster", "info", "--timeout", "0", "-b", broker.bootstrap).returncode == 2
