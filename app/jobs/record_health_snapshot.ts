import redis from '@adonisjs/redis/services/main'
import BaseJob from '#jobs/base_job'
import HealthService from '#services/health_service'
import { queueKeys, type HealthSnapshot } from '#support/queue_keys'

/**
 * Runs the health checks of /api/health from a worker and keeps the result
 * for the queue monitor (ten minutes, so a snapshot nobody renews shows as
 * missing rather than stale). Only the public report: no latencies,
 * versions or paths.
 */
export default class RecordHealthSnapshot extends BaseJob {
  static queue = 'default' as const
  // The next run comes within a minute: a failed one is not worth retrying.
  static options = { attempts: 1 }
  static timeoutMs = 30_000

  async handle() {
    const report = await HealthService.report({ detailed: false })
    const snapshot: HealthSnapshot = {
      at: new Date().toISOString(),
      status: report.status,
      checks: report.checks.map(({ name, status, message }) => ({ name, status, message })),
    }
    await redis.set(queueKeys.healthSnapshot(), JSON.stringify(snapshot), 'EX', 600)

    if (report.status !== 'ok') {
      const failing = report.checks.filter((check) => check.status !== 'ok')
      this.logger.warn({ status: report.status, checks: failing }, 'health check not ok')
    }
  }
}
