// log_manager's retries of failed partition logs (log_manager.h, "Failed logs").
#include <sys/resource.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "base/log.h"
#include "storage/log_manager.h"

namespace spate::storage {

std::size_t log_manager::failed_log_count() const {
  std::size_t n = 0;
  base::mutex_lock lock(_mutex);
  for (const auto& [tp, log] : _logs) n += log->failed() ? 1 : 0;
  return n;
}

void log_manager::set_recovery_backoff(recovery_backoff b) {
  base::mutex_lock lock(_recovery_mutex);
  _backoff = b;
}

std::string log_manager::too_many_open_files_message(std::int32_t partitions) {
  // Each partition keeps its segments' .log files open (segment.h); an idle one has one segment.
  return fmt::format("too many open files: {} partitions need at least {} descriptors; raise the limit (ulimit -n)",
                     partitions, partitions);
}

errc log_manager::descriptor_shortage(errc e) {
  if (e != errc::io_error) return e;
  // The failed partition's own descriptors were closed on the way out, so a probe open() could
  // succeed: count the open descriptors against the limit instead (a few spare for that).
  auto open_fds = _fs.list_directory("/proc/self/fd");
  if (!open_fds) return from_os_error(open_fds.error()) == errc::too_many_open_files ? errc::too_many_open_files : e;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return e;
  return open_fds->size() + 16 >= limit.rlim_cur ? errc::too_many_open_files : e;
}

log_manager::recovery_pass log_manager::recover_failed_logs() {
  recovery_pass pass;
  std::vector<std::shared_ptr<partition_log>> failed;
  {
    base::mutex_lock lock(_mutex);
    for (const auto& [tp, log] : _logs)
      if (log->failed()) failed.push_back(log);
  }
  pass.failed = failed.size();
  base::mutex_lock lock(_recovery_mutex);
  if (failed.empty() && _retries.empty()) return pass;
  const std::int64_t now = _clock.now_ms();
  std::set<model::topic_partition> failing;
  for (const auto& log : failed) {
    const model::topic_partition tp{log->topic(), log->partition()};
    failing.insert(tp);
    auto& st = _retries[tp];
    const auto failed_at = log->failed_at_ms();
    if (failed_at < 0) continue;  // recovered since the list was taken
    if (st.failed_at_ms != failed_at) {
      // A new failure. Soon after a recovery the cause is likely still there (a full disk lets the
      // recovery through and fails the next append): wait as long as the last backoff said.
      const bool flapping = st.recovered_at_ms >= 0 && failed_at - st.recovered_at_ms < _backoff.flap_window_ms;
      st.failed_at_ms = failed_at;
      st.attempts = 0;
      if (flapping) {
        st.next_attempt_ms = failed_at + st.backoff_ms;
        st.backoff_ms = std::min(st.backoff_ms * 2, _backoff.max_ms);
      } else {
        st.next_attempt_ms = failed_at;
        st.backoff_ms = _backoff.first_ms;
      }
    }
    if (now < st.next_attempt_ms) continue;
    ++pass.attempted;
    ++st.attempts;
    auto r = log->recover_failed();
    if (r) {
      // recover_failed() logged the one line of the recovery.
      if (r->recovered) {
        ++pass.recovered;
        _recoveries.fetch_add(1, std::memory_order_relaxed);
      }
      st.recovered_at_ms = now;
      continue;
    }
    if (r.error() == errc::shutting_down) continue;
    // The failure was logged once when it happened; each failed retry only at debug.
    SPATE_LOG_DEBUG("event=partition_recovery_failed topic={} partition={} attempt={} error={} retry_in_ms={}",
                    tp.topic, tp.partition, st.attempts, to_string(r.error()), st.backoff_ms);
    st.next_attempt_ms = now + st.backoff_ms;
    st.backoff_ms = std::min(st.backoff_ms * 2, _backoff.max_ms);
  }
  // Forget logs that stayed healthy past the flap window (or are gone).
  for (auto it = _retries.begin(); it != _retries.end();) {
    const bool quiet = !failing.contains(it->first) && now - it->second.recovered_at_ms >= _backoff.flap_window_ms;
    it = quiet ? _retries.erase(it) : std::next(it);
  }
  return pass;
}

}  // namespace spate::storage
