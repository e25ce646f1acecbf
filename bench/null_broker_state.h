#pragma once
// null_broker's state and request handlers (null_broker.cc): topics and their high watermarks, the
// answer to each API, the fetches waiting for data. Used by the io_context's one thread; nothing
// here is thread-safe.
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "null_broker_wire.h"
#include "protocol/api_key.h"
#include "protocol/error_code.h"
#include "protocol/messages/api_versions.h"
#include "protocol/messages/fetch.h"
#include "protocol/messages/find_coordinator.h"
#include "protocol/messages/init_producer_id.h"
#include "protocol/messages/list_offsets.h"
#include "protocol/messages/metadata.h"
#include "protocol/messages/produce.h"

namespace spate_bench {

struct supported_api {
  protocol::api_key key;
  std::int16_t min_version;
  std::int16_t max_version;
};

// What null_broker answers. Produce and Fetch stop below their first flexible version: those two
// are walked/assembled around their records (non-flexible encodings only); the others are plain
// generated messages.
inline constexpr std::array<supported_api, 7> supported_apis{{
    {protocol::api_key::produce, 3, 8},
    {protocol::api_key::fetch, 4, 11},
    {protocol::api_key::list_offsets, 1, 7},
    {protocol::api_key::metadata, 1, 9},
    {protocol::api_key::find_coordinator, 0, 4},
    {protocol::api_key::api_versions, 0, 3},
    {protocol::api_key::init_producer_id, 0, 4},
}};

// nullptr for an API null_broker does not answer.
const supported_api* find_supported(protocol::api_key key);
// supported_apis as an ApiVersions response with `error`.
protocol::api_versions_response api_versions(protocol::error_code error);

struct broker_settings {
  std::int32_t default_partitions = 1;                       // of a topic created by Metadata
  std::vector<std::pair<std::string, std::int32_t>> topics;  // created at start
  std::int64_t fill = 0;                                     // high watermark of a new partition
  std::size_t fetch_record_size = 1024;                      // value bytes of a template record
  std::int32_t fetch_records_per_batch = 1;                  // records of the template batch
};

struct partition_state {
  std::int64_t high_watermark = 0;
};

class null_broker {
 public:
  static constexpr std::int32_t node_id = 0;

  // Answers as `host`:`port` (Metadata, FindCoordinator).
  null_broker(broker_settings settings, std::string host, std::uint16_t port);

  batch_template& fetch_template() { return _template; }

  void count_request(protocol::api_key key) { ++_requests[static_cast<std::size_t>(key) % _requests.size()]; }

  // Advances the high watermark of each partition by its records' count; `out` gets the base
  // offsets. Returns false for acks=0 (no response). Throws protocol::decode_error.
  bool produce(protocol::reader& r, std::int16_t version, protocol::produce_response& out);

  // Whether a fetch would return something now: records, or an error for one of its partitions.
  bool fetch_has_data(const protocol::fetch_request& req);

  // The body of a Fetch response (versions 4-11) into `out`: template batches from each fetch
  // offset up to the high watermark, whole batches within the request's max_bytes and each
  // partition's max bytes (the response's first batch always goes). `out` refers to the template.
  void write_fetch(const protocol::fetch_request& req, std::int16_t version, response_buffer& out);

  protocol::list_offsets_response list_offsets(const protocol::list_offsets_request& req);
  // Creates each requested topic that does not exist yet (whatever allow_auto_topic_creation says).
  protocol::metadata_response metadata(const protocol::metadata_request& req);
  protocol::find_coordinator_response find_coordinator(const protocol::find_coordinator_request& req);
  protocol::init_producer_id_response init_producer_id();

  // Fetches waiting for data park a timer here; a produce cancels them all (they then look again).
  void add_waiter(boost::asio::steady_timer& t) { _waiters.push_back(&t); }
  void remove_waiter(boost::asio::steady_timer& t) { std::erase(_waiters, &t); }

  // Requests per API and the records and bytes produced and fetched, one line on stderr.
  void print_stats() const;

 private:
  std::vector<partition_state>* find(std::string_view topic);
  // nullptr when the topic (nullptr) or the partition does not exist.
  static partition_state* find_partition(std::vector<partition_state>* topic, std::int32_t index);
  std::vector<partition_state>& create(std::string name, std::int32_t partitions);
  void wake_fetches();

  broker_settings _settings;
  std::string _host;
  std::uint16_t _port;
  batch_template _template;
  std::map<std::string, std::vector<partition_state>, std::less<>> _topics;
  std::vector<boost::asio::steady_timer*> _waiters;
  protocol::fetch_response::partition_data _partition;  // reused by write_fetch
  std::int64_t _next_producer_id = 1000;
  std::array<std::uint64_t, 128> _requests{};
  std::uint64_t _produced_records = 0;
  std::uint64_t _produced_bytes = 0;
  std::uint64_t _fetched_records = 0;
  std::uint64_t _fetched_bytes = 0;
};

// Start-up self-check: write_fetch's responses at every version from 4 to 11, decoded by the
// generated message, their batches validated by model (CRC, counts). Returns what failed, or "".
std::string check_fetch_assembly();

}  // namespace spate_bench
