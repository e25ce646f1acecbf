'use strict'
// A kafkajs group consumer for tests/e2e/test_lag_monitor.py: consumes LAG_TOPIC in LAG_GROUP from
// the beginning with 100 ms auto-commits until terminated. Not a *.test.js file.
const { Kafka, logLevel } = require('kafkajs')

const kafka = new Kafka({
  clientId: 'spate-lag-js',
  brokers: [process.env.SPATE_BOOTSTRAP],
  logLevel: logLevel.NOTHING,
})
const consumer = kafka.consumer({ groupId: process.env.LAG_GROUP, maxWaitTimeInMs: 100, heartbeatInterval: 500 })

async function main() {
  await consumer.connect()
  await consumer.subscribe({ topics: [process.env.LAG_TOPIC], fromBeginning: true })
  await consumer.run({ autoCommitInterval: 100, eachMessage: async () => {} })
}

process.on('SIGTERM', () => consumer.disconnect().finally(() => process.exit(0)))
main().catch((e) => {
  console.error(e)
  process.exit(1)
})
