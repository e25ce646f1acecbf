#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "metrics/broker_metrics.h"
#include "metrics/registry.h"

namespace spate::metrics {
namespace {

using namespace std::chrono_literals;

constexpr int threads = 8;
constexpr int per_thread = 20000;

TEST(concurrency, many_threads_incrementing_one_counter_lose_no_increment) {
  registry reg;
  auto& c = reg.get(names::topic_records_in_total).counter_for({"t"});
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&c] {
      for (int i = 0; i < per_thread; ++i) c.inc();
    });
  }
  for (auto& w : workers) w.join();
  EXPECT_EQ(c.value(), std::uint64_t{threads} * per_thread);
}

TEST(concurrency, racing_first_requests_create_one_series_and_totals_are_exact_while_rendering) {
  registry reg;
  broker_metrics m(reg, {[](std::int16_t key) { return "api" + std::to_string(key); },
                         [](std::int16_t code) { return "E" + std::to_string(code); }});
  std::atomic<bool> done{false};
  std::thread scraper([&] {
    while (!done.load()) (void)reg.render_exposition();
  });
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&m, t] {
      for (int i = 0; i < per_thread; ++i) {
        const auto key = static_cast<std::int16_t>(i % 3);
        m.requests().record_request(key, static_cast<std::int16_t>(t % 2), {1us, 2us, 3us});
        m.requests().record_error(key, 7);
        m.storage().fsync_seconds->observe(0.001);
      }
    });
  }
  for (auto& w : workers) w.join();
  done = true;
  scraper.join();

  auto& requests = reg.get(names::requests_total);
  std::uint64_t total = 0;
  for (int key = 0; key < 3; ++key) {
    for (int v = 0; v < 2; ++v) total += requests.counter_for({"api" + std::to_string(key), std::to_string(v)}).value();
  }
  EXPECT_EQ(total, std::uint64_t{threads} * per_thread);
  std::uint64_t errors = 0;
  for (int key = 0; key < 3; ++key) {
    errors += reg.get(names::request_errors_total).counter_for({"api" + std::to_string(key), "E7"}).value();
  }
  EXPECT_EQ(errors, std::uint64_t{threads} * per_thread);
  const auto text = reg.render_exposition();
  EXPECT_NE(text.find("spate_storage_fsync_seconds_count " + std::to_string(threads * per_thread) + "\n"),
            std::string::npos);
  std::uint64_t histogram_count = 0;
  for (int key = 0; key < 3; ++key) {
    auto counts = reg.get(names::request_duration_seconds).histogram_for({"api" + std::to_string(key)}).bucket_counts();
    for (auto c : counts) histogram_count += c;
  }
  EXPECT_EQ(histogram_count, std::uint64_t{threads} * per_thread);
}

}  // namespace
}  // namespace spate::metrics
