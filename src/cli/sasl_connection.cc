#include "cli/sasl_connection.h"

#include <string>

#include "cli/connection_properties.h"
#include "protocol/messages/sasl_authenticate.h"
#include "protocol/messages/sasl_handshake.h"
#include "security/scram_client.h"

namespace spate::cli {

namespace {

constexpr std::int16_t handshake_version = 1;     // v1: the tokens travel in SaslAuthenticate
constexpr std::int16_t authenticate_version = 1;  // the last non-flexible version

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
  connection_properties settings;
  try {
    settings = read_connection_properties(options.properties);
  } catch (const std::invalid_argument& e) {
    throw command_error(std::string(what) + ": " + e.what());
  }
  try {
    auto connection = std::make_unique<kafka_connection>(first_broker(options),
                                                         std::chrono::milliseconds(options.timeout_ms), settings.tls);
    if (settings.sasl) {
      authenticator login(*connection, what);
      if (const auto scram = security::parse_mechanism_name(settings.mechanism)) {
        login.scram(*scram, settings.user, settings.password);
      } else {
        login.plain(settings.user, settings.password);
      }
    }
    return connection;
  } catch (const command_error&) {
    throw;
  } catch (const tls_error& e) {
    fail(what, RD_KAFKA_RESP_ERR__SSL, e.what());
  } catch (const std::exception& e) {
    fail(std::string(what) + " " + first_broker(options), RD_KAFKA_RESP_ERR__TRANSPORT, e.what());
  }
}

}  // namespace spate::cli
