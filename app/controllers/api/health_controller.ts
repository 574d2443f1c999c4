import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import HealthService from '#services/health_service'

export default class HealthController extends BaseController {
  /**
   * Liveness: the process answers HTTP.
   */
  async ping(ctx: HttpContext) {
    return this.success(ctx, { status: 'ok' }, { message: 'pong' })
  }

  /**
   * Readiness: 200 when every dependency passes, 503 naming the ones that fail.
   */
  async show(ctx: HttpContext) {
    const detailed = HealthService.canSeeDetails(ctx.request.header('x-health-token'))
    const report = await HealthService.report({ detailed })

    if (!report.healthy) {
      const failing = report.checks.filter((check) => check.status === 'error')
      return this.error(ctx, `Unhealthy: ${failing.map((check) => check.name).join(', ')}`, {
        status: 503,
        code: 'SERVICE_UNAVAILABLE',
        errors: failing.map((check) => ({
          field: check.name,
          rule: 'health',
          message: check.message,
        })),
      })
    }

    return this.success(ctx, report, {
      message: report.status === 'ok' ? 'All systems operational' : 'Operational with warnings',
    })
  }
}
