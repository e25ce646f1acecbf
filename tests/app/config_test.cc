#include <fstream>

#include <gtest/gtest.h>

#include "app/config.h"
#include "app/listeners.h"
#include "app/tls_listeners.h"
#include "storage/topic_config_table.h"

namespace spate::app {
namespace {

std::string error_of(std::string_view key, std::string_view value) {
  broker_config config;
  try {
    apply_setting(config, key, value);
  } catch (const config_error& e) {
    return e.what();
  }
  return {};
}

// What load_tls_credentials(config) refuses, or "" when it accepts.
std::string tls_load_error(const broker_config& config) {
  try {
    (void)load_tls_credentials(config);
  } catch (const config_error& e) {
    return e.what();
  }
  return {};
}

TEST(config, defaults_listen_on_loopback_9092_with_data_in_dot_data) {
  broker_config config;
  ASSERT_EQ(config.listeners.size(), 1u);
  EXPECT_EQ(config.listeners[0], (listener{"PLAINTEXT", {"127.0.0.1", 9092}}));
  EXPECT_EQ(config.advertised("PLAINTEXT"), (host_port{"127.0.0.1", 9092}));
  EXPECT_EQ(config.security_protocol("PLAINTEXT"), "PLAINTEXT");
  EXPECT_EQ(config.data_dir, "./data");
  EXPECT_TRUE(config.auto_create_topics);
}

TEST(config, admin_listener_accepts_host_port_and_http_urls) {
  const auto key = "admin.listeners";
  EXPECT_EQ(parse_admin_listener(key, "10.1.2.3:9093"), (admin_endpoint{{"10.1.2.3", 9093}, false}));
  EXPECT_EQ(parse_admin_listener(key, "PLAINTEXT://localhost:19092"), (admin_endpoint{{"localhost", 19092}, false}));
  EXPECT_EQ(parse_admin_listener(key, "http://localhost:19092"), (admin_endpoint{{"localhost", 19092}, false}));
  EXPECT_EQ(parse_admin_listener(key, "https://0.0.0.0:9644"), (admin_endpoint{{"0.0.0.0", 9644}, true}));
  EXPECT_EQ(parse_admin_listener(key, "[::1]:9092"), (admin_endpoint{{"::1", 9092}, false}));
  EXPECT_EQ(parse_admin_listener(key, ":9092"), (admin_endpoint{{"0.0.0.0", 9092}, false}));
  EXPECT_THROW(parse_admin_listener(key, "SSL://localhost:9644"), config_error);
}

TEST(config, admin_authentication_takes_none_basic_or_mtls) {
  broker_config config;
  EXPECT_EQ(config.admin_auth, admin_authentication::none);
  apply_setting(config, "admin.authentication", "mtls");
  EXPECT_EQ(config.admin_auth, admin_authentication::mtls);
  apply_setting(config, "admin.authentication", "basic");
  EXPECT_EQ(config.admin_auth, admin_authentication::basic);
  EXPECT_THROW(apply_setting(config, "admin.authentication", "certificate"), config_error);
}

TEST(config, advertised_listener_overrides_listener_for_clients) {
  broker_config config;
  apply_setting(config, "advertised.listeners", "broker.example:29092");
  EXPECT_EQ(config.advertised("PLAINTEXT"), (host_port{"broker.example", 29092}));
}

TEST(config, several_named_listeners_each_with_its_advertised_address_and_protocol) {
  broker_config config;
  apply_setting(config, "listeners", "PLAINTEXT://127.0.0.1:9092, SASL_PLAINTEXT://0.0.0.0:9093,INTERNAL://:9094");
  apply_setting(config, "listener.security.protocol.map",
                "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,"
                "INTERNAL:SASL_PLAINTEXT");
  apply_setting(config, "advertised.listeners", "SASL_PLAINTEXT://broker.example:19093");
  ASSERT_EQ(config.listeners.size(), 3u);
  EXPECT_EQ(config.listeners[1], (listener{"SASL_PLAINTEXT", {"0.0.0.0", 9093}}));
  EXPECT_EQ(config.listeners[2], (listener{"INTERNAL", {"0.0.0.0", 9094}}));
  EXPECT_EQ(config.advertised("SASL_PLAINTEXT"), (host_port{"broker.example", 19093}));
  EXPECT_EQ(config.advertised("PLAINTEXT"), (host_port{"127.0.0.1", 9092}));
  EXPECT_EQ(config.security_protocol("INTERNAL"), "SASL_PLAINTEXT");
  EXPECT_NO_THROW(validate_listeners(config.listeners, config.advertised_listeners, config.security_protocol_map));
  EXPECT_EQ(listeners_text(config.listeners),
            "PLAINTEXT://127.0.0.1:9092,SASL_PLAINTEXT://0.0.0.0:9093,INTERNAL://0.0.0.0:9094");
}

TEST(config, unmapped_duplicate_and_unknown_advertised_listeners_are_refused) {
  const auto problem = [](std::string_view listeners, std::string_view advertised = "") -> std::string {
    try {
      broker_config config;
      apply_setting(config, "listeners", listeners);
      if (!advertised.empty()) apply_setting(config, "advertised.listeners", advertised);
      validate_listeners(config.listeners, config.advertised_listeners, default_security_protocol_map());
    } catch (const config_error& e) {
      return e.what();
    }
    return {};
  };
  EXPECT_EQ(problem("SSL://h:1,SASL_SSL://h:2"), "");  // their certificates are checked at start (tls_listeners.h)
  EXPECT_NE(problem("CUSTOM://h:1").find("listener.security.protocol.map"), std::string::npos);
  EXPECT_NE(problem("PLAINTEXT://h:1,PLAINTEXT://h:2").find("twice"), std::string::npos);
  EXPECT_NE(problem("PLAINTEXT://h:1", "SASL_PLAINTEXT://h:2").find("advertised.listeners"), std::string::npos);
  EXPECT_EQ(problem("h:1,SASL_PLAINTEXT://h:2"), "");
}

TEST(config, ssl_settings_are_parsed_and_a_tls_listener_needs_a_certificate_and_key) {
  broker_config config;
  apply_setting(config, "ssl.client.auth", "required");
  apply_setting(config, "ssl.key.password", "pw");
  apply_setting(config, "ssl.principal.mapping.rules", "RULE:^CN=([^,]+).*$/$1/L,DEFAULT");
  EXPECT_EQ(config.ssl.client_auth, net::tls_client_auth::required);
  EXPECT_EQ(config.ssl.key_password, "pw");
  EXPECT_NE(error_of("ssl.client.auth", "maybe").find("none, requested or required"), std::string::npos);
  EXPECT_NE(error_of("ssl.principal.mapping.rules", "RULE:broken").find("ssl.principal.mapping.rules"),
            std::string::npos);

  EXPECT_TRUE(load_tls_credentials(config).empty());  // no TLS listener: nothing to load
  apply_setting(config, "listeners", "PLAINTEXT://127.0.0.1:1,SASL_SSL://127.0.0.1:2");
  EXPECT_NE(tls_load_error(config).find("listener SASL_SSL uses SASL_SSL: it needs ssl.certificate.location and "
                                        "ssl.key.location"),
            std::string::npos)
      << tls_load_error(config);
  apply_setting(config, "ssl.certificate.location", "/nonexistent/server.crt");
  apply_setting(config, "ssl.key.location", "/nonexistent/server.key");
  EXPECT_NE(tls_load_error(config).find("/nonexistent/server.crt"), std::string::npos) << tls_load_error(config);
}

TEST(config, a_listener_overrides_ssl_settings_with_its_prefix) {
  broker_config config;
  apply_setting(config, "listeners", "INTERNAL://127.0.0.1:1,EXTERNAL://127.0.0.1:2");
  apply_setting(config, "listener.security.protocol.map", "INTERNAL:SSL,EXTERNAL:SSL");
  apply_setting(config, "ssl.certificate.location", "/etc/spate/broker.pem");
  apply_setting(config, "ssl.client.auth", "required");
  apply_setting(config, "listener.name.external.ssl.certificate.location", "/etc/spate/public.pem");
  apply_setting(config, "listener.name.external.ssl.client.auth", "none");
  EXPECT_EQ(config.ssl_files_for("INTERNAL").certificate, "/etc/spate/broker.pem");
  EXPECT_EQ(config.ssl_files_for("INTERNAL").client_auth, net::tls_client_auth::required);
  EXPECT_EQ(config.ssl_files_for("EXTERNAL").certificate, "/etc/spate/public.pem");
  EXPECT_EQ(config.ssl_files_for("EXTERNAL").client_auth, net::tls_client_auth::none);
  EXPECT_EQ(config.ssl.certificate, "/etc/spate/broker.pem");  // the broker-wide value is untouched
}

TEST(config, sasl_ssl_asks_for_client_certificates_only_with_its_own_setting) {
  // KIP-684: the broker-wide ssl.client.auth does not apply to SASL_SSL listeners.
  broker_config config;
  apply_setting(config, "listeners", "SSL://127.0.0.1:1,SASL_SSL://127.0.0.1:2,MTLS_SASL://127.0.0.1:3");
  apply_setting(config, "listener.security.protocol.map", "SSL:SSL,SASL_SSL:SASL_SSL,MTLS_SASL:SASL_SSL");
  apply_setting(config, "ssl.client.auth", "required");
  apply_setting(config, "listener.name.mtls_sasl.ssl.client.auth", "requested");
  EXPECT_EQ(config.ssl_files_for("SSL").client_auth, net::tls_client_auth::required);
  EXPECT_EQ(config.ssl_files_for("SASL_SSL").client_auth, net::tls_client_auth::none);
  EXPECT_EQ(config.ssl_files_for("MTLS_SASL").client_auth, net::tls_client_auth::requested);
}

TEST(config, bad_per_listener_ssl_settings_name_their_key) {
  EXPECT_NE(error_of("listener.name.external.ssl.client.auth", "maybe").find("listener.name.external.ssl.client.auth"),
            std::string::npos);
  EXPECT_NE(
      error_of("listener.name.external.ssl.principal.mapping.rules", "DEFAULT").find("cannot be set per listener"),
      std::string::npos);
  EXPECT_NE(error_of("listener.name.ssl.client.auth", "none").find("listener.name.<listener>.ssl.<setting>"),
            std::string::npos);
  broker_config config;
  apply_setting(config, "listener.name.nowhere.ssl.client.auth", "required");
  EXPECT_NE(tls_load_error(config).find("no SSL or SASL_SSL listener named nowhere"), std::string::npos)
      << tls_load_error(config);
}

TEST(config, errors_name_the_key) {
  EXPECT_NE(error_of("no.such.key", "1").find("no.such.key"), std::string::npos);
  EXPECT_NE(error_of("num.partitions", "zero").find("num.partitions"), std::string::npos);
  EXPECT_NE(error_of("num.partitions", "0").find("num.partitions"), std::string::npos);
  EXPECT_NE(error_of("node.id", "-1").find("node.id"), std::string::npos);
  EXPECT_NE(error_of("auto.create.topics.enable", "yes").find("auto.create.topics.enable"), std::string::npos);
  EXPECT_NE(error_of("listener.security.protocol.map", "X:TLS").find("listener.security.protocol.map"),
            std::string::npos);
  EXPECT_NE(error_of("sasl.enabled.mechanisms", "GSSAPI").find("sasl.enabled.mechanisms"), std::string::npos);
  EXPECT_NE(error_of("listeners", "h:99999").find("listeners"), std::string::npos);
  EXPECT_NE(error_of("topics", "bad/name:1").find("topics"), std::string::npos);
  EXPECT_NE(error_of("log.level", "loud").find("log.level"), std::string::npos);
}

TEST(config, topics_declare_names_and_partition_counts) {
  broker_config config;
  apply_setting(config, "topics", "orders:3, events ,logs:1");
  ASSERT_EQ(config.topics.size(), 3u);
  EXPECT_EQ(config.topics[0].name, "orders");
  EXPECT_EQ(config.topics[0].partitions, 3);
  EXPECT_EQ(config.topics[1].name, "events");
  EXPECT_EQ(config.topics[1].partitions, 1);
}

TEST(config, properties_file_skips_comments_and_reports_line_of_bad_syntax) {
  const auto path = std::filesystem::temp_directory_path() / "spate_config_test.properties";
  {
    std::ofstream out(path);
    out << "# a comment\n! another\n\nnum.partitions = 6\nnode.id=7\n";
  }
  broker_config config;
  apply_properties_file(config, path);
  EXPECT_EQ(config.num_partitions, 6);
  EXPECT_EQ(config.node_id, 7);
  {
    std::ofstream out(path);
    out << "num.partitions=2\njust words\n";
  }
  try {
    apply_properties_file(config, path);
    FAIL() << "a line without '=' must be rejected";
  } catch (const config_error& e) {
    EXPECT_NE(std::string(e.what()).find(":2:"), std::string::npos) << e.what();
  }
  std::filesystem::remove(path);
}

TEST(config, help_lists_every_key) {
  const auto help = describe_settings();
  for (auto key : {"listeners", "advertised.listeners", "log.dirs", "node.id", "num.partitions",
                   "auto.create.topics.enable", "log.segment.bytes", "socket.request.max.bytes", "topics"}) {
    EXPECT_NE(help.find(key), std::string::npos) << key;
  }
}

TEST(config, help_lists_every_topic_default_the_broker_accepts) {
  const auto help = describe_settings();
  for (const auto& row : storage::topic_config_table()) {
    if (!row.storage_acts_on_it() || row.broker_name.empty()) continue;
    EXPECT_NE(help.find(row.broker_name), std::string::npos) << row.broker_name;
    EXPECT_EQ(error_of(row.broker_name, storage::built_in_default(row)), "") << row.broker_name;
  }
}

TEST(config, topic_defaults_are_set_and_checked_by_their_topic_config_row) {
  broker_config config;
  apply_setting(config, "log.retention.ms", "1000");
  apply_setting(config, "message.max.bytes", "2048");
  apply_setting(config, "log.message.timestamp.type", "LogAppendTime");
  EXPECT_EQ(config.log_defaults.retention_ms, 1000);
  EXPECT_EQ(config.log_defaults.max_message_bytes, 2048);
  EXPECT_EQ(config.log_defaults.message_timestamp_type, model::timestamp_type::log_append_time);
  EXPECT_EQ(error_of("log.segment.bytes", "13"),
            "config key 'log.segment.bytes': invalid value '13': Value must be at least 14");
  EXPECT_NE(error_of("log.cleanup.policy", "shred").find("log.cleanup.policy"), std::string::npos);
  EXPECT_NE(error_of("log.preallocate", "true").find("unknown config key"), std::string::npos);  // only stored
}

TEST(config, hours_keys_set_the_milliseconds_and_negative_means_forever) {
  broker_config config;
  apply_setting(config, "log.roll.hours", "2");
  EXPECT_EQ(config.log_defaults.segment_ms, 2 * 3600 * 1000);
  apply_setting(config, "log.retention.hours", "-1");
  EXPECT_EQ(config.log_defaults.retention_ms, -1);
}

TEST(config, configuration_docs_list_every_key_and_topic_config) {
  const auto docs = configuration_markdown();
  for (auto key : {"`listeners`", "`node.id`", "`group.max.size`", "`topics`"}) {
    EXPECT_NE(docs.find(key), std::string::npos) << key;
  }
  for (const auto& row : storage::topic_config_table()) {
    EXPECT_NE(docs.find("`" + std::string(row.name) + "`"), std::string::npos) << row.name;
  }
}

}  // namespace
}  // namespace spate::app
