// Byte-exact conformance against encodings from independent implementations: kafka-python for
// non-flexible versions and hand-assembled bytes for flexible ones (make_golden.py writes data/).
// Each file decodes to the values make_golden.py put in, and re-encodes to the same bytes.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "protocol/messages/api_versions.h"
#include "protocol/messages/create_topics.h"
#include "protocol/messages/fetch.h"
#include "protocol/messages/heartbeat.h"
#include "protocol/messages/join_group.h"
#include "protocol/messages/list_offsets.h"
#include "protocol/messages/metadata.h"
#include "protocol/messages/offset_commit.h"
#include "protocol/messages/produce.h"
#include "protocol/messages/request_header.h"
#include "protocol/messages/sync_group.h"
#include "protocol/wire.h"

namespace spate::protocol {
namespace {

base::byte_buffer load_hex(const std::string& name) {
  std::ifstream in(std::string(SPATE_TEST_DATA_DIR) + "/" + name + ".hex");
  EXPECT_TRUE(in.good()) << "missing golden file " << name;
  std::string hex;
  in >> hex;
  base::byte_buffer out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// Decodes golden file `name` as T at `version`, checking that every byte is consumed, that size()
// matches and that re-encoding reproduces the file exactly.
template <typename T>
T golden(const std::string& name, std::int16_t version) {
  const auto bytes = load_hex(name);
  reader r(bytes);
  T msg;
  msg.decode(r, version);
  EXPECT_TRUE(r.empty()) << name;
  EXPECT_EQ(msg.size(version), bytes.size()) << name;
  base::byte_buffer again;
  writer w(again);
  msg.encode(w, version);
  EXPECT_EQ(again, bytes) << name;
  return msg;
}

base::byte_buffer b(std::initializer_list<int> v) {
  base::byte_buffer out;
  for (int x : v) out.push_back(static_cast<std::uint8_t>(x));
  return out;
}

TEST(golden, request_header_v1) {
  const auto h = golden<request_header>("request_header_v1", 1);
  EXPECT_EQ(h.request_api_key, 3);
  EXPECT_EQ(h.request_api_version, 1);
  EXPECT_EQ(h.correlation_id, 42);
  EXPECT_EQ(h.client_id, "spate-test");
}

TEST(golden, request_header_v2_hand_assembled) {
  const auto h = golden<request_header>("request_header_v2", 2);
  EXPECT_EQ(h.request_api_key, 3);
  EXPECT_EQ(h.request_api_version, 12);
  EXPECT_EQ(h.correlation_id, 7);
  EXPECT_EQ(h.client_id, "spate");
}

TEST(golden, metadata_request_v1) {
  const auto m = golden<metadata_request>("metadata_request_v1", 1);
  ASSERT_TRUE(m.topics.has_value());
  ASSERT_EQ(m.topics->size(), 2u);
  EXPECT_EQ((*m.topics)[0].name, "orders");
  EXPECT_EQ((*m.topics)[1].name, "payments");
}

TEST(golden, metadata_request_v4_null_topics_means_all) {
  const auto m = golden<metadata_request>("metadata_request_v4_all", 4);
  EXPECT_FALSE(m.topics.has_value());
  EXPECT_FALSE(m.allow_auto_topic_creation);
}

TEST(golden, metadata_request_v12_hand_assembled) {
  const auto m = golden<metadata_request>("metadata_request_v12", 12);
  ASSERT_TRUE(m.topics.has_value());
  ASSERT_EQ(m.topics->size(), 1u);
  const auto& t = (*m.topics)[0];
  EXPECT_FALSE(t.name.has_value());
  EXPECT_EQ(t.topic_id.value[0], 1);
  EXPECT_EQ(t.topic_id.value[15], 16);
  EXPECT_TRUE(m.allow_auto_topic_creation);
  EXPECT_FALSE(m.include_topic_authorized_operations);
}

TEST(golden, metadata_response_v5) {
  const auto m = golden<metadata_response>("metadata_response_v5", 5);
  EXPECT_EQ(m.throttle_time_ms, 7);
  ASSERT_EQ(m.brokers.size(), 2u);
  EXPECT_EQ(m.brokers[0].node_id, 1);
  EXPECT_EQ(m.brokers[0].host, "broker-1");
  EXPECT_EQ(m.brokers[0].port, 9092);
  EXPECT_EQ(m.brokers[0].rack, "rack-a");
  EXPECT_FALSE(m.brokers[1].rack.has_value());
  EXPECT_EQ(m.cluster_id, "cluster-x");
  EXPECT_EQ(m.controller_id, 1);
  ASSERT_EQ(m.topics.size(), 1u);
  EXPECT_EQ(m.topics[0].name, "orders");
  EXPECT_FALSE(m.topics[0].is_internal);
  ASSERT_EQ(m.topics[0].partitions.size(), 2u);
  const auto& p = m.topics[0].partitions[1];
  EXPECT_EQ(p.error_code, 9);
  EXPECT_EQ(p.partition_index, 1);
  EXPECT_EQ(p.leader_id, 2);
  EXPECT_EQ(p.replica_nodes, (std::vector<std::int32_t>{2, 1}));
  EXPECT_EQ(p.isr_nodes, (std::vector<std::int32_t>{2, 1}));
  EXPECT_EQ(p.offline_replicas, (std::vector<std::int32_t>{1}));
}

TEST(golden, api_versions_v0_and_v1) {
  golden<api_versions_request>("api_versions_request_v0", 0);
  const auto r = golden<api_versions_response>("api_versions_response_v1", 1);
  EXPECT_EQ(r.error_code, 0);
  ASSERT_EQ(r.api_keys.size(), 2u);
  EXPECT_EQ(r.api_keys[1].api_key, 18);
  EXPECT_EQ(r.api_keys[1].min_version, 0);
  EXPECT_EQ(r.api_keys[1].max_version, 3);
}

TEST(golden, api_versions_v3_hand_assembled_with_tagged_fields) {
  const auto req = golden<api_versions_request>("api_versions_request_v3", 3);
  EXPECT_EQ(req.client_software_name, "spate-cli");
  EXPECT_EQ(req.client_software_version, "0.1.0");
  const auto r = golden<api_versions_response>("api_versions_response_v3", 3);
  ASSERT_EQ(r.api_keys.size(), 2u);
  EXPECT_EQ(r.api_keys[1].api_key, 3);
  EXPECT_EQ(r.api_keys[1].max_version, 12);
  EXPECT_EQ(r.finalized_features_epoch, 5);
  ASSERT_EQ(r.unknown_tagged_fields.size(), 1u);
  EXPECT_EQ(r.unknown_tagged_fields[0], (tagged_field{7, b({0xfe, 0xed})}));
}

TEST(golden, produce_v3_and_v5) {
  const auto req = golden<produce_request>("produce_request_v3", 3);
  EXPECT_FALSE(req.transactional_id.has_value());
  EXPECT_EQ(req.acks, -1);
  EXPECT_EQ(req.timeout_ms, 30000);
  ASSERT_EQ(req.topic_data.size(), 1u);
  EXPECT_EQ(req.topic_data[0].name, "orders");
  ASSERT_EQ(req.topic_data[0].partition_data.size(), 2u);
  EXPECT_EQ(req.topic_data[0].partition_data[0].records, b({1, 2, 3, 4}));
  EXPECT_EQ(req.topic_data[0].partition_data[1].index, 3);
  EXPECT_EQ(req.topic_data[0].partition_data[1].records, records{});
  const auto resp = golden<produce_response>("produce_response_v5", 5);
  EXPECT_EQ(resp.throttle_time_ms, 3);
  const auto& p = resp.responses[0].partition_responses[1];
  EXPECT_EQ(p.index, 3);
  EXPECT_EQ(p.error_code, 6);
  EXPECT_EQ(p.base_offset, -1);
  EXPECT_EQ(p.log_append_time_ms, 1700000000000);
  EXPECT_EQ(p.log_start_offset, 0);
}

TEST(golden, fetch_v4) {
  const auto req = golden<fetch_request>("fetch_request_v4", 4);
  EXPECT_EQ(req.replica_id, -1);
  EXPECT_EQ(req.max_wait_ms, 500);
  EXPECT_EQ(req.max_bytes, 52428800);
  EXPECT_EQ(req.isolation_level, 1);
  EXPECT_EQ(req.topics[0].topic, "orders");
  EXPECT_EQ(req.topics[0].partitions[0].fetch_offset, 12345);
  EXPECT_EQ(req.topics[0].partitions[1].partition_max_bytes, 65536);
  const auto resp = golden<fetch_response>("fetch_response_v4", 4);
  const auto& p0 = resp.responses[0].partitions[0];
  EXPECT_EQ(p0.high_watermark, 200);
  EXPECT_EQ(p0.last_stable_offset, 150);
  ASSERT_TRUE(p0.aborted_transactions.has_value());
  EXPECT_EQ((*p0.aborted_transactions)[0].producer_id, 77);
  EXPECT_EQ((*p0.aborted_transactions)[0].first_offset, 120);
  EXPECT_EQ(p0.records, b({0xaa, 0xbb}));
  EXPECT_FALSE(resp.responses[0].partitions[1].aborted_transactions.has_value());
}

TEST(golden, fetch_request_v12_hand_assembled_with_tagged_cluster_id) {
  const auto req = golden<fetch_request>("fetch_request_v12", 12);
  EXPECT_EQ(req.cluster_id, "c1");
  EXPECT_EQ(req.session_epoch, -1);
  ASSERT_EQ(req.topics.size(), 1u);
  EXPECT_EQ(req.topics[0].partitions[0].fetch_offset, 99);
  EXPECT_EQ(req.topics[0].partitions[0].partition_max_bytes, 4096);
  EXPECT_TRUE(req.forgotten_topics_data.empty());
}

TEST(golden, group_membership_v1_v2) {
  const auto join = golden<join_group_request>("join_group_request_v2", 2);
  EXPECT_EQ(join.group_id, "g1");
  EXPECT_EQ(join.session_timeout_ms, 10000);
  EXPECT_EQ(join.rebalance_timeout_ms, 60000);
  EXPECT_EQ(join.protocol_type, "consumer");
  ASSERT_EQ(join.protocols.size(), 2u);
  EXPECT_EQ(join.protocols[1].name, "roundrobin");
  EXPECT_EQ(join.protocols[0].metadata, b({0, 1}));
  const auto joined = golden<join_group_response>("join_group_response_v2", 2);
  EXPECT_EQ(joined.generation_id, 3);
  EXPECT_EQ(joined.protocol_name, "range");
  EXPECT_EQ(joined.leader, "m-1");
  EXPECT_EQ(joined.members[0].metadata, b({9}));
  const auto sync = golden<sync_group_request>("sync_group_request_v1", 1);
  EXPECT_EQ(sync.assignments[0].member_id, "m-1");
  EXPECT_EQ(sync.assignments[0].assignment, b({5, 6}));
  const auto hb = golden<heartbeat_request>("heartbeat_request_v1", 1);
  EXPECT_EQ(hb.generation_id, 3);
  EXPECT_EQ(hb.member_id, "m-1");
}

TEST(golden, admin_and_offsets) {
  const auto ct = golden<create_topics_request>("create_topics_request_v2", 2);
  ASSERT_EQ(ct.topics.size(), 2u);
  EXPECT_EQ(ct.topics[0].num_partitions, 3);
  EXPECT_EQ(ct.topics[0].configs[0].value, "compact");
  EXPECT_FALSE(ct.topics[0].configs[1].value.has_value());
  EXPECT_EQ(ct.topics[1].assignments[1].broker_ids, (std::vector<std::int32_t>{2, 3}));
  EXPECT_EQ(ct.timeout_ms, 5000);
  EXPECT_TRUE(ct.validate_only);
  const auto lo = golden<list_offsets_request>("list_offsets_request_v1", 1);
  EXPECT_EQ(lo.topics[0].partitions[1].timestamp, -2);
  const auto oc = golden<offset_commit_request>("offset_commit_request_v2", 2);
  EXPECT_EQ(oc.generation_id_or_member_epoch, 3);
  EXPECT_EQ(oc.retention_time_ms, -1);
  EXPECT_EQ(oc.topics[0].partitions[0].committed_offset, 42);
  EXPECT_EQ(oc.topics[0].partitions[0].committed_metadata, "meta");
}

}  // namespace
}  // namespace spate::protocol
