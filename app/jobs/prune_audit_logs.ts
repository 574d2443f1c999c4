import { DateTime } from 'luxon'
import env from '#start/env'
import BaseJob from '#jobs/base_job'
import { deleteInBatches } from '#support/batched_delete'
import { sqlTime } from '#support/sql_time'

type Payload = { retentionDays?: number }

/**
 * Deletes audit entries older than the retention period
 * (`AUDIT_RETENTION_DAYS`, default 365) in batches, so a large backlog never
 * holds one long lock. Running it twice deletes nothing twice. Scheduled
 * daily (app/jobs/schedule.ts).
 */
export default class PruneAuditLogs extends BaseJob<Payload> {
  static queue = 'low' as const

  async handle({ retentionDays = env.get('AUDIT_RETENTION_DAYS', 365) }: Payload) {
    const cutoff = sqlTime(DateTime.utc().minus({ days: retentionDays }))
    const deleted = await deleteInBatches('audit_logs', (query) =>
      query.where('created_at', '<', cutoff)
    )
    this.logger.info({ deleted, retention_days: retentionDays }, 'pruned audit entries')
  }
}
