#pragma once
// Kafka's client quotas (KIP-13, KIP-55, KIP-124, KIP-599): byte rates, request time and
// partition mutations per user and client id, with Kafka's precedence and rate arithmetic
// (docs/client-quotas.md). Set and read through AlterClientQuotas / DescribeClientQuotas; the
// handlers persist the table with to_json() (app loads it with from_json()).
//
// Entities are a user and/or a client id, each a name or the default (Kafka's <default>). A
// client's quota is the first of these that sets the key (Kafka's order):
//   user+client, user+<default client>, user, <default user>+client, <default user>+<default client>,
//   <default user>, client, <default client>
// Usage is measured per entity the quota came from, with the client's own names in place of the
// defaults (so a default quota limits every user or client id separately, as in Kafka).
//
// Rates are Kafka's: 11 samples of 1 s; the window is at least 10 s, so a new client may burst up
// to ten seconds' worth before it is throttled; throttle = (rate - bound) / bound x window.
//
// Thread-safety: all methods are thread-safe (one mutex; no I/O under it).
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spate::quota {

// The user of every connection until authentication exists (Kafka's principal without SASL).
inline constexpr std::string_view anonymous_user = "ANONYMOUS";

enum class client_quota_key : std::uint8_t {
  producer_byte_rate,        // bytes per second appended by Produce
  consumer_byte_rate,        // bytes per second returned by Fetch
  request_percentage,        // percent of one thread's time spent on the client's requests
  controller_mutation_rate,  // partitions created or deleted per second
};
std::string_view to_string(client_quota_key key);
std::optional<client_quota_key> parse_client_quota_key(std::string_view name);

// One component: absent (nullopt), the default (the inner nullopt) or a name.
using entity_component = std::optional<std::optional<std::string>>;

struct client_entity {
  entity_component user;
  entity_component client_id;
  friend auto operator<=>(const client_entity&, const client_entity&) = default;
};

using quota_values = std::map<std::string, double>;  // key name -> value

// DescribeClientQuotas' filter of one component type.
struct entity_filter {
  std::string entity_type;  // "user" or "client-id"
  enum class match { exact, default_, any } how = match::any;
  std::string name;  // for exact
};

struct quota_op {
  std::string key;
  double value = 0;
  bool remove = false;
};

struct rate_settings {
  std::int64_t sample_ms = 1000;  // quota.window.size.seconds
  int samples = 11;               // quota.window.num
};

class client_quotas {
 public:
  explicit client_quotas(rate_settings rates = {}) : _rates(rates) {}

  // Validates an alteration: unknown keys, values <= 0 (or > 100 for request_percentage on set)
  // and entities without a component are refused. nullopt when valid, else Kafka's message.
  static std::optional<std::string> check(const client_entity& entity, const std::vector<quota_op>& ops);
  // Applies checked ops to one entity (removing its last value removes the entity).
  void apply(const client_entity& entity, const std::vector<quota_op>& ops);
  // The entities matching every filter (and, when strict, no other component), with their values.
  std::vector<std::pair<client_entity, quota_values>> describe(const std::vector<entity_filter>& filters,
                                                               bool strict) const;
  // Every entity and its values (persistence, restore on a failed write).
  std::map<client_entity, quota_values> all() const;
  void replace_all(std::map<client_entity, quota_values> configs);

  // Applies several entities' checked ops as one change and persists the result with `persist`
  // (the table's to_json()); when persist fails the table is restored and false returned.
  // Serialised: concurrent alterations persist in the order they applied.
  bool alter(const std::vector<std::pair<client_entity, std::vector<quota_op>>>& changes,
             const std::function<bool(const std::string&)>& persist);

  // Records `amount` (bytes, milliseconds of handling, partitions) for the client under `key` and
  // returns how long to throttle it (0: within its quota or no quota applies).
  std::int64_t record(client_quota_key key, std::string_view user, std::string_view client_id, double amount,
                      std::int64_t now_ms);
  // Whether the client is already over its quota (strict controller mutations: refuse the next).
  std::int64_t throttle_if_over(client_quota_key key, std::string_view user, std::string_view client_id,
                                std::int64_t now_ms);

  // JSON persistence: {"version":1,"entities":[{"user":..,"client-id":..,"values":{..}}]}, where a
  // component is absent, null (the default) or a name.
  std::string to_json() const;
  // Replaces the table; false (and unchanged) for a document it cannot read.
  bool load_json(std::string_view text);

 private:
  struct bound {
    double value = 0;
    std::string user_tag;    // the sensor's user: the client's, or "" when the quota has no user
    std::string client_tag;  // likewise for the client id
  };
  struct sample {
    std::int64_t start_ms = 0;
    double total = 0;
  };
  struct sensor {
    std::vector<sample> samples;  // ring of rates.samples
    std::size_t current = 0;
  };
  using sensor_key = std::tuple<client_quota_key, std::string, std::string>;

  std::optional<bound> resolve(client_quota_key key, std::string_view user, std::string_view client_id) const;
  std::int64_t throttle(sensor& s, double bound_value, std::int64_t now_ms) const;
  void add(sensor& s, double amount, std::int64_t now_ms) const;

  const rate_settings _rates;
  std::mutex _alter_mutex;  // held across alter()'s persist; taken before _mutex
  mutable std::mutex _mutex;
  std::map<client_entity, quota_values> _configs;  // guarded by _mutex
  // Whether _configs has any entity: without quotas the request path takes no lock.
  std::atomic<bool> _any{false};
  std::map<sensor_key, sensor> _sensors;  // guarded by _mutex
};

}  // namespace spate::quota
