#include "app/connection_security.h"

#include <fmt/format.h>

#include "app/listeners.h"
#include "base/log.h"
#include "broker/dispatcher.h"
#include "security/principal.h"

namespace spate::app {

std::vector<listener_authentication> listener_authentications(const broker_config& config) {
  std::vector<listener_authentication> out;
  for (const auto& l : config.listeners) {
    const auto protocol = config.security_protocol(l.name);
    out.push_back(is_sasl(protocol)  ? listener_authentication::sasl
                  : is_tls(protocol) ? listener_authentication::certificate
                                     : listener_authentication::none);
  }
  return out;
}

std::shared_ptr<connection_security> open_connection_security(listener_authentication authentication,
                                                              const net::connection_info& connection,
                                                              const security::principal_mapper& mapper) {
  auto out = std::make_shared<connection_security>();
  if (authentication == listener_authentication::sasl) {
    out->sasl.emplace();
  } else if (authentication == listener_authentication::certificate && connection.peer_certificate_subject) {
    const auto& subject = *connection.peer_certificate_subject;
    auto name = mapper.map(subject);
    if (!name) {
      throw broker::request_rejected(
          fmt::format("no ssl.principal.mapping.rules rule applies to the client certificate subject \"{}\"", subject));
    }
    out->principal = fmt::format("{}:{}", security::user_type, name.value());
    SPATE_LOG_INFO("event=tls_authenticated peer={} listener={} subject=\"{}\" principal={}", connection.peer,
                   connection.listener, subject, out->principal);
  }
  return out;
}

}  // namespace spate::app
