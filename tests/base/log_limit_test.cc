#include "base/log_limit.h"

#include <gtest/gtest.h>

namespace spate::base {
namespace {

using namespace std::chrono_literals;

TEST(log_rate_limit, writes_a_burst_then_counts_what_it_holds_back_and_reports_it_in_the_next_window) {
  log_rate_limit limit(10s, 3);
  const auto t0 = log_rate_limit::clock::time_point{} + 1h;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limit.admit(t0 + std::chrono::seconds(i)), 0u);
  for (int i = 0; i < 7; ++i) EXPECT_FALSE(limit.admit(t0 + 5s));
  EXPECT_FALSE(limit.admit(t0 + 9s));
  EXPECT_EQ(limit.admit(t0 + 10s), 8u);  // the first line of the next window carries the count
  EXPECT_EQ(limit.admit(t0 + 11s), 0u);
}

TEST(log_rate_limit, a_quiet_source_is_never_suppressed) {
  log_rate_limit limit(10s, 1);
  const auto t0 = log_rate_limit::clock::time_point{} + 1h;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(limit.admit(t0 + std::chrono::seconds(11 * i)), 0u);
}

TEST(log_condition, logs_the_start_once_and_the_clearing_once_with_the_count) {
  log_condition failing;
  EXPECT_FALSE(failing.clear());  // never failed: nothing to report
  EXPECT_TRUE(failing.set());
  EXPECT_FALSE(failing.set());
  EXPECT_FALSE(failing.set());
  EXPECT_EQ(failing.clear(), 3u);
  EXPECT_FALSE(failing.clear());
  EXPECT_TRUE(failing.set());  // a new episode starts a new line
}

}  // namespace
}  // namespace spate::base
