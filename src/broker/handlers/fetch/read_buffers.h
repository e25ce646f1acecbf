#pragma once
// Fetch's read buffers, reused across fetches so that a read neither allocates nor zero-fills
// (std::vector value-initialises what it grows by; a buffer that kept its size from an earlier read
// is overwritten instead). A response splices its records from the buffer by reference
// (protocol::records::share), so a buffer comes back only when the last reference goes: after
// net/ has written that response.
//
// Thread-safe: fetches on every event loop take and return buffers.
#include <memory>

#include "base/bytes.h"

namespace spate::broker::fetch {

// A buffer for one partition's read: a returned one when there is one (its old bytes are
// overwritten by the read), else an empty one.
std::shared_ptr<base::byte_buffer> take_read_buffer();

}  // namespace spate::broker::fetch
