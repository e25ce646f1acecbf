'use strict'
// kafkajs admin: CreateTopics with configs, DescribeConfigs, AlterConfigs, CreatePartitions,
// DeleteRecords and DeleteTopics, each checked by reading the result back.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { ConfigResourceTypes } = require('kafkajs')
const { kafka, waitUntil } = require('./helpers')

async function topicConfigs(admin, topic) {
  const res = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
  })
  assert.equal(res.resources.length, 1)
  assert.equal(res.resources[0].errorCode, 0)
  return Object.fromEntries(res.resources[0].configEntries.map(e => [e.configName, e]))
}

async function partitionCount(admin, topic) {
  const md = await admin.fetchTopicMetadata({ topics: [topic] })
  return md.topics[0].partitions.length
}

test('kafkajs admin round trip', { timeout: 90000 }, async () => {
  const k = kafka('spate-e2e-admin')
  const admin = k.admin()
  await admin.connect()
  try {
    const created = await admin.createTopics({
      topics: [{
        topic: 'js-admin', numPartitions: 2, replicationFactor: 1,
        configEntries: [{ name: 'retention.ms', value: '86400000' }, { name: 'cleanup.policy', value: 'compact' }],
      }],
    })
    assert.equal(created, true)
    assert.ok((await admin.listTopics()).includes('js-admin'))
    assert.equal(await partitionCount(admin, 'js-admin'), 2)
    // A second create of the same topic reports "not created" (TOPIC_ALREADY_EXISTS is not an error for kafkajs).
    assert.equal(await admin.createTopics({ topics: [{ topic: 'js-admin', numPartitions: 2 }] }), false)

    let configs = await topicConfigs(admin, 'js-admin')
    assert.equal(configs['retention.ms'].configValue, '86400000')
    assert.equal(configs['retention.ms'].isDefault, false)
    assert.equal(configs['cleanup.policy'].configValue, 'compact')
    assert.equal(configs['segment.bytes'].configValue, '1073741824')
    assert.equal(configs['segment.bytes'].isDefault, true)

    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: 'js-admin', configEntries: [{ name: 'retention.ms', value: '1000000' }] }],
    })
    configs = await topicConfigs(admin, 'js-admin')
    assert.equal(configs['retention.ms'].configValue, '1000000')
    // AlterConfigs replaces the whole set of overrides: cleanup.policy is back to its default.
    assert.equal(configs['cleanup.policy'].configValue, 'delete')
    assert.equal(configs['cleanup.policy'].isDefault, true)

    await admin.createPartitions({ topicPartitions: [{ topic: 'js-admin', count: 4 }] })
    assert.equal(await partitionCount(admin, 'js-admin'), 4)
    await assert.rejects(admin.createPartitions({ topicPartitions: [{ topic: 'js-admin', count: 3 }] }),
      e => e.type === 'INVALID_PARTITIONS' || /partitions/i.test(e.message))

    // DeleteRecords moves the low watermark.
    const producer = k.producer({ allowAutoTopicCreation: false })
    await producer.connect()
    await producer.send({ topic: 'js-admin', acks: -1, messages: [...Array(30).keys()].map(i => ({ partition: 3, key: `k${i}`, value: `v${i}` })) })
    await producer.disconnect()
    await admin.deleteTopicRecords({ topic: 'js-admin', partitions: [{ partition: 3, offset: '12' }] })
    const offsets = await admin.fetchTopicOffsets('js-admin')
    const p3 = offsets.find(o => o.partition === 3)
    assert.deepEqual([p3.low, p3.high], ['12', '30'])

    await admin.deleteTopics({ topics: ['js-admin'], timeout: 15000 })
    await waitUntil(async () => !(await admin.listTopics()).includes('js-admin'), 15000, 'js-admin to be deleted')
  } finally {
    await admin.disconnect()
  }
})
