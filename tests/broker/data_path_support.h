#pragma once
// Helpers for the data-path handler tests (produce, fetch, list_offsets, offset_for_leader_epoch):
// batches built with model::record_batch_builder, one-call requests through the dispatcher, and
// running several requests on one io_context (long polls woken by produces).
#include <chrono>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "broker_test_support.h"
#include "model/record_batch_builder.h"
#include "protocol/messages/fetch.h"
#include "protocol/messages/list_offsets.h"
#include "protocol/messages/produce.h"

namespace spate::broker::testing {

inline base::byte_buffer make_batch(int records, const std::string& prefix = "v",
                                    model::compression_type codec = model::compression_type::none,
                                    std::int64_t first_timestamp = 1'700'000'000'000) {
  model::record_batch_builder builder(codec, 0);
  for (int i = 0; i < records; ++i) {
    const auto value = prefix + std::to_string(i);
    const auto key = "k" + std::to_string(i);
    builder.append(first_timestamp + i, base::byte_span(reinterpret_cast<const std::uint8_t*>(key.data()), key.size()),
                   base::byte_span(reinterpret_cast<const std::uint8_t*>(value.data()), value.size()));
  }
  return builder.build();
}

// The batch as a fetch returns it: offsets assigned from `base_offset`, leader epoch 0 stamped.
inline base::byte_buffer as_stored(base::byte_buffer batch, std::int64_t base_offset) {
  model::assign_offsets(batch, base_offset);
  model::set_partition_leader_epoch(batch, 0);
  return batch;
}

inline protocol::produce_request produce_request_for(const std::string& topic, std::int32_t partition,
                                                     base::byte_buffer records, std::int16_t acks = -1) {
  protocol::produce_request req;
  req.acks = acks;
  req.timeout_ms = 30000;
  auto& t = req.topic_data.emplace_back();
  t.name = topic;
  auto& p = t.partition_data.emplace_back();
  p.index = partition;
  p.records = std::move(records);
  return req;
}

inline protocol::produce_response::partition_produce_response produce(broker& services, const std::string& topic,
                                                                      std::int32_t partition, base::byte_buffer records,
                                                                      std::int16_t version = 9) {
  auto frame = dispatch(services, request_frame(produce_request_for(topic, partition, std::move(records)), version));
  auto resp = read_response<protocol::produce_response>(*frame, version);
  return resp.responses.at(0).partition_responses.at(0);
}

inline protocol::fetch_request fetch_request_for(const std::string& topic, std::int32_t partition,
                                                 std::int64_t offset, std::int32_t partition_max_bytes = 1 << 20) {
  protocol::fetch_request req;
  req.max_wait_ms = 0;
  req.min_bytes = 0;
  auto& t = req.topics.emplace_back();
  t.topic = topic;
  auto& p = t.partitions.emplace_back();
  p.partition = partition;
  p.fetch_offset = offset;
  p.partition_max_bytes = partition_max_bytes;
  return req;
}

inline protocol::fetch_response fetch(broker& services, const protocol::fetch_request& req, std::int16_t version = 11) {
  return read_response<protocol::fetch_response>(*dispatch(services, request_frame(req, version)), version);
}

inline protocol::fetch_response::partition_data fetch_one(broker& services, const std::string& topic,
                                                          std::int32_t partition, std::int64_t offset,
                                                          std::int16_t version = 11) {
  auto resp = fetch(services, fetch_request_for(topic, partition, offset), version);
  return resp.responses.at(0).partitions.at(0);
}

inline protocol::list_offsets_response::list_offsets_partition_response list_offsets(broker& services,
                                                                                     const std::string& topic,
                                                                                     std::int32_t partition,
                                                                                     std::int64_t timestamp,
                                                                                     std::int16_t version = 7) {
  protocol::list_offsets_request req;
  req.replica_id = -1;
  auto& t = req.topics.emplace_back();
  t.name = topic;
  auto& p = t.partitions.emplace_back();
  p.partition_index = partition;
  p.timestamp = timestamp;
  auto resp = read_response<protocol::list_offsets_response>(*dispatch(services, request_frame(req, version)), version);
  return resp.topics.at(0).partitions.at(0);
}

}  // namespace spate::broker::testing
