// The read side /v1/diag uses: per-API latency summaries and error counts with their last time.
#include <gtest/gtest.h>

#include <chrono>

#include "metrics/broker_metrics.h"
#include "metrics/registry.h"

namespace spate::metrics {
namespace {

using namespace std::chrono_literals;

request_labels names_by_number() {
  return {[](std::int16_t key) { return std::to_string(key); }, [](std::int16_t code) { return std::to_string(code); }};
}

TEST(summaries, a_request_kind_has_its_count_mean_max_and_the_bound_of_its_99th_percentile_bucket) {
  registry reg;
  broker_metrics m(reg, names_by_number());
  for (int i = 0; i < 99; ++i) m.requests().record_request(0, 9, {.queue = 0ns, .handle = 1ms, .send = 0ns});
  m.requests().record_request(0, 9, {.queue = 1ms, .handle = 3s, .send = 1ms});
  m.requests().record_request(1, 12, {.queue = 0ns, .handle = 2ms, .send = 0ns});
  const auto summaries = m.requests().request_summaries();
  ASSERT_EQ(summaries.size(), 2u);
  const auto& produce = summaries[0];
  EXPECT_EQ(produce.key, 0);
  EXPECT_EQ(produce.count, 100u);
  EXPECT_NEAR(produce.mean_seconds, (99 * 0.001 + 3.002) / 100, 1e-9);
  EXPECT_NEAR(produce.max_seconds, 3.002, 1e-9);
  // 99 of 100 took 1 ms: the 99th percentile lies in the first bucket that holds 1 ms.
  EXPECT_GE(produce.p99_seconds, 0.001);
  EXPECT_LT(produce.p99_seconds, 0.1);
  EXPECT_EQ(summaries[1].key, 1);
  EXPECT_NEAR(summaries[1].p99_seconds, 0.002, 1e-9) << "one request: its bucket bound is capped by the maximum";
}

TEST(summaries, errors_are_listed_per_api_and_code_with_the_time_of_the_latest) {
  registry reg;
  broker_metrics m(reg, names_by_number());
  const auto before =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  m.requests().record_error(19, 36, 2);
  m.requests().record_error(19, 36);
  m.requests().record_error(0, -1);
  m.requests().record_error(0, 0);  // NONE is not an error
  auto errors = m.requests().error_summaries();
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].key, 0);
  EXPECT_EQ(errors[0].code, -1);
  EXPECT_EQ(errors[0].count, 1u);
  EXPECT_EQ(errors[1].key, 19);
  EXPECT_EQ(errors[1].code, 36);
  EXPECT_EQ(errors[1].count, 3u);
  EXPECT_GE(errors[1].last_ms, before);
}

TEST(summaries, nothing_recorded_means_nothing_listed) {
  registry reg;
  broker_metrics m(reg, names_by_number());
  EXPECT_TRUE(m.requests().request_summaries().empty());
  EXPECT_TRUE(m.requests().error_summaries().empty());
}

}  // namespace
}  // namespace spate::metrics
