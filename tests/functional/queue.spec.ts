import { randomUUID } from 'node:crypto'
import { test } from '@japa/runner'
import redis from '@adonisjs/redis/services/main'
import queueManager from '@rlanz/bull-queue/services/main'
import testUtils from '@adonisjs/core/services/test_utils'
import PruneAuditLogs from '#jobs/prune_audit_logs'
import QueueService from '#services/queue_service'
import { auditQuery } from '#tests/helpers/audit'
import { TenantContext } from '#support/tenant_context'
import { AuditLogFactory } from '#database/factories/audit_log_factory'
import { WorkerPool, loadJobClass } from '#support/job_runner'
import { spawnParley } from '#tests/helpers/processes'
import { waitFor } from '#tests/helpers/wait_for'

async function finalState(queueName: string, jobId: string) {
  return waitFor(async () => {
    const state = await queueManager.getOrSet(queueName).getJobState(jobId)
    return state === 'completed' || state === 'failed' ? state : null
  }, 15_000)
}

test.group('Queue: dispatch and worker', (group) => {
  let pool: WorkerPool
  group.setup(async () => {
    pool = new WorkerPool().start(['default', 'low'])
    return () => pool.close()
  })
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('jobs are stored under their class name, with payload and context', async ({ assert }) => {
    const job = await QueueService.dispatch(
      PruneAuditLogs,
      { retentionDays: 30 },
      { delay: 60_000 }
    )
    await job.remove()

    assert.equal(job.name, 'PruneAuditLogs')
    assert.equal(job.queueName, 'low')
    assert.deepEqual(job.data, {
      payload: { retentionDays: 30 },
      context: { request_id: null, organization_id: null },
    })
    assert.equal(job.opts.attempts, 3)
    assert.deepEqual(job.opts.backoff, { type: 'exponential', delay: 1000 })
  })

  test('a dispatched job runs on the worker', async ({ assert }) => {
    const [recent, old] = await TenantContext.asPlatform(async () => [
      await AuditLogFactory.create(),
      await AuditLogFactory.apply('old').create(),
    ])

    const job = await QueueService.dispatch(PruneAuditLogs, { retentionDays: 30 })

    assert.equal(await finalState('low', job.id!), 'completed')
    const left = await auditQuery().whereIn('id', [recent.id, old.id])
    assert.deepEqual(
      left.map((row) => row.id),
      [recent.id]
    )
  })

  test('a job whose class cannot be loaded fails (retried, then kept as failed), never completes', async ({
    assert,
  }) => {
    const queue = queueManager.getOrSet('default')
    const job = await queue.add(
      'GhostJob',
      { payload: {}, context: { request_id: null, organization_id: null } },
      { attempts: 2, backoff: { type: 'fixed', delay: 10 } }
    )

    assert.equal(await finalState('default', job.id!), 'failed')
    const failed = (await queue.getJob(job.id!))!
    assert.equal(failed.attemptsMade, 2)
    assert.match(failed.failedReason, /Job class "GhostJob" could not be loaded/)
    const completed = await queue.getCompleted()
    const completedIds = completed.map((entry) => entry.id)
    assert.notInclude(completedIds, job.id!)

    await failed.retry('failed')
    assert.oneOf(await queue.getJobState(job.id!), ['waiting', 'active', 'failed', 'prioritized'])
    assert.equal(await finalState('default', job.id!), 'failed')
  })

  test('job names are resolved only as class names from the jobs directories', async ({
    assert,
  }) => {
    const PruneJob = await loadJobClass('PruneAuditLogs')
    assert.equal(PruneJob.name, 'PruneAuditLogs')
    await assert.rejects(() => loadJobClass('../../start/env'), /class names/)
    await assert.rejects(() => loadJobClass('file:///etc/passwd'), /class names/)
    await assert.rejects(() => loadJobClass('NoSuchJob'), /no no_such_job file/)
  })
})

test.group('Queue: worker process', () => {
  test('SIGTERM lets the job in flight finish before the worker exits', async ({
    assert,
    cleanup,
  }) => {
    const worker = spawnParley(['ace', 'queue:listen', '--queue=default'])
    cleanup(() => worker.stop())
    await waitFor(() => worker.output().includes('Listening on queue(s): default'), 30_000, 100)

    const key = `sleep-${randomUUID()}`
    const { default: SleepJob } = await import('#tests/fixtures/jobs/sleep_job')
    const job = await QueueService.dispatch(SleepJob, { ms: 1500, key })
    await waitFor(async () => (await redis.get(key)) === 'started', 15_000)

    worker.child.kill('SIGTERM')
    const exitCode = await worker.exited

    assert.equal(exitCode, 0, worker.output())
    assert.equal(await redis.get(key), 'finished')
    assert.equal(await queueManager.getOrSet('default').getJobState(job.id!), 'completed')
    assert.include(worker.output(), 'waiting for jobs in flight to finish')
  }).timeout(60_000)

  test('the worker refuses unknown queue names', async ({ assert, cleanup }) => {
    const worker = spawnParley(['ace', 'queue:listen', '--queue=high,nope'])
    cleanup(() => worker.stop())

    assert.equal(await worker.exited, 1)
    assert.include(worker.output(), 'Unknown queue(s): nope')
  }).timeout(60_000)
})
