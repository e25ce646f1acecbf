#include <gtest/gtest.h>

#include "broker/handlers/list_offsets.h"
#include "broker/handlers/offset_for_leader_epoch.h"
#include "data_path_support.h"
#include "protocol/error_code.h"
#include "protocol/messages/offset_for_leader_epoch.h"

namespace spate::broker {
namespace {

using namespace testing;
using protocol::error_code;

std::int16_t code(error_code e) { return static_cast<std::int16_t>(e); }

constexpr std::int64_t latest = -1, earliest = -2, max_timestamp = -3, earliest_local = -4, latest_tiered = -5;
constexpr std::int64_t t0 = 1'700'000'000'000;

class list_offsets_test : public ::testing::Test {
 protected:
  list_offsets_test() {
    services.create_topic("t", 2);
    // Offsets 0-9 at t0..t0+9, 10-19 at t0+100..t0+109.
    EXPECT_EQ(produce(services, "t", 0, make_batch(10, "a", model::compression_type::none, t0)).error_code, 0);
    EXPECT_EQ(produce(services, "t", 0, make_batch(10, "b", model::compression_type::lz4, t0 + 100)).error_code, 0);
  }
  test_broker services;
};

TEST_F(list_offsets_test, earliest_and_latest) {
  EXPECT_EQ(list_offsets(services, "t", 0, earliest).offset, 0);
  EXPECT_EQ(list_offsets(services, "t", 0, earliest_local, 8).offset, 0);
  const auto end = list_offsets(services, "t", 0, latest);
  EXPECT_EQ(end.offset, 20);
  EXPECT_EQ(end.timestamp, -1);
  EXPECT_EQ(end.leader_epoch, 0);
  EXPECT_EQ(list_offsets(services, "t", 1, latest).offset, 0);
  ASSERT_TRUE(services.logs().delete_records("t", 0, 10));
  EXPECT_EQ(list_offsets(services, "t", 0, earliest).offset, 10);
}

TEST_F(list_offsets_test, by_timestamp_finds_the_first_record_at_or_after_it) {
  const auto exact = list_offsets(services, "t", 0, t0 + 5);
  EXPECT_EQ(exact.offset, 5);
  EXPECT_EQ(exact.timestamp, t0 + 5);
  EXPECT_EQ(list_offsets(services, "t", 0, t0 - 1000).offset, 0);
  const auto gap = list_offsets(services, "t", 0, t0 + 50);
  EXPECT_EQ(gap.offset, 10);
  EXPECT_EQ(gap.timestamp, t0 + 100);
  const auto none = list_offsets(services, "t", 0, t0 + 1000);
  EXPECT_EQ(none.offset, -1);
  EXPECT_EQ(none.timestamp, -1);
  EXPECT_EQ(none.leader_epoch, -1);
}

TEST_F(list_offsets_test, max_timestamp_is_the_newest_record) {
  const auto newest = list_offsets(services, "t", 0, max_timestamp);
  EXPECT_EQ(newest.offset, 19);
  EXPECT_EQ(newest.timestamp, t0 + 109);
  const auto empty = list_offsets(services, "t", 1, max_timestamp);
  EXPECT_EQ(empty.offset, -1);
  EXPECT_EQ(empty.timestamp, -1);
}

TEST_F(list_offsets_test, latest_tiered_is_undefined) {
  EXPECT_EQ(list_offsets(services, "t", 0, latest_tiered, 9).offset, -1);
}

TEST_F(list_offsets_test, unknown_partitions_and_leader_epochs_are_errors) {
  EXPECT_EQ(list_offsets(services, "t", 5, latest).error_code, code(error_code::unknown_topic_or_partition));
  EXPECT_EQ(list_offsets(services, "nope", 0, latest).error_code, code(error_code::unknown_topic_or_partition));
  protocol::list_offsets_request req;
  req.replica_id = -1;
  auto& p = req.topics.emplace_back();
  p.name = "t";
  p.partitions.emplace_back().current_leader_epoch = 2;
  p.partitions.back().timestamp = latest;
  auto resp = read_response<protocol::list_offsets_response>(*dispatch(services, request_frame(req, 4)), 4);
  EXPECT_EQ(resp.topics[0].partitions[0].error_code, code(error_code::unknown_leader_epoch));
}

TEST_F(list_offsets_test, every_version_is_answered) {
  for (std::int16_t v = list_offsets_handler::min_version; v <= list_offsets_handler::max_version; ++v) {
    SCOPED_TRACE(v);
    const auto end = list_offsets(services, "t", 0, latest, v);
    EXPECT_EQ(end.error_code, 0);
    if (v == 0) {
      EXPECT_EQ(end.old_style_offsets, std::vector<std::int64_t>{20});
    } else {
      EXPECT_EQ(end.offset, 20);
      EXPECT_EQ(list_offsets(services, "t", 0, t0 + 3, v).offset, 3);
    }
  }
}

protocol::offset_for_leader_epoch_response::epoch_end_offset end_of_epoch(broker& services, const std::string& topic,
                                                                          std::int32_t partition, std::int32_t epoch,
                                                                          std::int16_t version,
                                                                          std::int32_t current = -1) {
  protocol::offset_for_leader_epoch_request req;
  req.replica_id = -1;
  auto& t = req.topics.emplace_back();
  t.topic = topic;
  auto& p = t.partitions.emplace_back();
  p.partition = partition;
  p.leader_epoch = epoch;
  p.current_leader_epoch = current;
  auto frame = dispatch(services, request_frame(req, version));
  return read_response<protocol::offset_for_leader_epoch_response>(*frame, version).topics.at(0).partitions.at(0);
}

TEST_F(list_offsets_test, offset_for_leader_epoch_zero_is_the_log_end_in_every_version) {
  for (std::int16_t v = offset_for_leader_epoch_handler::min_version; v <= offset_for_leader_epoch_handler::max_version;
       ++v) {
    SCOPED_TRACE(v);
    const auto e = end_of_epoch(services, "t", 0, 0, v);
    EXPECT_EQ(e.error_code, 0);
    EXPECT_EQ(e.end_offset, 20);
    if (v >= 1) {
      EXPECT_EQ(e.leader_epoch, 0);
    }
    EXPECT_EQ(end_of_epoch(services, "t", 1, 0, v).end_offset, 0);
    const auto newer = end_of_epoch(services, "t", 0, 4, v);
    EXPECT_EQ(newer.end_offset, -1);
    EXPECT_EQ(end_of_epoch(services, "t", 9, 0, v).error_code, code(error_code::unknown_topic_or_partition));
  }
  EXPECT_EQ(end_of_epoch(services, "t", 0, 0, 3, 2).error_code, code(error_code::unknown_leader_epoch));
  EXPECT_EQ(end_of_epoch(services, "t", 0, 0, 3, 0).error_code, 0);
}

}  // namespace
}  // namespace spate::broker
