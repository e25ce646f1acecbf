"""Helpers of the spate lag and lag-monitor tests: records in `orders`, a group that commits chosen offsets, the lag API."""
import json
import urllib.request

from confluent_kafka import Consumer, Producer, TopicPartition

from conftest import wait_until


def get(url, path):
    with urllib.request.urlopen(url + path, timeout=10) as resp:
        return json.loads(resp.read())


def produce(bootstrap, per_partition, partitions=3, topic="orders"):
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    for partition in range(partitions):
        for i in range(per_partition):
            p.produce(topic, value=b"r%d" % i, partition=partition)
    assert p.flush(30) == 0


def commit_as_group(bootstrap, group, committed, topic="orders"):
    """Joins `group` (so every listing shows it), commits {partition: offset} and leaves."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                  "auto.offset.reset": "earliest"})
    try:
        c.subscribe([topic])
        wait_until(lambda: c.poll(0.2) is not None and c.assignment(), 30, "the group's assignment")
        c.commit(offsets=[TopicPartition(topic, p, o) for p, o in committed.items()], asynchronous=False)
    finally:
        c.close()


def group_of(url, name, query=""):
    body = get(url, "/v1/lag/groups" + query)
    return next((g for g in body["groups"] if g["group"] == name), None)
