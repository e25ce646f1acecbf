#include "broker/sasl_authenticator.h"

#include <algorithm>

#include "security/credential_store.h"
#include "security/plain.h"
#include "security/scram_server.h"

namespace spate::broker {
namespace {

class scram_exchange final : public sasl_exchange {
 public:
  scram_exchange(security::scram_mechanism mechanism, const security::credential_store& store)
      : _server(
            mechanism,
            [&store, mechanism](std::string_view user, bool token_auth) -> std::optional<security::scram_credential> {
              if (token_auth) return std::nullopt;  // no delegation tokens
              return store.lookup(user, mechanism);
            },
            store.fake_credential_secret()) {}

  security::result<std::string> step(std::string_view token) override {
    return _first_done ? _server.handle_client_final(token) : (_first_done = true, _server.handle_client_first(token));
  }
  bool complete() const override { return _server.complete(); }
  std::string username() const override { return _server.username(); }
  std::string failure_reason() const override { return _server.failure_reason(); }

 private:
  security::scram_server _server;
  bool _first_done = false;
};

class plain_exchange final : public sasl_exchange {
 public:
  explicit plain_exchange(const security::plain_users& users) : _users(users) {}

  security::result<std::string> step(std::string_view token) override {
    if (_done) return security::fail(security::errc::illegal_sasl_state, "PLAIN takes one message");
    _done = true;
    auto user = security::authenticate_plain(token, _users);
    if (!user) {
      _failure = user.error().message;
      return base::failure(user.error());
    }
    _username = std::move(*user);
    return std::string();
  }
  bool complete() const override { return !_username.empty(); }
  std::string username() const override { return _username; }
  std::string failure_reason() const override { return _failure; }

 private:
  const security::plain_users& _users;
  bool _done = false;
  std::string _username;
  std::string _failure;
};

}  // namespace

sasl_authenticator::sasl_authenticator(std::vector<std::string> mechanisms,
                                       const security::credential_store* credentials,
                                       const security::plain_users* plain, std::chrono::milliseconds failure_delay)
    : _mechanisms(std::move(mechanisms)), _credentials(credentials), _plain(plain), _throttle(failure_delay) {}

bool sasl_authenticator::enabled(std::string_view mechanism) const {
  return std::find(_mechanisms.begin(), _mechanisms.end(), mechanism) != _mechanisms.end();
}

std::unique_ptr<sasl_exchange> sasl_authenticator::start(std::string_view mechanism) const {
  if (!enabled(mechanism)) return nullptr;
  if (mechanism == "PLAIN") return _plain ? std::make_unique<plain_exchange>(*_plain) : nullptr;
  const auto scram = security::parse_mechanism_name(mechanism);
  if (!scram || _credentials == nullptr) return nullptr;
  return std::make_unique<scram_exchange>(*scram, *_credentials);
}

std::string_view peer_ip(std::string_view peer) {
  if (!peer.empty() && peer.front() == '[') {
    const auto close = peer.find(']');
    return close == std::string_view::npos ? peer : peer.substr(1, close - 1);
  }
  const auto colon = peer.rfind(':');
  return colon == std::string_view::npos ? peer : peer.substr(0, colon);
}

}  // namespace spate::broker
