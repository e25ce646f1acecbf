#include "broker/handlers/add_partitions_to_txn.h"

#include <vector>

#include "broker/async.h"
#include "broker/authorization.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"
#include "broker/group_support.h"
#include "model/topic_name.h"
#include "txn/api_errors.h"
#include "txn/transaction_coordinator.h"

namespace spate::broker {

boost::asio::awaitable<add_partitions_to_txn_handler::response> add_partitions_to_txn_handler::handle(
    request_context& ctx, request req) {
  auto& services = ctx.services;
  using security::acl_operation;
  using security::resource_type;
  // Kafka: WRITE on the transactional id (else every partition fails with
  // TRANSACTIONAL_ID_AUTHORIZATION_FAILED), then WRITE on each topic.
  const bool transaction_denied =
      !authorized(ctx, acl_operation::write, resource_type::transactional_id, req.v3_and_below_transactional_id);
  txn::add_partitions_request add;
  add.transactional_id = std::move(req.v3_and_below_transactional_id);
  add.producer_id = req.v3_and_below_producer_id;
  add.producer_epoch = req.v3_and_below_producer_epoch;
  // Kafka checks the partitions first; if any fails, none is added and the rest are not attempted.
  std::vector<protocol::error_code> precheck;
  bool any_failed = false;
  for (const auto& topic : req.v3_and_below_topics) {
    const bool topic_denied =
        !transaction_denied && !authorized(ctx, acl_operation::write, resource_type::topic, topic.name);
    for (const auto p : topic.partitions) {
      auto e = protocol::error_code::none;
      if (transaction_denied) {
        e = protocol::error_code::transactional_id_authorization_failed;
      } else if (topic_denied) {
        e = protocol::error_code::topic_authorization_failed;
      } else if (model::is_internal_topic(topic.name) || !partition_exists(services, topic.name, p)) {
        e = protocol::error_code::unknown_topic_or_partition;
      }
      any_failed |= e != protocol::error_code::none;
      precheck.push_back(e);
      add.partitions.push_back({topic.name, p});
    }
  }
  std::vector<protocol::error_code> errors;
  if (any_failed) {
    errors = txn::not_attempted_except_failed(std::move(precheck));
  } else {
    auto& transactions = services.transactions();
    const auto result = co_await await_completion<txn::add_partitions_result>(
        [&transactions, &add](auto complete) { transactions.add_partitions(std::move(add), complete); });
    errors = result.partition_errors;
    errors.resize(precheck.size(), result.error);
  }
  response resp;
  std::size_t i = 0;
  for (const auto& topic : req.v3_and_below_topics) {
    auto& topic_out = resp.results_by_topic_v3_and_below.emplace_back();
    topic_out.name = topic.name;
    for (const auto p : topic.partitions) {
      auto& out = topic_out.results_by_partition.emplace_back();
      out.partition_index = p;
      out.partition_error_code =
          wire_code(txn::response_error(protocol::api_key::add_partitions_to_txn, ctx.api_version, errors[i++]));
    }
  }
  co_return resp;
}

}  // namespace spate::broker
