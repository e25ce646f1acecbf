#include "cli/connection_properties.h"

#include <gtest/gtest.h>

namespace spate::cli {
namespace {

TEST(read_connection_properties, defaults_to_plaintext_without_tls_or_sasl) {
  const auto p = read_connection_properties({});
  EXPECT_EQ(p.protocol, "PLAINTEXT");
  EXPECT_FALSE(p.tls);
  EXPECT_FALSE(p.sasl);
}

TEST(read_connection_properties, reads_the_ssl_properties_as_librdkafka_names_them) {
  const auto p = read_connection_properties({"security.protocol=ssl", "ssl.ca.location=/etc/ca.pem",
                                             "ssl.certificate.location=/c.pem", "ssl.key.location=/k.pem",
                                             "ssl.key.password=pw", "enable.ssl.certificate.verification=false",
                                             "ssl.endpoint.identification.algorithm=none"});
  EXPECT_EQ(p.protocol, "SSL");
  ASSERT_TRUE(p.tls);
  EXPECT_EQ(p.tls->ca_file, "/etc/ca.pem");
  EXPECT_EQ(p.tls->certificate_file, "/c.pem");
  EXPECT_EQ(p.tls->key_file, "/k.pem");
  EXPECT_EQ(p.tls->key_password, "pw");
  EXPECT_FALSE(p.tls->verify_certificate);
  EXPECT_FALSE(p.tls->verify_host_name);
  EXPECT_FALSE(p.sasl);
}

TEST(read_connection_properties, verifies_the_certificate_and_host_name_by_default) {
  const auto p = read_connection_properties({"security.protocol=SSL"});
  ASSERT_TRUE(p.tls);
  EXPECT_EQ(p.tls->ca_file, "");  // the system trust store
  EXPECT_TRUE(p.tls->verify_certificate);
  EXPECT_TRUE(p.tls->verify_host_name);
  EXPECT_EQ(read_connection_properties({"security.protocol=SSL", "ssl.ca.location=probe"}).tls->ca_file, "");
}

TEST(read_connection_properties, sasl_ssl_is_tls_plus_sasl_and_the_last_value_wins) {
  const auto p = read_connection_properties({"security.protocol=SASL_SSL", "sasl.mechanisms=scram-sha-512",
                                             "sasl.username=alice", "sasl.password=one", "sasl.password=two"});
  EXPECT_TRUE(p.tls);
  EXPECT_TRUE(p.sasl);
  EXPECT_EQ(p.mechanism, "SCRAM-SHA-512");
  EXPECT_EQ(p.user, "alice");
  EXPECT_EQ(p.password, "two");
}

TEST(read_connection_properties, refuses_what_it_cannot_honour_with_a_reason) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"security.protocol=SASL_GSSAPI"}, "security.protocol SASL_GSSAPI is not supported"},
      {{"security.protocol=SASL_SSL", "sasl.mechanism=GSSAPI", "sasl.username=a", "sasl.password=b"},
       "sasl.mechanism GSSAPI"},
      {{"security.protocol=SASL_SSL"}, "SASL_SSL needs -X sasl.username"},
      {{"security.protocol=SSL", "ssl.certificate.location=/c.pem"}, "needs both ssl.certificate.location"},
      {{"security.protocol=SSL", "enable.ssl.certificate.verification=maybe"}, "must be true or false"},
      {{"security.protocol=SSL", "ssl.endpoint.identification.algorithm=dns"}, "must be https or none"},
  };
  for (const auto& [properties, reason] : cases) {
    try {
      read_connection_properties(properties);
      ADD_FAILURE() << "accepted: " << reason;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace spate::cli
