#include "cli/connection_properties.h"

#include <algorithm>
#include <cctype>

#include "security/scram_credential.h"

namespace spate::cli {

namespace {

std::optional<std::string> property(const std::vector<std::string>& properties, std::string_view key) {
  std::optional<std::string> found;
  for (const auto& p : properties) {
    if (p.size() > key.size() && p.compare(0, key.size(), key) == 0 && p[key.size()] == '=') {
      found = p.substr(key.size() + 1);  // the last one wins, as with librdkafka
    }
  }
  return found;
}

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

// librdkafka's boolean spellings.
bool read_bool(const std::vector<std::string>& properties, std::string_view key, bool otherwise) {
  const auto value = property(properties, key);
  if (!value) return otherwise;
  const auto v = upper(*value);
  if (v == "TRUE" || v == "T" || v == "1") return true;
  if (v == "FALSE" || v == "F" || v == "0") return false;
  throw std::invalid_argument(std::string(key) + " must be true or false, got '" + *value + "'");
}

tls_client_settings read_tls(const std::vector<std::string>& properties) {
  tls_client_settings tls;
  tls.ca_file = property(properties, "ssl.ca.location").value_or("");
  // librdkafka's "probe" searches the usual places of the system store; the default does too.
  if (tls.ca_file == "probe") tls.ca_file.clear();
  tls.certificate_file = property(properties, "ssl.certificate.location").value_or("");
  tls.key_file = property(properties, "ssl.key.location").value_or("");
  tls.key_password = property(properties, "ssl.key.password").value_or("");
  if (tls.certificate_file.empty() != tls.key_file.empty()) {
    throw std::invalid_argument("a client certificate needs both ssl.certificate.location and ssl.key.location");
  }
  tls.verify_certificate = read_bool(properties, "enable.ssl.certificate.verification", true);
  const auto algorithm = upper(property(properties, "ssl.endpoint.identification.algorithm").value_or("https"));
  if (algorithm != "HTTPS" && algorithm != "NONE") {
    throw std::invalid_argument("ssl.endpoint.identification.algorithm must be https or none, got '" + algorithm + "'");
  }
  tls.verify_host_name = algorithm == "HTTPS";
  return tls;
}

}  // namespace

connection_properties read_connection_properties(const std::vector<std::string>& properties) {
  connection_properties out;
  out.protocol = upper(property(properties, "security.protocol").value_or("PLAINTEXT"));
  if (out.protocol != "PLAINTEXT" && out.protocol != "SSL" && out.protocol != "SASL_PLAINTEXT" &&
      out.protocol != "SASL_SSL") {
    throw std::invalid_argument("security.protocol " + out.protocol +
                                " is not supported (PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL)");
  }
  if (out.protocol == "SSL" || out.protocol == "SASL_SSL") out.tls = read_tls(properties);
  out.sasl = out.protocol == "SASL_PLAINTEXT" || out.protocol == "SASL_SSL";
  if (!out.sasl) return out;
  out.mechanism =
      upper(property(properties, "sasl.mechanism").value_or(property(properties, "sasl.mechanisms").value_or("PLAIN")));
  if (out.mechanism != "PLAIN" && !security::parse_mechanism_name(out.mechanism)) {
    throw std::invalid_argument("sasl.mechanism " + out.mechanism +
                                " is not supported (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)");
  }
  const auto user = property(properties, "sasl.username");
  const auto password = property(properties, "sasl.password");
  if (!user || !password) {
    throw std::invalid_argument(out.protocol + " needs -X sasl.username=... and -X sasl.password=...");
  }
  out.user = *user;
  out.password = *password;
  return out;
}

}  // namespace spate::cli
