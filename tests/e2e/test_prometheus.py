"""/metrics against real Prometheus tooling: promtool's format check, and a Prometheus server that
scrapes the broker every second and answers PromQL queries about what a client just did."""
import json
import pathlib
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import free_port, wait_until

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"


def scrape(broker):
    with urllib.request.urlopen(broker.admin_url + "/metrics", timeout=10) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return r.read().decode()


def produce(broker, topic, n):
    p = Producer({"bootstrap.servers": broker.bootstrap, "acks": "all", "linger.ms": 5})
    delivered = []
    for i in range(n):
        p.produce(topic, value=b"v%d" % i, on_delivery=lambda err, msg: delivered.append(err))
        p.poll(0)
    assert p.flush(30) == 0
    assert delivered == [None] * n


def sample(text, line_prefix):
    """The value of the first exposition line starting with `line_prefix`, or None."""
    for line in text.splitlines():
        if line.startswith(line_prefix):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_promtool_accepts_the_exposition(broker):
    produce(broker, "orders", 10)
    text = scrape(broker)
    result = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    for family in ("spate_requests_total", "spate_request_duration_seconds_bucket", "process_open_fds",
                   "spate_topic_partitions", "spate_consumer_groups", "spate_storage_fsync_seconds_count"):
        assert family in text
    assert sample(text, 'spate_topic_records_in_total{topic="orders"}') == 10
    assert sample(text, 'spate_topic_partitions{topic="orders"}') == 3


def test_fetches_count_records_out_and_a_group_counts_its_rebalance(broker):
    produce(broker, "events", 20)
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "metrics-g", "auto.offset.reset": "earliest",
                  "enable.auto.commit": False})
    c.subscribe(["events"])
    got = []

    def consumed_all():
        m = c.poll(0.2)
        if m is not None and not m.error():
            got.append(m)
        return len(got) == 20
    try:
        wait_until(consumed_all, 30, "20 records consumed")
        text = scrape(broker)
        assert sample(text, 'spate_topic_records_out_total{topic="events"}') >= 20
        assert sample(text, 'spate_topic_bytes_out_total{topic="events"}') > 0
        assert sample(text, "spate_consumer_group_rebalances_total") >= 1
        assert sample(text, 'spate_consumer_groups{state="Stable"}') == 1
        assert sample(text, 'spate_requests_total{api="Fetch"') is not None
    finally:
        c.close()


def test_errors_are_counted_by_api_and_kafka_error_name(broker):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    futures = admin.create_topics([NewTopic("orders", 1, 1)])
    with pytest.raises(Exception, match="already exists|TOPIC_ALREADY_EXISTS"):
        futures["orders"].result(timeout=30)
    line = 'spate_request_errors_total{api="CreateTopics",error="TOPIC_ALREADY_EXISTS"}'
    wait_until(lambda: sample(scrape(broker), line) == 1, 10, line)


def test_metrics_disabled_answers_404(start_broker):
    broker = start_broker("--set", "metrics.enabled=false", "--set", "topics=t:1")
    produce(broker, "t", 5)
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(broker.admin_url + "/metrics", timeout=10)
    assert e.value.code == 404


def test_per_partition_series_only_when_asked_for(start_broker):
    default = start_broker("--set", "topics=t:2")
    assert "spate_partition_log_size_bytes" not in scrape(default)
    labelled = start_broker("--set", "topics=t:2", "--set", "metrics.partition.labels=true")
    produce(labelled, "t", 3)
    text = scrape(labelled)
    assert sample(text, 'spate_partition_log_size_bytes{topic="t",partition="0"}') is not None
    assert sample(text, 'spate_partition_log_size_bytes{topic="t",partition="1"}') is not None


@pytest.fixture
def prometheus(tmp_path):
    """Starts a Prometheus server scraping the admin API at `admin_url` (http:// or https://) every
    second; `scrape_options` are more YAML lines of the scrape job (tls_config, basic_auth)."""
    procs = []

    def start(admin_url, scrape_options=""):
        url = urllib.parse.urlparse(admin_url)
        port = free_port()
        config = tmp_path / "prometheus.yml"
        config.write_text(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            f"scrape_configs:\n  - job_name: spate\n    scheme: {url.scheme}\n{scrape_options}"
            f"    static_configs:\n      - targets: ['{url.netloc}']\n")
        log = open(tmp_path / "prometheus.log", "w")
        proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT)
        procs.append(proc)
        return f"http://127.0.0.1:{port}"

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    shutil.rmtree(tmp_path / "tsdb", ignore_errors=True)


def query(prometheus_url, promql):
    url = prometheus_url + "/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(url, timeout=10) as r:
        body = json.load(r)
    assert body["status"] == "success", body
    return body["data"]["result"]


@pytest.mark.skipif(not pathlib.Path(PROMETHEUS).exists(), reason="needs the prometheus package")
def test_a_real_prometheus_scrapes_the_records_a_client_produced(broker, prometheus):
    n = 500
    url = prometheus(broker.admin_url)
    # Prometheus is up and scraping the broker.
    wait_until(lambda: any(r["value"][1] == "1" for r in query(url, 'up{job="spate"}')), 60, "the first scrape")
    produce(broker, "orders", n)

    def records_in():
        result = query(url, 'spate_topic_records_in_total{topic="orders"}')
        return result and float(result[0]["value"][1]) == n
    wait_until(records_in, 60, f"Prometheus to see {n} records in")
    produced = query(url, 'sum(spate_requests_total{api="Produce"})')
    assert produced and float(produced[0]["value"][1]) >= 1
