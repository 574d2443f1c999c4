import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import ChatbotPolicy from '#policies/chatbot_policy'
import ChatbotService from '#services/chatbot_service'
import KnowledgeService, { presentKnowledgeSource } from '#services/knowledge_service'
import { createKnowledgeValidator } from '#validators/knowledge'

/**
 * `/api/v1/chatbots/:id/knowledge`: what a chatbot answers from. Sources
 * are indexed on the `low` queue; their status shows the progress.
 */
export default class KnowledgeController extends BaseController {
  /**
   * Sources of a chatbot, newest first, paginated (without their content).
   */
  async index(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('view')
    const chatbot = await ChatbotService.find(ctx.params.id)
    const { page, perPage } = await this.pageParams(ctx)
    const sources = await KnowledgeService.list(chatbot.id).paginate(page, perPage)
    return this.paginated(ctx, sources, (source) => presentKnowledgeSource(source))
  }

  /**
   * Adds a text or FAQ source, stored `pending` until the job indexes it.
   */
  async store(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('update')
    const chatbot = await ChatbotService.find(ctx.params.id)
    const payload = await ctx.request.validateUsing(createKnowledgeValidator)
    const source = await KnowledgeService.create(chatbot.id, payload)
    return this.successWithLog(ctx, {
      action: 'knowledge.created',
      subject: { type: 'knowledge_source', id: source.id },
      changes: {
        chatbot_id: Number(chatbot.id),
        type: source.type,
        title: source.title,
        ...('items' in payload
          ? { items: payload.items.length }
          : { characters: payload.content.length }),
      },
      data: presentKnowledgeSource(source, true),
      message: 'Knowledge source added',
      status: 201,
    })
  }

  async show(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('view')
    const chatbot = await ChatbotService.find(ctx.params.id)
    const source = await KnowledgeService.find(chatbot.id, ctx.params.sourceId)
    return this.success(ctx, presentKnowledgeSource(source, true))
  }

  /**
   * Deletes a source (soft) and its chunks.
   */
  async destroy(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('update')
    const chatbot = await ChatbotService.find(ctx.params.id)
    const deleted = await KnowledgeService.delete(chatbot.id, ctx.params.sourceId)
    return this.successWithLog(ctx, {
      action: 'knowledge.deleted',
      subject: { type: 'knowledge_source', id: deleted.id },
      changes: deleted,
      data: null,
      message: 'Knowledge source deleted',
    })
  }

  /**
   * Indexes a source again; its chunks are replaced when the job runs.
   */
  async reindex(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('update')
    const chatbot = await ChatbotService.find(ctx.params.id)
    const source = await KnowledgeService.reindex(chatbot.id, ctx.params.sourceId)
    return this.successWithLog(ctx, {
      action: 'knowledge.reindexed',
      subject: { type: 'knowledge_source', id: source.id },
      changes: { chatbot_id: Number(chatbot.id), title: source.title },
      data: presentKnowledgeSource(source),
      message: 'Knowledge source queued for indexing',
      status: 202,
    })
  }
}
