import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import ChatbotPolicy from '#policies/chatbot_policy'
import ChatbotService from '#services/chatbot_service'
import KnowledgeService, { KnowledgeChanges } from '#services/knowledge_service'
import {
  createKnowledgeValidator,
  removeUploadedFiles,
  updateKnowledgeValidator,
  validateKnowledgeUpload,
} from '#validators/knowledge'
import { KnowledgeSourceStatus, KnowledgeSourceType } from '#enums/chatbots'

const SOURCES_PER_PAGE = 50

/**
 * FAQ rows as typed in the form (`items[n][question|answer]`): rows left
 * entirely blank are dropped, so a form with spare rows is not refused.
 */
function faqRows(body: Record<string, any>) {
  const rows: Array<Record<string, unknown>> = Array.isArray(body.items)
    ? body.items
    : Object.values(body.items ?? {})
  return rows.filter((row) => row && (row.question || row.answer))
}

/**
 * The console's knowledge page of a chatbot: the same policy, validators,
 * service and audit actions as `/api/v1/chatbots/:id/knowledge`.
 */
export default class KnowledgeController extends BaseController {
  /** Sources with their status and progress, and the forms that add them. */
  async index(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('view')
    return ctx.view.render('pages/chatbots/knowledge', await this.sourcesPage(ctx))
  }

  /** The sources table alone: what the page polls while something is indexing. */
  async sources(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('view')
    return ctx.view.render('pages/chatbots/knowledge_sources', await this.sourcesPage(ctx))
  }

  /**
   * Adds a text or FAQ source typed in a form, or an uploaded .txt/.md
   * file or FAQ .csv; indexed in the background.
   */
  async store(ctx: HttpContext) {
    try {
      await ctx.bouncer.with(ChatbotPolicy).authorize('update')
      const chatbot = await ChatbotService.find(ctx.params.id)
      const body = ctx.request.body()
      const input = ctx.request.is(['multipart/form-data'])
        ? await validateKnowledgeUpload(ctx.request)
        : await createKnowledgeValidator.validate(
            body.type === KnowledgeSourceType.Faq ? { ...body, items: faqRows(body) } : body
          )
      const source = await KnowledgeService.create(chatbot.id, input)
      return await this.redirectWithLog(ctx, {
        ...KnowledgeChanges.created(source, input),
        message: `"${source.title}" added: it is being indexed.`,
        route: 'chatbots.knowledge.index',
        params: { id: chatbot.id },
      })
    } finally {
      // The body parser leaves uploads in the temporary directory.
      await removeUploadedFiles(ctx.request)
    }
  }

  /** The form that changes a source's title and content (or FAQ pairs). */
  async edit(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('update')
    const chatbot = await ChatbotService.find(ctx.params.id)
    const source = await KnowledgeService.find(chatbot.id, ctx.params.sourceId)
    const isFaq = source.type === KnowledgeSourceType.Faq
    return ctx.view.render('pages/chatbots/knowledge_edit', {
      chatbot,
      source,
      isFaq,
      items: isFaq ? JSON.parse(source.content ?? '[]') : [],
    })
  }

  /** Changes a source; a content change re-indexes it. */
  async update(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('update')
    const chatbot = await ChatbotService.find(ctx.params.id)
    const body = ctx.request.body()
    const payload = await updateKnowledgeValidator.validate(
      'items' in body ? { ...body, items: faqRows(body) } : body
    )
    const { source, reindexed, before, after } = await KnowledgeService.update(
      chatbot.id,
      ctx.params.sourceId,
      payload
    )
    return this.redirectWithLog(ctx, {
      ...KnowledgeChanges.updated(source, { before, after, reindexed }),
      message: reindexed
        ? `"${source.title}" saved: it is being indexed again.`
        : `"${source.title}" saved.`,
      route: 'chatbots.knowledge.index',
      params: { id: chatbot.id },
    })
  }

  /** Deletes a source and its chunks. */
  async destroy(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('update')
    const chatbot = await ChatbotService.find(ctx.params.id)
    const deleted = await KnowledgeService.delete(chatbot.id, ctx.params.sourceId)
    return this.redirectWithLog(ctx, {
      ...KnowledgeChanges.deleted(deleted),
      message: 'Knowledge source deleted.',
      route: 'chatbots.knowledge.index',
      params: { id: chatbot.id },
    })
  }

  /** Indexes a source again. */
  async reindex(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('update')
    const chatbot = await ChatbotService.find(ctx.params.id)
    const source = await KnowledgeService.reindex(chatbot.id, ctx.params.sourceId)
    return this.redirectWithLog(ctx, {
      ...KnowledgeChanges.reindexed(source),
      message: `"${source.title}" is being indexed again.`,
      route: 'chatbots.knowledge.index',
      params: { id: chatbot.id },
    })
  }

  /**
   * A page of sources; `busy` while any of them waits for or is in
   * indexing, which keeps the page polling.
   */
  protected async sourcesPage(ctx: HttpContext) {
    const chatbot = await ChatbotService.find(ctx.params.id)
    const { page } = await this.pageParams(ctx)
    const sources = await KnowledgeService.list(chatbot.id).paginateInOne(page, SOURCES_PER_PAGE)
    const busy = sources
      .all()
      .some((source) =>
        [KnowledgeSourceStatus.Pending, KnowledgeSourceStatus.Indexing].includes(source.status)
      )
    return { chatbot, sources: sources.all(), busy, page, meta: this.pageMeta(sources) }
  }
}
