#pragma once
// security's module errors. Each names a Kafka situation so that the handlers can map it to one
// wire error code (the mapping lives with the handlers, not here); the human-readable detail
// travels beside it as a message (see `error` below).
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace spate::security {

enum class errc : std::uint8_t {
  authentication_failed,    // SASL: any failed exchange (SASL_AUTHENTICATION_FAILED); never says why
  illegal_sasl_state,       // SASL: a message out of turn (ILLEGAL_SASL_STATE)
  unsupported_mechanism,    // unknown SASL/SCRAM mechanism (UNSUPPORTED_SASL_MECHANISM)
  unacceptable_credential,  // KIP-554: iterations out of range, empty user/salt (UNACCEPTABLE_CREDENTIAL)
  duplicate_resource,       // KIP-554: the same user twice in one request (DUPLICATE_RESOURCE)
  resource_not_found,       // KIP-554: delete/describe of a credential that does not exist (RESOURCE_NOT_FOUND)
  invalid_request,          // ACLs: a binding or filter Kafka refuses (INVALID_REQUEST)
  corrupt_file,             // a security file on disk does not parse (a start-up error)
  io_error,                 // reading or writing a security file failed
  invalid_config,           // a configuration value does not parse (e.g. ssl.principal.mapping.rules)
  no_matching_rule,         // ssl.principal.mapping.rules: no rule applies to the certificate's DN
};

std::string_view to_string(errc e);

// An errc with the detail Kafka would put in the response's error_message (or a log line). The
// message never contains a password, a salted password or a key.
struct error {
  errc code = errc::invalid_request;
  std::string message;
};

template <typename T>
using result = base::result<T, error>;

inline base::failure_t<error> fail(errc code, std::string message) {
  return base::failure(error{code, std::move(message)});
}

}  // namespace spate::security
