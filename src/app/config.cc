#include "app/config.h"

#include <charconv>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>

#include <fmt/format.h>

#include "app/config_settings.h"
#include "app/config_text.h"
#include "app/listeners.h"
#include "model/topic_name.h"
#include "security/principal_mapping.h"
#include "storage/topic_config_table.h"

namespace spate::app {
namespace {

template <typename Int>
Int parse_int(std::string_view key, std::string_view text, Int min, Int max) {
  Int value{};
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end) {
    throw config_error(fmt::format("config key '{}': '{}' is not an integer", key, text));
  }
  if (value < min || value > max) {
    throw config_error(fmt::format("config key '{}': {} is outside the range {}..{}", key, value, min, max));
  }
  return value;
}

bool parse_bool(std::string_view key, std::string_view text) {
  if (text == "true") return true;
  if (text == "false") return false;
  throw config_error(fmt::format("config key '{}': '{}' is not true or false", key, text));
}

std::vector<declared_topic> parse_topics(std::string_view key, std::string_view text) {
  std::vector<declared_topic> topics;
  for_each_item(text, ',', [&](std::string_view item) {
    declared_topic topic;
    const auto colon = item.find(':');
    topic.name = std::string(item.substr(0, colon));
    if (colon != std::string_view::npos) {
      topic.partitions = parse_int<std::int32_t>(key, item.substr(colon + 1), 1, 100000);
    }
    if (!model::is_valid_topic_name(topic.name)) {
      throw config_error(fmt::format("config key '{}': '{}' is not a valid topic name", key, topic.name));
    }
    topics.push_back(std::move(topic));
  });
  return topics;
}

// Validates and sets a topic default by its row of the topic config table; errors name `key`.
void set_topic_default(broker_config& config, const storage::topic_config_row& row, std::string_view key,
                       std::string_view value) {
  if (auto why = storage::value_problem(row, value)) {
    throw config_error(fmt::format("config key '{}': invalid value '{}': {}", key, value, *why));
  }
  if (!row.field.set(config.log_defaults, value)) {
    throw config_error(fmt::format("config key '{}': '{}' is not supported by this broker", key, value));
  }
}

std::vector<std::string> parse_mechanisms(std::string_view key, std::string_view text) {
  auto mechanisms = split(text, ',');
  for (const auto& m : mechanisms) {
    if (m != "SCRAM-SHA-256" && m != "SCRAM-SHA-512" && m != "PLAIN") {
      throw config_error(fmt::format("config key '{}': unsupported SASL mechanism '{}'", key, m));
    }
  }
  return mechanisms;
}

net::tls_client_auth parse_client_auth(std::string_view key, std::string_view text) {
  if (text == "none") return net::tls_client_auth::none;
  if (text == "requested") return net::tls_client_auth::requested;
  if (text == "required") return net::tls_client_auth::required;
  throw config_error(fmt::format("config key '{}': '{}' is not none, requested or required", key, text));
}

// Checked now, so a bad rule stops start-up instead of failing each client later.
std::string parse_mapping_rules(std::string_view key, std::string_view text) {
  if (auto parsed = security::principal_mapper::parse(text); !parsed) {
    throw config_error(fmt::format("config key '{}': {}", key, parsed.error().message));
  }
  return std::string(text);
}

// Kafka's *.hours keys: a negative time means "no limit", as -1 ms does.
std::string hours_as_ms(std::int64_t hours) { return std::to_string(hours < 0 ? -1 : hours * 3600 * 1000); }

// The table itself: long because it has a row per setting, not because it holds logic.
const std::vector<setting>& settings() {
  static const std::vector<setting> table = {
      {"listeners", "PLAINTEXT://127.0.0.1:9092",
       "Addresses to accept Kafka clients on: NAME://host:port,... (a bare host:port is PLAINTEXT). SSL and "
       "SASL_SSL listeners need ssl.certificate.location and ssl.key.location.",
       [](broker_config& c, auto k, auto v) { c.listeners = parse_listeners(k, v); }},
      {"advertised.listeners", "(listeners)",
       "Addresses given to clients in Metadata responses, NAME://host:port per listener name; a client is told "
       "the address of the listener it connected to.",
       [](broker_config& c, auto k, auto v) { c.advertised_listeners = parse_listeners(k, v); }},
      {"listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL",
       "Security protocol of each listener name, NAME:PROTOCOL,...",
       [](broker_config& c, auto k, auto v) { c.security_protocol_map = parse_security_protocol_map(k, v); }},
      {"sasl.enabled.mechanisms", "SCRAM-SHA-256,SCRAM-SHA-512",
       "SASL mechanisms of SASL_PLAINTEXT and SASL_SSL listeners: SCRAM-SHA-256, SCRAM-SHA-512, PLAIN (PLAIN needs "
       "sasl.plain.users.file).",
       [](broker_config& c, auto k, auto v) { c.sasl_enabled_mechanisms = parse_mechanisms(k, v); }},
      {"sasl.plain.users.file", "(none)",
       "JSON file of PLAIN users and passwords, {\"users\":{\"alice\":\"secret\"}} (development only: clear-text "
       "passwords).",
       [](broker_config& c, auto, auto v) { c.sasl_plain_users_file = std::string(v); }},
      {"super.users", "(none)", "Principals allowed every operation, User:NAME;User:NAME2",
       [](broker_config& c, auto, auto v) { c.super_users = split(v, ';'); }},
      {"connection.failed.authentication.delay.ms", "100",
       "Delay before a failed SASL authentication is answered and its connection closed; it grows with the "
       "peer's failures in the last minute (x N, at most 5 s).",
       [](broker_config& c, auto k, auto v) {
         c.failed_authentication_delay_ms = parse_int<std::int64_t>(k, v, 0, 60000);
       }},
      {"connections.max.reauth.ms", "0",
       "When > 0, a SASL session lasts this long (KIP-368): SaslAuthenticate v1+ reports the lifetime, the "
       "client re-authenticates on the same connection before it ends (same mechanism and principal), and a "
       "connection whose session has expired is closed at its next request (clients reconnect).",
       [](broker_config& c, auto k, auto v) {
         c.connections_max_reauth_ms = parse_int<std::int64_t>(k, v, 0, std::numeric_limits<std::int64_t>::max());
       }},
      {"authorizer.enabled", "false",
       "Authorize every request with the broker's ACLs (acls.json in the data directory; CreateAcls, "
       "DescribeAcls, DeleteAcls and `spate acl` manage them). Off: every request is allowed.",
       [](broker_config& c, auto k, auto v) { c.authorizer_enabled = parse_bool(k, v); }},
      {"allow.everyone.if.no.acl.found", "false",
       "With the authorizer on: allow a request on a resource that no ACL names at all.",
       [](broker_config& c, auto k, auto v) { c.allow_everyone_if_no_acl_found = parse_bool(k, v); }},
      {"log.dirs", "./data", "Directory holding the broker's data.",
       [](broker_config& c, auto k, auto v) {
         if (v.empty()) throw config_error(fmt::format("config key '{}': must not be empty", k));
         c.data_dir = std::string(v);
       }},
      {"node.id", "1", "This broker's id (0..2147483647).",
       [](broker_config& c, auto k, auto v) {
         c.node_id = parse_int<std::int32_t>(k, v, 0, std::numeric_limits<std::int32_t>::max());
       }},
      {"num.partitions", "1", "Partitions of an auto-created topic.",
       [](broker_config& c, auto k, auto v) { c.num_partitions = parse_int<std::int32_t>(k, v, 1, 100000); }},
      {"auto.create.topics.enable", "true", "Create a topic when a client asks for metadata of a missing one.",
       [](broker_config& c, auto k, auto v) { c.auto_create_topics = parse_bool(k, v); }},
      {"log.roll.hours", "168", "log.roll.ms in hours (whichever of the two is set last applies).",
       [](broker_config& c, auto k, auto v) {
         set_topic_default(c, *topic_default("log.roll.ms"), k,
                           hours_as_ms(parse_int<std::int64_t>(k, v, 1, 24LL * 365 * 1000)));
       }},
      {"log.retention.hours", "168", "log.retention.ms in hours (whichever of the two is set last applies).",
       [](broker_config& c, auto k, auto v) {
         set_topic_default(c, *topic_default("log.retention.ms"), k,
                           hours_as_ms(parse_int<std::int64_t>(k, v, -1, 24LL * 365 * 1000)));
       }},
      {"log.retention.check.interval.ms", "300000", "How often retention runs.",
       [](broker_config& c, auto k, auto v) {
         c.retention_check_interval_ms = parse_int<std::int64_t>(k, v, 10, std::numeric_limits<std::int32_t>::max());
       }},
      {"log.page.cache.keep.bytes", "268435456",
       "Of each partition's appended data, the newest this many bytes stay in the page cache; older data is "
       "written to the disk early and dropped from the cache (consumers reading it read the disk), which keeps "
       "the page cache from growing with the log. -1: the kernel decides, as with Kafka. Durability is unchanged.",
       [](broker_config& c, auto k, auto v) {
         c.log_page_cache_keep_bytes = parse_int<std::int64_t>(k, v, -1, std::numeric_limits<std::int64_t>::max());
       }},
      {"socket.request.max.bytes", "104857600", "Largest request frame accepted; a larger one closes the connection.",
       [](broker_config& c, auto k, auto v) {
         c.socket_request_max_bytes = parse_int<std::int64_t>(k, v, 1024, std::numeric_limits<std::int32_t>::max());
       }},
      {"num.network.threads", "0", "Event-loop threads; 0 means one per core.",
       [](broker_config& c, auto k, auto v) { c.num_network_threads = parse_int<unsigned>(k, v, 0, 256); }},
      {"metrics.enabled", "true", "Record metrics and serve them at the admin API's /metrics (false: 404).",
       [](broker_config& c, auto k, auto v) { c.metrics_enabled = parse_bool(k, v); }},
      {"metrics.partition.labels", "false",
       "Also export per-partition log size and end offset (one series per partition).",
       [](broker_config& c, auto k, auto v) { c.metrics_partition_labels = parse_bool(k, v); }},
      {"log.level", "info", "Log level: trace, debug, info, warn, error.",
       [](broker_config& c, auto k, auto v) {
         static constexpr std::string_view levels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
         for (auto level : levels) {
           if (v == level) {
             c.log_level = std::string(v);
             return;
           }
         }
         throw config_error(fmt::format("config key '{}': unknown level '{}'", k, v));
       }},
      {"group.initial.rebalance.delay.ms", "3000",
       "How long a new group waits for more members before its first rebalance completes.",
       [](broker_config& c, auto k, auto v) {
         c.groups.initial_rebalance_delay_ms =
             parse_int<std::int32_t>(k, v, 0, std::numeric_limits<std::int32_t>::max());
       }},
      {"group.min.session.timeout.ms", "6000", "Smallest session timeout a group member may ask for.",
       [](broker_config& c, auto k, auto v) {
         c.groups.min_session_timeout_ms = parse_int<std::int32_t>(k, v, 1, std::numeric_limits<std::int32_t>::max());
       }},
      {"group.max.session.timeout.ms", "1800000", "Largest session timeout a group member may ask for.",
       [](broker_config& c, auto k, auto v) {
         c.groups.max_session_timeout_ms = parse_int<std::int32_t>(k, v, 1, std::numeric_limits<std::int32_t>::max());
       }},
      {"group.max.size", "2147483647", "Most members a consumer group may have.",
       [](broker_config& c, auto k, auto v) {
         c.groups.max_group_size = parse_int<std::int32_t>(k, v, 1, std::numeric_limits<std::int32_t>::max());
       }},
      {"offsets.topic.num.partitions", "50",
       "Partitions of __consumer_offsets when it is created (groups are placed by hash of their id).",
       [](broker_config& c, auto k, auto v) { c.offsets_topic_partitions = parse_int<std::int32_t>(k, v, 1, 1000); }},
      {"offsets.retention.minutes", "10080",
       "How long committed offsets are kept once their group is empty (or, for simple consumers, after the commit).",
       [](broker_config& c, auto k, auto v) {
         c.groups.offsets_retention_ms =
             parse_int<std::int64_t>(k, v, 1, std::numeric_limits<std::int32_t>::max()) * 60000;
       }},
      {"offsets.retention.check.interval.ms", "600000", "How often expired offsets are removed.",
       [](broker_config& c, auto k, auto v) {
         c.groups.offsets_retention_check_interval_ms =
             parse_int<std::int64_t>(k, v, 1, std::numeric_limits<std::int32_t>::max());
       }},
      {"offset.metadata.max.bytes", "4096", "Largest metadata string a committed offset may carry.",
       [](broker_config& c, auto k, auto v) {
         c.groups.max_metadata_bytes = parse_int<std::int32_t>(k, v, 0, std::numeric_limits<std::int32_t>::max());
       }},
      {"transaction.max.timeout.ms", "900000", "Largest transaction timeout a transactional producer may ask for.",
       [](broker_config& c, auto k, auto v) {
         c.transactions.transaction_max_timeout_ms =
             parse_int<std::int32_t>(k, v, 1, std::numeric_limits<std::int32_t>::max());
       }},
      {"transactional.id.expiration.ms", "604800000",
       "How long a transactional id without transactions is remembered (its producer id and epoch).",
       [](broker_config& c, auto k, auto v) {
         c.transactions.transactional_id_expiration_ms =
             parse_int<std::int64_t>(k, v, 1, std::numeric_limits<std::int32_t>::max());
       }},
      {"transaction.remove.expired.transaction.cleanup.interval.ms", "3600000",
       "How often expired transactional ids are removed.",
       [](broker_config& c, auto k, auto v) {
         c.transactions.expired_id_check_interval_ms =
             parse_int<std::int64_t>(k, v, 1, std::numeric_limits<std::int32_t>::max());
       }},
      {"transaction.state.log.num.partitions", "50",
       "Partitions of __transaction_state when it is created (transactional ids are placed by hash).",
       [](broker_config& c, auto k, auto v) {
         c.transactions.log_partitions = parse_int<std::int32_t>(k, v, 1, 1000);
       }},
      {"offsets.topic.segment.bytes", "104857600",
       "segment.bytes of __consumer_offsets when it is created; the cleaner compacts closed segments only.",
       [](broker_config& c, auto k, auto v) {
         c.offsets_topic_segment_bytes = parse_int<std::int32_t>(k, v, 14, std::numeric_limits<std::int32_t>::max());
       }},
      {"transaction.state.log.segment.bytes", "104857600", "segment.bytes of __transaction_state when it is created.",
       [](broker_config& c, auto k, auto v) {
         c.transaction_log_segment_bytes = parse_int<std::int32_t>(k, v, 14, std::numeric_limits<std::int32_t>::max());
       }},
      {"log.cleaner.enable", "true", "Run the log cleaner, which compacts topics with cleanup.policy=compact.",
       [](broker_config& c, auto k, auto v) { c.cleaner.enabled = parse_bool(k, v); }},
      {"log.cleaner.threads", "1", "Threads cleaning logs (each cleans one partition at a time).",
       [](broker_config& c, auto k, auto v) { c.cleaner.threads = parse_int<std::int32_t>(k, v, 1, 64); }},
      {"log.cleaner.io.max.bytes.per.second", "1.7976931348623157E308",
       "Bytes per second the cleaner threads may read plus write together.",
       [](broker_config& c, auto k, auto v) {
         c.cleaner.io_max_bytes_per_second = parse_int<double>(k, v, 1.0, std::numeric_limits<double>::max());
       }},
      {"log.cleaner.dedupe.buffer.size", "134217728",
       "Memory for the key map of one cleaning, split among the cleaner threads; a bigger one cleans more per pass.",
       [](broker_config& c, auto k, auto v) {
         c.cleaner.dedupe_buffer_size =
             parse_int<std::int64_t>(k, v, 1 << 20, std::numeric_limits<std::int64_t>::max());
       }},
      {"log.cleaner.backoff.ms", "15000", "How long a cleaner thread sleeps when no log needs cleaning.",
       [](broker_config& c, auto k, auto v) {
         c.cleaner.backoff_ms = parse_int<std::int64_t>(k, v, 0, std::numeric_limits<std::int32_t>::max());
       }},
      {"disk.quota.enable", "true",
       "Run the disk quota: throttle producers in the soft state, refuse appends in the hard one, trim the oldest "
       "segments of topics that allow it (docs/disk-quota.md).",
       [](broker_config& c, auto k, auto v) { c.disk_quota.enabled = parse_bool(k, v); }},
      {"disk.quota.bytes", "0",
       "Bytes the data directory may use; 0: no quota of its own, the filesystem's size is the limit (the "
       "filesystem counts in either case, as other processes share it).",
       [](broker_config& c, auto k, auto v) {
         c.disk_quota.quota_bytes =
             static_cast<std::uint64_t>(parse_int<std::int64_t>(k, v, 0, std::numeric_limits<std::int64_t>::max()));
       }},
      {"disk.quota.soft.percent", "90",
       "Usage (percent of the limit) at which producers are throttled and the trim policy runs.",
       [](broker_config& c, auto k, auto v) { c.disk_quota.soft_percent = parse_int<double>(k, v, 1.0, 100.0); }},
      {"disk.quota.hard.percent", "98",
       "Usage (percent of the limit) at which appends to user topics are refused with a retriable error.",
       [](broker_config& c, auto k, auto v) { c.disk_quota.hard_percent = parse_int<double>(k, v, 1.0, 100.0); }},
      {"disk.quota.clear.margin.percent", "2",
       "A state clears only when usage falls this many points below its threshold, so it does not flap.",
       [](broker_config& c, auto k, auto v) {
         c.disk_quota.clear_margin_percent = parse_int<double>(k, v, 0.0, 50.0);
       }},
      {"disk.free.min.bytes", "268435456",
       "The hard state also starts when the filesystem has less free space than this (capped at 2% of the "
       "filesystem's size): room for the appends of one check interval at full speed and for internal topics.",
       [](broker_config& c, auto k, auto v) {
         c.disk_quota.free_min_bytes =
             static_cast<std::uint64_t>(parse_int<std::int64_t>(k, v, 0, std::numeric_limits<std::int64_t>::max()));
       }},
      {"disk.quota.trim.min.age.ms", "300000",
       "The trim policy never deletes a segment whose newest record is younger than this.",
       [](broker_config& c, auto k, auto v) {
         c.disk_quota.trim_min_age_ms = parse_int<std::int64_t>(k, v, 0, std::numeric_limits<std::int64_t>::max());
       }},
      {"disk.quota.check.interval.ms", "1000",
       "How often usage is measured (appends in between are counted as they happen).",
       [](broker_config& c, auto k, auto v) {
         c.disk_quota.check_interval_ms = parse_int<std::int64_t>(k, v, 10, 3600000);
       }},
      {"disk.quota.throttle.max.ms", "1000",
       "The produce throttle at the hard threshold; it starts at a tenth of this at the soft threshold.",
       [](broker_config& c, auto k, auto v) {
         c.disk_quota.max_throttle_ms = parse_int<std::int64_t>(k, v, 0, 300000);
       }},
      {"quota.window.num", "11",
       "Samples a client quota's rate is measured over (Kafka's default); quotas are set with AlterClientQuotas.",
       [](broker_config& c, auto k, auto v) { c.quota_window_num = parse_int<std::int32_t>(k, v, 2, 1000); }},
      {"quota.window.size.seconds", "1", "Length of one sample of a client quota's rate.",
       [](broker_config& c, auto k, auto v) { c.quota_window_size_seconds = parse_int<std::int32_t>(k, v, 1, 3600); }},
      {"producer.id.expiration.ms", "86400000",
       "How long a partition remembers an idle producer's sequence numbers (its deduplication window).",
       [](broker_config& c, auto k, auto v) {
         c.producer_id_expiration_ms = parse_int<std::int64_t>(k, v, 1, std::numeric_limits<std::int32_t>::max());
       }},
      {"producer.id.expiration.check.interval.ms", "600000", "How often idle producers' state is removed.",
       [](broker_config& c, auto k, auto v) {
         c.producer_id_expiration_check_interval_ms =
             parse_int<std::int64_t>(k, v, 1, std::numeric_limits<std::int32_t>::max());
       }},
      {"admin.listeners", "127.0.0.1:9644",
       "Address of the HTTP admin API, HOST:PORT or http://HOST:PORT, or https://HOST:PORT for HTTPS with the "
       "ssl.* certificate and key (port 0: any free port; empty: disabled). Without admin.authentication, keep it "
       "on loopback.",
       [](broker_config& c, auto k, auto v) {
         if (v.empty()) {
           c.admin_listener.reset();
         } else {
           c.admin_listener = parse_admin_listener(k, v);
         }
       }},
      {"admin.authentication", "none",
       "How the HTTP admin API authenticates requests: none (callers are trusted as the operator, no ACL applies; "
       "keep the API on loopback), basic (HTTP Basic with the user name and password of a SCRAM user, see `spate "
       "user`; use it over https:// or on loopback, as the password travels with every request) or mtls (an "
       "https:// listener requires a client certificate that ssl.ca.location vouches for; the principal is its "
       "subject mapped by ssl.principal.mapping.rules). With basic or mtls, reads need DESCRIBE on CLUSTER and "
       "writes the ACLs of the Kafka API they call when authorizer.enabled=true.",
       [](broker_config& c, auto k, auto v) {
         if (v == "none") {
           c.admin_auth = admin_authentication::none;
         } else if (v == "basic") {
           c.admin_auth = admin_authentication::basic;
         } else if (v == "mtls") {
           c.admin_auth = admin_authentication::mtls;
         } else {
           throw config_error(fmt::format("config key '{}': '{}' is not none, basic or mtls", k, v));
         }
       }},
      {"admin.request.timeout.ms", "10000",
       "Time a client has to send an admin API request's headers and body; later, the answer is 408 and the "
       "connection closes.",
       [](broker_config& c, auto k, auto v) {
         c.admin_request_timeout_ms = parse_int<std::int64_t>(k, v, 100, 3600000);
       }},
      {"lag.enabled", "true", "Whether the built-in consumer-lag monitor runs (docs/lag.md).",
       [](broker_config& c, auto k, auto v) { c.lag_enabled = parse_bool(k, v); }},
      {"lag.sample.interval.ms", "10000",
       "How often the lag monitor samples every group's committed offsets and the partitions' ends.",
       [](broker_config& c, auto k, auto v) { c.lag.sample_interval_ms = parse_int<std::int64_t>(k, v, 10, 3600000); }},
      {"lag.window.ticks", "10", "Samples the lag monitor's rates and trends are taken over.",
       [](broker_config& c, auto k, auto v) { c.lag.evaluation.window_ticks = parse_int<int>(k, v, 2, 1000); }},
      {"lag.hysteresis.ticks", "2",
       "Ticks a new lag status (other than STOPPED and REWOUND, reported at once) must hold before it is reported.",
       [](broker_config& c, auto k, auto v) { c.lag.evaluation.hysteresis_ticks = parse_int<int>(k, v, 1, 100); }},
      {"lag.cluster.name", "local",
       "The cluster's name in the lag API, Burrow's API and the lag metrics' cluster_name.",
       [](broker_config& c, auto k, auto v) {
         if (v.empty()) throw config_error(fmt::format("config key '{}': must not be empty", k));
         c.lag.cluster = std::string(v);
       }},
      {"lag.history.enabled", "true", "Whether lag history is kept in lag.db in the data directory.",
       [](broker_config& c, auto k, auto v) { c.lag_history_enabled = parse_bool(k, v); }},
      {"lag.history.coarse.interval.ms", "300000",
       "Spacing of lag history rows for partitions where nothing changes (idle, stopped), and of downsampled rows.",
       [](broker_config& c, auto k, auto v) {
         c.lag.history->coarse_interval_ms = parse_int<std::int64_t>(k, v, 1, std::numeric_limits<std::int32_t>::max());
       }},
      {"lag.history.fine.retention.ms", "86400000", "Age after which per-tick lag history is downsampled to coarse.",
       [](broker_config& c, auto k, auto v) {
         c.lag.history->fine_retention_ms = parse_int<std::int64_t>(k, v, 1, std::numeric_limits<std::int64_t>::max());
       }},
      {"lag.history.retention.ms", "2592000000", "Age after which lag history is deleted.",
       [](broker_config& c, auto k, auto v) {
         c.lag.history->retention_ms = parse_int<std::int64_t>(k, v, 1, std::numeric_limits<std::int64_t>::max());
       }},
      {"lag.alert.webhook.url", "(none)",
       "http:// URL to POST a JSON notice to when a group's lag status reaches lag.alert.threshold, and when it "
       "is resolved.",
       [](broker_config& c, auto, auto v) { c.lag.alerts.webhook_url = std::string(v); }},
      {"lag.alert.threshold", "SLOW", "Lowest group status that sends an alert: SLOW, REWOUND, STALLED or STOPPED.",
       [](broker_config& c, auto k, auto v) {
         const auto s = lag::status_from_string(v);
         if (!s || *s < lag::status::slow) {
           throw config_error(fmt::format("config key '{}': '{}' is not SLOW, REWOUND, STALLED or STOPPED", k, v));
         }
         c.lag.alerts.threshold = *s;
       }},
      {"lag.alert.min.interval.ms", "60000", "Least time between two alerts of the same kind for one group.",
       [](broker_config& c, auto k, auto v) {
         c.lag.alerts.min_interval_ms = parse_int<std::int64_t>(k, v, 0, std::numeric_limits<std::int32_t>::max());
       }},
      {"topics", "(none)", "Topics to create at start-up: name[:partitions],...",
       [](broker_config& c, auto k, auto v) {
         for (auto& topic : parse_topics(k, v)) c.topics.push_back(std::move(topic));
       }},
  };
  return table;
}

}  // namespace

// TLS listeners' settings (ssl.*), a table of their own: adding rows to the one above makes
// clang-format re-wrap all of it.
const std::vector<setting>& tls_settings() {
  static const std::vector<setting> table = {
      {"ssl.certificate.location", "(none)",
       "PEM certificate chain (leaf first) of SSL and SASL_SSL listeners. Reloaded when it changes or on SIGHUP; "
       "open connections keep the old one. This and the next four keys may also be set for one listener, as "
       "listener.name.<listener name in lower case>.ssl.certificate.location and so on (Kafka's KIP-103).",
       [](broker_config& c, auto, auto v) { c.ssl.certificate = std::string(v); }},
      {"ssl.key.location", "(none)", "PEM private key of ssl.certificate.location (PKCS#8 or traditional).",
       [](broker_config& c, auto, auto v) { c.ssl.key = std::string(v); }},
      {"ssl.key.password", "(none)", "Password of an encrypted ssl.key.location.",
       [](broker_config& c, auto, auto v) { c.ssl.key_password = std::string(v); }},
      {"ssl.ca.location", "(none)", "PEM CA certificates trusted for client certificates (mutual TLS).",
       [](broker_config& c, auto, auto v) { c.ssl.ca = std::string(v); }},
      {"ssl.client.auth", "none",
       "Client certificates on SSL listeners: none, requested (verified when sent) or required (a client without "
       "a certificate from ssl.ca.location is refused). As in Kafka (KIP-684), a SASL_SSL listener asks for them "
       "only with its own listener.name.<name>.ssl.client.auth.",
       [](broker_config& c, auto k, auto v) { c.ssl.client_auth = parse_client_auth(k, v); }},
      {"ssl.principal.mapping.rules", "DEFAULT",
       "From a client certificate's subject (RFC 2253) to the principal's name on SSL listeners: "
       "RULE:pattern/replacement/[L|U],... or DEFAULT (the subject as it is).",
       [](broker_config& c, auto k, auto v) { c.ssl_principal_mapping_rules = parse_mapping_rules(k, v); }},
  };
  return table;
}

const std::vector<setting>& all_settings() {
  static const std::vector<setting> all = [] {
    std::vector<setting> out = settings();
    out.insert(out.end(), tls_settings().begin(), tls_settings().end());
    return out;
  }();
  return all;
}

const storage::topic_config_row* topic_default(std::string_view key) {
  const auto* row = storage::find_topic_config_by_broker_name(key);
  return row && row->storage_acts_on_it() ? row : nullptr;
}

host_port broker_config::advertised(std::string_view listener_name) const {
  for (const auto& a : advertised_listeners) {
    if (a.name == listener_name) return a.address;
  }
  for (const auto& l : listeners) {
    if (l.name == listener_name) return l.address;
  }
  return listeners.empty() ? host_port{} : listeners.front().address;
}

std::string broker_config::security_protocol(std::string_view listener_name) const {
  const auto map = security_protocol_map.empty() ? default_security_protocol_map() : security_protocol_map;
  const auto it = map.find(std::string(listener_name));
  return it == map.end() ? std::string() : it->second;
}

admin_endpoint parse_admin_listener(std::string_view key, std::string_view text) {
  auto rest = trim(text);
  bool https = false;
  if (const auto scheme_end = rest.find("://"); scheme_end != std::string_view::npos) {
    const auto scheme = rest.substr(0, scheme_end);
    https = scheme == "https" || scheme == "HTTPS";
    if (!https && scheme != "http" && scheme != "HTTP" && scheme != "PLAINTEXT") {
      throw config_error(fmt::format("config key '{}': '{}' is not http://HOST:PORT or https://HOST:PORT", key, text));
    }
    rest = rest.substr(scheme_end + 3);
  }
  return {parse_host_port(key, rest), https};
}

host_port parse_host_port(std::string_view key, std::string_view text) {
  const auto rest = trim(text);
  const auto colon = rest.rfind(':');
  if (colon == std::string_view::npos) {
    throw config_error(fmt::format("config key '{}': '{}' is not host:port", key, text));
  }
  host_port hp;
  hp.host = std::string(rest.substr(0, colon));
  if (hp.host.size() >= 2 && hp.host.front() == '[' && hp.host.back() == ']') {
    hp.host = hp.host.substr(1, hp.host.size() - 2);
  }
  if (hp.host.empty()) hp.host = "0.0.0.0";
  hp.port = parse_int<std::uint16_t>(key, rest.substr(colon + 1), 0, 65535);
  return hp;
}

void apply_setting(broker_config& config, std::string_view key, std::string_view value) {
  if (apply_listener_ssl_setting(config, key, trim(value))) return;
  for (const auto& s : all_settings()) {
    if (s.key == key) {
      s.apply(config, key, trim(value));
      return;
    }
  }
  if (const auto* row = topic_default(key)) {
    set_topic_default(config, *row, key, trim(value));
    return;
  }
  throw config_error(fmt::format("unknown config key '{}' (see spate serve --help)", key));
}

void apply_properties_file(broker_config& config, const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw config_error(fmt::format("cannot read config file '{}'", file.string()));
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    const auto text = trim(line);
    if (text.empty() || text.front() == '#' || text.front() == '!') continue;
    const auto eq = text.find('=');
    if (eq == std::string_view::npos) {
      throw config_error(fmt::format("{}:{}: expected key=value, got '{}'", file.string(), line_number, text));
    }
    apply_setting(config, trim(text.substr(0, eq)), text.substr(eq + 1));
  }
}

}  // namespace spate::app
