#pragma once
// kcat-like output formats for `spate consume`.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace spate::cli {

struct consumed_message {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::int64_t timestamp_ms = -1;  // -1: the record carries no timestamp
  std::optional<std::string> key;  // nullopt: a null key
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
};

// Expands %k key, %v value, %o offset, %p partition, %t timestamp (ms), %h headers (k=v,k=v),
// %T topic, %% a percent sign, and the escapes \n \t \\. A null key or value prints as nothing.
// Unknown placeholders and escapes are copied as written.
std::string format_message(std::string_view format, const consumed_message& m);

// {"topic","partition","offset","timestamp","key","value","headers":[{"key","value"}]}; null key,
// value or header value as JSON null. Bytes that are not UTF-8 are replaced by U+FFFD when dumped.
nlohmann::json message_to_json(const consumed_message& m);

}  // namespace spate::cli
