#include "broker/handlers/end_txn.h"

#include "broker/async.h"
#include "broker/authorization.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"
#include "txn/api_errors.h"
#include "txn/transaction_coordinator.h"

namespace spate::broker {

boost::asio::awaitable<end_txn_handler::response> end_txn_handler::handle(request_context& ctx, request req) {
  if (!authorized(ctx, security::acl_operation::write, security::resource_type::transactional_id,
                  req.transactional_id)) {
    response denied;
    denied.error_code = wire_code(protocol::error_code::transactional_id_authorization_failed);
    co_return denied;
  }
  txn::end_transaction_request end;
  end.transactional_id = std::move(req.transactional_id);
  end.producer_id = req.producer_id;
  end.producer_epoch = req.producer_epoch;
  end.commit = req.committed;
  auto& transactions = ctx.services.transactions();
  const auto error = co_await await_completion<protocol::error_code>(
      [&transactions, &end](auto complete) { transactions.end_transaction(std::move(end), complete); });
  response resp;
  resp.error_code = wire_code(txn::response_error(protocol::api_key::end_txn, ctx.api_version, error));
  co_return resp;
}

}  // namespace spate::broker
