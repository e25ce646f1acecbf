"""Raw encoders/decoders for the data-path APIs (Produce, Fetch, ListOffsets, DeleteRecords,
IncrementalAlterConfigs), written from the Kafka protocol guide and independent of spate's codec.
Used by tests that must send what clients never send (corrupt batches) or use versions/APIs the
installed clients do not offer. Builds on kafka_wire (framing) and kafka-python (record batches)."""
import struct
import uuid

from kafka.record.default_records import DefaultRecordBatchBuilder
from kafka.record.memory_records import MemoryRecords

import kafka_wire

# ---- error codes used by the tests ----
NONE = 0
OFFSET_OUT_OF_RANGE = 1
CORRUPT_MESSAGE = 2
UNKNOWN_TOPIC_OR_PARTITION = 3
MESSAGE_TOO_LARGE = 10
INVALID_CONFIG = 40
UNSUPPORTED_COMPRESSION_TYPE = 76
INVALID_RECORD = 87
UNKNOWN_TOPIC_ID = 100

# ---- API keys ----
PRODUCE, FETCH, LIST_OFFSETS, METADATA, DELETE_RECORDS, INCREMENTAL_ALTER_CONFIGS = 0, 1, 2, 3, 21, 44

CODECS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}


class W:
    """Appends Kafka primitives; `flexible` selects compact strings/arrays/bytes."""

    def __init__(self, flexible=False):
        self.flexible = flexible
        self.buf = bytearray()

    def i8(self, v):
        self.buf += struct.pack(">b", v); return self

    def i16(self, v):
        self.buf += struct.pack(">h", v); return self

    def i32(self, v):
        self.buf += struct.pack(">i", v); return self

    def i64(self, v):
        self.buf += struct.pack(">q", v); return self

    def boolean(self, v):
        return self.i8(1 if v else 0)

    def uvarint(self, v):
        while v >= 0x80:
            self.buf.append((v & 0x7F) | 0x80)
            v >>= 7
        self.buf.append(v)
        return self

    def uuid(self, u):
        self.buf += u.bytes; return self

    def string(self, s):
        if s is None:
            return self.uvarint(0) if self.flexible else self.i16(-1)
        b = s.encode() if isinstance(s, str) else s
        if self.flexible:
            self.uvarint(len(b) + 1)
        else:
            self.i16(len(b))
        self.buf += b
        return self

    def bytes_(self, b):
        if b is None:
            return self.uvarint(0) if self.flexible else self.i32(-1)
        if self.flexible:
            self.uvarint(len(b) + 1)
        else:
            self.i32(len(b))
        self.buf += b
        return self

    def array(self, items, each):
        if self.flexible:
            self.uvarint(len(items) + 1)
        else:
            self.i32(len(items))
        for item in items:
            each(self, item)
        return self

    def tags(self):
        if self.flexible:
            self.uvarint(0)
        return self


class R:
    """Reads Kafka primitives from a response body."""

    def __init__(self, data, flexible=False):
        self.data = bytes(data)
        self.pos = 0
        self.flexible = flexible

    def _unpack(self, fmt):
        (v,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return v

    def i8(self):
        return self._unpack(">b")

    def i16(self):
        return self._unpack(">h")

    def i32(self):
        return self._unpack(">i")

    def i64(self):
        return self._unpack(">q")

    def uvarint(self):
        shift = result = 0
        while True:
            b = self.data[self.pos]
            self.pos += 1
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7

    def uuid(self):
        u = uuid.UUID(bytes=self.data[self.pos:self.pos + 16])
        self.pos += 16
        return u

    def _length(self, wide):
        if self.flexible:
            return self.uvarint() - 1
        return self.i32() if wide else self.i16()

    def string(self):
        n = self._length(wide=False)
        if n < 0:
            return None
        s = self.data[self.pos:self.pos + n].decode()
        self.pos += n
        return s

    def bytes_(self):
        n = self._length(wide=True)
        if n < 0:
            return None
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def array(self, each):
        n = self._length(wide=True)
        if n < 0:
            return None
        return [each(self) for _ in range(n)]

    def tags(self):
        if self.flexible:
            for _ in range(self.uvarint()):
                self.uvarint()
                self.pos += self.uvarint()


class Conn:
    """One connection to the broker; `call` sends a request and returns a reader over the body."""

    def __init__(self, broker, timeout=15):
        self.sock = kafka_wire.connect(broker, timeout=timeout)
        self.correlation_id = 0

    def call(self, api_key, version, body, flexible):
        self.correlation_id += 1
        self.sock.sendall(kafka_wire.request_frame(api_key, version, self.correlation_id, bytes(body),
                                                   header_version=2 if flexible else 1))
        frame = kafka_wire.recv_frame(self.sock)
        r = R(frame, flexible)
        assert r.i32() == self.correlation_id
        r.tags()  # response header v1 for flexible versions
        return r

    def api_versions(self):
        return kafka_wire.api_versions_v0(self.sock, correlation_id=10_000 + self.correlation_id)

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---- record batches ----

def build_batch(values, codec="none", base_timestamp=1_700_000_000_000, key=b"k", timestamps=None):
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=CODECS[codec], is_transactional=0,
                                        producer_id=-1, producer_epoch=-1, base_sequence=-1,
                                        batch_size=1 << 30)
    for i, value in enumerate(values):
        ts = timestamps[i] if timestamps else base_timestamp + i
        builder.append(i, timestamp=ts, key=key, value=value, headers=[])
    return bytes(builder.build())


def corrupt_crc(batch):
    """Flips a bit of the stored CRC-32C (bytes 17..20 of a magic-2 batch header)."""
    b = bytearray(batch)
    b[17] ^= 0x01
    return bytes(b)


def decode_records(records):
    """[(offset, timestamp, key, value, headers, codec_id)] of every record in a fetched records blob."""
    out = []
    mr = MemoryRecords(bytes(records or b""))
    while True:
        batch = mr.next_batch()
        if batch is None:
            return out
        for rec in batch:
            out.append((rec.offset, rec.timestamp, rec.key, rec.value, rec.headers, batch.compression_type))


def batch_codecs(records):
    """Codec id (attributes & 7) of each complete batch in a records blob, read from the headers."""
    data = bytes(records or b"")
    pos, codecs = 0, []
    while pos + 61 <= len(data):
        (length,) = struct.unpack_from(">i", data, pos + 8)
        if pos + 12 + length > len(data):
            break
        (attributes,) = struct.unpack_from(">h", data, pos + 21)
        codecs.append(attributes & 7)
        pos += 12 + length
    return codecs


# ---- Produce ----

def produce(conn, version, topic, partition, batch, acks=-1, timeout_ms=15000):
    """Returns {(topic, partition): {error_code, base_offset, log_start_offset, error_message}}."""
    flexible = version >= 9
    w = W(flexible)
    if version >= 3:
        w.string(None)  # transactional_id
    w.i16(acks).i32(timeout_ms)

    def part(w, p):
        w.i32(p).bytes_(batch).tags()

    def top(w, t):
        w.string(t).array([partition], part).tags()

    w.array([topic], top).tags()
    r = conn.call(PRODUCE, version, w.buf, flexible)
    result = {}

    def read_part(r, name):
        p = {"partition": r.i32(), "error_code": r.i16(), "base_offset": r.i64()}
        if version >= 2:
            p["log_append_time"] = r.i64()
        if version >= 5:
            p["log_start_offset"] = r.i64()
        if version >= 8:
            p["record_errors"] = r.array(lambda r: (r.i32(), r.string(), r.tags())[:2])
            p["error_message"] = r.string()
        r.tags()
        result[(name, p["partition"])] = p

    def read_topic(r):
        name = r.string()
        r.array(lambda r: read_part(r, name))
        r.tags()

    r.array(read_topic)
    return result


# ---- Fetch ----

def fetch(conn, version, topic, partition, offset, max_wait_ms=0, min_bytes=1, max_bytes=1 << 20,
          topic_id=None):
    """Fetch one partition (a sessionless full fetch). v4-v11 by name, v12 flexible by name,
    v13+ by topic id. Returns (top_level_error, partition_dict)."""
    flexible = version >= 12
    w = W(flexible)
    w.i32(-1).i32(max_wait_ms).i32(min_bytes)
    w.i32(max_bytes).i8(0)  # max_bytes (v3+), isolation_level READ_UNCOMMITTED (v4+)
    if version >= 7:
        w.i32(0).i32(-1)  # session_id, session_epoch: no session

    def part(w, p):
        w.i32(p)
        if version >= 9:
            w.i32(-1)  # current_leader_epoch: unknown
        w.i64(offset)
        if version >= 12:
            w.i32(-1)  # last_fetched_epoch
        if version >= 5:
            w.i64(-1)  # log_start_offset (followers only)
        w.i32(max_bytes).tags()

    def top(w, t):
        if version >= 13:
            w.uuid(topic_id)
        else:
            w.string(t)
        w.array([partition], part).tags()

    w.array([topic], top)
    if version >= 7:
        w.array([], lambda w, x: None)  # forgotten topics
    if version >= 11:
        w.string("")  # rack_id
    w.tags()
    r = conn.call(FETCH, version, w.buf, flexible)
    r.i32()  # throttle_time_ms
    top_error = r.i16() if version >= 7 else NONE
    if version >= 7:
        r.i32()  # session_id
    parts = []

    def read_part(r, topic_key):
        p = {"topic": topic_key, "partition": r.i32(), "error_code": r.i16(), "high_watermark": r.i64()}
        if version >= 4:
            p["last_stable_offset"] = r.i64()
        if version >= 5:
            p["log_start_offset"] = r.i64()
        if version >= 4:
            r.array(lambda r: (r.i64(), r.i64(), r.tags()))
        if version >= 11:
            p["preferred_read_replica"] = r.i32()
        p["records"] = r.bytes_()
        r.tags()
        parts.append(p)

    def read_topic(r):
        key = r.uuid() if version >= 13 else r.string()
        r.array(lambda r: read_part(r, key))
        r.tags()

    r.array(read_topic)
    r.tags()
    assert len(parts) == 1, parts
    return top_error, parts[0]


# ---- ListOffsets ----

EARLIEST, LATEST, MAX_TIMESTAMP = -2, -1, -3


def list_offsets(conn, version, topic, partition, timestamp):
    """Returns (error_code, timestamp, offset) for one partition (v1+)."""
    flexible = version >= 6
    w = W(flexible)
    w.i32(-1)
    if version >= 2:
        w.i8(0)  # isolation level

    def part(w, p):
        w.i32(p)
        if version >= 4:
            w.i32(-1)  # current_leader_epoch
        w.i64(timestamp).tags()

    w.array([topic], lambda w, t: w.string(t).array([partition], part).tags()).tags()
    r = conn.call(LIST_OFFSETS, version, w.buf, flexible)
    if version >= 2:
        r.i32()  # throttle
    out = []

    def read_part(r):
        index, error = r.i32(), r.i16()
        ts, off = r.i64(), r.i64()
        if version >= 4:
            r.i32()  # leader epoch
        r.tags()
        out.append((error, ts, off))

    r.array(lambda r: (r.string(), r.array(read_part), r.tags()))
    r.tags()
    assert len(out) == 1
    return out[0]


# ---- DeleteRecords ----

def delete_records(conn, topic, partition, offset, version=1, timeout_ms=15000):
    """Returns (error_code, low_watermark)."""
    w = W(False)
    w.array([topic], lambda w, t: w.string(t).array([partition], lambda w, p: w.i32(p).i64(offset)))
    w.i32(timeout_ms)
    r = conn.call(DELETE_RECORDS, version, w.buf, False)
    r.i32()
    out = []
    r.array(lambda r: (r.string(), r.array(lambda r: out.append((r.i32(), r.i64(), r.i16())))))
    ((_, low, error),) = out
    return error, low


# ---- IncrementalAlterConfigs ----

SET, DELETE, APPEND, SUBTRACT = 0, 1, 2, 3
TOPIC_RESOURCE, BROKER_RESOURCE = 2, 4


def incremental_alter_configs(conn, version, resources, validate_only=False):
    """resources: [(resource_type, name, [(config_name, op, value)])]; returns
    [(error_code, error_message, resource_type, resource_name)]."""
    flexible = version >= 1

    def config(w, c):
        w.string(c[0]).i8(c[1]).string(c[2]).tags()

    def resource(w, res):
        w.i8(res[0]).string(res[1]).array(res[2], config).tags()

    w = W(flexible)
    w.array(resources, resource).boolean(validate_only).tags()
    r = conn.call(INCREMENTAL_ALTER_CONFIGS, version, w.buf, flexible)
    r.i32()
    out = r.array(lambda r: (r.i16(), r.string(), r.i8(), r.string(), r.tags())[:4])
    r.tags()
    return out


# ---- DescribeLogDirs ----

DESCRIBE_LOG_DIRS = 35


def describe_log_dirs(conn, version, topics=None):
    """topics: None for all, else [(topic, [partitions])]. Returns (top_error, [dict per log dir])."""
    flexible = version >= 2
    w = W(flexible)
    if topics is None:
        w.uvarint(0) if flexible else w.i32(-1)
    else:
        w.array(topics, lambda w, t: w.string(t[0]).array(t[1], lambda w, p: w.i32(p)).tags())
    w.tags()
    r = conn.call(DESCRIBE_LOG_DIRS, version, w.buf, flexible)
    r.i32()
    top_error = r.i16() if version >= 3 else NONE

    def read_part(r):
        p = {"partition": r.i32(), "size": r.i64(), "offset_lag": r.i64(), "is_future": r.i8() != 0}
        r.tags()
        return p

    def read_topic(r):
        t = (r.string(), r.array(read_part))
        r.tags()
        return t

    def read_dir(r):
        d = {"error_code": r.i16(), "log_dir": r.string()}
        d["topics"] = {name: {p["partition"]: p for p in parts} for name, parts in r.array(read_topic)}
        if version >= 4:
            d["total_bytes"], d["usable_bytes"] = r.i64(), r.i64()
        r.tags()
        return d

    dirs = r.array(read_dir)
    r.tags()
    return top_error, dirs


# ---- OffsetForLeaderEpoch ----

OFFSET_FOR_LEADER_EPOCH = 23
UNKNOWN_LEADER_EPOCH = 75
FENCED_LEADER_EPOCH = 74


def offset_for_leader_epoch(conn, version, topic, partition, leader_epoch, current_leader_epoch=-1):
    """Returns (error_code, leader_epoch, end_offset) for one partition (v2+)."""
    flexible = version >= 4
    w = W(flexible)
    if version >= 3:
        w.i32(-1)  # replica_id: a consumer

    def part(w, p):
        w.i32(p).i32(current_leader_epoch).i32(leader_epoch).tags()

    w.array([topic], lambda w, t: w.string(t).array([partition], part).tags()).tags()
    r = conn.call(OFFSET_FOR_LEADER_EPOCH, version, w.buf, flexible)
    r.i32()  # throttle
    out = []

    def read_part(r):
        error, _p, epoch, end = r.i16(), r.i32(), r.i32(), r.i64()
        r.tags()
        out.append((error, epoch, end))

    r.array(lambda r: (r.string(), r.array(read_part), r.tags()))
    r.tags()
    assert len(out) == 1
    return out[0]


INVALID_FETCH_SESSION_EPOCH = 71
FETCH_SESSION_ID_NOT_FOUND = 70


def fetch_session(conn, version, topics, session_id, session_epoch, max_wait_ms=0, min_bytes=1,
                  max_bytes=1 << 20):
    """Fetch v7-v11 with session fields (KIP-227). topics: [(name, [(partition, offset)])].
    Returns (top_error, session_id, {(topic, partition): partition_dict})."""
    assert 7 <= version <= 11
    w = W(False)
    w.i32(-1).i32(max_wait_ms).i32(min_bytes).i32(max_bytes).i8(0).i32(session_id).i32(session_epoch)

    def part(w, p):
        w.i32(p[0])
        if version >= 9:
            w.i32(-1)
        w.i64(p[1]).i64(-1).i32(max_bytes)

    w.array(topics, lambda w, t: w.string(t[0]).array(t[1], part))
    w.array([], lambda w, x: None)
    if version >= 11:
        w.string("")
    r = conn.call(FETCH, version, w.buf, False)
    r.i32()
    top_error, sid = r.i16(), r.i32()
    parts = {}

    def read_part(r, name):
        p = {"partition": r.i32(), "error_code": r.i16(), "high_watermark": r.i64(), "last_stable_offset": r.i64(),
             "log_start_offset": r.i64()}
        r.array(lambda r: (r.i64(), r.i64()))
        if version >= 11:
            r.i32()
        p["records"] = r.bytes_()
        parts[(name, p["partition"])] = p

    def read_topic(r):
        name = r.string()
        r.array(lambda r: read_part(r, name))

    r.array(read_topic)
    return top_error, sid, parts
