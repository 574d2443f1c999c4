/**
 * A plain BullMQ worker with a no-op processor: the floor the chat
 * pipeline's queue is measured against. Started by raw_bullmq.mjs with
 * BENCH_RAW = {queue, prefix, connection, concurrency}; on SIGTERM prints
 * {count, first, last} (completion times, ms since the epoch) and exits.
 */
import { Worker } from 'bullmq'

const { queue, prefix, connection, concurrency } = JSON.parse(process.env.BENCH_RAW)
let count = 0
let first = 0
let last = 0

const worker = new Worker(queue, async () => {}, { prefix, connection, concurrency })
worker.on('completed', () => {
  last = Date.now()
  if (count++ === 0) first = last
})
await worker.waitUntilReady()
process.send?.('ready')

process.once('SIGTERM', async () => {
  await worker.close()
  process.send?.({ count, first, last }, () => process.exit(0))
})
