#include "cli/offsets.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <stdexcept>
#include <tuple>

namespace spate::cli {

namespace {

std::int64_t parse_int(std::string_view text, std::string_view what) {
  std::int64_t v = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end) {
    throw std::invalid_argument(std::string(what) + ": expected an integer, got '" + std::string(text) + "'");
  }
  return v;
}

// Reads exactly `n` digits at `pos`.
int digits(std::string_view text, std::size_t& pos, std::size_t n, std::string_view whole) {
  if (pos + n > text.size()) throw std::invalid_argument("bad date-time '" + std::string(whole) + "'");
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') throw std::invalid_argument("bad date-time '" + std::string(whole) + "'");
    v = v * 10 + (c - '0');
  }
  pos += n;
  return v;
}

void expect(std::string_view text, std::size_t& pos, char c, std::string_view whole) {
  if (pos >= text.size() || text[pos] != c) throw std::invalid_argument("bad date-time '" + std::string(whole) + "'");
  ++pos;
}

}  // namespace

start_offset parse_start_offset(std::string_view text) {
  if (text == "beginning" || text == "earliest") return {start_offset::kind::beginning, 0};
  if (text == "end" || text == "latest") return {start_offset::kind::end, 0};
  if (!text.empty() && text[0] == '@') {
    return {start_offset::kind::timestamp, parse_int(text.substr(1), "--offset @timestamp_ms")};
  }
  if (!text.empty() && text[0] == '-') {
    const auto n = parse_int(text.substr(1), "--offset -N");
    if (n < 0) throw std::invalid_argument("--offset -N: bad count '" + std::string(text) + "'");
    return {start_offset::kind::from_end, n};
  }
  const auto n = parse_int(text, "--offset (beginning|end|N|-N|@timestamp_ms)");
  return {start_offset::kind::absolute, n};
}

std::int64_t parse_datetime_ms(std::string_view text) {
  using namespace std::chrono;
  std::size_t pos = 0;
  const int year = digits(text, pos, 4, text);
  expect(text, pos, '-', text);
  const int month = digits(text, pos, 2, text);
  expect(text, pos, '-', text);
  const int day = digits(text, pos, 2, text);
  int hour = 0;
  int minute = 0;
  int second = 0;
  int millis = 0;
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == ' ')) {
    ++pos;
    hour = digits(text, pos, 2, text);
    expect(text, pos, ':', text);
    minute = digits(text, pos, 2, text);
    if (pos < text.size() && text[pos] == ':') {
      ++pos;
      second = digits(text, pos, 2, text);
      if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
        ++pos;
        int scale = 100;
        std::size_t n = 0;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
          if (n < 3) millis += (text[pos] - '0') * scale;
          scale /= 10;
          ++pos;
          ++n;
        }
        if (n == 0) throw std::invalid_argument("bad date-time '" + std::string(text) + "'");
      }
    }
  }
  int offset_minutes = 0;
  if (pos < text.size()) {
    const char z = text[pos];
    if (z == 'Z' || z == 'z') {
      ++pos;
    } else if (z == '+' || z == '-') {
      ++pos;
      const int oh = digits(text, pos, 2, text);
      if (pos < text.size() && text[pos] == ':') ++pos;
      const int om = digits(text, pos, 2, text);
      if (oh > 23 || om > 59) throw std::invalid_argument("bad zone offset in '" + std::string(text) + "'");
      offset_minutes = (z == '+' ? 1 : -1) * (oh * 60 + om);
    }
  }
  if (pos != text.size()) throw std::invalid_argument("bad date-time '" + std::string(text) + "'");
  const year_month_day ymd{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                           std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 60) {
    throw std::invalid_argument("bad date-time '" + std::string(text) + "'");
  }
  const auto tp =
      sys_days(ymd) + hours(hour) + minutes(minute) + seconds(second) + milliseconds(millis) - minutes(offset_minutes);
  return duration_cast<milliseconds>(tp.time_since_epoch()).count();
}

topic_selection parse_topic_selection(std::string_view text) {
  topic_selection out;
  const auto colon = text.rfind(':');
  out.topic = std::string(text.substr(0, colon));
  if (out.topic.empty()) throw std::invalid_argument("--topic: empty topic name in '" + std::string(text) + "'");
  if (colon == std::string_view::npos) return out;
  std::string_view rest = text.substr(colon + 1);
  while (true) {
    const auto comma = rest.find(',');
    const auto part = rest.substr(0, comma);
    const auto p = parse_int(part, "--topic T:P,P");
    if (p < 0 || p > INT32_MAX) throw std::invalid_argument("--topic: bad partition '" + std::string(part) + "'");
    out.partitions.push_back(static_cast<std::int32_t>(p));
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return out;
}

std::pair<std::string, std::string> parse_key_value(std::string_view text, std::string_view flag) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw std::invalid_argument(std::string(flag) + " expects key=value, got '" + std::string(text) + "'");
  }
  return {std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

std::int64_t reset_target(const reset_strategy& strategy, const partition_position& p) {
  std::int64_t target = 0;
  switch (strategy.how) {
    case reset_strategy::kind::earliest: target = p.log_start; break;
    case reset_strategy::kind::latest: target = p.log_end; break;
    case reset_strategy::kind::offset: target = strategy.value; break;
    case reset_strategy::kind::datetime: target = p.offset_for_time.value_or(p.log_end); break;
    case reset_strategy::kind::shift_by: target = p.committed.value_or(p.log_start) + strategy.value; break;
  }
  return std::clamp(target, p.log_start, std::max(p.log_start, p.log_end));
}

std::vector<reset_row> plan_reset(const reset_strategy& strategy, const std::vector<partition_position>& positions) {
  std::vector<reset_row> rows;
  rows.reserve(positions.size());
  for (const auto& p : positions) rows.push_back({p.topic, p.partition, p.committed, reset_target(strategy, p)});
  std::sort(rows.begin(), rows.end(), [](const reset_row& a, const reset_row& b) {
    return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
  });
  return rows;
}

std::optional<std::int64_t> lag(std::optional<std::int64_t> committed, std::int64_t log_end) {
  if (!committed) return std::nullopt;
  return std::max<std::int64_t>(0, log_end - *committed);
}

}  // namespace spate::cli
