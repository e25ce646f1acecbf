// spate_load: a Kafka load generator on librdkafka's C API, used by bench/run.py.
//
//   spate_load produce  -b HOST:PORT -t TOPIC [-n N] [-s BYTES] [--acks 1|all] [--linger-ms MS]
//                       [--batch-size BYTES] [--compression none|gzip|snappy|lz4|zstd]
//                       [--duration-s S] [--timeout-s S] [--keys K] [-X key=value ...]
//                       [--producers N] [--max-rate MSG/S] [--ack-sample N] [--ack-window-s S]
//                       (--keys K: record i has key "k<i mod K>", for compacted topics;
//                       --producers N: N producer instances (own rd_kafka_t, own thread) share
//                       the count and duration, one JSON object for all; --max-rate: paced, in
//                       all; --ack-sample N: 1 in N messages, at random, carries its send time
//                       as the message opaque for the ack latency (produce() -> delivery report;
//                       default 8, 0 = off); --ack-window-s: ack latency also per window
//                       (default 60). Output adds per_second_mb/_msgs, first_5s_* and steady_*
//                       (the last half of the run), ack_ms and ack_ms_windows.)
//   spate_load consume  -b HOST:PORT -t TOPIC [-n N] [--allow-short] [--timeout-s S]
//                       [--group G] [--duration-s S] [--idle-stop-s S] [-X key=value ...]
//                       (--allow-short: stopping at the end of every partition before N
//                       messages is a success; librdkafka's mock keeps only ~5 MB per partition;
//                       --group G: subscribe as a member of group G, offsets auto-committed,
//                       instead of assigning every partition; --duration-s: stop after S
//                       seconds, a success, and the end of the topic does not stop the run;
//                       --idle-stop-s S: with --duration-s, also stop, a success, once nothing
//                       arrived for S seconds after the first message)
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

#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
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
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch()).count();
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
  double stall_s = 15;       // produce/consume: give up after this long without any progress
  bool allow_short = false;  // consume: reaching the end of every partition first is success
  std::int64_t keys = 0;     // produce: 0 for no keys, else record i gets key "k<i mod keys>"
  int producers = 1;         // produce: independent producer instances, each on its own thread
  double max_rate = 0;       // produce: msgs/s in all (0: as fast as possible)
  int ack_sample = 8;        // produce: stamp 1 in N messages for the ack latency (0: off)
  double ack_window_s = 60;  // produce: ack latency also per window of this many seconds
  std::string group;         // consume: join this group (subscribe, auto-commit) instead of assign
  double idle_stop_s = 0;    // consume with --duration-s: also stop after this long without a message
  std::vector<std::pair<std::string, std::string>> extra;  // -X key=value
};

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr, "spate_load: %s\n", msg);
  std::fprintf(stderr,
               "usage: spate_load produce|consume|latency|metadata -b BROKERS -t TOPIC "
               "[-n COUNT] [-s SIZE] [--acks 1|all|-1|0] [--linger-ms MS] [--batch-size BYTES] "
               "[--compression C] [--duration-s S] [--timeout-s S] [--rate MSGS] "
               "[--label NAME] [--allow-short] [--stall-s S] [--keys K] [--producers N] "
               "[--max-rate MSGS] [--ack-sample N] [--ack-window-s S] [--group G] [--idle-stop-s S] "
               "[-X key=value]...\n");
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
      if (a == "-b" || a == "--brokers")
        o.brokers = val();
      else if (a == "-t" || a == "--topic")
        o.topic = val();
      else if (a == "-n" || a == "--count")
        o.count = std::stoll(val());
      else if (a == "-s" || a == "--size")
        o.size = std::stoll(val());
      else if (a == "--acks")
        o.acks = val();
      else if (a == "--linger-ms")
        o.linger_ms = std::stoi(val());
      else if (a == "--batch-size")
        o.batch_size = std::stoll(val());
      else if (a == "--compression")
        o.compression = val();
      else if (a == "--duration-s")
        o.duration_s = std::stod(val());
      else if (a == "--timeout-s")
        o.timeout_s = std::stod(val());
      else if (a == "--rate")
        o.rate = std::stod(val());
      else if (a == "--label")
        o.label = val();
      else if (a == "--allow-short")
        o.allow_short = true;
      else if (a == "--keys")
        o.keys = std::stoll(val());
      else if (a == "--stall-s")
        o.stall_s = std::stod(val());
      else if (a == "--producers")
        o.producers = std::stoi(val());
      else if (a == "--max-rate")
        o.max_rate = std::stod(val());
      else if (a == "--ack-sample")
        o.ack_sample = std::stoi(val());
      else if (a == "--ack-window-s")
        o.ack_window_s = std::stod(val());
      else if (a == "--group")
        o.group = val();
      else if (a == "--idle-stop-s")
        o.idle_stop_s = std::stod(val());
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
  if (o.count <= 0 || o.size < 0 || o.timeout_s <= 0 || o.rate <= 0 || o.keys < 0 || o.producers < 1 ||
      o.producers > 1024 || o.max_rate < 0 || o.ack_sample < 0 || o.ack_window_s <= 0)
    usage("bad numeric value");
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
  if (body.size() > 2)
    merged += "," + body.substr(1);
  else
    merged += "}";
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
  std::fprintf(stderr, "spate_load: client error: %s: %s\n", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)),
               reason);
  g_client_errors.add(std::string(rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))) + ": " + reason);
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
int partition_count(rd_kafka_t* rk, const std::string& topic, clock_type::time_point deadline, std::string& err) {
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

// Ack latency histogram in microseconds, log-linear: exact below 64 us, then 32 sub-buckets per
// power of two (at most ~3 % relative error). Recording is an increment, so every producer keeps
// its own and they are merged at the end.
struct latency_histogram {
  static constexpr int k_buckets = 64 + 41 * 32;
  std::vector<std::uint64_t> counts = std::vector<std::uint64_t>(k_buckets, 0);
  std::uint64_t total = 0;
  double sum_us = 0;
  std::uint64_t max_us = 0;

  static int index(std::uint64_t us) {
    if (us < 64) return static_cast<int>(us);
    int msb = 63 - __builtin_clzll(us);
    int shift = msb - 5;  // us >> shift is in [32, 63]
    return std::min(k_buckets - 1, shift * 32 + static_cast<int>(us >> shift));
  }
  // A bucket's representative value: exact below 64 us, else its midpoint.
  static double value_us(int idx) {
    if (idx < 64) return idx;
    int shift = idx / 32 - 1;
    auto sub = static_cast<std::uint64_t>(idx - shift * 32);
    return static_cast<double>(sub << shift) + static_cast<double>(std::uint64_t{1} << shift) / 2;
  }
  void add(std::uint64_t us) {
    ++counts[static_cast<std::size_t>(index(us))];
    ++total;
    sum_us += static_cast<double>(us);
    max_us = std::max(max_us, us);
  }
  void merge(const latency_histogram& h) {
    for (int i = 0; i < k_buckets; ++i) counts[i] += h.counts[i];
    total += h.total;
    sum_us += h.sum_us;
    max_us = std::max(max_us, h.max_us);
  }
  double quantile_ms(double q) const {
    if (total == 0) return NAN;
    auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total)));
    rank = std::max<std::uint64_t>(1, rank);
    std::uint64_t seen = 0;
    for (int i = 0; i < k_buckets; ++i) {
      seen += counts[i];
      if (seen >= rank) return std::min(value_us(i), static_cast<double>(max_us)) / 1000;
    }
    return static_cast<double>(max_us) / 1000;
  }
  json_object to_json() const {
    json_object o;
    o.fixed("p50", quantile_ms(0.50), 3).fixed("p90", quantile_ms(0.90), 3);
    o.fixed("p99", quantile_ms(0.99), 3).fixed("p99_9", quantile_ms(0.999), 3);
    o.fixed("max", total ? static_cast<double>(max_us) / 1000 : NAN, 3);
    o.fixed("mean", total ? sum_us / static_cast<double>(total) / 1000 : NAN, 3);
    o.integer("samples", static_cast<std::int64_t>(total));
    return o;
  }
};

constexpr auto k_bin = std::chrono::milliseconds(100);  // the produce timeline's resolution

struct produce_state {
  std::atomic<std::int64_t> delivered{0};
  std::atomic<std::int64_t> failed{0};
  std::atomic<std::int64_t> delivered_bytes{0};
  clock_type::time_point last_delivery{};
  std::string first_error;                       // only touched from the poll thread (dr callbacks run in poll)
  std::vector<std::int64_t>* send_ns = nullptr;  // latency mode: per-seq send time
  std::vector<double>* ack_ms = nullptr;         // latency mode: send -> delivery report
  // Produce mode (all touched only by the thread that polls this producer):
  bool timeline = false;  // count deliveries in 100 ms bins since t0
  clock_type::time_point t0{};
  std::vector<std::int64_t> bin_bytes, bin_msgs;
  bool ack = false;  // sampled messages carry their send time (ns) as opaque
  latency_histogram ack_all;
  clock_type::duration ack_window{};
  std::vector<latency_histogram> ack_windows;  // by delivery time, windows of ack_window from t0
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
  const auto now = clock_type::now();
  st->last_delivery = now;
  if (st->send_ns && st->ack_ms) {
    auto seq = reinterpret_cast<std::uintptr_t>(m->_private);
    if (seq > 0 && seq <= st->send_ns->size()) {
      std::int64_t sent = (*st->send_ns)[seq - 1];
      if (sent > 0) st->ack_ms->push_back(static_cast<double>(now_ns() - sent) / 1e6);
    }
  }
  if (st->timeline && now >= st->t0) {
    auto bin = static_cast<std::size_t>((now - st->t0) / k_bin);
    if (bin >= st->bin_bytes.size()) {
      st->bin_bytes.resize(bin + 64, 0);
      st->bin_msgs.resize(bin + 64, 0);
    }
    st->bin_bytes[bin] += static_cast<std::int64_t>(m->len);
    ++st->bin_msgs[bin];
  }
  if (st->ack && m->_private) {
    std::int64_t sent = static_cast<std::int64_t>(reinterpret_cast<std::intptr_t>(m->_private));
    std::int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
    auto us = static_cast<std::uint64_t>(std::max<std::int64_t>(0, ns - sent) / 1000);
    st->ack_all.add(us);
    if (now >= st->t0) {
      auto w = static_cast<std::size_t>((now - st->t0) / st->ack_window);
      if (w >= st->ack_windows.size()) st->ack_windows.resize(w + 1);
      st->ack_windows[w].add(us);
    }
  }
}

rd_kafka_t* make_producer(const options& o, produce_state& st, int default_linger,
                          std::int64_t queue_messages = 1000000) {
  rd_kafka_conf_t* c = base_conf(o);
  set(c, "acks", o.acks);
  int linger = o.linger_ms >= 0 ? o.linger_ms : default_linger;
  if (linger >= 0) set(c, "linger.ms", std::to_string(linger));
  if (o.batch_size > 0) set(c, "batch.size", std::to_string(o.batch_size));
  set(c, "compression.type", o.compression);
  set(c, "queue.buffering.max.messages", std::to_string(queue_messages));
  set(c, "message.timeout.ms", std::to_string(static_cast<std::int64_t>(std::max(1000.0, o.timeout_s * 1000))));
  apply_extra(c, o);
  rd_kafka_conf_set_dr_msg_cb(c, dr_cb);
  rd_kafka_conf_set_opaque(c, &st);
  return make_client(RD_KAFKA_PRODUCER, c);
}

// What the producers of one run share: the message budget (claimed in chunks of k_chunk, so
// record i is the same record whichever producer sends it), the clock and the deadlines.
struct produce_shared {
  static constexpr std::int64_t k_chunk = 1024;
  produce_shared(const options& opts, const std::vector<char>& bytes) : o(opts), payload(bytes) {}
  const options& o;
  const std::vector<char>& payload;
  std::atomic<std::int64_t> claimed{0};
  clock_type::time_point t0{}, deadline{}, send_deadline{};
  double rate_per_producer = 0;  // msgs/s, 0: as fast as the producer goes
};

// One producer instance: its own rd_kafka_t, polled only by the thread that runs produce_loop.
struct producer {
  produce_state st;
  rd_kafka_t* rk = nullptr;
  std::int64_t sent = 0;
  std::string stop_reason = "count";
  std::string produce_error;
  bool drained = false;
  clock_type::time_point t_sent{};
};

void produce_loop(producer& p, produce_shared& sh, std::uint64_t seed) {
  const options& o = sh.o;
  produce_state& st = p.st;
  rd_kafka_t* rk = p.rk;
  // Stall detection: no new delivery report for --stall-s while messages are outstanding.
  std::int64_t last_done = 0;
  auto last_progress = sh.t0;
  auto stalled = [&] {
    std::int64_t done = st.delivered.load() + st.failed.load();
    auto now = clock_type::now();
    if (done != last_done || done >= p.sent) {
      last_done = done;
      last_progress = now;
      return false;
    }
    return now - last_progress > secs(o.stall_s);
  };
  // Ack latency sampling: a message is stamped with probability 1/ack_sample (xorshift, so the
  // sample does not follow keys or partitions); multiply-shift instead of a modulo.
  std::uint64_t rng = seed * 0x9E3779B97F4A7C15ull | 1;
  const std::uint64_t sample_n = o.ack_sample > 0 ? static_cast<std::uint64_t>(o.ack_sample) : 0;
  std::int64_t i = 0, chunk_end = 0;
  while (true) {
    if (i == chunk_end) {
      rd_kafka_poll(rk, 0);
      auto now = clock_type::now();
      if (now >= sh.send_deadline) {
        p.stop_reason = "duration";
        break;
      }
      if (stalled()) {
        p.stop_reason = "stalled";
        break;
      }
      if (sh.rate_per_producer > 0) {  // pacing (--max-rate): serve callbacks until it is time
        auto due = sh.t0 + secs(static_cast<double>(p.sent) / sh.rate_per_producer);
        while ((now = clock_type::now()) < due && now < sh.send_deadline)
          rd_kafka_poll(rk, std::max(1, std::min(100, ms_left(std::min(due, sh.send_deadline)))));
        if (now >= sh.send_deadline) {
          p.stop_reason = "duration";
          break;
        }
      }
      std::int64_t base = sh.claimed.fetch_add(produce_shared::k_chunk, std::memory_order_relaxed);
      if (base >= o.count) {
        p.stop_reason = "count";
        break;
      }
      i = base;
      chunk_end = std::min(base + produce_shared::k_chunk, o.count);
    }
    char key[24];
    const int key_len = o.keys > 0 ? std::snprintf(key, sizeof key, "k%lld", static_cast<long long>(i % o.keys)) : 0;
    const char* key_ptr = key_len > 0 ? key : nullptr;
    void* stamp = nullptr;
    if (sample_n) {
      rng ^= rng << 13;
      rng ^= rng >> 7;
      rng ^= rng << 17;
      if (sample_n == 1 || (((rng >> 32) * sample_n) >> 32) == 0)
        stamp = reinterpret_cast<void*>(static_cast<std::intptr_t>(now_ns()));
    }
    rd_kafka_resp_err_t e =
        rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(o.topic.c_str()), RD_KAFKA_V_KEY(key_ptr, static_cast<size_t>(key_len)),
                          RD_KAFKA_V_VALUE(const_cast<char*>(sh.payload.data()), sh.payload.size()),
                          RD_KAFKA_V_MSGFLAGS(0), RD_KAFKA_V_OPAQUE(stamp), RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(rk, 1);
      if (clock_type::now() >= sh.send_deadline) {
        p.stop_reason = "duration";
        break;
      }
      if (stalled()) {
        p.stop_reason = "stalled";
        break;
      }
      continue;
    }
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      p.produce_error = std::string("producev: ") + rd_kafka_err2str(e);
      p.stop_reason = "error";
      break;
    }
    ++i;
    ++p.sent;
  }
  p.t_sent = clock_type::now();
  // Wait for every delivery report, bounded by the deadline.
  while (rd_kafka_outq_len(rk) > 0 && clock_type::now() < sh.deadline) {
    rd_kafka_poll(rk, 50);
    if (stalled()) {
      p.stop_reason = "stalled";
      break;
    }
  }
  p.drained = rd_kafka_outq_len(rk) == 0;
}

// Throughput over [from, to) seconds of the run, from the 100 ms bins.
double bins_rate(const std::vector<std::int64_t>& bins, double from_s, double to_s, double scale) {
  if (to_s <= from_s) return NAN;
  auto b0 = static_cast<std::size_t>(std::llround(from_s * 10));
  double sum = 0;
  for (std::size_t b = b0; b < bins.size() && static_cast<double>(b) < to_s * 10; ++b)
    sum += static_cast<double>(bins[b]);
  return sum / scale / (to_s - from_s);
}

int run_produce(const options& o) {
  auto t_begin = clock_type::now();
  auto deadline = t_begin + secs(o.timeout_s);
  double send_window = o.duration_s > 0 ? std::min(o.duration_s, o.timeout_s) : o.timeout_s;
  const int n = o.producers;
  // The in-flight budget is shared: 1,000,000 queued messages in all, whatever the producer count.
  const std::int64_t queue_messages = n > 1 ? std::max<std::int64_t>(1000, 1000000 / n) : 1000000;
  std::vector<std::unique_ptr<producer>> ps;
  int parts = -1;
  std::string err;
  for (int k = 0; k < n; ++k) {
    auto p = std::make_unique<producer>();
    p->rk = make_producer(o, p->st, -1, queue_messages);
    int got = partition_count(p->rk, o.topic, deadline, err);
    if (got < 0) {
      json_object out;
      out.boolean("ok", false).str("error", err).integer("producers", n).integer("producers_ready", k);
      emit(out);
      rd_kafka_destroy(p->rk);
      for (auto& q : ps) rd_kafka_destroy(q->rk);
      return 1;
    }
    parts = got;
    ps.push_back(std::move(p));
  }

  std::vector<char> payload(static_cast<std::size_t>(o.size));
  std::mt19937_64 rng(42);
  for (auto& ch : payload) ch = static_cast<char>(rng());

  std::fprintf(stderr, "spate_load: produce %lld x %lld B to %s (%d partitions, acks=%s, %d producer%s)\n",
               static_cast<long long>(o.count), static_cast<long long>(o.size), o.topic.c_str(), parts, o.acks.c_str(),
               n, n == 1 ? "" : "s");
  produce_shared sh(o, payload);
  auto t0 = clock_type::now();
  sh.t0 = t0;
  sh.deadline = deadline;
  sh.send_deadline = std::min(deadline, t0 + secs(send_window));
  sh.rate_per_producer = o.max_rate > 0 ? o.max_rate / n : 0;
  for (auto& p : ps) {
    p->st.timeline = true;
    p->st.t0 = t0;
    p->st.ack = o.ack_sample > 0;
    p->st.ack_window = secs(o.ack_window_s);
  }
  if (n == 1) {
    produce_loop(*ps[0], sh, 1);
  } else {
    std::vector<std::thread> threads;
    for (int k = 0; k < n; ++k) threads.emplace_back(produce_loop, std::ref(*ps[k]), std::ref(sh), k + 1);
    for (auto& t : threads) t.join();
  }

  std::int64_t sent = 0, delivered = 0, failed = 0, bytes = 0;
  std::int64_t min_delivered = INT64_MAX, max_delivered = 0;
  bool drained = true;
  clock_type::time_point last_delivery = t0, t_sent = t0;
  std::string stop_reason = "count", produce_error, first_error;
  std::vector<std::int64_t> bin_bytes, bin_msgs;
  latency_histogram ack;
  std::vector<latency_histogram> ack_windows;
  auto rank = [](const std::string& r) { return r == "error" ? 3 : r == "stalled" ? 2 : r == "duration" ? 1 : 0; };
  for (auto& p : ps) {
    const produce_state& st = p->st;
    sent += p->sent;
    std::int64_t d = st.delivered.load();
    delivered += d;
    min_delivered = std::min(min_delivered, d);
    max_delivered = std::max(max_delivered, d);
    failed += st.failed.load();
    bytes += st.delivered_bytes.load();
    drained = drained && p->drained;
    if (d > 0) last_delivery = std::max(last_delivery, st.last_delivery);
    t_sent = std::max(t_sent, p->t_sent);
    if (rank(p->stop_reason) > rank(stop_reason)) stop_reason = p->stop_reason;
    if (produce_error.empty()) produce_error = p->produce_error;
    if (first_error.empty()) first_error = st.first_error;
    if (st.bin_bytes.size() > bin_bytes.size()) {
      bin_bytes.resize(st.bin_bytes.size(), 0);
      bin_msgs.resize(st.bin_bytes.size(), 0);
    }
    for (std::size_t b = 0; b < st.bin_bytes.size(); ++b) {
      bin_bytes[b] += st.bin_bytes[b];
      bin_msgs[b] += st.bin_msgs[b];
    }
    ack.merge(st.ack_all);
    if (st.ack_windows.size() > ack_windows.size()) ack_windows.resize(st.ack_windows.size());
    for (std::size_t w = 0; w < st.ack_windows.size(); ++w) ack_windows[w].merge(st.ack_windows[w]);
  }
  double elapsed = delivered > 0 ? seconds_between(t0, last_delivery) : seconds_between(t0, clock_type::now());

  json_object out;
  bool ok = delivered > 0 && failed == 0 && drained && produce_error.empty();
  out.boolean("ok", ok);
  if (!ok) {
    std::string e = !produce_error.empty() ? produce_error
                    : !first_error.empty() ? "delivery: " + first_error
                    : stop_reason == "stalled"
                        ? "stalled: no delivery report for " + std::to_string(static_cast<int>(o.stall_s)) + " s"
                    : !drained                       ? "timed out waiting for delivery reports"
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
  out.integer("producers", n);
  if (n > 1) out.integer("producer_delivered_min", min_delivered).integer("producer_delivered_max", max_delivered);
  // The timeline: the first 5 s (the page cache absorbing writes, connections warming up) and the
  // steady state: the last half of the run (from the send start to the last delivery report).
  double first_to = std::min(5.0, elapsed);
  double steady_from = std::floor(elapsed / 2 * 10) / 10;
  out.fixed("first_5s_mb_per_s", bins_rate(bin_bytes, 0, first_to, 1e6), 3);
  out.fixed("first_5s_msgs_per_s", bins_rate(bin_msgs, 0, first_to, 1), 1);
  out.fixed("steady_mb_per_s", bins_rate(bin_bytes, steady_from, elapsed, 1e6), 3);
  out.fixed("steady_msgs_per_s", bins_rate(bin_msgs, steady_from, elapsed, 1), 1);
  out.fixed("steady_from_s", steady_from, 1);
  std::vector<double> per_s_mb, per_s_msgs;  // second i covers [i, i+1) s; the last one is partial
  for (std::size_t b = 0; b < bin_bytes.size() && static_cast<double>(b) < elapsed * 10; ++b) {
    if (b % 10 == 0) {
      per_s_mb.push_back(0);
      per_s_msgs.push_back(0);
    }
    per_s_mb.back() += static_cast<double>(bin_bytes[b]) / 1e6;
    per_s_msgs.back() += static_cast<double>(bin_msgs[b]);
  }
  out.fixed_array("per_second_mb", per_s_mb, 3);
  out.fixed_array("per_second_msgs", per_s_msgs, 0);
  if (o.ack_sample > 0) {
    out.object("ack_ms", ack.to_json());
    out.integer("ack_sample_every", o.ack_sample);
    std::vector<json_object> ws;
    for (std::size_t w = 0; w < ack_windows.size(); ++w) {
      json_object j = ack_windows[w].to_json();
      j.fixed("from_s", static_cast<double>(w) * o.ack_window_s, 1);
      j.fixed("to_s", std::min(elapsed, static_cast<double>(w + 1) * o.ack_window_s), 1);
      ws.push_back(j);
    }
    out.object_array("ack_ms_windows", ws);
  }
  json_object cfg;
  cfg.str("acks", o.acks).integer("linger_ms", o.linger_ms).integer("batch_size", o.batch_size);
  cfg.str("compression", o.compression);
  cfg.integer("producers", n).integer("queue_buffering_max_messages", queue_messages);
  if (o.max_rate > 0) cfg.fixed("max_rate", o.max_rate, 1);
  if (o.keys > 0) cfg.integer("keys", o.keys);
  for (auto& [k, v] : o.extra) cfg.str(k, v);
  out.object("config", cfg);
  emit(out);
  for (auto& p : ps) rd_kafka_destroy(p->rk);
  return ok ? 0 : 1;
}

// ---- consume ----

rd_kafka_t* make_consumer(const options& o, bool partition_eof, bool apply_user_extra) {
  rd_kafka_conf_t* c = base_conf(o);
  // No group: partitions are assigned directly, nothing is committed.
  // librdkafka requires a group.id for assign(); no group is joined and nothing committed.
  if (!o.group.empty() && o.mode == "consume") {
    // --group: a member of a real consumer group (subscribe, offsets auto-committed).
    set(c, "group.id", o.group);
    set(c, "auto.offset.reset", "earliest");
  } else {
    set(c, "group.id", "spate-bench-" + std::to_string(::getpid()));
    set(c, "enable.auto.commit", "false");
    set(c, "enable.auto.offset.store", "false");
  }
  if (partition_eof) set(c, "enable.partition.eof", "true");
  if (apply_user_extra) apply_extra(c, o);
  rd_kafka_t* rk = make_client(RD_KAFKA_CONSUMER, c);
  rd_kafka_poll_set_consumer(rk);
  return rk;
}

bool assign_all(rd_kafka_t* rk, const std::string& topic, int parts, std::int64_t offset, std::string& err) {
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
  bool grouped = !o.group.empty();
  if (parts >= 0 && grouped) {
    rd_kafka_topic_partition_list_t* l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, o.topic.c_str(), RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
      err = std::string("subscribe: ") + rd_kafka_err2str(e);
      parts = -1;
    }
  }
  if (parts < 0 || (!grouped && !assign_all(rk, o.topic, parts, RD_KAFKA_OFFSET_BEGINNING, err))) {
    json_object out;
    out.boolean("ok", false).str("error", err);
    emit(out);
    rd_kafka_destroy(rk);
    return 1;
  }
  std::fprintf(stderr, "spate_load: consume %lld from %s (%d partitions, %s)\n", static_cast<long long>(o.count),
               o.topic.c_str(), parts, grouped ? ("group " + o.group).c_str() : "from beginning");
  auto t0 = clock_type::now();
  // --duration-s: stop after this long (a success when nothing failed); the end of the topic does
  // not stop such a run, since a producer may still be writing.
  const bool timed = o.duration_s > 0;
  const auto stop_at = timed ? std::min(deadline, t0 + secs(o.duration_s)) : deadline;
  std::vector<std::int64_t> sec_bytes;  // bytes received in second i of the run
  clock_type::time_point t_first{}, t_last{};
  std::int64_t got = 0, bytes = 0, gaps = 0, errors = 0;
  std::vector<std::int64_t> next(static_cast<std::size_t>(parts), -1);
  std::vector<bool> eof(static_cast<std::size_t>(parts), false);
  std::string first_error, stop_reason = "count";
  auto last_progress = t0;
  while (got < o.count) {
    auto now0 = clock_type::now();
    if (timed && now0 >= stop_at) {
      stop_reason = "duration";
      break;
    }
    if (timed && o.idle_stop_s > 0 && got > 0 && now0 - t_last > secs(o.idle_stop_s)) {
      stop_reason = "idle";  // caught up with a producer that has stopped
      break;
    }
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
      if (!timed && std::all_of(eof.begin(), eof.end(), [](bool b) { return b; })) {
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
    auto sec = static_cast<std::size_t>((now - t0) / std::chrono::seconds(1));
    if (sec >= sec_bytes.size()) sec_bytes.resize(sec + 1, 0);
    sec_bytes[sec] += static_cast<std::int64_t>(m->len);
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
  bool ok = (got == o.count || (o.allow_short && got > 0 && stop_reason == "end_of_topic") ||
             (timed && (stop_reason == "duration" || stop_reason == "idle"))) &&
            errors == 0;
  json_object out;
  out.boolean("ok", ok);
  if (!ok) {
    out.str("error", !first_error.empty()            ? first_error
                     : stop_reason == "end_of_topic" ? "topic holds fewer messages than requested"
                     : stop_reason == "stalled"
                         ? "stalled: nothing received for " + std::to_string(static_cast<int>(o.stall_s)) + " s"
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
  std::vector<double> per_s_mb;
  for (auto b : sec_bytes) per_s_mb.push_back(static_cast<double>(b) / 1e6);
  out.fixed_array("per_second_mb", per_s_mb, 3);
  json_object cfg;
  if (grouped) cfg.str("group", o.group);
  if (timed) cfg.fixed("duration_s", o.duration_s, 1);
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
      e = rd_kafka_producev(prod, RD_KAFKA_V_TOPIC(o.topic.c_str()), RD_KAFKA_V_VALUE(payload.data(), payload.size()),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
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
    out.str("error", !warmed            ? "consumer received nothing during warm-up"
                     : sent != planned  ? "could not send at the requested rate"
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
