// null_broker: a Kafka broker that stores nothing, the load tool's ceiling for bench/run.py.
//
//   null_broker [--listen HOST:PORT] [--partitions N] [--topic NAME[:PARTITIONS]]... [--fill N]
//               [--fetch-record-size BYTES] [--fetch-records-per-batch N] [--max-seconds S] [--no-stdin]
//
// Prints one line on stdout, its bootstrap address ("127.0.0.1:PORT"), then serves until SIGINT/SIGTERM,
// until stdin reaches end-of-file (so it dies with the process holding the other end of its stdin
// pipe; --no-stdin turns that off) or until --max-seconds elapse (default 3600).
//
// One broker, node 0, leader of every partition. Every topic name exists: a name is created on first
// mention in a Metadata request with --partitions partitions (default 1) unless a --topic flag gave its
// count. Answers, at these versions:
//   ApiVersions 0-3, Metadata 1-9, Produce 3-8, Fetch 4-11, ListOffsets 1-7, FindCoordinator 0-4,
//   InitProducerId 0-4
// and closes the connection on anything else (as Kafka does with a request it cannot parse).
//
// * Produce reads each batch's header (lastOffsetDelta) to advance the partition's high watermark and
//   acknowledges; the records are never copied or kept. acks=0 gets no response.
// * Fetch serves one pre-built batch template, --fetch-records-per-batch records (default: as many as
//   fill librdkafka's default batch.size of 1,000,000 bytes) of --fetch-record-size bytes (default 1024),
//   with only baseOffset patched (the CRC does not cover it), up to the high watermark: --fill N records
//   per partition at start plus what was produced since. Whole batches within the request's max_bytes and
//   each partition's max bytes (the first batch of a response always goes), written by scatter/gather
//   straight from the template. A fetch with nothing to return waits up to its max_wait_ms for a produce.
// * ListOffsets: earliest 0, latest (and max timestamp) the high watermark; a timestamp lookup answers 0.
// * FindCoordinator: itself. InitProducerId: a new producer id, epoch 0.
//
// Messages go through spate's generated protocol module, except where its `records` type (an owning
// byte vector) would copy the data: a Produce request is walked with protocol::reader (records as a
// span) and a Fetch response is the generated partition encoder's output with the records spliced in.
// A self-check at start-up decodes both with the generated messages at every advertised version and
// exits if they disagree.
//
// One thread, one io_context: the client at the other end does far more work per byte than this.
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "base/bytes.h"
#include "model/crc32c.h"
#include "model/record_batch.h"
#include "model/record_batch_builder.h"
#include "protocol/api_key.h"
#include "protocol/error_code.h"
#include "protocol/messages/api_versions.h"
#include "protocol/messages/fetch.h"
#include "protocol/messages/find_coordinator.h"
#include "protocol/messages/init_producer_id.h"
#include "protocol/messages/list_offsets.h"
#include "protocol/messages/metadata.h"
#include "protocol/messages/produce.h"
#include "protocol/messages/request_header.h"
#include "protocol/messages/response_header.h"
#include "protocol/wire.h"

namespace {

namespace asio = boost::asio;
namespace protocol = spate::protocol;
namespace model = spate::model;
namespace base = spate::base;
using asio::ip::tcp;
using protocol::api_key;
using protocol::error_code;

constexpr std::int32_t node_id = 0;
constexpr std::int32_t max_frame_bytes = 128 * 1024 * 1024;
// Several of librdkafka's ~1 MB produce requests: a partial frame is moved to the front of the
// buffer only once every few frames. Not zero-filled, so only what a connection uses is resident.
constexpr std::size_t initial_read_buffer = std::size_t{4} << 20;
// librdkafka's default batch.size: the size of the batches a producer leaves in a real broker's log.
constexpr std::size_t default_batch_bytes = 1'000'000;

// ---- what we answer ----

struct supported_api {
  api_key key;
  std::int16_t min_version;
  std::int16_t max_version;
};

// Produce and Fetch stop below their first flexible version: those two are walked/assembled by hand
// (non-flexible encodings only); the others are plain generated messages.
constexpr std::array<supported_api, 7> supported_apis{{
    {api_key::produce, 3, 8},
    {api_key::fetch, 4, 11},
    {api_key::list_offsets, 1, 7},
    {api_key::metadata, 1, 9},
    {api_key::find_coordinator, 0, 4},
    {api_key::api_versions, 0, 3},
    {api_key::init_producer_id, 0, 4},
}};

constexpr bool within_generated_versions() {
  for (const auto& s : supported_apis) {
    bool found = false;
    for (const auto& a : protocol::api_table) {
      if (a.key != s.key) continue;
      found = a.min_version <= s.min_version && s.max_version <= a.max_version;
      if ((s.key == api_key::produce || s.key == api_key::fetch) && s.max_version >= a.first_flexible_version) {
        found = false;
      }
    }
    if (!found) return false;
  }
  return true;
}
static_assert(within_generated_versions(), "every advertised version must exist in the generated protocol module");

const supported_api* find_supported(api_key key) {
  for (const auto& s : supported_apis) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

// ---- options ----

struct options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::int32_t default_partitions = 1;
  std::vector<std::pair<std::string, std::int32_t>> topics;
  std::int64_t fill = 0;
  std::size_t fetch_record_size = 1024;
  std::int32_t fetch_records_per_batch = 0;  // 0: as many as fill default_batch_bytes
  double max_seconds = 3600;
  bool watch_stdin = true;
};

[[noreturn]] void usage(const std::string& msg) {
  std::fprintf(stderr, "null_broker: %s\n", msg.c_str());
  std::fprintf(stderr,
               "usage: null_broker [--listen HOST:PORT] [--partitions N] [--topic NAME[:PARTITIONS]]... "
               "[--fill N] [--fetch-record-size BYTES] [--fetch-records-per-batch N] [--max-seconds S] "
               "[--no-stdin]\n");
  std::exit(2);
}

options parse_options(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) usage("missing value for " + a);
      return argv[++i];
    };
    try {
      if (a == "--listen") {
        const std::string v = val();
        const auto colon = v.rfind(':');
        if (colon == std::string::npos) usage("--listen expects HOST:PORT");
        o.host = v.substr(0, colon);
        o.port = static_cast<std::uint16_t>(std::stoi(v.substr(colon + 1)));
      } else if (a == "--partitions") {
        o.default_partitions = std::stoi(val());
      } else if (a == "--topic") {
        std::string t = val();
        std::int32_t parts = 1;
        if (const auto colon = t.find(':'); colon != std::string::npos) {
          parts = std::stoi(t.substr(colon + 1));
          t.resize(colon);
        }
        if (t.empty() || parts <= 0) usage("bad --topic");
        o.topics.emplace_back(t, parts);
      } else if (a == "--fill") {
        o.fill = std::stoll(val());
      } else if (a == "--fetch-record-size") {
        o.fetch_record_size = static_cast<std::size_t>(std::stoll(val()));
      } else if (a == "--fetch-records-per-batch") {
        o.fetch_records_per_batch = std::stoi(val());
      } else if (a == "--max-seconds") {
        o.max_seconds = std::stod(val());
      } else if (a == "--no-stdin") {
        o.watch_stdin = false;
      } else if (a == "-h" || a == "--help") {
        usage("help");
      } else {
        usage("unknown argument " + a);
      }
    } catch (const std::logic_error&) {
      usage("bad value for " + a);
    }
  }
  if (o.default_partitions <= 0 || o.fill < 0 || o.fetch_records_per_batch < 0 || o.max_seconds <= 0 ||
      o.fetch_record_size > (std::size_t{64} << 20)) {
    usage("bad numeric value");
  }
  if (o.fetch_records_per_batch == 0) {
    o.fetch_records_per_batch =
        static_cast<std::int32_t>(std::clamp<std::size_t>(default_batch_bytes / (o.fetch_record_size + 8), 1, 100'000));
  }
  return o;
}

// ---- the fetch template ----

// One batch of `count` records of the same `value_size` random bytes (no key, no headers, no
// compression, one timestamp), built once. A record's bytes do not depend on the records after it,
// so a batch of the first k records is the template's first k records behind its own 61-byte header
// (batchLength, lastOffsetDelta, recordCount and the CRC differ); those headers are derived on first
// use and cached. Not thread-safe.
class batch_template {
 public:
  batch_template(std::size_t value_size, std::int32_t count, std::int64_t timestamp) {
    std::vector<std::uint8_t> value(value_size);
    std::mt19937 rng(42);
    for (auto& b : value) b = static_cast<std::uint8_t>(rng());
    model::record_batch_builder builder;
    for (std::int32_t i = 0; i < count; ++i) builder.append(timestamp, std::nullopt, base::byte_span(value));
    _full = builder.build();
    // Record boundaries: each record starts with its length as a zigzag varint.
    _record_end.push_back(0);
    const base::byte_span body = base::byte_span(_full).subspan(header_size);
    std::size_t at = 0;
    while (at < body.size()) {
      const auto len = base::read_uvarint(body.subspan(at), 5);
      if (!len) throw std::logic_error("batch_template: bad record length");
      at += len->length + static_cast<std::size_t>(base::zigzag_decode(len->value));
      _record_end.push_back(at);
    }
    if (_record_end.size() != static_cast<std::size_t>(count) + 1 || at != body.size()) {
      throw std::logic_error("batch_template: record count mismatch");
    }
    _headers.resize(_record_end.size());
  }

  static constexpr std::size_t header_size = model::batch_layout::header_size;

  std::int32_t max_records() const { return static_cast<std::int32_t>(_record_end.size() - 1); }
  // Bytes of a batch of the first k records, header included.
  std::size_t batch_bytes(std::int32_t k) const { return header_size + _record_end[static_cast<std::size_t>(k)]; }
  // The records section of that batch: a span of the template.
  base::byte_span records(std::int32_t k) const {
    return base::byte_span(_full).subspan(header_size, _record_end[static_cast<std::size_t>(k)]);
  }
  // Its header, baseOffset 0, CRC included.
  const std::array<std::uint8_t, header_size>& header(std::int32_t k) {
    auto& slot = _headers[static_cast<std::size_t>(k)];
    if (!slot) {
      namespace L = model::batch_layout;
      std::array<std::uint8_t, header_size> h;
      std::memcpy(h.data(), _full.data(), header_size);
      const auto records_bytes = _record_end[static_cast<std::size_t>(k)];
      base::store_be<std::int32_t>(h.data() + L::batch_length,
                                   static_cast<std::int32_t>(header_size - L::log_overhead + records_bytes));
      base::store_be<std::int32_t>(h.data() + L::last_offset_delta, k - 1);
      base::store_be<std::int32_t>(h.data() + L::record_count, k);
      // The CRC covers [attributes, end): the rest of this header, then the records.
      const auto crc = model::crc32c(records(k), model::crc32c(base::byte_span(h).subspan(L::attributes)));
      base::store_be<std::uint32_t>(h.data() + L::crc, crc);
      slot = h;
    }
    return *slot;
  }

 private:
  base::byte_buffer _full;
  std::vector<std::size_t> _record_end;                                        // [k]: bytes of the first k records
  std::vector<std::optional<std::array<std::uint8_t, header_size>>> _headers;  // by record count
};

// ---- responses on their way out ----

// The responses of one connection waiting to be written: their small encoded parts in one reused
// buffer and, between them, spans of external memory (the fetch template), sent by one gathering
// write. Not thread-safe.
class response_buffer {
 public:
  protocol::writer& writer() { return _w; }
  std::size_t position() const { return _bytes.size(); }
  void patch_int32(std::size_t at, std::int32_t v) { base::store_be<std::int32_t>(_bytes.data() + at, v); }
  void patch_int64(std::size_t at, std::int64_t v) { base::store_be<std::int64_t>(_bytes.data() + at, v); }
  bool empty() const { return _pieces.empty() && _bytes.empty(); }

  void begin_response(std::int32_t correlation_id, std::int16_t header_version) {
    _frame_start = _bytes.size();
    _frame_external = 0;
    _w.write_int32(0);  // the size, patched by end_response()
    protocol::response_header header;
    header.correlation_id = correlation_id;
    header.encode(_w, header_version);
  }
  void end_response() {
    const auto size = _bytes.size() - _frame_start - 4 + _frame_external;
    patch_int32(_frame_start, static_cast<std::int32_t>(size));
  }

  // `data` goes out here, as is; it must stay alive and unchanged until clear().
  void external(base::byte_span data) {
    cut();
    _pieces.push_back({data.data(), 0, data.size()});
    _frame_external += data.size();
  }

  const std::vector<asio::const_buffer>& buffers() {
    cut();
    _gather.clear();
    for (const auto& p : _pieces) {
      _gather.emplace_back(p.external ? p.external : _bytes.data() + p.offset, p.size);
    }
    return _gather;
  }

  void clear() {
    _bytes.clear();  // keeps its capacity: nothing is zero-filled again
    _pieces.clear();
    _cut = 0;
  }

 private:
  struct piece {
    const std::uint8_t* external;  // nullptr: _bytes[offset, offset + size)
    std::size_t offset;
    std::size_t size;
  };

  // Closes the current run of _bytes as a piece (offsets, so that _bytes may still grow).
  void cut() {
    if (_bytes.size() > _cut) _pieces.push_back({nullptr, _cut, _bytes.size() - _cut});
    _cut = _bytes.size();
  }

  base::byte_buffer _bytes;
  protocol::writer _w{_bytes};
  std::vector<piece> _pieces;
  std::size_t _cut = 0;
  std::size_t _frame_start = 0;
  std::size_t _frame_external = 0;
  std::vector<asio::const_buffer> _gather;
};

// ---- produce: only the batch headers are read ----

// Records in a produce request's `records` value: the sum of lastOffsetDelta + 1 over its batches;
// -1 when it holds no complete batch or is not a sequence of whole magic-2 batches.
std::int32_t count_records(base::byte_span records) {
  model::batch_splitter splitter(records);
  std::int64_t count = 0;
  for (;;) {
    auto batch = splitter.next();
    if (!batch) return -1;
    if (batch->empty()) break;
    if (batch->size() < model::batch_layout::header_size) return -1;
    count += std::int64_t{base::load_be<std::int32_t>(batch->data() + model::batch_layout::last_offset_delta)} + 1;
  }
  if (count <= 0 || splitter.trailing_bytes() != 0 || count > INT32_MAX) return -1;
  return static_cast<std::int32_t>(count);
}

// Walks a Produce request body (non-flexible versions, 3-8: the schema's fields in order) without
// copying its records: on_topic(name) for each topic, then on_partition(index, records, bytes) for
// each of its partitions, `records` being count_records() of its data (-1 for null or malformed
// data). Returns acks. Throws protocol::decode_error on a malformed request.
template <typename OnTopic, typename OnPartition>
std::int16_t walk_produce_request(protocol::reader& r, std::int16_t version, OnTopic on_topic,
                                  OnPartition on_partition) {
  if (version < 3 || version >= protocol::produce_request::first_flexible_version) {
    throw protocol::decode_error("produce version not walked");
  }
  (void)r.read_nullable_string(false, true);  // transactional_id
  const std::int16_t acks = r.read_int16();
  (void)r.read_int32();  // timeout_ms
  const auto topics = r.read_array_length(false, false);
  for (std::int32_t t = 0; t < topics; ++t) {
    on_topic(r.read_string(false));
    const auto partitions = r.read_array_length(false, false);
    for (std::int32_t p = 0; p < partitions; ++p) {
      const std::int32_t index = r.read_int32();
      const std::int32_t length = r.read_int32();
      if (length < -1) throw protocol::decode_error("negative records length");
      if (length == -1) {
        on_partition(index, -1, 0);
        continue;
      }
      const auto data = r.read_raw(static_cast<std::size_t>(length));
      on_partition(index, count_records(data), data.size());
    }
  }
  return acks;
}

// ---- the broker's state and handlers ----

struct partition_state {
  std::int64_t high_watermark = 0;
};

// Topics, their high watermarks and the fetches waiting for data. One thread (the io_context's).
class null_broker {
 public:
  null_broker(const options& o, std::string host, std::uint16_t port)
      : _options(o),
        _host(std::move(host)),
        _port(port),
        _template(o.fetch_record_size, o.fetch_records_per_batch, now_ms()) {
    for (const auto& [name, parts] : o.topics) create(name, parts);
  }

  batch_template& fetch_template() { return _template; }
  const std::string& host() const { return _host; }
  std::uint16_t port() const { return _port; }

  std::vector<partition_state>* find(std::string_view topic) {
    const auto it = _topics.find(topic);
    return it == _topics.end() ? nullptr : &it->second;
  }
  std::vector<partition_state>& find_or_create(std::string_view topic) {
    if (auto* t = find(topic)) return *t;
    return create(std::string(topic), _options.default_partitions);
  }

  void count_request(api_key key) { ++_requests[static_cast<std::size_t>(key) % _requests.size()]; }

  // Returns false for acks=0 (no response).
  bool produce(protocol::reader& r, std::int16_t version, protocol::produce_response& out) {
    out.responses.clear();
    out.throttle_time_ms = 0;
    std::vector<partition_state>* topic = nullptr;
    bool appended = false;
    const auto acks = walk_produce_request(
        r, version,
        [&](std::string name) {
          topic = find(name);
          out.responses.emplace_back().name = std::move(name);
        },
        [&](std::int32_t index, std::int32_t records, std::size_t bytes) {
          auto& p = out.responses.back().partition_responses.emplace_back();
          p.index = index;
          p.log_start_offset = 0;
          if (topic == nullptr || index < 0 || static_cast<std::size_t>(index) >= topic->size()) {
            p.error_code = static_cast<std::int16_t>(error_code::unknown_topic_or_partition);
            p.base_offset = -1;
          } else if (records < 0) {
            p.error_code = static_cast<std::int16_t>(error_code::corrupt_message);
            p.base_offset = -1;
          } else {
            auto& part = (*topic)[static_cast<std::size_t>(index)];
            p.base_offset = part.high_watermark;
            part.high_watermark += records;
            _produced_records += static_cast<std::uint64_t>(records);
            _produced_bytes += bytes;
            appended = true;
          }
        });
    if (appended) wake_fetches();
    return acks != 0;
  }

  // Whether a fetch would return something now: records, or an error for one of its partitions.
  bool fetch_has_data(const protocol::fetch_request& req) {
    for (const auto& t : req.topics) {
      auto* topic = find(t.topic);
      for (const auto& p : t.partitions) {
        if (topic == nullptr || p.partition < 0 || static_cast<std::size_t>(p.partition) >= topic->size()) return true;
        if (p.fetch_offset != (*topic)[static_cast<std::size_t>(p.partition)].high_watermark) return true;
      }
    }
    return false;
  }

  // The body of a Fetch response (non-flexible versions, 4-11): the top-level and topic fields in
  // the schema's order, each partition by the generated encoder with an empty `records` (its last
  // field in these versions), whose length is then patched to cover the template batches that follow.
  void write_fetch(const protocol::fetch_request& req, std::int16_t version, response_buffer& out) {
    auto& w = out.writer();
    w.write_int32(0);  // throttle_time_ms (v1+)
    if (version >= 7) {
      w.write_int16(0);  // error_code
      w.write_int32(0);  // session_id: no fetch sessions, every fetch is a full one
    }
    std::int64_t response_budget = req.max_bytes;
    bool first_batch = true;
    w.write_array_length(req.topics.size(), false);
    for (const auto& t : req.topics) {
      w.write_string(t.topic, false);
      w.write_array_length(t.partitions.size(), false);
      auto* topic = find(t.topic);
      for (const auto& p : t.partitions) {
        _partition.partition_index = p.partition;
        _partition.error_code = 0;
        _partition.high_watermark = -1;
        _partition.last_stable_offset = -1;
        _partition.log_start_offset = -1;
        _partition.records.emplace();
        std::int64_t high_watermark = -1;
        if (topic == nullptr || p.partition < 0 || static_cast<std::size_t>(p.partition) >= topic->size()) {
          _partition.error_code = static_cast<std::int16_t>(error_code::unknown_topic_or_partition);
        } else {
          high_watermark = (*topic)[static_cast<std::size_t>(p.partition)].high_watermark;
          _partition.high_watermark = high_watermark;
          _partition.last_stable_offset = high_watermark;
          _partition.log_start_offset = 0;
          if (p.fetch_offset < 0 || p.fetch_offset > high_watermark) {
            _partition.error_code = static_cast<std::int16_t>(error_code::offset_out_of_range);
          }
        }
        _partition.encode(w, version);
        if (_partition.error_code != 0 || p.fetch_offset >= high_watermark) continue;
        const std::size_t records_length_at = out.position() - 4;
        std::int64_t partition_bytes = 0;
        for (std::int64_t offset = p.fetch_offset; offset < high_watermark;) {
          const auto k =
              static_cast<std::int32_t>(std::min<std::int64_t>(_template.max_records(), high_watermark - offset));
          const auto bytes = static_cast<std::int64_t>(_template.batch_bytes(k));
          const bool fits = bytes <= response_budget && partition_bytes + bytes <= p.partition_max_bytes;
          if (!first_batch && !fits) break;
          first_batch = false;
          const auto header_at = out.position();
          w.write_raw(_template.header(k));
          out.patch_int64(header_at, offset);
          out.external(_template.records(k));
          partition_bytes += bytes;
          response_budget -= bytes;
          offset += k;
          _fetched_records += static_cast<std::uint64_t>(k);
        }
        _fetched_bytes += static_cast<std::uint64_t>(partition_bytes);
        out.patch_int32(records_length_at, static_cast<std::int32_t>(partition_bytes));
      }
    }
  }

  protocol::list_offsets_response list_offsets(const protocol::list_offsets_request& req) {
    protocol::list_offsets_response resp;
    for (const auto& t : req.topics) {
      auto& rt = resp.topics.emplace_back();
      rt.name = t.name;
      auto* topic = find(t.name);
      for (const auto& p : t.partitions) {
        auto& rp = rt.partitions.emplace_back();
        rp.partition_index = p.partition_index;
        if (topic == nullptr || p.partition_index < 0 || static_cast<std::size_t>(p.partition_index) >= topic->size()) {
          rp.error_code = static_cast<std::int16_t>(error_code::unknown_topic_or_partition);
          continue;
        }
        const auto high_watermark = (*topic)[static_cast<std::size_t>(p.partition_index)].high_watermark;
        // -1 latest, -2 earliest, -3 the record with the largest timestamp; a real timestamp: 0.
        rp.offset = p.timestamp == -1   ? high_watermark
                    : p.timestamp == -3 ? std::max<std::int64_t>(0, high_watermark - 1)
                                        : 0;
        rp.timestamp = -1;
      }
    }
    return resp;
  }

  protocol::metadata_response metadata(const protocol::metadata_request& req) {
    protocol::metadata_response resp;
    auto& b = resp.brokers.emplace_back();
    b.node_id = node_id;
    b.host = _host;
    b.port = _port;
    resp.cluster_id = "null-broker";
    resp.controller_id = node_id;
    auto add = [&](const std::string& name, const std::vector<partition_state>& parts) {
      auto& t = resp.topics.emplace_back();
      t.name = name;
      for (std::size_t i = 0; i < parts.size(); ++i) {
        auto& p = t.partitions.emplace_back();
        p.partition_index = static_cast<std::int32_t>(i);
        p.leader_id = node_id;
        p.leader_epoch = -1;  // unknown: clients skip leader-epoch validation
        p.replica_nodes = {node_id};
        p.isr_nodes = {node_id};
      }
    };
    if (!req.topics) {
      for (const auto& [name, parts] : _topics) add(name, parts);
    } else {
      for (const auto& t : *req.topics) {
        if (t.name) add(*t.name, find_or_create(*t.name));
      }
    }
    return resp;
  }

  protocol::find_coordinator_response find_coordinator(const protocol::find_coordinator_request& req) {
    protocol::find_coordinator_response resp;
    resp.error_message = std::nullopt;
    resp.node_id = node_id;
    resp.host = _host;
    resp.port = _port;
    for (const auto& key : req.coordinator_keys) {
      auto& c = resp.coordinators.emplace_back();
      c.key = key;
      c.node_id = node_id;
      c.host = _host;
      c.port = _port;
      c.error_message = std::nullopt;
    }
    return resp;
  }

  protocol::init_producer_id_response init_producer_id() {
    protocol::init_producer_id_response resp;
    resp.producer_id = _next_producer_id++;
    resp.producer_epoch = 0;
    return resp;
  }

  // Fetches waiting for data park a timer here; a produce cancels them all (they then look again).
  void add_waiter(asio::steady_timer& t) { _waiters.push_back(&t); }
  void remove_waiter(asio::steady_timer& t) { std::erase(_waiters, &t); }

  void print_stats() const {
    std::string per_api;
    for (const auto& s : supported_apis) {
      per_api += " " + std::string(protocol::api_name(s.key)) + "=" +
                 std::to_string(_requests[static_cast<std::size_t>(s.key) % _requests.size()]);
    }
    std::fprintf(stderr,
                 "null_broker: requests%s; produced %llu records, %llu bytes; fetched %llu records, %llu bytes\n",
                 per_api.c_str(), static_cast<unsigned long long>(_produced_records),
                 static_cast<unsigned long long>(_produced_bytes), static_cast<unsigned long long>(_fetched_records),
                 static_cast<unsigned long long>(_fetched_bytes));
  }

 private:
  static std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  std::vector<partition_state>& create(std::string name, std::int32_t partitions) {
    auto& parts = _topics[std::move(name)];
    parts.assign(static_cast<std::size_t>(partitions), partition_state{_options.fill});
    return parts;
  }

  void wake_fetches() {
    for (auto* t : _waiters) t->cancel();
    _waiters.clear();
  }

  const options& _options;
  std::string _host;
  std::uint16_t _port;
  batch_template _template;
  std::map<std::string, std::vector<partition_state>, std::less<>> _topics;
  std::vector<asio::steady_timer*> _waiters;
  protocol::fetch_response::partition_data _partition;  // reused by write_fetch
  std::int64_t _next_producer_id = 1000;
  std::array<std::uint64_t, 128> _requests{};
  std::uint64_t _produced_records = 0;
  std::uint64_t _produced_bytes = 0;
  std::uint64_t _fetched_records = 0;
  std::uint64_t _fetched_bytes = 0;
};

protocol::api_versions_response api_versions(error_code error) {
  protocol::api_versions_response resp;
  resp.error_code = static_cast<std::int16_t>(error);
  for (const auto& s : supported_apis) {
    auto& v = resp.api_keys.emplace_back();
    v.api_key = static_cast<std::int16_t>(s.key);
    v.min_version = s.min_version;
    v.max_version = s.max_version;
  }
  return resp;
}

// ---- connections ----

bool is_quiet_disconnect(const boost::system::error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted || ec == asio::error::operation_aborted;
}

// One client connection: reads requests into a reused buffer, answers them in order, and sends the
// responses to everything one read brought with one gathering write. A fetch that waits for data
// sends the responses queued before it first. Lives as long as its coroutine (run() holds it).
class connection {
 public:
  connection(tcp::socket socket, null_broker& broker)
      : _socket(std::move(socket)),
        _broker(broker),
        _timer(_socket.get_executor()),
        _in(std::make_unique_for_overwrite<std::uint8_t[]>(initial_read_buffer)),
        _capacity(initial_read_buffer) {}

  static asio::awaitable<void> run(std::shared_ptr<connection> self) { co_await self->serve(); }

 private:
  asio::awaitable<void> serve() {
    try {
      for (;;) {
        if (_end == _capacity) make_room(4);  // a partial size prefix at the very end
        _end += co_await _socket.async_read_some(asio::buffer(_in.get() + _end, _capacity - _end), asio::use_awaitable);
        while (_end - _begin >= 4) {
          const auto size = base::load_be<std::int32_t>(_in.get() + _begin);
          if (size < 8 || size > max_frame_bytes) throw std::runtime_error("bad frame size " + std::to_string(size));
          const std::size_t total = 4 + static_cast<std::size_t>(size);
          if (_end - _begin < total) {
            make_room(total);
            break;
          }
          const base::byte_span frame(_in.get() + _begin + 4, static_cast<std::size_t>(size));
          _begin += total;
          if (!co_await handle(frame)) {
            co_await flush();
            co_return;
          }
        }
        if (_begin == _end) _begin = _end = 0;
        co_await flush();
      }
    } catch (const boost::system::system_error& e) {
      if (!is_quiet_disconnect(e.code())) std::fprintf(stderr, "null_broker: connection: %s\n", e.what());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "null_broker: connection closed: %s\n", e.what());
    }
  }

  // Makes the buffer hold `total` bytes from _begin, moving the partial frame to the front or into a
  // larger buffer (the only copies of request bytes, at most one per frame that did not fit).
  void make_room(std::size_t total) {
    if (_begin + total <= _capacity) return;
    const std::size_t have = _end - _begin;
    if (total <= _capacity) {
      std::memmove(_in.get(), _in.get() + _begin, have);
    } else {
      const std::size_t capacity = std::max(4 * total, 2 * _capacity);
      auto bigger = std::make_unique_for_overwrite<std::uint8_t[]>(capacity);
      std::memcpy(bigger.get(), _in.get() + _begin, have);
      _in = std::move(bigger);
      _capacity = capacity;
    }
    _begin = 0;
    _end = have;
  }

  asio::awaitable<void> flush() {
    if (_out.empty()) co_return;
    co_await asio::async_write(_socket, _out.buffers(), asio::use_awaitable);
    _out.clear();
  }

  template <typename Response>
  void respond(const Response& resp, std::int16_t version) {
    _out.begin_response(_header.correlation_id, protocol::response_header_version(Response::key, version));
    resp.encode(_out.writer(), version);
    _out.end_response();
  }

  // Returns false when the connection should close (a request we do not answer).
  asio::awaitable<bool> handle(base::byte_span frame) {
    const auto key = static_cast<api_key>(base::load_be<std::int16_t>(frame.data()));
    const auto version = base::load_be<std::int16_t>(frame.data() + 2);
    const auto* api = find_supported(key);
    if (api == nullptr) {
      std::fprintf(stderr, "null_broker: unsupported API key %d (v%d); closing the connection\n", static_cast<int>(key),
                   version);
      co_return false;
    }
    protocol::reader r(frame);
    _header.decode(r, protocol::request_header_version(key, version));
    _broker.count_request(key);
    if (version < api->min_version || version > api->max_version) {
      if (key == api_key::api_versions) {
        // Kafka's answer to an ApiVersions version it does not know: a v0 body with the error, so
        // the client can retry with a version from the list.
        _out.begin_response(_header.correlation_id, 0);
        api_versions(error_code::unsupported_version).encode(_out.writer(), 0);
        _out.end_response();
        co_return true;
      }
      std::fprintf(stderr, "null_broker: %s v%d not supported; closing the connection\n",
                   std::string(protocol::api_name(key)).c_str(), version);
      co_return false;
    }
    switch (key) {
      case api_key::produce:
        if (_broker.produce(r, version, _produce)) respond(_produce, version);
        break;
      case api_key::fetch: {
        protocol::fetch_request req;
        req.decode(r, version);
        co_await wait_for_data(req);
        _out.begin_response(_header.correlation_id, protocol::response_header_version(key, version));
        _broker.write_fetch(req, version, _out);
        _out.end_response();
        break;
      }
      case api_key::list_offsets: {
        protocol::list_offsets_request req;
        req.decode(r, version);
        respond(_broker.list_offsets(req), version);
        break;
      }
      case api_key::metadata: {
        protocol::metadata_request req;
        req.decode(r, version);
        respond(_broker.metadata(req), version);
        break;
      }
      case api_key::find_coordinator: {
        protocol::find_coordinator_request req;
        req.decode(r, version);
        respond(_broker.find_coordinator(req), version);
        break;
      }
      case api_key::api_versions: {
        protocol::api_versions_request req;
        req.decode(r, version);
        respond(api_versions(error_code::none), version);
        break;
      }
      case api_key::init_producer_id: {
        protocol::init_producer_id_request req;
        req.decode(r, version);
        respond(_broker.init_producer_id(), version);
        break;
      }
      default: co_return false;
    }
    co_return true;
  }

  // Long poll: up to max_wait_ms (capped at 30 s) until a produce gives the fetch something to return.
  asio::awaitable<void> wait_for_data(const protocol::fetch_request& req) {
    if (req.max_wait_ms <= 0 || _broker.fetch_has_data(req)) co_return;
    co_await flush();
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(std::min(req.max_wait_ms, 30000));
    while (!_broker.fetch_has_data(req) && std::chrono::steady_clock::now() < deadline) {
      _timer.expires_at(deadline);
      _broker.add_waiter(_timer);
      boost::system::error_code ignored;  // operation_aborted is the wake-up
      co_await _timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      _broker.remove_waiter(_timer);
    }
  }

  tcp::socket _socket;
  null_broker& _broker;
  asio::steady_timer _timer;
  std::unique_ptr<std::uint8_t[]> _in;  // requests: [_begin, _end) not yet handled
  std::size_t _capacity;
  std::size_t _begin = 0;
  std::size_t _end = 0;
  response_buffer _out;
  protocol::request_header _header;
  protocol::produce_response _produce;
};

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, null_broker& broker) {
  for (;;) {
    boost::system::error_code ec;
    auto socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      std::fprintf(stderr, "null_broker: accept: %s\n", ec.message().c_str());
      continue;
    }
    socket.set_option(tcp::no_delay(true));
    asio::co_spawn(acceptor.get_executor(), connection::run(std::make_shared<connection>(std::move(socket), broker)),
                   asio::detached);
  }
}

}  // namespace

// ---- start-up self-check ----

namespace {

// The hand-walked parts against the generated messages at every advertised version, and the
// template's batches against model's batch validation (CRC, counts). Returns what failed, or "".
std::string check_template(batch_template& tmpl) {
  for (const std::int32_t k : {1, std::min(2, tmpl.max_records()), tmpl.max_records()}) {
    base::byte_buffer batch(tmpl.header(k).begin(), tmpl.header(k).end());
    const auto records = tmpl.records(k);
    batch.insert(batch.end(), records.begin(), records.end());
    const auto valid = model::validate_batch(batch);
    if (!valid || valid->record_count() != k) return "template batch of " + std::to_string(k) + " records";
  }
  return "";
}

std::string check_produce_walk() {
  model::record_batch_builder a, b, c;
  for (int i = 0; i < 3; ++i) a.append(1, std::nullopt, std::nullopt);
  for (int i = 0; i < 2; ++i) b.append(1, std::nullopt, std::nullopt);
  c.append(1, std::nullopt, std::nullopt);
  protocol::produce_request req;
  req.acks = -1;
  auto& t = req.topic_data.emplace_back();
  t.name = "t";
  auto& p0 = t.partition_data.emplace_back();
  p0.index = 0;
  p0.records = a.build();
  const auto more = b.build();
  p0.records->insert(p0.records->end(), more.begin(), more.end());
  t.partition_data.emplace_back().index = 1;  // null records
  auto& u = req.topic_data.emplace_back();
  u.name = "u";
  auto& u5 = u.partition_data.emplace_back();
  u5.index = 5;
  u5.records = c.build();
  const std::string expected = "t 0:5 1:-1 u 5:1 ";
  for (std::int16_t v = 3; v <= 8; ++v) {
    base::byte_buffer bytes;
    protocol::writer w(bytes);
    req.encode(w, v);
    protocol::reader r{base::byte_span(bytes)};
    std::string seen;
    const auto acks = walk_produce_request(
        r, v, [&](std::string name) { seen += name + " "; },
        [&](std::int32_t index, std::int32_t records, std::size_t) {
          seen += std::to_string(index) + ":" + std::to_string(records) + " ";
        });
    if (acks != -1 || !r.empty() || seen != expected) return "produce v" + std::to_string(v) + " walk: " + seen;
  }
  return "";
}

// Offsets and record counts of the batches in a fetched partition, "" when a batch does not validate.
std::string describe_batches(const std::optional<protocol::records>& records) {
  if (!records) return "null";
  auto split = model::split_batches(*records);
  if (!split || split->trailing_bytes != 0) return "";
  std::string out;
  for (const auto batch : split->batches) {
    const auto valid = model::validate_batch(batch);
    if (!valid) return "";
    out += std::to_string(valid->base_offset()) + "+" + std::to_string(valid->record_count()) + " ";
  }
  return out;
}

std::string check_fetch_assembly() {
  options o;
  o.topics = {{"t", 3}};
  o.fill = 11;
  o.fetch_record_size = 10;
  o.fetch_records_per_batch = 4;
  null_broker broker(o, "127.0.0.1", 9092);
  protocol::fetch_request req;
  auto& t = req.topics.emplace_back();
  t.topic = "t";
  for (const auto& [partition, offset, max_bytes] :
       {std::tuple{0, 1, 1 << 20}, std::tuple{1, 11, 1 << 20}, std::tuple{2, 12, 1 << 20}, std::tuple{7, 0, 1 << 20}}) {
    auto& p = t.partitions.emplace_back();
    p.partition = partition;
    p.fetch_offset = offset;
    p.partition_max_bytes = max_bytes;
  }
  auto& n = req.topics.emplace_back();
  n.topic = "nope";
  n.partitions.emplace_back().partition_max_bytes = 1 << 20;
  // t again, its partition 0 allowed one byte: nothing goes (only a response's first batch may
  // exceed the limits).
  auto& tight = req.topics.emplace_back();
  tight.topic = "t";
  auto& tp = tight.partitions.emplace_back();
  tp.fetch_offset = 3;
  tp.partition_max_bytes = 1;
  const std::string expected =
      "t 0:e0 hw11 [1+4 5+4 9+2 ] 1:e0 hw11 [] 2:e1 hw11 [] 7:e3 hw-1 [] nope 0:e3 hw-1 [] t 0:e0 hw11 [] ";
  for (std::int16_t v = 4; v <= 11; ++v) {
    response_buffer out;
    out.begin_response(7, protocol::response_header_version(api_key::fetch, v));
    broker.write_fetch(req, v, out);
    out.end_response();
    base::byte_buffer bytes;
    for (const auto& b : out.buffers()) {
      const auto* p = static_cast<const std::uint8_t*>(b.data());
      bytes.insert(bytes.end(), p, p + b.size());
    }
    protocol::reader r{base::byte_span(bytes)};
    const auto size = r.read_int32();
    protocol::response_header header;
    header.decode(r, protocol::response_header_version(api_key::fetch, v));
    protocol::fetch_response resp;
    resp.decode(r, v);
    std::string seen;
    for (const auto& rt : resp.responses) {
      seen += rt.topic + " ";
      for (const auto& rp : rt.partitions) {
        seen += std::to_string(rp.partition_index) + ":e" + std::to_string(rp.error_code) + " hw" +
                std::to_string(rp.high_watermark) + " [" + describe_batches(rp.records) + "] ";
      }
    }
    if (size != static_cast<std::int32_t>(bytes.size() - 4) || header.correlation_id != 7 || !r.empty() ||
        seen != expected) {
      return "fetch v" + std::to_string(v) + " assembly: " + seen;
    }
  }
  return "";
}

// ---- stdin watch ----

// Stops `ctx` when stdin reaches end-of-file (the process that started us went away), polling so
// that `done` ends the thread.
void watch_stdin(asio::io_context& ctx, const std::atomic<bool>& done) {
  while (!done.load()) {
    pollfd p{STDIN_FILENO, POLLIN, 0};
    const int r = ::poll(&p, 1, 200);
    if (r > 0) {
      char buf[256];
      if (::read(STDIN_FILENO, buf, sizeof buf) <= 0) {
        ctx.stop();
        return;
      }
    } else if (r < 0 && errno != EINTR) {
      return;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse_options(argc, argv);
  for (auto* check : {check_produce_walk, check_fetch_assembly}) {
    if (const auto e = check(); !e.empty()) {
      std::fprintf(stderr, "null_broker: self-check failed: %s\n", e.c_str());
      return 1;
    }
  }
  std::signal(SIGPIPE, SIG_IGN);
  asio::io_context ctx(1);
  tcp::acceptor acceptor(ctx);
  try {
    const tcp::endpoint at(asio::ip::make_address(o.host), o.port);
    acceptor.open(at.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(at);
    acceptor.listen();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "null_broker: listening on %s:%u: %s\n", o.host.c_str(), o.port, e.what());
    return 1;
  }
  const auto port = acceptor.local_endpoint().port();
  null_broker broker(o, o.host, port);
  if (const auto e = check_template(broker.fetch_template()); !e.empty()) {
    std::fprintf(stderr, "null_broker: self-check failed: %s\n", e.c_str());
    return 1;
  }

  asio::signal_set signals(ctx, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) { ctx.stop(); });
  asio::steady_timer limit(ctx);
  limit.expires_after(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(o.max_seconds)));
  limit.async_wait([&](const boost::system::error_code& ec) {
    if (!ec) ctx.stop();
  });
  asio::co_spawn(ctx, accept_loop(acceptor, broker), asio::detached);

  std::printf("%s:%u\n", o.host.c_str(), port);
  std::fflush(stdout);
  const auto& tmpl = broker.fetch_template();
  std::fprintf(stderr,
               "null_broker: ready bootstrap=%s:%u topics=%zu partitions=%d fill=%lld fetch_batch=%d x %zu B "
               "(%zu bytes)\n",
               o.host.c_str(), port, o.topics.size(), o.default_partitions, static_cast<long long>(o.fill),
               tmpl.max_records(), o.fetch_record_size, tmpl.batch_bytes(tmpl.max_records()));

  std::atomic<bool> done{false};
  std::thread stdin_thread;
  if (o.watch_stdin) stdin_thread = std::thread(watch_stdin, std::ref(ctx), std::cref(done));
  ctx.run();
  done.store(true);
  if (stdin_thread.joinable()) stdin_thread.join();
  broker.print_stats();
  std::fprintf(stderr, "null_broker: stopping\n");
  return 0;
}
