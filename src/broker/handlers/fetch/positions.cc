// Consumers' fetch positions, noted for the lag monitor (positions.h).
#include "broker/handlers/fetch/positions.h"

#include "broker/group_support.h"

namespace spate::broker::fetch {

void note_positions(request_context& ctx, const fetch_handler::request& req, const std::vector<target>& targets) {
  const auto replica_id = ctx.api_version >= 15 ? req.replica_state.replica_id : req.replica_id;
  if (replica_id >= 0 || targets.empty()) return;
  // Kafka's isolation levels: 0 READ_UNCOMMITTED, 1 READ_COMMITTED (v4+; the field defaults to 0).
  const bool read_committed = req.isolation_level == 1;
  std::vector<fetch_positions::fetched> fetched;
  fetched.reserve(targets.size());
  for (const auto& t : targets) {
    if (t.error != protocol::error_code::none || !t.log) continue;
    fetched.push_back({t.topic, t.wanted->key.partition, t.wanted->fetch_offset});
  }
  ctx.services.consumer_positions().record(ctx.header.client_id.value_or(""), group_client_host(ctx.peer),
                                           read_committed, fetched);
}

}  // namespace spate::broker::fetch
