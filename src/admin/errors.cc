#include "admin/errors.h"

#include <nlohmann/json.hpp>

namespace spate::admin {

int http_status_for(protocol::error_code code) {
  using protocol::error_code;
  switch (code) {
    case error_code::none: return 200;
    case error_code::unknown_topic_or_partition:
    case error_code::group_id_not_found: return 404;
    case error_code::topic_already_exists:
    case error_code::non_empty_group:
    case error_code::unknown_member_id:
    case error_code::illegal_generation:
    case error_code::rebalance_in_progress: return 409;
    case error_code::invalid_partitions:
    case error_code::invalid_config:
    case error_code::invalid_replication_factor:
    case error_code::invalid_replica_assignment:
    case error_code::invalid_topic_exception:
    case error_code::invalid_request:
    case error_code::invalid_group_id:
    case error_code::offset_out_of_range:
    case error_code::offset_metadata_too_large:
    case error_code::policy_violation:
    case error_code::invalid_commit_offset_size: return 400;
    case error_code::topic_authorization_failed:
    case error_code::group_authorization_failed:
    case error_code::cluster_authorization_failed: return 403;
    case error_code::coordinator_not_available:
    case error_code::coordinator_load_in_progress:
    case error_code::not_coordinator:
    case error_code::request_timed_out:
    case error_code::kafka_storage_error: return 503;
    default: return 500;
  }
}

http_response error_response(int status, std::string_view name, std::string_view message) {
  http_response response;
  response.status = status;
  response.body = nlohmann::json{{"error", name}, {"message", message}}.dump();
  return response;
}

http_response kafka_error_response(protocol::error_code code, std::string_view message) {
  const auto name = protocol::error_name(code);
  return error_response(http_status_for(code), name, message.empty() ? name : message);
}

}  // namespace spate::admin
