// spate topic list|describe|create|delete|alter-config|add-partitions
#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/offsets.h"
#include "cli/table.h"

namespace spate::cli {

namespace {

using json = nlohmann::json;

std::string join_ids(const std::int32_t* ids, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    if (i > 0) out += ',';
    out += std::to_string(ids[i]);
  }
  return out;
}

json id_array(const std::int32_t* ids, int n) { return json(std::vector<std::int32_t>(ids, ids + n)); }

bool is_internal(const std::string& name) { return name.rfind("__", 0) == 0; }

void topic_list(const client_options& o, bool internal) {
  kafka_client client(o, RD_KAFKA_PRODUCER);
  const auto md = fetch_metadata(client, "topic list");
  std::vector<const rd_kafka_metadata_topic_t*> topics;
  for (int i = 0; i < md->topic_cnt; ++i) {
    const auto& t = md->topics[i];
    if (internal || !is_internal(t.topic)) topics.push_back(&t);
  }
  std::sort(topics.begin(), topics.end(), [](auto* a, auto* b) { return std::string_view(a->topic) < b->topic; });
  json out = json::array();
  table tbl({"TOPIC", "PARTITIONS", "REPLICATION"});
  for (const auto* t : topics) {
    const int rf = t->partition_cnt > 0 ? t->partitions[0].replica_cnt : 0;
    out.push_back({{"name", t->topic},
                   {"partitions", t->partition_cnt},
                   {"replication_factor", rf},
                   {"internal", is_internal(t->topic)}});
    tbl.add_row({t->topic, std::to_string(t->partition_cnt), std::to_string(rf)});
  }
  print_text(o.json ? json{{"topics", out}}.dump(2) + "\n" : tbl.render());
}

struct config_entry {
  std::string name;
  std::optional<std::string> value;
  rd_kafka_ConfigSource_t source;
  bool read_only;
  bool sensitive;
};

// DescribeConfigs of one topic.
std::vector<config_entry> describe_topic_configs(kafka_client& client, const std::string& what,
                                                 const std::string& topic) {
  admin_request req(client, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
  rd_kafka_ConfigResource_t* res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  rd_kafka_DescribeConfigs(client.get(), &res, 1, req.options(), req.queue());
  rd_kafka_ConfigResource_destroy(res);
  auto* ev = req.wait(what);
  const auto* result = rd_kafka_event_DescribeConfigs_result(ev);
  std::size_t n = 0;
  const auto** resources = rd_kafka_DescribeConfigs_result_resources(result, &n);
  std::vector<config_entry> out;
  for (std::size_t i = 0; i < n; ++i) {
    const auto err = rd_kafka_ConfigResource_error(resources[i]);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* msg = rd_kafka_ConfigResource_error_string(resources[i]);
      fail(what, err, msg != nullptr ? msg : rd_kafka_err2str(err));
    }
    std::size_t m = 0;
    const auto** entries = rd_kafka_ConfigResource_configs(resources[i], &m);
    for (std::size_t j = 0; j < m; ++j) {
      const char* value = rd_kafka_ConfigEntry_value(entries[j]);
      out.push_back({rd_kafka_ConfigEntry_name(entries[j]),
                     value != nullptr ? std::optional<std::string>(value) : std::nullopt,
                     rd_kafka_ConfigEntry_source(entries[j]), rd_kafka_ConfigEntry_is_read_only(entries[j]) != 0,
                     rd_kafka_ConfigEntry_is_sensitive(entries[j]) != 0});
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

void topic_describe(const client_options& o, const std::string& topic) {
  const std::string what = "topic describe " + topic;
  kafka_client client(o, RD_KAFKA_PRODUCER);
  const auto md = fetch_metadata(client, what);
  const auto& t = find_topic(*md, what, topic);
  std::vector<const rd_kafka_metadata_partition_t*> parts;
  for (int i = 0; i < t.partition_cnt; ++i) parts.push_back(&t.partitions[i]);
  std::sort(parts.begin(), parts.end(), [](auto* a, auto* b) { return a->id < b->id; });
  json partitions = json::array();
  table ptable({"PARTITION", "LEADER", "REPLICAS", "ISR", "LOG_START", "HIGH_WATERMARK"});
  const bool progress = show_progress() && parts.size() > 20;
  for (const auto* p : parts) {
    const auto [low, high] = watermarks(client, what, topic, p->id);
    partitions.push_back({{"partition", p->id},
                          {"leader", p->leader},
                          {"replicas", id_array(p->replicas, p->replica_cnt)},
                          {"isr", id_array(p->isrs, p->isr_cnt)},
                          {"log_start_offset", low},
                          {"high_watermark", high}});
    ptable.add_row({std::to_string(p->id), std::to_string(p->leader), join_ids(p->replicas, p->replica_cnt),
                    join_ids(p->isrs, p->isr_cnt), std::to_string(low), std::to_string(high)});
    if (progress) std::fprintf(stderr, "\rpartition %d/%zu", p->id + 1, parts.size());
  }
  if (progress) std::fputs("\n", stderr);
  json configs = json::array();
  table ctable({"CONFIG", "VALUE", "SOURCE"});
  for (const auto& c : describe_topic_configs(client, what + " configs", topic)) {
    if (c.source == RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG) continue;
    const std::string value = c.sensitive ? "(sensitive)" : c.value.value_or("");
    configs.push_back({{"name", c.name},
                       {"value", c.sensitive || !c.value ? json(nullptr) : json(*c.value)},
                       {"source", rd_kafka_ConfigSource_name(c.source)},
                       {"read_only", c.read_only},
                       {"sensitive", c.sensitive}});
    ctable.add_row({c.name, value, rd_kafka_ConfigSource_name(c.source)});
  }
  if (o.json) {
    print_text(json{{"name", topic}, {"partitions", partitions}, {"configs", configs}}.dump(2) + "\n");
    return;
  }
  std::string text = "Topic: " + topic + "  Partitions: " + std::to_string(t.partition_cnt) + "\n\n" + ptable.render();
  text += "\nConfigs (not default):\n";
  text += ctable.empty() ? "(none)\n" : ctable.render();
  print_text(text);
}

// Per-topic result of CreateTopics/DeleteTopics/CreatePartitions: fails on the first error.
void check_topic_results(const rd_kafka_topic_result_t** results, std::size_t n, const std::string& verb,
                         std::size_t expected) {
  if (n != expected) {
    fail(verb, RD_KAFKA_RESP_ERR__BAD_MSG,
         "the broker answered for " + std::to_string(n) + " of " + std::to_string(expected) + " topics");
  }
  for (std::size_t i = 0; i < n; ++i) {
    const auto err = rd_kafka_topic_result_error(results[i]);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    const char* msg = rd_kafka_topic_result_error_string(results[i]);
    fail(verb + " " + rd_kafka_topic_result_name(results[i]), err, msg != nullptr ? msg : rd_kafka_err2str(err));
  }
}

struct create_args {
  std::string topic;
  int partitions = -1;
  int replication_factor = -1;
  std::vector<std::string> configs;
};

void topic_create(const client_options& o, const create_args& a) {
  const std::string what = "topic create " + a.topic;
  std::vector<std::pair<std::string, std::string>> configs;
  for (const auto& c : a.configs) configs.push_back(parse_key_value(c, "-c"));
  kafka_client client(o, RD_KAFKA_PRODUCER);
  char errstr[512];
  rd_kafka_NewTopic_t* nt =
      rd_kafka_NewTopic_new(a.topic.c_str(), a.partitions, a.replication_factor, errstr, sizeof errstr);
  if (nt == nullptr) throw CLI::ValidationError("topic create", errstr);
  for (const auto& [k, v] : configs) rd_kafka_NewTopic_set_config(nt, k.c_str(), v.c_str());
  admin_request req(client, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_CreateTopics(client.get(), &nt, 1, req.options(), req.queue());
  rd_kafka_NewTopic_destroy(nt);
  const auto* result = rd_kafka_event_CreateTopics_result(req.wait(what));
  std::size_t n = 0;
  const auto** results = rd_kafka_CreateTopics_result_topics(result, &n);
  check_topic_results(results, n, "topic create", 1);
  if (o.json) {
    print_text(json{{"topic", a.topic}, {"created", true}}.dump(2) + "\n");
  } else {
    print_text("created topic " + a.topic + "\n");
  }
}

void topic_delete(const client_options& o, const std::vector<std::string>& topics) {
  kafka_client client(o, RD_KAFKA_PRODUCER);
  std::vector<rd_kafka_DeleteTopic_t*> del;
  for (const auto& t : topics) del.push_back(rd_kafka_DeleteTopic_new(t.c_str()));
  admin_request req(client, RD_KAFKA_ADMIN_OP_DELETETOPICS);
  rd_kafka_DeleteTopics(client.get(), del.data(), del.size(), req.options(), req.queue());
  rd_kafka_DeleteTopic_destroy_array(del.data(), del.size());
  const auto* result = rd_kafka_event_DeleteTopics_result(req.wait("topic delete"));
  std::size_t n = 0;
  const auto** results = rd_kafka_DeleteTopics_result_topics(result, &n);
  check_topic_results(results, n, "topic delete", topics.size());
  if (o.json) {
    print_text(json{{"deleted", topics}}.dump(2) + "\n");
  } else {
    for (const auto& t : topics) print_text("deleted topic " + t + "\n");
  }
}

void topic_add_partitions(const client_options& o, const std::string& topic, int total) {
  const std::string what = "topic add-partitions " + topic;
  kafka_client client(o, RD_KAFKA_PRODUCER);
  char errstr[512];
  rd_kafka_NewPartitions_t* np =
      rd_kafka_NewPartitions_new(topic.c_str(), static_cast<std::size_t>(total), errstr, sizeof errstr);
  if (np == nullptr) throw CLI::ValidationError("topic add-partitions", errstr);
  admin_request req(client, RD_KAFKA_ADMIN_OP_CREATEPARTITIONS);
  rd_kafka_CreatePartitions(client.get(), &np, 1, req.options(), req.queue());
  rd_kafka_NewPartitions_destroy(np);
  const auto* result = rd_kafka_event_CreatePartitions_result(req.wait(what));
  std::size_t n = 0;
  const auto** results = rd_kafka_CreatePartitions_result_topics(result, &n);
  check_topic_results(results, n, "topic add-partitions", 1);
  if (o.json) {
    print_text(json{{"topic", topic}, {"partitions", total}}.dump(2) + "\n");
  } else {
    print_text("topic " + topic + " now has " + std::to_string(total) + " partitions\n");
  }
}

// librdkafka 2.0 has no IncrementalAlterConfigs, and AlterConfigs replaces the topic's whole set of
// dynamic configs. So: read the configs set on the topic (source DYNAMIC_TOPIC_CONFIG), apply the
// changes, and write the result back. A concurrent change between the two requests can be lost.
void topic_alter_config(const client_options& o, const std::string& topic, const std::vector<std::string>& sets,
                        const std::vector<std::string>& deletes) {
  const std::string what = "topic alter-config " + topic;
  if (sets.empty() && deletes.empty()) throw CLI::ValidationError("topic alter-config", "give --set or --delete");
  std::map<std::string, std::string> changes;
  for (const auto& s : sets) changes.insert(parse_key_value(s, "--set"));
  kafka_client client(o, RD_KAFKA_PRODUCER);
  std::map<std::string, std::string> current;
  for (const auto& c : describe_topic_configs(client, what, topic)) {
    if (c.source == RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG && c.value && !c.sensitive) current[c.name] = *c.value;
  }
  for (const auto& d : deletes) {
    if (current.erase(d) == 0 && changes.count(d) == 0) {
      fail(what, RD_KAFKA_RESP_ERR_INVALID_CONFIG, "'" + d + "' is not set on the topic");
    }
  }
  for (const auto& [k, v] : changes) current[k] = v;
  admin_request req(client, RD_KAFKA_ADMIN_OP_ALTERCONFIGS);
  rd_kafka_ConfigResource_t* res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  for (const auto& [k, v] : current) rd_kafka_ConfigResource_set_config(res, k.c_str(), v.c_str());
  rd_kafka_AlterConfigs(client.get(), &res, 1, req.options(), req.queue());
  rd_kafka_ConfigResource_destroy(res);
  const auto* result = rd_kafka_event_AlterConfigs_result(req.wait(what));
  std::size_t n = 0;
  const auto** resources = rd_kafka_AlterConfigs_result_resources(result, &n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto err = rd_kafka_ConfigResource_error(resources[i]);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* msg = rd_kafka_ConfigResource_error_string(resources[i]);
      fail(what, err, msg != nullptr ? msg : rd_kafka_err2str(err));
    }
  }
  if (o.json) {
    print_text(json{{"topic", topic}, {"configs", current}}.dump(2) + "\n");
  } else {
    table tbl({"CONFIG", "VALUE"});
    for (const auto& [k, v] : current) tbl.add_row({k, v});
    print_text("topic " + topic + " configs now set:\n" + (tbl.empty() ? "(none)\n" : tbl.render()));
  }
}

}  // namespace

void register_topic_commands(CLI::App& app) {
  auto* topic = app.add_subcommand("topic", "List, describe, create, delete and configure topics");
  topic->require_subcommand(1);

  {
    auto o = std::make_shared<client_options>();
    auto internal = std::make_shared<bool>(false);
    auto* cmd = add_client_command(*topic, "list", "List topics (internal __ topics with --internal)", o,
                                   [o, internal] { topic_list(*o, *internal); });
    cmd->add_flag("--internal", *internal, "Include internal topics (names starting with __)");
  }
  {
    auto o = std::make_shared<client_options>();
    auto name = std::make_shared<std::string>();
    auto* cmd =
        add_client_command(*topic, "describe", "Partitions (leader, replicas, ISR, offsets) and non-default configs", o,
                           [o, name] { topic_describe(*o, *name); });
    cmd->add_option("topic", *name, "Topic name")->required();
  }
  {
    auto o = std::make_shared<client_options>();
    auto a = std::make_shared<create_args>();
    auto* cmd = add_client_command(*topic, "create", "Create a topic", o, [o, a] { topic_create(*o, *a); });
    cmd->add_option("topic", a->topic, "Topic name")->required();
    cmd->add_option("--partitions", a->partitions, "Partition count (default: the broker's)")
        ->check(CLI::Range(1, 1000000));
    cmd->add_option("--replication-factor", a->replication_factor, "Replicas per partition (default: the broker's)")
        ->check(CLI::Range(1, 1000));
    cmd->add_option("-c,--config", a->configs, "Topic config key=value (repeatable)");
  }
  {
    auto o = std::make_shared<client_options>();
    auto names = std::make_shared<std::vector<std::string>>();
    auto* cmd = add_client_command(*topic, "delete", "Delete topics", o, [o, names] { topic_delete(*o, *names); });
    cmd->add_option("topics", *names, "Topic names")->required();
  }
  {
    auto o = std::make_shared<client_options>();
    auto name = std::make_shared<std::string>();
    auto sets = std::make_shared<std::vector<std::string>>();
    auto deletes = std::make_shared<std::vector<std::string>>();
    auto* cmd = add_client_command(*topic, "alter-config", "Set or remove topic configs (read-modify-write)", o,
                                   [o, name, sets, deletes] { topic_alter_config(*o, *name, *sets, *deletes); });
    cmd->add_option("topic", *name, "Topic name")->required();
    cmd->add_option("--set", *sets, "Config key=value to set (repeatable)");
    cmd->add_option("--delete", *deletes, "Config key to remove, back to its default (repeatable)");
  }
  {
    auto o = std::make_shared<client_options>();
    auto name = std::make_shared<std::string>();
    auto total = std::make_shared<int>(0);
    auto* cmd = add_client_command(*topic, "add-partitions", "Raise a topic's partition count", o,
                                   [o, name, total] { topic_add_partitions(*o, *name, *total); });
    cmd->add_option("topic", *name, "Topic name")->required();
    cmd->add_option("--partitions", *total, "The new total partition count")->required()->check(CLI::Range(1, 1000000));
  }
}

}  // namespace spate::cli
