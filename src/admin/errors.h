#pragma once
// The admin API's error model: every error is JSON {"error": NAME, "message": "..."}, where NAME
// is Kafka's error name when a Kafka error applies (UNKNOWN_TOPIC_OR_PARTITION...) and one of the
// HTTP-level names below otherwise. docs/admin-api.md lists them.
#include <string>
#include <string_view>

#include "admin/http_message.h"
#include "protocol/error_code.h"

namespace spate::admin {

// HTTP-level error names (no Kafka error applies).
inline constexpr std::string_view not_found = "NOT_FOUND";
inline constexpr std::string_view method_not_allowed = "METHOD_NOT_ALLOWED";
inline constexpr std::string_view invalid_json = "INVALID_JSON";
inline constexpr std::string_view payload_too_large = "PAYLOAD_TOO_LARGE";
inline constexpr std::string_view request_timeout = "REQUEST_TIMEOUT";
inline constexpr std::string_view service_unavailable = "SERVICE_UNAVAILABLE";
inline constexpr std::string_view internal_error = "INTERNAL_ERROR";
inline constexpr std::string_view authentication_failed = "AUTHENTICATION_FAILED";

// The HTTP status for a Kafka error: 404 for unknown topics/groups, 409 for conflicts
// (TOPIC_ALREADY_EXISTS, NON_EMPTY_GROUP), 400 for invalid input, 503 for retriable coordinator
// states, 500 otherwise. 200 for NONE.
int http_status_for(protocol::error_code code);

http_response error_response(int status, std::string_view name, std::string_view message);
// With the status and name of a Kafka error; `message` empty: the error name.
http_response kafka_error_response(protocol::error_code code, std::string_view message = {});

}  // namespace spate::admin
