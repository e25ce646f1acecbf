#include "metrics/process.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace spate::metrics {
namespace {

// Fields of /proc/self/stat after the command name (which may contain spaces and parentheses):
// index 0 is field 3 (state) of proc(5).
std::vector<std::string> stat_fields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return {};
  const auto close = line.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream rest(line.substr(close + 1));
  std::vector<std::string> fields;
  for (std::string f; rest >> f;) fields.push_back(f);
  return fields;
}

std::optional<double> boot_time_seconds() {
  std::ifstream in("/proc/stat");
  for (std::string key; in >> key;) {
    if (key == "btime") {
      double t = 0;
      if (in >> t) return t;
      return std::nullopt;
    }
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return std::nullopt;
}

std::optional<double> max_open_files() {
  std::ifstream in("/proc/self/limits");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Max open files", 0) == 0) {
      std::istringstream fields(line.substr(14));
      std::string soft;
      fields >> soft;
      if (soft == "unlimited") return std::nullopt;
      try {
        return std::stod(soft);
      } catch (const std::exception&) {
        return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

std::optional<double> open_files() {
  std::error_code ec;
  double n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++n;
  if (ec) return std::nullopt;
  return n;
}

}  // namespace

process_stats read_process_stats() {
  process_stats s;
  const auto f = stat_fields();
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  // proc(5): utime(14) stime(15) num_threads(20) starttime(22) vsize(23) rss(24).
  auto field = [&f](std::size_t number) -> std::optional<double> {
    if (number < 3 || number - 3 >= f.size()) return std::nullopt;
    try {
      return std::stod(f[number - 3]);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  };
  if (auto u = field(14), st = field(15); u && st && ticks > 0) s.cpu_seconds = (*u + *st) / ticks;
  s.threads = field(20);
  if (auto start = field(22), boot = boot_time_seconds(); start && boot && ticks > 0) {
    s.start_time_seconds = *boot + *start / ticks;
  }
  s.virtual_bytes = field(23);
  if (auto rss = field(24); rss && page > 0) s.resident_bytes = *rss * page;
  s.open_fds = open_files();
  s.max_fds = max_open_files();
  return s;
}

void collect_process_metrics(registry& reg) {
  auto one = [&reg](std::string_view name, std::optional<double> process_stats::*member) {
    reg.get(name).set_collector([member](sample_sink& sink) {
      if (auto v = read_process_stats().*member) sink.sample({}, *v);
    });
  };
  one(names::process_cpu_seconds_total, &process_stats::cpu_seconds);
  one(names::process_resident_memory_bytes, &process_stats::resident_bytes);
  one(names::process_virtual_memory_bytes, &process_stats::virtual_bytes);
  one(names::process_open_fds, &process_stats::open_fds);
  one(names::process_max_fds, &process_stats::max_fds);
  one(names::process_start_time_seconds, &process_stats::start_time_seconds);
  one(names::process_threads, &process_stats::threads);
}

}  // namespace spate::metrics
