import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from '@japa/runner'
import redis from '@adonisjs/redis/services/main'
import queueManager from '@rlanz/bull-queue/services/main'
import testUtils from '@adonisjs/core/services/test_utils'
import { QUEUE_NAMES } from '#config/queue'
import QueueService from '#services/queue_service'
import { WorkerPool } from '#support/job_runner'
import { queueKeys } from '#support/queue_keys'
import { UserFactory } from '#database/factories/user_factory'
import { addMember, createOrganization, tokenFor } from '#tests/helpers/identity'
import { auditQuery } from '#tests/helpers/audit'
import { waitFor } from '#tests/helpers/wait_for'
import MonitorEchoJob from '#tests/fixtures/jobs/monitor_echo_job'
import MonitorFlakyJob from '#tests/fixtures/jobs/monitor_flaky_job'
import MonitorHoldJob from '#tests/fixtures/jobs/monitor_hold_job'
import { emptyQueue } from '#tests/helpers/queues'

const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed', 'paused']
const low = () => queueManager.getOrSet('low')
const resetLowQueue = () => emptyQueue('low')

async function superAdmin() {
  const { organization: home } = await createOrganization('Platform Home')
  const admin = await addMember(home, 'viewer', await UserFactory.apply('superAdmin').create())
  return { admin, token: await tokenFor(admin, home) }
}

function startWorker(cleanup: (callback: () => Promise<void>) => void) {
  const pool = new WorkerPool().start(['low'])
  cleanup(() => pool.close())
  return pool
}

function reaches(jobId: string, state: string) {
  return waitFor(async () => (await low().getJobState(jobId)) === state, 15_000)
}

function flakyKey() {
  return `pm:test:monitor:${randomUUID()}`
}

/**
 * The queue audit entries written so far, by action.
 */
async function queueAudits() {
  const rows = await auditQuery().where('action', 'like', 'queue.%').orderBy('id')
  return rows
}

test.group('Admin queues API: overview and counts', (group) => {
  group.setup(async () => {
    await resetLowQueue()
    return resetLowQueue
  })
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(resetLowQueue)

  test("each queue's counts are BullMQ's own, state by state", async ({
    client,
    assert,
    cleanup,
  }) => {
    const { token } = await superAdmin()
    const pool = startWorker(cleanup)
    const failing = await QueueService.dispatch(MonitorFlakyJob, { key: flakyKey() })
    const done = await QueueService.dispatch(MonitorEchoJob, {})
    await reaches(failing.id!, 'failed')
    await reaches(done.id!, 'completed')
    await pool.close()
    await QueueService.dispatch(MonitorEchoJob, {})
    await QueueService.dispatch(MonitorEchoJob, {})
    await QueueService.dispatch(MonitorEchoJob, {}, { delay: 60_000 })

    const response = await client.get('/api/v1/admin/queues').bearerToken(token)
    response.assertStatus(200)
    const { queues, workers, schedules, health } = response.body().data
    assert.deepEqual(
      queues.map((queue: { name: string }) => queue.name),
      [...QUEUE_NAMES]
    )
    for (const summary of queues) {
      const expected = await queueManager.getOrSet(summary.name).getJobCounts(...(STATES as any))
      assert.deepEqual(summary.counts, expected, summary.name)
    }
    const summary = queues.find((queue: { name: string }) => queue.name === 'low')
    assert.deepEqual(summary.counts, {
      waiting: 2,
      active: 0,
      delayed: 1,
      prioritized: 0,
      completed: 1,
      failed: 1,
      paused: 0,
    })
    assert.isFalse(summary.paused)
    assert.equal(summary.concurrency, 2)
    assert.isNumber(summary.timeout_ms)
    assert.lengthOf(summary.per_minute, 60)
    assert.isBelow(
      Date.parse(summary.per_minute[0].minute),
      Date.parse(summary.per_minute[59].minute)
    )
    assert.equal(summary.completed_last_hour, 1)
    assert.equal(summary.failed_last_hour, 1)
    assert.equal(summary.failure_rate, 0.5)
    assert.isNumber(summary.runtime_ms.p50)
    assert.isNumber(summary.wait_ms.p95)
    assert.isArray(workers)
    assert.isArray(schedules)
    assert.isNull(health)

    const show = await client.get('/api/v1/admin/queues/low').bearerToken(token)
    show.assertStatus(200)
    assert.deepEqual(show.body().data.counts, summary.counts)
    assert.deepEqual(show.body().data.schedules, [])
  })

  test('an empty queue has zero counts, no rates and no percentiles', async ({
    client,
    assert,
  }) => {
    const { token } = await superAdmin()
    const response = await client.get('/api/v1/admin/queues/low').bearerToken(token)
    response.assertStatus(200)
    const summary = response.body().data
    assert.equal(summary.completed_last_hour, 0)
    assert.isNull(summary.failure_rate)
    assert.deepEqual(summary.wait_ms, { p50: null, p95: null })
    assert.deepEqual(summary.runtime_ms, { p50: null, p95: null })
    assert.isTrue(
      summary.per_minute.every(
        (point: { completed: number; failed: number }) => point.completed + point.failed === 0
      )
    )
  })

  test('lists scheduled jobs, the live workers and the last health snapshot', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { token } = await superAdmin()
    await QueueService.schedule(MonitorEchoJob, 60_000, {})
    const snapshot = { at: new Date().toISOString(), status: 'ok', checks: [] }
    await redis.set(queueKeys.healthSnapshot(), JSON.stringify(snapshot))
    cleanup(async () => {
      await redis.del(queueKeys.healthSnapshot())
    })
    // A worker that vanished an hour ago: its set entry is dropped when read.
    await redis.zadd(queueKeys.workers(), Date.now() - 2 * 3600_000, 'gone-worker')
    const pool = startWorker(cleanup)

    const workers = await waitFor(async () => {
      const response = await client.get('/api/v1/admin/queues/workers').bearerToken(token)
      response.assertStatus(200)
      const data = response.body().data as { queues: string[]; alive: boolean }[]
      return data.length > 0 ? data : null
    })
    assert.lengthOf(workers, 1)
    assert.isTrue(workers[0].alive)
    assert.deepEqual(workers[0].queues, ['low'])
    assert.isNull(await redis.zscore(queueKeys.workers(), 'gone-worker'))

    const index = await client.get('/api/v1/admin/queues').bearerToken(token)
    const { schedules, health } = index.body().data
    assert.deepEqual(health, snapshot)
    const schedule = schedules.find((entry: { queue: string }) => entry.queue === 'low')
    assert.equal(schedule.name, 'MonitorEchoJob')
    assert.equal(schedule.every_ms, 60_000)
    assert.isNull(schedule.pattern)
    assert.isString(schedule.next_run_at)
    const show = await client.get('/api/v1/admin/queues/low').bearerToken(token)
    assert.lengthOf(show.body().data.schedules, 1)

    await pool.close()
    const after = await client.get('/api/v1/admin/queues/workers').bearerToken(token)
    assert.deepEqual(after.body().data, [])
  })
})

test.group('Admin queues API: operator actions', (group) => {
  group.setup(async () => {
    await resetLowQueue()
    return resetLowQueue
  })
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(resetLowQueue)

  test('pausing holds new jobs while a worker runs; resuming lets them run', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { admin, token } = await superAdmin()
    startWorker(cleanup)

    const paused = await client.post('/api/v1/admin/queues/low/pause').bearerToken(token)
    paused.assertStatus(200)
    assert.deepEqual(paused.body().data, { queue: 'low', paused: true })
    assert.isTrue(await low().isPaused())

    const job = await QueueService.dispatch(MonitorEchoJob, {})
    await sleep(750)
    assert.equal(await low().getJobState(job.id!), 'waiting')
    const show = await client.get('/api/v1/admin/queues/low').bearerToken(token)
    assert.isTrue(show.body().data.paused)
    assert.deepEqual(show.body().data.counts, await low().getJobCounts(...(STATES as any)))
    assert.equal(show.body().data.counts.paused, 1)

    const resumed = await client.post('/api/v1/admin/queues/low/resume').bearerToken(token)
    resumed.assertStatus(200)
    await reaches(job.id!, 'completed')
    assert.isFalse(await low().isPaused())

    const audits = await queueAudits()
    assert.deepEqual(
      audits.map((entry) => entry.action),
      ['queue.paused', 'queue.resumed']
    )
    for (const entry of audits) {
      assert.equal(entry.subjectType, 'queue')
      assert.equal(entry.subjectId, 'low')
      assert.isNull(entry.organizationId)
      assert.equal(entry.actorUserId, admin.id)
    }
    assert.deepEqual(audits[0].changes!.paused, { from: false, to: true })
  })

  test('a failed job is listed with its error; retrying it runs it again', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { token } = await superAdmin()
    startWorker(cleanup)
    const job = await QueueService.dispatch(MonitorFlakyJob, { key: flakyKey() })
    await reaches(job.id!, 'failed')

    const list = await client
      .get('/api/v1/admin/queues/low/jobs')
      .qs({ state: 'failed' })
      .bearerToken(token)
    list.assertStatus(200)
    assert.deepInclude(list.body().meta, { page: 1, total: 1, last_page: 1 })
    const [row] = list.body().data
    assert.equal(row.id, job.id)
    assert.equal(row.name, 'MonitorFlakyJob')
    assert.equal(row.state, 'failed')
    assert.equal(row.attempts_made, 1)
    assert.equal(row.max_attempts, 1)
    assert.match(row.failed_reason, /failed its first run/)
    assert.isString(row.finished_at)
    assert.isNumber(row.runtime_ms)
    // Failed is what a queue's job list shows by default.
    const byDefault = await client.get('/api/v1/admin/queues/low/jobs').bearerToken(token)
    assert.deepEqual(byDefault.body().data, list.body().data)

    const detail = await client.get(`/api/v1/admin/queues/low/jobs/${job.id}`).bearerToken(token)
    detail.assertStatus(200)
    assert.isAbove(detail.body().data.stacktrace.length, 0)
    assert.match(detail.body().data.stacktrace[0], /failed its first run/)

    const retried = await client
      .post(`/api/v1/admin/queues/low/jobs/${job.id}/retry`)
      .bearerToken(token)
    retried.assertStatus(200)
    await reaches(job.id!, 'completed')
    const failedNow = await client
      .get('/api/v1/admin/queues/low/jobs')
      .qs({ state: 'failed' })
      .bearerToken(token)
    assert.lengthOf(failedNow.body().data, 0)

    const waiting = await QueueService.dispatch(MonitorEchoJob, {}, { delay: 60_000 })
    const refused = await client
      .post(`/api/v1/admin/queues/low/jobs/${waiting.id}/retry`)
      .bearerToken(token)
    refused.assertStatus(409)
    assert.match(refused.body().message, /only failed or completed jobs can be retried/)

    const audits = await queueAudits()
    assert.deepEqual(
      audits.map((entry) => entry.action),
      ['queue.job_retried']
    )
    assert.equal(audits[0].subjectType, 'job')
    assert.equal(audits[0].subjectId, `low:${job.id}`)
    assert.equal(audits[0].changes!.name, 'MonitorFlakyJob')
    assert.isNull(audits[0].organizationId)
  })

  test('retry-failed queues every failed job again; delete removes a job, never a running one', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { token } = await superAdmin()
    startWorker(cleanup)
    const jobs = await Promise.all([
      QueueService.dispatch(MonitorFlakyJob, { key: flakyKey() }),
      QueueService.dispatch(MonitorFlakyJob, { key: flakyKey() }),
    ])
    for (const job of jobs) await reaches(job.id!, 'failed')

    const retried = await client.post('/api/v1/admin/queues/low/retry-failed').bearerToken(token)
    retried.assertStatus(200)
    assert.deepEqual(retried.body().data, { queue: 'low', count: 2 })
    for (const job of jobs) await reaches(job.id!, 'completed')

    const doomed = await QueueService.dispatch(MonitorFlakyJob, { key: flakyKey() })
    await reaches(doomed.id!, 'failed')
    const deleted = await client
      .delete(`/api/v1/admin/queues/low/jobs/${doomed.id}`)
      .bearerToken(token)
    deleted.assertStatus(200)
    assert.isUndefined(await low().getJob(doomed.id!))
    const again = await client
      .delete(`/api/v1/admin/queues/low/jobs/${doomed.id}`)
      .bearerToken(token)
    again.assertStatus(404)

    const key = flakyKey()
    const running = await QueueService.dispatch(MonitorHoldJob, { key })
    cleanup(async () => {
      await redis.set(`${key}:release`, '1', 'EX', 60)
    })
    await waitFor(() => redis.exists(`${key}:started`))
    const refused = await client
      .delete(`/api/v1/admin/queues/low/jobs/${running.id}`)
      .bearerToken(token)
    refused.assertStatus(409)
    assert.equal(refused.body().error_code, 'JOB_ACTIVE')
    assert.equal(await low().getJobState(running.id!), 'active')
    await redis.set(`${key}:release`, '1', 'EX', 60)
    await reaches(running.id!, 'completed')

    const audits = await queueAudits()
    assert.deepEqual(
      audits.map((entry) => entry.action),
      ['queue.failed_retried', 'queue.job_deleted']
    )
    assert.equal(audits[0].changes!.count, 2)
    assert.equal(audits[1].subjectId, `low:${doomed.id}`)
    assert.equal(audits[1].changes!.state, 'failed')
  })

  test('job details redact secret-looking payload keys', async ({ client, assert }) => {
    const { token } = await superAdmin()
    const job = await QueueService.dispatch(
      MonitorEchoJob,
      {
        api_key: 'sk-live-9f8e7d6c5b4a3210',
        note: 'visible note',
        nested: { password: 'hunter2-horse-battery' },
      },
      { delay: 60_000 }
    )

    const detail = await client.get(`/api/v1/admin/queues/low/jobs/${job.id}`).bearerToken(token)
    detail.assertStatus(200)
    assert.notInclude(detail.text(), 'sk-live-9f8e7d6c5b4a3210')
    assert.notInclude(detail.text(), 'hunter2-horse-battery')
    const data = detail.body().data
    assert.deepEqual(data.payload, {
      api_key: '[REDACTED]',
      note: 'visible note',
      nested: { password: '[REDACTED]' },
    })
    assert.equal(data.state, 'delayed')
    assert.equal(data.delay_ms, 60_000)
    assert.isNull(data.organization_id)

    const list = await client
      .get('/api/v1/admin/queues/low/jobs')
      .qs({ state: 'delayed' })
      .bearerToken(token)
    assert.lengthOf(list.body().data, 1)
    assert.notProperty(list.body().data[0], 'payload')
    assert.notInclude(list.text(), 'sk-live')
  })
})

/**
 * Forgets the last two hours of per-organization counters, so jobs of
 * other tests do not count.
 */
async function resetOrganizationCounters() {
  const now = Math.floor(Date.now() / 60_000)
  const keys = Array.from({ length: 120 }, (_, index) => queueKeys.organizationMinute(now - index))
  await redis.del(...keys)
}

test.group('Admin queues API: per-organization view', (group) => {
  group.setup(async () => {
    await resetLowQueue()
    return resetLowQueue
  })
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(async () => {
    await resetLowQueue()
    await resetOrganizationCounters()
  })

  test('counts jobs and failures by organization, with ids and names but no payloads', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { token } = await superAdmin()
    const { organization: alpha } = await createOrganization('Alpha Load')
    const { organization: beta } = await createOrganization('Beta Load')

    const pool = startWorker(cleanup)
    const failing = await QueueService.dispatch(
      MonitorFlakyJob,
      { key: flakyKey() },
      { organizationId: beta.id }
    )
    await reaches(failing.id!, 'failed')
    await pool.close()

    const privateText = 'alpha-private-customer-text'
    await QueueService.dispatch(MonitorEchoJob, { note: privateText }, { organizationId: alpha.id })
    await QueueService.dispatch(MonitorEchoJob, { note: privateText }, { organizationId: alpha.id })
    await QueueService.dispatch(MonitorEchoJob, { note: privateText }, { organizationId: alpha.id })
    await QueueService.dispatch(MonitorEchoJob, {}, { organizationId: beta.id, delay: 60_000 })
    await QueueService.dispatch(MonitorEchoJob, {}, { organizationId: null })

    // Workers count finished jobs per organization just after the job settles.
    const response = await waitFor(async () => {
      const answer = await client.get('/api/v1/admin/queues/organizations').bearerToken(token)
      answer.assertStatus(200)
      const betaRow = answer.body().data.find((row: any) => row.organization_id === beta.id)
      return betaRow?.failed_last_hour === 1 ? answer : null
    })
    const rows = response.body().data
    const byId = (id: number | null) => rows.find((row: any) => row.organization_id === id)

    assert.deepInclude(byId(alpha.id), {
      organization_name: 'Alpha Load',
      waiting: 3,
      active: 0,
      delayed: 0,
      failed: 0,
    })
    assert.equal(byId(alpha.id).queues.low.waiting, 3)
    assert.deepInclude(byId(beta.id), {
      organization_name: 'Beta Load',
      waiting: 0,
      delayed: 1,
      failed: 1,
      failed_last_hour: 1,
      completed_last_hour: 0,
    })
    assert.deepInclude(byId(null), { organization_name: null, waiting: 1 })
    assert.equal(rows[0].organization_id, alpha.id, 'the busiest organization comes first')
    assert.notInclude(response.text(), privateText)

    const onlyAlpha = await client
      .get('/api/v1/admin/queues/low/jobs')
      .qs({ state: 'waiting', organization_id: alpha.id })
      .bearerToken(token)
    onlyAlpha.assertStatus(200)
    assert.lengthOf(onlyAlpha.body().data, 3)
    assert.isTrue(onlyAlpha.body().data.every((row: any) => row.organization_id === alpha.id))
    assert.deepInclude(onlyAlpha.body().meta, { total: 3, scanned: 4 })
    const platformOnly = await client
      .get('/api/v1/admin/queues/low/jobs')
      .qs({ state: 'waiting', organization_id: 0 })
      .bearerToken(token)
    assert.lengthOf(platformOnly.body().data, 1)
    assert.isNull(platformOnly.body().data[0].organization_id)
  })
})

test.group('Admin queues API: access and input', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  const ROUTES: [string, string][] = [
    ['GET', '/api/v1/admin/queues'],
    ['GET', '/api/v1/admin/queues/organizations'],
    ['GET', '/api/v1/admin/queues/workers'],
    ['GET', '/api/v1/admin/queues/low'],
    ['GET', '/api/v1/admin/queues/low/jobs'],
    ['GET', '/api/v1/admin/queues/low/jobs/1'],
    ['POST', '/api/v1/admin/queues/low/jobs/1/retry'],
    ['DELETE', '/api/v1/admin/queues/low/jobs/1'],
    ['POST', '/api/v1/admin/queues/low/retry-failed'],
    ['POST', '/api/v1/admin/queues/low/pause'],
    ['POST', '/api/v1/admin/queues/low/resume'],
  ]

  test('tenant owners and admins get 403, anonymous callers 401, on every route', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const tenantAdmin = await addMember(organization, 'admin')
    const tokens = [await tokenFor(owner, organization), await tokenFor(tenantAdmin, organization)]

    for (const [method, url] of ROUTES) {
      for (const token of tokens) {
        const response = await client.request(url, method as any).bearerToken(token)
        assert.equal(response.status(), 403, `${method} ${url}`)
        assert.equal(response.body().error_code, 'FORBIDDEN')
      }
      const anonymous = await client.request(url, method as any)
      assert.equal(anonymous.status(), 401, `${method} ${url}`)
    }
    assert.isFalse(await low().isPaused())
    assert.lengthOf(await queueAudits(), 0)
  })

  test('unknown queues and jobs answer 404, bad filters 422', async ({ client, assert }) => {
    const { token } = await superAdmin()

    const unknown = await client.get('/api/v1/admin/queues/nope').bearerToken(token)
    unknown.assertStatus(404)
    assert.equal(unknown.body().error_code, 'NOT_FOUND')
    assert.equal(
      unknown.body().message,
      'Unknown queue "nope". Known queues: high, default, low, mail'
    )
    for (const [method, url] of [
      ['GET', '/api/v1/admin/queues/nope/jobs'],
      ['POST', '/api/v1/admin/queues/nope/pause'],
      ['GET', '/api/v1/admin/queues/low/jobs/no-such-job'],
      ['POST', '/api/v1/admin/queues/low/jobs/no-such-job/retry'],
      ['DELETE', '/api/v1/admin/queues/low/jobs/no-such-job'],
    ]) {
      const response = await client.request(url, method as any).bearerToken(token)
      assert.equal(response.status(), 404, `${method} ${url}`)
    }

    const badState = await client
      .get('/api/v1/admin/queues/low/jobs')
      .qs({ state: 'exploded' })
      .bearerToken(token)
    badState.assertStatus(422)
    assert.equal(badState.body().errors[0].field, 'state')
    const badOrganization = await client
      .get('/api/v1/admin/queues/low/jobs')
      .qs({ organization_id: 'abc' })
      .bearerToken(token)
    badOrganization.assertStatus(422)
    assert.lengthOf(await queueAudits(), 0)
  })
})
