#include "lag/remote/remote_source.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>
#include <utility>

#include "base/log.h"

namespace spate::lag {

namespace remote_detail {

std::int64_t first_unconsumed_offset(std::int64_t committed, std::int64_t log_start) {
  if (committed < 0) return std::max<std::int64_t>(log_start, 0);
  return std::max(committed, log_start);
}

std::int64_t offset_lag(std::int64_t committed, std::int64_t log_start, std::int64_t end) {
  if (end < 0) return -1;
  return std::max<std::int64_t>(0, end - first_unconsumed_offset(committed, log_start));
}

millis backoff_ms(int failures, millis interval_ms, millis max_ms) {
  millis delay = std::max<millis>(interval_ms, 1);
  for (int i = 1; i < failures && delay < max_ms; ++i) delay *= 2;
  return std::min(delay, max_ms);
}

}  // namespace remote_detail

namespace {

using steady = std::chrono::steady_clock;
using partition_key = std::pair<std::string, std::int32_t>;

// The group id the timestamp reader carries: librdkafka assigns partitions only in a consumer with
// a group. It never joins nor commits, so it never shows up as a group on the cluster.
constexpr const char* probe_group = "spate-lag-monitor-probe";

std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  return text;
}

// The time left for a tick's network work.
class deadline {
 public:
  explicit deadline(millis budget_ms) : _end(steady::now() + std::chrono::milliseconds(budget_ms)) {}
  int remaining_ms() const {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(_end - steady::now()).count();
    return static_cast<int>(std::max<std::int64_t>(left, 0));
  }
  bool passed() const { return steady::now() >= _end; }

 private:
  steady::time_point _end;
};

// One librdkafka consumer handle with spate's defaults and the user's properties. Keeps the last
// error librdkafka reported (e.g. a refused connection) for the one-line cluster error.
class kafka_handle {
 public:
  static std::unique_ptr<kafka_handle> make(const remote_config& config,
                                            const std::vector<std::pair<std::string, std::string>>& defaults,
                                            std::string& error) {
    auto handle = std::unique_ptr<kafka_handle>(new kafka_handle());
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char errstr[512];
    auto set = [&](const std::string& key, const std::string& value) {
      if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof errstr) == RD_KAFKA_CONF_OK) return true;
      error = "-X " + key + ": " + errstr;  // never the value: it may be a password
      return false;
    };
    bool ok = set("bootstrap.servers", config.brokers) && set("client.id", "spate-lag-monitor") &&
              set("enable.auto.commit", "false") && set("enable.auto.offset.store", "false") &&
              set("enable.partition.eof", "false") && set("auto.offset.reset", "earliest") &&
              // A cluster that comes back is noticed within seconds, not librdkafka's 10 s.
              set("reconnect.backoff.max.ms", "2000") && set("group.id", probe_group);
    for (const auto& [key, value] : defaults) ok = ok && set(key, value);
    for (const auto& [key, value] : config.properties) ok = ok && set(key, value);
    if (!ok) {
      rd_kafka_conf_destroy(conf);
      return nullptr;
    }
    rd_kafka_conf_set_opaque(conf, handle.get());
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_log_cb(conf, on_log);
    handle->_rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (handle->_rk == nullptr) {
      rd_kafka_conf_destroy(conf);
      error = std::string("cannot create a Kafka client: ") + errstr;
      return nullptr;
    }
    return handle;
  }

  ~kafka_handle() {
    if (_rk != nullptr) rd_kafka_destroy_flags(_rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  }
  kafka_handle(const kafka_handle&) = delete;
  kafka_handle& operator=(const kafka_handle&) = delete;

  rd_kafka_t* get() const { return _rk; }

  // Serves pending callbacks, then returns the last error reported within the last minute, or "".
  // Kept across ticks: librdkafka reports a repeated connection failure only now and then.
  std::string recent_error() {
    rd_kafka_poll(_rk, 0);
    const std::lock_guard lock(_mutex);
    return steady::now() - _last_error_at < std::chrono::minutes(1) ? _last_error : std::string();
  }

 private:
  kafka_handle() = default;

  static void on_error(rd_kafka_t* /*rk*/, int /*err*/, const char* reason, void* opaque) {
    auto* self = static_cast<kafka_handle*>(opaque);
    std::string text = one_line(reason);
    // "... failed: Connection refused (after 0ms in state CONNECT, 3 identical error(s) suppressed)"
    if (const auto detail = text.find(" (after "); detail != std::string::npos) text.resize(detail);
    const std::lock_guard lock(self->_mutex);
    self->_last_error = std::move(text);
    self->_last_error_at = steady::now();
  }
  static void on_log(const rd_kafka_t* /*rk*/, int level, const char* fac, const char* buf) {
    if (level <= 3) SPATE_LOG_DEBUG("lag remote librdkafka facility={} message={}", fac, one_line(buf));
  }

  rd_kafka_t* _rk = nullptr;
  std::mutex _mutex;
  std::string _last_error;
  steady::time_point _last_error_at;
};

// Admin options with a request timeout and a private result queue.
class admin_call {
 public:
  admin_call(rd_kafka_t* rk, rd_kafka_admin_op_t op, int timeout_ms)
      : _options(rd_kafka_AdminOptions_new(rk, op)), _queue(rd_kafka_queue_new(rk)) {
    char errstr[256];
    rd_kafka_AdminOptions_set_request_timeout(_options, std::max(timeout_ms, 1), errstr, sizeof errstr);
  }
  ~admin_call() {
    for (auto* event : _events) rd_kafka_event_destroy(event);
    rd_kafka_queue_destroy(_queue);
    rd_kafka_AdminOptions_destroy(_options);
  }
  admin_call(const admin_call&) = delete;
  admin_call& operator=(const admin_call&) = delete;

  rd_kafka_AdminOptions_t* options() const { return _options; }
  rd_kafka_queue_t* queue() const { return _queue; }
  // The next result, or null when none came before the deadline (plus a margin so that
  // librdkafka's own timeout is reported first). Owned by this call.
  rd_kafka_event_t* next(const deadline& until) {
    auto* event = rd_kafka_queue_poll(_queue, until.remaining_ms() + 500);
    if (event != nullptr) _events.push_back(event);
    return event;
  }

 private:
  rd_kafka_AdminOptions_t* _options;
  rd_kafka_queue_t* _queue;
  std::vector<rd_kafka_event_t*> _events;
};

struct partition_list {
  rd_kafka_topic_partition_list_t* list;
  explicit partition_list(int size) : list(rd_kafka_topic_partition_list_new(std::max(size, 1))) {}
  ~partition_list() { rd_kafka_topic_partition_list_destroy(list); }
  partition_list(const partition_list&) = delete;
  partition_list& operator=(const partition_list&) = delete;
};

struct offsets {
  std::int64_t log_start = -1;
  std::int64_t high_watermark = -1;
  std::int64_t last_stable = -1;
};

// A partition and the offset of a group's first unconsumed record in it.
using position = std::tuple<std::string, std::int32_t, std::int64_t>;

constexpr std::size_t max_groups_in_flight = 64;

}  // namespace

struct remote_source::impl {
  remote_config config;
  std::unique_ptr<kafka_handle> reader;     // read_uncommitted: admin calls, HWM, timestamps
  std::unique_ptr<kafka_handle> committed;  // read_committed: the last stable offset
  std::map<position, millis> timestamps;    // record timestamps; -1 when the record has none
  int failures = 0;
  steady::time_point retry_at;
  std::string failure;

  cluster_facts sample(millis now);

 private:
  std::string unreachable(const std::string& what, const std::string& detail);
  bool list_groups(const deadline& until, std::vector<group_facts>& groups, std::string& error);
  void describe_groups(const deadline& until, std::vector<group_facts>& groups);
  bool committed_offsets(const deadline& until, std::vector<group_facts>& groups, std::string& error);
  bool query_offsets(const deadline& until, const std::set<partition_key>& partitions,
                     std::map<partition_key, offsets>& out, std::string& error);
  void read_timestamps(const deadline& until, std::vector<group_facts>& groups);
  void fetch_timestamps(const deadline& until, std::map<partition_key, std::set<std::int64_t>> wanted);
};

std::string remote_source::impl::unreachable(const std::string& what, const std::string& detail) {
  auto last = reader->recent_error();
  if (last.empty()) last = committed->recent_error();
  return one_line(what + ": " + detail + (last.empty() ? "" : " (" + last + ")"));
}

bool remote_source::impl::list_groups(const deadline& until, std::vector<group_facts>& groups, std::string& error) {
  admin_call call(reader->get(), RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, until.remaining_ms());
  rd_kafka_ListConsumerGroups(reader->get(), call.options(), call.queue());
  auto* event = call.next(until);
  if (event == nullptr) {
    error = unreachable("cannot list consumer groups", "no answer in time");
    return false;
  }
  if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    error = unreachable("cannot list consumer groups", rd_kafka_event_error_string(event));
    return false;
  }
  const auto* result = rd_kafka_event_ListConsumerGroups_result(event);
  size_t errors = 0;
  const auto** errs = rd_kafka_ListConsumerGroups_result_errors(result, &errors);
  // A broker that did not answer hides its groups; reporting the others would look like those
  // groups vanished.
  if (errors > 0) {
    error = unreachable("cannot list consumer groups", rd_kafka_error_string(errs[0]));
    return false;
  }
  size_t count = 0;
  const auto** listings = rd_kafka_ListConsumerGroups_result_valid(result, &count);
  for (size_t i = 0; i < count; ++i) {
    const std::string id = rd_kafka_ConsumerGroupListing_group_id(listings[i]);
    if (id == probe_group) continue;
    group_facts group;
    group.group = id;
    group.state = rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupListing_state(listings[i]));
    groups.push_back(std::move(group));
  }
  std::sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) { return a.group < b.group; });
  return true;
}

// Members and who owns which partition. A group that cannot be described keeps its listed state
// and no members (its partitions are then reported without an owner).
void remote_source::impl::describe_groups(const deadline& until, std::vector<group_facts>& groups) {
  if (groups.empty()) return;
  std::vector<const char*> ids;
  ids.reserve(groups.size());
  for (const auto& g : groups) ids.push_back(g.group.c_str());
  admin_call call(reader->get(), RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, until.remaining_ms());
  rd_kafka_DescribeConsumerGroups(reader->get(), ids.data(), ids.size(), call.options(), call.queue());
  auto* event = call.next(until);
  if (event == nullptr || rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
  size_t count = 0;
  const auto** descriptions =
      rd_kafka_DescribeConsumerGroups_result_groups(rd_kafka_event_DescribeConsumerGroups_result(event), &count);
  std::map<std::string, group_facts*> by_id;
  for (auto& g : groups) by_id[g.group] = &g;
  for (size_t i = 0; i < count; ++i) {
    const auto* d = descriptions[i];
    if (rd_kafka_ConsumerGroupDescription_error(d) != nullptr) continue;
    auto it = by_id.find(rd_kafka_ConsumerGroupDescription_group_id(d));
    if (it == by_id.end()) continue;
    auto& group = *it->second;
    group.state = rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(d));
    const auto members = rd_kafka_ConsumerGroupDescription_member_count(d);
    for (size_t m = 0; m < members; ++m) {
      const auto* member = rd_kafka_ConsumerGroupDescription_member(d, m);
      member_facts facts;
      facts.member_id = rd_kafka_MemberDescription_consumer_id(member);
      facts.client_id = rd_kafka_MemberDescription_client_id(member);
      facts.host = rd_kafka_MemberDescription_host(member);
      group.members.push_back(facts);
      const auto* assignment = rd_kafka_MemberDescription_assignment(member);
      const auto* owned = assignment != nullptr ? rd_kafka_MemberAssignment_partitions(assignment) : nullptr;
      if (owned == nullptr) continue;
      // Owners are attached to partitions once the committed offsets are known; parked here.
      for (int p = 0; p < owned->cnt; ++p) {
        partition_facts partition;
        partition.topic = owned->elems[p].topic;
        partition.partition = owned->elems[p].partition;
        partition.owner_member_id = facts.member_id;
        partition.owner_client_id = facts.client_id;
        partition.owner_host = facts.host;
        group.partitions.push_back(std::move(partition));
      }
    }
  }
}

// Replaces each group's parked owner entries with its committed partitions, owners attached.
bool remote_source::impl::committed_offsets(const deadline& until, std::vector<group_facts>& groups,
                                            std::string& error) {
  std::set<std::string> read;
  for (std::size_t first = 0; first < groups.size(); first += max_groups_in_flight) {
    const auto last = std::min(groups.size(), first + max_groups_in_flight);
    admin_call call(reader->get(), RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, until.remaining_ms());
    std::map<std::string, group_facts*> by_id;
    for (auto i = first; i < last; ++i) {
      by_id[groups[i].group] = &groups[i];
      auto* request = rd_kafka_ListConsumerGroupOffsets_new(groups[i].group.c_str(), nullptr);  // all partitions
      rd_kafka_ListConsumerGroupOffsets(reader->get(), &request, 1, call.options(), call.queue());
      rd_kafka_ListConsumerGroupOffsets_destroy(request);
    }
    for (auto i = first; i < last; ++i) {
      auto* event = call.next(until);
      if (event == nullptr) {
        error = unreachable("cannot fetch committed offsets", "no answer in time");
        return false;
      }
      const auto err = rd_kafka_event_error(event);
      if (err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR__TRANSPORT ||
          err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        error = unreachable("cannot fetch committed offsets", rd_kafka_event_error_string(event));
        return false;
      }
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;  // e.g. not authorized for this group
      size_t count = 0;
      const auto** results = rd_kafka_ListConsumerGroupOffsets_result_groups(
          rd_kafka_event_ListConsumerGroupOffsets_result(event), &count);
      for (size_t r = 0; r < count; ++r) {
        auto it = by_id.find(rd_kafka_group_result_name(results[r]));
        if (it == by_id.end() || rd_kafka_group_result_error(results[r]) != nullptr) continue;
        auto& group = *it->second;
        read.insert(group.group);
        std::map<partition_key, partition_facts> owners;
        for (auto& parked : group.partitions) owners[{parked.topic, parked.partition}] = std::move(parked);
        group.partitions.clear();
        const auto* list = rd_kafka_group_result_partitions(results[r]);
        for (int p = 0; list != nullptr && p < list->cnt; ++p) {
          const auto& tp = list->elems[p];
          if (tp.err != RD_KAFKA_RESP_ERR_NO_ERROR || tp.offset < 0) continue;
          partition_facts facts;
          if (auto owner = owners.find({tp.topic, tp.partition}); owner != owners.end()) facts = owner->second;
          facts.topic = tp.topic;
          facts.partition = tp.partition;
          facts.committed_offset = tp.offset;
          group.partitions.push_back(std::move(facts));
        }
        std::sort(group.partitions.begin(), group.partitions.end(), [](const auto& a, const auto& b) {
          return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
        });
      }
    }
  }
  // A group whose offsets could not be read (e.g. not authorized) is left out rather than shown
  // with its owners' partitions as if nothing were committed.
  std::erase_if(groups, [&](const group_facts& g) { return read.count(g.group) == 0; });
  return true;
}

// ListOffsets for every partition: earliest and latest on the read_uncommitted handle (log start,
// high watermark), latest on the read_committed one (last stable offset). librdkafka sends one
// request per leader for each.
bool remote_source::impl::query_offsets(const deadline& until, const std::set<partition_key>& partitions,
                                        std::map<partition_key, offsets>& out, std::string& error) {
  if (partitions.empty()) return true;
  struct query {
    kafka_handle* handle;
    std::int64_t timestamp;  // ListOffsets' special timestamps: -2 earliest, -1 latest
    std::int64_t offsets::*field;
  };
  const query queries[] = {{reader.get(), RD_KAFKA_OFFSET_BEGINNING, &offsets::log_start},
                           {reader.get(), RD_KAFKA_OFFSET_END, &offsets::high_watermark},
                           {committed.get(), RD_KAFKA_OFFSET_END, &offsets::last_stable}};
  for (const auto& q : queries) {
    partition_list list(static_cast<int>(partitions.size()));
    for (const auto& [topic, partition] : partitions) {
      rd_kafka_topic_partition_list_add(list.list, topic.c_str(), partition)->offset = q.timestamp;
    }
    const auto err = rd_kafka_offsets_for_times(q.handle->get(), list.list, std::max(until.remaining_ms(), 1));
    if (err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION) continue;  // every topic deleted: offsets stay unknown
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      error = unreachable("cannot list partition offsets", rd_kafka_err2str(err));
      return false;
    }
    for (int i = 0; i < list.list->cnt; ++i) {
      const auto& tp = list.list->elems[i];
      if (tp.err == RD_KAFKA_RESP_ERR_NO_ERROR && tp.offset >= 0) out[{tp.topic, tp.partition}].*q.field = tp.offset;
    }
  }
  return true;
}

// The timestamp of the first unconsumed record of each lagging partition, cached by partition and
// offset so that it is read again only when a group moves.
void remote_source::impl::read_timestamps(const deadline& until, std::vector<group_facts>& groups) {
  std::set<position> lagging;
  std::map<partition_key, std::set<std::int64_t>> wanted;  // partition -> offsets to read at
  for (const auto& group : groups) {
    for (const auto& p : group.partitions) {
      if (p.offset_lag <= 0) continue;
      const position at{p.topic, p.partition,
                        remote_detail::first_unconsumed_offset(p.committed_offset, p.log_start_offset)};
      lagging.insert(at);
      if (timestamps.count(at) == 0) wanted[{p.topic, p.partition}].insert(std::get<2>(at));
    }
  }
  std::erase_if(timestamps, [&](const auto& entry) { return lagging.count(entry.first) == 0; });
  if (!wanted.empty() && !until.passed()) fetch_timestamps(until, wanted);
  for (auto& group : groups) {
    for (auto& p : group.partitions) {
      if (p.offset_lag <= 0) continue;
      const position at{p.topic, p.partition,
                        remote_detail::first_unconsumed_offset(p.committed_offset, p.log_start_offset)};
      if (auto cached = timestamps.find(at); cached != timestamps.end())
        p.first_unconsumed_timestamp_ms = cached->second;
    }
  }
}

// Reads each partition forward from its lowest wanted offset: a message at offset o answers every
// wanted offset up to o (the first data record at or after each; control records and
// compacted-away offsets are skipped, which is what "first unconsumed data record" means). When
// the next wanted offset is far ahead the partition seeks there instead of reading the records
// between; a partition that reaches its end answers the rest with "no data record" (only control
// records were left). Stops when all are answered or the tick's time is up.
void remote_source::impl::fetch_timestamps(const deadline& until,
                                           std::map<partition_key, std::set<std::int64_t>> wanted) {
  constexpr std::int64_t seek_distance = 1000;  // records; beyond, seeking is cheaper than reading
  partition_list list(static_cast<int>(std::min(wanted.size(), config.max_timestamp_fetches)));
  for (auto it = wanted.begin(); it != wanted.end();) {
    if (static_cast<std::size_t>(list.list->cnt) == config.max_timestamp_fetches) {
      it = wanted.erase(it);  // the next ticks take them
      continue;
    }
    rd_kafka_topic_partition_list_add(list.list, it->first.first.c_str(), it->first.second)->offset =
        *it->second.begin();
    ++it;
  }
  // The simple consumer API, not assign(): an assignment is applied by the consumer group's
  // periodic serve (up to a second late), while a started partition fetches at once.
  rd_kafka_queue_t* queue = rd_kafka_queue_new(reader->get());
  std::map<partition_key, rd_kafka_topic_t*> started;
  for (int i = 0; i < list.list->cnt; ++i) {
    const auto& tp = list.list->elems[i];
    auto* topic = rd_kafka_topic_new(reader->get(), tp.topic, nullptr);
    if (topic == nullptr) continue;
    if (rd_kafka_consume_start_queue(topic, tp.partition, tp.offset, queue) == -1) {
      rd_kafka_topic_destroy(topic);
      continue;
    }
    started[{tp.topic, tp.partition}] = topic;
  }
  auto stop = [&](const partition_key& key) {
    auto it = started.find(key);
    if (it == started.end()) return;
    rd_kafka_consume_stop(it->second, key.second);
    rd_kafka_topic_destroy(it->second);
    started.erase(it);
  };
  auto pending = wanted.size();
  while (pending > 0 && !until.passed()) {
    const auto asked = steady::now();
    auto* message = rd_kafka_consume_queue(queue, std::min(until.remaining_ms(), 100));
    if (message == nullptr) {
      // librdkafka returns at once after dropping an outdated fetch result: no busy loop.
      if (steady::now() - asked < std::chrono::milliseconds(2))
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    const bool eof = message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF;
    if ((message->err == RD_KAFKA_RESP_ERR_NO_ERROR || eof) && message->rkt != nullptr) {
      const char* topic = rd_kafka_topic_name(message->rkt);
      auto it = wanted.find({topic, message->partition});
      if (it != wanted.end() && !it->second.empty()) {
        auto& offsets = it->second;
        rd_kafka_timestamp_type_t type;
        const auto ts = eof ? -1 : rd_kafka_message_timestamp(message, &type);
        while (!offsets.empty() && (eof || *offsets.begin() <= message->offset)) {
          timestamps[{it->first.first, it->first.second, *offsets.begin()}] = ts >= 0 ? ts : -1;
          offsets.erase(offsets.begin());
        }
        if (offsets.empty()) {
          --pending;
          // Paused, not stopped: a stop waits for the partition's fetch in flight.
          partition_list one(1);
          rd_kafka_topic_partition_list_add(one.list, topic, message->partition);
          rd_kafka_pause_partitions(reader->get(), one.list);
          rd_kafka_message_destroy(message);
          continue;
        }
        if (*offsets.begin() - message->offset > seek_distance) {
          // Asynchronous (timeout 0): records still queued from before are below the target and
          // answer nothing.
          partition_list one(1);
          rd_kafka_topic_partition_list_add(one.list, topic, message->partition)->offset = *offsets.begin();
          if (auto* error = rd_kafka_seek_partitions(reader->get(), one.list, 0)) rd_kafka_error_destroy(error);
        }
      }
    }
    rd_kafka_message_destroy(message);
  }
  while (!started.empty()) stop(started.begin()->first);
  rd_kafka_queue_destroy(queue);
  SPATE_LOG_DEBUG("lag remote cluster={} timestamp reads partitions={} unanswered={}", config.cluster, wanted.size(),
                  pending);
}

cluster_facts remote_source::impl::sample(millis now) {
  cluster_facts facts;
  facts.cluster = config.cluster;
  facts.taken_at_ms = now;
  if (failures > 0 && steady::now() < retry_at) {
    facts.error = failure;
    return facts;
  }
  const auto budget = config.tick_budget_ms > 0 ? config.tick_budget_ms : config.sample_interval_ms * 4 / 5;
  const deadline until(std::max<millis>(budget, 1));

  std::string error;
  std::vector<group_facts> groups;
  bool ok = list_groups(until, groups, error);
  if (ok) describe_groups(until, groups);
  if (ok) ok = committed_offsets(until, groups, error);
  std::set<partition_key> partitions;
  for (const auto& g : groups) {
    for (const auto& p : g.partitions) partitions.insert({p.topic, p.partition});
  }
  std::map<partition_key, offsets> ends;
  if (ok) ok = query_offsets(until, partitions, ends, error);
  if (!ok) {
    ++failures;
    failure = error;
    retry_at = steady::now() + std::chrono::milliseconds(remote_detail::backoff_ms(failures, config.sample_interval_ms,
                                                                                   config.max_backoff_ms));
    if (failures == 1) SPATE_LOG_WARN("lag remote cluster={} unreachable error=\"{}\"", config.cluster, error);
    facts.error = error;
    return facts;
  }
  if (failures > 0)
    SPATE_LOG_INFO("lag remote cluster={} reachable again after {} failed ticks", config.cluster, failures);
  failures = 0;
  failure.clear();

  for (auto& group : groups) {
    for (auto& p : group.partitions) {
      const auto it = ends.find({p.topic, p.partition});
      if (it == ends.end()) continue;
      p.log_start_offset = it->second.log_start;
      p.high_watermark = it->second.high_watermark;
      p.last_stable_offset = it->second.last_stable;
      p.read_committed = config.read_committed;
      p.end_offset = config.read_committed ? p.last_stable_offset : p.high_watermark;
      p.offset_lag = remote_detail::offset_lag(p.committed_offset, p.log_start_offset, p.end_offset);
    }
  }
  read_timestamps(until, groups);
  facts.groups = std::move(groups);
  return facts;
}

std::unique_ptr<remote_source> remote_source::create(remote_config config, std::string& error) {
  auto state = std::make_unique<impl>();
  // Small fetches: only the first record of a partition is wanted, not a prefetched batch.
  state->reader = kafka_handle::make(config,
                                     {{"isolation.level", "read_uncommitted"},
                                      {"enable.partition.eof", "true"},
                                      {"max.partition.fetch.bytes", "16384"},
                                      {"fetch.max.bytes", "1048576"},
                                      {"queued.min.messages", "1"},
                                      {"queued.max.messages.kbytes", "1024"},
                                      {"fetch.wait.max.ms", "10"}},
                                     error);
  if (state->reader == nullptr) return nullptr;
  state->committed = kafka_handle::make(config, {{"isolation.level", "read_committed"}}, error);
  if (state->committed == nullptr) return nullptr;
  state->config = std::move(config);
  return std::unique_ptr<remote_source>(new remote_source(std::move(state)));
}

remote_source::remote_source(std::unique_ptr<impl> impl) : _impl(std::move(impl)) {}
remote_source::~remote_source() = default;

cluster_facts remote_source::sample(millis now) { return _impl->sample(now); }

}  // namespace spate::lag
