#pragma once
// Base64 (RFC 4648 section 4, the standard alphabet with '=' padding), as SCRAM messages and the
// credential file carry salts, keys and proofs. The decoder is strict: no whitespace, no missing
// or extra padding, no non-zero bits after the last byte; so one byte string has one encoding and
// a corrupted value is refused rather than silently read differently. Pure, thread-safe.
#include <optional>
#include <string>
#include <string_view>

namespace spate::security {

std::string base64_encode(std::string_view bytes);
// nullopt for anything that is not canonical base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace spate::security
