#include "net/framing.h"

#include <gtest/gtest.h>

namespace spate::net {
namespace {

TEST(framing, accepts_sizes_from_one_to_the_maximum) {
  EXPECT_EQ(check_frame_size(1, 100), frame_size_verdict::ok);
  EXPECT_EQ(check_frame_size(100, 100), frame_size_verdict::ok);
}

TEST(framing, rejects_zero_and_negative_sizes) {
  EXPECT_EQ(check_frame_size(0, 100), frame_size_verdict::invalid);
  EXPECT_EQ(check_frame_size(0xFFFFFFFFu, 100), frame_size_verdict::invalid);  // -1
  EXPECT_EQ(check_frame_size(0x80000000u, SIZE_MAX), frame_size_verdict::invalid);
}

TEST(framing, rejects_sizes_above_the_maximum) {
  EXPECT_EQ(check_frame_size(101, 100), frame_size_verdict::too_large);
  EXPECT_EQ(check_frame_size(0x7FFFFFFFu, 104857600), frame_size_verdict::too_large);
  EXPECT_EQ(check_frame_size(0x7FFFFFFFu, SIZE_MAX), frame_size_verdict::ok);
}

}  // namespace
}  // namespace spate::net
