import type { HttpContext } from '@adonisjs/core/http'
import DashboardService from '#services/dashboard_service'
import ConversationPolicy from '#policies/conversation_policy'

export default class DashboardController {
  /** The current organization's figures at a glance. */
  async index({ view, bouncer }: HttpContext) {
    const figures = await DashboardService.figures()
    // Chatbot figures are read by those who may read the conversations.
    const chatbots = (await bouncer.with(ConversationPolicy).allows('viewAny'))
      ? await DashboardService.chatbotFigures()
      : null
    // The charts read their data from an attribute of their canvas.
    return view.render('pages/dashboard', {
      figures,
      chartData: JSON.stringify(figures.auditPerDay),
      chatbots,
      chatbotChartData: chatbots ? JSON.stringify(chatbots.perDay) : null,
      percent: (rate: number | null) => (rate === null ? '—' : `${Math.round(rate * 100)}%`),
      milliseconds: (value: number | null) => (value === null ? '—' : `${Math.round(value)} ms`),
    })
  }
}
