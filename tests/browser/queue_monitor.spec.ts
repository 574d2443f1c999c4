import { test } from '@japa/runner'
import type { Page } from 'playwright'
import limiter from '@adonisjs/limiter/services/main'
import queueManager from '@rlanz/bull-queue/services/main'
import QueueService from '#services/queue_service'
import ConsoleProbeJob from '#tests/fixtures/jobs/console_probe_job'
import { UserFactory } from '#database/factories/user_factory'
import { signIn, submitAndWait } from '#tests/browser/support'
import { emptyQueue } from '#tests/helpers/queues'

const low = () => queueManager.getOrSet('low')
const resetLow = () => emptyQueue('low')

/** A count shown on the low queue's card. */
async function lowCount(page: Page, state: string) {
  const text = await page.locator(`#queue-low [data-count="${state}"]`).textContent()
  return Number(text?.trim())
}

test.group('Console in chromium: queue monitor', (group) => {
  group.each.setup(() => limiter.clear())
  group.each.setup(async () => {
    await resetLow()
    return resetLow
  })

  test('a super-admin watches the counts change live, then pauses and resumes a queue', async ({
    browserContext,
    assert,
  }) => {
    const admin = await UserFactory.apply('superAdmin').create()
    await QueueService.dispatch(ConsoleProbeJob, {})

    const page = await signIn(browserContext, admin.email)
    await page.goto('/admin/queues')
    await page.assertTitle('Queues · Parley')
    assert.equal(await lowCount(page, 'waiting'), 1)
    assert.equal(await lowCount(page, 'failed'), 0)
    // Chart.js drew the throughput chart.
    await page.waitForFunction(
      `!!window.Chart?.getChart(document.querySelector('#queue-throughput-chart'))`
    )

    // New work shows up without a reload (htmx refreshes the region every 5 s).
    await page.evaluate('window.notReloaded = true')
    for (let index = 0; index < 3; index++) await QueueService.dispatch(ConsoleProbeJob, {})
    await page.waitForFunction(
      `document.querySelector('#queue-low [data-count="waiting"]')?.textContent.trim() === '4'`,
      undefined,
      { timeout: 12_000 }
    )
    assert.isTrue(await page.evaluate('window.notReloaded === true'))
    // The chart is drawn again on the fresh canvas.
    await page.waitForFunction(
      `!!window.Chart?.getChart(document.querySelector('#queue-throughput-chart'))`
    )

    // Pause asks first, then pauses the queue for real.
    await page.getByRole('button', { name: 'Pause low' }).click()
    const dialog = page.locator('#pause-low')
    await dialog.getByText('Pause the low queue?').waitFor()
    await submitAndWait(page, dialog.getByRole('button', { name: 'Pause', exact: true }))
    await page.assertPath('/admin/queues')
    await page.assertTextContains('body', 'Queue low paused.')
    assert.isTrue(await low().isPaused())
    await page.assertTextContains('#queue-low', 'Paused')
    assert.equal(await lowCount(page, 'paused'), 4)

    await submitAndWait(page, page.getByRole('button', { name: 'Resume low' }))
    await page.assertTextContains('body', 'Queue low resumed.')
    assert.isFalse(await low().isPaused())
    assert.equal(await lowCount(page, 'waiting'), 4)
  })

  test('from the overview to the waiting jobs of a queue and to one job, its payload escaped and redacted', async ({
    browserContext,
    assert,
  }) => {
    const admin = await UserFactory.apply('superAdmin').create()
    const job = await QueueService.dispatch(ConsoleProbeJob, {
      api_key: 'sk-browser-secret-9876',
      note: '<b>bold</b>',
    })

    const page = await signIn(browserContext, admin.email)
    await page.goto('/admin/queues')
    await submitAndWait(page, page.locator('#queue-low').getByRole('link', { name: 'Jobs' }))
    await page.assertPath('/admin/queues/low')
    await submitAndWait(page, page.locator('[data-tab="waiting"]'))
    await page.locator(`tr[data-job="${job.id}"]`).waitFor()
    await submitAndWait(page, page.getByRole('link', { name: `#${job.id}` }))
    await page.assertPath(`/admin/queues/low/jobs/${job.id}`)
    const payload = await page.locator('#job-payload').textContent()
    assert.include(payload, '"note": "<b>bold</b>"')
    assert.include(payload, '"api_key": "[REDACTED]"')
    assert.notInclude(await page.content(), 'sk-browser-secret-9876')
  })
})
