'use strict'
// kafkajs's ACL admin API over SASL_PLAINTEXT (run by tests/e2e/test_acl_admin.py, not by
// `node --test`): as SASL_USER / SASL_PASSWORD (SCRAM-SHA-256) against SPATE_SASL_BOOTSTRAP, creates
// two ACLs, describes them, deletes the PREFIXED one and describes again; prints the steps' results
// as one JSON document on stdout for the Python test to check.
const {
  Kafka, logLevel, AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes,
} = require('kafkajs')

const names = acl => `${acl.resourceName}:${acl.principal}:${acl.operation}:${acl.permissionType}`

function flatten(resources) {
  const out = []
  for (const r of resources) {
    const resourceName = `${r.resourceType}:${r.resourcePatternType}:${r.resourceName}`
    for (const acl of r.acls) out.push(names({ ...acl, resourceName }))
  }
  return out.sort()
}

async function main() {
  const kafka = new Kafka({
    clientId: 'kafkajs-acl',
    brokers: [process.env.SPATE_SASL_BOOTSTRAP],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 5000,
    requestTimeout: 15000,
    sasl: { mechanism: 'scram-sha-256', username: process.env.SASL_USER, password: process.env.SASL_PASSWORD },
    retry: { retries: 0 },
  })
  const admin = kafka.admin()
  await admin.connect()
  const everything = {
    resourceType: AclResourceTypes.ANY,
    resourcePatternType: ResourcePatternTypes.ANY,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  }
  const result = {}
  try {
    await admin.createAcls({
      acl: [
        {
          resourceType: AclResourceTypes.TOPIC,
          resourceName: 'js-topic',
          resourcePatternType: ResourcePatternTypes.LITERAL,
          principal: 'User:erin',
          host: '*',
          operation: AclOperationTypes.READ,
          permissionType: AclPermissionTypes.ALLOW,
        },
        {
          resourceType: AclResourceTypes.GROUP,
          resourceName: 'js-',
          resourcePatternType: ResourcePatternTypes.PREFIXED,
          principal: 'User:erin',
          host: '*',
          operation: AclOperationTypes.READ,
          permissionType: AclPermissionTypes.DENY,
        },
      ],
    })
    result.described = flatten((await admin.describeAcls(everything)).resources)
    const prefixed = { ...everything, resourcePatternType: ResourcePatternTypes.PREFIXED }
    const deleted = await admin.deleteAcls({ filters: [prefixed] })
    result.deleted = deleted.filterResponses.map(f => ({ errorCode: f.errorCode, matching: f.matchingAcls.length }))
    result.after = flatten((await admin.describeAcls(everything)).resources)
  } catch (e) {
    result.error = e.type || e.name
  }
  await admin.disconnect()
  console.log(JSON.stringify(result))
}

main().then(() => process.exit(0), err => {
  console.error(err.stack || String(err))
  process.exit(1)
})
