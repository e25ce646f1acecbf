// spate_load: a Kafka load generator on librdkafka's C API, used by bench/run.py.
//
//   spate_load produce  -b HOST:PORT -t TOPIC [-n N] [-s BYTES] [--acks 1|all] [--linger-ms MS]
//                       [--batch-size BYTES] [--compression none|gzip|snappy|lz4|zstd]
//                       [--duration-s S] [--timeout-s S] [--keys K] [-X key=value ...]
//                       (--keys K: record i has key "k<i mod K>", for compacted topics)
//   spate_load consume  -b HOST:PORT -t TOPIC [-n N] [--allow-short] [--timeout-s S]
//                       [-X key=value ...]
//                       (--allow-short: stopping at the end of every partition before N
//                       messages is a success; librdkafka's mock keeps only ~5 MB per partition)
//   spate_load latency  -b HOST:PORT -t TOPIC [--rate MSG/S] [-s BYTES] [--duration-s S]
//                       [--acks 1|all] [--linger-ms MS] [-X key=value ...]
//   spate_load metadata -b HOST:PORT -t TOPIC [--timeout-s S]
//
// Each run prints exactly one JSON object on stdout (progress and librdkafka logs go to stderr).
// Every loop is bounded by --timeout-s, and a watchdog ends the process (printing a JSON error)
// if librdkafka itself blocks past the deadline, so a run never hangs.
//
// Units: bytes are payload (record value) bytes; MB is 10^6 bytes; times are wall-clock.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

#include "json_out.h"

namespace {

using spate_bench::json_object;
using clock_type = std::chrono::steady_clock;

clock_type::duration secs(double s) {
  return std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s));
}
double seconds_between(clock_type::time_point a, clock_type::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}
std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             clock_type::now().time_since_epoch())
      .count();
}

struct options {
  std::string mode;
  std::string brokers;
  std::string topic;
  std::string label;
  std::int64_t count = 100000;
  std::int64_t size = 1024;
  std::string acks = "1";
  int linger_ms = -1;  // -1: librdkafka default (5 ms) for produce, 0 for latency
  std::int64_t batch_size = -1;
  std::string compression = "none";
  double duration_s = -1;  // produce: stop sending after this; latency: measured phase
  double timeout_s = 120;
  double rate = 1000;
  double stall_s = 15;  // produce/consume: give up after this long without any progress
  bool allow_short = false;  // consume: reaching the end of every partition first is success
  std::int64_t keys = 0;     // produce: 0 for no keys, else record i gets key "k<i mod keys>"
  std::vector<std::pair<std::string, std::string>> extra;  // -X key=value
};

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr, "spate_load: %s\n", msg);
  std::fprintf(stderr,
               "usage: spate_load produce|consume|latency|metadata -b BROKERS -t TOPIC "
               "[-n COUNT] [-s SIZE] [--acks 1|all|-1|0] [--linger-ms MS] [--batch-size BYTES] "
               "[--compression C] [--duration-s S] [--timeout-s S] [--rate MSGS] "
               "[--label NAME] [--allow-short] [--stall-s S] [--keys K] [-X key=value]...\n");
  std::exit(2);
}

options parse(int argc, char** argv) {
  options o;
  if (argc < 2) usage("missing mode");
  o.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    try {
      if (a == "-b" || a == "--brokers") o.brokers = val();
      else if (a == "-t" || a == "--topic") o.topic = val();
      else if (a == "-n" || a == "--count") o.count = std::stoll(val());
      else if (a == "-s" || a == "--size") o.size = std::stoll(val());
      else if (a == "--acks") o.acks = val();
      else if (a == "--linger-ms") o.linger_ms = std::stoi(val());
      else if (a == "--batch-size") o.batch_size = std::stoll(val());
      else if (a == "--compression") o.compression = val();
      else if (a == "--duration-s") o.duration_s = std::stod(val());
      else if (a == "--timeout-s") o.timeout_s = std::stod(val());
      else if (a == "--rate") o.rate = std::stod(val());
      else if (a == "--label") o.label = val();
      else if (a == "--allow-short") o.allow_short = true;
      else if (a == "--keys")
        o.keys = std::stoll(val());
      else if (a == "--stall-s") o.stall_s = std::stod(val());
      else if (a == "-X") {
        std::string kv = val();
        auto eq = kv.find('=');
        if (eq == std::string::npos) usage("-X expects key=value");
        o.extra.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
      } else {
        usage(("unknown argument " + a).c_str());
      }
    } catch (const std::logic_error&) {
      usage(("bad value for " + a).c_str());
    }
  }
  if (o.acks == "all") o.acks = "-1";
  if (o.brokers.empty()) usage("-b BROKERS is required");
  if (o.topic.empty()) usage("-t TOPIC is required");
  if (o.count <= 0 || o.size < 0 || o.timeout_s <= 0 || o.rate <= 0 || o.keys < 0) usage("bad numeric value");
  return o;
}

// ---- watchdog: the process never outlives its deadline by more than a grace period ----

std::mutex g_out_mu;
bool g_printed = false;
json_object g_common;  // mode, label, brokers, topic: included in every output

void emit(json_object o) {
  std::lock_guard lk(g_out_mu);
  if (g_printed) return;
  g_printed = true;
  // Common fields first, then the run's fields.
  std::string merged = g_common.dump();
  std::string body = o.dump();
  merged.pop_back();  // '}'
  if (body.size() > 2) merged += "," + body.substr(1);
  else merged += "}";
  std::fprintf(stdout, "%s\n", merged.c_str());
  std::fflush(stdout);
}

void start_watchdog(double seconds) {
  std::thread([seconds] {
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    json_object o;
    o.boolean("ok", false).str("error", "watchdog: run exceeded its deadline; aborted");
    emit(o);
    std::fprintf(stderr, "spate_load: watchdog fired after %.0f s\n", seconds);
    std::_Exit(3);
  }).detach();
}

// ---- librdkafka helpers ----

struct run_errors {
  std::mutex mu;
  std::string first;
  std::int64_t count = 0;
  void add(const std::string& e) {
    std::lock_guard lk(mu);
    if (first.empty()) first = e;
    ++count;
  }
};
run_errors g_client_errors;

void error_cb(rd_kafka_t*, int err, const char* reason, void*) {
  std::fprintf(stderr, "spate_load: client error: %s: %s\n",
               rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)), reason);
  g_client_errors.add(std::string(rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))) +
                      ": " + reason);
}

void set(rd_kafka_conf_t* c, const std::string& k, const std::string& v) {
  char err[512];
  if (rd_kafka_conf_set(c, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
    json_object o;
    o.boolean("ok", false).str("error", "config " + k + "=" + v + ": " + err);
    emit(o);
    std::exit(2);
  }
}

rd_kafka_conf_t* base_conf(const options& o) {
  rd_kafka_conf_t* c = rd_kafka_conf_new();
  set(c, "bootstrap.servers", o.brokers);
  set(c, "client.id", "spate_load");
  rd_kafka_conf_set_error_cb(c, error_cb);
  return c;
}

void apply_extra(rd_kafka_conf_t* c, const options& o) {
  for (auto& [k, v] : o.extra) set(c, k, v);
}

rd_kafka_t* make_client(rd_kafka_type_t type, rd_kafka_conf_t* c) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, c, err, sizeof err);
  if (!rk) {
    json_object o;
    o.boolean("ok", false).str("error", std::string("rd_kafka_new: ") + err);
    emit(o);
    std::exit(1);
  }
  return rk;
}

int ms_left(clock_type::time_point deadline) {
  auto d = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
  return static_cast<int>(std::max<std::int64_t>(0, d.count()));
}

// Partition count of `topic` (asking for it may auto-create it), retried until the deadline.
// Returns -1 and sets `err` on failure.
int partition_count(rd_kafka_t* rk, const std::string& topic, clock_type::time_point deadline,
                    std::string& err) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  int result = -1;
  while (clock_type::now() < deadline) {
    const rd_kafka_metadata_t* md = nullptr;
    int wait = std::min(5000, std::max(100, ms_left(deadline)));
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, wait);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      err = std::string("metadata: ") + rd_kafka_err2str(e);
    } else {
      bool good = false;
      for (int i = 0; i < md->topic_cnt; ++i) {
        const auto& t = md->topics[i];
        if (topic != t.topic) continue;
        if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
          err = std::string("metadata topic error: ") + rd_kafka_err2name(t.err);
          break;
        }
        bool leaders = t.partition_cnt > 0;
        for (int p = 0; p < t.partition_cnt; ++p)
          if (t.partitions[p].leader < 0 || t.partitions[p].err) leaders = false;
        if (leaders) {
          result = t.partition_cnt;
          good = true;
        } else {
          err = "metadata: topic has no partitions or no leaders yet";
        }
      }
      rd_kafka_metadata_destroy(md);
      if (good) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  rd_kafka_topic_destroy(rkt);
  return result;
}

struct percentiles {
  double p50, p90, p99, p999, max, mean;
};
percentiles compute(std::vector<double> v) {
  percentiles p{};
  if (v.empty()) return {NAN, NAN, NAN, NAN, NAN, NAN};
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    // nearest-rank
    std::size_t idx = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
    if (idx > 0) --idx;
    return v[std::min(idx, v.size() - 1)];
  };
  p.p50 = at(0.50);
  p.p90 = at(0.90);
  p.p99 = at(0.99);
  p.p999 = at(0.999);
  p.max = v.back();
  double sum = 0;
  for (double x : v) sum += x;
  p.mean = sum / static_cast<double>(v.size());
  return p;
}

json_object percentiles_json(const percentiles& p) {
  json_object o;
  o.fixed("p50", p.p50, 3).fixed("p90", p.p90, 3).fixed("p99", p.p99, 3);
  o.fixed("p99_9", p.p999, 3).fixed("max", p.max, 3).fixed("mean", p.mean, 3);
  return o;
}

// ---- produce ----

struct produce_state {
  std::atomic<std::int64_t> delivered{0};
  std::atomic<std::int64_t> failed{0};
  std::atomic<std::int64_t> delivered_bytes{0};
  clock_type::time_point last_delivery{};
  std::string first_error;  // only touched from the poll thread (dr callbacks run in poll)
  std::vector<std::int64_t>* send_ns = nullptr;  // latency mode: per-seq send time
  std::vector<double>* ack_ms = nullptr;         // latency mode: send -> delivery report
};

void dr_cb(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* st = static_cast<produce_state*>(opaque);
  if (m->err) {
    st->failed.fetch_add(1, std::memory_order_relaxed);
    if (st->first_error.empty()) st->first_error = rd_kafka_err2str(m->err);
    return;
  }
  st->delivered.fetch_add(1, std::memory_order_relaxed);
  st->delivered_bytes.fetch_add(static_cast<std::int64_t>(m->len), std::memory_order_relaxed);
  st->last_delivery = clock_type::now();
  if (st->send_ns && st->ack_ms) {
    auto seq = reinterpret_cast<std::uintptr_t>(m->_private);
    if (seq > 0 && seq <= st->send_ns->size()) {
      std::int64_t sent = (*st->send_ns)[seq - 1];
      if (sent > 0) st->ack_ms->push_back(static_cast<double>(now_ns() - sent) / 1e6);
    }
  }
}

rd_kafka_t* make_producer(const options& o, produce_state& st, int default_linger) {
  rd_kafka_conf_t* c = base_conf(o);
  set(c, "acks", o.acks);
  int linger = o.linger_ms >= 0 ? o.linger_ms : default_linger;
  if (linger >= 0) set(c, "linger.ms", std::to_string(linger));
  if (o.batch_size > 0) set(c, "batch.size", std::to_string(o.batch_size));
  set(c, "compression.type", o.compression);
  set(c, "queue.buffering.max.messages", "1000000");
  set(c, "message.timeout.ms",
      std::to_string(static_cast<std::int64_t>(std::max(1000.0, o.timeout_s * 1000))));
  apply_extra(c, o);
  rd_kafka_conf_set_dr_msg_cb(c, dr_cb);
  rd_kafka_conf_set_opaque(c, &st);
  return make_client(RD_KAFKA_PRODUCER, c);
}

int run_produce(const options& o) {
  auto t_begin = clock_type::now();
  auto deadline = t_begin + secs(o.timeout_s);
  double send_window = o.duration_s > 0 ? std::min(o.duration_s, o.timeout_s) : o.timeout_s;
  produce_state st;
  rd_kafka_t* rk = make_producer(o, st, -1);

  std::string err;
  int parts = partition_count(rk, o.topic, deadline, err);
  if (parts < 0) {
    json_object out;
    out.boolean("ok", false).str("error", err);
    emit(out);
    rd_kafka_destroy(rk);
    return 1;
  }

  std::vector<char> payload(static_cast<std::size_t>(o.size));
  std::mt19937_64 rng(42);
  for (auto& ch : payload) ch = static_cast<char>(rng());

  std::fprintf(stderr, "spate_load: produce %lld x %lld B to %s (%d partitions, acks=%s)\n",
               static_cast<long long>(o.count), static_cast<long long>(o.size), o.topic.c_str(),
               parts, o.acks.c_str());
  auto t0 = clock_type::now();
  auto send_deadline = std::min(deadline, t0 + secs(send_window));
  std::int64_t sent = 0;
  std::string stop_reason = "count";
  std::string produce_error;
  // Stall detection: no new delivery report for --stall-s while messages are outstanding.
  std::int64_t last_done = 0;
  auto last_progress = t0;
  auto stalled = [&] {
    std::int64_t done = st.delivered.load() + st.failed.load();
    auto now = clock_type::now();
    if (done != last_done || done >= sent) {
      last_done = done;
      last_progress = now;
      return false;
    }
    return now - last_progress > secs(o.stall_s);
  };
  while (sent < o.count) {
    if ((sent & 1023) == 0) {
      rd_kafka_poll(rk, 0);
      if (clock_type::now() >= send_deadline) {
        stop_reason = "duration";
        break;
      }
      if (stalled()) {
        stop_reason = "stalled";
        break;
      }
    }
    char key[24];
    const int key_len = o.keys > 0 ? std::snprintf(key, sizeof key, "k%lld", static_cast<long long>(sent % o.keys)) : 0;
    const char* key_ptr = key_len > 0 ? key : nullptr;
    rd_kafka_resp_err_t e =
        rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(o.topic.c_str()), RD_KAFKA_V_KEY(key_ptr, static_cast<size_t>(key_len)),
                          RD_KAFKA_V_VALUE(payload.data(), payload.size()), RD_KAFKA_V_MSGFLAGS(0), RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(rk, 1);
      if (clock_type::now() >= send_deadline) {
        stop_reason = "duration";
        break;
      }
      if (stalled()) {
        stop_reason = "stalled";
        break;
      }
      continue;
    }
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      produce_error = std::string("producev: ") + rd_kafka_err2str(e);
      stop_reason = "error";
      break;
    }
    ++sent;
  }
  auto t_sent = clock_type::now();
  // Wait for every delivery report, bounded by the deadline.
  while (rd_kafka_outq_len(rk) > 0 && clock_type::now() < deadline) {
    rd_kafka_poll(rk, 50);
    if (stalled()) {
      stop_reason = "stalled";
      break;
    }
  }
  bool drained = rd_kafka_outq_len(rk) == 0;

  std::int64_t delivered = st.delivered.load();
  std::int64_t failed = st.failed.load();
  std::int64_t bytes = st.delivered_bytes.load();
  double elapsed = delivered > 0 ? seconds_between(t0, st.last_delivery) : seconds_between(t0, clock_type::now());

  json_object out;
  bool ok = delivered > 0 && failed == 0 && drained && produce_error.empty();
  out.boolean("ok", ok);
  if (!ok) {
    std::string e = !produce_error.empty() ? produce_error
                    : !st.first_error.empty() ? "delivery: " + st.first_error
                    : stop_reason == "stalled" ? "stalled: no delivery report for " +
                                                     std::to_string(static_cast<int>(o.stall_s)) + " s"
                    : !drained ? "timed out waiting for delivery reports"
                    : !g_client_errors.first.empty() ? g_client_errors.first
                    : "nothing delivered";
    out.str("error", e);
  }
  out.integer("partitions", parts).integer("requested", o.count).integer("size", o.size);
  out.integer("sent", sent).integer("delivered", delivered).integer("failed", failed);
  out.integer("undelivered", sent - delivered - failed);
  out.str("stopped_by", stop_reason);
  out.integer("bytes", bytes).fixed("elapsed_s", elapsed, 4);
  out.fixed("send_s", seconds_between(t0, t_sent), 4);
  out.fixed("mb_per_s", elapsed > 0 ? static_cast<double>(bytes) / 1e6 / elapsed : 0, 3);
  out.fixed("msgs_per_s", elapsed > 0 ? static_cast<double>(delivered) / elapsed : 0, 1);
  json_object cfg;
  cfg.str("acks", o.acks).integer("linger_ms", o.linger_ms).integer("batch_size", o.batch_size);
  cfg.str("compression", o.compression);
  for (auto& [k, v] : o.extra) cfg.str(k, v);
  out.object("config", cfg);
  emit(out);
  rd_kafka_destroy(rk);
  return ok ? 0 : 1;
}

// ---- consume ----

rd_kafka_t* make_consumer(const options& o, bool partition_eof, bool apply_user_extra) {
  rd_kafka_conf_t* c = base_conf(o);
  // No group: partitions are assigned directly, nothing is committed.
  // librdkafka requires a group.id for assign(); no group is joined and nothing committed.
  set(c, "group.id", "spate-bench-" + std::to_string(::getpid()));
  set(c, "enable.auto.commit", "false");
  set(c, "enable.auto.offset.store", "false");
  if (partition_eof) set(c, "enable.partition.eof", "true");
  if (apply_user_extra) apply_extra(c, o);
  rd_kafka_t* rk = make_client(RD_KAFKA_CONSUMER, c);
  rd_kafka_poll_set_consumer(rk);
  return rk;
}

bool assign_all(rd_kafka_t* rk, const std::string& topic, int parts, std::int64_t offset,
                std::string& err) {
  rd_kafka_topic_partition_list_t* l = rd_kafka_topic_partition_list_new(parts);
  for (int p = 0; p < parts; ++p) rd_kafka_topic_partition_list_add(l, topic.c_str(), p)->offset = offset;
  rd_kafka_resp_err_t e = rd_kafka_assign(rk, l);
  rd_kafka_topic_partition_list_destroy(l);
  if (e) err = std::string("assign: ") + rd_kafka_err2str(e);
  return e == RD_KAFKA_RESP_ERR_NO_ERROR;
}

int run_consume(const options& o) {
  auto deadline = clock_type::now() + secs(o.timeout_s);
  rd_kafka_t* rk = make_consumer(o, true, true);
  std::string err;
  int parts = partition_count(rk, o.topic, deadline, err);
  if (parts < 0 || !assign_all(rk, o.topic, parts, RD_KAFKA_OFFSET_BEGINNING, err)) {
    json_object out;
    out.boolean("ok", false).str("error", err);
    emit(out);
    rd_kafka_destroy(rk);
    return 1;
  }
  std::fprintf(stderr, "spate_load: consume %lld from %s (%d partitions, from beginning)\n",
               static_cast<long long>(o.count), o.topic.c_str(), parts);
  auto t0 = clock_type::now();
  clock_type::time_point t_first{}, t_last{};
  std::int64_t got = 0, bytes = 0, gaps = 0, errors = 0;
  std::vector<std::int64_t> next(static_cast<std::size_t>(parts), -1);
  std::vector<bool> eof(static_cast<std::size_t>(parts), false);
  std::string first_error, stop_reason = "count";
  auto last_progress = t0;
  while (got < o.count) {
    auto now0 = clock_type::now();
    if (now0 >= deadline) {
      stop_reason = "timeout";
      break;
    }
    if (now0 - last_progress > secs(o.stall_s)) {
      stop_reason = "stalled";
      break;
    }
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (!m) continue;
    last_progress = clock_type::now();
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (m->partition >= 0 && m->partition < parts) eof[m->partition] = true;
      rd_kafka_message_destroy(m);
      if (std::all_of(eof.begin(), eof.end(), [](bool b) { return b; })) {
        stop_reason = "end_of_topic";
        break;
      }
      continue;
    }
    if (m->err) {
      ++errors;
      if (first_error.empty()) first_error = rd_kafka_message_errstr(m);
      rd_kafka_message_destroy(m);
      continue;
    }
    auto now = clock_type::now();
    if (got == 0) t_first = now;
    t_last = now;
    ++got;
    bytes += static_cast<std::int64_t>(m->len);
    if (m->partition >= 0 && m->partition < parts) {
      auto& n = next[m->partition];
      if (n >= 0 && m->offset != n) ++gaps;
      n = m->offset + 1;
      eof[m->partition] = false;
    }
    rd_kafka_message_destroy(m);
  }
  double elapsed = got > 0 ? seconds_between(t0, t_last) : seconds_between(t0, clock_type::now());
  double steady = got > 1 ? seconds_between(t_first, t_last) : 0;
  bool ok = (got == o.count || (o.allow_short && got > 0 && stop_reason == "end_of_topic")) &&
            errors == 0;
  json_object out;
  out.boolean("ok", ok);
  if (!ok) {
    out.str("error", !first_error.empty() ? first_error
                     : stop_reason == "end_of_topic" ? "topic holds fewer messages than requested"
                     : stop_reason == "stalled" ? "stalled: nothing received for " +
                                                  std::to_string(static_cast<int>(o.stall_s)) + " s"
                     : !g_client_errors.first.empty() ? g_client_errors.first
                     : "timed out");
  }
  out.integer("partitions", parts).integer("requested", o.count).integer("consumed", got);
  out.str("stopped_by", stop_reason).integer("errors", errors).integer("offset_gaps", gaps);
  // Throughput is timed from the first message to the last: the client's start-up (offset
  // lookup; librdkafka sometimes waits ~500 ms before it) is reported apart as first_message_s.
  // The first fetch's transfer time is left out, which is negligible for a run of many fetches.
  out.integer("bytes", bytes).fixed("elapsed_s", steady, 4);
  out.fixed("first_message_s", got > 0 ? seconds_between(t0, t_first) : NAN, 4);
  out.fixed("mb_per_s", steady > 0 ? static_cast<double>(bytes) / 1e6 / steady : 0, 3);
  out.fixed("msgs_per_s", steady > 0 ? static_cast<double>(got) / steady : 0, 1);
  out.fixed("total_s", elapsed, 4);
  out.fixed("mb_per_s_incl_startup", elapsed > 0 ? static_cast<double>(bytes) / 1e6 / elapsed : 0, 3);
  json_object cfg;
  for (auto& [k, v] : o.extra) cfg.str(k, v);
  out.object("config", cfg);
  emit(out);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return ok ? 0 : 1;
}

// ---- latency ----

constexpr std::uint32_t k_magic = 0x53504c54;  // "SPLT"
struct __attribute__((packed)) latency_header {
  std::uint32_t magic;
  std::uint8_t phase;  // 0 warm-up, 1 measured
  std::uint64_t seq;   // 1-based
  std::int64_t send_ns;
};

int run_latency(const options& o) {
  double duration = o.duration_s > 0 ? o.duration_s : 10;
  double warmup_max = 15;
  double drain = 5;
  double budget = warmup_max + duration + drain + 15;
  auto deadline = clock_type::now() + secs(std::max(o.timeout_s, budget));
  std::size_t size = std::max<std::size_t>(static_cast<std::size_t>(o.size), sizeof(latency_header));
  std::int64_t planned = static_cast<std::int64_t>(o.rate * duration);

  std::vector<std::int64_t> send_ns(static_cast<std::size_t>(planned) + 1, 0);
  std::vector<double> ack_ms;
  ack_ms.reserve(send_ns.size());
  produce_state st;
  st.send_ns = &send_ns;
  st.ack_ms = &ack_ms;
  rd_kafka_t* prod = make_producer(o, st, 0);
  std::string err;
  int parts = partition_count(prod, o.topic, deadline, err);
  // The consumer keeps DEFAULT settings (fetch.wait.max.ms, fetch.min.bytes, ...); -X applies
  // to the producer only in this mode.
  rd_kafka_t* cons = make_consumer(o, false, false);
  if (parts < 0 || !assign_all(cons, o.topic, parts, RD_KAFKA_OFFSET_END, err)) {
    json_object out;
    out.boolean("ok", false).str("error", err);
    emit(out);
    return 1;
  }

  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> received_any{0};
  std::mutex lat_mu;
  std::vector<double> e2e_ms;
  e2e_ms.reserve(static_cast<std::size_t>(planned));
  std::atomic<std::int64_t> received_measured{0}, dup{0}, cons_errors{0};
  std::vector<std::uint8_t> seen(static_cast<std::size_t>(planned) + 1, 0);
  std::thread consumer([&] {
    while (!stop.load()) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(cons, 50);
      if (!m) continue;
      std::int64_t now = now_ns();
      if (m->err) {
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) cons_errors.fetch_add(1);
        rd_kafka_message_destroy(m);
        continue;
      }
      if (m->len >= sizeof(latency_header)) {
        latency_header h;
        std::memcpy(&h, m->payload, sizeof h);
        if (h.magic == k_magic) {
          received_any.fetch_add(1);
          if (h.phase == 1 && h.seq >= 1 && h.seq <= static_cast<std::uint64_t>(planned)) {
            std::lock_guard lk(lat_mu);
            if (seen[h.seq]) {
              dup.fetch_add(1);
            } else {
              seen[h.seq] = 1;
              e2e_ms.push_back(static_cast<double>(now - h.send_ns) / 1e6);
              received_measured.fetch_add(1);
            }
          }
        }
      }
      rd_kafka_message_destroy(m);
    }
  });

  std::vector<char> payload(size, 'x');
  auto send = [&](std::uint8_t phase, std::uint64_t seq) {
    latency_header h{k_magic, phase, seq, now_ns()};
    std::memcpy(payload.data(), &h, sizeof h);
    if (phase == 1) send_ns[seq] = h.send_ns;
    void* opaque = phase == 1 ? reinterpret_cast<void*>(static_cast<std::uintptr_t>(seq + 1)) : nullptr;
    // seq+1 so that the dr callback can index send_ns (1-based there with offset of one).
    rd_kafka_resp_err_t e;
    do {
      e = rd_kafka_producev(prod, RD_KAFKA_V_TOPIC(o.topic.c_str()),
                            RD_KAFKA_V_VALUE(payload.data(), payload.size()),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(opaque),
                            RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) rd_kafka_poll(prod, 1);
    } while (e == RD_KAFKA_RESP_ERR__QUEUE_FULL && clock_type::now() < deadline);
    return e == RD_KAFKA_RESP_ERR_NO_ERROR;
  };
  auto interval = std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(1.0 / o.rate));

  // Warm-up: send until the consumer sees our messages (connections up, offsets resolved).
  std::fprintf(stderr, "spate_load: latency warm-up on %s\n", o.topic.c_str());
  auto tw = clock_type::now();
  auto warm_deadline = tw + secs(warmup_max);
  std::int64_t warm_sent = 0;
  bool warmed = false;
  auto next = tw;
  while (clock_type::now() < warm_deadline) {
    if (received_any.load() > 0 && clock_type::now() - tw > std::chrono::milliseconds(500)) {
      warmed = true;
      break;
    }
    send(0, 0);
    ++warm_sent;
    next += interval;
    while (clock_type::now() < next) {
      rd_kafka_poll(prod, 0);
      std::this_thread::sleep_until(std::min(next, clock_type::now() + std::chrono::milliseconds(1)));
    }
  }
  double warmup_s = seconds_between(tw, clock_type::now());

  std::int64_t sent = 0;
  double send_s = 0;
  if (warmed) {
    std::fprintf(stderr, "spate_load: latency measuring %.0f msg/s x %zu B for %.1f s\n", o.rate, size, duration);
    auto t0 = clock_type::now();
    next = t0;
    for (std::int64_t i = 1; i <= planned && clock_type::now() < deadline; ++i) {
      while (clock_type::now() < next) {
        rd_kafka_poll(prod, 0);
        std::this_thread::sleep_until(std::min(next, clock_type::now() + std::chrono::milliseconds(1)));
      }
      if (!send(1, static_cast<std::uint64_t>(i))) break;
      sent = i;
      next += interval;
    }
    send_s = seconds_between(t0, clock_type::now());
    // Drain: wait for the rest to arrive.
    auto drain_deadline = std::min(deadline, clock_type::now() + secs(drain));
    while (received_measured.load() < sent && clock_type::now() < drain_deadline) {
      rd_kafka_poll(prod, 10);
    }
  }
  rd_kafka_flush(prod, std::min(5000, ms_left(deadline)));
  stop.store(true);
  consumer.join();

  percentiles e2e, ack;
  {
    std::lock_guard lk(lat_mu);
    e2e = compute(e2e_ms);
  }
  ack = compute(ack_ms);
  std::int64_t got = received_measured.load();
  bool ok = warmed && sent == planned && got == sent && st.failed.load() == 0;
  json_object out;
  out.boolean("ok", ok);
  if (!ok) {
    out.str("error", !warmed ? "consumer received nothing during warm-up"
                     : sent != planned ? "could not send at the requested rate"
                     : st.failed.load() ? "delivery failures: " + st.first_error
                     : "some messages were not received within the drain period");
  }
  out.integer("partitions", parts).integer("size", static_cast<std::int64_t>(size));
  out.fixed("rate", o.rate, 1).fixed("duration_s", duration, 2);
  out.fixed("warmup_s", warmup_s, 3).integer("warmup_sent", warm_sent);
  out.fixed("send_s", send_s, 3);
  out.integer("planned", planned).integer("sent", sent).integer("received", got);
  out.integer("lost", sent - got);
  out.integer("duplicates", dup.load()).integer("consumer_errors", cons_errors.load());
  out.integer("delivery_failed", st.failed.load());
  out.object("e2e_ms", percentiles_json(e2e));
  out.object("ack_ms", percentiles_json(ack));
  json_object cfg;
  cfg.str("acks", o.acks).integer("linger_ms", o.linger_ms >= 0 ? o.linger_ms : 0);
  cfg.str("consumer", "librdkafka defaults");
  for (auto& [k, v] : o.extra) cfg.str(k, v);
  out.object("config", cfg);
  emit(out);
  rd_kafka_consumer_close(cons);
  rd_kafka_destroy(cons);
  rd_kafka_destroy(prod);
  return ok ? 0 : 1;
}

int run_metadata(const options& o) {
  auto deadline = clock_type::now() + secs(o.timeout_s);
  produce_state st;
  rd_kafka_t* rk = make_producer(o, st, -1);
  std::string err;
  int parts = partition_count(rk, o.topic, deadline, err);
  json_object out;
  out.boolean("ok", parts > 0);
  if (parts <= 0) out.str("error", err);
  out.integer("partitions", parts);
  emit(out);
  rd_kafka_destroy(rk);
  return parts > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  options o = parse(argc, argv);
  g_common.str("tool", "spate_load").str("mode", o.mode);
  if (!o.label.empty()) g_common.str("label", o.label);
  g_common.str("brokers", o.brokers).str("topic", o.topic);
  // Latency runs have their own budget (warm-up + duration + drain); see run_latency.
  double budget = o.timeout_s;
  if (o.mode == "latency") budget = std::max(o.timeout_s, 15 + (o.duration_s > 0 ? o.duration_s : 10) + 20);
  start_watchdog(budget + 20);
  if (o.mode == "produce") return run_produce(o);
  if (o.mode == "consume") return run_consume(o);
  if (o.mode == "latency") return run_latency(o);
  if (o.mode == "metadata") return run_metadata(o);
  usage(("unknown mode " + o.mode).c_str());
}
