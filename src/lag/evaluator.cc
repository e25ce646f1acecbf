#include "lag/evaluator.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <optional>
#include <set>
#include <utility>

// The status machine of docs/lag.md ("Statuses" and "Transitions"); keep the two in step.

namespace spate::lag {

namespace {

struct sample {
  millis at = 0;
  std::int64_t committed = -1;
  std::int64_t end = -1;
  std::int64_t lag = 0;
  millis time_lag = 0;
};

using partition_key = std::pair<std::string, std::int32_t>;

bool is_trouble(status s) {
  return s == status::stopped || s == status::stalled || s == status::slow || s == status::rewound ||
         s == status::recovering;
}

// Rates read well at a glance: whole numbers from 100 up, one decimal below.
std::string rate_text(double r) {
  if (r >= 100) return fmt::format("{:.0f}", r);
  auto text = fmt::format("{:.1f}", r);
  if (text.size() > 2 && text.compare(text.size() - 2, 2, ".0") == 0) text.resize(text.size() - 2);
  return text;
}

std::string duration_text(double seconds) {
  if (seconds < 120) return fmt::format("{:.0f} s", std::max(0.0, seconds));
  if (seconds < 120 * 60) return fmt::format("{:.0f} min", seconds / 60);
  return fmt::format("{:.1f} h", seconds / 3600);
}

std::string records_text(std::int64_t n) { return fmt::format("{} record{}", n, n == 1 ? "" : "s"); }

std::string partition_name(const std::string& topic, std::int32_t partition) {
  return fmt::format("{}-{}", topic, partition);
}

std::int64_t offset_lag_of(const partition_facts& f) {
  if (f.offset_lag >= 0) return f.offset_lag;
  if (f.end_offset < 0) return 0;
  const std::int64_t from =
      f.committed_offset >= 0 ? f.committed_offset : std::max<std::int64_t>(0, f.log_start_offset);
  return std::max<std::int64_t>(0, f.end_offset - from);
}

// What the window says about a partition at this tick.
struct measures {
  std::int64_t lag = 0;
  millis time_lag = 0;
  double consume_rate = 0;
  double produce_rate = 0;
  std::optional<double> eta;
  double interval_s = 0;  // between the last two samples
  double window_s = 0;    // between the first and last samples
  bool rewound = false;
  std::int64_t rewound_from = -1;
};

}  // namespace

struct evaluator::partition_state {
  std::deque<sample> window;
  bool reported_once = false;
  status reported = status::ok;
  std::string reported_reason;  // the last reason computed while the raw status was the reported one
  millis since = 0;
  status pending = status::ok;
  int pending_ticks = 0;
};

struct evaluator::group_state {
  std::map<partition_key, partition_state> partitions;
  bool reported_once = false;
  status reported = status::ok;
  millis since = 0;
  // The previous tick's members; none right after a restart or on first sight, so the first
  // tick is a baseline rather than a burst of joins.
  std::optional<std::vector<member_facts>> members;
  std::optional<bool> was_live;
};

namespace {

struct raw_result {
  status s = status::ok;
  std::string reason;
};

struct group_context {
  const group_facts& facts;
  bool live = false;
};

raw_result classify(const evaluator_config& config, const group_context& group, const partition_facts& f,
                    const std::deque<sample>& w, const measures& m, bool reported_once, status reported) {
  const auto& first = w.front();
  const auto& last = w.back();
  if (m.rewound) {
    return {status::rewound,
            fmt::format("committed offset moved back from {} to {}", m.rewound_from, f.committed_offset)};
  }
  const bool end_still = w.size() >= 2 && first.end == last.end;
  if (m.lag == 0 && end_still) {
    return {status::idle,
            fmt::format("nothing new to read (end offset {} unchanged for {})", last.end, duration_text(m.window_s))};
  }
  if (m.lag == 0) {
    if (m.consume_rate > 0)
      return {status::ok, fmt::format("consuming {} rec/s, caught up", rate_text(m.consume_rate))};
    return {status::ok, "caught up"};
  }
  if (!group.live) {
    auto reason = fmt::format("no live member; {} behind", records_text(m.lag));
    if (m.time_lag > 0) reason += fmt::format(", oldest unconsumed record {} old", duration_text(m.time_lag / 1000.0));
    return {status::stopped, std::move(reason)};
  }
  const std::size_t stall_samples = static_cast<std::size_t>(std::max(2, config.hysteresis_ticks + 1));
  const bool committed_still =
      std::all_of(w.begin(), w.end(), [&](const sample& s) { return s.committed == last.committed; });
  if (w.size() >= stall_samples && committed_still) {
    std::string owner;
    if (!f.owner_member_id.empty()) {
      owner = fmt::format("owner {}@{}", f.owner_client_id.empty() ? f.owner_member_id : f.owner_client_id,
                          f.owner_host.empty() ? "?" : f.owner_host);
    } else {
      owner = fmt::format("no owner in the assignment; {} live member{}", group.facts.members.size(),
                          group.facts.members.size() == 1 ? "" : "s");
    }
    return {status::stalled, fmt::format("committed offset {} unchanged for {} while {} wait ({})", last.committed,
                                         duration_text(m.window_s), records_text(m.lag), owner)};
  }
  if (w.size() >= 2 && last.lag > first.lag && m.consume_rate < m.produce_rate) {
    return {status::slow, fmt::format("lag grew {} -> {} records in {}: consuming {} rec/s vs producing {} rec/s; "
                                      "not catching up",
                                      first.lag, last.lag, duration_text(m.window_s), rate_text(m.consume_rate),
                                      rate_text(m.produce_rate))};
  }
  // Bounded: no more than one tick of consumption clears it, so it is ordinary in-flight lag.
  const bool bounded = static_cast<double>(m.lag) <= m.consume_rate * m.interval_s;
  const bool prev_lag_ok = w.size() < 2 || last.lag <= w[w.size() - 2].lag;
  const bool not_growing = last.lag <= first.lag || prev_lag_ok;
  if (reported_once && is_trouble(reported) && not_growing && !bounded) {
    auto reason = fmt::format("lag shrinking {} -> {} records", std::max(first.lag, last.lag), last.lag);
    if (first.lag <= last.lag) reason = fmt::format("lag no longer growing ({})", records_text(last.lag));
    if (m.eta) {
      reason += fmt::format(", ETA {}", duration_text(*m.eta));
    } else {
      reason += fmt::format(" (consuming {} rec/s vs producing {} rec/s)", rate_text(m.consume_rate),
                            rate_text(m.produce_rate));
    }
    return {status::recovering, std::move(reason)};
  }
  if (w.size() < 2) return {status::ok, fmt::format("{} behind (rates from the next sample)", records_text(m.lag))};
  auto reason = fmt::format("consuming {} rec/s, {} behind", rate_text(m.consume_rate), records_text(m.lag));
  if (m.eta) reason += fmt::format(", ETA {}", duration_text(*m.eta));
  return {status::ok, std::move(reason)};
}

measures measure(const std::deque<sample>& w) {
  measures m;
  const auto& first = w.front();
  const auto& last = w.back();
  m.lag = last.lag;
  m.time_lag = last.time_lag;
  if (w.size() >= 2) {
    m.window_s = static_cast<double>(last.at - first.at) / 1000.0;
    m.interval_s = static_cast<double>(last.at - w[w.size() - 2].at) / 1000.0;
    if (m.window_s > 0) {
      if (first.committed >= 0 && last.committed >= 0) {
        m.consume_rate = std::max(0.0, static_cast<double>(last.committed - first.committed) / m.window_s);
      }
      if (first.end >= 0 && last.end >= 0) {
        m.produce_rate = std::max(0.0, static_cast<double>(last.end - first.end) / m.window_s);
      }
    }
  }
  if (m.lag > 0 && m.consume_rate > m.produce_rate) {
    m.eta = static_cast<double>(m.lag) / (m.consume_rate - m.produce_rate);
  }
  return m;
}

}  // namespace

evaluator::evaluator(evaluator_config config) : _config(config) {
  _config.window_ticks = std::max(2, _config.window_ticks);
  _config.hysteresis_ticks = std::max(1, _config.hysteresis_ticks);
}

evaluator::~evaluator() = default;

partition_view evaluator::evaluate_partition(const partition_facts& f, partition_state& ps, bool live, bool resumed,
                                             const group_facts& group, millis now,
                                             std::vector<transition>& transitions) {
  sample s;
  s.at = now;
  s.committed = f.committed_offset;
  s.end = f.end_offset;
  s.lag = offset_lag_of(f);
  s.time_lag = s.lag > 0 && f.first_unconsumed_timestamp_ms >= 0
                   ? std::max<millis>(0, now - f.first_unconsumed_timestamp_ms)
                   : 0;

  auto& w = ps.window;
  bool rewound = false;
  std::int64_t rewound_from = -1;
  if (!w.empty() && w.back().committed >= 0 && s.committed >= 0 && s.committed < w.back().committed) {
    rewound = true;
    rewound_from = w.back().committed;
  }
  // The samples before a rewind or before the group came back describe another reader: rates and
  // trends start again from the last sample.
  if (rewound) {
    w.clear();
  } else if (resumed && w.size() > 1) {
    w.erase(w.begin(), w.end() - 1);
  }
  w.push_back(s);
  while (w.size() > static_cast<std::size_t>(_config.window_ticks)) w.pop_front();

  measures m = measure(w);
  m.rewound = rewound;
  m.rewound_from = rewound_from;
  const group_context gc{group, live};
  auto raw = classify(_config, gc, f, w, m, ps.reported_once, ps.reported);

  partition_view view;
  view.facts = f;
  view.offset_lag = m.lag;
  view.time_lag_ms = m.time_lag;
  view.consume_rate = m.consume_rate;
  view.produce_rate = m.produce_rate;
  view.eta_seconds = m.eta;

  const status before = ps.reported;
  const bool had_status = ps.reported_once;
  if (!ps.reported_once || raw.s == ps.reported) {
    ps.pending_ticks = 0;
    if (!ps.reported_once || raw.s != ps.reported) ps.since = now;
    ps.reported_once = true;
    ps.reported = raw.s;
    ps.reported_reason = raw.reason;
    view.reason = raw.reason;
  } else {
    if (ps.pending == raw.s) {
      ++ps.pending_ticks;
    } else {
      ps.pending = raw.s;
      ps.pending_ticks = 1;
    }
    const bool immediate = raw.s == status::stopped || raw.s == status::rewound;
    if (immediate || ps.pending_ticks >= _config.hysteresis_ticks) {
      ps.reported = raw.s;
      ps.reported_reason = raw.reason;
      ps.since = now;
      ps.pending_ticks = 0;
      view.reason = raw.reason;
    } else {
      view.reason = fmt::format("{} ({} for {} of the {} ticks needed: {})", ps.reported_reason, to_string(raw.s),
                                ps.pending_ticks, _config.hysteresis_ticks, raw.reason);
    }
  }
  view.current = ps.reported;
  view.status_since_ms = ps.since;

  // A partition first seen in trouble gets a transition from OK, so it is noticed (and alerted).
  const bool changed = had_status ? ps.reported != before : (ps.reported != status::ok && ps.reported != status::idle);
  if (changed) {
    transitions.push_back(
        {now, group.group, f.topic, f.partition, had_status ? before : status::ok, ps.reported, ps.reported_reason});
  }
  return view;
}

group_view evaluator::evaluate_group(const group_facts& g, group_state& gs, millis now, tick_result& out) {
  const bool live = !g.members.empty();
  const bool resumed = live && gs.was_live.has_value() && !*gs.was_live;

  if (gs.members) {
    std::set<std::string> before;
    std::set<std::string> after;
    for (const auto& m : *gs.members) before.insert(m.member_id);
    for (const auto& m : g.members) after.insert(m.member_id);
    for (const auto& m : g.members) {
      if (!before.count(m.member_id))
        out.membership_changes.push_back({now, g.group, m.member_id, m.client_id, m.host, true});
    }
    for (const auto& m : *gs.members) {
      if (!after.count(m.member_id))
        out.membership_changes.push_back({now, g.group, m.member_id, m.client_id, m.host, false});
    }
  }
  gs.members = g.members;
  gs.was_live = live;

  group_view view;
  view.group = g.group;
  view.state = g.state;
  view.members = static_cast<int>(g.members.size());

  std::map<partition_key, partition_state> next;
  for (const auto& f : g.partitions) {
    partition_key key{f.topic, f.partition};
    if (next.count(key)) continue;
    auto node = gs.partitions.extract(key);
    partition_state ps = node ? std::move(node.mapped()) : partition_state{};
    view.partitions.push_back(evaluate_partition(f, ps, live, resumed, g, now, out.transitions));
    next.emplace(std::move(key), std::move(ps));
  }
  gs.partitions = std::move(next);

  status worst = status::idle;
  const partition_view* worst_partition = nullptr;
  bool all_lagging_have_eta = true;
  bool any_lagging = false;
  double eta = 0;
  for (const auto& p : view.partitions) {
    worst = std::max(worst, p.current);
    view.total_lag += p.offset_lag;
    view.max_lag = std::max(view.max_lag, p.offset_lag);
    view.max_time_lag_ms = std::max(view.max_time_lag_ms, p.time_lag_ms);
    if (p.offset_lag > 0) {
      any_lagging = true;
      if (p.eta_seconds) {
        eta = std::max(eta, *p.eta_seconds);
      } else {
        all_lagging_have_eta = false;
      }
    }
  }
  if (any_lagging && all_lagging_have_eta) view.eta_seconds = eta;
  for (const auto& p : view.partitions) {
    if (p.current != worst) continue;
    view.worst_partitions.push_back(partition_name(p.facts.topic, p.facts.partition));
    if (!worst_partition || p.offset_lag > worst_partition->offset_lag) worst_partition = &p;
  }
  view.current = worst;
  if (!worst_partition) {
    view.reason = "no committed offsets";
  } else if (view.partitions.size() == 1) {
    view.reason = worst_partition->reason;
  } else {
    view.reason = fmt::format(
        "{} of {} partitions {}: {} {}", view.worst_partitions.size(), view.partitions.size(), to_string(worst),
        partition_name(worst_partition->facts.topic, worst_partition->facts.partition), worst_partition->reason);
  }

  const status before = gs.reported;
  const bool had_status = gs.reported_once;
  if (!had_status || before != worst) gs.since = now;
  gs.reported_once = true;
  gs.reported = worst;
  view.status_since_ms = gs.since;
  const bool changed = had_status ? worst != before : (worst != status::ok && worst != status::idle);
  if (changed) out.transitions.push_back({now, g.group, "", -1, had_status ? before : status::ok, worst, view.reason});
  return view;
}

tick_result evaluator::update(const cluster_facts& facts) {
  tick_result out;
  if (!facts.error.empty()) {
    _last.cluster = facts.cluster;
    _last.taken_at_ms = facts.taken_at_ms;
    _last.error = facts.error;
    out.view = _last;
    return out;
  }
  out.view.cluster = facts.cluster;
  out.view.taken_at_ms = facts.taken_at_ms;
  std::map<std::string, std::unique_ptr<group_state>> next;
  for (const auto& g : facts.groups) {
    if (next.count(g.group)) continue;
    auto node = _groups.extract(g.group);
    auto state = node ? std::move(node.mapped()) : std::make_unique<group_state>();
    out.view.groups.push_back(evaluate_group(g, *state, facts.taken_at_ms, out));
    next.emplace(g.group, std::move(state));
  }
  _groups = std::move(next);
  _last = out.view;
  return out;
}

void evaluator::restore(const restored_state& state) {
  auto group_of = [this](const std::string& name) -> group_state& {
    auto& slot = _groups[name];
    if (!slot) slot = std::make_unique<group_state>();
    return *slot;
  };
  for (const auto& s : state.samples) {
    auto& w = group_of(s.group).partitions[{s.topic, s.partition}].window;
    w.push_back({s.at_ms, s.committed_offset, s.end_offset, s.offset_lag, s.time_lag_ms});
    while (w.size() > static_cast<std::size_t>(_config.window_ticks)) w.pop_front();
  }
  for (const auto& st : state.statuses) {
    auto& gs = group_of(st.group);
    if (st.topic.empty() && st.partition < 0) {
      gs.reported_once = true;
      gs.reported = st.current;
      gs.since = st.since_ms;
      // A group saved STOPPED had no member: one that comes back resumes from a fresh window.
      if (st.current == status::stopped) gs.was_live = false;
      continue;
    }
    auto& ps = gs.partitions[{st.topic, st.partition}];
    ps.reported_once = true;
    ps.reported = st.current;
    ps.reported_reason = st.reason;
    ps.since = st.since_ms;
    ps.pending_ticks = 0;
  }
}

}  // namespace spate::lag
