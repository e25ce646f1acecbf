#pragma once
// Broker configuration: Kafka-style `key=value` properties from a file, overridden by flags.
// Every key is declared once: broker settings in the table in config.cc, broker-level topic
// defaults (log.retention.ms...) as rows of storage/topic_config_table.cc. Both tables produce
// `spate serve --help`'s list of keys and docs/configuration.md; an unknown key or a bad value is
// an error naming the key.
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "group/coordinator_config.h"
#include "lag/monitor.h"
#include "net/tls_files.h"
#include "storage/log_config.h"
#include "txn/coordinator_config.h"

namespace spate::app {

struct host_port {
  std::string host;
  std::uint16_t port = 0;
  bool operator==(const host_port&) const = default;
};

// The admin API's address (admin.listeners): http://HOST:PORT or https://HOST:PORT, the latter with
// the ssl.* certificate.
struct admin_endpoint {
  host_port address;
  bool https = false;
  bool operator==(const admin_endpoint&) const = default;
};

// admin.authentication: none (the caller is the operator), basic (HTTP Basic against the SCRAM
// users, admin/basic_auth.h) or mtls (the client certificate's mapped subject; HTTPS only).
enum class admin_authentication { none, basic, mtls };

// One Kafka listener: its name (PLAINTEXT, SASL_PLAINTEXT or a custom name mapped to a protocol by
// listener.security.protocol.map) and address. app/listeners.h parses and validates them.
struct listener {
  std::string name = "PLAINTEXT";
  host_port address;
  bool operator==(const listener&) const = default;
};

struct declared_topic {
  std::string name;
  std::int32_t partitions = 1;
};

struct broker_config {
  std::vector<listener> listeners{{"PLAINTEXT", {"127.0.0.1", 9092}}};
  // By listener name; a listener without an entry advertises its own address.
  std::vector<listener> advertised_listeners;
  std::map<std::string, std::string> security_protocol_map;  // empty: Kafka's default map
  // SASL (sasl.*, super.users, connections.max.reauth.ms).
  std::vector<std::string> sasl_enabled_mechanisms{"SCRAM-SHA-256", "SCRAM-SHA-512"};
  std::filesystem::path sasl_plain_users_file;  // empty: PLAIN cannot be enabled
  std::vector<std::string> super_users;         // principals, "User:alice"
  std::int64_t connections_max_reauth_ms = 0;
  std::int64_t failed_authentication_delay_ms = 100;  // connection.failed.authentication.delay.ms
  // TLS of SSL and SASL_SSL listeners (ssl.*): PEM files, the default of every TLS listener;
  // ssl_files_for() applies a listener's own listener.name.<name>.ssl.* settings.
  net::tls_files ssl;
  // listener.name.<name>.ssl.* (Kafka's per-listener settings, KIP-103): by listener name in lower
  // case, as Kafka writes it there, the (ssl.* key, value) pairs in the order given.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> listener_ssl;
  std::string ssl_principal_mapping_rules = "DEFAULT";
  // ACLs (authorizer.enabled, allow.everyone.if.no.acl.found).
  bool authorizer_enabled = false;
  bool allow_everyone_if_no_acl_found = false;
  std::filesystem::path data_dir = "./data";
  std::int32_t node_id = 1;
  std::int32_t num_partitions = 1;
  bool auto_create_topics = true;
  // Kafka's broker-level log.* settings: the defaults every topic starts from.
  storage::log_config log_defaults;
  std::int64_t log_page_cache_keep_bytes = 256LL << 20;  // log.page.cache.keep.bytes
  std::int64_t retention_check_interval_ms = 300000;
  std::int64_t socket_request_max_bytes = 100LL * 1024 * 1024;
  unsigned num_network_threads = 0;  // 0: one per core
  std::string log_level = "info";
  bool metrics_enabled = true;            // metrics.enabled
  bool metrics_partition_labels = false;  // metrics.partition.labels
  std::vector<declared_topic> topics;
  // Consumer groups (group.*, offsets.*).
  group::coordinator_config groups;
  std::int32_t offsets_topic_partitions = 50;              // offsets.topic.num.partitions
  std::int32_t offsets_topic_segment_bytes = 104857600;    // offsets.topic.segment.bytes
  std::int32_t transaction_log_segment_bytes = 104857600;  // transaction.state.log.segment.bytes
  // Transactions (transaction.*, transactional.id.*) and idempotent producers' state.
  txn::coordinator_config transactions;
  std::int64_t producer_id_expiration_ms = 86400000;               // producer.id.expiration.ms
  std::int64_t producer_id_expiration_check_interval_ms = 600000;  // producer.id.expiration.check.interval.ms
  // The log cleaner (log.cleaner.*), which compacts topics with cleanup.policy=compact.
  struct cleaner_settings {
    bool enabled = true;
    std::int32_t threads = 1;
    double io_max_bytes_per_second = std::numeric_limits<double>::max();
    std::int64_t dedupe_buffer_size = 128LL << 20;
    std::int64_t backoff_ms = 15000;
  } cleaner;
  // The disk quota (disk.quota.*, disk.free.min.bytes; docs/disk-quota.md).
  struct disk_quota_settings {
    bool enabled = true;
    std::uint64_t quota_bytes = 0;  // 0: none, the filesystem's size is the limit
    double soft_percent = 90;
    double hard_percent = 98;
    double clear_margin_percent = 2;
    std::uint64_t free_min_bytes = 256ULL << 20;  // capped at 2% of the filesystem
    std::int64_t trim_min_age_ms = 300000;
    std::int64_t check_interval_ms = 1000;
    std::int64_t max_throttle_ms = 1000;
    std::int64_t reconcile_interval_ms = 60000;
  } disk_quota;
  // Client quotas' rate windows (Kafka's quota.window.num and quota.window.size.seconds); the
  // quotas themselves are set with AlterClientQuotas and kept in client-quotas.json.
  std::int32_t quota_window_num = 11;
  std::int32_t quota_window_size_seconds = 1;
  // The HTTP admin API (admin.*); nullopt: disabled.
  std::optional<admin_endpoint> admin_listener = admin_endpoint{{"127.0.0.1", 9644}, false};
  std::int64_t admin_request_timeout_ms = 10000;
  admin_authentication admin_auth = admin_authentication::none;
  // The built-in consumer-lag monitor (lag.*). Its history file is lag.db in data_dir.
  bool lag_enabled = true;
  bool lag_history_enabled = true;
  lag::monitor_config lag{.history = lag::store_config{}};

  // The address clients of `listener_name` are told to connect to (Metadata's broker list).
  host_port advertised(std::string_view listener_name) const;
  // The security protocol of `listener_name` (PLAINTEXT, SASL_PLAINTEXT, ...), empty if unmapped.
  std::string security_protocol(std::string_view listener_name) const;
  // The TLS files of a TLS listener: ssl.* overridden by its listener.name.<name>.ssl.* settings.
  // As in Kafka (KIP-684), a SASL_SSL listener asks for client certificates only when its own
  // listener.name.<name>.ssl.client.auth says so; the broker-wide ssl.client.auth is for SSL ones.
  net::tls_files ssl_files_for(std::string_view listener_name) const;
};

// A configuration error; what() names the key and the problem.
class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Applies one `key=value` setting (also listener.name.<name>.ssl.*). Throws config_error for an
// unknown key or a bad value.
void apply_setting(broker_config& config, std::string_view key, std::string_view value);

// Reads a properties file (`key=value` lines, `#` or `!` comments, blank lines ignored) into config.
void apply_properties_file(broker_config& config, const std::filesystem::path& file);

// Parses the admin API's address: "host:port", "http://host:port" (or "PLAINTEXT://") or
// "https://host:port". Throws config_error naming `key`.
admin_endpoint parse_admin_listener(std::string_view key, std::string_view text);
// Parses "host:port" (no scheme). Throws config_error naming `key`.
host_port parse_host_port(std::string_view key, std::string_view text);

// Human-readable list of every key with its default and meaning, for --help.
std::string describe_settings();

// docs/configuration.md: every broker setting and every topic config.
std::string configuration_markdown();

}  // namespace spate::app
