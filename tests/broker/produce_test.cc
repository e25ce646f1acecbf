#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <span>

#include "broker/dispatcher.h"
#include "broker/handlers/produce.h"
#include "data_path_support.h"
#include "io/fault_injection.h"
#include "protocol/error_code.h"

namespace spate::broker {
namespace {

using namespace testing;
using protocol::error_code;

std::int16_t code(error_code e) { return static_cast<std::int16_t>(e); }

class produce_test : public ::testing::Test {
 protected:
  produce_test() { services.create_topic("t", 2); }
  test_broker services;
};

TEST_F(produce_test, every_version_appends_and_answers_base_offset_and_log_start) {
  std::int64_t next = 0;
  for (std::int16_t v = produce_handler::min_version; v <= produce_handler::max_version; ++v) {
    SCOPED_TRACE(v);
    const auto p = produce(services, "t", 0, make_batch(3), v);
    EXPECT_EQ(p.error_code, 0);
    EXPECT_EQ(p.base_offset, next);
    if (v >= 2) {
      EXPECT_EQ(p.log_append_time_ms, -1);
    }
    if (v >= 5) {
      EXPECT_EQ(p.log_start_offset, 0);
    }
    next += 3;
  }
  EXPECT_EQ(services.logs().get("t", 0)->high_watermark(), next);
}

TEST_F(produce_test, acks_zero_gets_no_response_but_appends) {
  auto frame = dispatch(services, request_frame(produce_request_for("t", 0, make_batch(2), 0), 9));
  EXPECT_FALSE(frame.has_value());
  EXPECT_EQ(services.logs().get("t", 0)->log_end_offset(), 2);
}

TEST_F(produce_test, acks_zero_to_an_unknown_partition_closes_the_connection) {
  EXPECT_THROW(dispatch(services, request_frame(produce_request_for("t", 9, make_batch(2), 0), 9)), request_rejected);
}

TEST_F(produce_test, acks_other_than_minus_one_zero_one_are_invalid_required_acks) {
  auto frame = dispatch(services, request_frame(produce_request_for("t", 0, make_batch(2), 2), 9));
  const auto resp = read_response<protocol::produce_response>(*frame, 9);
  EXPECT_EQ(resp.responses[0].partition_responses[0].error_code, code(error_code::invalid_required_acks));
  EXPECT_EQ(services.logs().get("t", 0)->log_end_offset(), 0);
}

TEST_F(produce_test, a_crc_mismatch_is_corrupt_message_and_leaves_the_log_unchanged) {
  auto batch = make_batch(5);
  batch[model::batch_layout::crc] ^= 0x01;
  const auto p = produce(services, "t", 0, batch);
  EXPECT_EQ(p.error_code, code(error_code::corrupt_message));
  EXPECT_EQ(p.base_offset, -1);
  EXPECT_EQ(services.logs().get("t", 0)->log_end_offset(), 0);
}

TEST_F(produce_test, every_flipped_byte_of_the_crc_covered_part_is_rejected) {
  const auto good = make_batch(2);
  for (std::size_t i = model::batch_layout::crc; i < good.size(); ++i) {
    auto bad = good;
    bad[i] ^= 0x40;
    EXPECT_NE(produce(services, "t", 0, bad).error_code, 0) << "byte " << i;
  }
  EXPECT_EQ(services.logs().get("t", 0)->log_end_offset(), 0);
}

TEST_F(produce_test, a_truncated_batch_alone_is_invalid_record) {
  auto batch = make_batch(5);
  batch.resize(batch.size() - 10);
  EXPECT_EQ(produce(services, "t", 0, batch).error_code, code(error_code::invalid_record));
  EXPECT_EQ(services.logs().get("t", 0)->log_end_offset(), 0);
}

TEST_F(produce_test, a_partial_batch_after_a_complete_one_is_dropped_as_kafka_trims_it) {
  const auto batch = make_batch(5);
  auto records = batch;
  const auto tail = make_batch(2);
  records.insert(records.end(), tail.begin(), tail.begin() + 30);
  EXPECT_EQ(produce(services, "t", 0, records).error_code, 0);
  EXPECT_EQ(services.logs().get("t", 0)->log_end_offset(), 5);
  EXPECT_EQ(*fetch_one(services, "t", 0, 0).records, as_stored(batch, 0));
}

TEST_F(produce_test, old_message_set_magic_is_invalid_record) {
  auto batch = make_batch(1);
  batch[model::batch_layout::magic] = 1;
  EXPECT_EQ(produce(services, "t", 0, batch, 2).error_code, code(error_code::invalid_record));
}

TEST_F(produce_test, empty_records_are_invalid_record) {
  EXPECT_EQ(produce(services, "t", 0, {}).error_code, code(error_code::invalid_record));
}

TEST_F(produce_test, two_batches_in_one_partition_are_invalid_record_from_v3) {
  auto records = make_batch(1);
  const auto second = make_batch(1);
  records.insert(records.end(), second.begin(), second.end());
  EXPECT_EQ(produce(services, "t", 0, records, 3).error_code, code(error_code::invalid_record));
  const auto old = produce(services, "t", 0, records, 2);
  EXPECT_EQ(old.error_code, 0);
  EXPECT_EQ(services.logs().get("t", 0)->log_end_offset(), 2);
}

TEST_F(produce_test, zstd_below_v7_is_unsupported_compression_type) {
  EXPECT_EQ(produce(services, "t", 0, make_batch(3, "z", model::compression_type::zstd), 6).error_code,
            code(error_code::unsupported_compression_type));
  EXPECT_EQ(produce(services, "t", 0, make_batch(3, "z", model::compression_type::zstd), 7).error_code, 0);
  // The request-level check comes first, as in Kafka: even a corrupt zstd batch gets this error.
  auto corrupt = make_batch(3, "z", model::compression_type::zstd);
  corrupt.back() ^= 1;
  EXPECT_EQ(produce(services, "t", 0, corrupt, 5).error_code, code(error_code::unsupported_compression_type));
}

TEST_F(produce_test, a_batch_over_max_message_bytes_is_message_too_large) {
  const auto big = make_batch(1, std::string(1100 * 1000, 'x'));
  EXPECT_GT(big.size(), 1048588u);
  EXPECT_EQ(produce(services, "t", 1, big).error_code, code(error_code::message_too_large));
  EXPECT_EQ(services.logs().get("t", 1)->log_end_offset(), 0);
}

TEST_F(produce_test, unknown_topic_or_partition) {
  EXPECT_EQ(produce(services, "missing", 0, make_batch(1)).error_code, code(error_code::unknown_topic_or_partition));
  EXPECT_EQ(produce(services, "t", 2, make_batch(1)).error_code, code(error_code::unknown_topic_or_partition));
  EXPECT_FALSE(services.logs().find_topic("missing"));
}

TEST_F(produce_test, clients_cannot_write_internal_topics) {
  services.create_topic("__consumer_offsets", 1);
  EXPECT_EQ(produce(services, "__consumer_offsets", 0, make_batch(1)).error_code,
            code(error_code::invalid_topic_exception));
}

TEST_F(produce_test, several_partitions_of_one_request_are_answered_in_request_order) {
  auto req = produce_request_for("t", 1, make_batch(4));
  auto& p0 = req.topic_data[0].partition_data.emplace_back();
  p0.index = 0;
  p0.records = make_batch(2);
  auto& bad = req.topic_data[0].partition_data.emplace_back();
  bad.index = 5;
  bad.records = make_batch(2);
  const auto resp = read_response<protocol::produce_response>(*dispatch(services, request_frame(req, 11)), 11);
  const auto& parts = resp.responses.at(0).partition_responses;
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].index, 1);
  EXPECT_EQ(parts[0].error_code, 0);
  EXPECT_EQ(parts[1].index, 0);
  EXPECT_EQ(parts[1].error_code, 0);
  EXPECT_EQ(parts[2].error_code, code(error_code::unknown_topic_or_partition));
  EXPECT_EQ(services.logs().get("t", 1)->high_watermark(), 4);
  EXPECT_EQ(services.logs().get("t", 0)->high_watermark(), 2);
}

TEST_F(produce_test, producer_ids_are_accepted_and_stored) {
  model::record_batch_builder builder;
  builder.set_producer(1000, 0, 0);
  const std::string v = "idempotent";
  builder.append(1, std::nullopt, base::byte_span(reinterpret_cast<const std::uint8_t*>(v.data()), v.size()));
  const auto batch = builder.build();
  ASSERT_EQ(produce(services, "t", 0, batch).error_code, 0);

  const auto stored = fetch_one(services, "t", 0, 0);
  ASSERT_EQ(stored.error_code, 0);
  ASSERT_TRUE(stored.records.has_value());
  EXPECT_EQ(*stored.records, as_stored(batch, 0));  // the producer's bytes, offset and epoch stamped
  const auto header = model::parse_batch_header(*stored.records);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->producer_id, 1000);
  EXPECT_EQ(header->producer_epoch, 0);
  EXPECT_EQ(header->base_sequence, 0);
  EXPECT_EQ(header->partition_leader_epoch, 0);
  // The log knows the producer now: a retry of the same batch is answered with the original offset.
  const auto retry = produce(services, "t", 0, batch);
  EXPECT_EQ(retry.error_code, 0);
  EXPECT_EQ(retry.base_offset, 0);
  EXPECT_EQ(services.logs().get("t", 0)->log_end_offset(), 1);
}

TEST_F(produce_test, compacted_topics_refuse_records_without_a_key_as_kafka_does) {
  for (const std::string policy : {"compact", "compact,delete"}) {
    SCOPED_TRACE(policy);
    const auto topic = "c" + std::to_string(policy.size());
    services.create_topic(topic, 1, {{"cleanup.policy", policy}});
    model::record_batch_builder builder(model::compression_type::lz4);
    const std::string k = "key", v = "value";
    const auto bytes = [](const std::string& s) {
      return base::byte_span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
    };
    builder.append(1, bytes(k), bytes(v));
    builder.append(1, std::nullopt, bytes(v));  // the second record has no key
    const auto refused = produce(services, topic, 0, builder.build());
    EXPECT_EQ(refused.error_code, code(error_code::invalid_record));
    ASSERT_EQ(refused.record_errors.size(), 1u);
    EXPECT_EQ(refused.record_errors[0].batch_index, 1);
    EXPECT_EQ(services.logs().get(topic, 0)->log_end_offset(), 0);

    model::record_batch_builder keyed;
    keyed.append(1, bytes(k), std::nullopt);  // a tombstone has a key: accepted
    EXPECT_EQ(produce(services, topic, 0, keyed.build()).error_code, 0);
  }
  // A delete-policy topic takes keyless records.
  EXPECT_EQ(produce(services, "t", 0, make_batch(1)).error_code, 0);
}

// Produce appends from the request frame itself: the records are borrowed, not copied, and the
// offsets are stamped in place. net/ reuses a frame's buffer for a later request once the handler
// has completed, so the handler must not complete while the log still needs the bytes: for
// acks=all not before the fsync, which this test holds back. Overwriting the frame afterwards, as
// the next request read into it would, must leave the stored batch as it was.
TEST(produce_frame, a_frame_is_not_released_before_its_fsync_and_its_reuse_leaves_the_stored_batch_unchanged) {
  io::fault_injecting_file_system fs;
  test_broker services(test_options(), {}, &fs);
  services.create_topic("t", 1);
  std::int64_t next = 0;
  for (const std::int16_t acks : {-1, 1, 0}) {
    SCOPED_TRACE(acks);
    const auto batch = make_batch(200, "a value long enough to matter ");
    auto frame = request_frame(produce_request_for("t", 0, batch, acks), 9);
    std::promise<void> release_fsync;
    fs.before_datasync([held = release_fsync.get_future().share()] { held.wait(); });

    boost::asio::io_context io;
    dispatcher d(services);
    auto done = boost::asio::co_spawn(io, d.handle(std::span<std::uint8_t>(frame), "test", io.get_executor()),
                                      boost::asio::use_future);
    io.poll();  // until the handler completes or waits for the held fsync (run() would wait for it)
    const auto stored = as_stored(batch, next);
    EXPECT_NE(std::search(frame.begin(), frame.end(), stored.begin(), stored.end()), frame.end())
        << "the batch was not appended from the frame (offsets stamped in place)";
    if (acks != 0) {  // acks=1 waits for the flush policy too (durable by default)
      EXPECT_NE(done.wait_for(std::chrono::seconds(0)), std::future_status::ready)
          << "answered (and gave the frame back) before the fsync";
    }
    release_fsync.set_value();
    io.restart();
    io.run();
    ASSERT_EQ(done.wait_for(std::chrono::seconds(0)), std::future_status::ready);
    (void)done.get();
    fs.before_datasync({});

    std::fill(frame.begin(), frame.end(), std::uint8_t{0xee});  // the next request, read into the same buffer
    ASSERT_TRUE(services.logs().get("t", 0)->flush());
    EXPECT_EQ(*fetch_one(services, "t", 0, next).records, stored);
    next += 200;
  }
}

}  // namespace
}  // namespace spate::broker
