#pragma once
// An encoded message whose large payloads are not copied into it: the encoded bytes, with pieces
// of memory owned elsewhere (a fetch's read buffers) spliced in at recorded positions. net/ sends
// the pieces with one gather write (writev); code that needs one contiguous buffer flattens it.
//
// A plain byte_buffer converts to a spliced_buffer without splices, so most messages never know.
// Not thread-safe; owned by one response on its way to one socket.
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "base/bytes.h"

namespace spate::base {

struct splice {
  std::size_t at = 0;  // position in `bytes` the piece goes before
  byte_span data;
  std::shared_ptr<const void> owner;  // keeps `data` alive until the message is sent
};

struct spliced_buffer {
  spliced_buffer() = default;
  // NOLINTNEXTLINE(google-explicit-constructor): a plain message is a spliced one without splices.
  spliced_buffer(byte_buffer encoded) : bytes(std::move(encoded)) {}

  byte_buffer bytes;
  std::vector<splice> splices;  // by increasing `at`, each at most bytes.size()

  std::size_t size() const {
    std::size_t n = bytes.size();
    for (const auto& s : splices) n += s.data.size();
    return n;
  }

  // Calls f(byte_span) for each piece in send order (empty pieces skipped).
  template <typename F>
  void for_each_piece(F&& f) const {
    std::size_t from = 0;
    for (const auto& s : splices) {
      if (s.at > from) f(byte_span(bytes.data() + from, s.at - from));
      if (!s.data.empty()) f(s.data);
      from = s.at;
    }
    if (bytes.size() > from) f(byte_span(bytes.data() + from, bytes.size() - from));
  }

  byte_buffer flatten() const {
    if (splices.empty()) return bytes;
    byte_buffer out;
    out.reserve(size());
    for_each_piece([&out](byte_span piece) { out.insert(out.end(), piece.begin(), piece.end()); });
    return out;
  }
};

}  // namespace spate::base
