import { randomUUID } from 'node:crypto'
import { mkdir, readFile, statfs, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { getHeapStatistics } from 'node:v8'
import app from '@adonisjs/core/services/app'
import { safeEqual } from '@adonisjs/core/helpers'
import db from '@adonisjs/lucid/services/db'
import redis from '@adonisjs/redis/services/main'
import queueManager from '@rlanz/bull-queue/services/main'
import env from '#start/env'
import { QUEUE_NAMES } from '#config/queue'

export type CheckStatus = 'ok' | 'warning' | 'error'

export type CheckResult = {
  name: string
  status: CheckStatus
  message: string
  /** Only in the detailed report: latencies, sizes, versions. */
  meta?: Record<string, unknown>
}

export type HealthReport = {
  healthy: boolean
  status: 'ok' | 'degraded' | 'down'
  checks: CheckResult[]
  debug?: Record<string, unknown>
}

/**
 * A check that does not answer within this time counts as failed, so a
 * dead dependency makes /api/health answer 503 quickly instead of hanging.
 */
const CHECK_TIMEOUT_MS = 3000
const DISK_MIN_FREE_BYTES = 512 * 1024 * 1024
const HEAP_WARN_RATIO = 0.9

type Probe = () => Promise<{
  status?: CheckStatus
  message: string
  meta?: Record<string, unknown>
}>

function withTimeout<T>(promise: Promise<T>, label: string): Promise<T> {
  let timer: NodeJS.Timeout
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${label} did not answer within ${CHECK_TIMEOUT_MS} ms`)),
      CHECK_TIMEOUT_MS
    )
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

async function runCheck(name: string, label: string, probe: Probe): Promise<CheckResult> {
  const startedAt = performance.now()
  try {
    const result = await withTimeout(probe(), label)
    return {
      name,
      status: result.status ?? 'ok',
      message: result.message,
      meta: { ...result.meta, latency_ms: Math.round(performance.now() - startedAt) },
    }
  } catch (error) {
    return {
      name,
      status: 'error',
      message: `${label} is unreachable: ${(error as Error).message}`,
      meta: { latency_ms: Math.round(performance.now() - startedAt) },
    }
  }
}

export function storagePath() {
  return app.makePath(env.get('STORAGE_PATH', 'storage'))
}

const probes: Record<string, [string, Probe]> = {
  database: [
    'Database',
    async () => {
      const connection = db.connection()
      await connection.rawQuery('select 1')
      return { message: 'Database answers', meta: { dialect: connection.dialect.name } }
    },
  ],

  redis: [
    'Redis',
    async () => {
      const connection = redis.connection()
      await connection.ping()
      const info = await connection.info('server')
      const version = /redis_version:(\S+)/.exec(info)?.[1]
      return { message: 'Redis answers', meta: { version } }
    },
  ],

  queue: [
    'Queue',
    async () => {
      const depths: Record<string, number> = {}
      for (const name of QUEUE_NAMES) {
        const counts = await queueManager
          .getOrSet(name)
          .getJobCounts('waiting', 'delayed', 'active', 'failed')
        depths[name] = (counts.waiting ?? 0) + (counts.delayed ?? 0)
      }
      const depth = Object.values(depths).reduce((sum, count) => sum + count, 0)
      return { message: `Queues reachable, ${depth} job(s) waiting`, meta: { depth: depths } }
    },
  ],

  storage: [
    'Storage',
    async () => {
      const directory = storagePath()
      const file = join(directory, `.health-${randomUUID()}`)
      const content = randomUUID()
      await mkdir(directory, { recursive: true })
      try {
        await writeFile(file, content)
        if ((await readFile(file, 'utf8')) !== content) {
          return { status: 'error', message: 'Storage returned different bytes than were written' }
        }
      } finally {
        await unlink(file).catch(() => {})
      }
      return { message: 'Storage is writable', meta: { path: directory } }
    },
  ],

  disk: [
    'Disk',
    async () => {
      const directory = storagePath()
      await mkdir(directory, { recursive: true })
      const stats = await statfs(directory)
      const free = stats.bavail * stats.bsize
      const total = stats.blocks * stats.bsize
      const low = free < DISK_MIN_FREE_BYTES
      return {
        status: low ? 'error' : 'ok',
        message: low
          ? `Disk almost full: ${Math.round(free / 1048576)} MiB free`
          : `${Math.round(free / 1048576)} MiB free`,
        meta: { free_bytes: free, total_bytes: total },
      }
    },
  ],

  heap: [
    'Memory',
    async () => {
      const { used_heap_size: used, heap_size_limit: limit } = getHeapStatistics()
      const ratio = used / limit
      return {
        status: ratio > HEAP_WARN_RATIO ? 'warning' : 'ok',
        message: `Heap at ${Math.round(ratio * 100)}% of its limit`,
        meta: { used_bytes: used, limit_bytes: limit, rss_bytes: process.memoryUsage.rss() },
      }
    },
  ],
}

export default class HealthService {
  /**
   * The detailed report needs the configured HEALTH_TOKEN (compared in
   * constant time); without one configured it is never shown.
   */
  static canSeeDetails(token: string | undefined) {
    const expected = env.get('HEALTH_TOKEN')
    return Boolean(expected && token && safeEqual(token, expected))
  }

  /**
   * Runs every check in parallel. Healthy means no check is in error; a
   * warning (e.g. heap pressure) degrades the status but keeps 200.
   */
  static async report({ detailed }: { detailed: boolean }): Promise<HealthReport> {
    const checks = await Promise.all(
      Object.entries(probes).map(([name, [label, probe]]) => runCheck(name, label, probe))
    )
    const healthy = checks.every((check) => check.status !== 'error')
    const degraded = checks.some((check) => check.status === 'warning')

    return {
      healthy,
      status: healthy ? (degraded ? 'degraded' : 'ok') : 'down',
      checks: detailed ? checks : checks.map(({ meta: _meta, ...check }) => check),
      ...(detailed
        ? {
            debug: {
              version: app.version?.toString() ?? null,
              node: process.version,
              adonisjs: app.adonisVersion?.toString() ?? null,
              environment: app.nodeEnvironment,
              pid: process.pid,
              uptime_s: Math.round(process.uptime()),
            },
          }
        : {}),
    }
  }
}
