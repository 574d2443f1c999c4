import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import PlatformPolicy from '#policies/platform_policy'
import QueueMonitorService from '#services/queue_monitor_service'
import { listQueueJobsValidator } from '#validators/queue_monitor'

/**
 * `/api/v1/admin/queues`: the queue monitor and its operator actions, for
 * super-admins. Every action is audited as a platform entry.
 */
export default class AdminQueuesController extends BaseController {
  /** Every queue's summary, the workers, the scheduled jobs and the last health snapshot. */
  async index(ctx: HttpContext) {
    await ctx.bouncer.with(PlatformPolicy).authorize('manage')
    const [queues, workers, schedules, health] = await Promise.all([
      QueueMonitorService.overview(),
      QueueMonitorService.workers(),
      QueueMonitorService.schedules(),
      QueueMonitorService.healthSnapshot(),
    ])
    return this.success(ctx, { queues, workers, schedules, health })
  }

  /** Load and failures by organization (counts and ids only). */
  async organizations(ctx: HttpContext) {
    await ctx.bouncer.with(PlatformPolicy).authorize('manage')
    return this.success(ctx, await QueueMonitorService.organizations())
  }

  /** Worker processes from their heartbeats. */
  async workers(ctx: HttpContext) {
    await ctx.bouncer.with(PlatformPolicy).authorize('manage')
    return this.success(ctx, await QueueMonitorService.workers())
  }

  /** One queue's summary with its scheduled jobs. */
  async show(ctx: HttpContext) {
    await ctx.bouncer.with(PlatformPolicy).authorize('manage')
    const name = QueueMonitorService.queue(ctx.params.name)
    const [summary, schedules] = await Promise.all([
      QueueMonitorService.summary(name),
      QueueMonitorService.schedules(),
    ])
    return this.success(ctx, {
      ...summary,
      schedules: schedules.filter((schedule) => schedule.queue === name),
    })
  }

  /** A page of the queue's jobs in one state (`failed` by default), newest first. */
  async jobs(ctx: HttpContext) {
    await ctx.bouncer.with(PlatformPolicy).authorize('manage')
    const name = QueueMonitorService.queue(ctx.params.name)
    const filters = await ctx.request.validateUsing(listQueueJobsValidator, {
      data: ctx.request.qs(),
    })
    const { page, perPage } = await this.pageParams(ctx)
    const { rows, total, scanned } = await QueueMonitorService.jobs(name, {
      state: filters.state ?? 'failed',
      page,
      perPage,
      organizationId: filters.organization_id,
    })
    const meta = this.pageMeta({
      currentPage: page,
      perPage,
      total,
      lastPage: Math.ceil(total / perPage),
    })
    // The organization filter reads only the newest jobs of the state: `scanned` says how many.
    return this.success(ctx, rows, { meta: scanned === undefined ? meta : { ...meta, scanned } })
  }

  /** One job: error, stack, timing and its payload with secrets redacted. */
  async job(ctx: HttpContext) {
    await ctx.bouncer.with(PlatformPolicy).authorize('manage')
    const name = QueueMonitorService.queue(ctx.params.name)
    return this.success(ctx, await QueueMonitorService.job(name, ctx.params.id))
  }

  /** Runs a failed (or completed) job once more. */
  async retryJob(ctx: HttpContext) {
    await ctx.bouncer.with(PlatformPolicy).authorize('manage')
    const name = QueueMonitorService.queue(ctx.params.name)
    const audit = await QueueMonitorService.retryJob(name, ctx.params.id)
    return this.successWithLog(ctx, {
      ...audit,
      data: { queue: name, id: ctx.params.id },
      message: `Job ${ctx.params.id} queued again`,
    })
  }

  /** Removes a job that is not running. */
  async destroyJob(ctx: HttpContext) {
    await ctx.bouncer.with(PlatformPolicy).authorize('manage')
    const name = QueueMonitorService.queue(ctx.params.name)
    const audit = await QueueMonitorService.deleteJob(name, ctx.params.id)
    return this.successWithLog(ctx, {
      ...audit,
      data: { queue: name, id: ctx.params.id },
      message: `Job ${ctx.params.id} deleted`,
    })
  }

  /** Queues every failed job of the queue again. */
  async retryFailed(ctx: HttpContext) {
    await ctx.bouncer.with(PlatformPolicy).authorize('manage')
    const name = QueueMonitorService.queue(ctx.params.name)
    const { count, ...audit } = await QueueMonitorService.retryFailed(name)
    return this.successWithLog(ctx, {
      ...audit,
      data: { queue: name, count },
      message: `${count} failed job(s) of ${name} queued again`,
    })
  }

  /** Stops workers from taking the queue's jobs (running jobs finish). */
  async pause(ctx: HttpContext) {
    await ctx.bouncer.with(PlatformPolicy).authorize('manage')
    const name = QueueMonitorService.queue(ctx.params.name)
    const audit = await QueueMonitorService.pause(name)
    return this.successWithLog(ctx, {
      ...audit,
      data: { queue: name, paused: true },
      message: `Queue ${name} paused`,
    })
  }

  /** Lets workers take the queue's jobs again. */
  async resume(ctx: HttpContext) {
    await ctx.bouncer.with(PlatformPolicy).authorize('manage')
    const name = QueueMonitorService.queue(ctx.params.name)
    const audit = await QueueMonitorService.resume(name)
    return this.successWithLog(ctx, {
      ...audit,
      data: { queue: name, paused: false },
      message: `Queue ${name} resumed`,
    })
  }
}
