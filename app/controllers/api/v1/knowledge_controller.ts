import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import ChatbotPolicy from '#policies/chatbot_policy'
import ChatbotService from '#services/chatbot_service'
import KnowledgeService, {
  KnowledgeChanges,
  presentKnowledgeSource,
} from '#services/knowledge_service'
import {
  createKnowledgeValidator,
  removeUploadedFiles,
  updateKnowledgeValidator,
  validateKnowledgeUpload,
} from '#validators/knowledge'

/**
 * `/api/v1/chatbots/:id/knowledge`: what a chatbot answers from. Sources
 * are indexed on the `low` queue; their status and progress show how far.
 */
export default class KnowledgeController extends BaseController {
  /**
   * Sources of a chatbot, newest first, paginated (without their content).
   */
  async index(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('view')
    const chatbot = await ChatbotService.find(ctx.params.id)
    const { page, perPage } = await this.pageParams(ctx)
    const sources = await KnowledgeService.list(chatbot.id).paginateInOne(page, perPage)
    return this.paginated(ctx, sources, (source) => presentKnowledgeSource(source))
  }

  /**
   * Adds a text or FAQ source as JSON, or uploads a file (multipart: a
   * .txt/.md file, or FAQ pairs as .csv); stored `pending` until the job
   * indexes it.
   */
  async store(ctx: HttpContext) {
    try {
      await ctx.bouncer.with(ChatbotPolicy).authorize('update')
      const chatbot = await ChatbotService.find(ctx.params.id)
      const input = ctx.request.is(['multipart/form-data'])
        ? await validateKnowledgeUpload(ctx.request)
        : await ctx.request.validateUsing(createKnowledgeValidator)
      const source = await KnowledgeService.create(chatbot.id, input)
      return this.successWithLog(ctx, {
        ...KnowledgeChanges.created(source, input),
        data: presentKnowledgeSource(source, true),
        message: 'Knowledge source added',
        status: 201,
      })
    } finally {
      // The body parser leaves uploads in the temporary directory.
      await removeUploadedFiles(ctx.request)
    }
  }

  async show(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('view')
    const chatbot = await ChatbotService.find(ctx.params.id)
    const source = await KnowledgeService.find(chatbot.id, ctx.params.sourceId)
    return this.success(ctx, presentKnowledgeSource(source, true))
  }

  /**
   * Changes a source's title or content (FAQ pairs for FAQ sources); a
   * content change re-indexes it (its old chunks answer until then).
   */
  async update(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('update')
    const chatbot = await ChatbotService.find(ctx.params.id)
    const payload = await ctx.request.validateUsing(updateKnowledgeValidator)
    const { source, reindexed, before, after } = await KnowledgeService.update(
      chatbot.id,
      ctx.params.sourceId,
      payload
    )
    return this.successWithLog(ctx, {
      ...KnowledgeChanges.updated(source, { before, after, reindexed }),
      data: presentKnowledgeSource(source, true),
      message: reindexed
        ? 'Knowledge source updated and queued for indexing'
        : 'Knowledge source updated',
    })
  }

  /**
   * Deletes a source (soft) and its chunks.
   */
  async destroy(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('update')
    const chatbot = await ChatbotService.find(ctx.params.id)
    const deleted = await KnowledgeService.delete(chatbot.id, ctx.params.sourceId)
    return this.successWithLog(ctx, {
      ...KnowledgeChanges.deleted(deleted),
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
      ...KnowledgeChanges.reindexed(source),
      data: presentKnowledgeSource(source),
      message: 'Knowledge source queued for indexing',
      status: 202,
    })
  }
}
