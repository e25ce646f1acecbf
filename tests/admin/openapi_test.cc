#include "admin/openapi.h"

#include <set>

#include <gtest/gtest.h>

namespace spate::admin {
namespace {

TEST(openapi, every_route_is_an_operation_with_its_path_params_and_an_error_response) {
  route_table table;
  auto ok = sync_handler([](http_request&) { return http_response{}; });
  table.add(
      {"GET", "/v1/groups/{group}", "describe a group", {{"responses", {{"200", {{"description", "Group"}}}}}}, ok});
  table.add({"DELETE", "/v1/groups/{group}", "delete a group", {}, ok});
  table.add({"GET", "/v1/status", "status", {}, ok});
  const auto doc = openapi_document(table, "9.9.9");
  EXPECT_EQ(doc["openapi"], "3.0.3");
  EXPECT_EQ(doc["info"]["version"], "9.9.9");
  ASSERT_EQ(doc["paths"].size(), 2u);
  const auto& get = doc["paths"]["/v1/groups/{group}"]["get"];
  EXPECT_EQ(get["summary"], "describe a group");
  ASSERT_EQ(get["parameters"].size(), 1u);
  EXPECT_EQ(get["parameters"][0]["name"], "group");
  EXPECT_EQ(get["parameters"][0]["in"], "path");
  EXPECT_EQ(get["parameters"][0]["required"], true);
  EXPECT_EQ(get["responses"]["200"]["description"], "Group");
  EXPECT_EQ(get["responses"]["default"]["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/Error");
  // A route without a responses fragment still gets one (OpenAPI requires it).
  EXPECT_TRUE(doc["paths"]["/v1/groups/{group}"]["delete"]["responses"].contains("200"));
  EXPECT_FALSE(doc["paths"]["/v1/status"]["get"].contains("parameters"));
  std::set<std::string> ids;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) EXPECT_TRUE(ids.insert(op["operationId"].get<std::string>()).second);
  }
  EXPECT_TRUE(doc["components"]["schemas"].contains("Error"));
}

}  // namespace
}  // namespace spate::admin
