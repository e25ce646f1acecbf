#pragma once
// Where Kafka places a coordinator key (a group id on __consumer_offsets, a transactional id on
// __transaction_state): Utils.abs(key.hashCode()) % partitionCount, with Java's String.hashCode.
// The same formula must hold on every broker of a cluster, so it is Kafka's exactly.
#include <cstdint>
#include <string_view>

namespace spate::protocol {

// Java's String.hashCode() of the string Kafka decodes from these UTF-8 bytes: the UTF-16 code
// units (supplementary characters as surrogate pairs) folded as h = 31 * h + unit in int32
// arithmetic. Malformed UTF-8 becomes U+FFFD exactly where Java's `new String(bytes, UTF_8)`
// (JDK 17) puts replacement characters, so even such keys hash as on a Kafka broker.
std::int32_t java_string_hash(std::string_view utf8);

// Utils.abs(java_string_hash(key)) % partition_count, where Utils.abs maps Integer.MIN_VALUE to 0
// and is Math.abs otherwise. Precondition (asserted): partition_count > 0.
std::int32_t coordinator_partition(std::string_view key, std::int32_t partition_count);

}  // namespace spate::protocol
