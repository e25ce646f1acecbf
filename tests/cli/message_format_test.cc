#include "cli/message_format.h"

#include <gtest/gtest.h>

namespace spate::cli {
namespace {

consumed_message sample() {
  consumed_message m;
  m.topic = "orders";
  m.partition = 2;
  m.offset = 41;
  m.timestamp_ms = 1700000000123;
  m.key = "k1";
  m.value = "hello";
  m.headers = {{"h1", "v1"}, {"h2", std::nullopt}};
  return m;
}

TEST(format_message, expands_every_placeholder) {
  EXPECT_EQ(format_message("%T/%p@%o %t %k=%v [%h]", sample()), "orders/2@41 1700000000123 k1=hello [h1=v1,h2=]");
}

TEST(format_message, expands_escapes_and_a_literal_percent) {
  EXPECT_EQ(format_message("%v\\t100%%\\n\\\\", sample()), "hello\t100%\n\\");
}

TEST(format_message, prints_null_key_and_value_as_nothing) {
  auto m = sample();
  m.key.reset();
  m.value.reset();
  EXPECT_EQ(format_message("<%k><%v>", m), "<><>");
}

TEST(format_message, copies_unknown_placeholders_escapes_and_a_trailing_percent) {
  EXPECT_EQ(format_message("%x \\q %", sample()), "%x \\q %");
}

TEST(message_to_json, has_the_documented_shape_with_nulls) {
  auto m = sample();
  m.key.reset();
  const auto j = message_to_json(m);
  EXPECT_EQ(j["topic"], "orders");
  EXPECT_EQ(j["partition"], 2);
  EXPECT_EQ(j["offset"], 41);
  EXPECT_EQ(j["timestamp"], 1700000000123);
  EXPECT_TRUE(j["key"].is_null());
  EXPECT_EQ(j["value"], "hello");
  ASSERT_EQ(j["headers"].size(), 2u);
  EXPECT_EQ(j["headers"][0]["key"], "h1");
  EXPECT_EQ(j["headers"][0]["value"], "v1");
  EXPECT_TRUE(j["headers"][1]["value"].is_null());
}

TEST(message_to_json, replaces_bytes_that_are_not_utf8_when_dumped) {
  auto m = sample();
  m.value = std::string("a\xff", 2);
  const auto text = message_to_json(m).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  EXPECT_NE(text.find("a\xef\xbf\xbd"), std::string::npos);
}

}  // namespace
}  // namespace spate::cli
