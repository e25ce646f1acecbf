// spate produce TOPIC: one record per stdin line.
#include <chrono>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/offsets.h"
#include "cli/table.h"

namespace spate::cli {

namespace {

using json = nlohmann::json;

struct produce_args {
  std::string topic;
  std::string key_separator;
  std::vector<std::string> headers;
  int partition = -1;
  std::string compression = "none";
  std::string acks = "all";
};

struct partition_range {
  std::int64_t first = -1;
  std::int64_t last = -1;
  std::int64_t count = 0;
};

struct delivery_state {
  std::map<std::int32_t, partition_range> ranges;
  std::int64_t delivered = 0;
  std::int64_t failed = 0;
  rd_kafka_resp_err_t first_error = RD_KAFKA_RESP_ERR_NO_ERROR;
};

void produce(const client_options& o, const produce_args& a) {
  const std::string what = "produce " + a.topic;
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& h : a.headers) {
    try {
      headers.push_back(parse_key_value(h, "-H"));
    } catch (const std::invalid_argument& e) {
      throw CLI::ValidationError("-H", e.what());
    }
  }
  delivery_state state;
  kafka_client client(o, RD_KAFKA_PRODUCER,
                      {{"compression.codec", a.compression},
                       {"acks", a.acks},
                       {"message.timeout.ms", std::to_string(o.timeout_ms)},
                       {"linger.ms", "5"}},
                      [&state](const rd_kafka_message_t& m) {
                        if (m.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                          if (state.failed++ == 0) state.first_error = m.err;
                          return;
                        }
                        ++state.delivered;
                        auto& r = state.ranges[m.partition];
                        if (r.count++ == 0 || m.offset < r.first) r.first = m.offset;
                        r.last = std::max(r.last, m.offset);
                      });
  // Fail early (and within the timeout) on an unknown topic or an unreachable broker.
  const auto md = fetch_metadata(client, what);
  const auto& t = find_topic(*md, what, a.topic);
  if (a.partition >= t.partition_cnt) {
    fail(what, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION,
         "topic has " + std::to_string(t.partition_cnt) + " partitions, no partition " + std::to_string(a.partition));
  }
  const bool progress = show_progress();
  auto last_progress = std::chrono::steady_clock::now();
  std::int64_t sent = 0;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::string_view value = line;
    std::optional<std::string_view> key;
    if (!a.key_separator.empty()) {
      const auto sep = line.find(a.key_separator);
      if (sep != std::string::npos) {
        key = std::string_view(line).substr(0, sep);
        value = std::string_view(line).substr(sep + a.key_separator.size());
      }
    }
    rd_kafka_headers_t* hdrs = nullptr;
    if (!headers.empty()) {
      hdrs = rd_kafka_headers_new(headers.size());
      for (const auto& [k, v] : headers)
        rd_kafka_header_add(hdrs, k.c_str(), -1, v.data(), static_cast<ssize_t>(v.size()));
    }
    std::vector<rd_kafka_vu_t> vus(6);
    vus[0].vtype = RD_KAFKA_VTYPE_TOPIC;
    vus[0].u.cstr = a.topic.c_str();
    vus[1].vtype = RD_KAFKA_VTYPE_PARTITION;
    vus[1].u.i32 = a.partition;
    vus[2].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    vus[2].u.i = RD_KAFKA_MSG_F_COPY;
    vus[3].vtype = RD_KAFKA_VTYPE_VALUE;
    vus[3].u.mem.ptr = const_cast<char*>(value.data());
    vus[3].u.mem.size = value.size();
    vus[4].vtype = RD_KAFKA_VTYPE_KEY;
    vus[4].u.mem.ptr = key ? const_cast<char*>(key->data()) : nullptr;
    vus[4].u.mem.size = key ? key->size() : 0;
    vus[5].vtype = RD_KAFKA_VTYPE_HEADERS;
    vus[5].u.headers = hdrs;
    const std::size_t n_vus = hdrs != nullptr ? 6 : 5;
    while (true) {
      rd_kafka_error_t* error = rd_kafka_produceva(client.get(), vus.data(), n_vus);
      if (error == nullptr) break;
      const auto err = rd_kafka_error_code(error);
      const std::string message = rd_kafka_error_string(error);
      rd_kafka_error_destroy(error);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(client.get(), 100);
        continue;
      }
      if (hdrs != nullptr) rd_kafka_headers_destroy(hdrs);
      fail(what, err, message);
    }
    ++sent;
    rd_kafka_poll(client.get(), 0);
    if (state.failed > 0) break;
    if (progress) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last_progress > std::chrono::milliseconds(250)) {
        std::fprintf(stderr, "\rsent %lld, delivered %lld", static_cast<long long>(sent),
                     static_cast<long long>(state.delivered));
        last_progress = now;
      }
    }
  }
  // Every message either gets delivered or fails by message.timeout.ms; the margin covers the flush.
  rd_kafka_flush(client.get(), o.timeout_ms + 2000);
  if (progress)
    std::fprintf(stderr, "\rsent %lld, delivered %lld\n", static_cast<long long>(sent),
                 static_cast<long long>(state.delivered));
  if (state.failed > 0 || state.delivered < sent) {
    const auto err = state.failed > 0 ? state.first_error : RD_KAFKA_RESP_ERR__TIMED_OUT;
    const auto last = client.last_error();
    fail(what, err,
         std::to_string(state.delivered) + " of " + std::to_string(sent) +
             " records delivered: " + rd_kafka_err2str(err) + (last.empty() ? "" : " (" + last + ")"));
  }
  json parts = json::array();
  table tbl({"PARTITION", "RECORDS", "FIRST_OFFSET", "LAST_OFFSET"});
  for (const auto& [p, r] : state.ranges) {
    parts.push_back({{"partition", p}, {"count", r.count}, {"first_offset", r.first}, {"last_offset", r.last}});
    tbl.add_row({std::to_string(p), std::to_string(r.count), std::to_string(r.first), std::to_string(r.last)});
  }
  if (o.json) {
    print_text(json{{"topic", a.topic}, {"count", state.delivered}, {"partitions", parts}}.dump(2) + "\n");
  } else {
    std::fprintf(stderr, "produced %lld records to %s\n%s", static_cast<long long>(state.delivered), a.topic.c_str(),
                 state.ranges.empty() ? "" : tbl.render().c_str());
  }
}

}  // namespace

void register_produce_command(CLI::App& app) {
  auto o = std::make_shared<client_options>();
  auto a = std::make_shared<produce_args>();
  auto* cmd =
      add_client_command(app, "produce", "Produce one record per line of stdin", o, [o, a] { produce(*o, *a); });
  cmd->add_option("topic", a->topic, "Topic name")->required();
  cmd->add_option("--key-separator", a->key_separator, "Split each line into key and value at the first SEP");
  cmd->add_option("-H,--header", a->headers, "Record header key=value (repeatable)");
  cmd->add_option("-p,--partition", a->partition, "Partition (default: the partitioner chooses)")
      ->check(CLI::Range(0, INT32_MAX));
  cmd->add_option("--compression", a->compression, "none, gzip, snappy, lz4 or zstd")
      ->check(CLI::IsMember({"none", "gzip", "snappy", "lz4", "zstd"}))
      ->capture_default_str();
  cmd->add_option("--acks", a->acks, "0, 1, all (or -1)")
      ->check(CLI::IsMember({"0", "1", "all", "-1"}))
      ->capture_default_str();
}

}  // namespace spate::cli
