#pragma once
// What CreateAcls, DescribeAcls and DeleteAcls share: the gate in front of them (authorization on
// the CLUSTER, then whether ACLs are enabled at all) and the conversion of the wire's int8 codes
// to security's ACL values. The handlers own everything else.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker/error_mapping.h"
#include "broker/request_context.h"
#include "protocol/error_code.h"
#include "security/acl.h"

namespace spate::security {
class acl_store;
}

namespace spate::broker {

// Why an ACL API refuses a whole request, with Kafka's error_message.
struct acl_api_refusal {
  protocol::error_code code;
  std::string message;
};

// CLUSTER_AUTHORIZATION_FAILED unless ctx's principal may do `operation` on the CLUSTER (ALTER to
// create or delete, DESCRIBE to describe); then SECURITY_DISABLED when the broker keeps no ACLs
// (authorizer.enabled=false), as Kafka answers without an authorizer. nullopt: go ahead, and
// `store` is set.
std::optional<acl_api_refusal> refuse_acl_api(const request_context& ctx, security::acl_operation operation,
                                              security::acl_store*& store);

// Answers a refused or failed request alike for each of its `count` items: CreateAcls' results,
// DeleteAcls' filter results.
template <typename Result>
void answer_each(std::vector<Result>& results, std::size_t count, protocol::error_code code,
                 const std::string& message) {
  for (std::size_t i = 0; i < count; ++i) {
    auto& out = results.emplace_back();
    out.error_code = wire_code(code);
    out.error_message = message;
  }
}

// A binding or filter from the wire's codes. Codes Kafka does not define become UNKNOWN, which
// the store's validation refuses with INVALID_REQUEST.
security::acl_binding acl_binding_from_wire(std::int8_t resource_type, std::string resource_name,
                                            std::int8_t pattern_type, std::string principal, std::string host,
                                            std::int8_t operation, std::int8_t permission);
security::acl_binding_filter acl_filter_from_wire(std::int8_t resource_type, std::optional<std::string> resource_name,
                                                  std::int8_t pattern_type, std::optional<std::string> principal,
                                                  std::optional<std::string> host, std::int8_t operation,
                                                  std::int8_t permission);

// The binding as log fields: resource_type=TOPIC pattern_type=LITERAL resource="orders" ...
std::string describe_binding(const security::acl_binding& binding);

}  // namespace spate::broker
