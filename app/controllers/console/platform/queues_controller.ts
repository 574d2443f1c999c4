import type { HttpContext } from '@adonisjs/core/http'
import router from '@adonisjs/core/services/router'
import BaseController from '#controllers/base_controller'
import PlatformPolicy from '#policies/platform_policy'
import OrganizationService from '#services/organization_service'
import QueueMonitorService, {
  type JobState,
  type QueueSummary,
} from '#services/queue_monitor_service'
import { listQueueJobsValidator } from '#validators/queue_monitor'

/**
 * The tabs of a queue's page, in the order jobs move through them (BullMQ
 * lists the jobs a pause holds with the waiting ones).
 */
const JOB_TABS: JobState[] = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed']

/**
 * How the monitor shows numbers: durations in the unit that reads best,
 * rates as percentages, memory in MB; `—` when there is nothing to show.
 */
const display = {
  duration(ms: number | null | undefined) {
    if (ms === null || ms === undefined) return '—'
    if (ms < 1000) return `${Math.round(ms)} ms`
    if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
    if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`
    return `${(ms / 3_600_000).toFixed(1)} h`
  },
  percent(rate: number | null | undefined) {
    return rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(1)}%`
  },
  megabytes(bytes: number | null | undefined) {
    return bytes === null || bytes === undefined ? '—' : `${Math.round(bytes / 1024 / 1024)} MB`
  },
  firstLine(text: string | null | undefined) {
    return text ? text.split('\n', 1)[0] : ''
  },
}

/**
 * Jobs per minute of every queue over the last hour, for the overview's
 * chart (read by public/js/queue-monitor.js from a data attribute).
 */
function perMinuteChart(queues: QueueSummary[]) {
  const minutes = queues[0]?.per_minute.map((point) => point.minute) ?? []
  return JSON.stringify({
    minutes,
    queues: queues.map((queue) => ({
      name: queue.name,
      completed: queue.per_minute.map((point) => point.completed),
      failed: queue.per_minute.map((point) => point.failed),
    })),
  })
}

/**
 * The queue monitor (super-admins): what every queue holds and does, its
 * workers and schedules, which organization produces the load; operators
 * pause, resume, retry and delete from here, each action audited. The
 * pages poll themselves with htmx: a request with `HX-Request` gets only
 * the live region of the page.
 */
export default class PlatformQueuesController extends BaseController {
  /** Every queue at a glance, with workers, schedules and load per organization. */
  async index(ctx: HttpContext) {
    await ctx.bouncer.with(PlatformPolicy).authorize('manage')
    const [queues, workers, schedules, organizations, health] = await Promise.all([
      QueueMonitorService.overview(),
      QueueMonitorService.workers(),
      QueueMonitorService.schedules(),
      QueueMonitorService.organizations(),
      QueueMonitorService.healthSnapshot(),
    ])
    return this.renderLive(ctx, 'pages/platform/queues', 'components/queues/overview', {
      queues,
      workers,
      schedules,
      organizations,
      health,
      chartData: perMinuteChart(queues),
    })
  }

  /**
   * One queue: its counts and the jobs of one state (failed unless asked),
   * a page at a time, optionally of one organization (0: platform jobs).
   */
  async show(ctx: HttpContext) {
    await ctx.bouncer.with(PlatformPolicy).authorize('manage')
    const name = QueueMonitorService.queue(ctx.params.name)
    const filters = await ctx.request.validateUsing(listQueueJobsValidator, {
      data: ctx.request.qs(),
    })
    const { page, perPage } = await this.pageParams(ctx)
    const state = filters.state ?? 'failed'
    const [queue, jobs, organizationOptions] = await Promise.all([
      QueueMonitorService.summary(name),
      QueueMonitorService.jobs(name, {
        state,
        page,
        perPage,
        organizationId: filters.organization_id,
      }),
      OrganizationService.platformOptions(),
    ])
    return this.renderLive(ctx, 'pages/platform/queues_show', 'components/queues/jobs', {
      queue,
      jobState: state,
      tabs: JOB_TABS,
      jobs: jobs.rows,
      scanned: jobs.scanned,
      meta: this.pageMeta({
        currentPage: jobs.page,
        perPage: jobs.perPage,
        total: jobs.total,
        lastPage: Math.ceil(jobs.total / jobs.perPage),
      }),
      filters: { state, organization_id: filters.organization_id },
      organizationOptions: [
        { value: 0, label: 'No organization (platform jobs)' },
        ...organizationOptions.map((org) => ({ value: org.id, label: `${org.name} (#${org.id})` })),
      ],
      organizationNames: new Map(organizationOptions.map((org) => [org.id, org.name])),
    })
  }

  /** One job: timings, error and stack trace, its payload with secrets redacted. */
  async job(ctx: HttpContext) {
    await ctx.bouncer.with(PlatformPolicy).authorize('manage')
    const name = QueueMonitorService.queue(ctx.params.name)
    const job = await QueueMonitorService.job(name, ctx.params.id)
    return ctx.view.render('pages/platform/queues_job', {
      job,
      // Shown in <pre> with {{ }}: escaped like any other text.
      payloadJson: JSON.stringify(job.payload ?? null, null, 2),
      returnValueJson:
        job.return_value === undefined || job.return_value === null
          ? null
          : JSON.stringify(job.return_value, null, 2),
      display,
    })
  }

  /** Stops workers from taking the queue's jobs (running ones finish). */
  async pause(ctx: HttpContext) {
    await ctx.bouncer.with(PlatformPolicy).authorize('manage')
    const name = QueueMonitorService.queue(ctx.params.name)
    const audit = await QueueMonitorService.pause(name)
    return this.redirectWithLog(ctx, { ...audit, message: `Queue ${name} paused.` })
  }

  /** Lets workers take the queue's jobs again. */
  async resume(ctx: HttpContext) {
    await ctx.bouncer.with(PlatformPolicy).authorize('manage')
    const name = QueueMonitorService.queue(ctx.params.name)
    const audit = await QueueMonitorService.resume(name)
    return this.redirectWithLog(ctx, { ...audit, message: `Queue ${name} resumed.` })
  }

  /** Puts every failed job of the queue back to wait. */
  async retryFailed(ctx: HttpContext) {
    await ctx.bouncer.with(PlatformPolicy).authorize('manage')
    const name = QueueMonitorService.queue(ctx.params.name)
    const { count, ...audit } = await QueueMonitorService.retryFailed(name)
    return this.redirectWithLog(ctx, {
      ...audit,
      message: `${count} failed ${count === 1 ? 'job' : 'jobs'} of ${name} queued again.`,
    })
  }

  /** Runs a failed or completed job again. */
  async retryJob(ctx: HttpContext) {
    await ctx.bouncer.with(PlatformPolicy).authorize('manage')
    const name = QueueMonitorService.queue(ctx.params.name)
    const audit = await QueueMonitorService.retryJob(name, ctx.params.id)
    return this.redirectWithLog(ctx, { ...audit, message: `Job ${ctx.params.id} queued again.` })
  }

  /**
   * Removes a job that is not running. From the job's own page (gone now)
   * it leads to the queue's page; from a list, back to that list.
   */
  async destroyJob(ctx: HttpContext) {
    await ctx.bouncer.with(PlatformPolicy).authorize('manage')
    const name = QueueMonitorService.queue(ctx.params.name)
    const audit = await QueueMonitorService.deleteJob(name, ctx.params.id)
    const jobPage = router.makeUrl('platform.queues.job', { name, id: ctx.params.id })
    const fromJobPage = this.refererPath(ctx) === jobPage
    return this.redirectWithLog(ctx, {
      ...audit,
      message: `Job ${ctx.params.id} deleted.`,
      ...(fromJobPage ? { route: 'platform.queues.show', params: { name } } : {}),
    })
  }

  /**
   * The whole page, or for htmx's polling (`HX-Request`) only its live
   * region, rendered from the same state (the page includes the region).
   */
  private renderLive(
    ctx: HttpContext,
    page: string,
    region: string,
    state: Record<string, unknown>
  ) {
    ctx.response.header('Vary', 'HX-Request')
    const live = ctx.request.header('hx-request') === 'true'
    return ctx.view.render(live ? region : page, { ...state, display })
  }

  private refererPath(ctx: HttpContext) {
    const referer = ctx.request.header('referer')
    if (!referer) return null
    try {
      return new URL(referer, 'http://console.invalid').pathname
    } catch {
      return null
    }
  }
}
