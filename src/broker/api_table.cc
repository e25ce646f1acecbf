#include "broker/api_table.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "broker/handlers/add_offsets_to_txn.h"
#include "broker/handlers/add_partitions_to_txn.h"
#include "broker/handlers/alter_client_quotas.h"
#include "broker/handlers/alter_configs.h"
#include "broker/handlers/alter_user_scram_credentials.h"
#include "broker/handlers/api_versions.h"
#include "broker/handlers/create_acls.h"
#include "broker/handlers/create_partitions.h"
#include "broker/handlers/create_topics.h"
#include "broker/handlers/delete_acls.h"
#include "broker/handlers/delete_groups.h"
#include "broker/handlers/delete_records.h"
#include "broker/handlers/delete_topics.h"
#include "broker/handlers/describe_acls.h"
#include "broker/handlers/describe_client_quotas.h"
#include "broker/handlers/describe_cluster.h"
#include "broker/handlers/describe_configs.h"
#include "broker/handlers/describe_groups.h"
#include "broker/handlers/describe_log_dirs.h"
#include "broker/handlers/describe_producers.h"
#include "broker/handlers/describe_transactions.h"
#include "broker/handlers/describe_user_scram_credentials.h"
#include "broker/handlers/end_txn.h"
#include "broker/handlers/fetch.h"
#include "broker/handlers/find_coordinator.h"
#include "broker/handlers/heartbeat.h"
#include "broker/handlers/incremental_alter_configs.h"
#include "broker/handlers/init_producer_id.h"
#include "broker/handlers/join_group.h"
#include "broker/handlers/leave_group.h"
#include "broker/handlers/list_groups.h"
#include "broker/handlers/list_offsets.h"
#include "broker/handlers/list_transactions.h"
#include "broker/handlers/metadata.h"
#include "broker/handlers/offset_commit.h"
#include "broker/handlers/offset_delete.h"
#include "broker/handlers/offset_fetch.h"
#include "broker/handlers/offset_for_leader_epoch.h"
#include "broker/handlers/produce.h"
#include "broker/handlers/sasl_authenticate.h"
#include "broker/handlers/sasl_handshake.h"
#include "broker/handlers/sync_group.h"
#include "broker/handlers/txn_offset_commit.h"

namespace spate::broker {
namespace {

template <typename Handler>
constexpr served_api serve(std::string_view tested_with) {
  return served_api{Handler::request::key, Handler::min_version, Handler::max_version, tested_with,
                    &invoke<Handler>};
}

constexpr std::string_view txn_clients = "confluent-kafka-python (librdkafka), kafkajs (tests/e2e/test_exactly_once.py, js/transactions.test.js)";
constexpr std::string_view sasl_clients =
    "kcat, confluent-kafka-python (librdkafka), kafka-python, kafkajs (tests/e2e/test_sasl.py)";
constexpr std::string_view acl_clients =
    "librdkafka (ctypes), kafka-python, kafkajs, spate acl (tests/e2e/test_acl_admin.py)";
constexpr std::string_view group_clients = "confluent-kafka-python (librdkafka), kafka-python, kafkajs, kcat -G";

// Every API served, in any order (sorted by key below). Add a handler here and nowhere else.
constexpr std::array unsorted_apis = {
    // Connection set-up.
    serve<api_versions_handler>("kcat, confluent-kafka-python (librdkafka), kafka-python"),
    serve<metadata_handler>("kcat, confluent-kafka-python (librdkafka), kafka-python"),
    // Authentication on SASL_PLAINTEXT listeners.
    serve<sasl_handshake_handler>(sasl_clients),
    serve<sasl_authenticate_handler>(sasl_clients),
    // Coordinators. librdkafka compresses with lz4 only for brokers that serve FindCoordinator.
    serve<find_coordinator_handler>("kcat (lz4 produce), raw requests (tests/broker)"),
    // Consumer groups and committed offsets.
    serve<join_group_handler>(group_clients),
    serve<sync_group_handler>(group_clients),
    serve<heartbeat_handler>(group_clients),
    serve<leave_group_handler>(group_clients),
    serve<offset_commit_handler>(group_clients),
    serve<offset_fetch_handler>(group_clients),
    serve<list_groups_handler>("confluent-kafka-python (librdkafka), kafka-python, raw requests (tests/broker)"),
    serve<describe_groups_handler>("confluent-kafka-python (librdkafka), kafka-python, raw requests (tests/broker)"),
    serve<delete_groups_handler>("confluent-kafka-python (librdkafka), kafka-python, raw requests (tests/broker)"),
    serve<offset_delete_handler>("raw requests (tests/broker, tests/e2e/test_consumer_group_admin.py)"),
    // Idempotent producers and transactions.
    serve<init_producer_id_handler>(txn_clients),
    serve<add_partitions_to_txn_handler>(txn_clients),
    serve<add_offsets_to_txn_handler>(txn_clients),
    serve<end_txn_handler>(txn_clients),
    serve<txn_offset_commit_handler>(txn_clients),
    serve<describe_producers_handler>("raw requests (tests/broker)"),
    serve<describe_transactions_handler>("raw requests (tests/broker)"),
    serve<list_transactions_handler>("raw requests (tests/broker)"),
    // Data path: produce, fetch, offsets.
    serve<produce_handler>("kcat, confluent-kafka-python (librdkafka), kafka-python, kafkajs"),
    serve<fetch_handler>("kcat, confluent-kafka-python (librdkafka), kafka-python, kafkajs"),
    serve<list_offsets_handler>("kcat, confluent-kafka-python (librdkafka), kafka-python, kafkajs"),
    serve<offset_for_leader_epoch_handler>("raw requests (tests/e2e/data_wire.py)"),
    // Topic and configuration administration.
    serve<create_topics_handler>("confluent-kafka-python (librdkafka), kafka-python"),
    serve<delete_topics_handler>("confluent-kafka-python (librdkafka), kafka-python"),
    serve<describe_configs_handler>("confluent-kafka-python (librdkafka), kafka-python"),
    serve<alter_configs_handler>("confluent-kafka-python (librdkafka), kafka-python"),
    serve<incremental_alter_configs_handler>("raw requests (tests/e2e/data_wire.py)"),
    serve<create_partitions_handler>("confluent-kafka-python (librdkafka), kafka-python"),
    serve<delete_records_handler>("raw requests (tests/e2e/data_wire.py)"),
    serve<describe_log_dirs_handler>("raw requests (tests/e2e/data_wire.py)"),
    serve<describe_cluster_handler>("raw requests (tests/broker)"),
    // Client quotas.
    serve<describe_client_quotas_handler>("raw requests (tests/broker, tests/e2e/test_client_quotas.py)"),
    serve<alter_client_quotas_handler>("raw requests (tests/broker, tests/e2e/test_client_quotas.py)"),
    // SCRAM users (KIP-554).
    serve<describe_user_scram_credentials_handler>("spate user (tests/e2e/test_sasl.py)"),
    serve<alter_user_scram_credentials_handler>("spate user (tests/e2e/test_sasl.py)"),
    // ACLs.
    serve<create_acls_handler>(acl_clients),
    serve<describe_acls_handler>(acl_clients),
    serve<delete_acls_handler>(acl_clients),
};

constexpr auto sort_by_key(auto apis) {
  std::sort(apis.begin(), apis.end(), [](const served_api& a, const served_api& b) { return a.key < b.key; });
  return apis;
}
constexpr auto apis = sort_by_key(unsorted_apis);

constexpr bool each_key_once() {
  for (std::size_t i = 1; i < apis.size(); ++i) {
    if (apis[i - 1].key == apis[i].key) return false;
  }
  return true;
}
static_assert(each_key_once(), "an API key is served twice");

}  // namespace

std::span<const served_api> served_apis() { return apis; }

const served_api* find_served_api(std::int16_t key) {
  const auto it = std::find_if(apis.begin(), apis.end(),
                               [key](const served_api& api) { return static_cast<std::int16_t>(api.key) == key; });
  return it == apis.end() ? nullptr : &*it;
}

std::string compatibility_markdown() {
  std::string out =
      "# Kafka API compatibility\n\n"
      "Generated by `spate docs compatibility` from the broker's API table; do not edit by hand.\n"
      "A test fails when this file and the table disagree.\n\n"
      "| Key | API | Kafka defines | spate serves | Tested with |\n"
      "|---:|---|---|---|---|\n";
  for (const auto& api : protocol::api_table) {
    const auto* served = find_served_api(static_cast<std::int16_t>(api.key));
    out += fmt::format("| {} | {} | v{}-v{} | {} | {} |\n", static_cast<int>(api.key), api.name, api.min_version,
                       api.max_version,
                       served ? fmt::format("v{}-v{}", served->min_version, served->max_version) : "—",
                       served ? served->tested_with : "");
  }
  return out;
}

}  // namespace spate::broker
