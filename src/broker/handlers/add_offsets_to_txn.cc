#include "broker/handlers/add_offsets_to_txn.h"

#include "broker/async.h"
#include "broker/authorization.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"
#include "group/offsets_topic.h"
#include "model/topic_name.h"
#include "protocol/coordinator_placement.h"
#include "txn/api_errors.h"
#include "txn/transaction_coordinator.h"

namespace spate::broker {

boost::asio::awaitable<add_offsets_to_txn_handler::response> add_offsets_to_txn_handler::handle(request_context& ctx,
                                                                                                request req) {
  auto& services = ctx.services;
  response resp;
  // Kafka: WRITE on the transactional id, then READ on the group.
  if (!authorized(ctx, security::acl_operation::write, security::resource_type::transactional_id,
                  req.transactional_id)) {
    resp.error_code = wire_code(protocol::error_code::transactional_id_authorization_failed);
    co_return resp;
  }
  if (!authorized(ctx, security::acl_operation::read, security::resource_type::group, req.group_id)) {
    resp.error_code = wire_code(protocol::error_code::group_authorization_failed);
    co_return resp;
  }
  const auto offsets = services.logs().find_topic(std::string(model::consumer_offsets_topic));
  if (!offsets) {
    resp.error_code = wire_code(protocol::error_code::coordinator_not_available);
    co_return resp;
  }
  txn::add_partitions_request add;
  add.transactional_id = std::move(req.transactional_id);
  add.producer_id = req.producer_id;
  add.producer_epoch = req.producer_epoch;
  add.partitions.push_back(
      {std::string(model::consumer_offsets_topic), protocol::coordinator_partition(req.group_id, offsets->partitions)});
  auto& transactions = services.transactions();
  const auto result = co_await await_completion<txn::add_partitions_result>(
      [&transactions, &add](auto complete) { transactions.add_partitions(std::move(add), complete); });
  auto error = result.error;
  if (error == protocol::error_code::none && !result.partition_errors.empty()) error = result.partition_errors.front();
  resp.error_code = wire_code(txn::response_error(protocol::api_key::add_offsets_to_txn, ctx.api_version, error));
  co_return resp;
}

}  // namespace spate::broker
