"""Tests for the schema parser and generator helpers (run: python3 -m pytest tools/codegen/tests)."""
import glob
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import generate  # noqa: E402
from schema import SchemaError, Versions, parse_schema  # noqa: E402

SCHEMA_DIR = os.path.join(HERE, "..", "..", "..", "src", "protocol", "schemas")

EXAMPLE = """
# comment
api Example key=99

request versions=0-5 flexible=3+
  topics: []topic 0+ nullable=1+
    name: string 0+ nullable=4+
    partitions: []int32 0+
  cluster_id: string 3+ nullable=3+ tagged=3+ tag=0 default=null ignorable
  timeout_ms: int32 0+ default=0x7fffffff
  label: string 2+ default="x y"
  shared: common_thing 1+

  struct common_thing 0+
    id: uuid 0+

response versions=0-5 flexible=none
  error_code: int16 0+
"""


def test_versions_parse_and_contain():
    assert Versions.parse("3+").contains(100)
    assert not Versions.parse("3+").contains(2)
    assert Versions.parse("2-4").contains(4)
    assert Versions.parse("7") == Versions(7, 7)
    assert Versions.parse("none").empty()
    with pytest.raises(ValueError):
        Versions.parse("4-2")


def test_parses_nesting_attributes_and_common_structs():
    sf = parse_schema(EXAMPLE)
    assert sf.api_name == "Example" and sf.api_key == 99
    req, resp = sf.messages
    assert req.name == "example_request" and resp.name == "example_response"
    assert repr(req.flexible) == "3+" and resp.flexible.empty()
    topics, cluster, timeout, label, shared = req.fields
    assert topics.type.is_array and topics.type.struct.name == "topic"
    assert [f.name for f in topics.fields] == ["name", "partitions"]
    assert repr(topics.nullable) == "1+"
    assert cluster.tag == 0 and repr(cluster.tagged) == "3+" and cluster.ignorable
    assert cluster.default == "null" and not cluster.default_is_string
    assert timeout.default == "0x7fffffff"
    assert label.default == "x y" and label.default_is_string
    assert shared.type.struct is req.structs["common_thing"]
    assert set(req.structs) == {"topic", "common_thing"}


@pytest.mark.parametrize("text, message", [
    ("data d versions=0 flexible=none\n   x: int32 0+\n", "indentation"),
    ("data d versions=0 flexible=none\n  x: int32 0+ nullable=0+\n", "cannot be nullable"),
    ("data d versions=0 flexible=none\n  x: thing 0+\n", "unknown struct"),
    ("data d versions=0 flexible=none\n  x: int32 0+ tag=1\n", "go together"),
    ("data d versions=0 flexible=none\n  x: int32 0+ bogus=1\n", "unknown attribute"),
    ("data d versions=0 flexible=none\n  x: int32 0+\n  x: int32 0+\n", "duplicate field"),
    ("api A key=1\nrequest versions=0 flexible=none\n", "exactly one request and one response"),
    ("request versions=0 flexible=none\n", "preceding 'api'"),
])
def test_rejects_malformed_schemas_with_a_location(text, message):
    with pytest.raises(SchemaError, match=message):
        parse_schema(text, "t.schema")


def test_every_committed_schema_parses_and_generates():
    paths = sorted(glob.glob(os.path.join(SCHEMA_DIR, "*.schema")))
    # API schemas + record schemas of __consumer_offsets (4) and __transaction_state (2) + 4 more.
    assert len(paths) == 46 + 4 + 4 + 2
    keys = set()
    for p in paths:
        with open(p) as f:
            sf = parse_schema(f.read(), p)
        if sf.api_name:
            assert sf.api_key not in keys
            keys.add(sf.api_key)
        stem = os.path.splitext(os.path.basename(p))[0]
        h, cc, fill = generate.generate_schema_files(sf, stem, p)
        for m in sf.messages:
            assert f"struct {m.name} {{" in h


def test_condition_simplification():
    ctx = Versions(0, 12)
    assert generate.cond(Versions.parse("0+"), ctx) == "true"
    assert generate.cond(Versions.parse("4+"), ctx) == "version >= 4"
    assert generate.cond(Versions.parse("8-10"), ctx) == "(version >= 8 && version <= 10)"
    assert generate.cond(Versions.parse("0-2"), ctx) == "version <= 2"
    assert generate.cond(Versions.parse("13+"), ctx) == "false"


def test_struct_type_names_avoid_field_names():
    sf = parse_schema(EXAMPLE.replace("shared: common_thing", "common_thing: common_thing"))
    ctx = generate.Ctx(sf.messages[0])
    assert ctx.type_names["common_thing"] == "common_thing_data"
    assert ctx.type_names["topic"] == "topic"


def test_defaults_become_cpp_initialisers():
    sf = parse_schema(EXAMPLE)
    ctx = generate.Ctx(sf.messages[0])
    by_name = {f.name: f for f in sf.messages[0].fields}
    assert generate.initializer(ctx, by_name["timeout_ms"]) == " = 2147483647"
    assert generate.initializer(ctx, by_name["cluster_id"]) == "{}"
    assert generate.initializer(ctx, by_name["topics"]) == "{std::in_place}"
    assert generate.initializer(ctx, by_name["label"]) == '{"x y"}'
    assert generate.int_literal("-2147483648", "int32") == "-2147483647 - 1"
    with pytest.raises(ValueError):
        generate.int_literal("70000", "int16")


def test_importer_snake_cases_kafka_names():
    import import_kafka_schema as imp
    assert imp.snake("TopicId") == "topic_id"
    assert imp.snake("V3AndBelowTopics") == "v3_and_below_topics"
    assert imp.snake("ZkMigrationReady") == "zk_migration_ready"
    assert imp.snake("ISRNodes") == "isr_nodes"
