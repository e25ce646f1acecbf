#include "admin/errors.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace spate::admin {
namespace {

using protocol::error_code;

TEST(errors, kafka_errors_map_to_http_statuses) {
  const struct {
    error_code code;
    int status;
  } table[] = {
      {error_code::none, 200},
      {error_code::unknown_topic_or_partition, 404},
      {error_code::group_id_not_found, 404},
      {error_code::topic_already_exists, 409},
      {error_code::non_empty_group, 409},
      {error_code::invalid_partitions, 400},
      {error_code::invalid_config, 400},
      {error_code::invalid_replication_factor, 400},
      {error_code::invalid_topic_exception, 400},
      {error_code::offset_out_of_range, 400},
      {error_code::topic_authorization_failed, 403},
      {error_code::coordinator_not_available, 503},
      {error_code::kafka_storage_error, 503},
      {error_code::unknown_server_error, 500},
      {error_code::corrupt_message, 500},
  };
  for (const auto& row : table) {
    EXPECT_EQ(http_status_for(row.code), row.status) << protocol::error_name(row.code);
  }
}

TEST(errors, an_error_body_is_json_with_the_kafka_name_and_a_message) {
  const auto r = kafka_error_response(error_code::topic_already_exists, "Topic 'x' already exists.");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.content_type, "application/json");
  const auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body, (nlohmann::json{{"error", "TOPIC_ALREADY_EXISTS"}, {"message", "Topic 'x' already exists."}}));
  EXPECT_EQ(nlohmann::json::parse(kafka_error_response(error_code::non_empty_group).body)["message"],
            "NON_EMPTY_GROUP");
}

}  // namespace
}  // namespace spate::admin
