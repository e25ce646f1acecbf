#pragma once
// The text pieces of config values (config.cc, listeners.cc): trimming and separated lists.
#include <string>
#include <string_view>
#include <vector>

namespace spate::app {

inline std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r");
  return s.substr(first, last - first + 1);
}

// Calls `fn` with each trimmed, non-empty item of `text` separated by `separator`.
template <typename Fn>
void for_each_item(std::string_view text, char separator, Fn fn) {
  while (!text.empty()) {
    const auto at = text.find(separator);
    const auto item = trim(text.substr(0, at));
    text = at == std::string_view::npos ? std::string_view{} : text.substr(at + 1);
    if (!item.empty()) fn(item);
  }
}

inline std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> out;
  for_each_item(text, separator, [&](std::string_view item) { out.emplace_back(item); });
  return out;
}

}  // namespace spate::app
