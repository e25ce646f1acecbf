// spate group list|describe|delete|reset-offsets
#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/offsets.h"
#include "cli/table.h"
#include "protocol/consumer_protocol.h"

namespace spate::cli {

namespace {

using json = nlohmann::json;
using protocol::assignment_text;
using protocol::decode_member_assignment;
using protocol::member_assignment;
using tp_key = std::pair<std::string, std::int32_t>;

std::string opt_text(std::optional<std::int64_t> v) { return v ? std::to_string(*v) : "-"; }
json opt_json(std::optional<std::int64_t> v) { return v ? json(*v) : json(nullptr); }

struct partition_list_deleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
};
using partition_list = std::unique_ptr<rd_kafka_topic_partition_list_t, partition_list_deleter>;

void check_group_result(const rd_kafka_group_result_t* r, const std::string& what) {
  const rd_kafka_error_t* e = rd_kafka_group_result_error(r);
  if (e != nullptr) fail(what, rd_kafka_error_code(e), rd_kafka_error_string(e));
}

void group_list(const client_options& o) {
  kafka_client client(o, RD_KAFKA_PRODUCER);
  admin_request req(client, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS);
  rd_kafka_ListConsumerGroups(client.get(), req.options(), req.queue());
  const auto* result = rd_kafka_event_ListConsumerGroups_result(req.wait("group list"));
  std::size_t n_errors = 0;
  const auto** errors = rd_kafka_ListConsumerGroups_result_errors(result, &n_errors);
  std::size_t n = 0;
  const auto** groups = rd_kafka_ListConsumerGroups_result_valid(result, &n);
  if (n == 0 && n_errors > 0) {
    const auto last = client.last_error();
    fail("group list", rd_kafka_error_code(errors[0]),
         std::string(rd_kafka_error_string(errors[0])) + (last.empty() ? "" : " (" + last + ")"));
  }
  std::vector<const rd_kafka_ConsumerGroupListing_t*> sorted(groups, groups + n);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) {
    return std::string_view(rd_kafka_ConsumerGroupListing_group_id(a)) < rd_kafka_ConsumerGroupListing_group_id(b);
  });
  json out = json::array();
  table tbl({"GROUP", "STATE", "SIMPLE"});
  for (const auto* g : sorted) {
    const std::string id = rd_kafka_ConsumerGroupListing_group_id(g);
    const std::string state = rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupListing_state(g));
    const bool simple = rd_kafka_ConsumerGroupListing_is_simple_consumer_group(g) != 0;
    out.push_back({{"group", id}, {"state", state}, {"simple", simple}});
    tbl.add_row({id, state, simple ? "yes" : "no"});
  }
  print_text(o.json ? json{{"groups", out}}.dump(2) + "\n" : tbl.render());
}

struct member_info {
  std::string member_id, client_id, host;
  std::optional<member_assignment> assignment;
};

struct group_info {
  bool exists = false;
  std::string state, protocol_type, protocol;
  std::vector<member_info> members;
};

// DescribeGroups through librdkafka's rd_kafka_list_groups, which (unlike the admin
// DescribeConsumerGroups of librdkafka 2.0) hands over the protocol type and the raw assignment.
group_info describe_group(kafka_client& client, const std::string& what, const std::string& group) {
  const rd_kafka_group_list* list = nullptr;
  const auto err = rd_kafka_list_groups(client.get(), group.c_str(), &list, client.timeout_ms());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    const auto last = client.last_error();
    fail(what, err, std::string(rd_kafka_err2str(err)) + (last.empty() ? "" : " (" + last + ")"));
  }
  group_info out;
  std::unique_ptr<const rd_kafka_group_list, void (*)(const rd_kafka_group_list*)> guard(list,
                                                                                         rd_kafka_group_list_destroy);
  for (int i = 0; i < list->group_cnt; ++i) {
    const auto& g = list->groups[i];
    if (group != g.group) continue;
    if (g.err != RD_KAFKA_RESP_ERR_NO_ERROR) fail(what, g.err, rd_kafka_err2str(g.err));
    out.exists = std::string_view(g.state) != "Dead";
    out.state = g.state;
    out.protocol_type = g.protocol_type;
    out.protocol = g.protocol;
    for (int m = 0; m < g.member_cnt; ++m) {
      const auto& mi = g.members[m];
      member_info info{mi.member_id, mi.client_id, mi.client_host, std::nullopt};
      if (out.protocol_type == "consumer" && mi.member_assignment_size > 0) {
        try {
          info.assignment = decode_member_assignment(
              std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(mi.member_assignment),
                                            static_cast<std::size_t>(mi.member_assignment_size)));
        } catch (const std::exception&) {
          info.assignment.reset();  // not a consumer protocol assignment: shown as none
        }
      }
      out.members.push_back(std::move(info));
    }
  }
  if (out.state.empty()) out.state = "Dead";
  return out;
}

// The group's committed offsets (OffsetFetch for every partition).
std::map<tp_key, std::int64_t> committed_offsets(kafka_client& client, const std::string& what,
                                                 const std::string& group) {
  admin_request req(client, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
  rd_kafka_ListConsumerGroupOffsets_t* lo = rd_kafka_ListConsumerGroupOffsets_new(group.c_str(), nullptr);
  rd_kafka_ListConsumerGroupOffsets(client.get(), &lo, 1, req.options(), req.queue());
  rd_kafka_ListConsumerGroupOffsets_destroy(lo);
  const auto* result = rd_kafka_event_ListConsumerGroupOffsets_result(req.wait(what));
  std::size_t n = 0;
  const auto** groups = rd_kafka_ListConsumerGroupOffsets_result_groups(result, &n);
  std::map<tp_key, std::int64_t> out;
  for (std::size_t i = 0; i < n; ++i) {
    check_group_result(groups[i], what);
    const auto* parts = rd_kafka_group_result_partitions(groups[i]);
    if (parts == nullptr) continue;
    for (int p = 0; p < parts->cnt; ++p) {
      const auto& e = parts->elems[p];
      if (e.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fail(what + " " + e.topic + "[" + std::to_string(e.partition) + "]", e.err, rd_kafka_err2str(e.err));
      }
      if (e.offset >= 0) out[{e.topic, e.partition}] = e.offset;
    }
  }
  return out;
}

void progress(bool on, const char* label, std::size_t done, std::size_t total) {
  if (on) std::fprintf(stderr, "\r%s %zu/%zu", label, done, total);
  if (on && done == total) std::fputs("\n", stderr);
}

void group_describe(const client_options& o, const std::string& group) {
  const std::string what = "group describe " + group;
  kafka_client client(o, RD_KAFKA_PRODUCER);
  const auto info = describe_group(client, what, group);
  const auto committed = committed_offsets(client, what, group);
  if (!info.exists && committed.empty()) fail(what, RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND, "no such group");
  std::set<tp_key> partitions;
  for (const auto& [key, offset] : committed) partitions.insert(key);
  json members = json::array();
  table mtable({"MEMBER_ID", "CLIENT_ID", "HOST", "ASSIGNMENT"});
  for (const auto& m : info.members) {
    json assignment = nullptr;
    if (m.assignment) {
      json parts = json::array();
      for (const auto& [topic, ps] : m.assignment->partitions) {
        parts.push_back({{"topic", topic}, {"partitions", ps}});
        for (const auto p : ps) partitions.insert({topic, p});
      }
      assignment = {{"version", m.assignment->version}, {"partitions", parts}};
    }
    members.push_back(
        {{"member_id", m.member_id}, {"client_id", m.client_id}, {"host", m.host}, {"assignment", assignment}});
    mtable.add_row({m.member_id, m.client_id, m.host, m.assignment ? assignment_text(*m.assignment) : "-"});
  }
  json offsets = json::array();
  table otable({"TOPIC", "PARTITION", "COMMITTED", "LOG_END", "LAG"});
  const bool show = show_progress() && partitions.size() > 20;
  std::size_t done = 0;
  for (const auto& key : partitions) {
    const auto [low, high] = watermarks(client, what, key.first, key.second);
    (void)low;
    std::optional<std::int64_t> c;
    if (auto it = committed.find(key); it != committed.end()) c = it->second;
    const auto l = lag(c, high);
    offsets.push_back({{"topic", key.first},
                       {"partition", key.second},
                       {"committed", opt_json(c)},
                       {"log_end_offset", high},
                       {"lag", opt_json(l)}});
    otable.add_row({key.first, std::to_string(key.second), opt_text(c), std::to_string(high), opt_text(l)});
    progress(show, "partitions", ++done, partitions.size());
  }
  if (o.json) {
    print_text(json{{"group", group},
                    {"state", info.state},
                    {"protocol_type", info.protocol_type},
                    {"protocol", info.protocol},
                    {"members", members},
                    {"offsets", offsets}}
                   .dump(2) +
               "\n");
    return;
  }
  std::string text = "Group: " + group + "  State: " + info.state +
                     "  Protocol: " + (info.protocol_type.empty() ? "-" : info.protocol_type) + "/" +
                     (info.protocol.empty() ? "-" : info.protocol) +
                     "  Members: " + std::to_string(info.members.size()) + "\n\n";
  if (!mtable.empty()) text += mtable.render() + "\n";
  text += otable.empty() ? "(no committed offsets)\n" : otable.render();
  print_text(text);
}

void group_delete(const client_options& o, const std::vector<std::string>& groups) {
  kafka_client client(o, RD_KAFKA_PRODUCER);
  std::vector<rd_kafka_DeleteGroup_t*> del;
  for (const auto& g : groups) del.push_back(rd_kafka_DeleteGroup_new(g.c_str()));
  admin_request req(client, RD_KAFKA_ADMIN_OP_DELETEGROUPS);
  rd_kafka_DeleteGroups(client.get(), del.data(), del.size(), req.options(), req.queue());
  rd_kafka_DeleteGroup_destroy_array(del.data(), del.size());
  const auto* result = rd_kafka_event_DeleteGroups_result(req.wait("group delete"));
  std::size_t n = 0;
  const auto** results = rd_kafka_DeleteGroups_result_groups(result, &n);
  for (std::size_t i = 0; i < n; ++i) {
    check_group_result(results[i], std::string("group delete ") + rd_kafka_group_result_name(results[i]));
  }
  if (o.json) {
    print_text(json{{"deleted", groups}}.dump(2) + "\n");
  } else {
    for (const auto& g : groups) print_text("deleted group " + g + "\n");
  }
}

struct reset_args {
  std::string group;
  std::vector<std::string> topics;
  bool all_topics = false;
  bool to_earliest = false;
  bool to_latest = false;
  std::optional<std::int64_t> to_offset;
  std::string to_datetime;
  std::optional<std::int64_t> shift_by;
  bool execute = false;
};

reset_strategy strategy_of(const reset_args& a) {
  int n = 0;
  reset_strategy s;
  if (a.to_earliest) s = {reset_strategy::kind::earliest, 0}, ++n;
  if (a.to_latest) s = {reset_strategy::kind::latest, 0}, ++n;
  if (a.to_offset) s = {reset_strategy::kind::offset, *a.to_offset}, ++n;
  if (!a.to_datetime.empty()) {
    try {
      s = {reset_strategy::kind::datetime, parse_datetime_ms(a.to_datetime)};
    } catch (const std::invalid_argument& e) {
      throw CLI::ValidationError("--to-datetime", e.what());
    }
    ++n;
  }
  if (a.shift_by) s = {reset_strategy::kind::shift_by, *a.shift_by}, ++n;
  if (n != 1) {
    throw CLI::ValidationError(
        "group reset-offsets",
        "give exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by");
  }
  if (a.all_topics == !a.topics.empty()) {
    throw CLI::ValidationError("group reset-offsets", "give --topic (repeatable) or --all-topics");
  }
  return s;
}

void group_reset_offsets(const client_options& o, const reset_args& a) {
  const auto strategy = strategy_of(a);
  std::vector<topic_selection> selections;
  for (const auto& t : a.topics) {
    try {
      selections.push_back(parse_topic_selection(t));
    } catch (const std::invalid_argument& e) {
      throw CLI::ValidationError("--topic", e.what());
    }
  }
  const std::string what = "group reset-offsets " + a.group;
  kafka_client client(o, RD_KAFKA_PRODUCER);
  const auto info = describe_group(client, what, a.group);
  if (!info.members.empty()) {
    fail(what, RD_KAFKA_RESP_ERR_NON_EMPTY_GROUP,
         "the group has " + std::to_string(info.members.size()) + " active member(s) (state " + info.state +
             "); stop its consumers first");
  }
  const auto committed = committed_offsets(client, what, a.group);
  std::set<tp_key> targets;
  if (a.all_topics) {
    for (const auto& [key, offset] : committed) targets.insert(key);
  } else {
    const auto md = fetch_metadata(client, what);
    for (const auto& sel : selections) {
      const auto& t = find_topic(*md, what, sel.topic);
      std::set<std::int32_t> existing;
      for (int i = 0; i < t.partition_cnt; ++i) existing.insert(t.partitions[i].id);
      if (sel.partitions.empty()) {
        for (const auto p : existing) targets.insert({sel.topic, p});
      }
      for (const auto p : sel.partitions) {
        if (existing.count(p) == 0) {
          fail(what, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
               "topic " + sel.topic + " has no partition " + std::to_string(p));
        }
        targets.insert({sel.topic, p});
      }
    }
  }
  std::vector<partition_position> positions;
  const bool show = show_progress() && targets.size() > 20;
  for (const auto& key : targets) {
    partition_position p;
    p.topic = key.first;
    p.partition = key.second;
    if (auto it = committed.find(key); it != committed.end()) p.committed = it->second;
    std::tie(p.log_start, p.log_end) = watermarks(client, what, key.first, key.second);
    positions.push_back(std::move(p));
    progress(show, "partitions", positions.size(), targets.size());
  }
  if (strategy.how == reset_strategy::kind::datetime && !positions.empty()) {
    partition_list query(rd_kafka_topic_partition_list_new(static_cast<int>(positions.size())));
    for (const auto& p : positions) {
      rd_kafka_topic_partition_list_add(query.get(), p.topic.c_str(), p.partition)->offset = strategy.value;
    }
    const auto err = rd_kafka_offsets_for_times(client.get(), query.get(), client.timeout_ms());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) fail(what + " offsets for time", err, rd_kafka_err2str(err));
    for (auto& p : positions) {
      const auto* e = rd_kafka_topic_partition_list_find(query.get(), p.topic.c_str(), p.partition);
      if (e != nullptr && e->err != RD_KAFKA_RESP_ERR_NO_ERROR)
        fail(what + " offsets for time", e->err, rd_kafka_err2str(e->err));
      if (e != nullptr && e->offset >= 0) p.offset_for_time = e->offset;
    }
  }
  const auto plan = plan_reset(strategy, positions);
  if (a.execute && !plan.empty()) {
    partition_list offsets(rd_kafka_topic_partition_list_new(static_cast<int>(plan.size())));
    for (const auto& row : plan) {
      rd_kafka_topic_partition_list_add(offsets.get(), row.topic.c_str(), row.partition)->offset = row.target;
    }
    admin_request req(client, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS);
    rd_kafka_AlterConsumerGroupOffsets_t* alter =
        rd_kafka_AlterConsumerGroupOffsets_new(a.group.c_str(), offsets.get());
    rd_kafka_AlterConsumerGroupOffsets(client.get(), &alter, 1, req.options(), req.queue());
    rd_kafka_AlterConsumerGroupOffsets_destroy(alter);
    const auto* result = rd_kafka_event_AlterConsumerGroupOffsets_result(req.wait(what));
    std::size_t n = 0;
    const auto** groups = rd_kafka_AlterConsumerGroupOffsets_result_groups(result, &n);
    for (std::size_t i = 0; i < n; ++i) {
      check_group_result(groups[i], what);
      const auto* parts = rd_kafka_group_result_partitions(groups[i]);
      for (int p = 0; parts != nullptr && p < parts->cnt; ++p) {
        const auto& e = parts->elems[p];
        if (e.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
          fail(what + " " + e.topic + "[" + std::to_string(e.partition) + "]", e.err, rd_kafka_err2str(e.err));
        }
      }
    }
  }
  json rows = json::array();
  table tbl({"TOPIC", "PARTITION", "CURRENT", "NEW"});
  for (const auto& row : plan) {
    rows.push_back(
        {{"topic", row.topic}, {"partition", row.partition}, {"current", opt_json(row.current)}, {"new", row.target}});
    tbl.add_row({row.topic, std::to_string(row.partition), opt_text(row.current), std::to_string(row.target)});
  }
  if (o.json) {
    print_text(json{{"group", a.group}, {"executed", a.execute}, {"partitions", rows}}.dump(2) + "\n");
    return;
  }
  std::string text = tbl.render() + "\n";
  text += a.execute ? "offsets of group " + a.group + " reset\n"
                    : "dry run: nothing changed; run again with --execute to apply\n";
  print_text(text);
}

}  // namespace

void register_group_commands(CLI::App& app) {
  auto* group = app.add_subcommand("group", "List, describe and delete consumer groups; reset their offsets");
  group->require_subcommand(1);
  {
    auto o = std::make_shared<client_options>();
    add_client_command(*group, "list", "List consumer groups", o, [o] { group_list(*o); });
  }
  {
    auto o = std::make_shared<client_options>();
    auto name = std::make_shared<std::string>();
    auto* cmd = add_client_command(*group, "describe", "State, members, assignments, committed offsets and lag", o,
                                   [o, name] { group_describe(*o, *name); });
    cmd->add_option("group", *name, "Group id")->required();
  }
  {
    auto o = std::make_shared<client_options>();
    auto names = std::make_shared<std::vector<std::string>>();
    auto* cmd = add_client_command(*group, "delete", "Delete empty consumer groups", o,
                                   [o, names] { group_delete(*o, *names); });
    cmd->add_option("groups", *names, "Group ids")->required();
  }
  {
    auto o = std::make_shared<client_options>();
    auto a = std::make_shared<reset_args>();
    auto* cmd = add_client_command(*group, "reset-offsets",
                                   "Plan (default) or apply (--execute) new committed offsets for an empty group", o,
                                   [o, a] { group_reset_offsets(*o, *a); });
    cmd->add_option("group", a->group, "Group id")->required();
    cmd->add_option("--topic", a->topics, "TOPIC or TOPIC:P,P,... (repeatable)");
    cmd->add_flag("--all-topics", a->all_topics, "Every partition the group has committed offsets for");
    cmd->add_flag("--to-earliest", a->to_earliest, "Reset to the log start offset");
    cmd->add_flag("--to-latest", a->to_latest, "Reset to the log end offset");
    cmd->add_option("--to-offset", a->to_offset, "Reset to this offset (clamped to the log)");
    cmd->add_option("--to-datetime", a->to_datetime,
                    "Reset to the first offset at or after this ISO-8601 time (UTC unless a zone is given)");
    cmd->add_option("--shift-by", a->shift_by, "Move the committed offset by N (negative: back)");
    cmd->add_flag("--execute", a->execute, "Apply the plan (default: dry run)");
  }
}

}  // namespace spate::cli
