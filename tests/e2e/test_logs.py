"""What an operator reads in the broker's log: a start-up line per topic, one ready line, a recovery
summary, and no flood when a client misbehaves in a loop."""
import re

from confluent_kafka.admin import AdminClient, NewTopic

import kafka_wire as wire
from conftest import wait_until


def events(broker, name):
    return [line for line in broker.log if f"event={name} " in line]


def test_a_restart_logs_one_line_per_topic_and_one_recovery_summary(start_broker, tmp_path):
    data = tmp_path / "data"
    first = start_broker(data_dir=data)
    admin = AdminClient({"bootstrap.servers": first.bootstrap})
    for future in admin.create_topics([NewTopic("many", 20, 1), NewTopic("few", 2, 1)]).values():
        future.result(30)
    assert [l for l in first.log if "fresh=true" in l and "event=log_manager_loaded" in l]
    assert first.stop() == 0

    second = start_broker(data_dir=data)
    loaded = {re.search(r"topic=(\S+)", line).group(1): line for line in events(second, "topic_loaded")}
    # 22 created partitions and 100 internal ones, but one line per topic.
    assert set(loaded) == {"many", "few", "__consumer_offsets", "__transaction_state"}, loaded
    assert "partitions=20" in loaded["many"]
    assert not [l for l in second.log if "event=log_loaded" in l]
    summary = events(second, "log_manager_loaded")
    assert len(summary) == 1 and "topics=4" in summary[0] and "partitions=122" in summary[0], summary
    assert "clean_shutdown=true" in summary[0] and "truncated_bytes=0" in summary[0]
    assert len([l for l in second.log if "spate ready" in l]) == 1
    assert len(second.log) < 30, "".join(second.log)


def test_a_client_sending_garbage_in_a_loop_does_not_flood_the_log(broker):
    for _ in range(40):
        with wire.connect(broker) as bad:
            bad.sendall(wire.request_frame(9999, 0, 1))  # an unknown API key: the connection is closed
            assert wire.is_closed(bad)
    with wire.connect(broker) as good:
        assert wire.api_versions_v0(good)[0] == 0
    wait_until(lambda: any("closing connection" in line for line in broker.log), 10, "the first warning")
    warnings = [line for line in broker.log if "closing connection" in line]
    # At most a burst per window is written; the rest are counted for the next line let through.
    assert 1 <= len(warnings) <= 5, "".join(warnings)
