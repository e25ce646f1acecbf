"""`spate serve` configuration: help, errors that name the key, and graceful shutdown."""
import signal
import subprocess

from conftest import SPATE


def run_serve(*args, tmp_path):
    return subprocess.run([str(SPATE), "serve", "--data-dir", str(tmp_path / "d"), "--set", "admin.listeners=127.0.0.1:0",
                           *args], capture_output=True, text=True, timeout=30)


def test_help_explains_the_config_keys():
    out = subprocess.run([str(SPATE), "serve", "--help"], capture_output=True, text=True, timeout=30).stdout
    for key in ("--listen", "--data-dir", "num.partitions", "log.segment.bytes", "auto.create.topics.enable"):
        assert key in out


def test_unknown_key_is_an_error_naming_it(tmp_path):
    result = run_serve("--set", "no.such.key=1", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "no.such.key" in result.stderr


def test_bad_value_is_an_error_naming_the_key(tmp_path):
    result = run_serve("--set", "num.partitions=zero", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "num.partitions" in result.stderr


def test_config_file_is_read_and_checked(tmp_path):
    config = tmp_path / "spate.properties"
    config.write_text("# comment\nnum.partitions=2\nlog.segment.bytes=-5\n")
    result = run_serve("--config", str(config), tmp_path=tmp_path)
    assert result.returncode != 0
    assert "log.segment.bytes" in result.stderr


def test_config_file_topics_are_served(start_broker, tmp_path):
    config = tmp_path / "spate.properties"
    config.write_text("topics=from-file:2\n")
    b = start_broker("--config", str(config))
    from confluent_kafka.admin import AdminClient
    meta = AdminClient({"bootstrap.servers": b.bootstrap}).list_topics(timeout=15)
    assert len(meta.topics["from-file"].partitions) == 2


def test_sigint_and_sigterm_stop_cleanly(start_broker):
    for sig in (signal.SIGINT, signal.SIGTERM):
        b = start_broker()
        assert b.stop(sig) == 0
        assert any("stopped" in line for line in b.log)


def test_cluster_id_survives_restart(start_broker, tmp_path):
    from confluent_kafka.admin import AdminClient
    data = tmp_path / "kept"
    first = start_broker(data_dir=data)
    cluster_id = AdminClient({"bootstrap.servers": first.bootstrap}).list_topics(timeout=15).cluster_id
    first.stop()
    second = start_broker(data_dir=data)
    assert AdminClient({"bootstrap.servers": second.bootstrap}).list_topics(timeout=15).cluster_id == cluster_id
