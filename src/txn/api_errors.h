#pragma once
// The error codes the transaction coordinator returns are those of the newest Kafka
// (PRODUCER_FENCED for a fenced producer, KIP-588). Older request versions predate some of them;
// a handler passes the coordinator's code through response_error() before putting it in a
// response. The rules (Kafka's KafkaApis):
//
//   API                 versions  rule
//   InitProducerId      < 4       PRODUCER_FENCED -> INVALID_PRODUCER_EPOCH
//   AddPartitionsToTxn  < 2       PRODUCER_FENCED -> INVALID_PRODUCER_EPOCH (every partition)
//   AddOffsetsToTxn     < 2       PRODUCER_FENCED -> INVALID_PRODUCER_EPOCH
//   EndTxn              < 2       PRODUCER_FENCED -> INVALID_PRODUCER_EPOCH
//   TxnOffsetCommit     all       PRODUCER_FENCED -> INVALID_PRODUCER_EPOCH (KIP-588 gave
//                                 TxnOffsetCommit no PRODUCER_FENCED in any version: a stale
//                                 epoch there is the log's INVALID_PRODUCER_EPOCH)
//   TxnOffsetCommit     < 2       COORDINATOR_LOAD_IN_PROGRESS -> COORDINATOR_NOT_AVAILABLE
//                                 (clients before 2.0 could crash on the loading error)
//
// TRANSACTION_ABORTABLE (InitProducerId v5, AddPartitionsToTxn v5, AddOffsetsToTxn v4, EndTxn v4,
// TxnOffsetCommit v4; KIP-890) is never returned by this coordinator, so it needs no rule.
//
// Pure functions, thread-safe.
#include <cstdint>
#include <vector>

#include "protocol/api_key.h"
#include "protocol/error_code.h"

namespace spate::txn {

// `e` as a response of `api` at `version` must carry it. Codes and APIs without a rule pass
// through unchanged.
protocol::error_code response_error(protocol::api_key api, std::int16_t version, protocol::error_code e);

// AddPartitionsToTxn when the broker's own checks fail for some partitions (unknown topic,
// TOPIC_AUTHORIZATION_FAILED) before the coordinator is asked: as Kafka, the request is not sent
// to the coordinator, the failing partitions keep their error and every other partition gets
// OPERATION_NOT_ATTEMPTED. `precheck` holds one code per partition, NONE for those that passed.
std::vector<protocol::error_code> not_attempted_except_failed(std::vector<protocol::error_code> precheck);

}  // namespace spate::txn
