"""A group consumer for the lag-monitor tests, run as its own process so a test can SIGKILL it.

usage: lag_consumer.py BOOTSTRAP GROUP TOPIC RATE [FAST_RATE]
Consumes TOPIC in GROUP with confluent-kafka at most RATE records/s (0: unlimited), committing its
position synchronously every 100 ms. SIGUSR1 switches to FAST_RATE. Prints "assigned" once it owns
partitions and "consumed N" after each commit, flushed, so the test can await both.
"""
import signal
import sys
import time

from confluent_kafka import Consumer

bootstrap, group, topic, rate = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
fast_rate = float(sys.argv[5]) if len(sys.argv) > 5 else rate
limit = {"rate": rate}
signal.signal(signal.SIGUSR1, lambda *_: limit.update(rate=fast_rate))

consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                     "auto.offset.reset": "earliest", "session.timeout.ms": 2000,
                     "heartbeat.interval.ms": 300, "fetch.wait.max.ms": 50})
consumer.subscribe([topic], on_assign=lambda c, parts: print("assigned", flush=True))
consumed = 0
last_commit = time.monotonic()
started = time.monotonic()
pending = False
while True:
    msg = consumer.poll(0.05)
    if msg is not None and msg.error() is None:
        consumed += 1
        pending = True
        if limit["rate"] > 0:
            # Pace to the rate: sleep until this record's slot.
            ahead = consumed / limit["rate"] - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(min(ahead, 0.2))
    if pending and time.monotonic() - last_commit >= 0.1:
        consumer.commit(asynchronous=False)
        pending = False
        last_commit = time.monotonic()
        print("consumed", consumed, flush=True)
    if limit["rate"] != rate and limit["rate"] > 0:
        # The rate changed: restart the pacing clock from here.
        rate = limit["rate"]
        started = time.monotonic() - consumed / rate
