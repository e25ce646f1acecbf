#include "cli/lag_format.h"

#include <cctype>
#include <cmath>
#include <ctime>
#include <vector>

#include <fmt/format.h>

#include "cli/json_cells.h"
#include "cli/table.h"

namespace spate::cli::lag_format {
namespace {

// Offsets and lags: -1 means unknown in the API.
std::string offset(const nlohmann::json& value) {
  if (!value.is_number_integer() || value.get<std::int64_t>() < 0) return "-";
  return value.dump();
}

std::string rate(const nlohmann::json& value) {
  if (!value.is_number()) return "-";
  const auto r = value.get<double>();
  return r >= 100 ? fmt::format("{:.0f}", r) : fmt::format("{:.1f}", r);
}

std::string time_lag(const nlohmann::json& value) {
  if (!value.is_number()) return "-";
  return human_duration_ms(value.get<std::int64_t>());
}

// "for 3m10s" since a wall-clock time; "" when unknown.
std::string since(const nlohmann::json& value, std::int64_t now_ms) {
  if (!value.is_number_integer() || value.get<std::int64_t>() <= 0) return "";
  return "for " + human_duration_ms(std::max<std::int64_t>(0, now_ms - value.get<std::int64_t>()));
}

std::string owner(const nlohmann::json& o) {
  if (!o.is_object()) return "-";
  const auto client = text(field(o, "client_id"));
  const auto host = text(field(o, "host"));
  if (client != "-" && !client.empty()) return host != "-" && !host.empty() ? client + "@" + host : client;
  return text(field(o, "member_id"));
}

std::string indent(const std::string& block) {
  std::string out;
  for (std::size_t at = 0; at < block.size();) {
    const auto eol = block.find('\n', at);
    out += "  " + block.substr(at, eol + 1 - at);
    at = eol + 1;
  }
  return out;
}

std::string cluster_line(const nlohmann::json& g, std::int64_t now_ms) {
  const auto taken = field(g, "taken_at_ms");
  std::string line = "cluster " + text(field(g, "cluster"));
  const auto& error = field(g, "error");
  if (error.is_string() && !error.get<std::string>().empty()) {
    line += "  OFFLINE: " + error.get<std::string>();
    if (taken.is_number_integer() && taken.get<std::int64_t>() > 0) line += "  (groups as last seen)";
  } else if (taken.is_number_integer() && taken.get<std::int64_t>() > 0) {
    line += "  sampled " + human_duration_ms(std::max<std::int64_t>(0, now_ms - taken.get<std::int64_t>())) + " ago";
  } else {
    line += "  not sampled yet";
  }
  if (field(g, "sample_interval_ms").is_number()) {
    line += "  every " + human_duration_ms(field(g, "sample_interval_ms").get<std::int64_t>());
  }
  return line + "\n";
}

}  // namespace

std::optional<std::int64_t> parse_duration(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::int64_t total = 0;
  std::size_t at = 0;
  while (at < s.size()) {
    if (std::isdigit(static_cast<unsigned char>(s[at])) == 0) return std::nullopt;
    std::int64_t n = 0;
    while (at < s.size() && std::isdigit(static_cast<unsigned char>(s[at])) != 0) {
      if (n > 1'000'000'000) return std::nullopt;
      n = n * 10 + (s[at++] - '0');
    }
    std::size_t unit_end = at;
    while (unit_end < s.size() && std::isalpha(static_cast<unsigned char>(s[unit_end])) != 0) ++unit_end;
    const auto unit = s.substr(at, unit_end - at);
    std::int64_t scale = 0;
    if (unit == "ms")
      scale = 1;
    else if (unit == "s")
      scale = 1000;
    else if (unit == "m")
      scale = 60'000;
    else if (unit == "h")
      scale = 3'600'000;
    else if (unit == "d")
      scale = 86'400'000;
    else
      return std::nullopt;
    total += n * scale;
    at = unit_end;
  }
  if (total <= 0) return std::nullopt;
  return total;
}

std::string human_duration_ms(std::int64_t ms) {
  if (ms < 0) return "-";
  if (ms < 1000) return ms == 0 ? "0s" : fmt::format("{}ms", ms);
  const auto s = ms / 1000;
  const auto d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;
  auto two = [](std::int64_t a, const char* ua, std::int64_t b, const char* ub) {
    return b > 0 ? fmt::format("{}{}{}{}", a, ua, b, ub) : fmt::format("{}{}", a, ua);
  };
  if (d > 0) return two(d, "d", h, "h");
  if (h > 0) return two(h, "h", m, "m");
  if (m > 0) return two(m, "m", sec, "s");
  return fmt::format("{}s", sec);
}

std::string human_seconds(const nlohmann::json& seconds) {
  if (!seconds.is_number()) return "-";
  return human_duration_ms(std::llround(seconds.get<double>() * 1000));
}

std::string utc_time(std::int64_t ms) {
  const std::time_t t = ms / 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string render_groups(const nlohmann::json& g, std::int64_t now_ms) {
  std::string out = cluster_line(g, now_ms);
  const auto& groups = field(g, "groups");
  if (!groups.is_array() || groups.empty()) return out + "(no consumer groups)\n";
  table t({"GROUP", "STATUS", "OFFSET_LAG", "TIME_LAG", "ETA", "STATE", "MEMBERS", "REASON"});
  for (const auto& group : groups) {
    t.add_row({text(field(group, "group")), text(field(group, "status")), offset(field(group, "total_lag")),
               time_lag(field(group, "max_time_lag_ms")), human_seconds(field(group, "eta_seconds")),
               text(field(group, "state")), text(field(group, "members")), text(field(group, "reason"))});
  }
  return out + t.render();
}

std::string render_group(const nlohmann::json& group, std::int64_t now_ms) {
  auto status = text(field(group, "status"));
  if (const auto for_how_long = since(field(group, "status_since_ms"), now_ms); !for_how_long.empty()) {
    status += " " + for_how_long;
  }
  std::string out = fmt::format("group {}  {}  state {}  members {}\n", text(field(group, "group")), status,
                                text(field(group, "state")), text(field(group, "members")));
  out += fmt::format("  offset lag {} (max {})  time lag {}  ETA {}\n", offset(field(group, "total_lag")),
                     offset(field(group, "max_lag")), time_lag(field(group, "max_time_lag_ms")),
                     human_seconds(field(group, "eta_seconds")));
  const auto reason = text(field(group, "reason"));
  if (reason != "-" && !reason.empty()) out += "  reason: " + reason + "\n";
  const auto& partitions = field(group, "partitions");
  out += "\n";
  if (!partitions.is_array() || partitions.empty()) return out + "(no committed partitions)\n";
  table t({"TOPIC", "PARTITION", "STATUS", "COMMITTED", "END", "LAG", "TIME_LAG", "CONSUME_RATE", "PRODUCE_RATE", "ETA",
           "OWNER"});
  for (const auto& p : partitions) {
    t.add_row({text(field(p, "topic")), text(field(p, "partition")), text(field(p, "status")),
               offset(field(p, "committed_offset")), offset(field(p, "end_offset")), offset(field(p, "offset_lag")),
               time_lag(field(p, "time_lag_ms")), rate(field(p, "consume_rate")), rate(field(p, "produce_rate")),
               human_seconds(field(p, "eta_seconds")), owner(field(p, "owner"))});
  }
  return out + t.render();
}

std::string render_history(const nlohmann::json& history) {
  std::string out = fmt::format("history of group {}\n", text(field(history, "group")));
  const auto& points = field(history, "points");
  if (!points.is_array() || points.empty()) {
    out += "(no points)\n";
  } else {
    table t({"AT_UTC", "TOPIC", "PARTITION", "STATUS", "COMMITTED", "END", "LAG", "TIME_LAG", "CONSUME_RATE",
             "PRODUCE_RATE", "RESOLUTION"});
    for (const auto& p : points) {
      const auto& at = field(p, "at_ms");
      t.add_row({at.is_number_integer() ? utc_time(at.get<std::int64_t>()) : "-", text(field(p, "topic")),
                 text(field(p, "partition")), text(field(p, "status")), offset(field(p, "committed_offset")),
                 offset(field(p, "end_offset")), offset(field(p, "offset_lag")), time_lag(field(p, "time_lag_ms")),
                 rate(field(p, "consume_rate")), rate(field(p, "produce_rate")),
                 field(p, "coarse").is_boolean() && field(p, "coarse").get<bool>() ? "coarse" : "fine"});
    }
    out += t.render();
  }
  const auto& gaps = field(history, "gaps");
  if (gaps.is_array() && !gaps.empty()) {
    table t({"FROM_UTC", "TO_UTC", "ERROR"});
    for (const auto& gap : gaps) {
      const auto& from = field(gap, "from_ms");
      const auto& to = field(gap, "to_ms");
      t.add_row({from.is_number_integer() ? utc_time(from.get<std::int64_t>()) : "-",
                 to.is_number_integer() ? utc_time(to.get<std::int64_t>()) : "-", text(field(gap, "error"))});
    }
    out += "\ngaps (cluster not sampled)\n" + indent(t.render());
  }
  return out;
}

}  // namespace spate::cli::lag_format
