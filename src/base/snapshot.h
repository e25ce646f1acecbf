#pragma once
// An immutable value that readers on any thread load and a writer replaces as a whole: readers
// get a shared_ptr to the version current at load() and keep it as long as they like; store()
// publishes a new one without waiting for them.
//
// A mutex held only to copy or swap the pointer, not std::atomic<std::shared_ptr>: libstdc++ 12
// implements that with a lock bit ThreadSanitizer cannot see (it reported a data race in the
// swap), and an uncontended lock costs about what the atomic's spin does.
#include <memory>
#include <utility>

#include "base/mutex.h"

namespace spate::base {

template <typename T>
class snapshot {
 public:
  explicit snapshot(std::shared_ptr<const T> initial = std::make_shared<const T>()) : _current(std::move(initial)) {}
  snapshot(const snapshot&) = delete;
  snapshot& operator=(const snapshot&) = delete;

  std::shared_ptr<const T> load() const {
    mutex_lock lock(_mutex);
    return _current;
  }
  void store(std::shared_ptr<const T> next) {
    mutex_lock lock(_mutex);
    _current.swap(next);  // the old version is released after the lock, by `next`
  }

 private:
  mutable mutex _mutex;
  std::shared_ptr<const T> _current GUARDED_BY(_mutex);
};

}  // namespace spate::base
