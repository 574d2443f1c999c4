import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import ChatbotPolicy from '#policies/chatbot_policy'
import ChatbotService, { ChatbotChanges, presentChatbot } from '#services/chatbot_service'
import { updateChatbotValidator } from '#validators/chatbot'

/**
 * Routes that exist only for bench/ (BENCH_ROUTES=true): the floor of the
 * HTTP stack, and one mutation answered with and without its audit entry.
 */
export default class BenchController extends BaseController {
  /**
   * The cheapest JSON answer the app can give: no envelope, no service.
   */
  async bare({ response }: HttpContext) {
    return response.json({ ok: true })
  }

  /**
   * PATCH of a chatbot through ChatbotService, answered without an audit entry.
   */
  async updatePlain(ctx: HttpContext) {
    const chatbot = await this.#update(ctx)
    return this.success(ctx, presentChatbot(chatbot.chatbot), { message: 'Chatbot updated' })
  }

  /**
   * The same PATCH answered like the real endpoint, with its audit entry.
   */
  async updateLogged(ctx: HttpContext) {
    const { chatbot, before, after } = await this.#update(ctx)
    return this.successWithLog(ctx, {
      ...ChatbotChanges.updated(chatbot, before, after),
      data: presentChatbot(chatbot),
      message: 'Chatbot updated',
    })
  }

  async #update(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('update')
    const payload = await ctx.request.validateUsing(updateChatbotValidator)
    return ChatbotService.update(ctx.params.id, payload)
  }
}
