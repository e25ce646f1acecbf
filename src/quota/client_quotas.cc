#include "quota/client_quotas.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

namespace spate::quota {
namespace {

constexpr std::string_view user_type = "user";
constexpr std::string_view client_type = "client-id";

const entity_component& component(const client_entity& e, std::string_view type) {
  return type == user_type ? e.user : e.client_id;
}

bool matches(const entity_component& c, const entity_filter& f) {
  if (!c) return false;
  switch (f.how) {
    case entity_filter::match::exact: return c->has_value() && **c == f.name;
    case entity_filter::match::default_: return !c->has_value();
    case entity_filter::match::any: return true;
  }
  return false;
}

nlohmann::json component_json(const entity_component& c) { return c->has_value() ? nlohmann::json(**c) : nullptr; }

entity_component component_from(const nlohmann::json& entity, const char* name) {
  if (!entity.contains(name)) return std::nullopt;
  const auto& v = entity.at(name);
  if (v.is_null()) return std::optional<std::string>{};
  return std::optional<std::string>{v.get<std::string>()};
}

}  // namespace

std::string_view to_string(client_quota_key key) {
  switch (key) {
    case client_quota_key::producer_byte_rate: return "producer_byte_rate";
    case client_quota_key::consumer_byte_rate: return "consumer_byte_rate";
    case client_quota_key::request_percentage: return "request_percentage";
    case client_quota_key::controller_mutation_rate: return "controller_mutation_rate";
  }
  return "unknown";
}

std::optional<client_quota_key> parse_client_quota_key(std::string_view name) {
  for (auto key : {client_quota_key::producer_byte_rate, client_quota_key::consumer_byte_rate,
                   client_quota_key::request_percentage, client_quota_key::controller_mutation_rate}) {
    if (to_string(key) == name) return key;
  }
  return std::nullopt;
}

std::optional<std::string> client_quotas::check(const client_entity& entity, const std::vector<quota_op>& ops) {
  if (!entity.user && !entity.client_id) return "Invalid empty client quota entity";
  for (const auto& op : ops) {
    const auto key = parse_client_quota_key(op.key);
    if (!key) return "Invalid configuration key " + op.key;
    if (op.remove) continue;
    if (!std::isfinite(op.value) || op.value <= 0) {
      return "Invalid value " + std::to_string(op.value) + " for configuration key " + op.key + ": it must be positive";
    }
    const bool integral = *key == client_quota_key::producer_byte_rate || *key == client_quota_key::consumer_byte_rate;
    if (integral && op.value != std::floor(op.value)) {
      return "Configuration " + op.key + " must be a Long value";
    }
  }
  return std::nullopt;
}

void client_quotas::apply(const client_entity& entity, const std::vector<quota_op>& ops) {
  std::lock_guard lock(_mutex);
  auto& values = _configs[entity];
  for (const auto& op : ops) {
    if (op.remove) {
      values.erase(op.key);
    } else {
      values[op.key] = op.value;
    }
  }
  if (values.empty()) _configs.erase(entity);
  _any.store(!_configs.empty(), std::memory_order_release);
}

bool client_quotas::alter(const std::vector<std::pair<client_entity, std::vector<quota_op>>>& changes,
                          const std::function<bool(const std::string&)>& persist) {
  std::lock_guard alter_lock(_alter_mutex);
  auto before = all();
  for (const auto& [entity, ops] : changes) apply(entity, ops);
  if (persist(to_json())) return true;
  replace_all(std::move(before));
  return false;
}

std::vector<std::pair<client_entity, quota_values>> client_quotas::describe(const std::vector<entity_filter>& filters,
                                                                            bool strict) const {
  std::lock_guard lock(_mutex);
  std::vector<std::pair<client_entity, quota_values>> out;
  for (const auto& config : _configs) {
    const auto& entity = config.first;
    const bool all_match = std::all_of(filters.begin(), filters.end(), [&entity](const entity_filter& f) {
      return matches(component(entity, f.entity_type), f);
    });
    if (!all_match) continue;
    if (strict) {
      const auto filtered = [&filters](std::string_view type) {
        return std::any_of(filters.begin(), filters.end(),
                           [type](const entity_filter& f) { return f.entity_type == type; });
      };
      if ((entity.user && !filtered(user_type)) || (entity.client_id && !filtered(client_type))) continue;
    }
    out.push_back(config);
  }
  return out;
}

std::map<client_entity, quota_values> client_quotas::all() const {
  std::lock_guard lock(_mutex);
  return _configs;
}

void client_quotas::replace_all(std::map<client_entity, quota_values> configs) {
  std::lock_guard lock(_mutex);
  _configs = std::move(configs);
  _any.store(!_configs.empty(), std::memory_order_release);
}

std::optional<client_quotas::bound> client_quotas::resolve(client_quota_key key, std::string_view user,
                                                           std::string_view client_id) const {
  const std::optional<std::string> u{std::string(user)}, c{std::string(client_id)}, dflt{};
  const entity_component absent;
  // Kafka's precedence, most specific first.
  const client_entity order[] = {{u, c},       {u, dflt},      {u, absent}, {dflt, c},
                                 {dflt, dflt}, {dflt, absent}, {absent, c}, {absent, dflt}};
  const auto name = std::string(to_string(key));
  for (const auto& entity : order) {
    const auto found = _configs.find(entity);
    if (found == _configs.end()) continue;
    const auto value = found->second.find(name);
    if (value == found->second.end()) continue;
    return bound{value->second, entity.user ? std::string(user) : std::string(),
                 entity.client_id ? std::string(client_id) : std::string()};
  }
  return std::nullopt;
}

void client_quotas::add(sensor& s, double amount, std::int64_t now_ms) const {
  if (s.samples.empty()) {
    s.samples.push_back({now_ms, 0});
    s.current = 0;
  } else if (now_ms >= s.samples[s.current].start_ms + _rates.sample_ms) {
    if (s.samples.size() < static_cast<std::size_t>(_rates.samples)) {
      s.samples.push_back({now_ms, 0});
      s.current = s.samples.size() - 1;
    } else {
      s.current = (s.current + 1) % s.samples.size();
      s.samples[s.current] = {now_ms, 0};
    }
  }
  s.samples[s.current].total += amount;
}

std::int64_t client_quotas::throttle(sensor& s, double bound_value, std::int64_t now_ms) const {
  // Kafka's Rate: samples older than the whole window are obsolete; the window spans from the
  // oldest live sample to now, and is at least samples - 1 full sample lengths.
  const std::int64_t horizon = now_ms - _rates.sample_ms * _rates.samples;
  double total = 0;
  std::int64_t oldest = now_ms;
  for (const auto& sample : s.samples) {
    if (sample.start_ms <= horizon) continue;
    total += sample.total;
    oldest = std::min(oldest, sample.start_ms);
  }
  std::int64_t window = now_ms - oldest;
  const std::int64_t full = window / _rates.sample_ms;
  const std::int64_t min_full = _rates.samples - 1;
  if (full < min_full) window += (min_full - full) * _rates.sample_ms;
  const double rate = total / (static_cast<double>(window) / 1000.0);
  if (rate <= bound_value || bound_value <= 0) return 0;
  const double ms = (rate - bound_value) / bound_value * static_cast<double>(window);
  return std::clamp<std::int64_t>(static_cast<std::int64_t>(std::ceil(ms)), 1, window);
}

std::int64_t client_quotas::record(client_quota_key key, std::string_view user, std::string_view client_id,
                                   double amount, std::int64_t now_ms) {
  if (!_any.load(std::memory_order_acquire)) return 0;
  std::lock_guard lock(_mutex);
  const auto b = resolve(key, user, client_id);
  if (!b) return 0;
  auto& s = _sensors[{key, b->user_tag, b->client_tag}];
  add(s, amount, now_ms);
  return throttle(s, b->value, now_ms);
}

std::int64_t client_quotas::throttle_if_over(client_quota_key key, std::string_view user, std::string_view client_id,
                                             std::int64_t now_ms) {
  if (!_any.load(std::memory_order_acquire)) return 0;
  std::lock_guard lock(_mutex);
  const auto b = resolve(key, user, client_id);
  if (!b) return 0;
  auto found = _sensors.find({key, b->user_tag, b->client_tag});
  if (found == _sensors.end()) return 0;
  return throttle(found->second, b->value, now_ms);
}

std::string client_quotas::to_json() const {
  nlohmann::json entities = nlohmann::json::array();
  for (const auto& [entity, values] : all()) {
    nlohmann::json e{{"values", values}};
    if (entity.user) e["user"] = component_json(entity.user);
    if (entity.client_id) e["client-id"] = component_json(entity.client_id);
    entities.push_back(std::move(e));
  }
  return nlohmann::json{{"version", 1}, {"entities", std::move(entities)}}.dump(2) + "\n";
}

bool client_quotas::load_json(std::string_view text) {
  std::map<client_entity, quota_values> configs;
  try {
    const auto doc = nlohmann::json::parse(text);
    if (doc.at("version").get<int>() != 1) return false;
    for (const auto& e : doc.at("entities")) {
      client_entity entity{component_from(e, "user"), component_from(e, "client-id")};
      std::vector<quota_op> ops;
      for (const auto& [key, value] : e.at("values").items()) ops.push_back({key, value.get<double>(), false});
      if (check(entity, ops)) return false;
      for (const auto& op : ops) configs[entity][op.key] = op.value;
    }
  } catch (const nlohmann::json::exception&) {
    return false;
  }
  replace_all(std::move(configs));
  return true;
}

}  // namespace spate::quota
