#pragma once
// Owns every partition log of one data directory: loads them at start-up (recovering after an
// unclean stop), creates and deletes topics, adds partitions, persists topic metadata and the
// offset checkpoints, and shuts down cleanly. Kafka's LogManager.
//
// Files in the data directory (docs/storage-format.md):
//   .lock                              flock'ed while a broker uses the directory
//   .kafka_cleanshutdown               present only between a clean close() and the next open()
//   spate-topics.json                  topics: name, topic id, partition count, config overrides
//   recovery-point-offset-checkpoint   per partition: offsets below are durable (Kafka format)
//   log-start-offset-checkpoint        per partition: the log start offset (Kafka format)
//   cleaner-offset-checkpoint          per compacted partition: the first dirty offset (Kafka format)
//   <topic>-<partition>/               one partition_log each
//
// Thread-safety: all methods are thread-safe. Lookups (get, find_topic, list_topics) take
// `_mutex` briefly. Admin operations (create/delete topic, add partitions, alter config,
// checkpoint, close) are serialised by `_admin_mutex`, which is held across their file I/O —
// they are rare and nothing on the produce/fetch path waits for that mutex. Every method that
// touches files blocks: the broker calls them from the blocking pool.
//
// Files: log_manager.cc (topics, checkpoints, close), log_loader.cc (open), topic_metadata.h,
// log_manager_cleaner.cc (the log cleaner's scheduling and progress), log_manager_recovery.cc
// (failed logs).
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "io/blocking_pool.h"
#include "io/clock.h"
#include "io/file.h"
#include "model/topic_partition.h"
#include "storage/errc.h"
#include "storage/io_throttle.h"
#include "storage/log_cleaner.h"
#include "storage/log_config.h"
#include "storage/partition_log.h"
#include "storage/topic_metadata.h"

namespace spate::storage {

// Broker-level storage settings.
struct storage_config {
  std::filesystem::path data_dir;
  log_config log_defaults;  // Kafka's log.* broker settings; topics override them
  // partition_log::options::page_cache_keep_bytes of every partition.
  std::int64_t page_cache_keep_bytes = -1;
};

class log_manager {
 public:
  struct dependencies {
    io::file_system* fs = nullptr;
    io::clock* clock = nullptr;
    io::blocking_pool* pool = nullptr;  // flush tasks and async directory removal; outlives us
    // Optional histograms every partition log records its flush rounds into; outlive us.
    metrics::histogram* fsync_seconds = nullptr;
    metrics::histogram* group_commit_batches = nullptr;
  };

  // Locks the data directory (errc::data_dir_locked when another broker holds it), loads the topic
  // metadata and every partition log. After an unclean stop, each log validates its tail from
  // its recovery point. A data directory with partition directories but no topic metadata is
  // refused (errc::corrupt_log) rather than guessed at.
  static result<std::unique_ptr<log_manager>> open(storage_config cfg, dependencies deps);
  // Without close() this is an unclean stop: files are closed, nothing is flushed, no marker.
  ~log_manager();
  log_manager(const log_manager&) = delete;
  log_manager& operator=(const log_manager&) = delete;

  // Creates the partition directories and logs, then commits the topic to spate-topics.json.
  // `id` defaults to a random one. Errors: invalid_topic, topic_exists, invalid_partitions,
  // invalid_config, io_error.
  result<topic_info> create_topic(const std::string& name, std::int32_t partitions,
                                  const config_overrides& configs = {},
                                  std::optional<topic_id> id = std::nullopt);
  // Commits the removal to spate-topics.json, closes the logs, renames each partition directory to
  // `<topic>-<p>.<unique>-delete` and removes it on the blocking pool (Kafka does the same;
  // directories left by a crash are removed at the next start).
  result<void> delete_topic(const std::string& name);
  // Grows the topic to `total` partitions (invalid_partitions unless more than now).
  result<void> add_partitions(const std::string& name, std::int32_t total);
  // Replaces the topic's overrides and applies them to its logs.
  result<void> alter_topic_config(const std::string& name, const config_overrides& configs);

  std::vector<topic_info> list_topics() const;
  std::optional<topic_info> find_topic(const std::string& name) const;
  // The log, or null when the topic or partition does not exist.
  std::shared_ptr<partition_log> get(const std::string& topic, std::int32_t partition) const;
  // The effective configuration of a topic (broker defaults + overrides).
  result<log_config> topic_config(const std::string& name) const;
  const log_config& defaults() const { return _cfg.log_defaults; }

  // DeleteRecords: moves the log start offset and persists it before returning. The new start.
  result<std::int64_t> delete_records(const std::string& topic, std::int32_t partition,
                                      std::int64_t offset);
  // Runs retention on every log, then persists the log start offsets if any moved. The broker
  // calls it periodically (Kafka: log.retention.check.interval.ms).
  result<retention_result> enforce_retention();
  // Forgets, in every log, producers idle for longer than `expiration_ms` without an open
  // transaction (Kafka: producer.id.expiration.ms, checked every
  // producer.id.expiration.check.interval.ms). Returns how many.
  std::size_t expire_producers(std::int64_t expiration_ms);
  // Queues due flushes of page-cache logs (flush.ms). Call periodically; cheap.
  void flush_if_due();
  // Writes both offset checkpoints. Call periodically (Kafka:
  // log.flush.offset.checkpoint.interval.ms) so unclean recovery starts near the end.
  result<void> checkpoint();
  // Clean shutdown: closes every log (syncing it), writes the checkpoints and the clean-shutdown
  // marker. Later calls fail with shutting_down. Idempotent.
  result<void> close();

  // Every partition log, for metrics and periodic work (a snapshot: logs may be added or removed
  // right after).
  std::vector<std::shared_ptr<partition_log>> all_logs() const EXCLUDES(_mutex);

  // ---- Log cleaner (log_manager_cleaner.cc; log_cleaner.h). Run by the broker's cleaner threads
  // (a blocking pool of log.cleaner.threads), never an event loop.

  // Cleans the due log (partition_log::cleanable) with the highest dirty ratio that no other
  // thread is cleaning, records its new first dirty offset and persists
  // `cleaner-offset-checkpoint`. nullopt when no log is due (or the chosen one turned out to have
  // nothing to clean). Thread-safe: concurrent callers clean distinct logs and share `throttle`.
  // Errors are those of partition_log::clean(); a log whose cleaning failed is marked uncleanable
  // and skipped until the broker restarts (Kafka's rule). A log closed or deleted meanwhile is
  // not an error (nullopt).
  result<std::optional<cleaning_stats>> clean_next(const cleaner_settings& settings, io_throttle& throttle)
      EXCLUDES(_cleaner_mutex, _mutex);
  // Every compacted log's cleaner state (status, metrics). Cheap: no I/O after the first call.
  std::vector<cleaner_log_state> cleaner_states() const EXCLUDES(_cleaner_mutex, _mutex);
  // ---- Failed logs (log_manager_recovery.cc) ----
  // A log that failed (a write or fdatasync error) is retried with partition_log::recover_failed():
  // at the first pass after it failed, then after 1 s, doubling up to 30 s while attempts fail. A
  // log that fails again soon after recovering (the disk is still full) continues its backoff
  // instead of starting over, so it does not flap once a second. Blocking (recovery does file
  // I/O): call periodically from a background thread, never an event loop. Thread-safe; passes
  // are serialised. Cheap when no log is failed.
  struct recovery_pass {
    std::size_t failed = 0;     // logs failed at the start of the pass
    std::size_t attempted = 0;  // recoveries tried (their retry was due)
    std::size_t recovered = 0;
  };
  recovery_pass recover_failed_logs() EXCLUDES(_mutex, _recovery_mutex);
  // Logs failed now (the gauge spate_storage_failed_partitions) and recoveries since start.
  std::size_t failed_log_count() const EXCLUDES(_mutex);
  std::uint64_t recoveries_total() const { return _recoveries.load(std::memory_order_relaxed); }
  // Retry timing; tests shorten it.
  struct recovery_backoff {
    std::int64_t first_ms = 1000;  // after the first (immediate) attempt failed
    std::int64_t max_ms = 30000;
    std::int64_t flap_window_ms = 60000;  // a failure this soon after a recovery continues the backoff
  };
  void set_recovery_backoff(recovery_backoff b) EXCLUDES(_recovery_mutex);
  // The CreateTopics/CreatePartitions message for errc::too_many_open_files: how many descriptors
  // `partitions` new partitions need and what to do.
  static std::string too_many_open_files_message(std::int32_t partitions);
  // `e`, or too_many_open_files when `e` is an io_error and the process is (within a few) at its
  // descriptor limit: not every failing call on the way reports its errno (a directory listing).
  errc descriptor_shortage(errc e);

  // Whether open() found the clean-shutdown marker (tests and logs).
  bool opened_after_clean_shutdown() const { return _opened_clean; }
  const std::filesystem::path& data_dir() const { return _cfg.data_dir; }

 private:
  log_manager(storage_config cfg, dependencies deps);

  // ---- Loading (log_loader.cc). open() holds _admin_mutex throughout (uncontended: nobody
  // else has the manager yet), so loading is checked like any admin operation.
  result<void> load() REQUIRES(_admin_mutex) EXCLUDES(_mutex);
  result<void> lock_data_dir();
  // The partition directories of the data dir; queues removal of those a deletion left.
  result<std::vector<std::string>> scan_data_dir();
  // Reads the topic metadata; a new data directory gets an empty one written first.
  result<void> load_topics(const std::vector<std::string>& partition_dirs) REQUIRES(_admin_mutex) EXCLUDES(_mutex);
  // Opens every partition of every topic; returns what recovery did, summed over all of them.
  result<partition_log::load_statistics> open_logs() REQUIRES(_admin_mutex) EXCLUDES(_mutex);
  // Retires directories of topics or partitions the metadata does not know.
  void retire_stray_dirs(const std::vector<std::string>& partition_dirs) EXCLUDES(_mutex);

  result<void> write_topics() REQUIRES(_admin_mutex) EXCLUDES(_mutex);
  // The options of every partition log this manager opens; the caller adds the recovery inputs.
  partition_log::options partition_options(const std::string& topic, std::int32_t p, const log_config& cfg) const;
  result<std::shared_ptr<partition_log>> create_partition(const topic_info& t, std::int32_t p, const log_config& cfg)
      REQUIRES(_admin_mutex);
  // Renames a partition directory `dir` out of the way (`<topic>-<p>.<unique>-delete`) and removes
  // it on the blocking pool; a crash in between leaves it for the next start. False (logged)
  // when the rename fails.
  bool retire_dir(const std::filesystem::path& dir, const std::string& topic, std::int32_t p);
  result<void> write_checkpoints() REQUIRES(_admin_mutex) EXCLUDES(_mutex);
  void remove_async(std::filesystem::path dir);

  // ---- Log cleaner state (log_manager_cleaner.cc).
  // Stops and waits for the cleanings of `logs` (topic deletion, close); `forget`: drops their
  // progress too (a deleted topic).
  void stop_cleaning(const std::vector<std::shared_ptr<partition_log>>& logs, bool forget) EXCLUDES(_cleaner_mutex);
  // Reads cleaner-offset-checkpoint once.
  void load_cleaner_checkpoint() const REQUIRES(_cleaner_mutex);
  result<void> write_cleaner_checkpoint() EXCLUDES(_cleaner_mutex);
  struct cleaner_entry {
    std::int64_t first_dirty_offset = 0;
    bool uncleanable = false;  // a cleaning failed: not tried again until a restart
    cleaner_log_state state;
  };
  // Leaf lock (taken alone or after _mutex is released), never held across a cleaning; the
  // checkpoint file is written under _cleaner_checkpoint_mutex instead.
  mutable base::mutex _cleaner_mutex;
  mutable std::condition_variable_any _cleaner_done;
  mutable bool _cleaner_loaded GUARDED_BY(_cleaner_mutex) = false;
  mutable std::map<model::topic_partition, cleaner_entry> _cleaner GUARDED_BY(_cleaner_mutex);
  std::set<model::topic_partition> _cleaning GUARDED_BY(_cleaner_mutex);  // in progress
  base::mutex _cleaner_checkpoint_mutex ACQUIRED_BEFORE(_cleaner_mutex);

  storage_config _cfg;
  io::file_system& _fs;
  io::clock& _clock;
  io::blocking_pool& _pool;
  metrics::histogram* const _fsync_seconds;
  metrics::histogram* const _group_commit_batches;
  // Set by load(), before the manager is shared; constant afterwards.
  std::unique_ptr<io::file_lock> _lock;
  bool _opened_clean = false;
  bool _fresh = false;  // the data directory had no topic metadata: a first start

  // Lock order: _admin_mutex -> _mutex.
  // Serialises admin operations and checkpoint writes (held across I/O).
  base::mutex _admin_mutex ACQUIRED_BEFORE(_mutex);
  bool _closed GUARDED_BY(_admin_mutex) = false;

  // Guards the two maps; never held across I/O. Written only with _admin_mutex held too.
  mutable base::mutex _mutex;
  topic_map _topics GUARDED_BY(_mutex);
  std::map<model::topic_partition, std::shared_ptr<partition_log>> _logs GUARDED_BY(_mutex);

  // ---- Failed-log retries (log_manager_recovery.cc). _recovery_mutex is held across a pass's
  // recoveries (file I/O); only recover_failed_logs() and set_recovery_backoff() take it.
  struct retry_state {
    std::int64_t failed_at_ms = -1;  // the failure episode this state is for
    std::int64_t next_attempt_ms = 0;
    std::int64_t backoff_ms = 0;  // the wait after the next failed attempt
    std::int64_t recovered_at_ms = -1;
    std::uint32_t attempts = 0;
  };
  base::mutex _recovery_mutex;
  recovery_backoff _backoff GUARDED_BY(_recovery_mutex);
  std::map<model::topic_partition, retry_state> _retries GUARDED_BY(_recovery_mutex);
  std::atomic<std::uint64_t> _recoveries{0};
};

}  // namespace spate::storage
