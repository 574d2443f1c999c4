/**
 * Work for the queue monitor's screenshots (scripts/screenshots.mjs), run
 * against the screenshots' own database and queue prefix:
 *
 *   node --import=ts-node-maintained/register/esm scripts/lib/queue_load.ts reset
 *     empties every queue and the monitor's counters (before the worker starts)
 *   node --import=ts-node-maintained/register/esm scripts/lib/queue_load.ts load
 *     dispatches real jobs across the organizations while the worker runs:
 *     knowledge re-indexing (idempotent), jobs delayed by half an hour, and a
 *     few jobs of a class this version does not have (as a newer deploy would
 *     leave behind), which the worker fails, never completes.
 */
import 'reflect-metadata'
import { Ignitor } from '@adonisjs/core'

const APP_ROOT = new URL('../../', import.meta.url)

/** Re-indexing jobs per organization: the demo organization is the busiest. */
const REINDEX_JOBS = [900, 240, 120]
/** Jobs of a missing class per organization (they fail at once: one attempt). */
const MISSING_CLASS_JOBS = [4, 2, 1]
const DELAYED_JOBS = 12

const app = new Ignitor(APP_ROOT, {
  importer: (filePath: string) =>
    import(
      filePath.startsWith('./') || filePath.startsWith('../')
        ? new URL(filePath, APP_ROOT).href
        : filePath
    ),
}).createApp('console')
app.booting(async () => {
  await import('#start/env')
})
await app.init()
await app.boot()
await app.start(async () => {})

const { default: db } = await import('@adonisjs/lucid/services/db')
const { default: redis } = await import('@adonisjs/redis/services/main')
const { default: queueManager } = await import('@rlanz/bull-queue/services/main')
const { QUEUE_NAMES } = await import('#config/queue')
const { default: QueueService } = await import('#services/queue_service')
const { default: IndexKnowledgeSource } = await import('#jobs/index_knowledge_source')
const { default: PruneAuditLogs } = await import('#jobs/prune_audit_logs')
const { queueKeys } = await import('#support/queue_keys')

async function reset() {
  for (const name of QUEUE_NAMES) await queueManager.getOrSet(name).obliterate({ force: true })
  const minute = Math.floor(Date.now() / 60_000)
  const counters = Array.from({ length: 180 }, (_, index) =>
    queueKeys.organizationMinute(minute - index)
  )
  await redis.del(queueKeys.workers(), ...counters)
}

async function load() {
  // Platform code: reads every organization's rows on purpose.
  const organizations = await db.from('organizations').select('id').orderBy('id').limit(3)
  const sources = await db.from('knowledge_sources').select('id', 'organization_id')
  let dispatched = 0

  // First in line, so the worker fails them within a second of the load.
  for (const [index, { id: organizationId }] of organizations.entries()) {
    for (let count = 0; count < MISSING_CLASS_JOBS[index]; count++) {
      await queueManager.getOrSet('low').add(
        'ExportConversations',
        {
          payload: { format: 'csv', since_days: 30 },
          context: { request_id: null, organization_id: organizationId },
        },
        { attempts: 1, removeOnFail: false }
      )
      dispatched++
    }
  }

  for (const [index, { id: organizationId }] of organizations.entries()) {
    const own = sources.filter((source) => source.organization_id === organizationId)
    for (let count = 0; count < REINDEX_JOBS[index]; count++) {
      // An organization without sources gets "source gone, nothing to index" runs.
      const sourceId = own.length ? own[count % own.length].id : 0
      await QueueService.dispatch(IndexKnowledgeSource, { sourceId }, { organizationId })
      dispatched++
    }
  }

  for (let count = 0; count < DELAYED_JOBS; count++) {
    await QueueService.dispatch(PruneAuditLogs, {}, { delay: (30 + count) * 60_000 })
    dispatched++
  }
  console.log(`queue load: ${dispatched} jobs dispatched`)
}

try {
  const mode = process.argv[2]
  if (mode === 'reset') await reset()
  else if (mode === 'load') await load()
  else throw new Error(`usage: queue_load.ts reset|load (got ${mode})`)
} finally {
  await app.terminate()
}
