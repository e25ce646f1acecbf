#include <gtest/gtest.h>

#include "broker/handlers/find_coordinator.h"
#include "broker_test_support.h"
#include "protocol/error_code.h"

namespace spate::broker {
namespace {

using namespace testing;
using protocol::find_coordinator_request;
using protocol::find_coordinator_response;

TEST(find_coordinator, every_version_names_this_broker_for_a_group) {
  test_broker services;
  for (std::int16_t v = find_coordinator_handler::min_version; v <= find_coordinator_handler::max_version; ++v) {
    SCOPED_TRACE(v);
    find_coordinator_request request;
    request.key_type = 0;
    if (v < 4) {
      request.key_value = "my-group";
    } else {
      request.coordinator_keys = {"g1", "g2"};
    }
    const auto response = read_response<find_coordinator_response>(*dispatch(services, request_frame(request, v)), v);
    if (v < 4) {
      EXPECT_EQ(response.error_code, 0);
      EXPECT_EQ(response.node_id, 7);
      EXPECT_EQ(response.host, "broker.test");
      EXPECT_EQ(response.port, 19092);
    } else {
      ASSERT_EQ(response.coordinators.size(), 2u);
      EXPECT_EQ(response.coordinators[1].key, "g2");
      EXPECT_EQ(response.coordinators[1].node_id, 7);
      EXPECT_EQ(response.coordinators[1].port, 19092);
    }
  }
}

TEST(find_coordinator, transactional_ids_are_coordinated_by_this_broker) {
  test_broker services;
  find_coordinator_request request;
  request.key_type = 1;
  request.key_value = "tx";
  const auto response = read_response<find_coordinator_response>(*dispatch(services, request_frame(request, 3)), 3);
  EXPECT_EQ(response.error_code, 0);
  EXPECT_EQ(response.node_id, 7);
  EXPECT_EQ(response.port, 19092);
}

TEST(find_coordinator, an_unknown_key_type_is_an_invalid_request) {
  test_broker services;
  find_coordinator_request request;
  request.key_type = 5;
  request.key_value = "x";
  const auto response = read_response<find_coordinator_response>(*dispatch(services, request_frame(request, 3)), 3);
  EXPECT_EQ(response.error_code, static_cast<std::int16_t>(protocol::error_code::invalid_request));
}

}  // namespace
}  // namespace spate::broker
