#include "quota/trim_plan.h"

#include <algorithm>
#include <queue>
#include <tuple>

namespace spate::quota {

namespace {

std::vector<group_loss> losers_of(const planned_trim& trim, const committed_offsets& committed) {
  std::vector<group_loss> out;
  const auto found = committed.find(trim.partition);
  if (found == committed.end()) return out;
  for (const auto& g : found->second) {
    if (g.committed >= trim.to_offset) continue;
    out.push_back({g.group, trim.to_offset - std::max(g.committed, trim.from_offset)});
  }
  std::sort(out.begin(), out.end(), [](const group_loss& a, const group_loss& b) { return a.group < b.group; });
  return out;
}

}  // namespace

std::vector<planned_trim> plan_trim(const std::vector<trim_partition>& partitions, const trim_rules& rules,
                                    const committed_offsets& committed) {
  // (max timestamp, partition index, segment index): the oldest candidate on top; ties by
  // partition order, so plans are deterministic.
  using candidate = std::tuple<std::int64_t, std::size_t, std::size_t>;
  std::priority_queue<candidate, std::vector<candidate>, std::greater<>> next;
  const auto eligible = [&rules](const trim_segment& s) { return rules.now_ms - s.max_timestamp >= rules.min_age_ms; };
  for (std::size_t p = 0; p < partitions.size(); ++p) {
    const auto& segments = partitions[p].closed_segments;
    if (!segments.empty() && eligible(segments.front())) next.emplace(segments.front().max_timestamp, p, 0);
  }
  std::vector<planned_trim> plan;
  std::map<std::size_t, std::size_t> plan_index;  // partition index -> its entry in plan
  std::uint64_t freed = 0;
  while (freed < rules.bytes_to_free && !next.empty()) {
    const auto [timestamp, p, s] = next.top();
    next.pop();
    const auto& part = partitions[p];
    const auto& segment = part.closed_segments[s];
    auto [at, added] = plan_index.try_emplace(p, plan.size());
    if (added) {
      auto& trim = plan.emplace_back();
      trim.partition = part.partition;
      trim.from_offset = std::max(part.log_start_offset, segment.base_offset);
    }
    auto& trim = plan[at->second];
    trim.to_offset = segment.next_offset;
    trim.bytes += segment.bytes;
    trim.segments += 1;
    trim.max_timestamp = std::max(trim.max_timestamp, segment.max_timestamp);
    freed += segment.bytes;
    if (s + 1 < part.closed_segments.size() && eligible(part.closed_segments[s + 1])) {
      next.emplace(part.closed_segments[s + 1].max_timestamp, p, s + 1);
    }
  }
  for (auto& trim : plan) trim.losers = losers_of(trim, committed);
  return plan;
}

}  // namespace spate::quota
