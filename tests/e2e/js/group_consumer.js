'use strict'
// kafkajs consumer groups: two consumers share a topic and auto-commit; the admin client sees the
// group (listGroups, describeGroups with decodable assignments, fetchOffsets); a later consumer with
// manual commits resumes at the committed offsets; deleteGroups refuses an active group and removes
// an empty one. Run by tests/e2e/test_consumer_groups.py (test_kafkajs_consumer_group) against a
// broker with group.initial.rebalance.delay.ms=0; it is not a *.test.js file, so test_kafkajs.py
// (whose broker keeps Kafka's default 3 s initial rebalance delay) does not pick it up.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { AssignerProtocol } = require('kafkajs')
const { kafka, waitUntil } = require('./helpers')

const TOPIC = 'js-group-topic'
const PARTITIONS = 4
const PER_PARTITION = 40

function groupConsumer(k, groupId) {
  return k.consumer({
    groupId,
    sessionTimeout: 6000,
    rebalanceTimeout: 10000,
    heartbeatInterval: 500,
    maxWaitTimeInMs: 100,
    allowAutoTopicCreation: false,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
  })
}

// Starts a consumer that records every message as [partition, offset, key, value].
async function startConsumer(k, groupId, got, runOptions = {}) {
  const consumer = groupConsumer(k, groupId)
  await consumer.connect()
  await consumer.subscribe({ topics: [TOPIC], fromBeginning: true })
  await consumer.run({
    ...runOptions,
    eachMessage: async ({ partition, message }) => {
      got.push([partition, Number(message.offset), message.key.toString(), message.value.toString()])
    },
  })
  return consumer
}

async function committed(admin, groupId) {
  const [res] = await admin.fetchOffsets({ groupId, topics: [TOPIC] })
  assert.equal(res.topic, TOPIC)
  const out = {}
  for (const p of res.partitions) out[p.partition] = Number(p.offset)
  return out
}

async function describe(admin, groupId) {
  const { groups } = await admin.describeGroups([groupId])
  assert.equal(groups.length, 1)
  return groups[0]
}

function expected(from, to) {
  const out = []
  for (let p = 0; p < PARTITIONS; p++) {
    for (let o = from; o < to; o++) out.push([p, o, `k-${p}-${o}`, `v-${p}-${o}`])
  }
  return out
}

const byPartitionOffset = (a, b) => a[0] - b[0] || a[1] - b[1]

async function produceRange(producer, from, to) {
  for (let p = 0; p < PARTITIONS; p++) {
    const messages = []
    for (let o = from; o < to; o++) messages.push({ partition: p, key: `k-${p}-${o}`, value: `v-${p}-${o}` })
    const res = await producer.send({ topic: TOPIC, acks: -1, messages })
    assert.equal(res[0].errorCode, 0)
    assert.equal(res[0].baseOffset, String(from), 'records land at the expected offsets')
  }
}

test('kafkajs consumer group: consume, commit, describe, resume, delete', { timeout: 150000 }, async () => {
  const k = kafka('spate-e2e-group')
  const admin = k.admin()
  await admin.connect()
  const producer = k.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  const consumers = []
  try {
    assert.equal(await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] }), true)
    await produceRange(producer, 0, PER_PARTITION)
    const groupId = 'js-group'
    const all = PARTITIONS * PER_PARTITION

    // Two members share the partitions; auto-commit after every batch.
    const got = [[], []]
    consumers.push(await startConsumer(k, groupId, got[0]))
    consumers.push(await startConsumer(k, groupId, got[1]))
    // Both are members of a Stable group whose assignments split the topic between them.
    await waitUntil(async () => {
      const g = await describe(admin, groupId)
      if (g.state !== 'Stable' || g.members.length !== 2) return false
      const owned = g.members.map(m => AssignerProtocol.MemberAssignment.decode(m.memberAssignment).assignment[TOPIC] || [])
      return owned.every(ps => ps.length === PARTITIONS / 2) &&
        [...owned[0], ...owned[1]].sort().join() === [...Array(PARTITIONS).keys()].join()
    }, 45000, 'a Stable group of two members sharing the partitions')
    await waitUntil(() => new Set([...got[0], ...got[1]].map(r => `${r[0]}/${r[1]}`)).size === all, 45000,
      'every record consumed by the group')
    const union = new Map([...got[0], ...got[1]].map(r => [`${r[0]}/${r[1]}`, r]))
    assert.deepEqual([...union.values()].sort(byPartitionOffset), expected(0, PER_PARTITION))

    const g = await describe(admin, groupId)
    assert.equal(g.protocolType, 'consumer')
    assert.equal(g.protocol, 'RoundRobinAssigner')
    for (const m of g.members) {
      assert.equal(m.clientId, 'spate-e2e-group')
      assert.ok(m.memberId.length > 0)
      assert.deepEqual(AssignerProtocol.MemberMetadata.decode(m.memberMetadata).topics, [TOPIC])
    }
    const { groups } = await admin.listGroups()
    assert.deepEqual(groups.filter(x => x.groupId === groupId).map(x => [x.groupId, x.protocolType]),
      [[groupId, 'consumer']])

    await waitUntil(async () => Object.values(await committed(admin, groupId)).every(o => o === PER_PARTITION),
      20000, 'the auto-committed offsets to reach the log end')

    // A group with members cannot be deleted.
    await assert.rejects(admin.deleteGroups([groupId]), e => {
      assert.equal(e.name, 'KafkaJSDeleteGroupsError')
      assert.equal(e.groups[0].errorCode, 68) // NON_EMPTY_GROUP
      return true
    })

    // Both leave: the group is Empty and keeps its offsets.
    for (const c of consumers.splice(0)) await c.disconnect()
    await waitUntil(async () => {
      const e = await describe(admin, groupId)
      return e.state === 'Empty' && e.members.length === 0
    }, 20000, 'the group to be Empty after both members left')
    assert.deepEqual(await committed(admin, groupId), { 0: 40, 1: 40, 2: 40, 3: 40 })

    // New records; a consumer with manual commits resumes at the committed offsets, then commits
    // explicit offsets in the middle of what it read.
    await produceRange(producer, PER_PARTITION, PER_PARTITION + 10)
    const manual = []
    consumers.push(await startConsumer(k, groupId, manual, { autoCommit: false }))
    await waitUntil(() => manual.length >= PARTITIONS * 10, 45000, 'the manual consumer to read the new records')
    assert.deepEqual([...manual].sort(byPartitionOffset), expected(PER_PARTITION, PER_PARTITION + 10),
      'resumed exactly at the committed offsets')
    await consumers[0].commitOffsets([...Array(PARTITIONS).keys()].map(p => ({ topic: TOPIC, partition: p, offset: String(PER_PARTITION + 5) })))
    assert.deepEqual(await committed(admin, groupId), { 0: 45, 1: 45, 2: 45, 3: 45 })
    for (const c of consumers.splice(0)) await c.disconnect()
    assert.deepEqual(await committed(admin, groupId), { 0: 45, 1: 45, 2: 45, 3: 45 }, 'no commit on leave without autoCommit')

    // The next member of the group starts at those explicit commits.
    const third = []
    consumers.push(await startConsumer(k, groupId, third))
    await waitUntil(() => third.length >= PARTITIONS * 5, 45000, 'the third consumer to read from the commits')
    assert.deepEqual([...third].sort(byPartitionOffset), expected(PER_PARTITION + 5, PER_PARTITION + 10))
    await waitUntil(async () => Object.values(await committed(admin, groupId)).every(o => o === PER_PARTITION + 10),
      20000, 'the third consumer to commit')
    for (const c of consumers.splice(0)) await c.disconnect()

    // An empty group can be deleted; its offsets go with it.
    await waitUntil(async () => (await describe(admin, groupId)).state === 'Empty', 20000, 'the group to be Empty')
    const deleted = await admin.deleteGroups([groupId])
    assert.deepEqual(deleted.map(d => [d.groupId, d.errorCode]), [[groupId, 0]])
    assert.deepEqual(await committed(admin, groupId), { 0: -1, 1: -1, 2: -1, 3: -1 })
    assert.equal((await admin.listGroups()).groups.filter(x => x.groupId === groupId).length, 0)
    assert.equal((await describe(admin, groupId)).state, 'Dead')
  } finally {
    for (const c of consumers) await c.disconnect().catch(() => {})
    await producer.disconnect()
    await admin.disconnect()
  }
})
