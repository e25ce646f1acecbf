#!/usr/bin/python3
"""Writes tests/model/data/golden_batches.json: magic-2 record batches built by an independent
implementation (kafka-python's DefaultRecordBatchBuilder), with the records they hold.

Run with Debian's interpreter, which sees python3-kafka (and python3-snappy, python3-lz4,
python3-zstandard for those codecs):  /usr/bin/python3 tests/model/make_golden.py
The output is committed; the unit tests only read it.
"""
import json
import os
import struct

import snappy  # python3-snappy
from kafka.record.default_records import DefaultRecordBatchBuilder
from kafka.record.util import calc_crc32c

CODECS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
BASE_TS = 1_700_000_000_000


def sample_records():
    """Keys and values null, empty and not; headers with null values; timestamps below the
    first one (negative deltas); values repetitive enough that every codec compresses them."""
    out = []
    for i in range(60):
        key = None if i % 7 == 3 else (b"" if i % 11 == 5 else b"key-%d" % i)
        if i % 13 == 4:
            value = None
        elif i % 17 == 6:
            value = b""
        else:
            value = (b"value-%03d-" % i) * (1 + i % 9)
        headers = []
        if i % 4 == 1:
            headers = [("trace", b"abc%d" % i), ("empty", b""), ("nothing", None)]
        elif i % 4 == 2:
            headers = [("h\u00e9", bytes(range(i % 5)))]
        ts = BASE_TS + (i * 37 if i % 10 else -i)
        out.append({"offset_delta": i, "timestamp": ts, "key": key, "value": value,
                    "headers": headers})
    return out


def build(codec, records, transactional=False, producer=(-1, -1, -1)):
    pid, epoch, seq = producer
    b = DefaultRecordBatchBuilder(magic=2, compression_type=CODECS[codec],
                                  is_transactional=int(transactional), producer_id=pid,
                                  producer_epoch=epoch, base_sequence=seq, batch_size=1 << 30)
    for r in records:
        b.append(r["offset_delta"], r["timestamp"], r["key"], r["value"], r["headers"])
    data = bytes(b.build())
    attributes = struct.unpack_from(">h", data, 21)[0]
    assert attributes & 7 == CODECS[codec], f"kafka-python stored {codec} uncompressed"
    return data


def to_raw_snappy(plain_batch):
    """The same batch with its records compressed as one raw snappy block, as librdkafka
    writes it (kafka-python only writes xerial framing)."""
    header = bytearray(plain_batch[:61])
    body = snappy.compress(plain_batch[61:])
    struct.pack_into(">i", header, 8, 61 - 12 + len(body))
    attributes = struct.unpack_from(">h", header, 21)[0]
    struct.pack_into(">h", header, 21, (attributes & ~7) | CODECS["snappy"])
    data = bytes(header) + body
    crc = calc_crc32c(data[21:])
    return data[:17] + struct.pack(">I", crc) + data[21:]


def hexo(b):
    return None if b is None else b.hex()


def describe(records):
    return [{"offset_delta": r["offset_delta"], "timestamp": r["timestamp"],
             "key": hexo(r["key"]), "value": hexo(r["value"]),
             "headers": [[k, hexo(v)] for k, v in r["headers"]]} for r in records]


def main():
    records = sample_records()
    batches = []
    for codec in CODECS:
        batches.append({"name": f"kafka_python_{codec}", "codec": codec,
                        "hex": build(codec, records).hex()})
    batches.append({"name": "raw_snappy", "codec": "snappy",
                    "hex": to_raw_snappy(build("none", records)).hex()})
    batches.append({"name": "kafka_python_transactional_gzip", "codec": "gzip",
                    "producer_id": 4242, "producer_epoch": 7, "base_sequence": 100,
                    "transactional": True,
                    "hex": build("gzip", records[:5], True, (4242, 7, 100)).hex()})
    one = [{"offset_delta": 0, "timestamp": BASE_TS, "key": None, "value": b"x", "headers": []}]
    batches.append({"name": "kafka_python_single_none", "codec": "none", "hex": build("none", one).hex()})
    for b in batches:
        b["records"] = describe(records[:5] if "transactional" in b["name"] else
                                one if "single" in b["name"] else records)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "golden_batches.json")
    with open(out, "w") as f:
        json.dump({"generator": "kafka-python DefaultRecordBatchBuilder", "batches": batches}, f,
                  indent=1)
        f.write("\n")
    print(f"wrote {len(batches)} batches to {out}")


if __name__ == "__main__":
    main()
