#include "cli/admin_commands.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/admin_client.h"
#include "cli/json_cells.h"
#include "cli/table.h"

namespace spate::cli {
namespace {

struct admin_flags {
  admin_target admin;
  bool json = false;
};

// GETs `path` and returns its JSON; exits 1 with one line when that fails.
nlohmann::json fetch(const char* command, const admin_flags& flags, const std::string& path) {
  const auto target = resolve_admin_target(flags.admin);
  const auto& url = target.url;
  try {
    const auto result = http_get(target, path);
    auto body = nlohmann::json::parse(result.body, nullptr, false);
    if (result.status != 200 || body.is_discarded()) {
      const auto message = body.is_object() && body.contains("message") ? body["message"].dump() : result.body;
      std::fprintf(stderr, "spate %s: %s%s answered %d: %s\n", command, url_for_display(url).c_str(), path.c_str(),
                   result.status, message.c_str());
      std::exit(1);
    }
    return body;
  } catch (const admin_unreachable& e) {
    std::fprintf(stderr, "spate %s: cannot reach the admin API at %s: %s\n", command, url_for_display(url).c_str(),
                 e.what());
    std::exit(1);
  }
}

std::string bytes(const nlohmann::json& value) {
  if (!value.is_number()) return "-";
  auto n = value.get<double>();
  static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  std::size_t unit = 0;
  while (n >= 1024 && unit + 1 < std::size(units)) {
    n /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", value.get<std::uint64_t>()) : fmt::format("{:.1f} {}", n, units[unit]);
}

std::string duration(std::int64_t seconds) {
  const auto d = seconds / 86400, h = seconds / 3600 % 24, m = seconds / 60 % 60, s = seconds % 60;
  if (d > 0) return fmt::format("{}d {}h {}m {}s", d, h, m, s);
  if (h > 0) return fmt::format("{}h {}m {}s", h, m, s);
  if (m > 0) return fmt::format("{}m {}s", m, s);
  return fmt::format("{}s", s);
}

void print_pairs(const std::vector<std::pair<std::string, std::string>>& rows) {
  std::size_t width = 0;
  for (const auto& [key, value] : rows) width = std::max(width, key.size());
  for (const auto& [key, value] : rows) std::fputs(fmt::format("{:<{}}  {}\n", key, width, value).c_str(), stdout);
}

// A titled table, indented under its title; "(none)" when it has no row.
void print_table(const std::string& title, std::vector<std::string> header,
                 const std::vector<std::vector<std::string>>& rows) {
  std::string out = fmt::format("\n{}\n", title);
  if (rows.empty()) {
    out += "  (none)\n";
  } else {
    table t(std::move(header));
    for (const auto& row : rows) t.add_row(row);
    const auto rendered = t.render();
    for (std::size_t at = 0; at < rendered.size();) {
      const auto eol = rendered.find('\n', at);
      out += "  " + rendered.substr(at, eol + 1 - at);
      at = eol + 1;
    }
  }
  std::fputs(out.c_str(), stdout);
}

void print_status(const nlohmann::json& s) {
  const auto& usage = field(s, "usage");
  const auto& counts = field(s, "counts");
  const auto& recovery = field(s, "recovery");
  const auto& listeners = field(s, "listeners");
  std::vector<std::pair<std::string, std::string>> rows = {
      {"node id", text(field(s, "node_id"))},
      {"version", text(field(s, "version"))},
      {"cluster id", text(field(s, "cluster_id"))},
      {"uptime", field(s, "uptime_s").is_number() ? duration(field(s, "uptime_s").get<std::int64_t>()) : "-"},
      {"ready", text(field(s, "ready"))},
      {"kafka listener", text(field(listeners, "kafka"))},
      {"admin listener", text(field(listeners, "admin"))},
      {"data dir", text(field(s, "data_dir"))},
      {"log bytes", bytes(field(usage, "log_bytes"))},
      {"disk free",
       fmt::format("{} of {}", bytes(field(usage, "fs_free_bytes")), bytes(field(usage, "fs_total_bytes")))},
      {"topics", text(field(counts, "topics"))},
      {"partitions", text(field(counts, "partitions"))},
      {"groups", text(field(counts, "groups"))},
      {"connections", text(field(counts, "connections"))},
      {"recovery", fmt::format("{} (segments loaded {}, recovered {})", text(field(recovery, "state")),
                               text(field(recovery, "segments_loaded")), text(field(recovery, "segments_recovered")))},
  };
  if (const auto& cleaner = field(s, "cleaner"); cleaner.is_object()) {
    rows.emplace_back("log cleaner",
                      fmt::format("{} cleanings, {} read, {} records removed; max dirty ratio {} over {} partitions",
                                  text(field(cleaner, "cleanings")), bytes(field(cleaner, "bytes_read")),
                                  text(field(cleaner, "records_removed")), text(field(cleaner, "max_dirty_ratio")),
                                  field(cleaner, "partitions").size()));
  }
  if (const auto& quota = field(s, "disk_quota"); quota.is_object()) {
    const auto& limit = field(quota, "quota_bytes");
    rows.emplace_back(
        "disk quota",
        fmt::format("{} ({} used of {}, {:.1f}%; soft {}%, hard {}%); {} produce requests throttled, {} refused; {} "
                    "segments ({}) trimmed, {} groups lost unread records",
                    text(field(quota, "state")), bytes(field(quota, "used_bytes")),
                    limit.is_number() ? bytes(limit) : "the filesystem",
                    field(quota, "usage_percent").is_number() ? field(quota, "usage_percent").get<double>() : 0.0,
                    text(field(quota, "soft_pct")), text(field(quota, "hard_pct")),
                    text(field(quota, "throttled_produce_requests")), text(field(quota, "refused_produce_requests")),
                    text(field(quota, "trimmed_segments")), bytes(field(quota, "trimmed_bytes")),
                    field(quota, "groups_with_trimmed_unread").size()));
  }
  // Sections other modules add (lag...): one line each.
  static constexpr const char* built_in[] = {"node_id",  "version", "cluster_id", "uptime_s", "ready",   "listeners",
                                             "data_dir", "usage",   "counts",     "recovery", "cleaner", "disk_quota"};
  for (const auto& [name, value] : s.items()) {
    if (std::find(std::begin(built_in), std::end(built_in), name) == std::end(built_in))
      rows.emplace_back(name, value.dump());
  }
  print_pairs(rows);
}

std::string millis(const nlohmann::json& value) {
  return value.is_number() ? fmt::format("{:.3f}", value.get<double>()) : "-";
}

// How long ago a wall-clock time (ms since the epoch) was, e.g. "42s ago".
std::string ago(const nlohmann::json& value) {
  if (!value.is_number() || value.get<std::int64_t>() <= 0) return "-";
  const auto now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  return duration(std::max<std::int64_t>(0, (now - value.get<std::int64_t>()) / 1000)) + " ago";
}

void print_diag(const nlohmann::json& d) {
  std::vector<std::vector<std::string>> largest, slowest, errors;
  for (const auto& p : field(d, "largest_partitions")) {
    largest.push_back({text(field(p, "topic")), text(field(p, "partition")), bytes(field(p, "size_bytes"))});
  }
  for (const auto& r : field(d, "slowest_requests")) {
    slowest.push_back({text(field(r, "kind")), text(field(r, "count")), millis(field(r, "mean_ms")),
                       millis(field(r, "p99_ms")), millis(field(r, "max_ms"))});
  }
  for (const auto& e : field(d, "recent_errors")) {
    errors.push_back(
        {text(field(e, "kind")), text(field(e, "error")), text(field(e, "count")), ago(field(e, "last_ms"))});
  }
  print_table("Largest partitions", {"TOPIC", "PARTITION", "SIZE"}, largest);
  print_table("Slowest request kinds", {"KIND", "COUNT", "MEAN_MS", "P99_MS", "MAX_MS"}, slowest);
  print_table("Recent errors", {"KIND", "ERROR", "COUNT", "LAST"}, errors);
  if (const auto& quota = field(d, "disk_quota"); quota.is_object()) {
    std::vector<std::vector<std::string>> oldest, trims;
    for (const auto& seg : field(quota, "oldest_trimmable_segments")) {
      oldest.push_back(
          {text(field(seg, "topic")), text(field(seg, "partition")),
           fmt::format("{}-{}", text(field(seg, "base_offset")),
                       field(seg, "next_offset").is_number() ? field(seg, "next_offset").get<std::int64_t>() - 1 : 0),
           ago(field(seg, "max_timestamp")), bytes(field(seg, "bytes"))});
    }
    for (const auto& t : field(quota, "recent_trims")) {
      std::string groups;
      for (const auto& g : field(t, "groups_with_unread")) {
        groups += fmt::format("{}{}:{}", groups.empty() ? "" : ",", text(field(g, "group")),
                              text(field(g, "unread_records")));
      }
      trims.push_back(
          {ago(field(t, "time_ms")), text(field(t, "topic")), text(field(t, "partition")),
           fmt::format("{}-{}", text(field(t, "from_offset")),
                       field(t, "to_offset").is_number() ? field(t, "to_offset").get<std::int64_t>() - 1 : 0),
           bytes(field(t, "bytes")), groups.empty() ? "-" : groups});
    }
    print_table(fmt::format("Oldest trimmable segments (disk quota: {})", text(field(quota, "state"))),
                {"TOPIC", "PARTITION", "OFFSETS", "NEWEST_RECORD", "SIZE"}, oldest);
    print_table("Recent trims", {"WHEN", "TOPIC", "PARTITION", "OFFSETS", "SIZE", "GROUPS_LOSING_UNREAD"}, trims);
  }
}

void add_command(CLI::App& app, const char* name, const char* help, const char* path,
                 void (*print)(const nlohmann::json&)) {
  auto flags = std::make_shared<admin_flags>();
  auto* cmd = app.add_subcommand(name, help);
  add_admin_target_options(*cmd, flags->admin);
  cmd->add_flag("--json", flags->json, "Print the API's JSON");
  cmd->callback([flags, name, path, print] {
    const auto body = fetch(name, *flags, path);
    if (flags->json) {
      std::fputs((body.dump(2) + "\n").c_str(), stdout);
    } else {
      print(body);
    }
    std::fflush(stdout);
    std::exit(0);
  });
}

}  // namespace

void register_admin_commands(CLI::App& app) {
  add_command(app, "status", "Show a running broker's status (from its admin API)", "/v1/status", print_status);
  add_command(app, "diag", "Show a running broker's diagnostics: largest partitions, slow requests, errors", "/v1/diag",
              print_diag);
}

}  // namespace spate::cli
