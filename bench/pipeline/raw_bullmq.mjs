/**
 * Scenario 3a: no-op jobs/s through a plain BullMQ Queue + Worker on the
 * same Redis, with the concurrency of Parley's `high` queue and as many
 * worker processes as the Parley run. The queue is filled first
 * (`addBulk`), then drained: the rate is jobs / (last completion − first).
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { Queue } from 'bullmq'

const QUEUE = 'bench-raw'
const BULK = 1000

export function redisConnection(env) {
  return {
    host: env.REDIS_HOST,
    port: Number(env.REDIS_PORT),
    password: env.REDIS_PASSWORD || undefined,
    db: Number(env.REDIS_DB),
  }
}

function startWorker(options) {
  const child = fork(fileURLToPath(new URL('raw_worker.mjs', import.meta.url)), {
    env: { ...process.env, BENCH_RAW: JSON.stringify(options) },
    stdio: 'inherit',
  })
  const ready = new Promise((resolve) => child.once('message', resolve))
  const stop = () =>
    new Promise((resolve) => {
      child.once('message', resolve)
      child.kill('SIGTERM')
    })
  return { ready, stop }
}

/** Returns { jobs, enqueuePerSecond, jobsPerSecond }. */
export async function rawBullmq({ env, jobs, concurrency, processes }) {
  const connection = redisConnection(env)
  const prefix = `${env.QUEUE_PREFIX}-raw`
  const queue = new Queue(QUEUE, { prefix, connection })
  await queue.obliterate({ force: true })

  // Parley's job options that cost Redis work: retention and retries.
  const opts = { removeOnComplete: { count: 1000 }, attempts: 4 }
  const enqueueStart = performance.now()
  for (let done = 0; done < jobs; done += BULK) {
    const size = Math.min(BULK, jobs - done)
    await queue.addBulk(
      Array.from({ length: size }, (_, index) => ({
        name: 'noop',
        data: { payload: { messageId: done + index } },
        opts: { ...opts, jobId: `noop-${done + index}` },
      }))
    )
  }
  const enqueueSeconds = (performance.now() - enqueueStart) / 1000

  const workers = Array.from({ length: processes }, () =>
    startWorker({ queue: QUEUE, prefix, connection, concurrency })
  )
  await Promise.all(workers.map((worker) => worker.ready))
  while (true) {
    const counts = await queue.getJobCounts('waiting', 'active', 'prioritized')
    if (counts.waiting + counts.active + counts.prioritized === 0) break
    await sleep(50)
  }
  const results = await Promise.all(workers.map((worker) => worker.stop()))
  await queue.obliterate({ force: true })
  await queue.close()

  const completed = results.reduce((sum, result) => sum + result.count, 0)
  const first = Math.min(...results.filter((r) => r.count).map((r) => r.first))
  const last = Math.max(...results.map((r) => r.last))
  return {
    jobs: completed,
    enqueuePerSecond: jobs / enqueueSeconds,
    jobsPerSecond: completed / ((last - first) / 1000),
  }
}
