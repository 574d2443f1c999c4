import { randomUUID } from 'node:crypto'
import { test } from '@japa/runner'
import ace from '@adonisjs/core/services/ace'
import { runCommand } from '#tests/helpers/ace'
import { emptyQueue } from '#tests/helpers/queues'
import queueManager from '@rlanz/bull-queue/services/main'
import redis from '@adonisjs/redis/services/main'
import testUtils from '@adonisjs/core/services/test_utils'
import QueueService from '#services/queue_service'
import { WorkerPool } from '#support/job_runner'
import { queueKeys } from '#support/queue_keys'
import { auditQuery } from '#tests/helpers/audit'
import { waitFor } from '#tests/helpers/wait_for'
import MonitorEchoJob from '#tests/fixtures/jobs/monitor_echo_job'
import MonitorFlakyJob from '#tests/fixtures/jobs/monitor_flaky_job'

const low = () => queueManager.getOrSet('low')
const resetLow = () => emptyQueue('low')

async function queueAudits() {
  return auditQuery().where('action', 'like', 'queue.%').orderBy('id')
}

async function failedFlakyJobs(count: number) {
  const pool = new WorkerPool().start(['low'])
  try {
    const jobs = await Promise.all(
      Array.from({ length: count }, () =>
        QueueService.dispatch(MonitorFlakyJob, { key: `pm:test:monitor:${randomUUID()}` })
      )
    )
    await waitFor(async () => (await low().getJobCountByTypes('failed')) === count, 15_000)
    return jobs
  } finally {
    await pool.close()
  }
}

test.group('Commands: queue:status, queue:retry-failed, queue:clear', (group) => {
  group.setup(async () => {
    ace.ui.switchMode('raw')
    await resetLow()
    return resetLow
  })
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(resetLow)

  test('queue:status prints the counts of each queue', async ({ assert }) => {
    // A worker killed by an earlier test stays registered until its heartbeat expires.
    await redis.del(queueKeys.workers())
    await failedFlakyJobs(1)
    await QueueService.dispatch(MonitorEchoJob, {})
    await QueueService.dispatch(MonitorEchoJob, {})
    await QueueService.dispatch(MonitorEchoJob, {}, { delay: 60_000 })

    const { command, output } = await runCommand('queue:status', [])
    command.assertSucceeded()
    const lines = output.split('\n')
    assert.include(lines, 'Queue|Waiting|Active|Delayed|Failed|Completed|Paused')
    assert.include(lines, 'low|2|0|1|1|0|no')
    assert.include(output, 'No worker is alive')

    await low().pause()
    const paused = await runCommand('queue:status', [])
    // Jobs held by a pause still count as waiting.
    assert.include(paused.output.split('\n'), 'low|2|0|1|1|0|yes')

    const json = await runCommand('queue:status', ['--json'])
    const { queues, workers } = JSON.parse(json.output)
    const summary = queues.find((queue: { name: string }) => queue.name === 'low')
    assert.deepEqual(
      summary.counts,
      await low().getJobCounts(
        'waiting',
        'active',
        'delayed',
        'prioritized',
        'completed',
        'failed',
        'paused'
      )
    )
    assert.deepEqual(workers, [])
  })

  test('queue:retry-failed queues the failed jobs again and audits it', async ({ assert }) => {
    // Earlier suites may leave failed jobs on the other queues: start without them.
    for (const name of ['high', 'default', 'mail'] as const) {
      await emptyQueue(name)
    }
    const jobs = await failedFlakyJobs(2)

    const { command, output } = await runCommand('queue:retry-failed', ['--queue=low'])
    command.assertSucceeded()
    assert.include(output, 'low: 2 failed job(s) queued again')
    assert.equal(await low().getJobCountByTypes('failed'), 0)
    const pool = new WorkerPool().start(['low'])
    try {
      await waitFor(async () => {
        const states = await Promise.all(jobs.map((job) => low().getJobState(job.id!)))
        return states.every((state) => state === 'completed')
      }, 15_000)
    } finally {
      await pool.close()
    }

    const audits = await queueAudits()
    assert.lengthOf(audits, 1)
    assert.equal(audits[0].action, 'queue.failed_retried')
    assert.equal(audits[0].subjectId, 'low')
    assert.equal(audits[0].changes!.count, 2)
    assert.equal(audits[0].message, 'node ace queue:retry-failed')
    assert.isNull(audits[0].organizationId)

    const everyQueue = await runCommand('queue:retry-failed', [])
    everyQueue.command.assertSucceeded()
    assert.include(everyQueue.output, 'high: 0 failed job(s) queued again')
    assert.include(everyQueue.output, 'mail: 0 failed job(s) queued again')
    assert.lengthOf(await queueAudits(), 1, 'nothing retried, nothing audited')

    const unknown = await runCommand('queue:retry-failed', ['--queue=nope'])
    unknown.command.assertExitCode(1)
    assert.include(unknown.output, 'Unknown queue "nope". Known queues: high, default, low, mail')
  })

  test('queue:clear refuses without --force when it cannot ask, and changes nothing', async ({
    assert,
  }) => {
    await QueueService.dispatch(MonitorEchoJob, {})
    await QueueService.dispatch(MonitorEchoJob, {})

    const { command, output } = await runCommand('queue:clear', ['--queue=low', '--state=waiting'])
    command.assertExitCode(1)
    assert.include(output, 'pass --force')
    assert.include(output, 'Nothing was changed')
    assert.equal(await low().getJobCountByTypes('waiting'), 2)

    const declined = await runCommand('queue:clear', ['--queue=low', '--state=waiting'], {
      prompts: { confirm_clear: false },
    })
    declined.command.assertExitCode(1)
    assert.equal(await low().getJobCountByTypes('waiting'), 2)

    const badState = await runCommand('queue:clear', ['--queue=low', '--state=active', '--force'])
    badState.command.assertExitCode(1)
    assert.include(badState.output, 'Unknown state "active"')
    const badQueue = await runCommand('queue:clear', ['--queue=nope', '--state=waiting', '--force'])
    badQueue.command.assertExitCode(1)
    assert.include(badQueue.output, 'Unknown queue "nope"')
    const missing = await runCommand('queue:clear', ['--state=waiting', '--force'])
    missing.command.assertExitCode(1)
    assert.include(missing.output, 'Missing --queue')

    assert.equal(await low().getJobCountByTypes('waiting'), 2)
    assert.lengthOf(await queueAudits(), 0)
  })

  test('queue:clear deletes the jobs of one state with --force or a confirmation, audited', async ({
    assert,
  }) => {
    await failedFlakyJobs(1)
    await QueueService.dispatch(MonitorEchoJob, {})
    await QueueService.dispatch(MonitorEchoJob, {})
    await QueueService.dispatch(MonitorEchoJob, {}, { delay: 60_000 })

    const forced = await runCommand('queue:clear', ['--queue=low', '--state=waiting', '--force'])
    forced.command.assertSucceeded()
    assert.include(forced.output, '2 waiting job(s) deleted from the "low" queue')
    assert.deepInclude(await low().getJobCounts('waiting', 'delayed', 'failed'), {
      waiting: 0,
      delayed: 1,
      failed: 1,
    })

    const confirmed = await runCommand('queue:clear', ['--queue=low', '--state=failed'], {
      prompts: { confirm_clear: true },
    })
    confirmed.command.assertSucceeded()
    assert.equal(await low().getJobCountByTypes('failed'), 0)
    assert.equal(await low().getJobCountByTypes('delayed'), 1)

    const audits = await queueAudits()
    assert.deepEqual(
      audits.map((entry) => [entry.action, entry.changes]),
      [
        ['queue.cleared', { queue: 'low', state: 'waiting', count: 2 }],
        ['queue.cleared', { queue: 'low', state: 'failed', count: 1 }],
      ]
    )
    assert.isNull(audits[0].organizationId)
    assert.equal(audits[0].subjectType, 'queue')
  })
})
