#pragma once
// Private to the group coordinator's .cc files: the effects an operation collects under the lock,
// and the checks and records several operations share. Every function here requires the
// coordinator's mutex (none takes it).
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "group/coordinator.h"
#include "group/group_state.h"
#include "group/offsets_topic.h"

namespace spate::group {

// What an operation decided under the lock and must do after releasing it: answers to deliver
// and records to append (whose completions re-enter the coordinator).
struct coordinator::effects {
  struct append {
    std::int32_t partition;
    std::vector<offsets_record> records;
    // Runs under the lock once the append ended, with the log offset of its first record.
    std::function<void(error_code, std::int64_t first_offset, effects&)> then;
    std::optional<transactional_producer> producer;  // TxnOffsetCommit
  };
  std::vector<std::function<void()>> answers;
  std::vector<append> appends;
  bool new_deadline = false;
};

template <typename Effects, typename Callback, typename Result>
void answer(Effects& fx, Callback done, Result result) {
  fx.answers.push_back([done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
}

// Kafka's validateCurrentMember: a request naming a group.instance.id must come from the member
// id that instance currently maps to; any request must come from a current member.
error_code validate_member(const group_state& g, const std::string& member_id,
                           const std::optional<std::string>& instance_id);

// The tombstones that delete `partitions`' offsets of group `g` (committed ones and those of open
// transactions, live and on replay) and, when `group_gone`, its group record: a group that never
// completed a rebalance has none (as in Kafka).
std::vector<offsets_record> tombstones(const group_state& g, const std::set<topic_partition>& partitions,
                                       bool group_gone);

}  // namespace spate::group
