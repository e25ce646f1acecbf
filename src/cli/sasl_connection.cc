#include "cli/sasl_connection.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>

#include "protocol/messages/sasl_authenticate.h"
#include "protocol/messages/sasl_handshake.h"
#include "security/scram_client.h"

namespace spate::cli {

namespace {

constexpr std::int16_t handshake_version = 1;     // v1: the tokens travel in SaslAuthenticate
constexpr std::int16_t authenticate_version = 1;  // the last non-flexible version

std::optional<std::string> property(const client_options& options, std::string_view key) {
  std::optional<std::string> found;
  for (const auto& p : options.properties) {
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

std::string to_text(const std::vector<std::uint8_t>& bytes) { return std::string(bytes.begin(), bytes.end()); }

class authenticator {
 public:
  authenticator(kafka_connection& connection, std::string_view what) : _connection(connection), _what(what) {}

  void handshake(const std::string& mechanism) {
    protocol::sasl_handshake_request request;
    request.mechanism = mechanism;
    const auto response = _connection.call<protocol::sasl_handshake_response>(request, handshake_version);
    if (response.error_code != 0) {
      std::string offered;
      for (const auto& m : response.mechanisms) offered += (offered.empty() ? "" : ",") + m;
      fail(std::string(_what), static_cast<rd_kafka_resp_err_t>(response.error_code),
           "the broker offers SASL mechanisms " + offered);
    }
  }

  std::string step(const std::string& token) {
    protocol::sasl_authenticate_request request;
    request.auth_bytes.assign(token.begin(), token.end());
    const auto response = _connection.call<protocol::sasl_authenticate_response>(request, authenticate_version);
    if (response.error_code != 0) {
      fail(std::string(_what), static_cast<rd_kafka_resp_err_t>(response.error_code),
           response.error_message.value_or(""));
    }
    return to_text(response.auth_bytes);
  }

  void plain(const std::string& user, const std::string& password) {
    handshake("PLAIN");
    step(std::string(1, '\0') + user + '\0' + password);
  }

  void scram(security::scram_mechanism mechanism, const std::string& user, const std::string& password) {
    handshake(std::string(security::mechanism_name(mechanism)));
    security::scram_client client(mechanism, user, password);
    const auto client_final = client.handle_server_first(step(client.client_first()));
    if (!client_final) refuse(client_final.error().message);
    if (auto checked = client.handle_server_final(step(*client_final)); !checked) refuse(checked.error().message);
  }

 private:
  [[noreturn]] void refuse(const std::string& why) {
    fail(std::string(_what), RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED, why);
  }

  kafka_connection& _connection;
  std::string_view _what;
};

}  // namespace

std::unique_ptr<kafka_connection> open_connection(const client_options& options, std::string_view what) {
  const auto protocol_name = upper(property(options, "security.protocol").value_or("PLAINTEXT"));
  if (protocol_name != "PLAINTEXT" && protocol_name != "SASL_PLAINTEXT") {
    throw command_error(std::string(what) + ": security.protocol " + protocol_name +
                        " is not supported by this command (PLAINTEXT or SASL_PLAINTEXT)");
  }
  const auto mechanism =
      upper(property(options, "sasl.mechanism").value_or(property(options, "sasl.mechanisms").value_or("PLAIN")));
  const auto scram = security::parse_mechanism_name(mechanism);
  const bool sasl = protocol_name == "SASL_PLAINTEXT";
  if (sasl && mechanism != "PLAIN" && !scram) {
    throw command_error(std::string(what) + ": sasl.mechanism " + mechanism +
                        " is not supported by this command (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)");
  }
  const auto user = property(options, "sasl.username");
  const auto password = property(options, "sasl.password");
  if (sasl && (!user || !password)) {
    throw command_error(std::string(what) + ": SASL_PLAINTEXT needs -X sasl.username=... and -X sasl.password=...");
  }
  try {
    auto connection =
        std::make_unique<kafka_connection>(first_broker(options), std::chrono::milliseconds(options.timeout_ms));
    if (sasl) {
      authenticator login(*connection, what);
      if (scram) {
        login.scram(*scram, *user, *password);
      } else {
        login.plain(*user, *password);
      }
    }
    return connection;
  } catch (const command_error&) {
    throw;
  } catch (const std::exception& e) {
    fail(std::string(what) + " " + first_broker(options), RD_KAFKA_RESP_ERR__TRANSPORT, e.what());
  }
}

}  // namespace spate::cli
