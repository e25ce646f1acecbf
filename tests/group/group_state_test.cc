#include "group/group_state.h"

#include <gtest/gtest.h>

namespace spate::group {
namespace {

TEST(group_state, phase_names_are_kafkas) {
  EXPECT_EQ(phase_name(group_phase::empty), "Empty");
  EXPECT_EQ(phase_name(group_phase::preparing_rebalance), "PreparingRebalance");
  EXPECT_EQ(phase_name(group_phase::completing_rebalance), "CompletingRebalance");
  EXPECT_EQ(phase_name(group_phase::stable), "Stable");
  EXPECT_EQ(phase_name(group_phase::dead), "Dead");
}

}  // namespace
}  // namespace spate::group
