#include "group/offsets_records.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <variant>

#include "protocol/coordinator_placement.h"
#include "protocol/messages/group_metadata_value.h"
#include "protocol/messages/offset_commit_value.h"
#include "protocol/wire.h"

namespace spate::group {
namespace {

// Bytes written out by hand from Kafka's record layouts, so these tests do not depend on the
// generator they check.
base::byte_buffer bytes(std::initializer_list<int> v) {
  base::byte_buffer out;
  for (int b : v) out.push_back(static_cast<std::uint8_t>(b));
  return out;
}
void add(base::byte_buffer& out, const base::byte_buffer& more) {
  out.insert(out.end(), more.begin(), more.end());
}
void add_str(base::byte_buffer& out, std::string_view s) {  // int16 length, then the bytes
  out.push_back(static_cast<std::uint8_t>(s.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}
void add_compact_str(base::byte_buffer& out, std::string_view s) {  // short strings only
  out.push_back(static_cast<std::uint8_t>(s.size() + 1));
  out.insert(out.end(), s.begin(), s.end());
}
void add_be(base::byte_buffer& out, std::uint64_t v, int width) {
  for (int i = width - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// Every proper prefix of a valid record must be rejected, without reading past it: the prefix is
// copied into its own allocation so that ASan sees any over-read.
template <typename Decode>
void expect_every_truncation_rejected(const base::byte_buffer& whole, Decode decode) {
  for (std::size_t n = 0; n < whole.size(); ++n) {
    const base::byte_buffer prefix(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_FALSE(decode(prefix)) << "prefix of " << n << " bytes decoded";
  }
  base::byte_buffer longer = whole;
  longer.push_back(0);
  EXPECT_FALSE(decode(longer)) << "a trailing byte was accepted";
}

// ---- keys -----------------------------------------------------------------------------------

TEST(offsets_records, offset_key_is_written_in_version_1_as_kafka_does) {
  const auto golden = bytes({0x00, 0x01, 0x00, 0x01, 'g', 0x00, 0x01, 't', 0x00, 0x00, 0x00, 0x03});
  EXPECT_EQ(encode_key(offset_key{"g", "t", 3}), golden);
  const auto k = decode_key(golden);
  ASSERT_TRUE(k);
  EXPECT_EQ(std::get<offset_key>(*k), (offset_key{"g", "t", 3}));
}

TEST(offsets_records, offset_key_version_0_reads_like_version_1) {
  base::byte_buffer v0 = bytes({0x00, 0x00});
  add_str(v0, "group-a");
  add_str(v0, "orders");
  add_be(v0, 0x7fffffff, 4);
  const auto k = decode_key(v0);
  ASSERT_TRUE(k);
  EXPECT_EQ(std::get<offset_key>(*k), (offset_key{"group-a", "orders", 0x7fffffff}));
}

TEST(offsets_records, group_key_is_version_2) {
  const auto golden = bytes({0x00, 0x02, 0x00, 0x01, 'g'});
  EXPECT_EQ(encode_key(group_key{"g"}), golden);
  const auto k = decode_key(golden);
  ASSERT_TRUE(k);
  EXPECT_EQ(std::get<group_key>(*k), group_key{"g"});
}

TEST(offsets_records, keys_round_trip_including_non_ascii_and_empty_names) {
  for (const offset_key& k : {offset_key{"", "", 0}, offset_key{"grüppe", "日本", -1},
                              offset_key{std::string(300, 'x'), "t", 1 << 30}}) {
    const auto d = decode_key(encode_key(k));
    ASSERT_TRUE(d);
    EXPECT_EQ(std::get<offset_key>(*d), k);
  }
  for (const group_key& k : {group_key{""}, group_key{"emoji-😀"}}) {
    const auto d = decode_key(encode_key(k));
    ASSERT_TRUE(d);
    EXPECT_EQ(std::get<group_key>(*d), k);
  }
}

TEST(offsets_records, keys_of_other_record_types_and_unknown_versions_are_not_ours) {
  // KIP-848 consumer-group records use key versions 3 and up; a transaction marker's key is
  // version 0 with a 2-byte type, which does not parse as an offset key.
  for (int version : {3, 4, 5, 11, 0x7fff, -1, -32768}) {
    base::byte_buffer k;
    add_be(k, static_cast<std::uint16_t>(version), 2);
    add_str(k, "g");
    EXPECT_FALSE(decode_key(k)) << version;
  }
  EXPECT_FALSE(decode_key(bytes({0x00, 0x00, 0x00, 0x01})));  // control record key: abort/commit
  EXPECT_FALSE(decode_key(bytes({})));
  EXPECT_FALSE(decode_key(bytes({0x00})));
}

TEST(offsets_records, truncated_or_malformed_keys_are_rejected) {
  expect_every_truncation_rejected(encode_key(offset_key{"group", "topic", 7}),
                                   [](base::byte_span b) { return decode_key(b).has_value(); });
  expect_every_truncation_rejected(encode_key(group_key{"group"}),
                                   [](base::byte_span b) { return decode_key(b).has_value(); });
  // A null group (length -1) and a negative length other than -1.
  EXPECT_FALSE(decode_key(bytes({0x00, 0x02, 0xff, 0xff})));
  EXPECT_FALSE(decode_key(bytes({0x00, 0x02, 0xff, 0xfe, 'g'})));
  // A length past the end.
  EXPECT_FALSE(decode_key(bytes({0x00, 0x01, 0x7f, 0xff, 'g'})));
}

// ---- offset values ----------------------------------------------------------------------------

TEST(offsets_records, offset_value_is_written_in_version_3) {
  base::byte_buffer golden = bytes({0x00, 0x03});
  add_be(golden, 100, 8);            // offset
  add_be(golden, 5, 4);              // leader epoch
  add_str(golden, "m");              // metadata
  add_be(golden, 1000, 8);           // commit timestamp
  const offset_value v{100, 5, "m", 1000, -1};
  EXPECT_EQ(encode_value(v), golden);
  EXPECT_EQ(decode_offset_value(golden), v);
}

TEST(offsets_records, offset_value_with_an_expiry_is_written_in_version_1_without_leader_epoch) {
  base::byte_buffer golden = bytes({0x00, 0x01});
  add_be(golden, 100, 8);
  add_str(golden, "");
  add_be(golden, 1000, 8);
  add_be(golden, 2000, 8);  // expire timestamp
  EXPECT_EQ(encode_value(offset_value{100, 9, "", 1000, 2000}), golden);
  EXPECT_EQ(decode_offset_value(golden), (offset_value{100, -1, "", 1000, 2000}));
}

TEST(offsets_records, offset_value_versions_0_2_and_4_decode) {
  base::byte_buffer v0 = bytes({0x00, 0x00});
  add_be(v0, 42, 8);
  add_str(v0, "meta");
  add_be(v0, 77, 8);
  EXPECT_EQ(decode_offset_value(v0), (offset_value{42, -1, "meta", 77, -1}));

  base::byte_buffer v2 = v0;
  v2[1] = 0x02;  // version 2 has version 0's fields
  EXPECT_EQ(decode_offset_value(v2), (offset_value{42, -1, "meta", 77, -1}));

  base::byte_buffer v4 = bytes({0x00, 0x04});
  add_be(v4, 42, 8);
  add_be(v4, 3, 4);
  add_compact_str(v4, "meta");
  add_be(v4, 77, 8);
  v4.push_back(0x00);  // no tagged fields
  EXPECT_EQ(decode_offset_value(v4), (offset_value{42, 3, "meta", 77, -1}));

  // Version 4 with an unknown tagged field (tag 0, 16 bytes: a later Kafka's topic id).
  base::byte_buffer tagged(v4.begin(), v4.end() - 1);
  add(tagged, bytes({0x01, 0x00, 0x10}));
  add(tagged, base::byte_buffer(16, 0xab));
  EXPECT_EQ(decode_offset_value(tagged), (offset_value{42, 3, "meta", 77, -1}));
}

TEST(offsets_records, offset_value_round_trips_in_every_version) {
  protocol::offset_commit_value m;
  m.offset = 1234567890123;
  m.metadata = "some metadata";
  m.commit_timestamp = 1'700'000'000'000;
  for (std::int16_t version = 0; version <= 4; ++version) {
    m.leader_epoch = version >= 3 ? 17 : -1;
    m.expire_timestamp = version == 1 ? 1'700'000'600'000 : -1;
    base::byte_buffer encoded;
    protocol::writer w(encoded);
    w.write_int16(version);
    m.encode(w, version);
    const auto d = decode_offset_value(encoded);
    ASSERT_TRUE(d) << version;
    const offset_value expected{m.offset, m.leader_epoch, m.metadata, m.commit_timestamp,
                                m.expire_timestamp};
    EXPECT_EQ(*d, expected) << version;
    EXPECT_EQ(decode_offset_value(encode_value(*d)), expected) << version;
    expect_every_truncation_rejected(encoded, [](base::byte_span b) {
      return decode_offset_value(b).has_value();
    });
  }
}

TEST(offsets_records, offset_values_of_unknown_versions_or_malformed_are_rejected) {
  auto v = encode_value(offset_value{1, 2, "m", 3, -1});
  for (int version : {5, 6, 0x7fff, -1}) {
    v[0] = static_cast<std::uint8_t>(version >> 8);
    v[1] = static_cast<std::uint8_t>(version);
    EXPECT_FALSE(decode_offset_value(v)) << version;
  }
  // A null metadata string is not allowed.
  base::byte_buffer null_meta = bytes({0x00, 0x00});
  add_be(null_meta, 1, 8);
  add(null_meta, bytes({0xff, 0xff}));
  add_be(null_meta, 1, 8);
  EXPECT_FALSE(decode_offset_value(null_meta));
}

// ---- group values -----------------------------------------------------------------------------

group_value sample_group() {
  group_value g;
  g.protocol_type = "consumer";
  g.generation = 1;
  g.protocol = "range";
  g.leader = "m1";
  g.current_state_timestamp = 5000;
  g.members.push_back(member_value{"m1", std::nullopt, "c", "/h", 300000, 10000, {1, 2}, {}});
  return g;
}

TEST(offsets_records, group_value_is_written_in_version_3) {
  base::byte_buffer golden = bytes({0x00, 0x03});
  add_str(golden, "consumer");
  add_be(golden, 1, 4);              // generation
  add_str(golden, "range");          // protocol
  add_str(golden, "m1");             // leader
  add_be(golden, 5000, 8);           // current state timestamp
  add_be(golden, 1, 4);              // one member
  add_str(golden, "m1");             // member id
  add(golden, bytes({0xff, 0xff}));  // group instance id: null
  add_str(golden, "c");              // client id
  add_str(golden, "/h");             // client host
  add_be(golden, 300000, 4);         // rebalance timeout
  add_be(golden, 10000, 4);          // session timeout
  add(golden, bytes({0x00, 0x00, 0x00, 0x02, 0x01, 0x02}));  // subscription
  add(golden, bytes({0x00, 0x00, 0x00, 0x00}));              // assignment
  EXPECT_EQ(encode_value(sample_group()), golden);
  EXPECT_EQ(decode_group_value(golden), sample_group());
}

TEST(offsets_records, an_empty_group_has_null_protocol_and_leader) {
  base::byte_buffer golden = bytes({0x00, 0x03});
  add_str(golden, "");
  add_be(golden, 5, 4);
  add(golden, bytes({0xff, 0xff, 0xff, 0xff}));  // protocol, leader: null
  add_be(golden, static_cast<std::uint64_t>(-1), 8);
  add_be(golden, 0, 4);
  group_value empty;
  empty.generation = 5;
  EXPECT_EQ(encode_value(empty), golden);
  EXPECT_EQ(decode_group_value(golden), empty);
}

TEST(offsets_records, group_value_version_0_lacks_timestamps_instance_ids_and_rebalance_timeout) {
  base::byte_buffer v0 = bytes({0x00, 0x00});
  add_str(v0, "consumer");
  add_be(v0, 2, 4);
  add_str(v0, "range");
  add_str(v0, "m1");
  add_be(v0, 1, 4);
  add_str(v0, "m1");
  add_str(v0, "c");
  add_str(v0, "/h");
  add_be(v0, 10000, 4);
  add(v0, bytes({0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x09}));
  group_value expected;
  expected.protocol_type = "consumer";
  expected.generation = 2;
  expected.protocol = "range";
  expected.leader = "m1";
  expected.members.push_back(member_value{"m1", std::nullopt, "c", "/h", 0, 10000, {}, {9}});
  EXPECT_EQ(decode_group_value(v0), expected);
}

TEST(offsets_records, group_value_version_4_is_flexible) {
  base::byte_buffer v4 = bytes({0x00, 0x04});
  add_compact_str(v4, "consumer");
  add_be(v4, 1, 4);
  add_compact_str(v4, "range");
  v4.push_back(0x00);  // leader: null
  add_be(v4, 5000, 8);
  v4.push_back(0x02);  // compact array of one member
  add_compact_str(v4, "m1");
  add_compact_str(v4, "static-1");
  add_compact_str(v4, "c");
  add_compact_str(v4, "/h");
  add_be(v4, 300000, 4);
  add_be(v4, 10000, 4);
  add(v4, bytes({0x03, 0x01, 0x02}));  // compact bytes
  add(v4, bytes({0x01}));              // empty compact bytes
  v4.push_back(0x00);                  // member's tagged fields
  v4.push_back(0x00);                  // value's tagged fields
  group_value expected = sample_group();
  expected.leader = std::nullopt;
  expected.members[0].group_instance_id = "static-1";
  EXPECT_EQ(decode_group_value(v4), expected);
}

TEST(offsets_records, group_value_round_trips_in_every_version) {
  const group_value g = [] {
    group_value g = sample_group();
    g.members.push_back(member_value{"m2", "instance-2", "c2", "/10.0.0.2", 60000, 45000,
                                     base::byte_buffer(100, 7), base::byte_buffer(50, 8)});
    return g;
  }();
  for (std::int16_t version = 0; version <= 4; ++version) {
    protocol::group_metadata_value m;
    m.protocol_type = g.protocol_type;
    m.generation = g.generation;
    m.protocol = g.protocol;
    m.leader = g.leader;
    if (version >= 2) m.current_state_timestamp = g.current_state_timestamp;
    group_value expected = g;
    if (version < 2) expected.current_state_timestamp = -1;
    for (auto& mv : expected.members) {
      if (version < 3) mv.group_instance_id.reset();
      if (version < 1) mv.rebalance_timeout_ms = 0;
      auto& out = m.members.emplace_back();
      out.member_id = mv.member_id;
      out.group_instance_id = mv.group_instance_id;
      out.client_id = mv.client_id;
      out.client_host = mv.client_host;
      out.rebalance_timeout = mv.rebalance_timeout_ms;
      out.session_timeout = mv.session_timeout_ms;
      out.subscription = mv.subscription;
      out.assignment = mv.assignment;
    }
    base::byte_buffer encoded;
    protocol::writer w(encoded);
    w.write_int16(version);
    m.encode(w, version);
    const auto d = decode_group_value(encoded);
    ASSERT_TRUE(d) << version;
    EXPECT_EQ(*d, expected) << version;
    EXPECT_EQ(decode_group_value(encode_value(*d)), expected) << version;
    expect_every_truncation_rejected(encoded, [](base::byte_span b) {
      return decode_group_value(b).has_value();
    });
  }
}

TEST(offsets_records, group_values_of_unknown_versions_or_malformed_are_rejected) {
  auto v = encode_value(sample_group());
  for (int version : {5, 0x7fff, -1}) {
    v[0] = static_cast<std::uint8_t>(version >> 8);
    v[1] = static_cast<std::uint8_t>(version);
    EXPECT_FALSE(decode_group_value(v)) << version;
  }
  // A member count far beyond the input must not allocate or read past the end.
  base::byte_buffer huge = bytes({0x00, 0x03});
  add_str(huge, "consumer");
  add_be(huge, 1, 4);
  add(huge, bytes({0xff, 0xff, 0xff, 0xff}));
  add_be(huge, 0, 8);
  add_be(huge, 0x7fffffff, 4);
  EXPECT_FALSE(decode_group_value(huge));
}

// Whatever decodes, from any input, re-encodes to a record that decodes to the same value.
TEST(offsets_records, random_bytes_never_crash_the_decoders_and_what_decodes_round_trips) {
  std::mt19937 rng(12345);
  int decoded = 0;
  const auto seeds = {encode_key(offset_key{"g", "t", 1}), encode_key(group_key{"g"}),
                      encode_value(offset_value{1, 2, "m", 3, -1}), encode_value(sample_group())};
  for (int i = 0; i < 20000; ++i) {
    base::byte_buffer b;
    if (i % 2 == 0) {
      b.resize(rng() % 64);
      for (auto& x : b) x = static_cast<std::uint8_t>(rng());
      if (b.size() >= 2 && i % 4 == 0) b[0] = 0, b[1] = static_cast<std::uint8_t>(rng() % 6);
    } else {  // a valid record with a few bytes flipped
      b = *(seeds.begin() + (i / 2) % seeds.size());
      for (int f = 0; f < 3; ++f) b[rng() % b.size()] = static_cast<std::uint8_t>(rng());
    }
    if (const auto key = decode_key(b)) {
      ++decoded;
      const auto again = decode_key(std::visit([](const auto& k) { return encode_key(k); }, *key));
      EXPECT_EQ(again, key) << "input " << i;
    }
    if (const auto offset = decode_offset_value(b)) {
      ++decoded;
      EXPECT_EQ(decode_offset_value(encode_value(*offset)), offset) << "input " << i;
    }
    if (const auto group = decode_group_value(b)) {
      ++decoded;
      EXPECT_EQ(decode_group_value(encode_value(*group)), group) << "input " << i;
    }
  }
  EXPECT_GT(decoded, 1000);  // the flipped valid records often still decode: the round trip is exercised
}

// ---- placement ---------------------------------------------------------------------------------

// Expected values computed with Java 17: new String(bytes, UTF_8).hashCode() and
// (h == Integer.MIN_VALUE ? 0 : Math.abs(h)) % n; cross-checked in Python over UTF-16 code units.
TEST(offsets_records, java_string_hash_matches_java_on_ascii_and_non_ascii) {
  EXPECT_EQ(protocol::java_string_hash(""), 0);
  EXPECT_EQ(protocol::java_string_hash("g"), 103);
  EXPECT_EQ(protocol::java_string_hash("console-consumer-12345"), 158455506);
  EXPECT_EQ(protocol::java_string_hash("my-group"), -1906497762);
  EXPECT_EQ(protocol::java_string_hash("grüppe"), -1233264812);                // 2-byte UTF-8
  EXPECT_EQ(protocol::java_string_hash("日本語グループ"), -305235731);           // 3-byte UTF-8
  EXPECT_EQ(protocol::java_string_hash("emoji-😀-group"), -1581567172);        // surrogate pair
  EXPECT_EQ(protocol::java_string_hash("polygenelubricants"), INT32_MIN);
}

TEST(offsets_records, java_string_hash_replaces_malformed_utf8_as_java_does) {
  // Each input's hash is Java's for new String(input, UTF_8).
  const std::pair<std::string, std::int32_t> cases[] = {
      {"\xff", 65533},                   // not a lead byte
      {"a\x80" "b", 2124838},             // stray continuation
      {"\xc3", 65533},                   // truncated 2-byte sequence
      {"\xc3" "a", 2031620},             // lead without its continuation: the 'a' stays
      {"\xc0\xaf", 2097056},             // overlong: two replacements
      {"\xed\xa0\x80" "x", 2031643},     // an encoded surrogate: one replacement
      {"\xe2\x82", 65533},               // truncated 3-byte sequence at the end
      {"\xe2\x82" "a", 2031620},         // truncated 3-byte sequence before 'a'
      {"\xf0\x9f\x98", 65533},           // truncated 4-byte sequence at the end
      {"\xf0\x9f\x98" "a", 2031620},     // truncated 4-byte sequence before 'a'
      {"\xf4\x90\x80\x80", 2017367872},  // above U+10FFFF
      {"\xf8\x88\x80\x80\x80", -1886039875},
  };
  for (const auto& [input, expected] : cases) EXPECT_EQ(protocol::java_string_hash(input), expected);
}

TEST(offsets_records, partition_for_group_is_kafkas_placement) {
  EXPECT_EQ(partition_for_group("g", 50), 3);
  EXPECT_EQ(partition_for_group("console-consumer-12345", 50), 6);
  // Negative hash codes: Utils.abs takes the magnitude (-1906497762 -> 1906497762 % 50 = 12),
  // which is not what masking the sign bit would give (36).
  EXPECT_EQ(partition_for_group("my-group", 50), 12);
  EXPECT_EQ(partition_for_group("my-group", 7), 1);
  EXPECT_EQ(partition_for_group("grüppe", 50), 12);
  EXPECT_EQ(partition_for_group("日本語グループ", 50), 31);
  EXPECT_EQ(partition_for_group("emoji-😀-group", 50), 22);
  // hashCode == Integer.MIN_VALUE: Utils.abs gives 0.
  EXPECT_EQ(partition_for_group("polygenelubricants", 50), 0);
  EXPECT_EQ(partition_for_group("polygenelubricants", 7), 0);
  EXPECT_EQ(partition_for_group("", 50), 0);
  EXPECT_EQ(partition_for_group("anything", 1), 0);
}

}  // namespace
}  // namespace spate::group
