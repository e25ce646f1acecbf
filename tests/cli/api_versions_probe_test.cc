#include "cli/api_versions_probe.h"
#include "cli/kafka_connection.h"

#include <gtest/gtest.h>

namespace spate::cli {
namespace {

TEST(split_host_port, reads_plain_bracketed_and_scheme_prefixed_addresses) {
  EXPECT_EQ(split_host_port("127.0.0.1:9092"), (std::pair<std::string, std::string>{"127.0.0.1", "9092"}));
  EXPECT_EQ(split_host_port("[::1]:9093"), (std::pair<std::string, std::string>{"::1", "9093"}));
  EXPECT_EQ(split_host_port("PLAINTEXT://broker:19092"), (std::pair<std::string, std::string>{"broker", "19092"}));
  EXPECT_THROW(split_host_port("broker"), std::invalid_argument);
  EXPECT_THROW(split_host_port("broker:"), std::invalid_argument);
}

TEST(api_key_name, names_known_keys_and_says_unknown_otherwise) {
  EXPECT_EQ(api_key_name(0), "Produce");
  EXPECT_EQ(api_key_name(18), "ApiVersions");
  EXPECT_EQ(api_key_name(999), "unknown");
}

TEST(probe_api_versions, fails_with_a_message_when_nothing_listens) {
  try {
    client_options options;
    options.brokers = "127.0.0.1:1";
    options.timeout_ms = 2000;
    probe_api_versions(options, "probe");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:1"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace spate::cli
