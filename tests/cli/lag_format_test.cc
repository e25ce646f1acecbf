#include "cli/lag_format.h"

#include <gtest/gtest.h>

namespace spate::cli::lag_format {
namespace {

TEST(lag_format, parses_durations_with_one_or_more_units) {
  EXPECT_EQ(parse_duration("90s"), 90'000);
  EXPECT_EQ(parse_duration("15m"), 15 * 60'000);
  EXPECT_EQ(parse_duration("1h"), 3'600'000);
  EXPECT_EQ(parse_duration("2d"), 2 * 86'400'000LL);
  EXPECT_EQ(parse_duration("500ms"), 500);
  EXPECT_EQ(parse_duration("1h30m"), 5'400'000);
}

TEST(lag_format, rejects_what_is_not_a_positive_duration) {
  for (const char* bad : {"", "1", "h", "1x", "-1h", "0s", "1h ", "1.5h", "99999999999999h"}) {
    EXPECT_EQ(parse_duration(bad), std::nullopt) << bad;
  }
}

TEST(lag_format, prints_durations_with_at_most_two_units) {
  EXPECT_EQ(human_duration_ms(0), "0s");
  EXPECT_EQ(human_duration_ms(850), "850ms");
  EXPECT_EQ(human_duration_ms(42'000), "42s");
  EXPECT_EQ(human_duration_ms(190'000), "3m10s");
  EXPECT_EQ(human_duration_ms(180'000), "3m");
  EXPECT_EQ(human_duration_ms(2 * 3'600'000 + 5 * 60'000 + 7'000), "2h5m");
  EXPECT_EQ(human_duration_ms(3 * 86'400'000LL + 4 * 3'600'000), "3d4h");
  EXPECT_EQ(human_duration_ms(-1), "-");
  EXPECT_EQ(human_seconds(nlohmann::json(12.4)), "12s");
  EXPECT_EQ(human_seconds(nlohmann::json()), "-");
}

TEST(lag_format, renders_the_groups_table_under_the_cluster_line) {
  const auto groups = nlohmann::json::parse(R"({
    "cluster": "local", "taken_at_ms": 100000, "error": null, "sample_interval_ms": 10000,
    "groups": [{"group": "billing", "state": "Stable", "members": 2, "status": "SLOW",
                "reason": "lag grew 40 -> 90 over 10 samples", "status_since_ms": 40000, "total_lag": 90,
                "max_lag": 60, "max_time_lag_ms": 190000, "eta_seconds": null, "worst_partitions": ["orders-1"]},
               {"group": "audit", "state": "Empty", "members": 0, "status": "IDLE", "reason": "", "status_since_ms": 0,
                "total_lag": 0, "max_lag": 0, "max_time_lag_ms": 0, "eta_seconds": 42, "worst_partitions": []}]})");
  EXPECT_EQ(render_groups(groups, 103000),
            "cluster local  sampled 3s ago  every 10s\n"
            "GROUP    STATUS  OFFSET_LAG  TIME_LAG  ETA  STATE   MEMBERS  REASON\n"
            "billing  SLOW    90          3m10s     -    Stable  2        lag grew 40 -> 90 over 10 samples\n"
            "audit    IDLE    0           0s        42s  Empty   0\n");
}

TEST(lag_format, says_when_the_cluster_is_offline_or_has_no_groups) {
  const auto offline = nlohmann::json::parse(
      R"({"cluster": "remote", "taken_at_ms": 5000, "error": "cannot list consumer groups: Local: Timed out",
          "sample_interval_ms": 300, "groups": []})");
  EXPECT_EQ(render_groups(offline, 6000),
            "cluster remote  OFFLINE: cannot list consumer groups: Local: Timed out  (groups as last seen)  every "
            "300ms\n(no consumer groups)\n");
}

TEST(lag_format, renders_a_group_with_its_partitions_and_owners) {
  const auto group = nlohmann::json::parse(R"({
    "group": "billing", "state": "Stable", "members": 1, "status": "STALLED", "reason": "committed offset unchanged",
    "status_since_ms": 10000, "total_lag": 7, "max_lag": 7, "max_time_lag_ms": 65000, "eta_seconds": null,
    "worst_partitions": ["orders-0"],
    "partitions": [{"topic": "orders", "partition": 0, "status": "STALLED", "reason": "", "status_since_ms": 10000,
                    "committed_offset": 3, "commit_time_ms": -1, "log_start_offset": 0, "high_watermark": 10,
                    "last_stable_offset": 10, "end_offset": 10, "read_committed": false, "offset_lag": 7,
                    "time_lag_ms": 65000, "consume_rate": 0, "produce_rate": 1.25, "eta_seconds": null,
                    "owner": {"member_id": "m-1", "client_id": "app", "host": "/10.0.0.5"}, "fetch_position": -1},
                   {"topic": "orders", "partition": 1, "status": "OK", "reason": "", "status_since_ms": 0,
                    "committed_offset": -1, "commit_time_ms": -1, "log_start_offset": 0, "high_watermark": 0,
                    "last_stable_offset": 0, "end_offset": 0, "read_committed": false, "offset_lag": 0,
                    "time_lag_ms": 0, "consume_rate": 250.4, "produce_rate": 0, "eta_seconds": 3.2, "owner": null,
                    "fetch_position": -1}]})");
  EXPECT_EQ(
      render_group(group, 70000),
      "group billing  STALLED for 1m  state Stable  members 1\n"
      "  offset lag 7 (max 7)  time lag 1m5s  ETA -\n"
      "  reason: committed offset unchanged\n"
      "\n"
      "TOPIC   PARTITION  STATUS   COMMITTED  END  LAG  TIME_LAG  CONSUME_RATE  PRODUCE_RATE  ETA  OWNER\n"
      "orders  0          STALLED  3          10   7    1m5s      0.0           1.2           -    app@/10.0.0.5\n"
      "orders  1          OK       -          0    0    0s        250           0.0           3s   -\n");
}

TEST(lag_format, renders_history_points_and_gaps_in_utc) {
  const auto history = nlohmann::json::parse(R"({"group": "billing",
    "points": [{"at_ms": 1796457600000, "topic": "orders", "partition": 0, "committed_offset": 3, "end_offset": 10,
                "offset_lag": 7, "time_lag_ms": 1000, "consume_rate": 0, "produce_rate": 0, "status": "OK",
                "coarse": true}],
    "gaps": [{"from_ms": 1796457601000, "to_ms": 1796457661000, "error": "unreachable"}]})");
  EXPECT_EQ(
      render_history(history),
      "history of group billing\n"
      "AT_UTC               TOPIC   PARTITION  STATUS  COMMITTED  END  LAG  TIME_LAG  CONSUME_RATE  "
      "PRODUCE_RATE  RESOLUTION\n"
      "2026-12-05 08:00:00  orders  0          OK      3          10   7    1s        0.0           0.0           "
      "coarse\n"
      "\ngaps (cluster not sampled)\n"
      "  FROM_UTC             TO_UTC               ERROR\n"
      "  2026-12-05 08:00:01  2026-12-05 08:01:01  unreachable\n");
}

}  // namespace
}  // namespace spate::cli::lag_format
