#pragma once
// result<T, E>: a value or an error, for expected failures (std::expected is not in g++12's C++20).
// Each module defines its own `errc` enum and returns `result<T, errc>`; callers test
// `has_value()` (or `if (r)`) before `value()`. Taking the value of an error, or the error of a
// value, is a bug and aborts (SPATE_ASSERT). Not thread-safe beyond what T and E are.
//
//   base::result<int, errc> parse(...) { if (bad) return base::failure(errc::corrupt); return 42; }
#include <type_traits>
#include <utility>
#include <variant>

#include "base/assert.h"

namespace spate::base {

// Wraps an error so that result<T, E> can be built from it even when T and E convert to each
// other. Build one with failure(e).
template <typename E>
struct failure_t {
  E error;
};
template <typename E>
failure_t<std::decay_t<E>> failure(E&& e) {
  return failure_t<std::decay_t<E>>{std::forward<E>(e)};
}

template <typename T, typename E>
class [[nodiscard]] result {
 public:
  using value_type = T;
  using error_type = E;

  template <typename U = T,
            typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                        !std::is_same_v<std::decay_t<U>, result> &&
                                        !std::is_same_v<std::decay_t<U>, failure_t<E>>>>
  result(U&& v) : _v(std::in_place_index<0>, std::forward<U>(v)) {}  // NOLINT: implicit by design
  result(failure_t<E> f) : _v(std::in_place_index<1>, std::move(f.error)) {}  // NOLINT

  bool has_value() const { return _v.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    SPATE_ASSERT(has_value(), "value() of an error result");
    return std::get<0>(_v);
  }
  const T& value() const& {
    SPATE_ASSERT(has_value(), "value() of an error result");
    return std::get<0>(_v);
  }
  T&& value() && {
    SPATE_ASSERT(has_value(), "value() of an error result");
    return std::get<0>(std::move(_v));
  }
  const E& error() const {
    SPATE_ASSERT(!has_value(), "error() of a successful result");
    return std::get<1>(_v);
  }
  template <typename U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(_v) : static_cast<T>(std::forward<U>(fallback));
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, E> _v;
};

// result<void, E>: success carries nothing. Default-constructed means success.
template <typename E>
class [[nodiscard]] result<void, E> {
 public:
  using value_type = void;
  using error_type = E;

  result() = default;
  result(failure_t<E> f) : _failed(true), _error(std::move(f.error)) {}  // NOLINT

  bool has_value() const { return !_failed; }
  explicit operator bool() const { return has_value(); }
  void value() const { SPATE_ASSERT(has_value(), "value() of an error result"); }
  const E& error() const {
    SPATE_ASSERT(_failed, "error() of a successful result");
    return _error;
  }

 private:
  bool _failed = false;
  E _error{};
};

}  // namespace spate::base
