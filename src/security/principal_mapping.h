#pragma once
// Kafka's `ssl.principal.mapping.rules` (KIP-371): from the subject DN of a client certificate
// (mutual TLS) to the principal's name. The configuration is a list of rules separated by ',' or
// newlines, tried in order; the first that applies gives the name:
//
//   RULE:<pattern>/<replacement>/[L|U]   applies when the regex matches the whole DN; the name is
//                                        the DN with the pattern replaced ($1.. are groups), then
//                                        lower- (L) or upper-cased (U)
//   DEFAULT                              the DN unchanged (also the whole configuration's default)
//
// Inside a pattern or replacement, '\' escapes the next character (so a '/' or ',' can appear).
// When no rule applies, authentication fails (Kafka's NoMatchingRule).
//
// The DN must be in RFC 2253 form, as Java's X500Principal.getName() gives it
// ("CN=alice,OU=eng,O=Acme"); with OpenSSL that is X509_NAME_print_ex(..., XN_FLAG_RFC2253).
//
// Patterns are ECMAScript regular expressions (std::regex), which agree with Java's on what such
// rules use (classes, groups, lazy quantifiers, anchors); Java-only syntax such as possessive
// quantifiers or named groups is refused when the rules are parsed. Immutable once parsed:
// thread-safe.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "security/errc.h"

namespace spate::security {

class principal_mapper {
 public:
  // Parses the configuration value; empty means "DEFAULT". errc::invalid_config names the bad rule.
  static result<principal_mapper> parse(std::string_view rules);

  // The principal name for `dn`, or errc::no_matching_rule.
  result<std::string> map(std::string_view dn) const;

  struct rule;  // opaque: holds a compiled std::regex

 private:
  std::vector<std::shared_ptr<const rule>> _rules;
};

}  // namespace spate::security
