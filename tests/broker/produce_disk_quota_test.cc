// Produce under the disk quota (quota/disk_gate.h): refused with a retriable error in the hard
// state, throttled in the soft one (KIP-219: a muted connection from v6, a held-back response
// before), and every append counted towards the next estimate.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <functional>
#include <optional>

#include "broker/dispatcher.h"
#include "data_path_support.h"
#include "protocol/error_code.h"
#include "quota/disk_gate.h"

namespace spate::broker {
namespace {

using namespace testing;
using protocol::error_code;
constexpr std::uint64_t MiB = 1024 * 1024;

quota::disk_limits limits() {
  quota::disk_limits l;
  l.quota_bytes = 100 * MiB;
  l.max_throttle_ms = 200;  // 110 ms at 94%: halfway into the soft band
  return l;
}

struct quota_broker {
  quota_broker() : gate(limits()), services(options()) { services.create_topic("t", 1); }
  broker_options options() {
    auto o = test_options();
    o.disk_quota = &gate;
    return o;
  }
  quota::disk_gate gate;
  test_broker services;
};

struct answered {
  protocol::produce_response response;
  std::optional<std::chrono::milliseconds> muted_for;
  std::chrono::milliseconds took{0};
};

answered produce_with_mute(broker& services, std::int16_t version, base::byte_buffer batch) {
  answered out;
  const std::function<void(std::chrono::milliseconds)> mute = [&out](std::chrono::milliseconds d) {
    out.muted_for = d;
  };
  boost::asio::io_context io;
  dispatcher d(services);
  const auto started = std::chrono::steady_clock::now();
  auto future = boost::asio::co_spawn(
      io,
      d.handle(request_frame(produce_request_for("t", 0, std::move(batch)), version), "test", io.get_executor(), &mute),
      boost::asio::use_future);
  io.run();
  out.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  out.response = read_response<protocol::produce_response>(*flattened(future.get()), version);
  return out;
}

TEST(produce_disk_quota, the_hard_state_refuses_with_a_retriable_storage_error_and_appends_nothing) {
  quota_broker b;
  b.gate.update({99 * MiB, 0, 0}, b.gate.appended_total());
  const auto p = produce(b.services, "t", 0, make_batch(3));
  EXPECT_EQ(p.error_code, static_cast<std::int16_t>(error_code::kafka_storage_error));
  EXPECT_THAT(p.error_message.value_or(""), ::testing::HasSubstr("disk quota"));
  EXPECT_EQ(b.services.logs().get("t", 0)->log_end_offset(), 0);
  EXPECT_EQ(b.gate.refused_requests(), 1U);
  EXPECT_EQ(b.gate.appended_total(), 0U);
}

TEST(produce_disk_quota, normal_appends_are_counted_and_not_throttled) {
  quota_broker b;
  b.gate.update({10 * MiB, 0, 0}, b.gate.appended_total());
  const auto batch = make_batch(3);
  const auto a = produce_with_mute(b.services, 9, batch);
  EXPECT_EQ(a.response.responses[0].partition_responses[0].error_code, 0);
  EXPECT_EQ(a.response.throttle_time_ms, 0);
  EXPECT_FALSE(a.muted_for.has_value());
  EXPECT_EQ(b.gate.appended_total(), batch.size());
  EXPECT_EQ(b.gate.estimate().used_bytes, 10 * MiB + batch.size());
}

TEST(produce_disk_quota, the_soft_state_reports_the_throttle_and_mutes_the_connection_from_v6) {
  quota_broker b;
  b.gate.update({94 * MiB, 0, 0}, b.gate.appended_total());
  const auto a = produce_with_mute(b.services, 9, make_batch(3));
  EXPECT_EQ(a.response.responses[0].partition_responses[0].error_code, 0);
  EXPECT_EQ(a.response.throttle_time_ms, 110);
  ASSERT_TRUE(a.muted_for.has_value());
  EXPECT_EQ(a.muted_for->count(), 110);
  EXPECT_EQ(b.services.logs().get("t", 0)->log_end_offset(), 3);
  EXPECT_EQ(b.gate.throttled_requests(), 1U);
}

TEST(produce_disk_quota, before_v6_the_soft_state_holds_the_response_back_instead) {
  quota_broker b;
  b.gate.update({94 * MiB, 0, 0}, b.gate.appended_total());
  const auto a = produce_with_mute(b.services, 5, make_batch(3));
  EXPECT_EQ(a.response.throttle_time_ms, 110);
  EXPECT_FALSE(a.muted_for.has_value());
  EXPECT_GE(a.took.count(), 110);
  EXPECT_EQ(b.services.logs().get("t", 0)->log_end_offset(), 3);
}

}  // namespace
}  // namespace spate::broker
