#include "model/topic_name.h"

#include <gtest/gtest.h>

#include <string>

namespace spate::model {
namespace {

TEST(topic_name, names_follow_kafkas_rule) {
  EXPECT_TRUE(is_valid_topic_name("orders.v1_eu-west"));
  EXPECT_TRUE(is_valid_topic_name(std::string(249, 'a')));
  EXPECT_FALSE(is_valid_topic_name(""));
  EXPECT_FALSE(is_valid_topic_name("."));
  EXPECT_FALSE(is_valid_topic_name(".."));
  EXPECT_FALSE(is_valid_topic_name("a/b"));
  EXPECT_FALSE(is_valid_topic_name("a b"));
  EXPECT_FALSE(is_valid_topic_name(std::string(250, 'a')));
}

TEST(topic_name, the_internal_topics_are_kafkas_two) {
  EXPECT_TRUE(is_internal_topic("__consumer_offsets"));
  EXPECT_TRUE(is_internal_topic("__transaction_state"));
  EXPECT_FALSE(is_internal_topic("__consumer_offsets2"));
  EXPECT_FALSE(is_internal_topic("orders"));
}

}  // namespace
}  // namespace spate::model
