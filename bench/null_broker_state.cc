#include "null_broker_state.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <tuple>

namespace spate_bench {

namespace {

using protocol::api_key;
using protocol::error_code;

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
static_assert(within_generated_versions(),
              "every advertised version must exist in the generated protocol module (Produce and Fetch: "
              "non-flexible ones)");

constexpr std::int16_t code(error_code e) { return static_cast<std::int16_t>(e); }

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

const supported_api* find_supported(protocol::api_key key) {
  for (const auto& s : supported_apis) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

protocol::api_versions_response api_versions(protocol::error_code error) {
  protocol::api_versions_response resp;
  resp.error_code = code(error);
  for (const auto& s : supported_apis) {
    auto& v = resp.api_keys.emplace_back();
    v.api_key = static_cast<std::int16_t>(s.key);
    v.min_version = s.min_version;
    v.max_version = s.max_version;
  }
  return resp;
}

null_broker::null_broker(broker_settings settings, std::string host, std::uint16_t port)
    : _settings(std::move(settings)),
      _host(std::move(host)),
      _port(port),
      _template(_settings.fetch_record_size, _settings.fetch_records_per_batch, now_ms()) {
  for (const auto& [name, parts] : _settings.topics) create(name, parts);
}

std::vector<partition_state>* null_broker::find(std::string_view topic) {
  const auto it = _topics.find(topic);
  return it == _topics.end() ? nullptr : &it->second;
}

partition_state* null_broker::find_partition(std::vector<partition_state>* topic, std::int32_t index) {
  if (topic == nullptr || index < 0 || static_cast<std::size_t>(index) >= topic->size()) return nullptr;
  return &(*topic)[static_cast<std::size_t>(index)];
}

std::vector<partition_state>& null_broker::create(std::string name, std::int32_t partitions) {
  auto& parts = _topics[std::move(name)];
  parts.assign(static_cast<std::size_t>(partitions), partition_state{_settings.fill});
  return parts;
}

void null_broker::wake_fetches() {
  for (auto* t : _waiters) t->cancel();
  _waiters.clear();
}

bool null_broker::produce(protocol::reader& r, std::int16_t version, protocol::produce_response& out) {
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
        p.base_offset = -1;
        auto* partition = find_partition(topic, index);
        if (partition == nullptr) {
          p.error_code = code(error_code::unknown_topic_or_partition);
        } else if (records < 0) {
          p.error_code = code(error_code::corrupt_message);
        } else {
          p.base_offset = partition->high_watermark;
          partition->high_watermark += records;
          _produced_records += static_cast<std::uint64_t>(records);
          _produced_bytes += bytes;
          appended = true;
        }
      });
  if (appended) wake_fetches();
  return acks != 0;
}

bool null_broker::fetch_has_data(const protocol::fetch_request& req) {
  for (const auto& t : req.topics) {
    auto* topic = find(t.topic);
    for (const auto& p : t.partitions) {
      const auto* partition = find_partition(topic, p.partition);
      if (partition == nullptr || p.fetch_offset != partition->high_watermark) return true;
    }
  }
  return false;
}

// The top-level and topic fields in the schema's order (versions 4-11); each partition by the
// generated encoder with an empty `records`, its last field in these versions, whose length is then
// patched to cover the template batches that follow it.
void null_broker::write_fetch(const protocol::fetch_request& req, std::int16_t version, response_buffer& out) {
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
      const auto* partition = find_partition(topic, p.partition);
      const std::int64_t high_watermark = partition ? partition->high_watermark : -1;
      _partition.partition_index = p.partition;
      _partition.error_code = 0;
      _partition.high_watermark = high_watermark;
      _partition.last_stable_offset = high_watermark;
      _partition.log_start_offset = partition ? 0 : -1;
      _partition.records.emplace();
      if (partition == nullptr) {
        _partition.error_code = code(error_code::unknown_topic_or_partition);
      } else if (p.fetch_offset < 0 || p.fetch_offset > high_watermark) {
        _partition.error_code = code(error_code::offset_out_of_range);
      }
      _partition.encode(w, version);
      if (_partition.error_code != 0 || p.fetch_offset == high_watermark) continue;
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
        out.patch_int64(header_at, offset);  // baseOffset: outside the CRC
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

protocol::list_offsets_response null_broker::list_offsets(const protocol::list_offsets_request& req) {
  protocol::list_offsets_response resp;
  for (const auto& t : req.topics) {
    auto& rt = resp.topics.emplace_back();
    rt.name = t.name;
    auto* topic = find(t.name);
    for (const auto& p : t.partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.partition_index = p.partition_index;
      const auto* partition = find_partition(topic, p.partition_index);
      if (partition == nullptr) {
        rp.error_code = code(error_code::unknown_topic_or_partition);
        continue;
      }
      // -1 latest, -2 earliest, -3 the record with the largest timestamp; a real timestamp: 0.
      const auto high_watermark = partition->high_watermark;
      rp.offset = p.timestamp == -1   ? high_watermark
                  : p.timestamp == -3 ? std::max<std::int64_t>(0, high_watermark - 1)
                                      : 0;
      rp.timestamp = -1;
    }
  }
  return resp;
}

protocol::metadata_response null_broker::metadata(const protocol::metadata_request& req) {
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
    return resp;
  }
  for (const auto& t : *req.topics) {
    if (!t.name) continue;
    auto* topic = find(*t.name);
    add(*t.name, topic ? *topic : create(*t.name, _settings.default_partitions));
  }
  return resp;
}

protocol::find_coordinator_response null_broker::find_coordinator(const protocol::find_coordinator_request& req) {
  protocol::find_coordinator_response resp;
  resp.error_message = std::nullopt;
  resp.node_id = node_id;
  resp.host = _host;
  resp.port = _port;
  for (const auto& key : req.coordinator_keys) {  // v4+
    auto& c = resp.coordinators.emplace_back();
    c.key = key;
    c.node_id = node_id;
    c.host = _host;
    c.port = _port;
    c.error_message = std::nullopt;
  }
  return resp;
}

protocol::init_producer_id_response null_broker::init_producer_id() {
  protocol::init_producer_id_response resp;
  resp.producer_id = _next_producer_id++;
  resp.producer_epoch = 0;
  return resp;
}

void null_broker::print_stats() const {
  std::string per_api;
  for (const auto& s : supported_apis) {
    per_api += " " + std::string(protocol::api_name(s.key)) + "=" +
               std::to_string(_requests[static_cast<std::size_t>(s.key) % _requests.size()]);
  }
  std::fprintf(stderr, "null_broker: requests%s; produced %llu records, %llu bytes; fetched %llu records, %llu bytes\n",
               per_api.c_str(), static_cast<unsigned long long>(_produced_records),
               static_cast<unsigned long long>(_produced_bytes), static_cast<unsigned long long>(_fetched_records),
               static_cast<unsigned long long>(_fetched_bytes));
}

// ---- self-check ----

namespace {

// Offsets and record counts of the batches in a fetched partition; "" when a batch does not validate.
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

}  // namespace

std::string check_fetch_assembly() {
  broker_settings s;
  s.topics = {{"t", 3}};
  s.fill = 11;
  s.fetch_record_size = 10;
  s.fetch_records_per_batch = 4;
  null_broker broker(s, "127.0.0.1", 9092);
  protocol::fetch_request req;
  auto& t = req.topics.emplace_back();
  t.topic = "t";
  for (const auto& [partition, offset] : {std::pair{0, 1}, std::pair{1, 11}, std::pair{2, 12}, std::pair{7, 0}}) {
    auto& p = t.partitions.emplace_back();
    p.partition = partition;
    p.fetch_offset = offset;
    p.partition_max_bytes = 1 << 20;
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

}  // namespace spate_bench
