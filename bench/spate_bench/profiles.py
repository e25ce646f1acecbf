"""Message counts and durations of the --quick and default profiles, and the counts every
profile shares."""
from __future__ import annotations


# Kafka's Long.MAX: log.flush.interval.messages=INT64_MAX never fsyncs by count (page-cache durability).
INT64_MAX = 9223372036854775807


# Message counts and durations. Produce runs also stop sending after `produce_cap_s` (whatever was
# delivered by then is measured), so a slow broker cannot blow the time budget.
PROFILES = {
    "default": {
        "n_1k": 1_000_000,  # 1 KiB messages: ~1 GB
        "n_100b": 3_000_000,  # 100 B messages: ~300 MB
        "produce_cap_s": 30,
        "stall_s": 15,  # a produce run gives up after this long without a delivery report
        "consume_timeout_s": 60,
        "latency_s": 10,
        "latency_rate": 1000,
        "mock_consume_prep": 280_000,  # the mock keeps ~5 MB per partition: 64 partitions
        "fio_size": "1G",
        "iperf_s": 5,
        "replay_groups": 1000,  # offsets_replay: groups x commits x partitions offset records
        "replay_commits": 100,
        "many_partitions": 10_000,
        "produce_s": 20,  # each spate acks=1 produce scenario sends this long (sustained, not a burst)
        "produce_fsync_s": 10,  # each acks=all fsync one (nothing to absorb: every append is synced)
        "many_producers": 32,  # producer instances of produce_1k_acks1_keyed_<N>producers
        "many_producers_s": 8,  # each of its four rounds (1, N, N, 1 producers)
        "soak_minutes": 30,  # --soak: the soak's length
        "soak_max_s": 20,  # --soak: the short acks=all run that measures the maximum rate first
    },
    "quick": {
        "n_1k": 30_000,
        "n_100b": 100_000,
        "produce_cap_s": 10,
        "stall_s": 8,
        "consume_timeout_s": 20,
        "latency_s": 3,
        "latency_rate": 1000,
        "mock_consume_prep": 30_000,
        "fio_size": "128M",
        "iperf_s": 2,
        "replay_groups": 100,
        "replay_commits": 20,
        "many_partitions": 2_000,
        "produce_s": 8,
        "produce_fsync_s": 5,
        "many_producers": 32,
        "many_producers_s": 5,
        "soak_minutes": 30,
        "soak_max_s": 8,
    },
}


SUSTAINED_COUNT = 1_000_000_000  # produce runs of spate are bounded by produce_s, this is only a cap
