// `spate lag [GROUP]`: the lag API (docs/lag-api: /v1/lag/...) as tables, JSON, history, or a
// view refreshed every sample interval.
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/admin_client.h"
#include "cli/lag_commands.h"
#include "cli/lag_format.h"

namespace spate::cli {
namespace {

struct lag_flags {
  std::string group;
  admin_target admin;
  std::string cluster;
  std::string history;
  bool watch = false;
  bool json = false;
};

// The API could not be read; what() is the one line to print.
class lag_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string percent_encode(const std::string& text) {
  std::string out;
  for (const unsigned char c : text) {
    if ((std::isalnum(c) != 0) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

class lag_api {
 public:
  explicit lag_api(const lag_flags& flags) : _target(resolve_admin_target(flags.admin)), _cluster(flags.cluster) {}

  nlohmann::json groups() const { return get("/v1/lag/groups" + query("")); }
  nlohmann::json group(const std::string& name) const {
    return get("/v1/lag/groups/" + percent_encode(name) + query(""));
  }
  nlohmann::json history(const std::string& name, std::int64_t from_ms, std::int64_t to_ms) const {
    return get("/v1/lag/groups/" + percent_encode(name) + "/history" +
               query(fmt::format("from={}&to={}", from_ms, to_ms)));
  }
  // The selected cluster's sample interval, for --watch.
  std::int64_t sample_interval_ms() const {
    const auto body = get("/v1/lag/clusters");
    for (const auto& c : body.value("clusters", nlohmann::json::array())) {
      if (_cluster.empty() || c.value("cluster", "") == _cluster) return c.value("sample_interval_ms", 10000);
    }
    return 10000;
  }

 private:
  std::string query(const std::string& params) const {
    std::string q = params;
    if (!_cluster.empty()) q += (q.empty() ? "" : "&") + std::string("cluster=") + percent_encode(_cluster);
    return q.empty() ? "" : "?" + q;
  }

  nlohmann::json get(const std::string& path) const {
    http_result result;
    try {
      result = http_get(_target, path);
    } catch (const admin_unreachable& e) {
      throw lag_error(fmt::format("cannot reach the admin API at {}: {}", url_for_display(_target.url), e.what()));
    }
    auto body = nlohmann::json::parse(result.body, nullptr, false);
    if (result.status == 200 && body.is_object()) return body;
    std::string message = result.body;
    if (body.is_object()) {
      for (const char* key : {"error", "message"}) {
        if (body.contains(key) && body[key].is_string()) message = body[key].get<std::string>();
      }
    }
    // The route table answers "no route ..." when no monitor is served.
    if (result.status == 404 && (message.empty() || message.rfind("no route", 0) == 0)) {
      throw lag_error(fmt::format("no lag monitor at {} (a broker with lag.enabled=false, or not spate)",
                                  url_for_display(_target.url)));
    }
    throw lag_error(fmt::format("{}{} answered {}: {}", url_for_display(_target.url), path, result.status, message));
  }

  admin_target _target;
  std::string _cluster;
};

// One rendering of what the flags ask for.
std::string render(const lag_flags& flags, const lag_api& api) {
  if (!flags.history.empty()) {
    const auto span = lag_format::parse_duration(flags.history).value_or(3'600'000);
    const auto now = now_ms();
    const auto history = api.history(flags.group, now - span, now);
    return flags.json ? history.dump(2) + "\n" : lag_format::render_history(history);
  }
  if (!flags.group.empty()) {
    const auto group = api.group(flags.group);
    return flags.json ? group.dump(2) + "\n" : lag_format::render_group(group, now_ms());
  }
  const auto groups = api.groups();
  return flags.json ? groups.dump(2) + "\n" : lag_format::render_groups(groups, now_ms());
}

[[noreturn]] void watch(const lag_flags& flags, const lag_api& api) {
  const bool terminal = isatty(STDOUT_FILENO) == 1;
  std::int64_t interval_ms = 10000;
  try {
    interval_ms = std::max<std::int64_t>(200, api.sample_interval_ms());
  } catch (const lag_error&) {  // the loop below shows the error and keeps trying
  }
  for (;;) {
    std::string out;
    try {
      out = render(flags, api);
    } catch (const lag_error& e) {
      out = fmt::format("spate lag: {}\n", e.what());
    }
    // On a terminal the view is redrawn in place (cursor home, clear screen); piped, each refresh
    // is appended, separated by a blank line.
    if (terminal) {
      out = "\x1b[H\x1b[2J" + out;
    } else {
      out += "\n";
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
  }
}

}  // namespace

void register_lag_command(CLI::App& app) {
  auto flags = std::make_shared<lag_flags>();
  auto* cmd = app.add_subcommand("lag", "Show consumer-group lag: every group, or one group's partitions (lag API)");
  cmd->add_option("GROUP", flags->group, "A consumer group: its partitions instead of the list of groups");
  add_admin_target_options(*cmd, flags->admin);
  cmd->add_option("--cluster", flags->cluster, "Cluster name, for a lag-monitor watching several (default: the first)");
  cmd->add_option("--history", flags->history, "With GROUP: the history of this last span, e.g. 15m, 1h, 2d")
      ->check([](const std::string& value) {
        return lag_format::parse_duration(value) ? std::string() : "expected a duration such as 90s, 15m, 1h, 2d";
      });
  cmd->add_flag("--watch", flags->watch, "Refresh every sample interval until Ctrl-C");
  cmd->add_flag("--json", flags->json, "Print the API's JSON");
  cmd->callback([flags] {
    if (!flags->history.empty() && flags->group.empty()) {
      throw CLI::ValidationError("--history", "needs a GROUP");
    }
    const lag_api api(*flags);
    if (flags->watch) watch(*flags, api);
    try {
      const auto out = render(*flags, api);
      std::fwrite(out.data(), 1, out.size(), stdout);
    } catch (const lag_error& e) {
      std::fprintf(stderr, "spate lag: %s\n", e.what());
      std::exit(1);
    }
    std::fflush(stdout);
    std::exit(0);
  });
}

}  // namespace spate::cli
