#include "broker/handlers/init_producer_id.h"

#include "broker/async.h"
#include "broker/authorization.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"
#include "txn/api_errors.h"
#include "txn/transaction_coordinator.h"

namespace spate::broker {

boost::asio::awaitable<init_producer_id_handler::response> init_producer_id_handler::handle(request_context& ctx,
                                                                                            request req) {
  using security::acl_operation;
  using security::resource_type;
  // Kafka: WRITE on the transactional id; without one (an idempotent producer) IDEMPOTENT_WRITE on
  // the cluster or, since KIP-679, WRITE on any topic.
  auto refused = protocol::error_code::none;
  if (req.transactional_id) {
    if (!authorized(ctx, acl_operation::write, resource_type::transactional_id, *req.transactional_id))
      refused = protocol::error_code::transactional_id_authorization_failed;
  } else if (!authorized(ctx, acl_operation::idempotent_write, resource_type::cluster, security::cluster_resource_name,
                         on_denial::quiet) &&
             !authorized_for_any(ctx, acl_operation::write, resource_type::topic)) {
    refused = protocol::error_code::cluster_authorization_failed;
  }
  if (refused != protocol::error_code::none) {
    response denied;
    denied.error_code = wire_code(refused);
    denied.producer_id = -1;
    denied.producer_epoch = -1;
    co_return denied;
  }
  txn::init_producer_id_request init;
  init.transactional_id = std::move(req.transactional_id);
  init.transaction_timeout_ms = req.transaction_timeout_ms;
  init.producer_id = req.producer_id;        // v3+; -1 otherwise
  init.producer_epoch = req.producer_epoch;  // v3+; -1 otherwise
  auto& transactions = ctx.services.transactions();
  const auto result = co_await await_completion<txn::init_producer_id_result>(
      [&transactions, &init](auto complete) { transactions.init_producer_id(std::move(init), complete); });
  response resp;
  resp.error_code = wire_code(txn::response_error(protocol::api_key::init_producer_id, ctx.api_version, result.error));
  resp.producer_id = result.error == protocol::error_code::none ? result.producer_id : -1;
  resp.producer_epoch = result.error == protocol::error_code::none ? result.producer_epoch : -1;
  co_return resp;
}

}  // namespace spate::broker
