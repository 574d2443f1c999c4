import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import ChatbotPolicy from '#policies/chatbot_policy'
import ChatbotService, { ChatbotChanges, presentChatbot } from '#services/chatbot_service'
import {
  createChatbotValidator,
  listChatbotsValidator,
  updateChatbotValidator,
} from '#validators/chatbot'

/**
 * `/api/v1/chatbots`: the current organization's chatbots. Provider
 * secrets are write-only.
 */
export default class ChatbotsController extends BaseController {
  /**
   * Chatbots, newest first, filterable by status and name, paginated.
   */
  async index(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('viewAny')
    const filters = await ctx.request.validateUsing(listChatbotsValidator, {
      data: ctx.request.qs(),
    })
    const { page, perPage } = await this.pageParams(ctx)
    const chatbots = await ChatbotService.list(filters).paginateInOne(page, perPage)
    return this.paginated(ctx, chatbots, presentChatbot)
  }

  /**
   * Creates a chatbot (a draft on the built-in provider unless told otherwise).
   */
  async store(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('create')
    const payload = await ctx.request.validateUsing(createChatbotValidator)
    const chatbot = await ChatbotService.create(payload)
    return this.successWithLog(ctx, {
      ...ChatbotChanges.created(chatbot),
      data: presentChatbot(chatbot),
      message: 'Chatbot created',
      status: 201,
    })
  }

  async show(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('view')
    const chatbot = await ChatbotService.find(ctx.params.id)
    return this.success(ctx, presentChatbot(chatbot))
  }

  /**
   * Changes a chatbot's settings; secrets left out are kept.
   */
  async update(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('update')
    const payload = await ctx.request.validateUsing(updateChatbotValidator)
    const { chatbot, before, after } = await ChatbotService.update(ctx.params.id, payload)
    return this.successWithLog(ctx, {
      ...ChatbotChanges.updated(chatbot, before, after),
      data: presentChatbot(chatbot),
      message: 'Chatbot updated',
    })
  }

  /**
   * Deletes a chatbot (soft: its conversations stay on record).
   */
  async destroy(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('delete')
    const deleted = await ChatbotService.delete(ctx.params.id)
    return this.successWithLog(ctx, {
      ...ChatbotChanges.deleted(deleted),
      data: null,
      message: 'Chatbot deleted',
    })
  }

  /**
   * A draft copy with the same settings, a new public key and a copy of
   * its knowledge.
   */
  async duplicate(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('create')
    const chatbot = await ChatbotService.duplicate(ctx.params.id)
    return this.successWithLog(ctx, {
      ...ChatbotChanges.duplicated(ctx.params.id, chatbot),
      data: presentChatbot(chatbot),
      message: 'Chatbot duplicated',
      status: 201,
    })
  }

  /**
   * Sends a short probe through the chatbot's provider: 200 with `ok`, the
   * latency and a sample reply, or the classified error (also 200: the
   * test itself worked).
   */
  async testConnection(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('update')
    const { chatbot, result } = await ChatbotService.testConnection(ctx.params.id)
    return this.successWithLog(ctx, {
      ...ChatbotChanges.connectionTested(chatbot, result),
      data: result,
      message: result.ok ? 'The provider answered' : 'The provider did not answer',
    })
  }
}
