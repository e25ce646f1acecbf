#include "net/frame_buffer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <utility>

namespace spate::net::detail {
namespace {

TEST(frame_buffer, a_frame_that_fits_reuses_the_allocation_without_clearing_it) {
  frame_buffer b(1000);
  std::fill_n(b.data(), b.size(), std::uint8_t{0xab});
  const auto* memory = b.data();
  b.reset_for_overwrite(600);
  EXPECT_EQ(b.data(), memory);
  EXPECT_EQ(b.size(), 600U);
  EXPECT_EQ(b.capacity(), 1000U);
  // Not zero-filled: the next frame is read over it whole.
  EXPECT_TRUE(std::all_of(b.bytes().begin(), b.bytes().end(), [](std::uint8_t v) { return v == 0xab; }));
  b.reset_for_overwrite(1000);
  EXPECT_EQ(b.data(), memory);
  EXPECT_EQ(b.bytes().size(), 1000U);
}

TEST(frame_buffer, a_larger_frame_gets_a_new_allocation_of_its_size) {
  frame_buffer b(100);
  b.reset_for_overwrite(5000);
  EXPECT_EQ(b.size(), 5000U);
  EXPECT_EQ(b.capacity(), 5000U);
  std::fill_n(b.data(), b.size(), std::uint8_t{1});  // all of it writable (ASan checks the bounds)
}

TEST(frame_buffer, a_moved_from_buffer_is_empty) {
  frame_buffer a(64);
  const auto* memory = a.data();
  frame_buffer b(std::move(a));
  EXPECT_EQ(b.data(), memory);
  EXPECT_EQ(b.size(), 64U);
  EXPECT_EQ(a.size(), 0U);       // NOLINT(bugprone-use-after-move): what a move leaves is the point
  EXPECT_EQ(a.capacity(), 0U);   // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(a.data(), nullptr);  // NOLINT(bugprone-use-after-move)
}

}  // namespace
}  // namespace spate::net::detail
