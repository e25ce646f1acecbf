#include "lag/evaluator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace spate::lag {
namespace {

constexpr millis start_ms = 1'700'000'000'000;

partition_facts part(std::string topic, std::int32_t partition, std::int64_t committed, std::int64_t end,
                     millis first_unconsumed_ms = -1) {
  partition_facts f;
  f.topic = std::move(topic);
  f.partition = partition;
  f.committed_offset = committed;
  f.log_start_offset = 0;
  f.high_watermark = end;
  f.last_stable_offset = end;
  f.end_offset = end;
  f.first_unconsumed_timestamp_ms = committed < end ? first_unconsumed_ms : -1;
  return f;
}

member_facts member(std::string id) { return {id, "rdkafka", "10.0.0.1", -1}; }

group_facts group(std::string name, std::vector<member_facts> members, std::vector<partition_facts> partitions) {
  group_facts g;
  g.group = std::move(name);
  g.state = members.empty() ? "Empty" : "Stable";
  g.members = std::move(members);
  for (auto& p : partitions) {
    if (!g.members.empty()) {
      p.owner_member_id = g.members.front().member_id;
      p.owner_client_id = g.members.front().client_id;
      p.owner_host = g.members.front().host;
    }
  }
  g.partitions = std::move(partitions);
  return g;
}

// Drives an evaluator one tick (one second by default) at a time.
struct driver {
  explicit driver(evaluator_config config = {5, 2}) : ev(config) {}
  evaluator ev;
  millis now = start_ms;
  millis step_ms = 1000;
  tick_result last;

  const tick_result& tick(std::vector<group_facts> groups) {
    now += step_ms;
    cluster_facts facts;
    facts.cluster = "local";
    facts.taken_at_ms = now;
    facts.groups = std::move(groups);
    last = ev.update(facts);
    return last;
  }
  const group_view& g(std::size_t i = 0) const { return last.view.groups.at(i); }
  const partition_view& p(std::size_t i = 0) const { return g().partitions.at(i); }
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(LagEvaluator, KeepingUpIsOkWithZeroLag) {
  driver d;
  for (int i = 0; i < 20; ++i) {
    const std::int64_t end = 100 * (i + 1);
    d.tick({group("g", {member("m1")}, {part("t", 0, end, end)})});
    EXPECT_EQ(d.p().current, status::ok) << i << " " << d.p().reason;
    EXPECT_EQ(d.g().current, status::ok);
    EXPECT_EQ(d.p().offset_lag, 0);
    EXPECT_EQ(d.p().time_lag_ms, 0);
    EXPECT_TRUE(d.last.transitions.empty());
  }
  EXPECT_DOUBLE_EQ(d.p().consume_rate, 100);
  EXPECT_DOUBLE_EQ(d.p().produce_rate, 100);
  EXPECT_FALSE(d.p().eta_seconds.has_value());
  EXPECT_EQ(d.p().reason, "consuming 100 rec/s, caught up");
}

TEST(LagEvaluator, IdleTopicWithAStoppedConsumerThatReadEverythingIsIdleNeverStopped) {
  driver d;
  for (int i = 0; i < 100; ++i) {
    d.tick({group("g", {}, {part("t", 0, 500, 500), part("t", 1, 70, 70)}),
            group("alive", {member("m")}, {part("t", 0, 500, 500)})});
    EXPECT_NE(d.g().current, status::stopped);
    EXPECT_NE(d.g(1).current, status::stalled);
    for (const auto& t : d.last.transitions) EXPECT_NE(t.to, status::stopped);
    if (i >= 2) {
      EXPECT_EQ(d.g().current, status::idle) << i << " " << d.g().reason;
      EXPECT_EQ(d.p(1).current, status::idle);
      EXPECT_EQ(d.g(1).current, status::idle);
    }
  }
  EXPECT_TRUE(contains(d.p().reason, "nothing new to read")) << d.p().reason;
  EXPECT_EQ(d.g().total_lag, 0);
}

TEST(LagEvaluator, GroupThatEmptiesWithLagIsStoppedAtOnceAndItsTimeLagGrows) {
  driver d;
  std::int64_t end = 0;
  for (int i = 0; i < 5; ++i) {
    end += 100;
    d.tick({group("g", {member("m1")}, {part("t", 0, end, end)})});
  }
  ASSERT_EQ(d.g().current, status::ok);
  const std::int64_t committed = end;
  const millis first_unconsumed = d.now + 10;  // the first record produced after the last commit
  millis previous_time_lag = 0;
  for (int i = 0; i < 6; ++i) {
    end += 100;
    d.tick({group("g", {}, {part("t", 0, committed, end, first_unconsumed)})});
    EXPECT_EQ(d.p().current, status::stopped) << i << " " << d.p().reason;
    EXPECT_EQ(d.g().current, status::stopped);
    EXPECT_EQ(d.p().offset_lag, end - committed);
    EXPECT_EQ(d.p().time_lag_ms, d.now - first_unconsumed);
    EXPECT_GT(d.p().time_lag_ms, previous_time_lag);
    previous_time_lag = d.p().time_lag_ms;
    if (i == 0) {
      ASSERT_EQ(d.last.transitions.size(), 2u);  // the partition's and the group's
      EXPECT_EQ(d.last.transitions[1].partition, -1);
      EXPECT_EQ(d.last.transitions[1].from, status::ok);
      EXPECT_EQ(d.last.transitions[1].to, status::stopped);
      ASSERT_EQ(d.last.membership_changes.size(), 1u);
      EXPECT_FALSE(d.last.membership_changes[0].joined);
      EXPECT_EQ(d.g().status_since_ms, d.now);
    } else {
      EXPECT_TRUE(d.last.transitions.empty());
    }
  }
  EXPECT_EQ(d.p().reason, "no live member; 600 records behind, oldest unconsumed record 6 s old");
}

TEST(LagEvaluator, ResumedConsumerIsRecoveringWhileLagShrinksThenOk) {
  driver d;
  std::int64_t end = 1000;
  d.tick({group("g", {member("m1")}, {part("t", 0, end, end)})});
  for (int i = 0; i < 10; ++i) {
    end += 100;
    d.tick({group("g", {}, {part("t", 0, 1000, end, d.now - 500)})});
  }
  ASSERT_EQ(d.g().current, status::stopped);
  // A new member reads 300 rec/s while 100 rec/s are produced: 1000 records behind, 200 shrink a second.
  std::int64_t committed = 1000;
  std::vector<status> seen;
  for (int i = 0; i < 12; ++i) {
    end += 100;
    committed = std::min(end, committed + 300);
    d.tick({group("g", {member("m2")}, {part("t", 0, committed, end, d.now - 500)})});
    seen.push_back(d.p().current);
    if (i == 0) {
      ASSERT_EQ(d.last.membership_changes.size(), 1u);
      EXPECT_TRUE(d.last.membership_changes[0].joined);
      EXPECT_EQ(d.last.membership_changes[0].member_id, "m2");
    }
  }
  // STOPPED holds one tick (hysteresis), then RECOVERING until caught up, then OK.
  EXPECT_EQ(seen[0], status::stopped);
  EXPECT_EQ(seen[1], status::recovering);
  EXPECT_EQ(seen.back(), status::ok);
  const auto first_ok = std::find(seen.begin(), seen.end(), status::ok);
  ASSERT_NE(first_ok, seen.end());
  EXPECT_TRUE(std::all_of(seen.begin() + 1, first_ok, [](status s) { return s == status::recovering; }));
  EXPECT_TRUE(std::all_of(first_ok, seen.end(), [](status s) { return s == status::ok; }));
}

TEST(LagEvaluator, RecoveringReasonGivesTheShrinkAndEta) {
  driver d;
  std::int64_t end = 2000;
  d.tick({group("g", {}, {part("t", 0, 0, end, d.now)})});
  ASSERT_EQ(d.p().current, status::stopped);
  std::int64_t committed = 0;
  for (int i = 0; i < 3; ++i) {
    end += 50;
    committed += 250;
    d.tick({group("g", {member("m")}, {part("t", 0, committed, end, d.now - 100)})});
  }
  ASSERT_EQ(d.p().current, status::recovering) << d.p().reason;
  // Window since the resume: lag 2000 -> 1400 in 3 s, 200 rec/s net: 7 s to go.
  EXPECT_EQ(d.p().reason, "lag shrinking 2000 -> 1400 records, ETA 7 s");
}

TEST(LagEvaluator, ConsumerSlowerThanProducerIsSlowWithTheRateGap) {
  driver d({5, 2});
  std::int64_t committed = 0;
  std::int64_t end = 100;
  std::vector<status> seen;
  for (int i = 0; i < 10; ++i) {
    committed += 50;
    end += 65;
    d.tick({group("g", {member("m")}, {part("t", 0, committed, end, d.now - 2000)})});
    seen.push_back(d.p().current);
  }
  EXPECT_EQ(seen[0], status::ok);
  EXPECT_EQ(seen[1], status::ok);  // raw SLOW for one tick only: hysteresis
  EXPECT_EQ(seen[2], status::slow);
  EXPECT_EQ(d.p().current, status::slow);
  EXPECT_EQ(d.g().current, status::slow);
  EXPECT_EQ(d.p().reason,
            "lag grew 190 -> 250 records in 4 s: consuming 50 rec/s vs producing 65 rec/s; not catching up");
  EXPECT_FALSE(d.p().eta_seconds.has_value());
  EXPECT_EQ(d.g().worst_partitions, std::vector<std::string>{"t-0"});
}

TEST(LagEvaluator, CatchingUpGivesAnEtaThatShrinksAndMatchesTheTrueCatchUpTime) {
  driver d({5, 2});
  std::int64_t committed = 0;
  std::int64_t end = 3000;
  std::vector<std::pair<double, std::int64_t>> etas;  // (eta, lag) per tick
  for (int i = 0; i < 40 && committed < end; ++i) {
    committed = std::min(end + 10, committed + 60);
    end += 10;
    committed = std::min(committed, end);
    d.tick({group("g", {member("m")}, {part("t", 0, committed, end, d.now - 1000)})});
    if (d.p().eta_seconds) etas.emplace_back(*d.p().eta_seconds, d.p().offset_lag);
  }
  ASSERT_GT(etas.size(), 20u);
  for (std::size_t i = 1; i < etas.size(); ++i) {
    EXPECT_LT(etas[i].first, etas[i - 1].first);
    // The true time left: lag / (60 - 10) seconds.
    const double truth = static_cast<double>(etas[i].second) / 50.0;
    EXPECT_NEAR(etas[i].first, truth, truth * 0.05 + 0.5);
  }
  ASSERT_TRUE(d.g().eta_seconds.has_value() || d.p().offset_lag == 0);
}

TEST(LagEvaluator, MembersAliveButCommittedStuckIsStalled) {
  driver d({5, 2});
  std::int64_t end = 1000;
  d.tick({group("g", {member("m")}, {part("t", 0, 1000, end)})});
  for (int i = 0; i < 8; ++i) {
    end += 10;
    d.tick({group("g", {member("m")}, {part("t", 0, 1000, end, start_ms)})});
  }
  EXPECT_EQ(d.p().current, status::stalled) << d.p().reason;
  EXPECT_EQ(d.g().current, status::stalled);
  EXPECT_EQ(d.p().reason, "committed offset 1000 unchanged for 4 s while 80 records wait (owner rdkafka@10.0.0.1)");
}

TEST(LagEvaluator, StalledNeedsTheCommittedOffsetStillForTheWholeWindow) {
  driver d({5, 2});
  std::int64_t end = 1000;
  std::int64_t committed = 900;
  for (int i = 0; i < 5; ++i) {
    end += 10;
    committed += 10;
    d.tick({group("g", {member("m")}, {part("t", 0, committed, end)})});
  }
  // Now stuck: the window holds the last move for three more ticks, then hysteresis adds one.
  std::vector<status> seen;
  for (int i = 0; i < 8; ++i) {
    end += 10;
    d.tick({group("g", {member("m")}, {part("t", 0, committed, end)})});
    seen.push_back(d.p().current);
  }
  EXPECT_NE(seen[3], status::stalled);
  EXPECT_EQ(seen[6], status::stalled);
}

TEST(LagEvaluator, CommittedOffsetMovingBackIsRewoundAtOnceThenEvaluationResumes) {
  driver d({5, 2});
  std::int64_t end = 1000;
  for (int i = 0; i < 4; ++i) {
    end += 10;
    d.tick({group("g", {member("m")}, {part("t", 0, end, end)})});
  }
  ASSERT_EQ(d.p().current, status::ok);
  const std::int64_t before = end;
  end += 10;
  d.tick({group("g", {member("m")}, {part("t", 0, 200, end, start_ms)})});
  EXPECT_EQ(d.p().current, status::rewound);
  EXPECT_EQ(d.g().current, status::rewound);
  EXPECT_EQ(d.p().reason, "committed offset moved back from " + std::to_string(before) + " to 200");
  ASSERT_FALSE(d.last.transitions.empty());
  EXPECT_EQ(d.last.transitions[0].to, status::rewound);
  // The consumer re-reads 150 rec/s: recovering, then ok; never rewound again.
  std::int64_t committed = 200;
  std::vector<status> seen;
  for (int i = 0; i < 12; ++i) {
    end += 10;
    committed = std::min(end, committed + 150);
    d.tick({group("g", {member("m")}, {part("t", 0, committed, end, start_ms)})});
    seen.push_back(d.p().current);
  }
  EXPECT_NE(std::find(seen.begin(), seen.end(), status::recovering), seen.end());
  EXPECT_EQ(seen.back(), status::ok);
  EXPECT_EQ(std::count(seen.begin() + 2, seen.end(), status::rewound), 0);
}

TEST(LagEvaluator, AOneTickBlipDoesNotChangeTheStatus) {
  driver d({5, 2});
  std::int64_t end = 0;
  for (int i = 0; i < 12; ++i) {
    end += 100;
    // At tick 8 the commit does not move, so the lag doubles: raw SLOW for that tick only.
    const std::int64_t behind = i == 8 ? 150 : 50;
    d.tick({group("g", {member("m")}, {part("t", 0, end - behind, end, d.now - 100)})});
    EXPECT_EQ(d.p().current, status::ok) << i << " " << d.p().reason;
    EXPECT_TRUE(d.last.transitions.empty()) << i;
    if (i == 8) {
      EXPECT_TRUE(contains(d.p().reason, "(SLOW for 1 of the 2 ticks needed: lag grew")) << d.p().reason;
    }
  }
}

TEST(LagEvaluator, OfflineFactsKeepTheLastViewAndTheWindows) {
  driver d({5, 2});
  std::int64_t end = 0;
  for (int i = 0; i < 3; ++i) {
    end += 100;
    d.tick({group("g", {member("m")}, {part("t", 0, end, end)})});
  }
  const auto before = d.last.view;
  d.now += 1000;
  cluster_facts offline;
  offline.cluster = "local";
  offline.taken_at_ms = d.now;
  offline.error = "all brokers down";
  const auto off = d.ev.update(offline);
  EXPECT_EQ(off.view.error, "all brokers down");
  EXPECT_EQ(off.view.taken_at_ms, d.now);
  ASSERT_EQ(off.view.groups.size(), 1u);
  EXPECT_EQ(off.view.groups[0].partitions[0].facts.committed_offset, end);
  EXPECT_EQ(off.view.groups[0].current, before.groups[0].current);
  EXPECT_TRUE(off.transitions.empty());
  EXPECT_TRUE(off.membership_changes.empty());
  // Back online two seconds after the last sample: the rate spans the gap, from the kept window.
  end += 200;
  d.tick({group("g", {member("m")}, {part("t", 0, end, end)})});
  EXPECT_TRUE(d.last.view.error.empty());
  EXPECT_DOUBLE_EQ(d.p().consume_rate, 100);
  EXPECT_TRUE(d.last.transitions.empty());
  EXPECT_TRUE(d.last.membership_changes.empty());
}

TEST(LagEvaluator, RestoreResumesWindowsAndStatuses) {
  // A first run: a consumer stops with lag.
  driver first({5, 2});
  std::int64_t end = 0;
  restored_state saved;
  auto save = [&](const tick_result& t) {
    for (const auto& g : t.view.groups) {
      for (const auto& p : g.partitions) {
        saved.samples.push_back({t.view.taken_at_ms, g.group, p.facts.topic, p.facts.partition,
                                 p.facts.committed_offset, p.facts.end_offset, p.offset_lag, p.time_lag_ms});
      }
    }
  };
  for (int i = 0; i < 3; ++i) {
    end += 100;
    save(first.tick({group("g", {member("m")}, {part("t", 0, end, end)})}));
  }
  for (int i = 0; i < 3; ++i) {
    end += 100;
    save(first.tick({group("g", {}, {part("t", 0, 300, end, start_ms)})}));
  }
  ASSERT_EQ(first.g().current, status::stopped);
  const millis since = first.g().status_since_ms;
  saved.statuses.push_back({"g", "", -1, first.g().current, first.g().reason, since});
  saved.statuses.push_back({"g", "t", 0, first.p().current, first.p().reason, first.p().status_since_ms});

  driver second({5, 2});
  second.now = first.now;
  second.ev.restore(saved);
  end += 100;
  second.tick({group("g", {}, {part("t", 0, 300, end, start_ms)})});
  EXPECT_EQ(second.g().current, status::stopped);
  EXPECT_EQ(second.p().current, status::stopped);
  EXPECT_EQ(second.g().status_since_ms, since);
  EXPECT_TRUE(second.last.transitions.empty());
  EXPECT_TRUE(second.last.membership_changes.empty());
  // The produce rate comes from the restored window (5 samples: 4 s, 400 records).
  EXPECT_DOUBLE_EQ(second.p().produce_rate, 100);
}

TEST(LagEvaluator, RestoredOkPartitionResumesItsRates) {
  restored_state saved;
  for (int i = 0; i < 4; ++i) {
    saved.samples.push_back({start_ms + i * 1000, "g", "t", 0, 50 * i, 50 * i, 0, 0});
  }
  saved.statuses.push_back({"g", "t", 0, status::ok, "caught up", start_ms});
  saved.statuses.push_back({"g", "", -1, status::ok, "caught up", start_ms});
  driver d({5, 2});
  d.now = start_ms + 3000;
  d.ev.restore(saved);
  d.tick({group("g", {member("m")}, {part("t", 0, 200, 200)})});
  EXPECT_DOUBLE_EQ(d.p().consume_rate, 50);
  EXPECT_EQ(d.p().status_since_ms, start_ms);
  EXPECT_TRUE(d.last.transitions.empty());
}

TEST(LagEvaluator, GroupStatusIsTheWorstPartitionsWithTotals) {
  driver d({5, 2});
  std::int64_t end = 1000;
  for (int i = 0; i < 6; ++i) {
    end += 10;
    d.tick({group("g", {member("m")},
                  {part("t", 0, end, end), part("t", 1, 900, end, start_ms), part("u", 2, 950, end, start_ms)})});
  }
  const auto& g = d.g();
  EXPECT_EQ(g.current, status::stalled);
  EXPECT_EQ(g.worst_partitions, (std::vector<std::string>{"t-1", "u-2"}));
  EXPECT_TRUE(contains(g.reason, "2 of 3 partitions STALLED: t-1 committed offset 900 unchanged")) << g.reason;
  EXPECT_EQ(g.total_lag, (end - 900) + (end - 950));
  EXPECT_EQ(g.max_lag, end - 900);
  EXPECT_EQ(g.max_time_lag_ms, d.now - start_ms);
  EXPECT_FALSE(g.eta_seconds.has_value());
  EXPECT_EQ(g.partitions[0].current, status::ok);
}

TEST(LagEvaluator, GroupEtaIsTheLargestWhenEveryLaggingPartitionHasOne) {
  driver d({5, 2});
  std::int64_t a = 0;
  std::int64_t b = 0;
  for (int i = 0; i < 3; ++i) {
    a += 100;
    b += 200;
    // No production: partition 0 has 500 left at 100 rec/s, partition 1 has 400 at 200 rec/s.
    d.tick({group("g", {member("m")}, {part("t", 0, a, 800), part("t", 1, b, 1000)})});
  }
  ASSERT_TRUE(d.p(0).eta_seconds && d.p(1).eta_seconds);
  EXPECT_DOUBLE_EQ(*d.p(0).eta_seconds, 5);
  EXPECT_DOUBLE_EQ(*d.p(1).eta_seconds, 2);
  ASSERT_TRUE(d.g().eta_seconds.has_value());
  EXPECT_DOUBLE_EQ(*d.g().eta_seconds, 5);
}

TEST(LagEvaluator, TransitionsAndMembershipChangesAreRecordedAndAbsentGroupsDropped) {
  driver d({5, 2});
  d.tick({group("g", {member("a"), member("b")}, {part("t", 0, 10, 10)}), group("h", {}, {part("t", 0, 5, 5)})});
  EXPECT_TRUE(d.last.membership_changes.empty());  // first sight is a baseline
  d.tick({group("g", {member("b"), member("c")}, {part("t", 0, 10, 10)})});
  ASSERT_EQ(d.last.view.groups.size(), 1u);  // h dropped, without a transition
  EXPECT_TRUE(d.last.transitions.empty());
  ASSERT_EQ(d.last.membership_changes.size(), 2u);
  EXPECT_EQ(d.last.membership_changes[0].member_id, "c");
  EXPECT_TRUE(d.last.membership_changes[0].joined);
  EXPECT_EQ(d.last.membership_changes[1].member_id, "a");
  EXPECT_FALSE(d.last.membership_changes[1].joined);
  EXPECT_EQ(d.last.membership_changes[1].at_ms, d.now);
  // The group empties with lag: a partition transition and a group transition.
  d.tick({group("g", {}, {part("t", 0, 10, 50, d.now)})});
  ASSERT_EQ(d.last.transitions.size(), 2u);
  const auto& pt = d.last.transitions[0];
  EXPECT_EQ(pt.topic, "t");
  EXPECT_EQ(pt.partition, 0);
  EXPECT_EQ(pt.to, status::stopped);
  EXPECT_EQ(pt.at_ms, d.now);
  EXPECT_TRUE(contains(pt.reason, "no live member"));
  const auto& gt = d.last.transitions[1];
  EXPECT_EQ(gt.topic, "");
  EXPECT_EQ(gt.partition, -1);
  EXPECT_EQ(gt.group, "g");
  EXPECT_EQ(gt.from, status::ok);  // IDLE was still pending (hysteresis)
  EXPECT_EQ(gt.to, status::stopped);
  EXPECT_EQ(d.last.membership_changes.size(), 2u);
}

TEST(LagEvaluator, AGroupFirstSeenStoppedGetsATransitionFromOk) {
  driver d;
  d.tick({group("g", {}, {part("t", 0, 10, 50, d.now)})});
  ASSERT_EQ(d.last.transitions.size(), 2u);
  EXPECT_EQ(d.last.transitions[1].from, status::ok);
  EXPECT_EQ(d.last.transitions[1].to, status::stopped);
}

}  // namespace
}  // namespace spate::lag
