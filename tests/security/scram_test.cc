#include <gtest/gtest.h>

#include "security/base64.h"
#include "security/scram_client.h"
#include "security/scram_server.h"

namespace spate::security {
namespace {

// RFC 7677 section 3: SCRAM-SHA-256 for user "user", password "pencil".
constexpr std::string_view rfc_client_nonce = "rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view rfc_server_nonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr std::string_view rfc_salt_b64 = "W22ZaJ0SNY7soEsUEjb6gQ==";
constexpr std::string_view rfc_client_first = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view rfc_server_first =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr std::string_view rfc_client_final =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr std::string_view rfc_server_final = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

constexpr std::string_view secret = "server-secret";

scram_credential rfc_credential() {
  return derive_credential(scram_mechanism::sha256, "pencil", *base64_decode(rfc_salt_b64), 4096);
}

// A lookup that knows one user.
scram_server::credential_lookup one_user(std::string name, scram_credential credential) {
  return [name = std::move(name), credential = std::move(credential)](
             std::string_view user, bool token_auth) -> std::optional<scram_credential> {
    if (user != name || token_auth) return std::nullopt;
    return credential;
  };
}

scram_server rfc_server() {
  return scram_server(scram_mechanism::sha256, one_user("user", rfc_credential()), std::string(secret),
                      std::string(rfc_server_nonce));
}

TEST(ScramServer, ReproducesTheRfc7677Exchange) {
  auto server = rfc_server();
  auto first = server.handle_client_first(rfc_client_first);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(*first, rfc_server_first);
  auto final_message = server.handle_client_final(rfc_client_final);
  ASSERT_TRUE(final_message) << server.failure_reason();
  EXPECT_EQ(*final_message, rfc_server_final);
  EXPECT_TRUE(server.complete());
  EXPECT_EQ(server.username(), "user");
}

TEST(ScramServer, AcceptsAFinalNonceThatEndsWithTheServerFirstNonceAsKafkaDoes) {
  // librdkafka sends its own nonce once more before the server-first's; Kafka's ScramSaslServer
  // checks endsWith, so the nonce passes and the proof decides (here: wrong, as it was computed
  // over another client-final).
  auto server = rfc_server();
  ASSERT_TRUE(server.handle_client_first(rfc_client_first));
  const std::string prefixed =
      "c=biws,r=rOprNGfwEbeRWgbNEkqOrOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
      "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
  EXPECT_FALSE(server.handle_client_final(prefixed));
  EXPECT_NE(server.failure_reason(), "nonce mismatch");

  auto other = rfc_server();
  ASSERT_TRUE(other.handle_client_first(rfc_client_first));
  EXPECT_FALSE(other.handle_client_final("c=biws,r=rOprNGfwEbeRWgbNEkqOxx,p=AQID"));
  EXPECT_EQ(other.failure_reason(), "nonce mismatch");
}

TEST(ScramClient, ReproducesTheRfc7677Exchange) {
  scram_client client(scram_mechanism::sha256, "user", "pencil", {}, std::string(rfc_client_nonce));
  EXPECT_EQ(client.client_first(), rfc_client_first);
  auto final_message = client.handle_server_first(rfc_server_first);
  ASSERT_TRUE(final_message) << final_message.error().message;
  EXPECT_EQ(*final_message, rfc_client_final);
  EXPECT_TRUE(client.handle_server_final(rfc_server_final));
}

// Runs a whole exchange; returns the server's verdict on the client-final.
result<std::string> exchange(scram_mechanism m, scram_server& server, scram_client& client) {
  auto first = server.handle_client_first(client.client_first());
  if (!first) return first;
  auto final_message = client.handle_server_first(*first);
  if (!final_message) return final_message;
  auto server_final = server.handle_client_final(*final_message);
  if (server_final) {
    auto verified = client.handle_server_final(*server_final);
    if (!verified) return base::failure(verified.error());
  }
  (void)m;
  return server_final;
}

TEST(Scram, RoundTripsWithBothMechanismsAndRandomNonces) {
  for (const auto m : {scram_mechanism::sha256, scram_mechanism::sha512}) {
    scram_server server(m, one_user("alice", new_credential(m, "secret", 8192)), std::string(secret));
    scram_client client(m, "alice", "secret");
    auto result = exchange(m, server, client);
    ASSERT_TRUE(result) << mechanism_name(m) << ": " << server.failure_reason();
    EXPECT_TRUE(server.complete());
  }
}

TEST(Scram, AWrongPasswordFailsWithTheGenericMessage) {
  const auto m = scram_mechanism::sha512;
  scram_server server(m, one_user("alice", new_credential(m, "secret")), std::string(secret));
  scram_client client(m, "alice", "wrong");
  auto result = exchange(m, server, client);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, errc::authentication_failed);
  EXPECT_EQ(result.error().message, std::string(scram_failure_message) + "SCRAM-SHA-512");
  EXPECT_EQ(server.failure_reason(), "invalid proof");
  EXPECT_FALSE(server.complete());
}

TEST(Scram, AnUnknownUserLooksLikeAWrongPasswordUntilTheProof) {
  const auto m = scram_mechanism::sha256;
  auto lookup = one_user("alice", new_credential(m, "secret"));
  // The server-first for an unknown user is well formed and its salt is the same on every attempt,
  // as a real user's would be.
  scram_server a(m, lookup, std::string(secret), "N1");
  scram_server b(m, lookup, std::string(secret), "N1");
  auto first_a = a.handle_client_first("n,,n=mallory,r=abc");
  auto first_b = b.handle_client_first("n,,n=mallory,r=abc");
  ASSERT_TRUE(first_a);
  ASSERT_TRUE(first_b);
  EXPECT_EQ(*first_a, *first_b);
  auto parsed = parse_server_first(*first_a);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->salt.size(), scram_salt_size);
  EXPECT_EQ(parsed->iterations, scram_default_iterations);

  scram_server server(m, lookup, std::string(secret));
  scram_client client(m, "mallory", "anything");
  auto result = exchange(m, server, client);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message, std::string(scram_failure_message) + "SCRAM-SHA-256");
  EXPECT_EQ(server.failure_reason(), "unknown user");
}

TEST(Scram, FakeCredentialsDependOnTheSecretTheUserAndTheMechanism) {
  const auto base = fake_credential(scram_mechanism::sha256, "s", "u");
  EXPECT_EQ(base, fake_credential(scram_mechanism::sha256, "s", "u"));
  EXPECT_NE(base.salt, fake_credential(scram_mechanism::sha256, "t", "u").salt);
  EXPECT_NE(base.salt, fake_credential(scram_mechanism::sha256, "s", "v").salt);
  EXPECT_NE(base.salt, fake_credential(scram_mechanism::sha512, "s", "u").salt);
  EXPECT_EQ(fake_credential(scram_mechanism::sha512, "s", "u").stored_key.size(), 64u);
}

TEST(Scram, TheTokenauthExtensionIsReportedToTheLookup) {
  bool saw_token_auth = false;
  scram_server server(
      scram_mechanism::sha256,
      [&](std::string_view, bool token_auth) -> std::optional<scram_credential> {
        saw_token_auth = token_auth;
        return std::nullopt;  // no delegation tokens: refused at the proof
      },
      std::string(secret));
  ASSERT_TRUE(server.handle_client_first("n,,n=user,r=abc,tokenauth=true"));
  EXPECT_TRUE(saw_token_auth);
  EXPECT_TRUE(server.token_auth());
}

TEST(Scram, AnUnknownExtensionFailsTheExchange) {
  auto server = rfc_server();
  auto r = server.handle_client_first("n,,n=user,r=abc,foo=bar");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::authentication_failed);
  EXPECT_EQ(server.failure_reason(), "unsupported SCRAM extension foo");
}

TEST(Scram, AnAuthzidMustNameTheUserItself) {
  auto other = rfc_server();
  EXPECT_FALSE(other.handle_client_first("n,a=admin,n=user,r=abc"));
  // The same name is fine, and the gs2 header (with the authzid) is what c= must carry.
  const auto m = scram_mechanism::sha256;
  scram_server server(m, one_user("user", rfc_credential()), std::string(secret));
  scram_client client(m, "user", "pencil", "user");
  EXPECT_TRUE(exchange(m, server, client));
}

TEST(Scram, MessagesOutOfTurnAreIllegalState) {
  auto server = rfc_server();
  auto early = server.handle_client_final(rfc_client_final);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, errc::illegal_sasl_state);
  ASSERT_TRUE(server.handle_client_first(rfc_client_first));
  auto again = server.handle_client_first(rfc_client_first);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, errc::illegal_sasl_state);
}

TEST(Scram, NothingIsAcceptedAfterAFailure) {
  auto server = rfc_server();
  ASSERT_TRUE(server.handle_client_first(rfc_client_first));
  ASSERT_FALSE(server.handle_client_final("c=biws,r=wrong,p=AQID"));
  auto retry = server.handle_client_final(rfc_client_final);
  ASSERT_FALSE(retry);
  EXPECT_EQ(retry.error().code, errc::illegal_sasl_state);
  EXPECT_FALSE(server.complete());
}

// Each tampered client-final fails, with the reason the log gets.
TEST(Scram, TamperedClientFinalsFail) {
  const std::string nonce = std::string(rfc_client_nonce) + std::string(rfc_server_nonce);
  const std::string proof = "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
  const std::pair<std::string, std::string> cases[] = {
      {"c=eSws,r=" + nonce + "," + proof, "channel binding mismatch"},                // "y,," instead of "n,,"
      {"c=biws,r=" + nonce + "X," + proof, "nonce mismatch"},                         // nonce extended
      {"c=biws,r=" + std::string(rfc_client_nonce) + "," + proof, "nonce mismatch"},  // server part missing
      {"c=biws,r=" + nonce + ",p=AQID", "proof has the wrong length"},
      {"c=biws,r=" + nonce + ",p=eHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", "invalid proof"},  // one bit
      {"c=biws,r=" + nonce + ",x=y," + proof, "invalid proof"},  // AuthMessage changed by the extension
  };
  for (const auto& [message, reason] : cases) {
    auto server = rfc_server();
    ASSERT_TRUE(server.handle_client_first(rfc_client_first));
    auto r = server.handle_client_final(message);
    ASSERT_FALSE(r) << message;
    EXPECT_EQ(r.error().code, errc::authentication_failed);
    EXPECT_EQ(server.failure_reason(), reason) << message;
  }
}

TEST(ScramClient, RefusesAServerThatCannotProveItKnowsTheCredential) {
  scram_client client(scram_mechanism::sha256, "user", "pencil", {}, std::string(rfc_client_nonce));
  ASSERT_TRUE(client.handle_server_first(rfc_server_first));
  EXPECT_FALSE(client.handle_server_final("v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="));
  EXPECT_FALSE(client.handle_server_final("e=other-error"));
}

TEST(ScramClient, RefusesBadServerFirsts) {
  const std::string salt = std::string(rfc_salt_b64);
  for (const std::string& bad : {
           "r=someone-else,s=" + salt + ",i=4096",                             // nonce not extending ours
           "r=" + std::string(rfc_client_nonce) + ",s=" + salt + ",i=4096",    // nothing added by the server
           "r=" + std::string(rfc_client_nonce) + "x,s=" + salt + ",i=4095",   // below Kafka's minimum
           "r=" + std::string(rfc_client_nonce) + "x,s=" + salt + ",i=16385",  // above the maximum
       }) {
    scram_client client(scram_mechanism::sha256, "user", "pencil", {}, std::string(rfc_client_nonce));
    EXPECT_FALSE(client.handle_server_first(bad)) << bad;
  }
}

TEST(ScramCredential, MechanismNamesAndCodesAreKafkas) {
  EXPECT_EQ(parse_mechanism_name("SCRAM-SHA-256"), scram_mechanism::sha256);
  EXPECT_EQ(parse_mechanism_name("SCRAM-SHA-512"), scram_mechanism::sha512);
  EXPECT_EQ(parse_mechanism_name("SCRAM-SHA-1"), std::nullopt);
  EXPECT_EQ(mechanism_from_code(1), scram_mechanism::sha256);
  EXPECT_EQ(mechanism_from_code(2), scram_mechanism::sha512);
  EXPECT_EQ(mechanism_from_code(0), std::nullopt);
}

TEST(ScramCredential, ASaltedPasswordGivesTheSameCredentialAsThePassword) {
  const auto m = scram_mechanism::sha512;
  const std::string salt = "0123456789abcdef";
  const std::string salted = pbkdf2(algorithm(m), "pw", salt, 4096);
  EXPECT_EQ(credential_from_salted_password(m, salt, salted, 4096), derive_credential(m, "pw", salt, 4096));
  const auto fresh = new_credential(m, "pw");
  EXPECT_EQ(fresh.salt.size(), scram_salt_size);
  EXPECT_NE(fresh.salt, new_credential(m, "pw").salt);  // random
}

}  // namespace
}  // namespace spate::security
