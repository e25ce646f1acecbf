#include "broker/topic_table.h"

#include <random>

namespace spate::broker {
namespace {

protocol::uuid random_topic_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  protocol::uuid id;
  for (auto& byte : id.value) byte = static_cast<std::uint8_t>(rng());
  // Version-4 layout, as Kafka's Uuid.randomUuid() produces; it can never be the reserved ids 0 and 1.
  id.value[6] = static_cast<std::uint8_t>((id.value[6] & 0x0f) | 0x40);
  id.value[8] = static_cast<std::uint8_t>((id.value[8] & 0x3f) | 0x80);
  return id;
}

}  // namespace

bool topic_table::valid_name(std::string_view name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::shared_ptr<const topic_info> topic_table::find(std::string_view name) const {
  std::lock_guard lock(mutex_);
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

std::shared_ptr<const topic_info> topic_table::find(const protocol::uuid& id) const {
  std::lock_guard lock(mutex_);
  for (const auto& [name, topic] : by_name_) {
    if (topic->id == id) return topic;
  }
  return nullptr;
}

std::vector<std::shared_ptr<const topic_info>> topic_table::list() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<const topic_info>> topics;
  topics.reserve(by_name_.size());
  for (const auto& [name, topic] : by_name_) topics.push_back(topic);
  return topics;
}

create_topic_outcome topic_table::create(std::string_view name, std::int32_t partitions, bool internal) {
  if (!valid_name(name)) return create_topic_outcome::invalid_name;
  if (partitions < 1) return create_topic_outcome::invalid_partitions;
  auto topic = std::make_shared<topic_info>(topic_info{std::string(name), random_topic_id(), partitions, internal});
  std::lock_guard lock(mutex_);
  const auto [it, inserted] = by_name_.try_emplace(topic->name, std::move(topic));
  return inserted ? create_topic_outcome::created : create_topic_outcome::already_exists;
}

}  // namespace spate::broker
