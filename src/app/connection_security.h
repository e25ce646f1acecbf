#pragma once
// Who a connection's requests are served as, by the security protocol of its listener (Kafka's
// principal builder): SASL listeners (SASL_PLAINTEXT, SASL_SSL) start unauthenticated and the SASL
// exchange sets the principal; on an SSL listener it is User:<mapped subject> of the client
// certificate OpenSSL verified (ssl.principal.mapping.rules), else User:ANONYMOUS, as on PLAINTEXT.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/config.h"
#include "broker/sasl_session.h"
#include "net/server.h"
#include "security/principal_mapping.h"

namespace spate::app {

enum class listener_authentication { none, sasl, certificate };

// Per listener of `config`, in order.
std::vector<listener_authentication> listener_authentications(const broker_config& config);

// A connection's authentication state; lives in net::connection_info::session and is touched only
// on the connection's event loop.
struct connection_security {
  std::optional<broker::sasl_session> sasl;  // SASL listeners
  std::string principal;                     // otherwise; empty: User:ANONYMOUS
};

// Built on the connection's first request. Throws broker::request_rejected (the connection closes)
// when no mapping rule applies to the certificate's subject (Kafka fails the authentication).
std::shared_ptr<connection_security> open_connection_security(listener_authentication authentication,
                                                              const net::connection_info& connection,
                                                              const security::principal_mapper& mapper);

}  // namespace spate::app
