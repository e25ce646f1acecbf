#include "security/principal_mapping.h"

#include <cctype>
#include <regex>

namespace spate::security {

struct principal_mapper::rule {
  bool is_default = false;
  std::string pattern_text;
  std::regex pattern;
  std::string replacement;  // in std::regex_replace's format ($n groups)
  char case_change = 0;     // 0, 'L' or 'U'
};

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// Reads up to the next unescaped '/', starting at `pos`; advances `pos` past it. Escapes are kept
// in the pattern (the regex understands them) and resolved in the replacement.
bool read_part(std::string_view s, std::size_t& pos, std::string& out, bool keep_escapes) {
  while (pos < s.size()) {
    const char c = s[pos];
    if (c == '/') {
      ++pos;
      return true;
    }
    if (c == '\\') {
      if (pos + 1 >= s.size()) return false;
      if (keep_escapes && s[pos + 1] != '/' && s[pos + 1] != ',') out += '\\';
      out += s[pos + 1];
      pos += 2;
      continue;
    }
    out += c;
    ++pos;
  }
  return false;
}

}  // namespace

result<principal_mapper> principal_mapper::parse(std::string_view rules) {
  principal_mapper mapper;
  std::size_t pos = 0;
  auto bad = [&](std::string_view what) {
    return fail(errc::invalid_config, "ssl.principal.mapping.rules: " + std::string(what) + " at '" +
                                          std::string(rules.substr(std::min(pos, rules.size()))) + "'");
  };
  for (;;) {
    while (pos < rules.size() && (is_space(rules[pos]) || rules[pos] == '\n')) ++pos;
    if (pos >= rules.size()) break;
    auto r = std::make_shared<rule>();
    const auto rest = rules.substr(pos);
    if (rest.starts_with("DEFAULT")) {
      r->is_default = true;
      pos += 7;
    } else if (rest.starts_with("RULE:")) {
      pos += 5;
      if (!read_part(rules, pos, r->pattern_text, true)) return bad("unterminated pattern");
      std::string replacement;
      if (!read_part(rules, pos, replacement, false)) return bad("unterminated replacement");
      r->replacement = std::move(replacement);
      if (pos < rules.size() && (rules[pos] == 'L' || rules[pos] == 'U')) r->case_change = rules[pos++];
      try {
        r->pattern = std::regex(r->pattern_text, std::regex::ECMAScript);
      } catch (const std::regex_error&) {
        return bad("invalid regular expression");
      }
    } else {
      return bad("expected RULE: or DEFAULT");
    }
    while (pos < rules.size() && is_space(rules[pos])) ++pos;
    if (pos < rules.size()) {
      if (rules[pos] != ',' && rules[pos] != '\n') return bad("expected ',' between rules");
      ++pos;
    }
    mapper._rules.push_back(std::move(r));
  }
  if (mapper._rules.empty()) {
    auto r = std::make_shared<rule>();
    r->is_default = true;
    mapper._rules.push_back(std::move(r));
  }
  return mapper;
}

result<std::string> principal_mapper::map(std::string_view dn) const {
  const std::string subject(dn);
  for (const auto& r : _rules) {
    if (r->is_default) return subject;
    if (!std::regex_match(subject, r->pattern)) continue;
    std::string name = std::regex_replace(subject, r->pattern, r->replacement);
    if (r->case_change == 'L') {
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (r->case_change == 'U') {
      for (auto& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return name;
  }
  return fail(errc::no_matching_rule, "No rules apply to " + subject);
}

}  // namespace spate::security
