'use strict'
// kafkajs exactly-once: an idempotent producer's batches land exactly once and in order; a
// transactional producer commits one transaction and aborts another, and consumers with
// readUncommitted false/true see the committed records only / everything; offsets sent inside a
// transaction (sendOffsets) become the group's committed offsets on commit and are discarded on abort.
// Run by tests/e2e/test_kafkajs.py against a fresh broker with auto-creation disabled.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { kafka, readPartitions, waitUntil } = require('./helpers')

async function createTopic(admin, topic, numPartitions) {
  const created = await admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor: 1 }], waitForLeaders: true })
  assert.equal(created, true, `topic ${topic} created`)
}

async function highWatermarks(admin, topic) {
  const out = {}
  for (const o of await admin.fetchTopicOffsets(topic)) out[o.partition] = Number(o.high)
  return out
}

test('kafkajs idempotent producer: batches stored exactly once, in order per key', { timeout: 60000 }, async () => {
  const k = kafka('spate-e2e-idempotent')
  const admin = k.admin()
  await admin.connect()
  const producer = k.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false })
  try {
    const topic = 'js-idempotent'
    await createTopic(admin, topic, 2)
    await producer.connect()
    const BATCHES = 20
    const PER_BATCH = 250
    const KEYS = 10
    let seq = 0
    for (let b = 0; b < BATCHES; b++) {
      const messages = []
      for (let i = 0; i < PER_BATCH; i++, seq++) messages.push({ key: `k${seq % KEYS}`, value: String(seq) })
      const res = await producer.send({ topic, acks: -1, messages })
      for (const r of res) assert.equal(r.errorCode, 0)
    }
    const total = BATCHES * PER_BATCH
    const ends = await highWatermarks(admin, topic)
    assert.equal(Object.values(ends).reduce((a, b) => a + b, 0), total, 'one stored record per record sent')
    const got = await readPartitions(k, topic, ends)
    const seen = new Map()
    const byKey = new Map()
    for (const [p, msgs] of Object.entries(got)) {
      assert.deepEqual(msgs.map(m => Number(m.offset)), [...Array(ends[p]).keys()], `partition ${p} dense from 0`)
      for (const m of msgs) {
        const s = Number(m.value.toString())
        seen.set(s, (seen.get(s) || 0) + 1)
        const key = m.key.toString()
        if (!byKey.has(key)) byKey.set(key, { partition: p, seqs: [] })
        assert.equal(byKey.get(key).partition, p, `key ${key} in one partition`)
        byKey.get(key).seqs.push(s)
      }
    }
    const dups = [...seen].filter(([, n]) => n > 1).map(([s]) => s)
    assert.deepEqual(dups, [], 'no sequence number stored twice')
    assert.equal(seen.size, total, 'every sequence number stored')
    for (const [key, { seqs }] of byKey) {
      assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), `records of ${key} in send order`)
    }
  } finally {
    await producer.disconnect()
    await admin.disconnect()
  }
})

// Starts a group consumer of `topic` from the beginning and collects [partition, value] pairs.
async function collect(k, groupId, topic, readUncommitted, got) {
  const consumer = k.consumer({
    groupId, readUncommitted, maxWaitTimeInMs: 100, sessionTimeout: 6000, heartbeatInterval: 500,
    allowAutoTopicCreation: false,
  })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  await consumer.run({ eachMessage: async ({ partition, message }) => { got.push([partition, message.value.toString()]) } })
  return consumer
}

test('kafkajs transactions: commit and abort; readUncommitted false sees only committed records', { timeout: 60000 }, async () => {
  const k = kafka('spate-e2e-transactions')
  const admin = k.admin()
  await admin.connect()
  const topic = 'js-txn'
  const PARTITIONS = 2
  const producer = k.producer({ transactionalId: 'js-txn-producer', idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false })
  const plain = k.producer({ allowAutoTopicCreation: false })
  const consumers = []
  try {
    await createTopic(admin, topic, PARTITIONS)
    await producer.connect()
    await plain.connect()
    const records = (prefix, n) => [...Array(n).keys()].map(i => ({ partition: i % PARTITIONS, value: `${prefix}${i}` }))
    const committed = records('committed-', 10)
    const aborted = records('aborted-', 6)

    const first = await producer.transaction()
    await first.send({ topic, messages: committed })
    await first.commit()
    const second = await producer.transaction()
    await second.send({ topic, messages: aborted })
    await second.abort()
    // A last plain record per partition tells the consumers they have read past both transactions.
    const ends = records('end-', PARTITIONS)
    await plain.send({ topic, acks: -1, messages: ends })

    // Records, plus one control marker per ended transaction and partition, take offsets.
    const hw = await highWatermarks(admin, topic)
    assert.equal(Object.values(hw).reduce((a, b) => a + b, 0), committed.length + aborted.length + ends.length + 2 * PARTITIONS)

    const readCommitted = []
    const readAll = []
    consumers.push(await collect(k, 'js-txn-read-committed', topic, false, readCommitted))
    consumers.push(await collect(k, 'js-txn-read-uncommitted', topic, true, readAll))
    const sawEnds = got => got.filter(([, v]) => v.startsWith('end-')).length === PARTITIONS
    await waitUntil(() => sawEnds(readCommitted) && sawEnds(readAll), 40000, 'both consumers to reach the end records')

    const inPartition = (list, p) => list.filter(m => m.partition === p).map(m => m.value)
    for (let p = 0; p < PARTITIONS; p++) {
      const seen = got => got.filter(([q]) => q === p).map(([, v]) => v)
      assert.deepEqual(seen(readCommitted), [...inPartition(committed, p), ...inPartition(ends, p)],
        `partition ${p}: read_committed sees the committed transaction and the end record only`)
      assert.deepEqual(seen(readAll), [...inPartition(committed, p), ...inPartition(aborted, p), ...inPartition(ends, p)],
        `partition ${p}: read_uncommitted sees everything`)
    }
  } finally {
    for (const c of consumers) await c.disconnect()
    await producer.disconnect()
    await plain.disconnect()
    await admin.disconnect()
  }
})

test('kafkajs transaction.sendOffsets commits the group offsets with the transaction', { timeout: 60000 }, async () => {
  const k = kafka('spate-e2e-txn-offsets')
  const admin = k.admin()
  await admin.connect()
  const input = 'js-txn-in'
  const output = 'js-txn-out'
  const groupId = 'js-txn-offsets-group'
  const producer = k.producer({ transactionalId: 'js-txn-offsets', idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false })
  try {
    await createTopic(admin, input, 2)
    await createTopic(admin, output, 1)
    await producer.connect()
    const committedOffsets = async () => {
      const [res] = await admin.fetchOffsets({ groupId, topics: [input] })
      assert.equal(res.topic, input)
      const out = {}
      for (const p of res.partitions) out[p.partition] = Number(p.offset)
      return out
    }
    const offsets = (o0, o1) => [{ topic: input, partitions: [{ partition: 0, offset: String(o0) }, { partition: 1, offset: String(o1) }] }]

    const txn = await producer.transaction()
    await txn.send({ topic: output, messages: [{ value: 'out-1' }] })
    await txn.sendOffsets({ consumerGroupId: groupId, topics: offsets(7, 3) })
    await txn.commit()
    await waitUntil(async () => {
      const c = await committedOffsets()
      return c[0] === 7 && c[1] === 3
    }, 15000, 'the committed transaction\'s offsets')

    const aborted = await producer.transaction()
    await aborted.send({ topic: output, messages: [{ value: 'out-2' }] })
    await aborted.sendOffsets({ consumerGroupId: groupId, topics: offsets(9, 5) })
    await aborted.abort()
    // Offsets of a transaction are invisible until it commits, so they never show up here.
    assert.deepEqual(await committedOffsets(), { 0: 7, 1: 3 })

    // The next transaction commits partition 0 only: partition 1 must still hold the offset of the
    // first commit, not the aborted one. EndTxn answers once the abort is decided; until its markers
    // are written the coordinator refuses the next transaction's AddOffsetsToTxn with
    // CONCURRENT_TRANSACTIONS, which the Java client retries and kafkajs leaves to us.
    const next = await producer.transaction()
    const sendOffsets = () => next.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: input, partitions: [{ partition: 0, offset: '11' }] }] })
    const started = Date.now()
    let refusals = 0
    for (;;) {
      try {
        await sendOffsets()
        break
      } catch (e) {
        if (e.type !== 'CONCURRENT_TRANSACTIONS' || Date.now() - started > 10000) throw e
        refusals++
        await new Promise(resolve => setTimeout(resolve, 20)) // retry backoff, as a client would
      }
    }
    console.log(`AddOffsetsToTxn after the abort: ${refusals} CONCURRENT_TRANSACTIONS refusals over ${Date.now() - started} ms`)
    await next.commit()
    await waitUntil(async () => (await committedOffsets())[0] === 11, 15000, 'the second committed transaction\'s offsets')
    assert.deepEqual(await committedOffsets(), { 0: 11, 1: 3 })
  } finally {
    await producer.disconnect()
    await admin.disconnect()
  }
})
