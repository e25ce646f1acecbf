#pragma once
// The log of one partition: an ordered list of segments (segment.h) in `<data>/<topic>-<p>/`,
// the named offsets, group-committed durability, reads, timestamp lookup, DeleteRecords and
// retention. Kafka's UnifiedLog + LocalLog, minus replication. Knows record batches only
// (model/), nothing of Kafka requests.
//
// Named offsets (Kafka's vocabulary; each is an atomic, readable from any thread):
//   log_start_offset  first offset a reader may ask for (DeleteRecords and retention move it).
//   log_end_offset    the next offset append() assigns.
//   recovery_point    every offset below it has been fdatasync'ed; recovery validates from here.
//   high_watermark    readers' bound: on this single-broker build, the end of durable data when
//                     flush.messages == 1 (== recovery_point), else the end of written data
//                     (== log_end_offset; see log_config.h for the policy).
//   Invariant: log_start_offset <= high_watermark <= log_end_offset, recovery_point <= LEO.
//
// Threading contract:
//   - append(), delete_records(), enforce_retention(), update_config(), close() take the write
//     lock (`_write_mutex`): one writer at a time per partition. append() does not wait for an
//     fsync: it writes to the page cache (pwrite) and may create files when a segment rolls.
//   - Durability is awaited separately: on_durable(offset, cb). Callbacks run on a blocking-pool
//     thread (or inline in on_durable() when already satisfied, or in append()/close() on failure),
//     with no lock of this log held except possibly `_flush_mutex`, so they may append or read
//     but must not call flush() or close(). They must be quick: the broker posts them to its
//     event loop. Every callback is called exactly once.
//   - Group commit: at most one flush task per log is queued on the blocking pool; it syncs
//     everything appended up to the moment it starts (one fdatasync per segment touched), then
//     advances recovery_point/high_watermark and fires the callbacks it satisfied, and repeats
//     while more was appended meanwhile. Only `_flush_mutex` is held across the fdatasync.
//   - A failed write or fdatasync puts the log into the failed state: pending and later callbacks
//     get errc::io_error/log_failed and every later append fails (LevelDB's rule) until
//     recover_failed() re-opens the log in place (partition_log_recovery.cc).
//   - read() and the lookups run concurrently with appends: they snapshot the segment list under
//     `_segments_mutex` (short, no I/O) and each segment's size, and never look past max_offset.
//   - The lock order is written beside the mutexes below and checked by clang (-Wthread-safety).
//
// Files: partition_log.cc (append, roll, config, close), partition_log_load.cc,
// partition_log_group_commit.cc (flush rounds, durability waiters), partition_log_read.cc,
// partition_log_retention.cc (DeleteRecords, retention), partition_log_transactions.cc,
// partition_log_lag.cc (header walks for the lag monitor), partition_log_recovery.cc (leaving
// the failed state).
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "io/blocking_pool.h"
#include "io/clock.h"
#include "io/file.h"
#include "metrics/registry.h"
#include "storage/errc.h"
#include "storage/io_throttle.h"
#include "storage/log_cleaner.h"
#include "storage/log_config.h"
#include "storage/producer_state.h"
#include "storage/segment.h"
#include "storage/transaction_index.h"

namespace spate::storage {

using durable_callback = std::function<void(errc)>;
struct cleaning_output;  // cleaning.h

// Who writes a batch. Client batches with a producer id are checked against the producer state
// (sequence, epoch, transaction; a retried batch is recognised and not written again);
// coordinator batches (the group coordinator's transactional offset commits) only update it.
enum class append_origin : std::uint8_t { client, coordinator };

struct append_result {
  std::int64_t base_offset = -1;      // first offset assigned
  std::int64_t last_offset = -1;      // last offset assigned
  std::int64_t log_append_time = -1;  // the timestamp stamped, -1 for CreateTime logs
  std::int64_t log_start_offset = 0;
  std::int32_t batch_count = 0;
  // A client's retry of a batch already in the log (same producer, epoch and sequences): nothing
  // was written; the offsets are the original batch's.
  bool duplicate = false;
};

// Stored batches, whole, as bytes. The same bytes are described twice: as `records` (copied into
// the caller's buffer) and as a file range for sendfile(2) — the fetch path picks by measurement
// (DESIGN.md: copying through a pooled buffer measured ~3.1 GB/s against sendfile's ~1.6 GB/s on
// our VMs). `source` keeps the segment's descriptor open while the range is in use.
struct read_result {
  base::byte_span records;       // empty when there is nothing to return
  std::int64_t next_offset = 0;  // offset after the last returned batch; the start when empty
  std::shared_ptr<const segment> source;
  int fd = -1;
  std::uint64_t file_position = 0;
  std::size_t file_length = 0;
  // Snapshots taken at the start of the read.
  std::int64_t high_watermark = 0;
  std::int64_t log_start_offset = 0;
  std::int64_t log_end_offset = 0;
};

struct timestamp_offset {
  std::int64_t timestamp = -1;
  std::int64_t offset = -1;
  friend bool operator==(const timestamp_offset&, const timestamp_offset&) = default;
};

struct retention_result {
  std::size_t segments_deleted = 0;
  std::uint64_t bytes_deleted = 0;
  std::int64_t log_start_offset = 0;
};

class partition_log : public std::enable_shared_from_this<partition_log> {
 public:
  struct options {
    std::string topic;
    std::int32_t partition = 0;
    std::filesystem::path dir;  // exists already
    log_config config;
    io::file_system* fs = nullptr;
    io::clock* clock = nullptr;
    io::blocking_pool* pool = nullptr;  // runs flush tasks; outlives the log
    // Optional: each flush round's fdatasync time and the appends it made durable; outlive the log.
    metrics::histogram* fsync_seconds = nullptr;
    metrics::histogram* group_commit_batches = nullptr;
    // Of the data appended, the newest this many bytes stay in the page cache; older data is
    // written back early and dropped from the cache (trim_page_cache()). -1: the kernel decides.
    std::int64_t page_cache_keep_bytes = -1;
    // Recovery inputs (log_manager reads them from the data dir's checkpoint files):
    bool clean_shutdown = false;
    std::int64_t recovery_point = 0;    // from recovery-point-offset-checkpoint
    std::int64_t log_start_offset = 0;  // from log-start-offset-checkpoint
  };

  // Loads (or creates, when the directory has no segment) the log. Blocking (opens files; after
  // an unclean shutdown validates segments from the recovery point and truncates a torn tail);
  // run it on the blocking pool. Statistics of what loading did are in load_stats().
  static result<std::shared_ptr<partition_log>> open(options opts);
  ~partition_log();
  partition_log(const partition_log&) = delete;
  partition_log& operator=(const partition_log&) = delete;

  // Appends `batches` (one or more concatenated batches, already validated by the caller with
  // model::validate_batch) as one unit: assigns offsets from log_end_offset by rewriting each
  // base offset in place (and, for LogAppendTime logs, stamps the time and recomputes the CRC),
  // rolls the segment when needed, writes the bytes to the page cache. Errors: corrupt_batch
  // (framing), message_too_large (a batch over max.message.bytes), log_failed, io_error (the log is
  // failed from then on), shutting_down.
  result<append_result> append(std::span<std::uint8_t> batches, append_origin origin = append_origin::client);

  // Calls `cb(errc::success)` once every offset <= `offset` is below the high watermark, i.e. is
  // durable per the flush policy; `cb(io_error/log_failed)` if the log fails first, and
  // `cb(shutting_down)` if the log closes with the offset never appended. May run `cb` inline.
  void on_durable(std::int64_t offset, durable_callback cb);

  // Blocking: syncs everything appended so far (all policies) and advances the recovery point
  // (and, for sync_before_ack logs, the high watermark). For shutdown, tests, flush.ms.
  result<void> flush();
  // For page-cache logs: queues an asynchronous flush when the oldest unflushed append is
  // flush.ms old. The broker calls it periodically; cheap when nothing is due.
  void flush_if_due();

  // Whole batches from the batch containing `start_offset`, in one segment, stopping before
  // `max_offset` (a batch is returned only if its last offset < max_offset; callers pass the
  // high watermark, or the last stable offset for read_committed) and before `max_bytes` — except that the first
  // batch is returned even when larger (Kafka's rule, so consumers make progress). Copies into
  // `*buffer` (grown if needed, never shrunk: pooled buffers keep their touched pages) unless
  // `buffer` is null, in which case only the file range is filled in. A copy whose batches are all
  // empty (compaction leaves such batches) when its segment ends goes on into the next segment
  // until it holds a record; the file range then describes the first segment's part only. Empty when start_offset >=
  // max_offset or at the end. errc::offset_out_of_range when start_offset is outside
  // [log_start_offset, log_end_offset].
  result<read_result> read(std::int64_t start_offset, std::size_t max_bytes, std::int64_t max_offset,
                           base::byte_buffer* buffer) const;

  // ListOffsets by timestamp: the first record whose timestamp >= `timestamp` in a batch below
  // `max_offset` (via the time index, then the batch's records); nullopt when there is none.
  result<std::optional<timestamp_offset>> offset_for_timestamp(std::int64_t timestamp, std::int64_t max_offset) const;
  // ListOffsets MAX_TIMESTAMP: the largest timestamp in the log and the offset of the first record
  // that has it; nullopt for an empty log.
  result<std::optional<timestamp_offset>> max_timestamp() const;

  // ---- The lag monitor's reads (partition_log_lag.cc). Header walks that never decompress
  // except to find one record's timestamp; bounded by `max_batches` headers so a caller sampling
  // many partitions every few seconds can budget its I/O. Offsets below log_start_offset are not
  // read (the scan starts there). Any thread, like read().

  // The offsets of control records (transaction markers) in [from, to), walking batch headers only.
  // `scanned_to` says how far the walk got: every offset in [from, scanned_to) was looked at; it is
  // `to` when the walk completed, less when `max_batches` headers ran out first (call again from
  // there). Offsets in [from, to) beyond the log's end count as scanned (there is nothing there).
  struct control_scan {
    std::vector<std::int64_t> control_offsets;  // ascending, each in [from, scanned_to)
    std::int64_t scanned_to = 0;
    std::size_t batches_read = 0;
  };
  result<control_scan> scan_control_records(std::int64_t from, std::int64_t to, std::size_t max_batches) const;

  // The first data record (control batches are skipped) at or after `offset` and below `max_offset`:
  // its offset and timestamp (for LogAppendTime batches the batch's append time, as readers see
  // it). Reads only the header when `offset` is a CreateTime batch's base offset or the batch is
  // LogAppendTime; otherwise reads and decodes (decompressing) that one batch.
  struct data_record_lookup {
    std::optional<timestamp_offset> record;  // nullopt: no data record there (or not found in budget)
    bool complete = true;                    // false: `max_batches` ran out before an answer
  };
  result<data_record_lookup> first_data_record(std::int64_t offset, std::int64_t max_offset,
                                               std::size_t max_batches) const;

  // DeleteRecords: moves log_start_offset up to `offset` (<= high_watermark, else
  // offset_out_of_range) and deletes segments wholly below it (never the active one). The caller
  // persists the new start offset (log_manager writes log-start-offset-checkpoint). Blocking.
  result<std::int64_t> delete_records(std::int64_t offset);
  // Deletes closed segments past retention.ms (by their largest timestamp) or beyond
  // retention.bytes — only when cleanup.policy includes delete — and those wholly below
  // log_start_offset, oldest first; never the active segment. Advances log_start_offset.
  // Blocking (unlink).
  result<retention_result> enforce_retention();

  void update_config(const log_config& cfg);
  log_config config() const;

  // ---- Idempotent producers and transactions (partition_log_transactions.cc) ----
  // Producer state (producer_state.h) is checked and updated with every append under the write
  // lock, snapshotted to `<offset>.snapshot` when a segment rolls and on close(), and rebuilt at
  // open() from the newest usable snapshot plus the batches after it. Aborted transactions are
  // kept in memory and in each segment's `.txnindex`.

  // Writes a transaction marker (a control batch, Kafka's EndTransactionMarker) for
  // `producer_id` and ends its open transaction here, if it has one; an abort is added to the
  // aborted-transaction index. Errors: invalid_producer_epoch when `epoch` is below the
  // producer's, and those of append(). Durability is awaited with on_durable as for append().
  result<append_result> append_marker(std::int64_t producer_id, std::int16_t epoch, std::int32_t coordinator_epoch,
                                      bool commit);
  // The last stable offset: min(first offset of the oldest open transaction, high watermark).
  // read_committed consumers read below it.
  std::int64_t last_stable_offset() const;
  // Aborted transactions a read_committed fetch of [fetch_offset, upper_bound_offset) must report.
  std::vector<aborted_txn> aborted_transactions(std::int64_t fetch_offset, std::int64_t upper_bound_offset) const;
  // The producers with state here (DescribeProducers).
  std::vector<producer_entry> producers() const;
  // Forgets producers idle for longer than `expiration_ms` without an open transaction
  // (producer.id.expiration.ms). Returns how many.
  std::size_t expire_producers(std::int64_t expiration_ms);

  // Clean close: refuses new appends, syncs everything including the active indexes, fails
  // callbacks that can never be satisfied. Blocking. Idempotent.
  result<void> close();
  // Renames nothing; unlinks every segment file. For topic deletion after close().
  result<void> delete_all_segments();

  const std::string& topic() const { return _topic; }
  std::int32_t partition() const { return _partition; }
  const std::filesystem::path& dir() const { return _dir; }
  std::int64_t log_start_offset() const { return _log_start_offset.load(std::memory_order_acquire); }
  std::int64_t log_end_offset() const { return _log_end_offset.load(std::memory_order_acquire); }
  std::int64_t high_watermark() const { return _high_watermark.load(std::memory_order_acquire); }
  std::int64_t recovery_point() const { return _recovery_point.load(std::memory_order_acquire); }
  bool failed() const { return _failed.load(std::memory_order_acquire); }
  // Client traffic, counted by the broker's produce and fetch paths for metrics (relaxed atomics:
  // any thread, no lock). Records out count the records of the batches sent, as sent.
  struct traffic_counters {
    std::atomic<std::uint64_t> bytes_in{0};
    std::atomic<std::uint64_t> records_in{0};
    std::atomic<std::uint64_t> bytes_out{0};
    std::atomic<std::uint64_t> records_out{0};
  };
  traffic_counters& traffic() const { return _traffic; }
  std::uint64_t size_bytes() const;
  std::size_t segment_count() const;
  std::vector<std::shared_ptr<segment>> segments() const;

  struct load_statistics {
    std::size_t segments_loaded = 0;
    std::size_t segments_recovered = 0;  // validated by CRC (fully or from the recovery point)
    std::uint64_t bytes_validated = 0;
    std::uint64_t bytes_truncated = 0;
  };
  const load_statistics& load_stats() const { return _load_stats; }

  // ---- Compaction (partition_log_compaction.cc; log_cleaner.h has the rules). The cleaner reads
  // closed segments without the write lock; only the swap takes it, so appends continue during a
  // cleaning. Retention, DeleteRecords and close() are serialised with the swap by the write
  // lock: a swap whose segments were removed meanwhile is abandoned. One cleaning at a time per
  // log (`_cleaner_mutex`).

  // How dirty the log is, given the first dirty offset the cleaner recorded (0 when none). Cheap
  // (no I/O); any thread.
  cleanable_summary cleanable(std::int64_t first_dirty_offset) const EXCLUDES(_write_mutex);
  // Cleans the log once if it has a dirty part (whether or not it is due; callers check
  // cleanable().due): maps the dirty range as far as settings.dedupe_buffer_size allows, rewrites
  // the segments from the log start to there and swaps them in crash-safely. nullopt when there
  // was nothing to clean, or the swap was abandoned because retention or DeleteRecords removed
  // some of the segments meanwhile. Errors: shutting_down (closed, or abort_cleaning()),
  // log_failed, corrupt_log, invalid_config (dedupe buffer too small for one batch), io_error (a
  // failure during the swap also fails the log: open() finishes or rolls the swap back).
  // Blocking; run it on a cleaner thread, never an event loop.
  result<std::optional<cleaning_stats>> clean(std::int64_t first_dirty_offset, const cleaner_settings& settings,
                                              io_throttle& throttle) EXCLUDES(_cleaner_mutex, _write_mutex);
  // Makes a running clean() stop at its next batch with shutting_down (topic deletion, close);
  // later cleanings fail the same way. Does not wait: log_manager waits for its cleaner threads.
  void abort_cleaning() { _cleaning_aborted.store(true, std::memory_order_release); }
  // ---- Leaving the failed state without a restart (partition_log_recovery.cc) ----
  // recover_failed() loads the log again from its files, as start-up does after an unclean stop
  // (validate from the recovery point, cut a torn tail, rebuild producer state and the aborted-
  // transaction index), and swaps the result into this object, so every holder of the
  // shared_ptr keeps a working log. What was written but never made durable:
  //   - sync_before_ack logs (flush.messages=1) cut it off first: it was never acknowledged nor
  //     visible (the high watermark is the recovery point), and after a failed fdatasync its bytes
  //     cannot be trusted (the kernel may have dropped the dirty pages yet reads or syncs them as
  //     clean). A producer's retry of such a batch is then written once, as new.
  //   - page-cache logs keep whatever still validates: it was acknowledged when written and the
  //     high watermark is already past it. A retry of a kept idempotent batch is recognised as a
  //     duplicate by the rebuilt producer state.
  // Blocking (file I/O, fdatasync); run it on a background thread. Holds `_flush_mutex` throughout
  // and the write lock only for the swap, so producers meanwhile get log_failed at once.
  struct recovery_report {
    bool recovered = false;  // false: the log was not failed (nothing done)
    std::uint64_t truncated_bytes = 0;
    std::int64_t log_end_offset = 0;
    std::int64_t high_watermark_before = 0;
    std::int64_t failed_ms = 0;    // how long the log was failed
    std::int64_t duration_ms = 0;  // how long this recovery took
  };
  // Errors: the cause persists (io_error, too_many_open_files, corrupt_log: the log stays failed
  // and may be tried again), shutting_down (closed meanwhile).
  result<recovery_report> recover_failed();
  // Wall-clock time (the log's clock) the log failed; -1 when not failed.
  std::int64_t failed_at_ms() const { return _failed_at_ms.load(std::memory_order_acquire); }

 private:
  explicit partition_log(options opts);

  // ---- Loading (partition_log_load.cc). open() holds the write lock throughout: uncontended,
  // as nobody else has the log yet, and it lets the analysis check loading like any writer.
  result<void> load() REQUIRES(_write_mutex);
  // The base offsets of the directory's segments, sorted; unlinks leftovers of crashed renames,
  // deletions and rolls on the way.
  result<std::vector<std::int64_t>> list_segment_bases();
  // Opens (and, where needed, recovers) the segments; drops those after a corrupt one.
  result<std::vector<std::shared_ptr<segment>>> load_segments(std::vector<std::int64_t> bases, std::int64_t now_ms)
      REQUIRES(_write_mutex);
  // Rebuilds producer state and the aborted-transaction index after the segments loaded.
  result<void> load_producer_state(bool clean_shutdown, std::int64_t recovery_point) REQUIRES(_write_mutex);
  result<void> replay_producer_state(std::int64_t from, std::int64_t now_ms) REQUIRES(_write_mutex);

  // ---- Appending (partition_log.cc, partition_log_transactions.cc).
  // Records what a marker batch at `offset` ended (replay and append_marker).
  std::optional<aborted_txn> apply_marker(std::int64_t producer_id, std::int16_t epoch, std::int32_t coordinator_epoch,
                                          bool commit, std::int64_t offset, std::int64_t now_ms) REQUIRES(_write_mutex)
      EXCLUDES(_aborted_mutex);
  void publish_first_unstable_offset() REQUIRES(_write_mutex);
  result<void> roll(std::int64_t now_ms) REQUIRES(_write_mutex) EXCLUDES(_segments_mutex);
  // Records a snapshot file just written and deletes all but the newest two.
  void note_snapshot_written(std::int64_t offset) REQUIRES(_write_mutex);
  struct framed_batch {
    std::size_t at;
    std::uint32_t size;
    std::int32_t last_offset_delta;
  };
  // What a write leaves to do once the write lock is released (finish_append).
  struct after_write {
    bool written = false;
    bool need_flush = false;
    bool sync_before_ack = false;
    bool trim_page_cache = false;
    std::int64_t log_end_offset = 0;
    // A write error failed the log: these waiters are told io_error.
    std::multimap<std::int64_t, durable_callback> failed_waiters;
  };
  // The common write path of append() and append_marker(): assigns offsets, rolls, writes.
  result<append_result> write_locked(std::span<std::uint8_t> data, const std::vector<framed_batch>& batches,
                                     after_write& after) REQUIRES(_write_mutex);
  // After write_locked, with the write lock released: tells the waiters of a failed log, or
  // advances the high watermark of page-cache logs and schedules the flush.
  void finish_append(after_write after) EXCLUDES(_write_mutex, _waiters_mutex);
  bool should_roll(const segment& active, std::uint64_t bytes, std::int64_t last_offset, std::int64_t max_timestamp,
                   std::int64_t now_ms) const REQUIRES(_write_mutex);

  // ---- Group commit and durability waiters (partition_log_group_commit.cc).
  void schedule_flush() EXCLUDES(_waiters_mutex);
  void run_flush_task() EXCLUDES(_flush_mutex, _write_mutex, _waiters_mutex);
  result<void> flush_round() REQUIRES(_flush_mutex) EXCLUDES(_write_mutex, _waiters_mutex);
  void advance_high_watermark(std::int64_t hw) EXCLUDES(_waiters_mutex);
  // `what` names the file operation that failed, for the one log line of the failure.
  void fail(errc reason, std::string_view what) EXCLUDES(_waiters_mutex);
  // Sets the failed state; returns the waiters the caller must call (outside any lock).
  std::multimap<std::int64_t, durable_callback> mark_failed(errc reason, std::string_view what)
      EXCLUDES(_waiters_mutex);

  // ---- Page-cache footprint (partition_log_page_cache.cc).
  // On this class of machine a page cache growing into fresh memory costs more CPU than the
  // write itself (bench/RESULTS.md, 2026-12-07): appends past `page_cache_keep_bytes` from the
  // end are written back and dropped, so the cache reuses the same warm pages.
  std::uint64_t page_cache_trim_step() const;
  void schedule_page_cache_trim();
  void trim_page_cache() EXCLUDES(_write_mutex);

  // ---- Recovery (partition_log_recovery.cc).
  // Cuts every segment file back to `recovery_point` (a batch boundary): truncates the segment
  // holding it, deletes the segments after it. Returns the bytes removed.
  result<std::uint64_t> drop_undurable_tail(std::int64_t recovery_point) REQUIRES(_flush_mutex);
  // Takes over `fresh`'s segments, offsets and producer state and leaves the failed state.
  void adopt(partition_log& fresh) REQUIRES(_flush_mutex, _write_mutex) EXCLUDES(_waiters_mutex);

  // ---- Segment list (partition_log_read.cc) and deletion (partition_log_retention.cc).
  // read() into a buffer: may span segments (see the .cc); the file range describes the first.
  result<read_result> read_copy(std::int64_t start, std::size_t max_bytes, std::int64_t max_offset,
                                base::byte_buffer& buffer, read_result out) const;
  std::vector<std::shared_ptr<segment>> segments_from(std::int64_t offset) const EXCLUDES(_segments_mutex);
  void delete_segments(std::vector<std::shared_ptr<segment>> doomed);

  const std::string _topic;
  const std::int32_t _partition;
  const std::filesystem::path _dir;
  io::file_system& _fs;
  io::clock& _clock;
  io::blocking_pool& _pool;
  load_statistics _load_stats;
  const options _load_opts;

  std::atomic<std::int64_t> _log_start_offset{0};
  std::atomic<std::int64_t> _log_end_offset{0};
  std::atomic<std::int64_t> _high_watermark{0};
  std::atomic<std::int64_t> _recovery_point{0};
  std::atomic<bool> _failed{false};
  std::atomic<std::int64_t> _failed_at_ms{-1};
  mutable traffic_counters _traffic;

  // Lock order: a thread holding one of these takes only mutexes to its right:
  //   _flush_mutex -> _write_mutex -> { _segments_mutex | _aborted_mutex | _waiters_mutex }
  // The last three are leaves, held only to copy or edit their data (no I/O, no callbacks), never
  // two at once. Callbacks run with no lock of this log held except possibly _flush_mutex.

  // Serialises flush rounds; the only lock held across fdatasync.
  base::mutex _flush_mutex ACQUIRED_BEFORE(_write_mutex);

  // The write lock: appends, rolls, config, deletions. Guards the fields below until the next
  // mutex. Never held across an fsync.
  mutable base::mutex _write_mutex ACQUIRED_BEFORE(_segments_mutex, _aborted_mutex, _waiters_mutex);
  log_config _config GUARDED_BY(_write_mutex);
  std::shared_ptr<segment> _active GUARDED_BY(_write_mutex);
  // Sealed (rolled) segments whose log and indexes the next flush round must sync.
  std::vector<std::shared_ptr<segment>> _sealed_unsynced GUARDED_BY(_write_mutex);
  // A file was created since the directory was last synced.
  bool _dir_dirty GUARDED_BY(_write_mutex) = false;
  std::int64_t _first_unflushed_ms GUARDED_BY(_write_mutex) = -1;
  // Appends since the last flush round took its target (the group-commit batch size).
  std::uint64_t _unsynced_appends GUARDED_BY(_write_mutex) = 0;
  bool _closed GUARDED_BY(_write_mutex) = false;
  producer_state_table _producers GUARDED_BY(_write_mutex);
  // The offsets of the snapshot files this log wrote or loaded, ascending: a roll prunes them
  // without listing the directory (which grows with the partition's segments).
  std::vector<std::int64_t> _snapshot_offsets GUARDED_BY(_write_mutex);
  // Appended since the last page-cache trim was scheduled, and sealed segments not trimmed yet
  // (weak: retention or compaction deleting one must free its disk space at once).
  std::uint64_t _appended_since_trim GUARDED_BY(_write_mutex) = 0;
  std::vector<std::weak_ptr<segment>> _sealed_untrimmed GUARDED_BY(_write_mutex);
  std::atomic<std::uint32_t> _trim_requests{0};  // since the trim task last started a round
  // Segments (by base offset) whose .txnindex was appended to since the last flush round.
  std::vector<std::int64_t> _txn_index_unsynced GUARDED_BY(_write_mutex);

  // Written under the write lock, read anywhere: the first offset of the oldest open transaction
  // (INT64_MAX: none).
  std::atomic<std::int64_t> _first_unstable_offset{INT64_MAX};
  // The aborted-transaction list: appended under the write lock, read by fetches.
  mutable base::mutex _aborted_mutex;
  aborted_txn_list _aborted GUARDED_BY(_aborted_mutex);

  // The segment list (base offset -> segment). Held only to copy or edit the map.
  mutable base::mutex _segments_mutex;
  std::map<std::int64_t, std::shared_ptr<segment>> _segments GUARDED_BY(_segments_mutex);

  // The durability waiters, the high watermark's updates and the flush-task flags.
  base::mutex _waiters_mutex;
  std::multimap<std::int64_t, durable_callback> _waiters GUARDED_BY(_waiters_mutex);
  bool _flush_scheduled GUARDED_BY(_waiters_mutex) = false;
  bool _flush_again GUARDED_BY(_waiters_mutex) = false;

  // ---- Compaction state (partition_log_compaction.cc).
  struct cleaning_plan;
  cleaning_plan plan_cleaning(std::int64_t first_dirty_offset, std::int64_t now_ms) const REQUIRES(_write_mutex);
  // At open, before the segments are listed: `.cleaned` files mean the swap was not decided (all
  // `.cleaned` and `.swap` files go); `.swap` files alone mean it was: the originals each covers
  // are deleted and the `.swap` files take their final names.
  result<void> finish_interrupted_cleaning() REQUIRES(_write_mutex);
  // The swap, under the write lock; false when the segment list changed and the round is abandoned.
  result<bool> swap_cleaned(cleaning_output& out) REQUIRES(_write_mutex);
  // Held for a whole clean(); before the write lock.
  base::mutex _cleaner_mutex ACQUIRED_BEFORE(_write_mutex);
  std::atomic<bool> _cleaning_aborted{false};
};

}  // namespace spate::storage
