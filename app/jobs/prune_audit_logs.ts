import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import BaseJob from '#jobs/base_job'

type Payload = { retentionDays?: number }

const BATCH = 5000

/**
 * Deletes audit entries older than the retention period
 * (`AUDIT_RETENTION_DAYS`, default 365) in batches, so a large backlog never
 * holds one long lock. Running it twice deletes nothing twice.
 */
export default class PruneAuditLogs extends BaseJob<Payload> {
  static queue = 'low' as const

  async handle({ retentionDays = env.get('AUDIT_RETENTION_DAYS', 365) }: Payload) {
    const cutoff = DateTime.utc()
      .minus({ days: retentionDays })
      .toFormat(db.connection().dialect.dateTimeFormat)

    let deleted = 0
    for (;;) {
      const removed = await db
        .from('audit_logs')
        .whereIn(
          'id',
          db.from('audit_logs').select('id').where('created_at', '<', cutoff).limit(BATCH)
        )
        .delete()
      deleted += removed as unknown as number
      if ((removed as unknown as number) < BATCH) break
    }

    this.logger.info({ deleted, retention_days: retentionDays }, 'pruned audit entries')
  }
}
