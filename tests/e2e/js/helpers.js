'use strict'
// Shared helpers for the kafkajs end-to-end tests. The broker's address comes from SPATE_BOOTSTRAP
// (set by tests/e2e/test_kafkajs.py, which starts a fresh spate per test file).
const { Kafka, logLevel } = require('kafkajs')

const bootstrap = process.env.SPATE_BOOTSTRAP
if (!bootstrap) throw new Error('SPATE_BOOTSTRAP is not set (run through tests/e2e/test_kafkajs.py)')

function kafka(clientId) {
  return new Kafka({
    clientId,
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 5000,
    requestTimeout: 15000,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
  })
}

// kafkajs consumers always join a group, and spate has no consumer groups yet: read partitions with
// kafkajs's own broker client (the same Fetch encoding/decoding its consumer uses) instead.
async function readPartitions(k, topic, ends, { timeoutMs = 30000 } = {}) {
  const sym = Object.getOwnPropertySymbols(k).find(s => s.description === 'private:Kafka:createCluster')
  const cluster = k[sym]({})
  await cluster.connect()
  try {
    await cluster.addTargetTopic(topic)
    const got = {}
    const next = {}
    for (const p of Object.keys(ends)) {
      got[p] = []
      next[p] = 0n
    }
    const deadline = Date.now() + timeoutMs
    const pending = () => Object.keys(ends).filter(p => next[p] < BigInt(ends[p]))
    while (pending().length) {
      if (Date.now() > deadline) throw new Error(`timed out reading ${topic}: ${JSON.stringify(next, (_, v) => String(v))}`)
      const parts = pending()
      const leaders = cluster.findLeaderForPartitions(topic, parts.map(Number))
      for (const [nodeId, partitions] of Object.entries(leaders)) {
        const broker = await cluster.findBroker({ nodeId })
        const res = await broker.fetch({
          replicaId: -1, isolationLevel: 1, maxWaitTime: 100, minBytes: 1, maxBytes: 10485760,
          topics: [{ topic, partitions: partitions.map(p => ({ partition: p, fetchOffset: String(next[p]), maxBytes: 1048576 })) }],
        })
        for (const t of res.responses) {
          for (const part of t.partitions) {
            if (part.errorCode !== 0) throw new Error(`fetch error ${part.errorCode} on ${topic}/${part.partition}`)
            for (const m of part.messages) {
              const off = BigInt(m.offset)
              if (off < next[part.partition]) continue // batches may start before the fetch offset
              got[part.partition].push(m)
              next[part.partition] = off + 1n
            }
          }
        }
      }
    }
    return got
  } finally {
    await cluster.disconnect()
  }
}

async function waitUntil(predicate, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs
  let last
  for (;;) {
    try {
      if (await predicate()) return
    } catch (e) {
      last = e
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${last}`)
    await new Promise(r => setTimeout(r, 50))
  }
}

module.exports = { bootstrap, kafka, readPartitions, waitUntil }
