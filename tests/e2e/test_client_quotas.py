"""Client quotas (KIP-546's AlterClientQuotas and DescribeClientQuotas, enforced as KIP-13/KIP-219 say)
against the real broker. No installed client library has the quota APIs, so they are sent raw
(data_wire's primitives); the quota'd traffic comes from confluent-kafka (librdkafka), which must
slow down without a single error."""
import struct
import time

from confluent_kafka import Producer

import data_wire as dw

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
