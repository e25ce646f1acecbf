#include "cli/message_format.h"

namespace spate::cli {

namespace {

std::string headers_text(const consumed_message& m) {
  std::string out;
  for (const auto& [name, value] : m.headers) {
    if (!out.empty()) out += ',';
    out += name;
    out += '=';
    if (value) out += *value;
  }
  return out;
}

}  // namespace

std::string format_message(std::string_view format, const consumed_message& m) {
  std::string out;
  for (std::size_t i = 0; i < format.size(); ++i) {
    const char c = format[i];
    const bool has_next = i + 1 < format.size();
    if (c == '%' && has_next) {
      const char p = format[++i];
      switch (p) {
        case 'k': out += m.key.value_or(""); break;
        case 'v': out += m.value.value_or(""); break;
        case 'o': out += std::to_string(m.offset); break;
        case 'p': out += std::to_string(m.partition); break;
        case 't': out += std::to_string(m.timestamp_ms); break;
        case 'h': out += headers_text(m); break;
        case 'T': out += m.topic; break;
        case '%': out += '%'; break;
        default: out += '%'; out += p;
      }
    } else if (c == '\\' && has_next) {
      const char e = format[++i];
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case '\\': out += '\\'; break;
        default: out += '\\'; out += e;
      }
    } else {
      out += c;
    }
  }
  return out;
}

nlohmann::json message_to_json(const consumed_message& m) {
  auto opt = [](const std::optional<std::string>& s) { return s ? nlohmann::json(*s) : nlohmann::json(nullptr); };
  nlohmann::json headers = nlohmann::json::array();
  for (const auto& [name, value] : m.headers) headers.push_back({{"key", name}, {"value", opt(value)}});
  return {{"topic", m.topic},  {"partition", m.partition}, {"offset", m.offset}, {"timestamp", m.timestamp_ms},
          {"key", opt(m.key)}, {"value", opt(m.value)},    {"headers", headers}};
}

}  // namespace spate::cli
