import type { HttpContext } from '@adonisjs/core/http'
import DashboardService from '#services/dashboard_service'

export default class DashboardController {
  /** The current organization's figures at a glance. */
  async index({ view }: HttpContext) {
    const figures = await DashboardService.figures()
    // The chart reads its data from an attribute of the canvas.
    return view.render('pages/dashboard', {
      figures,
      chartData: JSON.stringify(figures.auditPerDay),
    })
  }
}
