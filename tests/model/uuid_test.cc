#include "model/uuid.h"

#include <gtest/gtest.h>

namespace spate::model {
namespace {

TEST(uuid, text_form_is_kafkas_unpadded_base64url_and_round_trips) {
  uuid id;
  for (std::size_t i = 0; i < 16; ++i) id.value[i] = static_cast<std::uint8_t>(i * 17);
  const auto text = to_string(id);
  EXPECT_EQ(text.size(), 22u);
  EXPECT_EQ(text, "ABEiM0RVZneImaq7zN3u_w");  // Java: Base64.getUrlEncoder().withoutPadding()
  EXPECT_EQ(uuid_from_string(text), id);
  EXPECT_EQ(to_string(uuid::nil()), "AAAAAAAAAAAAAAAAAAAAAA");
}

TEST(uuid, text_that_is_not_22_base64url_characters_is_refused) {
  EXPECT_FALSE(uuid_from_string(""));
  EXPECT_FALSE(uuid_from_string("ABEiM0RVZneImaq7zN3u_"));
  EXPECT_FALSE(uuid_from_string("ABEiM0RVZneImaq7zN3u/w"));
  EXPECT_FALSE(uuid_from_string("ABEiM0RVZneImaq7zN3u_w="));
}

TEST(uuid, random_ids_avoid_the_two_kafka_reserves) {
  uuid one;
  one.value[15] = 1;
  for (int i = 0; i < 100; ++i) {
    const auto id = random_uuid();
    EXPECT_FALSE(id.is_nil());
    EXPECT_NE(id, one);
  }
}

}  // namespace
}  // namespace spate::model
