#pragma once
// The HTTP admin API: the route table (api_routes.h) served by http_server on its own thread.
// Reads go through `view`; writes through the broker's Kafka handlers (kafka_call.h) on
// `services`, which may be null (tests): write routes then answer 503.
//
// Thread-safety: start() and stop() from one controlling thread; the rest from any thread.
// `view` and `services` must outlive the server (stop() or destruction).
#include <cstdint>
#include <memory>
#include <string>

#include "admin/admin_options.h"
#include "admin/broker_view.h"
#include "admin/route_table.h"

namespace spate::broker {
class broker;
}

namespace spate::admin {

class admin_server {
 public:
  admin_server(admin_options options, const broker_view& view, broker::broker* services);
  // Without a broker: only /metrics, /v1/openapi.json and the lag routes (spate lag-monitor).
  explicit admin_server(admin_options options);
  ~admin_server();
  admin_server(const admin_server&) = delete;
  admin_server& operator=(const admin_server&) = delete;

  // Binds and starts serving. Throws (boost::system::system_error) when the address cannot be bound.
  void start();
  void stop();

  std::uint16_t bound_port() const;
  // "host:port" as bound.
  std::string address() const;
  const route_table& routes() const;

  struct impl;

 private:
  std::unique_ptr<impl> _impl;
};

}  // namespace spate::admin
