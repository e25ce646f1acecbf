"""Client quotas (KIP-546's AlterClientQuotas and DescribeClientQuotas, enforced as KIP-13/KIP-219 say)
against the real broker. No installed client library has the quota APIs: they are set with
`spate quota` (the operator's tool, like kafka-configs.sh) and sent raw (data_wire's primitives) for
the wire-level checks; the quota'd traffic comes from confluent-kafka (librdkafka), which must slow
down without a single error."""
import json
import struct
import time
import urllib.error
import urllib.request

from confluent_kafka import Consumer, Producer

import data_wire as dw
from cli_support import as_json, failure, ok, spate, tables

DESCRIBE_CLIENT_QUOTAS, ALTER_CLIENT_QUOTAS = 48, 49
INVALID_REQUEST = 42
MiB = 1 << 20


def alter(conn, entries, validate_only=False, version=1):
    """entries: [([(entity_type, entity_name)], [(key, value, remove)])] -> [(error_code, message)]."""
    flexible = version >= 1

    def entity(w, e):
        w.string(e[0]).string(e[1]).tags()

    def op(w, o):
        w.string(o[0])
        w.buf += struct.pack(">d", o[1])
        w.boolean(o[2]).tags()

    def entry(w, e):
        w.array(e[0], entity).array(e[1], op).tags()

    w = dw.W(flexible)
    w.array(entries, entry).boolean(validate_only).tags()
    r = conn.call(ALTER_CLIENT_QUOTAS, version, w.buf, flexible)
    r.i32()  # throttle_time_ms

    def result(r):
        code, message = r.i16(), r.string()
        r.array(lambda r: (r.string(), r.string(), r.tags()))
        r.tags()
        return code, message

    return r.array(result)


def describe(conn, components, strict=False, version=1):
    """components: [(entity_type, match_type, match)] -> (error_code, {((type, name), ...): {key: value}})."""
    flexible = version >= 1
    w = dw.W(flexible)
    w.array(components, lambda w, c: w.string(c[0]).i8(c[1]).string(c[2]).tags()).boolean(strict).tags()
    r = conn.call(DESCRIBE_CLIENT_QUOTAS, version, w.buf, flexible)
    r.i32()
    code, _message = r.i16(), r.string()

    def value(r):
        key = r.string()
        (v,) = struct.unpack_from(">d", r.data, r.pos)
        r.pos += 8
        r.tags()
        return key, v

    def entry(r):
        entity = tuple((t, n) for t, n, _ in r.array(lambda r: (r.string(), r.string(), r.tags())))
        values = dict(r.array(value))
        r.tags()
        return entity, values

    entries = r.array(entry)
    return code, dict(entries or [])


def produce_for(bootstrap, client_id, seconds, value_size=10240):
    """Produces as fast as it can for `seconds`; returns (bytes acknowledged by then, errors, throttle
    times reported)."""
    acked, errors, throttles = [0], [], []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(err)
        else:
            acked[0] += len(msg.value())

    p = Producer({"bootstrap.servers": bootstrap, "client.id": client_id, "acks": 1, "linger.ms": 5,
                  "queue.buffering.max.kbytes": 4096,
                  "throttle_cb": lambda event: throttles.append(event.throttle_time)})
    value = b"q" * value_size
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            p.produce("metered", value=value, on_delivery=on_delivery)
        except BufferError:
            p.poll(0.05)
        p.poll(0)
    counted = acked[0]
    p.purge()
    p.flush(30)
    return counted, [e for e in errors if e.code() not in (-152, -151)], throttles  # purged: not errors


def test_a_producer_byte_rate_set_through_the_api_holds_a_client_to_it_survives_a_restart_and_is_described(
        start_broker, tmp_path):
    data_dir = tmp_path / "quota-data"
    broker = start_broker("--set", "topics=metered:1", data_dir=data_dir)
    with dw.Conn(broker) as conn:
        assert alter(conn, [([("client-id", "metered")], [("producer_byte_rate", MiB, False)])]) == [(0, None)]
        # Kafka's validation: unknown keys and types are INVALID_REQUEST, per entry; validate_only
        # changes nothing.
        results = alter(conn, [([("client-id", "x")], [("bogus_rate", 1.0, False)]),
                               ([("group", "g")], [("producer_byte_rate", 1.0, False)]),
                               ([("user", None)], [("consumer_byte_rate", 2.0 * MiB, False)])], validate_only=True)
        assert [code for code, _ in results] == [INVALID_REQUEST, INVALID_REQUEST, 0], results
        code, entries = describe(conn, [])
        assert code == 0 and entries == {(("client-id", "metered"),): {"producer_byte_rate": float(MiB)}}, entries

    # 10 s at full speed under a 1 MiB/s quota: Kafka's 10 s minimum window lets about 10 MiB in.
    accepted, errors, throttles = produce_for(broker.bootstrap, "metered", 10)
    assert errors == []
    assert throttles and max(throttles) > 0
    assert 7 * MiB <= accepted <= 15 * MiB, accepted / MiB
    # Another client id is not held to it.
    free, errors, _ = produce_for(broker.bootstrap, "unmetered", 3)
    assert errors == [] and free > 2 * accepted, (free / MiB, accepted / MiB)

    broker.stop()
    broker = start_broker("--set", "topics=metered:1", data_dir=data_dir)
    with dw.Conn(broker) as conn:
        code, entries = describe(conn, [("client-id", 0, "metered")], strict=True, version=0)
        assert code == 0 and entries == {(("client-id", "metered"),): {"producer_byte_rate": float(MiB)}}
        # Removing the last value removes the entity, also from the file.
        assert alter(conn, [([("client-id", "metered")], [("producer_byte_rate", 0.0, True)])],
                     version=0) == [(0, None)]
        assert describe(conn, [])[1] == {}
    assert (data_dir / "client-quotas.json").exists()


def http(broker, method, path, body=None):
    """One admin API call: (status, parsed JSON body)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(broker.admin_url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def consume_for(bootstrap, client_id, group, seconds):
    """Reads `backlog` from the start for `seconds`; returns (bytes read, errors, throttle times)."""
    got, errors, throttles = 0, [], []
    c = Consumer({"bootstrap.servers": bootstrap, "client.id": client_id, "group.id": group,
                  "auto.offset.reset": "earliest", "enable.auto.commit": False,
                  "throttle_cb": lambda event: throttles.append(event.throttle_time)})
    c.subscribe(["backlog"])
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            msg = c.poll(0.1)
            if msg is None:
                continue
            if msg.error() is not None:
                errors.append(msg.error())
            else:
                got += len(msg.value())
    finally:
        c.close()
    return got, errors, throttles


def test_a_consumer_byte_rate_set_with_the_cli_slows_a_consumer_without_errors(start_broker):
    broker = start_broker("--set", "topics=backlog:1")
    p = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 20})
    value = b"c" * 10240
    for _ in range(4096):  # 40 MiB
        while True:
            try:
                p.produce("backlog", value=value)
                break
            except BufferError:
                p.poll(0.05)
    assert p.flush(60) == 0

    out = ok(broker, "quota", "alter", "--client-id", "metered-reader", "--set", f"consumer_byte_rate={MiB}")
    assert out.strip() == "Altered: client-id=metered-reader"
    described = as_json(broker, "quota", "describe", "--client-id", "metered-reader")
    assert described == {"quotas": [{"entity": {"client-id": "metered-reader"},
                                      "values": {"consumer_byte_rate": float(MiB)}}]}
    rows = tables(ok(broker, "quota", "describe"))[0]
    assert rows == [{"USER": "-", "CLIENT_ID": "metered-reader", "QUOTA": "consumer_byte_rate",
                     "VALUE": str(MiB)}], rows
    # The broker's validation reaches the operator as one line naming Kafka's error.
    line = failure(spate("quota", "alter", "--client-id", "x", "--set", "consumer_byte_rat=1",
                         "-b", broker.bootstrap))
    assert "INVALID_REQUEST" in line and "consumer_byte_rat" in line, line

    # The HTTP admin API reads and alters the same table through the same Kafka handlers.
    assert http(broker, "GET", "/v1/quotas") == (200, described)
    status, answer = http(broker, "POST", "/v1/quotas", {"entity": {"user": None}, "set": {"request_percentage": 80}})
    assert status == 200 and answer["altered"] is True, answer
    status, answer = http(broker, "POST", "/v1/quotas", {"entity": {"client-id": "x"}, "set": {"bogus_rate": 1}})
    assert status == 400 and answer["error"] == "INVALID_REQUEST" and "bogus_rate" in answer["message"], answer
    status, answer = http(broker, "POST", "/v1/quotas", {"entity": {"user": None}, "delete": ["request_percentage"]})
    assert status == 200
    assert http(broker, "GET", "/v1/quotas") == (200, described)

    # 8 s from the start of a 40 MiB backlog under 1 MiB/s: Kafka's 10 s minimum window lets about
    # 10 MiB through, throttled, without an error; another client id reads several times more.
    metered, errors, throttles = consume_for(broker.bootstrap, "metered-reader", "metered", 8)
    assert errors == [] and throttles and max(throttles) > 0, (errors, throttles)
    assert 4 * MiB <= metered <= 16 * MiB, metered / MiB
    free, errors, _ = consume_for(broker.bootstrap, "free-reader", "free", 8)
    assert errors == [] and free >= 2 * metered, (free / MiB, metered / MiB)
