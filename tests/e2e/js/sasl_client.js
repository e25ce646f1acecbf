'use strict'
// kafkajs over SASL_PLAINTEXT (run by tests/e2e/test_sasl.py, not by `node --test`): produces to a
// topic and consumes it back with a group, authenticating with the mechanism, user and password
// given in SASL_MECHANISM, SASL_USER, SASL_PASSWORD against SPATE_SASL_BOOTSTRAP. With SASL_SSL_CA
// (a PEM CA file) it speaks SASL_SSL and trusts that CA (tests/e2e/test_tls.py); without
// SASL_MECHANISM it speaks SSL only, presenting the client certificate SSL_CERT/SSL_KEY (mutual
// TLS). Exits 0 when every message came back.
const fs = require('fs')
const { Kafka, logLevel } = require('kafkajs')

// Trust SASL_SSL_CA; with SSL_CERT and SSL_KEY (PEM files), present that client certificate.
function tlsOptions() {
  const options = { ca: [fs.readFileSync(process.env.SASL_SSL_CA, 'utf8')] }
  if (process.env.SSL_CERT) {
    options.cert = fs.readFileSync(process.env.SSL_CERT, 'utf8')
    options.key = fs.readFileSync(process.env.SSL_KEY, 'utf8')
  }
  return options
}

async function main() {
  const kafka = new Kafka({
    clientId: 'kafkajs-sasl',
    brokers: [process.env.SPATE_SASL_BOOTSTRAP],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 5000,
    requestTimeout: 15000,
    ssl: process.env.SASL_SSL_CA ? tlsOptions() : false,
    sasl: process.env.SASL_MECHANISM
      ? {
          mechanism: process.env.SASL_MECHANISM,
          username: process.env.SASL_USER,
          password: process.env.SASL_PASSWORD,
        }
      : undefined,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
  })
  const topic = process.env.SASL_TOPIC
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] })
  await admin.disconnect()
  const producer = kafka.producer()
  await producer.connect()
  const values = Array.from({ length: 10 }, (_, i) => `js${i}`)
  await producer.send({ topic, messages: values.map(value => ({ value })) })
  await producer.disconnect()
  const consumer = kafka.consumer({ groupId: `${topic}-group` })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const got = []
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out with ${got.length} messages`)), 60000)
    consumer.run({
      eachMessage: async ({ message }) => {
        got.push(message.value.toString())
        if (got.length === values.length) {
          clearTimeout(timer)
          resolve()
        }
      },
    })
  })
  await consumer.disconnect()
  if (JSON.stringify(got) !== JSON.stringify(values)) throw new Error(`got ${JSON.stringify(got)}`)
}

main().then(() => process.exit(0), err => {
  console.error(err.stack || String(err))
  process.exit(1)
})
