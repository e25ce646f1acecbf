#include "quota/client_quotas.h"

#include <gtest/gtest.h>

namespace spate::quota {
namespace {

using key = client_quota_key;
const std::optional<std::string> dflt{};
std::optional<std::string> named(std::string n) { return n; }

void set(client_quotas& q, client_entity e, std::string k, double v) {
  ASSERT_EQ(client_quotas::check(e, {{k, v, false}}), std::nullopt);
  q.apply(e, {{std::move(k), v, false}});
}

// Throttle after recording `amount` once, on a fresh table holding `e` = 1000/s.
std::int64_t throttle_with(client_entity e, std::string_view user, std::string_view client) {
  client_quotas q;
  set(q, e, "producer_byte_rate", 1000);
  return q.record(key::producer_byte_rate, user, client, 20000, 0);  // 2x the 10 s window's worth
}

TEST(ClientQuotas, NoQuotaNoThrottle) {
  client_quotas q;
  EXPECT_EQ(q.record(key::producer_byte_rate, "ANONYMOUS", "app", 1e12, 0), 0);
}

TEST(ClientQuotas, EveryLevelOfKafkasPrecedenceApplies) {
  const client_entity levels[] = {{named("u"), named("c")},   {named("u"), dflt},  {named("u"), std::nullopt},
                                  {dflt, named("c")},         {dflt, dflt},        {dflt, std::nullopt},
                                  {std::nullopt, named("c")}, {std::nullopt, dflt}};
  for (const auto& e : levels) EXPECT_GT(throttle_with(e, "u", "c"), 0);
  // Entities of other names do not apply.
  EXPECT_EQ(throttle_with({named("v"), std::nullopt}, "u", "c"), 0);
  EXPECT_EQ(throttle_with({std::nullopt, named("d")}, "u", "c"), 0);
}

TEST(ClientQuotas, TheMostSpecificEntityWins) {
  client_quotas q;
  set(q, {std::nullopt, named("c")}, "producer_byte_rate", 1);  // tiny, but less specific
  set(q, {named("u"), named("c")}, "producer_byte_rate", 1e9);
  EXPECT_EQ(q.record(key::producer_byte_rate, "u", "c", 1e6, 0), 0);
  EXPECT_GT(q.record(key::producer_byte_rate, "other", "c", 1e6, 0), 0);
}

TEST(ClientQuotas, ADefaultQuotaLimitsEachClientIdSeparately) {
  client_quotas q;
  set(q, {std::nullopt, dflt}, "producer_byte_rate", 1000);
  EXPECT_EQ(q.record(key::producer_byte_rate, "ANONYMOUS", "a", 9000, 0), 0);
  EXPECT_EQ(q.record(key::producer_byte_rate, "ANONYMOUS", "b", 9000, 0), 0);  // a's bytes are not b's
  EXPECT_GT(q.record(key::producer_byte_rate, "ANONYMOUS", "a", 2000, 0), 0);
}

TEST(ClientQuotas, KafkasRateAllowsTenSecondsOfBurstThenThrottlesProportionally) {
  client_quotas q;
  set(q, {std::nullopt, named("c")}, "producer_byte_rate", 1000);
  // The window is at least 10 s: 10,000 bytes at once is exactly the quota.
  EXPECT_EQ(q.record(key::producer_byte_rate, "u", "c", 10000, 0), 0);
  // 5,000 more: rate 1500/s over 10 s -> (1500 - 1000) / 1000 x 10 s = 5 s.
  EXPECT_EQ(q.record(key::producer_byte_rate, "u", "c", 5000, 0), 5000);
  // 11 s later every sample is obsolete: back within the quota.
  EXPECT_EQ(q.record(key::producer_byte_rate, "u", "c", 100, 11000), 0);
}

TEST(ClientQuotas, AClientBelowItsQuotaIsNeverThrottledAndOneAboveIs) {
  client_quotas q;
  set(q, {std::nullopt, named("c")}, "consumer_byte_rate", 1000);
  std::int64_t worst = 0;
  for (std::int64_t t = 0; t < 60000; t += 100)
    worst = std::max(worst, q.record(key::consumer_byte_rate, "u", "c", 90, t));
  EXPECT_EQ(worst, 0);
  // Twice the quota is throttled.
  std::int64_t last = 0;
  for (std::int64_t t = 60000; t < 120000; t += 100) last = q.record(key::consumer_byte_rate, "u", "c", 200, t);
  EXPECT_GT(last, 0);
}

TEST(ClientQuotas, ThrottleIfOverDoesNotRecord) {
  client_quotas q;
  set(q, {std::nullopt, named("c")}, "controller_mutation_rate", 1);
  EXPECT_EQ(q.throttle_if_over(key::controller_mutation_rate, "u", "c", 0), 0);
  EXPECT_EQ(q.record(key::controller_mutation_rate, "u", "c", 10, 0), 0);
  EXPECT_EQ(q.throttle_if_over(key::controller_mutation_rate, "u", "c", 0), 0);  // exactly at the bound
  EXPECT_GT(q.record(key::controller_mutation_rate, "u", "c", 1, 0), 0);
  EXPECT_GT(q.throttle_if_over(key::controller_mutation_rate, "u", "c", 0), 0);
}

TEST(ClientQuotas, CheckRefusesWhatKafkaRefuses) {
  const client_entity c{std::nullopt, named("c")};
  EXPECT_NE(client_quotas::check({}, {{"producer_byte_rate", 1, false}}), std::nullopt);
  EXPECT_NE(client_quotas::check(c, {{"bogus_rate", 1, false}}), std::nullopt);
  EXPECT_NE(client_quotas::check(c, {{"producer_byte_rate", 0, false}}), std::nullopt);
  EXPECT_NE(client_quotas::check(c, {{"producer_byte_rate", 1.5, false}}), std::nullopt);
  EXPECT_EQ(client_quotas::check(c, {{"request_percentage", 12.5, false}}), std::nullopt);
  EXPECT_EQ(client_quotas::check(c, {{"producer_byte_rate", 0, true}}), std::nullopt);
}

TEST(ClientQuotas, RemovingTheLastValueRemovesTheEntity) {
  client_quotas q;
  set(q, {std::nullopt, named("c")}, "producer_byte_rate", 10);
  q.apply({std::nullopt, named("c")}, {{"producer_byte_rate", 0, true}});
  EXPECT_TRUE(q.all().empty());
}

TEST(ClientQuotas, DescribeMatchesExactDefaultAndAnyAndStrict) {
  client_quotas q;
  set(q, {named("u"), named("c")}, "producer_byte_rate", 1);
  set(q, {std::nullopt, named("c")}, "producer_byte_rate", 2);
  set(q, {std::nullopt, dflt}, "consumer_byte_rate", 3);
  using m = entity_filter::match;
  EXPECT_EQ(q.describe({{"client-id", m::exact, "c"}}, false).size(), 2U);
  EXPECT_EQ(q.describe({{"client-id", m::exact, "c"}}, true).size(), 1U);
  EXPECT_EQ(q.describe({{"client-id", m::default_, ""}}, false).size(), 1U);
  EXPECT_EQ(q.describe({{"user", m::any, ""}}, false).size(), 1U);
  EXPECT_EQ(q.describe({}, false).size(), 3U);
  EXPECT_EQ(q.describe({}, true).size(), 0U);
}

TEST(ClientQuotas, JsonRoundTripKeepsNamesDefaultsAndAbsentComponents) {
  client_quotas q;
  set(q, {named("u"), dflt}, "request_percentage", 12.5);
  set(q, {std::nullopt, named("c")}, "producer_byte_rate", 1048576);
  client_quotas restored;
  ASSERT_TRUE(restored.load_json(q.to_json()));
  EXPECT_EQ(restored.all(), q.all());
  EXPECT_FALSE(restored.load_json("{\"version\":1,\"entities\":[{\"values\":{\"producer_byte_rate\":1}}]}"));
  EXPECT_FALSE(restored.load_json("not json"));
  EXPECT_EQ(restored.all(), q.all());  // unchanged by a refused document
}

}  // namespace
}  // namespace spate::quota
