import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import limiter from '@adonisjs/limiter/services/main'
import queueManager from '@rlanz/bull-queue/services/main'
import type { Job } from 'bullmq'
import QueueService from '#services/queue_service'
import { WorkerPool } from '#support/job_runner'
import ConsoleProbeJob from '#tests/fixtures/jobs/console_probe_job'
import SleepJob from '#tests/fixtures/jobs/sleep_job'
import { UserFactory } from '#database/factories/user_factory'
import { createOrganization } from '#tests/helpers/identity'
import { auditQuery, findAudit, findAuditOrFail } from '#tests/helpers/audit'
import { decodeHtml } from '#tests/helpers/html'
import { waitFor } from '#tests/helpers/wait_for'
import { emptyQueue } from '#tests/helpers/queues'

const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const

const low = () => queueManager.getOrSet('low')
const resetLow = () => emptyQueue('low')

/**
 * Runs the low queue's jobs on a real worker pool until each of `jobs` has
 * finished (completed or failed), then stops the pool.
 */
async function runToEnd(jobs: Job[]) {
  const pool = new WorkerPool().start(['low'])
  try {
    await waitFor(async () => {
      const states = await Promise.all(jobs.map((job) => low().getJobState(job.id!)))
      return states.every((state) => state === 'completed' || state === 'failed')
    }, 15_000)
  } finally {
    await pool.close()
  }
}

/** Failed jobs of an organization (attempts: 1, so they fail at once). */
async function failedJobs(organizationId: number | null, count: number, note = 'probe') {
  const jobs = await Promise.all(
    Array.from({ length: count }, () =>
      QueueService.dispatch(ConsoleProbeJob, { fail: true, note }, { organizationId, attempts: 1 })
    )
  )
  await runToEnd(jobs)
  return jobs
}

/** The HTML of the element with `id` up to the next sibling card of the same kind. */
function section(html: string, id: string) {
  const start = html.indexOf(`id="${id}"`)
  if (start === -1) throw new Error(`No element with id ${id}`)
  const next = html.indexOf('data-queue="', html.indexOf('>', start) + 1)
  return html.slice(start, next === -1 ? undefined : next)
}

/** `data-count="<state>">N<` values of a piece of HTML. */
function countsIn(html: string) {
  const counts: Record<string, number> = {}
  for (const match of html.matchAll(/data-count="([a-z_]+)">(\d+)</g)) {
    counts[match[1]] ??= Number(match[2])
  }
  return counts
}

async function superAdmin() {
  return UserFactory.apply('superAdmin').create()
}

test.group('Console: queue monitor', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => limiter.clear())
  group.each.setup(async () => {
    await resetLow()
    return resetLow
  })

  test('the overview shows each queue with the counts BullMQ reports', async ({
    client,
    assert,
  }) => {
    const admin = await superAdmin()
    const { organization } = await createOrganization('Counting Harbor')
    await failedJobs(organization.id, 2)
    for (let index = 0; index < 3; index++) {
      await QueueService.dispatch(ConsoleProbeJob, {}, { organizationId: organization.id })
    }
    await QueueService.dispatch(ConsoleProbeJob, {}, { delay: 60_000 })

    const response = await client.get('/admin/queues').loginAs(admin)
    response.assertStatus(200)
    const html = response.text()
    const expected = await low().getJobCounts(...STATES)
    assert.deepInclude(expected, { waiting: 3, delayed: 1, failed: 2 })
    const shown = countsIn(section(html, 'queue-low'))
    for (const state of STATES) assert.equal(shown[state], expected[state], state)

    for (const name of ['high', 'default', 'mail']) assert.include(html, `id="queue-${name}"`)
    assert.include(html, 'id="queue-throughput-chart"')
    // The last hour: two failures on the low queue.
    assert.match(section(html, 'queue-low'), /data-figure="last-hour">\d+ \/ 2</)
    assert.include(html, 'Retry 2 failed jobs of low?')
    // No worker now: the empty state says how to start one.
    assert.include(html, 'node ace queue:listen')
  })

  test('htmx polling gets only the live region of each page', async ({ client, assert }) => {
    const admin = await superAdmin()
    await QueueService.dispatch(ConsoleProbeJob, {})

    const full = await client.get('/admin/queues').loginAs(admin)
    assert.include(full.text(), 'hx-trigger="every 5s"')
    assert.include(full.text(), '<html')

    const region = await client.get('/admin/queues').loginAs(admin).header('HX-Request', 'true')
    region.assertStatus(200)
    region.assertHeader('vary', 'HX-Request')
    const html = region.text().trim()
    assert.match(html, /^(<!--.*?-->\s*)?<div\s+id="queues-live"/s)
    assert.notInclude(html, '<html')
    assert.notInclude(html, 'Skip to content')
    assert.equal(countsIn(section(html, 'queue-low')).waiting, 1)

    const queuePage = await client
      .get('/admin/queues/low?state=waiting')
      .loginAs(admin)
      .header('HX-Request', 'true')
    queuePage.assertStatus(200)
    assert.match(queuePage.text().trim(), /^<div\s+id="queue-live"/)
    assert.include(queuePage.text(), 'hx-get="/admin/queues/low?state=waiting"')
    assert.notInclude(queuePage.text(), '<html')
  })

  test('a queue page lists the jobs of a state, a page at a time, by organization', async ({
    client,
    assert,
  }) => {
    const admin = await superAdmin()
    const { organization: north } = await createOrganization('North Pier')
    const { organization: south } = await createOrganization('South Pier')
    const failed = await failedJobs(north.id, 1)
    const waiting: Job[] = []
    for (let index = 0; index < 3; index++) {
      waiting.push(await QueueService.dispatch(ConsoleProbeJob, {}, { organizationId: south.id }))
    }
    await QueueService.dispatch(ConsoleProbeJob, {}, { organizationId: null })

    // Failed by default, with the error's first line.
    const page = await client.get('/admin/queues/low').loginAs(admin)
    page.assertStatus(200)
    assert.include(page.text(), `data-job="${failed[0].id}"`)
    assert.include(page.text(), 'Console probe failed on purpose')
    assert.include(decodeHtml(page.text()), 'North Pier')
    assert.match(page.text(), /data-tab="failed"[^>]*aria-current="page"/)
    assert.equal(countsIn(page.text()).waiting, 4)
    // Failed rows can be retried and deleted.
    assert.include(page.text(), `/admin/queues/low/jobs/${failed[0].id}/retry`)
    assert.include(page.text(), `/admin/queues/low/jobs/${failed[0].id}?_method=DELETE`)

    const first = await client.get('/admin/queues/low?state=waiting&per_page=2').loginAs(admin)
    assert.include(first.text(), '1–2 of 4')
    assert.include(first.text(), 'rel="next"')
    const second = await client
      .get('/admin/queues/low?state=waiting&per_page=2&page=2')
      .loginAs(admin)
    assert.include(second.text(), '3–4 of 4')

    const southOnly = await client
      .get(`/admin/queues/low?state=waiting&organization_id=${south.id}`)
      .loginAs(admin)
    for (const job of waiting) assert.include(southOnly.text(), `data-job="${job.id}"`)
    assert.include(southOnly.text(), '1–3 of 3')
    const platformOnly = await client
      .get('/admin/queues/low?state=waiting&organization_id=0')
      .loginAs(admin)
    assert.include(platformOnly.text(), '1–1 of 1')
  })

  test('pause and resume through the console forms, each audited', async ({ client, assert }) => {
    const admin = await superAdmin()

    const paused = await client
      .post('/admin/queues/low/pause')
      .loginAs(admin)
      .withCsrfToken()
      .redirects(0)
      .header('referer', '/admin/queues')
    paused.assertStatus(302)
    paused.assertHeader('location', '/admin/queues')
    paused.assertFlashMessage('success', 'Queue low paused.')
    assert.isTrue(await low().isPaused())
    const pauseAudit = await findAuditOrFail('action', 'queue.paused')
    assert.equal(pauseAudit.actorUserId, admin.id)
    assert.equal(pauseAudit.subjectType, 'queue')
    assert.equal(pauseAudit.subjectId, 'low')

    // Jobs dispatched meanwhile are held apart (BullMQ's paused list), and shown.
    const held = await QueueService.dispatch(ConsoleProbeJob, {})
    const overview = await client.get('/admin/queues').loginAs(admin)
    const card = section(overview.text(), 'queue-low')
    assert.include(card, 'Paused')
    assert.deepInclude(countsIn(card), await low().getJobCounts('waiting', 'paused'))
    assert.equal(countsIn(card).paused, 1)
    const page = await client.get('/admin/queues/low?state=waiting').loginAs(admin)
    assert.include(page.text(), 'Resume low')
    assert.equal(countsIn(page.text()).waiting, 1)
    assert.include(page.text(), `data-job="${held.id}"`)

    const resumed = await client
      .post('/admin/queues/low/resume')
      .loginAs(admin)
      .withCsrfToken()
      .redirects(0)
      .header('referer', '/admin/queues/low')
    resumed.assertStatus(302)
    resumed.assertHeader('location', '/admin/queues/low')
    resumed.assertFlashMessage('success', 'Queue low resumed.')
    assert.isFalse(await low().isPaused())
    const resumeAudit = await findAuditOrFail('action', 'queue.resumed')
    assert.equal(resumeAudit.actorUserId, admin.id)
  })

  test('retry one, retry all failed and delete, each audited; a running job is refused', async ({
    client,
    assert,
  }) => {
    const admin = await superAdmin()
    const [one, two, three] = await failedJobs(null, 3)

    const retried = await client
      .post(`/admin/queues/low/jobs/${one.id}/retry`)
      .loginAs(admin)
      .withCsrfToken()
      .redirects(0)
      .header('referer', '/admin/queues/low?state=failed')
    retried.assertStatus(302)
    retried.assertHeader('location', '/admin/queues/low?state=failed')
    retried.assertFlashMessage('success', `Job ${one.id} queued again.`)
    assert.equal(await low().getJobState(one.id!), 'waiting')
    const retryAudit = await findAuditOrFail('action', 'queue.job_retried')
    assert.equal(retryAudit.subjectId, `low:${one.id}`)
    assert.equal(retryAudit.actorUserId, admin.id)

    // From the job's own page, a deleted job leads to its queue.
    const deleted = await client
      .delete(`/admin/queues/low/jobs/${two.id}`)
      .loginAs(admin)
      .withCsrfToken()
      .redirects(0)
      .header('referer', `/admin/queues/low/jobs/${two.id}`)
    deleted.assertStatus(302)
    deleted.assertHeader('location', '/admin/queues/low')
    deleted.assertFlashMessage('success', `Job ${two.id} deleted.`)
    assert.isUndefined(await low().getJob(two.id!))
    await findAuditOrFail('action', 'queue.job_deleted')

    const all = await client
      .post('/admin/queues/low/retry-failed')
      .loginAs(admin)
      .withCsrfToken()
      .redirects(0)
      .header('referer', '/admin/queues')
    all.assertStatus(302)
    all.assertFlashMessage('success', '1 failed job of low queued again.')
    assert.equal(await low().getJobState(three.id!), 'waiting')
    const allAudit = await findAuditOrFail('action', 'queue.failed_retried')
    assert.deepInclude(allAudit.changes as object, { queue: 'low', count: 1 })

    // A running job cannot be deleted: the page says so and nothing is audited.
    await resetLow()
    const sleeper = await QueueService.dispatch(
      SleepJob,
      { ms: 1500, key: 'console-sleeper' },
      {
        queueName: 'low',
      }
    )
    const pool = new WorkerPool().start(['low'])
    try {
      await waitFor(async () => (await low().getJobState(sleeper.id!)) === 'active')
      const refused = await client
        .delete(`/admin/queues/low/jobs/${sleeper.id}`)
        .loginAs(admin)
        .withCsrfToken()
        .redirects(0)
        .header('referer', '/admin/queues/low?state=active')
      refused.assertStatus(302)
      refused.assertHeader('location', '/admin/queues/low?state=active')
      refused.assertFlashMessage(
        'error',
        `Job ${sleeper.id} is running: wait for it to finish (or fail), then delete it.`
      )
      const activePage = await client.get('/admin/queues/low?state=active').loginAs(admin)
      assert.include(activePage.text(), `data-job="${sleeper.id}"`)
      assert.notInclude(activePage.text(), `/admin/queues/low/jobs/${sleeper.id}?_method=DELETE`)
    } finally {
      await pool.close()
    }
    const deletions = await auditQuery().where('action', 'queue.job_deleted')
    assert.notInclude(
      deletions.map((entry) => entry.subjectId),
      `low:${sleeper.id}`
    )
  })

  test('a job page escapes HTML in the payload and redacts secrets', async ({ client, assert }) => {
    const admin = await superAdmin()
    const job = await QueueService.dispatch(ConsoleProbeJob, {
      api_key: 'sk-live-console-secret-1234',
      note: '<script>alert(1)</script>',
    })

    const page = await client.get(`/admin/queues/low/jobs/${job.id}`).loginAs(admin)
    page.assertStatus(200)
    const html = page.text()
    assert.notInclude(html, 'sk-live-console-secret-1234')
    assert.notInclude(html, '<script>alert(1)</script>')
    assert.include(html, '&lt;script&gt;alert(1)&lt;/script&gt;')
    assert.include(decodeHtml(html), '"api_key": "[REDACTED]"')
    assert.include(html, 'ConsoleProbeJob')
    assert.include(html, `/admin/queues/low/jobs/${job.id}?_method=DELETE`)

    const [failed] = await failedJobs(null, 1)
    const failedPage = await client.get(`/admin/queues/low/jobs/${failed.id}`).loginAs(admin)
    assert.include(failedPage.text(), 'Console probe failed on purpose')
    assert.include(failedPage.text(), 'id="job-stacktrace-0"')
    assert.include(failedPage.text(), `/admin/queues/low/jobs/${failed.id}/retry`)
  })

  test('the organization view shows counts and ids, never payloads', async ({ client, assert }) => {
    const admin = await superAdmin()
    const { organization: busy } = await createOrganization('Busy Lighthouse')
    const { organization: calm } = await createOrganization('Calm Lighthouse')
    await failedJobs(calm.id, 1, 'calm-private-note-failed')
    for (let index = 0; index < 4; index++) {
      await QueueService.dispatch(
        ConsoleProbeJob,
        { note: 'busy-private-note-waiting' },
        { organizationId: busy.id }
      )
    }

    const html = (await client.get('/admin/queues').loginAs(admin)).text()
    const table = html.slice(html.indexOf('id="queue-organizations"'))
    const row = (id: number) => {
      const start = table.indexOf(`data-organization="${id}"`)
      assert.isAbove(start, -1, `row of organization ${id}`)
      return table.slice(start, table.indexOf('</tr>', start))
    }
    assert.include(decodeHtml(row(busy.id)), 'Busy Lighthouse')
    assert.include(row(busy.id), `#${busy.id}`)
    assert.deepInclude(countsIn(row(busy.id)), { waiting: 4, failed: 0 })
    assert.include(decodeHtml(row(calm.id)), 'Calm Lighthouse')
    assert.deepInclude(countsIn(row(calm.id)), { waiting: 0, failed: 1, failed_last_hour: 1 })
    assert.notInclude(html, 'private-note')
  })

  test('an organization owner gets 403 on every page and every action', async ({
    client,
    assert,
  }) => {
    const { owner } = await createOrganization('Not Platform')
    const job = await QueueService.dispatch(ConsoleProbeJob, {})

    for (const url of ['/admin/queues', '/admin/queues/low', `/admin/queues/low/jobs/${job.id}`]) {
      const response = await client.get(url).loginAs(owner).redirects(0)
      response.assertStatus(403)
    }
    const htmx = await client.get('/admin/queues').loginAs(owner).header('HX-Request', 'true')
    htmx.assertStatus(403)
    for (const url of [
      '/admin/queues/low/pause',
      '/admin/queues/low/resume',
      '/admin/queues/low/retry-failed',
      `/admin/queues/low/jobs/${job.id}/retry`,
    ]) {
      const response = await client.post(url).loginAs(owner).withCsrfToken().redirects(0)
      response.assertStatus(403)
    }
    const destroy = await client
      .delete(`/admin/queues/low/jobs/${job.id}`)
      .loginAs(owner)
      .withCsrfToken()
      .redirects(0)
    destroy.assertStatus(403)

    assert.isFalse(await low().isPaused())
    assert.equal(await low().getJobState(job.id!), 'waiting')
    assert.isNull(await findAudit('action', 'queue.paused'))
    assert.isNull(await findAudit('action', 'queue.job_deleted'))
  })

  test('an unknown queue or job answers the 404 page', async ({ client, assert }) => {
    const admin = await superAdmin()
    for (const url of [
      '/admin/queues/nope',
      '/admin/queues/low/jobs/999999',
      '/admin/queues/NOPE',
      '/admin/queues/low/jobs/bad%20id',
    ]) {
      const response = await client.get(url).loginAs(admin)
      response.assertStatus(404)
      assert.include(response.text(), '<html')
    }
    const action = await client
      .post('/admin/queues/nope/pause')
      .loginAs(admin)
      .withCsrfToken()
      .redirects(0)
    action.assertStatus(404)
    const retry = await client
      .post('/admin/queues/low/jobs/999999/retry')
      .loginAs(admin)
      .withCsrfToken()
      .redirects(0)
    retry.assertStatus(404)
  })
})
