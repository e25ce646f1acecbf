#include "admin/route_table.h"

#include <algorithm>
#include <optional>

namespace spate::admin {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    const auto slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

bool is_param(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// The params of `pattern` when it matches `path`.
std::optional<std::map<std::string, std::string>> match_pattern(std::string_view pattern, std::string_view path) {
  const auto want = split_path(pattern);
  const auto got = split_path(path);
  if (want.size() != got.size()) return std::nullopt;
  std::map<std::string, std::string> params;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (is_param(want[i])) {
      if (got[i].empty()) return std::nullopt;
      params[std::string(want[i].substr(1, want[i].size() - 2))] = percent_decode(got[i]);
    } else if (want[i] != got[i]) {
      return std::nullopt;
    }
  }
  return params;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

std::vector<std::string> pattern_params(std::string_view pattern) {
  std::vector<std::string> names;
  for (auto segment : split_path(pattern)) {
    if (is_param(segment)) names.emplace_back(segment.substr(1, segment.size() - 2));
  }
  return names;
}

void route_table::add(route r) { _routes.push_back(std::move(r)); }

route_table::match_result route_table::match(http_request& request) const {
  match_result result;
  for (const auto& r : _routes) {
    auto params = match_pattern(r.pattern, request.path);
    if (!params) continue;
    if (r.method == request.method) {
      request.params = std::move(*params);
      result.result = outcome::found;
      result.matched = &r;
      result.allowed.clear();
      return result;
    }
    result.result = outcome::method_not_allowed;
    if (std::find(result.allowed.begin(), result.allowed.end(), r.method) == result.allowed.end()) {
      result.allowed.push_back(r.method);
    }
  }
  return result;
}

route_handler sync_handler(std::function<http_response(http_request&)> fn) {
  return
      [fn = std::move(fn)](http_request& request) -> boost::asio::awaitable<http_response> { co_return fn(request); };
}

}  // namespace spate::admin
