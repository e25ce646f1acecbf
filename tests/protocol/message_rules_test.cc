// Schema rules that the random round trips cannot show on their own: Kafka's ignorable rule,
// nullability per version, tagged fields (known and unknown), header versions, the API table and
// error codes.
#include <gtest/gtest.h>

#include "protocol/api_key.h"
#include "protocol/error_code.h"
#include "protocol/messages/api_versions.h"
#include "protocol/messages/fetch.h"
#include "protocol/messages/find_coordinator.h"
#include "protocol/messages/metadata.h"
#include "protocol/messages/request_header.h"
#include "protocol/messages/response_header.h"
#include "protocol/wire.h"

namespace spate::protocol {
namespace {

template <typename T>
base::byte_buffer encode(const T& msg, std::int16_t version) {
  base::byte_buffer out;
  writer w(out);
  msg.encode(w, version);
  EXPECT_EQ(out.size(), msg.size(version));
  return out;
}

template <typename T>
T decode(const base::byte_buffer& in, std::int16_t version) {
  reader r(in);
  T msg;
  msg.decode(r, version);
  EXPECT_TRUE(r.empty());
  return msg;
}

TEST(ignorable, a_non_ignorable_field_with_a_non_default_value_cannot_be_dropped) {
  metadata_request req;
  req.allow_auto_topic_creation = false;  // v4+, not ignorable
  EXPECT_THROW(encode(req, 3), encode_error);
  EXPECT_NO_THROW(encode(req, 4));
  req.allow_auto_topic_creation = true;  // the default may be dropped silently
  EXPECT_NO_THROW(encode(req, 3));
}

TEST(ignorable, an_ignorable_field_is_dropped_silently_in_older_versions) {
  metadata_response resp;
  resp.throttle_time_ms = 100;  // v3+, ignorable
  const auto v0 = encode(resp, 0);
  EXPECT_EQ(decode<metadata_response>(v0, 0).throttle_time_ms, 0);
  EXPECT_EQ(decode<metadata_response>(encode(resp, 3), 3).throttle_time_ms, 100);
}

TEST(nullable, null_is_rejected_in_versions_that_do_not_allow_it) {
  metadata_request req;
  req.topics.reset();  // null = all topics, v1+
  EXPECT_THROW(encode(req, 0), encode_error);
  const auto v1 = encode(req, 1);
  EXPECT_EQ(v1, (base::byte_buffer{0xff, 0xff, 0xff, 0xff}));
  EXPECT_FALSE(decode<metadata_request>(v1, 1).topics.has_value());
  EXPECT_THROW(decode<metadata_request>(v1, 0), decode_error);
}

TEST(versions, unsupported_versions_are_rejected_both_ways) {
  metadata_request req;
  EXPECT_THROW(encode(req, 13), encode_error);
  EXPECT_THROW(encode(req, -1), encode_error);
  const base::byte_buffer empty;
  reader r(empty);
  EXPECT_THROW(req.decode(r, 13), decode_error);
}

TEST(tagged_fields, known_tagged_fields_are_written_only_when_not_default) {
  fetch_request req;
  const auto without = encode(req, 12);
  req.cluster_id = "c1";
  const auto with = encode(req, 12);
  // Tag section grows by: tag 0, size 3, compact string "c1".
  EXPECT_EQ(with.size(), without.size() + 5);
  EXPECT_EQ(decode<fetch_request>(with, 12).cluster_id, "c1");
  // The field is ignorable and absent before v12: silently dropped.
  EXPECT_NO_THROW(encode(req, 11));
}

TEST(tagged_fields, unknown_tags_survive_a_round_trip_merged_in_tag_order) {
  fetch_request req;
  req.cluster_id = "c1";  // known tag 0
  req.unknown_tagged_fields = {{40, {0x01, 0x02}}, {1, {0x09}}};  // tag 1 is unknown before v15
  req.topics.emplace_back().topic = "t";
  req.topics[0].unknown_tagged_fields = {{7, {}}};
  const auto bytes = encode(req, 12);
  const auto back = decode<fetch_request>(bytes, 12);
  EXPECT_EQ(back.cluster_id, "c1");
  ASSERT_EQ(back.unknown_tagged_fields.size(), 2u);
  EXPECT_EQ(back.unknown_tagged_fields[0], (tagged_field{1, {0x09}}));
  EXPECT_EQ(back.unknown_tagged_fields[1], (tagged_field{40, {0x01, 0x02}}));
  EXPECT_EQ(back.topics[0].unknown_tagged_fields, req.topics[0].unknown_tagged_fields);
  EXPECT_EQ(encode(back, 12), bytes);
  // The message tail is the top-level tag section: 3 fields, tags 0, 1, 40 in order.
  const base::byte_buffer tail = {3, 0, 3, 3, 'c', '1', 1, 1, 0x09, 40, 2, 0x01, 0x02};
  ASSERT_GE(bytes.size(), tail.size());
  EXPECT_TRUE(std::equal(tail.begin(), tail.end(), bytes.end() - static_cast<long>(tail.size())));
}

TEST(tagged_fields, are_refused_in_non_flexible_versions) {
  metadata_request req;
  req.unknown_tagged_fields = {{3, {}}};
  EXPECT_THROW(encode(req, 8), encode_error);
  EXPECT_NO_THROW(encode(req, 9));
}

TEST(tagged_fields, a_known_tag_with_a_malformed_value_is_a_decode_error) {
  // ApiVersionsResponse v3, no api keys, throttle 0, tag 1 (FinalizedFeaturesEpoch, int64) with
  // only 2 value bytes.
  const base::byte_buffer in = {0, 0, 1, 0, 0, 0, 0, 1, 1, 2, 0, 0};
  reader r(in);
  api_versions_response resp;
  EXPECT_THROW(resp.decode(r, 3), decode_error);
}

TEST(reserved_names, a_field_named_like_a_generated_member_gets_a_suffix) {
  find_coordinator_request req;
  req.key_value = "group-1";
  static_assert(find_coordinator_request::key == api_key::find_coordinator);
  EXPECT_EQ(decode<find_coordinator_request>(encode(req, 0), 0).key_value, "group-1");
}

TEST(headers, request_header_v2_keeps_a_classic_client_id_string) {
  request_header h;
  h.request_api_key = 3;
  h.request_api_version = 12;
  h.correlation_id = 7;
  h.client_id = "spate";
  const auto v2 = encode(h, 2);
  EXPECT_EQ(v2, (base::byte_buffer{0, 3, 0, 12, 0, 0, 0, 7, 0, 5, 's', 'p', 'a', 't', 'e', 0}));
  h.client_id.reset();
  EXPECT_EQ(encode(h, 1), (base::byte_buffer{0, 3, 0, 12, 0, 0, 0, 7, 0xff, 0xff}));
  EXPECT_EQ(decode<request_header>(encode(h, 2), 2), h);
}

TEST(headers, header_versions_follow_kafka_rules) {
  EXPECT_EQ(request_header_version(api_key::metadata, 8), 1);
  EXPECT_EQ(request_header_version(api_key::metadata, 9), 2);
  EXPECT_EQ(response_header_version(api_key::metadata, 8), 0);
  EXPECT_EQ(response_header_version(api_key::metadata, 9), 1);
  EXPECT_EQ(request_header_version(api_key::api_versions, 3), 2);
  EXPECT_EQ(response_header_version(api_key::api_versions, 3), 0);  // always v0
  EXPECT_EQ(request_header_version(api_key::sasl_handshake, 1), 1);  // never flexible
  EXPECT_EQ(request_header_version(static_cast<api_key>(7), 0), 0);  // ControlledShutdown v0
  EXPECT_EQ(request_header_version(static_cast<api_key>(9999), 0), -1);
  response_header h;
  h.correlation_id = 9;
  EXPECT_EQ(encode(h, 0), (base::byte_buffer{0, 0, 0, 9}));
  EXPECT_EQ(encode(h, 1), (base::byte_buffer{0, 0, 0, 9, 0}));
}

TEST(api_table, lists_every_api_once_with_its_struct_versions) {
  EXPECT_EQ(api_table.size(), 46u);
  for (std::size_t i = 1; i < api_table.size(); ++i) {
    EXPECT_LT(api_table[i - 1].key, api_table[i].key);
  }
  const api_info* md = find_api(api_key::metadata);
  ASSERT_NE(md, nullptr);
  EXPECT_EQ(md->name, "Metadata");
  EXPECT_EQ(md->min_version, metadata_request::min_version);
  EXPECT_EQ(md->max_version, metadata_request::max_version);
  EXPECT_EQ(md->first_flexible_version, 9);
  EXPECT_EQ(api_name(api_key::produce), "Produce");
  EXPECT_EQ(api_name(static_cast<api_key>(9999)), "unknown");
  EXPECT_EQ(static_cast<int>(api_key::consumer_group_describe), 69);
  EXPECT_EQ(find_api(api_key::sasl_handshake)->first_flexible_version, -1);
}

TEST(error_codes, carry_kafka_numbers_names_and_retriability) {
  EXPECT_EQ(static_cast<int>(error_code::none), 0);
  EXPECT_EQ(static_cast<int>(error_code::unknown_server_error), -1);
  EXPECT_EQ(static_cast<int>(error_code::unknown_topic_or_partition), 3);
  EXPECT_EQ(static_cast<int>(error_code::not_coordinator), 16);
  EXPECT_TRUE(is_retriable(error_code::unknown_topic_or_partition));
  EXPECT_TRUE(is_retriable(error_code::not_leader_or_follower));
  EXPECT_FALSE(is_retriable(error_code::offset_out_of_range));
  EXPECT_FALSE(is_retriable(error_code::none));
  EXPECT_EQ(error_name(error_code::unknown_topic_or_partition), "UNKNOWN_TOPIC_OR_PARTITION");
  EXPECT_EQ(error_name(static_cast<error_code>(30000)), "UNKNOWN");
}

}  // namespace
}  // namespace spate::protocol
