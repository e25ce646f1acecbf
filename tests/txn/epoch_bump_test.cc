#include "txn/epoch_bump.h"

#include <gtest/gtest.h>

namespace spate::txn {
namespace {

using kind = epoch_bump_kind;

struct bump_case {
  const char* name;
  std::int16_t current_epoch;
  std::int16_t last_epoch;
  bool has_producer_id;
  std::int16_t requested_epoch;
  epoch_bump expected;
};

constexpr std::int16_t none = no_producer_epoch;
constexpr std::int16_t exhausted = 32766;

TEST(next_epoch, decides_as_kafkas_init_producer_id) {
  const bump_case cases[] = {
      {"a new id starts at epoch 0", none, none, false, none, {kind::bump, 0, none}},
      {"without a producer id the epoch goes up", 5, none, false, none, {kind::bump, 6, none}},
      {"the current epoch goes up and is remembered", 5, none, true, 5, {kind::bump, 6, 5}},
      {"a retry of a bump that succeeded gets it again", 6, 5, true, 5, {kind::repeat, 6, 5}},
      {"an older epoch is fenced", 6, 5, true, 4, {}},
      {"an epoch ahead of the current one is fenced", 6, 5, true, 7, {}},
      {"a producer id given for a new id bumps to 0", none, none, true, 3, {kind::bump, 0, none}},
      {"an exhausted epoch rotates the producer id", exhausted, none, false, none, {kind::rotate_producer_id, 0, none}},
      {"the current exhausted epoch rotates and is remembered",
       exhausted,
       100,
       true,
       exhausted,
       {kind::rotate_producer_id, 0, exhausted}},
      {"a retry of a rotation gets it again", 0, exhausted, true, exhausted, {kind::repeat, 0, exhausted}},
      {"after a fence past the exhausted epoch the old epoch is fenced", 32767, none, true, exhausted, {}},
      {"after a fence past the exhausted epoch a request without id rotates",
       32767,
       none,
       false,
       none,
       {kind::rotate_producer_id, 0, none}},
  };
  for (const auto& c : cases) {
    transaction_metadata m;
    m.producer_id = 1000;
    m.producer_epoch = c.current_epoch;
    m.last_producer_epoch = c.last_epoch;
    const epoch_bump got = next_epoch(m, c.has_producer_id, c.requested_epoch);
    EXPECT_EQ(got.kind, c.expected.kind) << c.name;
    if (c.expected.kind != kind::fenced) {
      EXPECT_EQ(got, c.expected) << c.name;
    }
  }
}

TEST(is_valid_producer_id, accepts_the_current_id_a_new_ids_and_a_rotated_ids_predecessor) {
  transaction_metadata m;
  m.producer_id = 2000;
  m.last_producer_id = 1000;
  m.producer_epoch = 0;
  EXPECT_TRUE(is_valid_producer_id(m, 2000, 7));
  EXPECT_TRUE(is_valid_producer_id(m, 1000, exhausted));
  EXPECT_FALSE(is_valid_producer_id(m, 1000, 5));
  EXPECT_FALSE(is_valid_producer_id(m, 3000, 0));
  m.producer_epoch = none;  // just created: whatever the client remembers
  EXPECT_TRUE(is_valid_producer_id(m, 3000, 0));
}

}  // namespace
}  // namespace spate::txn
