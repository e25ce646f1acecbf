#include "broker/handlers/describe_log_dirs.h"

#include <sys/statvfs.h>

#include <filesystem>
#include <map>
#include <set>

#include "broker/async.h"
#include "broker/authorization.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"

namespace spate::broker {
namespace {

using result_entry = protocol::describe_log_dirs_response::describe_log_dirs_result;
using topic_entry = protocol::describe_log_dirs_response::describe_log_dirs_topic;

// Runs on the blocking pool: sizes come from segment files, space from statvfs(2).
result_entry describe(const storage::log_manager& logs,
                      const std::optional<std::map<std::string, std::set<std::int32_t>>>& wanted) {
  result_entry dir;
  std::error_code ec;
  const auto path = std::filesystem::absolute(logs.data_dir(), ec);
  dir.log_dir = (ec ? logs.data_dir() : path).lexically_normal().string();
  if (dir.log_dir.size() > 1 && dir.log_dir.back() == '/') dir.log_dir.pop_back();
  for (const auto& topic : logs.list_topics()) {
    const std::set<std::int32_t>* partitions = nullptr;
    if (wanted) {
      const auto it = wanted->find(topic.name);
      if (it == wanted->end()) continue;
      partitions = &it->second;
    }
    topic_entry entry;
    entry.name = topic.name;
    for (std::int32_t p = 0; p < topic.partitions; ++p) {
      if (partitions && !partitions->contains(p)) continue;
      auto log = logs.get(topic.name, p);
      if (!log) continue;
      auto& partition = entry.partitions.emplace_back();
      partition.partition_index = p;
      partition.partition_size = static_cast<std::int64_t>(log->size_bytes());
      partition.offset_lag = 0;
      partition.is_future_key = false;
    }
    if (!entry.partitions.empty()) dir.topics.push_back(std::move(entry));
  }
  struct statvfs fs {};
  if (::statvfs(dir.log_dir.c_str(), &fs) == 0) {
    dir.total_bytes = static_cast<std::int64_t>(fs.f_blocks) * static_cast<std::int64_t>(fs.f_frsize);
    dir.usable_bytes = static_cast<std::int64_t>(fs.f_bavail) * static_cast<std::int64_t>(fs.f_frsize);
  }
  return dir;
}

}  // namespace

boost::asio::awaitable<describe_log_dirs_handler::response> describe_log_dirs_handler::handle(request_context& ctx,
                                                                                              request req) {
  auto& services = ctx.services;
  // Kafka: DESCRIBE on the cluster, otherwise no log dirs (and the error, v3+).
  if (!authorized(ctx, security::acl_operation::describe, security::resource_type::cluster,
                  security::cluster_resource_name)) {
    response denied;
    denied.error_code = wire_code(protocol::error_code::cluster_authorization_failed);
    co_return denied;
  }
  std::optional<std::map<std::string, std::set<std::int32_t>>> wanted;
  if (req.topics) {
    wanted.emplace();
    for (const auto& t : *req.topics) (*wanted)[t.topic].insert(t.partitions.begin(), t.partitions.end());
  }
  const auto& logs = services.logs();
  // Named, not a temporary: GCC 12 destroys lambda temporaries of a co_await expression twice.
  auto work = [&logs, wanted = std::move(wanted)] { return describe(logs, wanted); };
  auto dir = co_await run_blocking(services.pool(), std::move(work));
  response resp;
  resp.results.push_back(std::move(dir));
  co_return resp;
}

}  // namespace spate::broker
