#include "security/scram_messages.h"

#include <charconv>
#include <vector>

#include "security/base64.h"

namespace spate::security {
namespace {

auto bad(std::string reason) { return fail(errc::authentication_failed, std::move(reason)); }

// Splits on every ',' keeping empty pieces ("a,,b" -> "a", "", "b").
std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const auto comma = s.find(',', start);
    if (comma == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
}

// "x=value" -> value when the attribute is `name`; nullopt otherwise.
std::optional<std::string_view> attribute(std::string_view part, char name) {
  if (part.size() < 2 || part[0] != name || part[1] != '=') return std::nullopt;
  return part.substr(2);
}

// RFC 5802: printable = %x21-2B / %x2D-7E (printable ASCII except ',').
bool valid_nonce(std::string_view n) {
  if (n.empty()) return false;
  for (const char ch : n) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x21 || c > 0x7E || c == ',') return false;
  }
  return true;
}

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Kafka's extension grammar (ScramMessages): key = ALPHA+, value = 1*(%x01-7F except '=' and ',').
result<std::map<std::string, std::string>> parse_extensions(const std::vector<std::string_view>& parts,
                                                            std::size_t from, std::size_t to) {
  std::map<std::string, std::string> out;
  for (std::size_t i = from; i < to; ++i) {
    const auto eq = parts[i].find('=');
    if (eq == std::string_view::npos || eq == 0) return bad("malformed extension");
    const auto key = parts[i].substr(0, eq);
    const auto value = parts[i].substr(eq + 1);
    for (const char c : key) {
      if (!is_alpha(c)) return bad("malformed extension name");
    }
    if (value.empty()) return bad("empty extension value");
    for (const char ch : value) {
      const auto c = static_cast<unsigned char>(ch);
      if (c < 0x01 || c > 0x7F || c == '=') return bad("malformed extension value");
    }
    if (!out.emplace(std::string(key), std::string(value)).second) return bad("duplicate extension");
  }
  return out;
}

std::optional<int> parse_iterations(std::string_view s) {
  int v = 0;
  if (s.empty() || s[0] == '0') return std::nullopt;  // no leading zeros, no sign
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

}  // namespace

std::string encode_saslname(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (const char c : name) {
    if (c == ',') {
      out += "=2C";
    } else if (c == '=') {
      out += "=3D";
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::string> decode_saslname(std::string_view saslname) {
  std::string out;
  out.reserve(saslname.size());
  for (std::size_t i = 0; i < saslname.size(); ++i) {
    const char c = saslname[i];
    if (c == ',') return std::nullopt;
    if (c != '=') {
      out += c;
      continue;
    }
    const auto code = saslname.substr(i + 1, 2);
    if (code == "2C") {
      out += ',';
    } else if (code == "3D") {
      out += '=';
    } else {
      return std::nullopt;
    }
    i += 2;
  }
  return out;
}

result<client_first_message> parse_client_first(std::string_view message) {
  if (message.size() > scram_max_message_size) return bad("client-first too long");
  const auto parts = split(message);
  if (parts.size() < 4) return bad("client-first: too few attributes");
  client_first_message m;
  // gs2-cbind-flag: we offer no -PLUS mechanism, so "p=" (the client wants channel binding) is
  // refused; "y" means the client could bind but believes we cannot, which is true (RFC 5802 6).
  if (parts[0] == "n" || parts[0] == "y") {
    m.cbind_flag = parts[0][0];
  } else {
    return bad(parts[0].starts_with("p=") ? "channel binding not supported" : "client-first: bad gs2 flag");
  }
  if (!parts[1].empty()) {
    const auto a = attribute(parts[1], 'a');
    if (!a || a->empty()) return bad("client-first: bad authzid");
    auto authzid = decode_saslname(*a);
    if (!authzid) return bad("client-first: bad authzid escaping");
    m.authzid = std::move(*authzid);
  }
  m.gs2_header = std::string(message.substr(0, parts[0].size() + parts[1].size() + 2));
  m.bare = std::string(message.substr(m.gs2_header.size()));
  // A mandatory extension we cannot know (RFC 5802: the server MUST fail the exchange).
  if (attribute(parts[2], 'm')) return bad("client-first: unsupported mandatory extension");
  const auto n = attribute(parts[2], 'n');
  if (!n || n->empty()) return bad("client-first: missing username");
  auto username = decode_saslname(*n);
  if (!username || username->empty()) return bad("client-first: bad username escaping");
  m.username = std::move(*username);
  const auto r = attribute(parts[3], 'r');
  if (!r || !valid_nonce(*r)) return bad("client-first: bad nonce");
  m.nonce = std::string(*r);
  auto ext = parse_extensions(parts, 4, parts.size());
  if (!ext) return base::failure(ext.error());
  m.extensions = std::move(*ext);
  return m;
}

std::string build_client_first(std::string_view username, std::string_view authzid, std::string_view nonce) {
  std::string out = "n,";
  if (!authzid.empty()) out += "a=" + encode_saslname(authzid);
  out += ",n=" + encode_saslname(username) + ",r=";
  out += nonce;
  return out;
}

result<server_first_message> parse_server_first(std::string_view message) {
  if (message.size() > scram_max_message_size) return bad("server-first too long");
  const auto parts = split(message);
  if (parts.size() < 3) return bad("server-first: too few attributes");
  if (attribute(parts[0], 'm')) return bad("server-first: unsupported mandatory extension");
  server_first_message m;
  const auto r = attribute(parts[0], 'r');
  if (!r || !valid_nonce(*r)) return bad("server-first: bad nonce");
  m.nonce = std::string(*r);
  const auto s = attribute(parts[1], 's');
  if (!s || s->empty()) return bad("server-first: missing salt");
  auto salt = base64_decode(*s);
  if (!salt) return bad("server-first: salt is not base64");
  m.salt = std::move(*salt);
  const auto i = attribute(parts[2], 'i');
  const auto iterations = i ? parse_iterations(*i) : std::nullopt;
  if (!iterations) return bad("server-first: bad iteration count");
  m.iterations = *iterations;
  auto ext = parse_extensions(parts, 3, parts.size());
  if (!ext) return base::failure(ext.error());
  m.text = std::string(message);
  return m;
}

std::string build_server_first(std::string_view nonce, std::string_view salt, int iterations) {
  std::string out = "r=";
  out += nonce;
  out += ",s=" + base64_encode(salt) + ",i=" + std::to_string(iterations);
  return out;
}

result<client_final_message> parse_client_final(std::string_view message) {
  if (message.size() > scram_max_message_size) return bad("client-final too long");
  const auto parts = split(message);
  if (parts.size() < 3) return bad("client-final: too few attributes");
  client_final_message m;
  const auto c = attribute(parts[0], 'c');
  auto binding = c ? base64_decode(*c) : std::nullopt;
  if (!binding || binding->empty()) return bad("client-final: bad channel binding");
  m.channel_binding = std::move(*binding);
  const auto r = attribute(parts[1], 'r');
  if (!r || !valid_nonce(*r)) return bad("client-final: bad nonce");
  m.nonce = std::string(*r);
  // The proof is always last (RFC 5802: proof follows any extensions).
  const auto p = attribute(parts.back(), 'p');
  auto proof = p && !p->empty() ? base64_decode(*p) : std::nullopt;
  if (!proof) return bad("client-final: bad proof");
  m.proof = std::move(*proof);
  auto ext = parse_extensions(parts, 2, parts.size() - 1);
  if (!ext) return base::failure(ext.error());
  m.without_proof = std::string(message.substr(0, message.size() - parts.back().size() - 1));
  return m;
}

std::string build_client_final_without_proof(std::string_view gs2_header, std::string_view nonce) {
  std::string out = "c=" + base64_encode(gs2_header) + ",r=";
  out += nonce;
  return out;
}

result<server_final_message> parse_server_final(std::string_view message) {
  if (message.size() > scram_max_message_size) return bad("server-final too long");
  const auto parts = split(message);
  server_final_message m;
  if (const auto e = attribute(parts[0], 'e')) {
    if (e->empty()) return bad("server-final: empty error");
    m.error = std::string(*e);
    return m;
  }
  const auto v = attribute(parts[0], 'v');
  auto verifier = v && !v->empty() ? base64_decode(*v) : std::nullopt;
  if (!verifier) return bad("server-final: bad verifier");
  auto ext = parse_extensions(parts, 1, parts.size());
  if (!ext) return base::failure(ext.error());
  m.verifier = std::move(*verifier);
  return m;
}

}  // namespace spate::security
