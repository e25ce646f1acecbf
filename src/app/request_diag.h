#pragma once
// /v1/diag's request diagnostics (slowest request kinds, errors by kind) read from the broker's
// request metrics, named with Kafka's API and error names.
#include <memory>

#include "admin/diag_source.h"

namespace spate::metrics {
class request_metrics;
}

namespace spate::app {

// `requests` must outlive the returned source.
std::shared_ptr<const admin::diag_source> request_diag_source(const metrics::request_metrics& requests);

}  // namespace spate::app
