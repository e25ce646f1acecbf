#pragma once
// Connection flags shared by every client command, the librdkafka handle they open, and the error
// type that ends a command with exit status 1. Included only by the client command files.
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <librdkafka/rdkafka.h>
#include <CLI/CLI.hpp>

namespace spate::cli {

struct client_options {
  std::string brokers = "127.0.0.1:9092";
  std::vector<std::string> properties;  // -X key=value
  int timeout_ms = 10000;
  bool json = false;
};

// Adds -b/--brokers (env SPATE_BROKERS), -X, --timeout (milliseconds) and --json to `cmd`.
void add_client_options(CLI::App& cmd, client_options& options);

// The first of the -b addresses (the raw-protocol commands talk to one broker).
std::string first_broker(const client_options& options);

// An operation failed: printed as "spate: <message>" and the command exits 1.
class command_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "<what>: <KAFKA_ERROR_NAME>: <detail>" on one line.
[[noreturn]] void fail(std::string_view what, rd_kafka_resp_err_t err, std::string_view detail);

// Runs a command body: 0 on success, 1 (after one line on stderr) on command_error.
int run_command(const std::function<void()>& body);

// Whether progress lines should go to stderr (it is a terminal).
bool show_progress();

// One librdkafka handle. librdkafka logs are dropped unless -X debug=... is given, so a failure is
// the one line from command_error; the last error librdkafka reported is kept for that line.
// Not thread-safe apart from what librdkafka itself guarantees.
class kafka_client {
 public:
  using delivery_fn = std::function<void(const rd_kafka_message_t&)>;

  kafka_client(const client_options& options, rd_kafka_type_t type,
               const std::vector<std::pair<std::string, std::string>>& defaults = {}, delivery_fn on_delivery = {});
  ~kafka_client();
  kafka_client(const kafka_client&) = delete;
  kafka_client& operator=(const kafka_client&) = delete;

  rd_kafka_t* get() const { return _rk; }
  int timeout_ms() const { return _timeout_ms; }
  // The last error reported through librdkafka's error callback (served here for a client not
  // yet on its consumer queue), or "".
  std::string last_error();
  // Whether destruction skips the consumer close (group leave and final commit), so that a failure
  // exits without waiting on a broker that may be gone.
  void set_abandon(bool abandon) { _abandon = abandon; }
  // rd_kafka_poll_set_consumer: from here on, events come through rd_kafka_consumer_poll.
  void use_consumer_queue();

  struct context;

 private:
  std::unique_ptr<context> _context;
  rd_kafka_t* _rk = nullptr;
  rd_kafka_type_t _type;
  int _timeout_ms;
  bool _abandon = false;
  bool _consumer_queue = false;
};

// Metadata of every topic (never one by name, which may auto-create it); fails with the broker's error.
struct metadata_deleter {
  void operator()(const rd_kafka_metadata_t* m) const { rd_kafka_metadata_destroy(m); }
};
using metadata_ptr = std::unique_ptr<const rd_kafka_metadata_t, metadata_deleter>;
metadata_ptr fetch_metadata(kafka_client& client, std::string_view what);

// The topic's metadata entry, failing with UNKNOWN_TOPIC_OR_PART (or the topic's error) otherwise.
const rd_kafka_metadata_topic_t& find_topic(const rd_kafka_metadata_t& md, std::string_view what,
                                            const std::string& topic);

// Earliest and latest offsets of one partition (ListOffsets).
std::pair<std::int64_t, std::int64_t> watermarks(kafka_client& client, std::string_view what, const std::string& topic,
                                                 std::int32_t partition);

// One admin request: options with the request timeout, a private result queue, and the wait.
// Not thread-safe.
class admin_request {
 public:
  admin_request(kafka_client& client, rd_kafka_admin_op_t op);
  ~admin_request();
  admin_request(const admin_request&) = delete;
  admin_request& operator=(const admin_request&) = delete;

  rd_kafka_AdminOptions_t* options() const { return _options; }
  rd_kafka_queue_t* queue() const { return _queue; }
  // Waits for the result event; fails on a timeout or a request-level error.
  rd_kafka_event_t* wait(std::string_view what);

 private:
  kafka_client& _client;
  rd_kafka_AdminOptions_t* _options = nullptr;
  rd_kafka_queue_t* _queue = nullptr;
  rd_kafka_event_t* _event = nullptr;
};

// Prints a JSON document (pretty, two-space indent) or a table to stdout.
void print_text(const std::string& text);

}  // namespace spate::cli
