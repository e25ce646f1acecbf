#include "broker/handlers/txn_offset_commit.h"

#include <vector>

#include "broker/async.h"
#include "broker/error_mapping.h"
#include "broker/group_support.h"
#include "txn/api_errors.h"

namespace spate::broker {

boost::asio::awaitable<txn_offset_commit_handler::response> txn_offset_commit_handler::handle(request_context& ctx,
                                                                                              request req) {
  auto& b = ctx.services;
  group::txn_commit_request commit;
  commit.group_id = std::move(req.group_id);
  commit.transactional_id = std::move(req.transactional_id);
  commit.producer_id = req.producer_id;
  commit.producer_epoch = req.producer_epoch;
  commit.generation_id = req.generation_id;          // v3+; -1 otherwise
  commit.member_id = std::move(req.member_id);        // v3+; "" otherwise
  commit.group_instance_id = std::move(req.group_instance_id);

  response resp;
  std::vector<response_slot> slots;
  resp.topics.reserve(req.topics.size());
  for (auto& topic : req.topics) {
    auto& topic_out = resp.topics.emplace_back();
    topic_out.name = topic.name;
    topic_out.partitions.reserve(topic.partitions.size());
    for (auto& p : topic.partitions) {
      auto& out = topic_out.partitions.emplace_back();
      out.partition_index = p.partition_index;
      if (!partition_exists(b, topic.name, p.partition_index)) {
        out.error_code = wire_code(protocol::error_code::unknown_topic_or_partition);
        continue;
      }
      group::committed_offset offset;
      offset.offset = p.committed_offset;
      offset.leader_epoch = p.committed_leader_epoch;  // v2+; -1 otherwise
      offset.metadata = p.committed_metadata.value_or("");
      commit.offsets.push_back({group::topic_partition{topic.name, p.partition_index}, std::move(offset)});
      slots.push_back({resp.topics.size() - 1, topic_out.partitions.size() - 1});
    }
  }
  if (slots.empty()) co_return resp;

  auto& groups = b.groups();
  const auto result = co_await await_completion<group::commit_result>(
      [&groups, &commit](auto complete) { groups.txn_commit(std::move(commit), complete); });
  for (std::size_t i = 0; i < slots.size(); ++i) {
    auto error = result.error;
    if (error == protocol::error_code::none && i < result.partition_errors.size()) error = result.partition_errors[i];
    resp.topics[slots[i].topic].partitions[slots[i].partition].error_code =
        wire_code(txn::response_error(protocol::api_key::txn_offset_commit, ctx.api_version, error));
  }
  co_return resp;
}

}  // namespace spate::broker
