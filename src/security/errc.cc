#include "security/errc.h"

namespace spate::security {

std::string_view to_string(errc e) {
  switch (e) {
    case errc::authentication_failed: return "authentication_failed";
    case errc::illegal_sasl_state: return "illegal_sasl_state";
    case errc::unsupported_mechanism: return "unsupported_mechanism";
    case errc::unacceptable_credential: return "unacceptable_credential";
    case errc::duplicate_resource: return "duplicate_resource";
    case errc::resource_not_found: return "resource_not_found";
    case errc::invalid_request: return "invalid_request";
    case errc::corrupt_file: return "corrupt_file";
    case errc::io_error: return "io_error";
    case errc::invalid_config: return "invalid_config";
    case errc::no_matching_rule: return "no_matching_rule";
  }
  return "unknown";
}

}  // namespace spate::security
