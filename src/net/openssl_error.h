#pragma once
// The text of OpenSSL's oldest queued error, for one log line or message. Shared by the broker's
// TLS listeners and the CLI's TLS client, which report OpenSSL failures the same way.
#include <string>

namespace spate::net {

// Takes the oldest error off this thread's OpenSSL error queue and clears the rest; "unknown
// OpenSSL error" when the queue is empty.
std::string take_openssl_error();

}  // namespace spate::net
