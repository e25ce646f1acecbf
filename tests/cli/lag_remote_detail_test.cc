#include <gtest/gtest.h>

#include "lag/remote/remote_source.h"

namespace spate::lag::remote_detail {
namespace {

TEST(remote_lag, offset_lag_counts_from_the_committed_offset_to_the_end) {
  EXPECT_EQ(offset_lag(4, 0, 10), 6);
  EXPECT_EQ(offset_lag(10, 0, 10), 0);
}

TEST(remote_lag, offset_lag_counts_from_the_log_start_when_nothing_is_committed_or_it_was_deleted) {
  EXPECT_EQ(offset_lag(-1, 3, 10), 7);
  EXPECT_EQ(offset_lag(2, 5, 10), 5);
  EXPECT_EQ(first_unconsumed_offset(2, 5), 5);
  EXPECT_EQ(first_unconsumed_offset(-1, -1), 0);
}

TEST(remote_lag, offset_lag_is_unknown_without_an_end_and_never_negative) {
  EXPECT_EQ(offset_lag(4, 0, -1), -1);
  EXPECT_EQ(offset_lag(12, 0, 10), 0);  // committed past the last stable offset
}

TEST(remote_lag, backoff_doubles_from_the_interval_up_to_the_cap) {
  EXPECT_EQ(backoff_ms(1, 300, 5000), 300);
  EXPECT_EQ(backoff_ms(2, 300, 5000), 600);
  EXPECT_EQ(backoff_ms(4, 300, 5000), 2400);
  EXPECT_EQ(backoff_ms(5, 300, 5000), 4800);
  EXPECT_EQ(backoff_ms(6, 300, 5000), 5000);
  EXPECT_EQ(backoff_ms(100, 300, 5000), 5000);
  EXPECT_EQ(backoff_ms(1, 10000, 5000), 5000);
}

}  // namespace
}  // namespace spate::lag::remote_detail
