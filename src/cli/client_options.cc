#include "cli/client_options.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "cli/offsets.h"

namespace spate::cli {

struct kafka_client::context {
  mutable std::mutex mutex;
  std::string last_error;
  bool debug = false;
  delivery_fn on_delivery;
};

namespace {

std::string one_line(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

void on_error(rd_kafka_t* /*rk*/, int /*err*/, const char* reason, void* opaque) {
  auto* ctx = static_cast<kafka_client::context*>(opaque);
  const std::lock_guard lock(ctx->mutex);
  ctx->last_error = reason;
}

void on_log(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  auto* ctx = static_cast<kafka_client::context*>(rd_kafka_opaque(rk));
  if (ctx != nullptr && ctx->debug) std::fprintf(stderr, "%%%d|%s|%s\n", level, fac, buf);
}

void on_delivery_report(rd_kafka_t* /*rk*/, const rd_kafka_message_t* m, void* opaque) {
  auto* ctx = static_cast<kafka_client::context*>(opaque);
  if (ctx->on_delivery) ctx->on_delivery(*m);
}

void set_property(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    throw CLI::ValidationError("-X", std::string(key) + "=" + value + ": " + errstr);
  }
}

}  // namespace

void add_client_options(CLI::App& cmd, client_options& options) {
  cmd.add_option("-b,--brokers", options.brokers, "Bootstrap brokers, HOST:PORT[,HOST:PORT...]")
      ->envname("SPATE_BROKERS")
      ->capture_default_str();
  cmd.add_option("-X", options.properties, "librdkafka property key=value (repeatable)");
  cmd.add_option("--timeout", options.timeout_ms, "Timeout for each broker operation, in milliseconds")
      ->check(CLI::Range(1, 3600 * 1000))
      ->capture_default_str();
  cmd.add_flag("--json", options.json, "Print JSON for scripts instead of a table");
}

std::string first_broker(const client_options& options) { return options.brokers.substr(0, options.brokers.find(',')); }

void fail(std::string_view what, rd_kafka_resp_err_t err, std::string_view detail) {
  std::string msg(what);
  msg += ": ";
  msg += rd_kafka_err2name(err);
  if (!detail.empty()) {
    msg += ": ";
    msg += detail;
  }
  throw command_error(one_line(msg));
}

int run_command(const std::function<void()>& body) {
  try {
    body();
  } catch (const command_error& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "spate: %s\n", e.what());
    return 1;
  }
  std::fflush(stdout);
  return 0;
}

bool show_progress() { return isatty(STDERR_FILENO) == 1; }

kafka_client::kafka_client(const client_options& options, rd_kafka_type_t type,
                           const std::vector<std::pair<std::string, std::string>>& defaults, delivery_fn on_delivery)
    : _context(std::make_unique<context>()), _type(type), _timeout_ms(options.timeout_ms) {
  _context->on_delivery = std::move(on_delivery);
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set_property(conf, "bootstrap.servers", options.brokers);
  set_property(conf, "client.id", "spate-cli");
  set_property(conf, "socket.connection.setup.timeout.ms", std::to_string(std::max(1000, options.timeout_ms)));
  for (const auto& [key, value] : defaults) set_property(conf, key, value);
  for (const auto& property : options.properties) {
    std::pair<std::string, std::string> kv;
    try {
      kv = parse_key_value(property, "-X");
    } catch (const std::invalid_argument& e) {
      rd_kafka_conf_destroy(conf);
      throw CLI::ValidationError("-X", e.what());
    }
    if (kv.first == "debug") _context->debug = true;
    set_property(conf, kv.first, kv.second);
  }
  rd_kafka_conf_set_opaque(conf, _context.get());
  rd_kafka_conf_set_error_cb(conf, on_error);
  rd_kafka_conf_set_log_cb(conf, on_log);
  if (type == RD_KAFKA_PRODUCER) rd_kafka_conf_set_dr_msg_cb(conf, on_delivery_report);
  char errstr[512];
  _rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
  if (_rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    throw command_error(std::string("cannot create a Kafka client: ") + errstr);
  }
}

kafka_client::~kafka_client() {
  if (_type == RD_KAFKA_CONSUMER && !_abandon) {
    rd_kafka_consumer_close(_rk);
    rd_kafka_destroy(_rk);
  } else {
    if (_type == RD_KAFKA_PRODUCER) rd_kafka_purge(_rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_destroy_flags(_rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  }
}

void kafka_client::use_consumer_queue() {
  rd_kafka_poll_set_consumer(_rk);
  _consumer_queue = true;
}

std::string kafka_client::last_error() {
  // Error callbacks are served by rd_kafka_poll (a consumer's come through its own poll).
  if (!_consumer_queue) rd_kafka_poll(_rk, 0);
  const std::lock_guard lock(_context->mutex);
  return _context->last_error;
}

namespace {

std::string with_last_error(kafka_client& client, std::string_view detail) {
  std::string out(detail);
  const auto last = client.last_error();
  if (!last.empty()) out += " (" + last + ")";
  return out;
}

}  // namespace

metadata_ptr fetch_metadata(kafka_client& client, std::string_view what) {
  const rd_kafka_metadata_t* md = nullptr;
  const auto err = rd_kafka_metadata(client.get(), 1, nullptr, &md, client.timeout_ms());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) fail(what, err, with_last_error(client, rd_kafka_err2str(err)));
  return metadata_ptr(md);
}

const rd_kafka_metadata_topic_t& find_topic(const rd_kafka_metadata_t& md, std::string_view what,
                                            const std::string& topic) {
  for (int i = 0; i < md.topic_cnt; ++i) {
    const auto& t = md.topics[i];
    if (topic != t.topic) continue;
    if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR) fail(what, t.err, rd_kafka_err2str(t.err));
    return t;
  }
  fail(what, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, "no topic named '" + topic + "'");
}

std::pair<std::int64_t, std::int64_t> watermarks(kafka_client& client, std::string_view what, const std::string& topic,
                                                 std::int32_t partition) {
  std::int64_t low = 0;
  std::int64_t high = 0;
  const auto err =
      rd_kafka_query_watermark_offsets(client.get(), topic.c_str(), partition, &low, &high, client.timeout_ms());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    fail(std::string(what) + " " + topic + "[" + std::to_string(partition) + "] offsets", err,
         with_last_error(client, rd_kafka_err2str(err)));
  }
  return {low, high};
}

admin_request::admin_request(kafka_client& client, rd_kafka_admin_op_t op)
    : _client(client), _options(rd_kafka_AdminOptions_new(client.get(), op)), _queue(rd_kafka_queue_new(client.get())) {
  char errstr[256];
  rd_kafka_AdminOptions_set_request_timeout(_options, client.timeout_ms(), errstr, sizeof errstr);
  if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_DELETETOPICS ||
      op == RD_KAFKA_ADMIN_OP_CREATEPARTITIONS) {
    rd_kafka_AdminOptions_set_operation_timeout(_options, client.timeout_ms(), errstr, sizeof errstr);
  }
}

admin_request::~admin_request() {
  if (_event != nullptr) rd_kafka_event_destroy(_event);
  rd_kafka_queue_destroy(_queue);
  rd_kafka_AdminOptions_destroy(_options);
}

rd_kafka_event_t* admin_request::wait(std::string_view what) {
  // The request timeout bounds the operation; the margin lets librdkafka report it first.
  _event = rd_kafka_queue_poll(_queue, _client.timeout_ms() + 2000);
  if (_event == nullptr) fail(what, RD_KAFKA_RESP_ERR__TIMED_OUT, with_last_error(_client, "no answer in time"));
  const auto err = rd_kafka_event_error(_event);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    fail(what, err, with_last_error(_client, rd_kafka_event_error_string(_event)));
  }
  return _event;
}

void print_text(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }

}  // namespace spate::cli
