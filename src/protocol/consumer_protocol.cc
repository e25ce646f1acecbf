#include "protocol/consumer_protocol.h"

#include <algorithm>
#include <stdexcept>

#include "protocol/messages/consumer_protocol_assignment.h"
#include "protocol/wire.h"

namespace spate::protocol {

std::optional<member_assignment> decode_member_assignment(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return std::nullopt;
  protocol::reader r(bytes);
  member_assignment out;
  out.version = r.read_int16();
  if (out.version < 0) throw std::runtime_error("consumer protocol assignment: negative version");
  protocol::consumer_protocol_assignment decoded;
  decoded.decode(r, std::min(out.version, protocol::consumer_protocol_assignment::max_version));
  for (auto& tp : decoded.assigned_partitions)
    out.partitions.emplace_back(std::move(tp.topic), std::move(tp.partitions));
  out.user_data_size = decoded.user_data ? decoded.user_data->size() : 0;
  return out;
}

std::string assignment_text(const member_assignment& a) {
  std::string out;
  for (const auto& [topic, partitions] : a.partitions) {
    if (!out.empty()) out += ' ';
    out += topic;
    out += ':';
    for (std::size_t i = 0; i < partitions.size(); ++i) {
      if (i > 0) out += ',';
      out += std::to_string(partitions[i]);
    }
  }
  return out;
}

}  // namespace spate::protocol
