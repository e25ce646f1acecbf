#include <filesystem>
#include <fstream>
#include <iterator>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "broker/api_table.h"
#include "broker/handlers/api_versions.h"
#include "broker_test_support.h"
#include "protocol/codec_table.h"
#include "protocol/error_code.h"
#include "protocol/messages/api_versions.h"
#include "protocol/messages/metadata.h"

namespace spate::broker {
namespace {

using namespace testing;
using protocol::api_versions_request;
using protocol::api_versions_response;

TEST(api_table, is_ordered_and_within_the_schemas_versions) {
  const auto apis = served_apis();
  ASSERT_FALSE(apis.empty());
  for (const auto& api : apis) {
    const auto* schema = protocol::find_api(api.key);
    ASSERT_NE(schema, nullptr);
    EXPECT_GE(api.min_version, schema->min_version);
    EXPECT_LE(api.max_version, schema->max_version);
    EXPECT_EQ(find_served_api(static_cast<std::int16_t>(api.key)), &api);
  }
  EXPECT_EQ(find_served_api(9999), nullptr);
}

TEST(api_versions, every_version_lists_exactly_the_served_table) {
  test_broker services;
  for (std::int16_t v = api_versions_handler::min_version; v <= api_versions_handler::max_version; ++v) {
    api_versions_request request;
    request.client_software_name = "test-client";
    request.client_software_version = "1.0";
    const auto response = read_response<api_versions_response>(*dispatch(services, request_frame(request, v)), v);
    EXPECT_EQ(response.error_code, 0) << "version " << v;
    ASSERT_EQ(response.api_keys.size(), served_apis().size());
    for (std::size_t i = 0; i < served_apis().size(); ++i) {
      EXPECT_EQ(response.api_keys[i].api_key, static_cast<std::int16_t>(served_apis()[i].key));
      EXPECT_EQ(response.api_keys[i].min_version, served_apis()[i].min_version);
      EXPECT_EQ(response.api_keys[i].max_version, served_apis()[i].max_version);
    }
  }
}

TEST(api_versions, invalid_client_software_name_is_invalid_request_from_v3) {
  test_broker services;
  api_versions_request request;
  request.client_software_name = "-bad name-";
  request.client_software_version = "1.0";
  const auto response = read_response<api_versions_response>(*dispatch(services, request_frame(request, 3)), 3);
  EXPECT_EQ(response.error_code, static_cast<std::int16_t>(protocol::error_code::invalid_request));
}

TEST(api_versions, newer_version_than_ours_gets_v0_unsupported_version_with_our_range) {
  test_broker services;
  // Header v2 (flexible) with an empty body, as a future client would send.
  base::byte_buffer frame = {0x00, 0x12, 0x00, 0x63, 0x00, 0x00, 0x00, 0x09, 0x00, 0x01, 'x', 0x00, 0x00};
  const auto response = read_response<api_versions_response>(*dispatch(services, frame), 0, 9);
  EXPECT_EQ(response.error_code, static_cast<std::int16_t>(protocol::error_code::unsupported_version));
  ASSERT_EQ(response.api_keys.size(), 1u);
  EXPECT_EQ(response.api_keys[0].api_key, 18);
  EXPECT_EQ(response.api_keys[0].max_version, api_versions_handler::max_version);
}

TEST(dispatcher, unknown_api_key_is_rejected) {
  test_broker services;
  base::byte_buffer frame = {0x27, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0xff};
  EXPECT_THROW(dispatch(services, frame), request_rejected);
}

TEST(dispatcher, unsupported_version_of_other_apis_is_rejected) {
  test_broker services;
  protocol::metadata_request request;
  auto frame = request_frame(request, 12);
  frame[3] = 13;  // Metadata v13: beyond what we serve
  EXPECT_THROW(dispatch(services, frame), request_rejected);
}

TEST(dispatcher, frame_shorter_than_a_header_is_rejected) {
  test_broker services;
  EXPECT_THROW(dispatch(services, {0x00, 0x12, 0x00}), request_rejected);
}

TEST(dispatcher, truncated_request_body_is_a_decode_error) {
  test_broker services;
  protocol::metadata_request request;
  request.topics.emplace();
  request.topics->emplace_back().name = "orders";
  auto frame = request_frame(request, 1);
  frame.resize(frame.size() - 2);
  EXPECT_THROW(dispatch(services, frame), protocol::decode_error);
}

// Request frames captured from real clients (tests/fuzz/capture_frames.py): the request header and
// body decode and re-encode to the same bytes, and the broker answers each one.
TEST(captured_frames, decode_reencode_byte_exact_and_get_answers) {
  test_broker services;
  services.create_topic("orders", 3);
  int frames = 0;
  for (const auto& entry : std::filesystem::directory_iterator(SPATE_CAPTURED_FRAMES_DIR)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const base::byte_buffer frame((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto key = static_cast<protocol::api_key>(base::load_be<std::int16_t>(frame.data()));
    const auto version = base::load_be<std::int16_t>(frame.data() + 2);
    SCOPED_TRACE(entry.path().filename().string());

    protocol::reader reader(base::byte_span(frame.data(), frame.size()));
    protocol::request_header header;
    header.decode(reader, protocol::request_header_version(key, version));
    base::byte_buffer reencoded;
    protocol::writer writer(reencoded);
    header.encode(writer, protocol::request_header_version(key, version));
    const auto* codec = protocol::find_message_codec(key, true);
    ASSERT_NE(codec, nullptr);
    const auto body = base::byte_span(frame).subspan(frame.size() - reader.remaining());
    EXPECT_EQ(codec->decode_and_encode(body, version, reencoded), body.size());
    EXPECT_EQ(reencoded, frame);

    const auto response = dispatch(services, frame);
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(base::load_be<std::int32_t>(response->data()), header.correlation_id);
    ++frames;
  }
  EXPECT_GE(frames, 8);
}

TEST(captured_frames, librdkafka_api_versions_carries_its_software_name) {
  std::ifstream in(std::filesystem::path(SPATE_CAPTURED_FRAMES_DIR) / "rdkafka-18-v3.bin", std::ios::binary);
  const base::byte_buffer frame((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  protocol::reader reader(base::byte_span(frame.data(), frame.size()));
  protocol::request_header header;
  header.decode(reader, 2);
  EXPECT_EQ(header.request_api_key, 18);
  EXPECT_EQ(header.request_api_version, 3);
  EXPECT_EQ(header.client_id, "rdkafka");
  api_versions_request request;
  request.decode(reader, 3);
  EXPECT_EQ(request.client_software_name, "librdkafka");
  EXPECT_EQ(request.client_software_version, "2.0.2");
  EXPECT_TRUE(reader.empty());
}

TEST(compatibility_page, lists_every_kafka_api_and_the_served_versions) {
  const auto page = compatibility_markdown();
  for (const auto& api : protocol::api_table) {
    EXPECT_NE(page.find(fmt::format("| {} | {} |", static_cast<int>(api.key), api.name)), std::string::npos)
        << api.name;
  }
  for (const auto& api : served_apis()) {
    EXPECT_NE(page.find(fmt::format("v{}-v{} | {}", api.min_version, api.max_version, api.tested_with)),
              std::string::npos);
  }
}

}  // namespace
}  // namespace spate::broker
