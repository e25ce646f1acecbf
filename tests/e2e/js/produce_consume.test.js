'use strict'
// kafkajs producer (acks=-1, plain and gzip batches, keys, headers, explicit timestamps) and reads
// with kafkajs's Fetch; ListOffsets through the admin client (earliest, latest, by timestamp).
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { CompressionTypes } = require('kafkajs')
const { kafka, readPartitions } = require('./helpers')

const T0 = 1700000000000

test('kafkajs produce and read back byte-exact, offsets dense from 0', { timeout: 90000 }, async () => {
  const k = kafka('spate-e2e-produce')
  const admin = k.admin()
  await admin.connect()
  const producer = k.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  try {
    assert.equal(await admin.createTopics({ topics: [{ topic: 'js-data', numPartitions: 3 }] }), true)
    const sent = { 0: [], 1: [], 2: [] }
    let n = 0
    for (const compression of [CompressionTypes.None, CompressionTypes.GZIP]) {
      for (let batch = 0; batch < 10; batch++) {
        const messages = []
        for (let i = 0; i < 100; i++, n++) {
          const partition = n % 3
          const m = {
            partition,
            key: `key-${n}`,
            value: Buffer.from(`value-${n}-`.repeat(1 + (n % 13))),
            headers: { seq: String(n), kind: compression === CompressionTypes.None ? 'plain' : 'gzip' },
            timestamp: String(T0 + n),
          }
          messages.push(m)
          sent[partition].push(m)
        }
        const res = await producer.send({ topic: 'js-data', acks: -1, compression, messages })
        for (const r of res) assert.equal(r.errorCode, 0)
      }
    }
    const ends = { 0: sent[0].length, 1: sent[1].length, 2: sent[2].length }
    const got = await readPartitions(k, 'js-data', ends)
    for (const p of [0, 1, 2]) {
      assert.deepEqual(got[p].map(m => Number(m.offset)), [...Array(ends[p]).keys()], `partition ${p} offsets`)
      assert.deepEqual(
        got[p].map(m => [m.key.toString(), m.value.toString('base64'), m.headers.seq.toString(), m.headers.kind.toString(), m.timestamp]),
        sent[p].map(m => [m.key, m.value.toString('base64'), m.headers.seq, m.headers.kind, m.timestamp]),
        `partition ${p} records`)
    }

    const offsets = await admin.fetchTopicOffsets('js-data')
    assert.deepEqual(
      offsets.map(o => [o.partition, o.low, o.high]).sort((a, b) => a[0] - b[0]),
      [0, 1, 2].map(p => [p, '0', String(ends[p])]))
    // Partition p holds n = 3*i + p at offset i with timestamp T0 + n: the first record with
    // timestamp >= T0 + 1500 is n = 1500 (p 0, offset 500), 1501 (p 1, 500), 1502 (p 2, 500).
    const byTime = await admin.fetchTopicOffsetsByTimestamp('js-data', T0 + 1500)
    assert.deepEqual(byTime.map(o => [o.partition, o.offset]).sort((a, b) => a[0] - b[0]),
      [[0, '500'], [1, '500'], [2, '500']])
    const beforeAll = await admin.fetchTopicOffsetsByTimestamp('js-data', T0 - 1)
    assert.deepEqual(beforeAll.map(o => o.offset), ['0', '0', '0'])
  } finally {
    await producer.disconnect()
    await admin.disconnect()
  }
})

test('kafkajs produce to a topic that does not exist fails (auto-creation disabled)', { timeout: 60000 }, async () => {
  const k = kafka('spate-e2e-unknown')
  const producer = k.producer({ allowAutoTopicCreation: false, retry: { retries: 1, initialRetryTime: 50 } })
  await producer.connect()
  try {
    await assert.rejects(producer.send({ topic: 'js-absent', acks: -1, messages: [{ value: 'x' }] }),
      e => /does not host this topic-partition|UNKNOWN_TOPIC_OR_PARTITION|topic/i.test(String(e.message) + String(e.type)))
  } finally {
    await producer.disconnect()
  }
})
