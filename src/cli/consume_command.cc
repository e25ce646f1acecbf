// spate consume TOPIC: print records, by partition assignment or as a group member.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <set>

#include "cli/commands.h"
#include "cli/message_format.h"
#include "cli/offsets.h"

namespace spate::cli {

namespace {

struct consume_args {
  std::string topic;
  std::string offset = "beginning";
  std::string group;
  std::int64_t num = -1;
  bool follow = false;
  std::string format = "%v\\n";
  std::string isolation = "read_committed";
};

std::atomic<bool> interrupted{false};

extern "C" void on_interrupt(int /*sig*/) { interrupted = true; }

struct partition_list_deleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
};
using partition_list = std::unique_ptr<rd_kafka_topic_partition_list_t, partition_list_deleter>;

consumed_message to_message(const rd_kafka_message_t& m) {
  consumed_message out;
  out.topic = rd_kafka_topic_name(m.rkt);
  out.partition = m.partition;
  out.offset = m.offset;
  rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  out.timestamp_ms = rd_kafka_message_timestamp(&m, &type);
  if (m.key != nullptr) out.key = std::string(static_cast<const char*>(m.key), m.key_len);
  if (m.payload != nullptr) out.value = std::string(static_cast<const char*>(m.payload), m.len);
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(&m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* value = nullptr;
    std::size_t size = 0;
    for (std::size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
      out.headers.emplace_back(
          name, value != nullptr ? std::optional<std::string>(std::string(static_cast<const char*>(value), size))
                                 : std::nullopt);
    }
  }
  return out;
}

std::int64_t assign_offset(const start_offset& start) {
  switch (start.where) {
    case start_offset::kind::beginning: return RD_KAFKA_OFFSET_BEGINNING;
    case start_offset::kind::end: return RD_KAFKA_OFFSET_END;
    case start_offset::kind::absolute: return start.value;
    case start_offset::kind::from_end: return RD_KAFKA_OFFSET_TAIL(start.value);
    case start_offset::kind::timestamp: return start.value;  // resolved by offsets_for_times
  }
  return RD_KAFKA_OFFSET_BEGINNING;
}

void consume(const client_options& o, const consume_args& a) {
  start_offset start;
  try {
    start = parse_start_offset(a.offset);
  } catch (const std::invalid_argument& e) {
    throw CLI::ValidationError("--offset", e.what());
  }
  const bool grouped = !a.group.empty();
  if (grouped && start.where != start_offset::kind::beginning && start.where != start_offset::kind::end) {
    throw CLI::ValidationError("--offset",
                               "with --group only 'beginning' or 'end' (where a group without a committed "
                               "offset starts); use group reset-offsets to move the group");
  }
  const std::string what = "consume " + a.topic;
  std::vector<std::pair<std::string, std::string>> settings{{"enable.partition.eof", "true"},
                                                            {"isolation.level", a.isolation}};
  if (grouped) {
    settings.emplace_back("group.id", a.group);
    settings.emplace_back("auto.offset.reset", start.where == start_offset::kind::end ? "latest" : "earliest");
    settings.emplace_back("enable.auto.commit", "true");
  } else {
    // librdkafka's consumer wants a group id even for assign(); nothing is committed under it.
    settings.emplace_back("group.id", "spate-cli-unused");
    settings.emplace_back("enable.auto.commit", "false");
  }
  kafka_client client(o, RD_KAFKA_CONSUMER, settings);
  client.set_abandon(true);  // until the consumer is running; then it leaves the group properly
  const auto md = fetch_metadata(client, what);
  const auto& t = find_topic(*md, what, a.topic);
  client.use_consumer_queue();
  if (grouped) {
    partition_list topics(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(topics.get(), a.topic.c_str(), RD_KAFKA_PARTITION_UA);
    const auto err = rd_kafka_subscribe(client.get(), topics.get());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) fail(what, err, rd_kafka_err2str(err));
  } else {
    partition_list assignment(rd_kafka_topic_partition_list_new(t.partition_cnt));
    for (int i = 0; i < t.partition_cnt; ++i) {
      rd_kafka_topic_partition_list_add(assignment.get(), a.topic.c_str(), t.partitions[i].id)->offset =
          assign_offset(start);
    }
    if (start.where == start_offset::kind::timestamp) {
      const auto err = rd_kafka_offsets_for_times(client.get(), assignment.get(), o.timeout_ms);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) fail(what + " offsets for time", err, rd_kafka_err2str(err));
      for (int i = 0; i < assignment->cnt; ++i) {
        auto& e = assignment->elems[i];
        if (e.err != RD_KAFKA_RESP_ERR_NO_ERROR) fail(what + " offsets for time", e.err, rd_kafka_err2str(e.err));
        if (e.offset < 0) e.offset = RD_KAFKA_OFFSET_END;
      }
    }
    const auto err = rd_kafka_assign(client.get(), assignment.get());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) fail(what, err, rd_kafka_err2str(err));
  }
  client.set_abandon(false);
  auto fail_running = [&](std::string_view w, rd_kafka_resp_err_t err, std::string_view detail) {
    client.set_abandon(true);
    fail(w, err, detail);
  };

  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  const bool progress = show_progress() && isatty(STDOUT_FILENO) == 0 && a.num > 0;
  std::set<std::int32_t> at_end;
  std::int64_t consumed = 0;
  const auto started = std::chrono::steady_clock::now();
  while (!interrupted && (a.num < 0 || consumed < a.num)) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(client.get(), 100);
    if (m == nullptr) {
      if (!grouped || a.follow) continue;
      // A group member that never gets partitions would wait forever.
      rd_kafka_topic_partition_list_t* assigned = nullptr;
      rd_kafka_assignment(client.get(), &assigned);
      const bool none = assigned == nullptr || assigned->cnt == 0;
      if (assigned != nullptr) rd_kafka_topic_partition_list_destroy(assigned);
      if (none && std::chrono::steady_clock::now() - started >
                      std::chrono::milliseconds(o.timeout_ms) + std::chrono::seconds(10)) {
        fail_running(what, RD_KAFKA_RESP_ERR__TIMED_OUT, "no partitions assigned to the group member in time");
      }
      continue;
    }
    const std::unique_ptr<rd_kafka_message_t, void (*)(rd_kafka_message_t*)> guard(m, rd_kafka_message_destroy);
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (a.follow) continue;
      at_end.insert(m->partition);
      std::size_t expected = static_cast<std::size_t>(t.partition_cnt);
      if (grouped) {
        rd_kafka_topic_partition_list_t* assigned = nullptr;
        rd_kafka_assignment(client.get(), &assigned);
        bool all = assigned != nullptr && assigned->cnt > 0;
        for (int i = 0; assigned != nullptr && i < assigned->cnt; ++i) {
          if (at_end.count(assigned->elems[i].partition) == 0) all = false;
        }
        if (assigned != nullptr) rd_kafka_topic_partition_list_destroy(assigned);
        if (all) break;
        continue;
      }
      if (at_end.size() >= expected) break;
      continue;
    }
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      fail_running(what, m->err, rd_kafka_message_errstr(m));
    }
    at_end.erase(m->partition);
    const auto msg = to_message(*m);
    const std::string text =
        o.json ? message_to_json(msg).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"
               : format_message(a.format, msg);
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (a.follow) std::fflush(stdout);
    ++consumed;
    if (progress && consumed % 1000 == 0)
      std::fprintf(stderr, "\rconsumed %lld/%lld", static_cast<long long>(consumed), static_cast<long long>(a.num));
  }
  if (progress)
    std::fprintf(stderr, "\rconsumed %lld/%lld\n", static_cast<long long>(consumed), static_cast<long long>(a.num));
  std::fflush(stdout);
  if (grouped) {
    const auto err = rd_kafka_commit(client.get(), nullptr, 0);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
      fail_running(what + " commit", err, rd_kafka_err2str(err));
    }
  }
}

}  // namespace

void register_consume_command(CLI::App& app) {
  auto o = std::make_shared<client_options>();
  auto a = std::make_shared<consume_args>();
  auto* cmd = add_client_command(app, "consume", "Print records of a topic", o, [o, a] { consume(*o, *a); });
  cmd->add_option("topic", a->topic, "Topic name")->required();
  cmd->add_option("-o,--offset", a->offset, "beginning, end, N, -N (N before the end) or @timestamp_ms")
      ->capture_default_str();
  cmd->add_option("-g,--group", a->group, "Consume as a member of this group and commit offsets");
  cmd->add_option("-n,--num", a->num, "Stop after N records")->check(CLI::Range(std::int64_t{1}, INT64_MAX));
  cmd->add_flag("-f,--follow", a->follow, "Keep waiting for new records (default: exit at the end of every partition)");
  cmd->add_option("--format", a->format, "Output format: %k %v %o %p %t %h %T, \\n \\t")->capture_default_str();
  cmd->add_option("--isolation", a->isolation, "read_committed or read_uncommitted")
      ->check(CLI::IsMember({"read_committed", "read_uncommitted"}))
      ->capture_default_str();
}

}  // namespace spate::cli
