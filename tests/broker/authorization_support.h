#pragma once
// A test broker with an ACL authorizer. Requests through the test dispatcher carry no SASL
// session, so they are made as User:ANONYMOUS; `allow()` grants it operations.
#include <memory>
#include <string>
#include <vector>

#include "broker_test_support.h"
#include "security/acl_index.h"
#include "security/authorizer.h"
#include "security/principal.h"

namespace spate::broker::testing {

inline group::coordinator_config groups_without_initial_delay() {
  group::coordinator_config config;
  config.initial_rebalance_delay_ms = 0;
  return config;
}

class authorized_broker {
 public:
  explicit authorized_broker(security::authorizer_config config = {})
      : _authorizer(std::move(config)), _broker(options(_authorizer), groups_without_initial_delay()) {}

  test_broker& services() { return _broker; }
  security::authorizer& authorizer() { return _authorizer; }

  // Grants (or with `deny`, denies) `op` on a resource to the test dispatcher's principal.
  void allow(security::resource_type type, const std::string& name, security::acl_operation op,
             security::pattern_type pattern = security::pattern_type::literal,
             security::acl_permission permission = security::acl_permission::allow) {
    _bindings.push_back(
        {{type, name, pattern},
         {std::string(security::anonymous_principal), std::string(security::wildcard_host), op, permission}});
    _authorizer.set_acls(std::make_shared<const security::acl_index>(_bindings));
  }
  void deny(security::resource_type type, const std::string& name, security::acl_operation op) {
    allow(type, name, op, security::pattern_type::literal, security::acl_permission::deny);
  }

 private:
  static broker_options options(security::authorizer& authorizer) {
    auto o = test_options();
    o.authorizer = &authorizer;
    return o;
  }

  security::authorizer _authorizer;
  std::vector<security::acl_binding> _bindings;
  test_broker _broker;
};

}  // namespace spate::broker::testing
