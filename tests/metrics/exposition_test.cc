#include <gtest/gtest.h>

#include <string>

#include "metrics/broker_metrics.h"
#include "metrics/registry.h"

namespace spate::metrics {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& text, const std::string& fragment) { return text.find(fragment) != std::string::npos; }

request_labels test_labels() {
  return {
      [](std::int16_t key) { return key == 0 ? std::string("Produce") : "api" + std::to_string(key); },
      [](std::int16_t code) { return code == 3 ? std::string("UNKNOWN_TOPIC_OR_PARTITION") : std::to_string(code); }};
}

TEST(exposition, a_counter_has_help_type_and_one_sample_per_label_set) {
  registry reg;
  reg.get(names::topic_records_in_total).counter_for({"orders"}).inc(500);
  reg.get(names::topic_records_in_total).counter_for({"audit"}).inc();
  const auto text = reg.render_exposition();
  EXPECT_TRUE(contains(text,
                       "# HELP spate_topic_records_in_total Records appended by producers.\n"
                       "# TYPE spate_topic_records_in_total counter\n"
                       "spate_topic_records_in_total{topic=\"audit\"} 1\n"
                       "spate_topic_records_in_total{topic=\"orders\"} 500\n"))
      << text;
}

TEST(exposition, label_values_escape_backslash_quote_and_newline) {
  EXPECT_EQ(escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(escape_help("x\\y\nz\"q"), "x\\\\y\\nz\"q");
  registry reg;
  reg.get(names::consumer_groups).set_collector([](sample_sink& sink) { sink.sample({"we\"ird\n"}, 2); });
  EXPECT_TRUE(contains(reg.render_exposition(), "spate_consumer_groups{state=\"we\\\"ird\\n\"} 2\n"));
}

TEST(exposition, histogram_buckets_are_cumulative_and_end_with_inf_sum_and_count) {
  registry reg;
  auto& h = reg.get(names::storage_fsync_seconds).histogram_for({});
  h.observe(0.00005);  // first bucket (le=0.0001)
  h.observe(0.0001);   // bounds are inclusive
  h.observe(0.003);    // le=0.005
  h.observe(60);       // above every bound: +Inf only
  const auto text = reg.render_exposition();
  EXPECT_TRUE(contains(text, "# TYPE spate_storage_fsync_seconds histogram\n"));
  EXPECT_TRUE(contains(text, "spate_storage_fsync_seconds_bucket{le=\"0.0001\"} 2\n")) << text;
  EXPECT_TRUE(contains(text, "spate_storage_fsync_seconds_bucket{le=\"0.0025\"} 2\n"));
  EXPECT_TRUE(contains(text, "spate_storage_fsync_seconds_bucket{le=\"0.005\"} 3\n"));
  EXPECT_TRUE(contains(text, "spate_storage_fsync_seconds_bucket{le=\"10\"} 3\n"));
  EXPECT_TRUE(contains(text, "spate_storage_fsync_seconds_bucket{le=\"+Inf\"} 4\n"));
  EXPECT_TRUE(contains(text, "spate_storage_fsync_seconds_sum 60.00315\n")) << text;
  EXPECT_TRUE(contains(text, "spate_storage_fsync_seconds_count 4\n"));
}

TEST(exposition, histogram_labels_come_before_le) {
  registry reg;
  broker_metrics m(reg, test_labels());
  m.requests().record_request(0, 9, {1ms, 2ms, 0ms});
  const auto text = reg.render_exposition();
  EXPECT_TRUE(contains(text, "spate_requests_total{api=\"Produce\",version=\"9\"} 1\n")) << text;
  EXPECT_TRUE(contains(text, "spate_request_duration_seconds_bucket{api=\"Produce\",le=\"0.0025\"} 0\n"));
  EXPECT_TRUE(contains(text, "spate_request_duration_seconds_bucket{api=\"Produce\",le=\"0.005\"} 1\n"));
  EXPECT_TRUE(contains(text, "spate_request_handle_seconds_count{api=\"Produce\"} 1\n"));
  EXPECT_TRUE(contains(text, "spate_request_queue_seconds_sum{api=\"Produce\"} 0.001\n"));
}

TEST(exposition, errors_are_counted_by_api_and_kafka_error_name_and_success_is_not_an_error) {
  registry reg;
  broker_metrics m(reg, test_labels());
  m.requests().record_error(0, 3, 2);
  m.requests().record_error(0, 3);
  m.requests().record_error(0, 0);      // NONE
  m.requests().record_error(0, 30000);  // outside the table: ignored, never a crash
  m.requests().record_error(-5, 3);
  const auto text = reg.render_exposition();
  EXPECT_TRUE(contains(text, "spate_request_errors_total{api=\"Produce\",error=\"UNKNOWN_TOPIC_OR_PARTITION\"} 3\n"))
      << text;
  EXPECT_FALSE(contains(text, "error=\"0\""));
}

TEST(exposition, a_family_without_samples_is_left_out_and_families_follow_the_catalogue_order) {
  registry reg;
  reg.get(names::process_threads).set_collector([](sample_sink& sink) { sink.sample({}, 7); });
  reg.get(names::topic_partitions).set_collector([](sample_sink&) {});
  reg.get(names::requests_total).counter_for({"Fetch", "12"}).inc();
  const auto text = reg.render_exposition();
  EXPECT_FALSE(contains(text, "spate_topic_partitions"));
  EXPECT_LT(text.find("spate_requests_total"), text.find("process_threads 7\n"));
}

TEST(exposition, values_are_printed_as_prometheus_reads_them) {
  EXPECT_EQ(format_value(3), "3");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(1e300), "1e+300");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(exposition, wrong_label_counts_and_unknown_families_are_programming_errors) {
  registry reg;
  EXPECT_THROW(reg.get("spate_not_a_metric"), std::logic_error);
  EXPECT_THROW(reg.get(names::topic_bytes_in_total).counter_for({}), std::logic_error);
  EXPECT_THROW(reg.get(names::topic_bytes_in_total).gauge_for({"t"}), std::logic_error);
}

}  // namespace
}  // namespace spate::metrics
