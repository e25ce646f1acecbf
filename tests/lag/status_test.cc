#include "lag/status.h"

#include <gtest/gtest.h>

namespace spate::lag {
namespace {

TEST(LagStatus, NamesRoundTrip) {
  for (auto s : {status::idle, status::ok, status::recovering, status::slow, status::rewound, status::stalled,
                 status::stopped}) {
    const auto parsed = status_from_string(to_string(s));
    ASSERT_TRUE(parsed.has_value()) << to_string(s);
    EXPECT_EQ(*parsed, s);
  }
  EXPECT_FALSE(status_from_string("ERR").has_value());
}

TEST(LagStatus, BurrowMapping) {
  EXPECT_EQ(burrow_partition_status(status::idle), "OK");
  EXPECT_EQ(burrow_partition_status(status::slow), "WARN");
  EXPECT_EQ(burrow_partition_status(status::stopped), "STOP");
  EXPECT_EQ(burrow_partition_status(status::stalled), "STALL");
  EXPECT_EQ(burrow_partition_status(status::rewound), "REWIND");
  EXPECT_EQ(burrow_group_status(status::stopped), "ERR");
  EXPECT_EQ(burrow_group_status(status::recovering), "OK");
}

TEST(LagStatus, SeverityOrder) {
  EXPECT_LT(status::idle, status::ok);
  EXPECT_LT(status::slow, status::stalled);
  EXPECT_LT(status::stalled, status::stopped);
}

}  // namespace
}  // namespace spate::lag
