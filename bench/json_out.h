#pragma once
// Minimal JSON object writer for the bench tools: one flat-or-nested object, written to a string.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace spate_bench {

inline std::string json_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
  return out;
}

class json_object {
 public:
  json_object& str(std::string_view key, std::string_view v) {
    sep(key);
    _s += json_escape(v);
    return *this;
  }
  json_object& num(std::string_view key, double v) {
    sep(key);
    if (!std::isfinite(v)) {
      _s += "null";
    } else {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.6g", v);
      _s += buf;
    }
    return *this;
  }
  json_object& fixed(std::string_view key, double v, int decimals) {
    sep(key);
    if (!std::isfinite(v)) {
      _s += "null";
    } else {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
      _s += buf;
    }
    return *this;
  }
  json_object& integer(std::string_view key, std::int64_t v) {
    sep(key);
    _s += std::to_string(v);
    return *this;
  }
  json_object& boolean(std::string_view key, bool v) {
    sep(key);
    _s += v ? "true" : "false";
    return *this;
  }
  json_object& null(std::string_view key) {
    sep(key);
    _s += "null";
    return *this;
  }
  json_object& object(std::string_view key, const json_object& o) {
    sep(key);
    _s += o.dump();
    return *this;
  }
  // An array of numbers, each with `decimals` decimals (non-finite ones as null).
  template <class Range>
  json_object& fixed_array(std::string_view key, const Range& values, int decimals) {
    sep(key);
    _s += "[";
    bool first = true;
    for (double v : values) {
      if (!first) _s += ",";
      first = false;
      if (!std::isfinite(v)) {
        _s += "null";
      } else {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
        _s += buf;
      }
    }
    _s += "]";
    return *this;
  }
  // An array of objects.
  template <class Range>
  json_object& object_array(std::string_view key, const Range& objects) {
    sep(key);
    _s += "[";
    bool first = true;
    for (const json_object& o : objects) {
      if (!first) _s += ",";
      first = false;
      _s += o.dump();
    }
    _s += "]";
    return *this;
  }
  std::string dump() const { return "{" + _s + "}"; }

 private:
  void sep(std::string_view key) {
    if (!_s.empty()) _s += ",";
    _s += json_escape(key);
    _s += ":";
  }
  std::string _s;
};

}  // namespace spate_bench
