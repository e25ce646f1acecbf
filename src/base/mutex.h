#pragma once
// Mutexes and scoped locks that clang's thread-safety analysis understands
// (base/thread_annotations.h): thin wrappers over std::mutex and std::shared_mutex, which
// libstdc++ does not annotate. Same cost and semantics as the std types.
//
//   base::mutex m;                int x GUARDED_BY(m);
//   { base::mutex_lock l(m); ++x; }             // scoped, like std::lock_guard / unique_lock
//   base::shared_mutex s;  base::reader_lock r(s);  base::writer_lock w(s);
//
// mutex_lock can be released early with unlock() (the analysis follows it). Both mutexes have
// lock()/unlock(), so std::condition_variable_any waits on them directly.
#include <mutex>
#include <shared_mutex>

#include "base/thread_annotations.h"

namespace spate::base {

class CAPABILITY("mutex") mutex {
 public:
  mutex() = default;
  mutex(const mutex&) = delete;
  mutex& operator=(const mutex&) = delete;

  void lock() ACQUIRE() { _m.lock(); }
  void unlock() RELEASE() { _m.unlock(); }
  bool try_lock() TRY_ACQUIRE(true) { return _m.try_lock(); }

 private:
  std::mutex _m;
};

class CAPABILITY("shared_mutex") shared_mutex {
 public:
  shared_mutex() = default;
  shared_mutex(const shared_mutex&) = delete;
  shared_mutex& operator=(const shared_mutex&) = delete;

  void lock() ACQUIRE() { _m.lock(); }
  void unlock() RELEASE() { _m.unlock(); }
  void lock_shared() ACQUIRE_SHARED() { _m.lock_shared(); }
  void unlock_shared() RELEASE_SHARED() { _m.unlock_shared(); }

 private:
  std::shared_mutex _m;
};

// Holds `m` from construction until destruction or unlock(), whichever comes first.
class SCOPED_CAPABILITY mutex_lock {
 public:
  explicit mutex_lock(mutex& m) ACQUIRE(m) : _m(m) { _m.lock(); }
  ~mutex_lock() RELEASE() {
    if (_held) _m.unlock();
  }
  mutex_lock(const mutex_lock&) = delete;
  mutex_lock& operator=(const mutex_lock&) = delete;

  void unlock() RELEASE() {
    _held = false;
    _m.unlock();
  }

 private:
  mutex& _m;
  bool _held = true;
};

// Exclusive hold of a shared_mutex for the scope.
class SCOPED_CAPABILITY writer_lock {
 public:
  explicit writer_lock(shared_mutex& m) ACQUIRE(m) : _m(m) { _m.lock(); }
  ~writer_lock() RELEASE() { _m.unlock(); }
  writer_lock(const writer_lock&) = delete;
  writer_lock& operator=(const writer_lock&) = delete;

 private:
  shared_mutex& _m;
};

// Shared (reader) hold of a shared_mutex for the scope.
class SCOPED_CAPABILITY reader_lock {
 public:
  explicit reader_lock(shared_mutex& m) ACQUIRE_SHARED(m) : _m(m) { _m.lock_shared(); }
  ~reader_lock() RELEASE() { _m.unlock_shared(); }
  reader_lock(const reader_lock&) = delete;
  reader_lock& operator=(const reader_lock&) = delete;

 private:
  shared_mutex& _m;
};

}  // namespace spate::base
