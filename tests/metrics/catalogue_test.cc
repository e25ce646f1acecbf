#include <gtest/gtest.h>

#include <set>
#include <string>

#include "metrics/broker_metrics.h"
#include "metrics/catalogue.h"
#include "metrics/process.h"
#include "metrics/registry.h"

namespace spate::metrics {
namespace {

std::set<std::string> catalogue_names() {
  std::set<std::string> names;
  for (const auto& f : catalogue()) names.emplace(f.name);
  return names;
}

TEST(catalogue, the_broker_registers_exactly_the_families_of_the_catalogue) {
  registry reg;
  broker_metrics m(reg, {[](std::int16_t) { return std::string("x"); }, [](std::int16_t) { return std::string("y"); }});
  const auto registered = reg.family_names();
  EXPECT_EQ(std::set<std::string>(registered.begin(), registered.end()), catalogue_names());
  EXPECT_EQ(registered.size(), catalogue().size());  // no family registered twice
}

TEST(catalogue, names_follow_prometheus_conventions) {
  for (const auto& f : catalogue()) {
    const std::string name(f.name);
    EXPECT_TRUE(name.starts_with("spate_") || name.starts_with("process_")) << name;
    EXPECT_EQ(f.type == metric_type::counter, name.ends_with("_total")) << name;
    if (!f.unit.empty()) {
      EXPECT_NE(name.find("_" + std::string(f.unit)), std::string::npos) << name;
    }
    EXPECT_EQ(f.type == metric_type::histogram, !f.buckets.empty()) << name;
    for (std::size_t i = 1; i < f.buckets.size(); ++i) EXPECT_LT(f.buckets[i - 1], f.buckets[i]) << name;
    EXPECT_FALSE(f.help.empty()) << name;
    EXPECT_EQ(f.help.find('|'), std::string_view::npos) << name;  // the docs table
  }
  EXPECT_EQ(catalogue_names().size(), catalogue().size());
}

TEST(catalogue, the_docs_page_has_a_row_per_family_with_its_jmx_equivalent) {
  const auto page = metrics_markdown();
  for (const auto& f : catalogue()) EXPECT_NE(page.find("| `" + std::string(f.name) + "` |"), std::string::npos);
  EXPECT_NE(page.find("kafka.server:type=BrokerTopicMetrics,name=MessagesInPerSec"), std::string::npos);
}

TEST(process_metrics, are_read_from_proc_self) {
  const auto s = read_process_stats();
  ASSERT_TRUE(s.threads && s.open_fds && s.resident_bytes && s.cpu_seconds && s.start_time_seconds);
  EXPECT_GE(*s.threads, 1);
  EXPECT_GE(*s.open_fds, 3);
  EXPECT_GT(*s.resident_bytes, 0);
  EXPECT_GT(*s.start_time_seconds, 1.6e9);
  registry reg;
  collect_process_metrics(reg);
  const auto text = reg.render_exposition();
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("\nprocess_open_fds "), std::string::npos);
}

}  // namespace
}  // namespace spate::metrics
