// lag_store_bench: what the lag history store costs the monitor. Simulates `--groups` consumer
// groups of `--partitions` partitions each, a fraction `--active` of them consuming (a fine row
// every tick) and the rest idle (a coarse row every 5 minutes), for `--hours` of ticks every
// `--interval-ms`, on a real file with the store's production settings (WAL,
// synchronous=NORMAL). Prints one JSON object: record() wall time per tick (mean, p50, p99, max)
// and the database growth per simulated hour (main file + WAL), then one housekeeping pass that
// downsamples the first half of the span.
//
//   lag_store_bench [--groups 1000] [--partitions 10] [--active 0.2] [--hours 1]
//                   [--interval-ms 10000] [--dir .]
// Writes ./lag_store_bench-XXXXXX/lag.db under --dir (the repository's disk, not a tmpfs) and
// removes it at the end.
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "json_out.h"
#include "lag/history_store.h"

namespace {

using spate::lag::millis;
using spate::lag::status;

struct options {
  int groups = 1000;
  int partitions = 10;
  double active = 0.2;
  double hours = 1;
  millis interval_ms = 10'000;
  std::string dir = ".";
};

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--groups") {
      o.groups = std::atoi(v);
    } else if (k == "--partitions") {
      o.partitions = std::atoi(v);
    } else if (k == "--active") {
      o.active = std::atof(v);
    } else if (k == "--hours") {
      o.hours = std::atof(v);
    } else if (k == "--interval-ms") {
      o.interval_ms = std::atoll(v);
    } else if (k == "--dir") {
      o.dir = v;
    } else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      std::exit(2);
    }
  }
  return o;
}

// The view the evaluator would hand the store: every partition of every group, the active ones
// with moving offsets and status OK, the others IDLE and unchanged. The first `active` fraction
// of each group's partitions is active, so every group has some of both when partitions allow.
spate::lag::tick_result make_view(const options& o, millis at, std::int64_t tick) {
  spate::lag::tick_result r;
  r.view.cluster = "bench";
  r.view.taken_at_ms = at;
  r.view.groups.reserve(static_cast<std::size_t>(o.groups));
  const int active_per_group = static_cast<int>(o.partitions * o.active + 0.5);
  for (int g = 0; g < o.groups; ++g) {
    spate::lag::group_view gv;
    gv.group = "consumer-group-" + std::to_string(g);
    gv.state = "Stable";
    gv.members = 1;
    gv.current = active_per_group > 0 ? status::ok : status::idle;
    for (int p = 0; p < o.partitions; ++p) {
      const bool active = p < active_per_group;
      spate::lag::partition_view pv;
      pv.facts.topic = "topic-" + std::to_string(g % 50);
      pv.facts.partition = p;
      pv.facts.log_start_offset = 1'000'000;
      pv.facts.committed_offset = 5'000'000 + (active ? tick * 1000 : 0);
      pv.facts.end_offset = pv.facts.committed_offset + (active ? 120 : 0);
      pv.offset_lag = active ? 120 : 0;
      pv.time_lag_ms = active ? 850 : 0;
      pv.consume_rate = active ? 100.0 + p : 0;
      pv.produce_rate = active ? 101.5 : 0;
      pv.current = active ? status::ok : status::idle;
      pv.reason = active ? "consuming, lag 120 records" : "nothing to read";
      pv.status_since_ms = 0;
      gv.partitions.push_back(std::move(pv));
    }
    r.view.groups.push_back(std::move(gv));
  }
  return r;
}

// Bytes this process handed to write(2)/pwrite(2) so far: the WAL and the checkpoints into the
// main file, i.e. what the store costs the disk.
std::int64_t written_bytes() {
  std::FILE* f = std::fopen("/proc/self/io", "r");
  if (!f) return -1;
  char line[128];
  std::int64_t wchar = -1;
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, "wchar:", 6) == 0) wchar = std::atoll(line + 6);
  }
  std::fclose(f);
  return wchar;
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse(argc, argv);
  std::string tmpl = (std::filesystem::path(o.dir) / "lag_store_bench-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::filesystem::path dir = tmpl;
  spate::lag::store_config config;
  config.file = dir / "lag.db";
  // So that the one housekeeping pass at the end downsamples the first half of the simulated span:
  // the cost of an hour's downsampling is that pass divided by half the hours.
  config.fine_retention_ms = static_cast<millis>(o.hours * 3'600'000 / 2);
  std::string error;
  auto store = spate::lag::history_store::open(config, error);
  if (!store) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }

  const millis start = 1'760'000'000'000;
  // The first tick interns every partition and writes a row for each: measured apart.
  auto first = make_view(o, start, 0);
  auto t0 = std::chrono::steady_clock::now();
  if (!store->record(first, error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  const double first_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const std::uint64_t bytes_before = store->file_bytes();
  const std::int64_t written_before = written_bytes();

  const auto ticks = static_cast<std::int64_t>(o.hours * 3'600'000 / static_cast<double>(o.interval_ms));
  std::vector<double> ms;
  ms.reserve(static_cast<std::size_t>(ticks));
  double build_ms = 0;
  for (std::int64_t i = 1; i <= ticks; ++i) {
    const auto b = std::chrono::steady_clock::now();
    auto view = make_view(o, start + i * o.interval_ms, i);
    const auto s = std::chrono::steady_clock::now();
    if (!store->record(view, error)) {
      std::fprintf(stderr, "%s\n", error.c_str());
      return 1;
    }
    const auto e = std::chrono::steady_clock::now();
    build_ms += std::chrono::duration<double, std::milli>(s - b).count();
    ms.push_back(std::chrono::duration<double, std::milli>(e - s).count());
  }
  const std::uint64_t bytes_after = store->file_bytes();
  const std::int64_t written = written_bytes() - written_before;
  store.reset();  // closing moves the WAL into the main file: its size is what the rows take
  std::error_code ec;
  const std::uint64_t main_after_close = std::filesystem::file_size(config.file, ec);

  // Reopened (as after a restart), one housekeeping pass downsamples the first half of the span.
  const auto h0 = std::chrono::steady_clock::now();
  store = spate::lag::history_store::open(config, error);
  if (!store) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  const double reopen_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - h0).count();
  const auto h1 = std::chrono::steady_clock::now();
  store->housekeep(start + ticks * o.interval_ms);
  const double housekeeping_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - h1).count();
  store.reset();
  const std::uint64_t main_after_housekeeping = std::filesystem::file_size(config.file, ec);

  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  auto pct = [&](double q) {
    return sorted.empty() ? 0.0 : sorted[std::min(sorted.size() - 1, static_cast<std::size_t>(q * sorted.size()))];
  };
  double sum = 0;
  for (double v : ms) sum += v;
  const double hours = static_cast<double>(ticks) * static_cast<double>(o.interval_ms) / 3'600'000;
  const std::int64_t partitions = static_cast<std::int64_t>(o.groups) * o.partitions;

  spate_bench::json_object settings;
  settings.integer("groups", o.groups)
      .integer("partitions_per_group", o.partitions)
      .integer("partitions", partitions)
      .num("active_fraction", o.active)
      .integer("interval_ms", o.interval_ms)
      .integer("ticks", ticks)
      .str("durability", "WAL, synchronous=NORMAL (store defaults)");
  spate_bench::json_object record;
  record.fixed("first_tick_ms", first_ms, 2)
      .fixed("mean_ms", ticks ? sum / static_cast<double>(ticks) : 0, 3)
      .fixed("p50_ms", pct(0.5), 3)
      .fixed("p99_ms", pct(0.99), 3)
      .fixed("max_ms", sorted.empty() ? 0 : sorted.back(), 3)
      .fixed("written_mb_per_tick", ticks ? static_cast<double>(written) / 1e6 / static_cast<double>(ticks) : 0, 3)
      .fixed("view_build_mean_ms", ticks ? build_ms / static_cast<double>(ticks) : 0, 3);
  spate_bench::json_object growth;
  const double grown = static_cast<double>(main_after_close) - static_cast<double>(bytes_before);
  growth.integer("bytes_after_first_tick", static_cast<std::int64_t>(bytes_before))
      .integer("bytes_at_end_incl_wal", static_cast<std::int64_t>(bytes_after))
      .integer("main_file_bytes_after_close", static_cast<std::int64_t>(main_after_close))
      .fixed("mb_per_hour", hours > 0 ? grown / hours / 1e6 : 0, 2)
      .fixed("bytes_per_partition_per_hour", hours > 0 ? grown / hours / static_cast<double>(partitions) : 0, 1);
  spate_bench::json_object housekeeping;
  housekeeping.fixed("downsampled_hours", hours / 2, 2)
      .fixed("ms", housekeeping_ms, 1)
      .fixed("ms_per_downsampled_hour", hours > 0 ? housekeeping_ms / (hours / 2) : 0, 1)
      .fixed("reopen_ms", reopen_ms, 1)
      .integer("main_file_bytes_after", static_cast<std::int64_t>(main_after_housekeeping));
  spate_bench::json_object out;
  out.str("bench", "lag_store")
      .boolean("ok", true)
      .object("settings", settings)
      .object("record", record)
      .object("growth", growth)
      .object("housekeeping", housekeeping);
  std::printf("%s\n", out.dump().c_str());
  std::filesystem::remove_all(dir, ec);
  return 0;
}
