#include "broker/handlers/txn_offset_commit.h"

#include <vector>

#include "broker/async.h"
#include "broker/authorization.h"
#include "broker/error_mapping.h"
#include "broker/group_support.h"
#include "txn/api_errors.h"

namespace spate::broker {

boost::asio::awaitable<txn_offset_commit_handler::response> txn_offset_commit_handler::handle(request_context& ctx,
                                                                                              request req) {
  auto& services = ctx.services;
  // Kafka: WRITE on the transactional id, READ on the group, READ on each topic.
  using security::acl_operation;
  using security::resource_type;
  auto refused = protocol::error_code::none;
  if (!authorized(ctx, acl_operation::write, resource_type::transactional_id, req.transactional_id)) {
    refused = protocol::error_code::transactional_id_authorization_failed;
  } else if (!authorized(ctx, acl_operation::read, resource_type::group, req.group_id)) {
    refused = protocol::error_code::group_authorization_failed;
  }
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
  commit.offsets = offsets_to_commit(
      ctx, req, resp, slots,
      [](const auto& p) {
        group::committed_offset offset;
        offset.offset = p.committed_offset;
        offset.leader_epoch = p.committed_leader_epoch;  // v2+; -1 otherwise
        offset.metadata = p.committed_metadata.value_or("");
        return offset;
      },
      refused);
  if (slots.empty()) co_return resp;

  auto& groups = services.groups();
  const auto result = co_await await_completion<group::commit_result>(
      [&groups, &commit](auto complete) { groups.txn_commit(std::move(commit), complete); });
  const auto version = ctx.api_version;
  answer_commit(resp, slots, result, [version](protocol::error_code e) {
    return txn::response_error(protocol::api_key::txn_offset_commit, version, e);
  });
  co_return resp;
}

}  // namespace spate::broker
