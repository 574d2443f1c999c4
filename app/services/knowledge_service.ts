import type { Infer } from '@vinejs/vine/types'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import KnowledgeSource from '#models/knowledge_source'
import KnowledgeChunk from '#models/knowledge_chunk'
import QueueService from '#services/queue_service'
import IndexKnowledgeSource from '#jobs/index_knowledge_source'
import { KnowledgeSourceStatus, KnowledgeSourceType } from '#enums/chatbots'
import type { createKnowledgeValidator } from '#validators/knowledge'

type CreateKnowledgeInput = Infer<typeof createKnowledgeValidator>
export type FaqItem = { question: string; answer: string }

const DEFAULT_CHUNK_SIZE = 800
const DEFAULT_CHUNK_OVERLAP = 100
const MAX_ERROR = 1000

/**
 * The FAQ pairs of a source (stored as JSON in `content`).
 */
function faqItems(source: KnowledgeSource): FaqItem[] {
  const items = JSON.parse(source.content ?? '[]')
  if (!Array.isArray(items)) throw new Error('FAQ content is not a list of pairs')
  return items
}

/**
 * What the API and the audit log show of a source; the content (up to
 * 200k characters) only on request.
 */
export function presentKnowledgeSource(source: KnowledgeSource, withContent = false) {
  const summary = {
    id: Number(source.id),
    chatbot_id: Number(source.chatbotId),
    type: source.type,
    title: source.title,
    status: source.status,
    chunk_count: source.chunkCount,
    error: source.error,
    created_at: source.createdAt.toISO(),
    updated_at: source.updatedAt.toISO(),
  }
  if (!withContent) return summary
  return source.type === KnowledgeSourceType.Faq
    ? { ...summary, items: faqItems(source) }
    : { ...summary, content: source.content }
}

/**
 * Knowledge of a chatbot of the current organization: sources are stored
 * `pending`, then cut into chunks by the `IndexKnowledgeSource` job on the
 * `low` queue (`indexed` with a chunk count, or `failed` with the error).
 */
export default class KnowledgeService {
  static list(chatbotId: number) {
    return KnowledgeSource.query().where('chatbot_id', chatbotId).orderBy('id', 'desc')
  }

  /**
   * A source of this chatbot; 404 for unknown and deleted ids and for
   * other chatbots' and organizations' sources.
   */
  static find(chatbotId: number, sourceId: number | string) {
    return KnowledgeSource.query()
      .where('chatbot_id', chatbotId)
      .where('id', sourceId)
      .firstOrFail()
  }

  static async create(chatbotId: number, input: CreateKnowledgeInput) {
    const content =
      'items' in input
        ? JSON.stringify(input.items.map(({ question, answer }) => ({ question, answer })))
        : input.content
    const source = await KnowledgeSource.create({
      chatbotId,
      type: input.type,
      title: input.title,
      content,
      status: KnowledgeSourceStatus.Pending,
      chunkCount: 0,
      error: null,
    })
    await this.dispatchIndex(source)
    return source
  }

  /**
   * Soft-deletes a source and deletes its chunks, so it stops answering at once.
   */
  static async delete(chatbotId: number, sourceId: number | string) {
    const source = await this.find(chatbotId, sourceId)
    await db.transaction(async (trx) => {
      await KnowledgeChunk.query({ client: trx }).where('knowledge_source_id', source.id).delete()
      source.useTransaction(trx)
      source.chunkCount = 0
      await source.delete()
    })
    return { id: Number(source.id), chatbot_id: Number(chatbotId), title: source.title }
  }

  /**
   * Indexes a source again (its chunks are replaced when the job runs).
   */
  static async reindex(chatbotId: number, sourceId: number | string) {
    const source = await this.find(chatbotId, sourceId)
    source.merge({ status: KnowledgeSourceStatus.Pending, error: null })
    await source.save()
    await this.dispatchIndex(source)
    return source
  }

  /**
   * Replaces the chunks of a source in one transaction (run in its
   * organization). A deleted source is left alone; running it twice
   * leaves the same chunks. On error the source is marked `failed` and the
   * error is rethrown, so the job is retried.
   */
  static async index(sourceId: number) {
    try {
      return await db.transaction(async (trx) => {
        const source = await KnowledgeSource.query({ client: trx })
          .where('id', sourceId)
          .forUpdate()
          .first()
        if (!source) return null

        const texts = this.chunksOf(source)
        await KnowledgeChunk.query({ client: trx }).where('knowledge_source_id', source.id).delete()
        await KnowledgeChunk.createMany(
          texts.map((content, position) => ({
            chatbotId: source.chatbotId,
            knowledgeSourceId: source.id,
            position,
            content,
          })),
          { client: trx }
        )
        source.merge({
          status: KnowledgeSourceStatus.Indexed,
          chunkCount: texts.length,
          error: null,
        })
        await source.save()
        return source
      })
    } catch (error) {
      await this.markFailed(sourceId, error as Error)
      throw error
    }
  }

  /**
   * Marks a source failed (with the error, never the content).
   */
  static async markFailed(sourceId: number, error: Error) {
    await KnowledgeSource.query()
      .where('id', sourceId)
      .update({
        status: KnowledgeSourceStatus.Failed,
        error: String(error?.message ?? error).slice(0, MAX_ERROR),
        updated_at: new Date(),
      })
  }

  /**
   * The chunks of a source: FAQ sources one per pair, text sources cut by
   * `chunk`.
   */
  static chunksOf(source: KnowledgeSource) {
    if (source.type === KnowledgeSourceType.Faq) {
      return faqItems(source).map(({ question, answer }) => `Q: ${question}\nA: ${answer}`)
    }
    if (source.type === KnowledgeSourceType.Text) return this.chunk(source.content ?? '')
    throw new Error(`Sources of type ${source.type} cannot be indexed yet`)
  }

  /**
   * Cuts text into chunks of at most `size` characters at word boundaries
   * (whitespace collapses to one space; a word longer than `size` is cut).
   * Each chunk after the first starts with the last words of the one
   * before, up to `overlap` characters. No chunk is empty.
   */
  static chunk(
    text: string,
    size = app.config.get<number>('knowledge.chunkSize', DEFAULT_CHUNK_SIZE),
    overlap = app.config.get<number>('knowledge.chunkOverlap', DEFAULT_CHUNK_OVERLAP)
  ): string[] {
    const max = Math.max(1, Math.floor(size))
    const keep = Math.min(Math.max(0, Math.floor(overlap)), max - 1)
    const words = text
      .split(/\s+/)
      .filter(Boolean)
      .flatMap((word) => {
        const pieces: string[] = []
        for (let at = 0; at < word.length; at += max) pieces.push(word.slice(at, at + max))
        return pieces
      })

    const chunks: string[] = []
    let start = 0
    while (start < words.length) {
      let end = start
      let length = 0
      while (end < words.length) {
        const added = words[end].length + (end > start ? 1 : 0)
        if (end > start && length + added > max) break
        length += added
        end++
      }
      chunks.push(words.slice(start, end).join(' '))
      if (end >= words.length) break

      // Step back over the last words while they fit the overlap and still
      // leave room for the next new word; always move forward.
      let next = end
      let tail = 0
      while (next - 1 > start) {
        const added = words[next - 1].length + (tail > 0 ? 1 : 0)
        if (tail + added > keep || tail + added + 1 + words[end].length > max) break
        tail += added
        next--
      }
      start = next
    }
    return chunks
  }

  protected static dispatchIndex(source: KnowledgeSource) {
    return QueueService.dispatch(IndexKnowledgeSource, { sourceId: Number(source.id) })
  }
}
