import { DateTime } from 'luxon'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import KnowledgeSource from '#models/knowledge_source'
import ApiException from '#exceptions/api_exception'
import KnowledgeChunk from '#models/knowledge_chunk'
import QueueService from '#services/queue_service'
import type { AuditedChange } from '#services/audit_service'
import IndexKnowledgeSource from '#jobs/index_knowledge_source'
import { KnowledgeSourceStatus, KnowledgeSourceType } from '#enums/chatbots'
import type { FaqItem, KnowledgeInput } from '#validators/knowledge'

export type { FaqItem } from '#validators/knowledge'

const DEFAULT_CHUNK_SIZE = 800
const DEFAULT_CHUNK_OVERLAP = 100
const MAX_ERROR = 1000

/** Chunks written per insert batch; progress is reported after each. */
const CHUNK_BATCH = 50
/** Progress once a source is read and cut; writing its chunks takes it up to 95, done is 100. */
const PROGRESS_READ = 10
const PROGRESS_WRITTEN = 95
const PROGRESS_DONE = 100

/**
 * Databases with one writer (SQLite): while the chunk transaction is open,
 * a progress write on another connection would wait for it, so none is made.
 */
const SINGLE_WRITER_DIALECTS = ['sqlite3', 'better-sqlite3', 'libsql']

type IndexOptions = {
  /** Called after each step with the progress (0–100), awaited. */
  onProgress?: (progress: number) => unknown
}

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
    progress: source.progress,
    file_name: source.fileName,
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
 * Markdown as plain text for searching and quoting in answers: the markup
 * that would show in a reply goes (heading marks, emphasis, code fences and
 * backticks, link and image syntax, rules, table borders, quote marks, HTML
 * comments); the words stay, headings included, and links keep their URL.
 */
function markdownToText(markdown: string) {
  return markdown
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/^ {0,3}(```|~~~).*$/gm, '')
    .replace(/^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/gm, '$1')
    .replace(/^ {0,3}(?:(?:[-*_][ \t]*){3,}|=+[ \t]*)$/gm, '')
    .replace(/^ *\|?(?: *:?-+:? *\|)+ *(?::?-+:?)? *$/gm, '')
    .replace(/^ *\|(.*?)\|? *$/gm, (_line, cells: string) => cells.replaceAll('|', ' '))
    .replace(/^ {0,3}(?:> ?)+/gm, '')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g, '$1 ($2)')
    .replace(/(\*\*|__)(?=\S)(.+?)(?<=\S)\1/g, '$2')
    .replace(/(^|[^\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])/gm, '$1$2')
    .replace(/`+([^`\n]+?)`+/g, '$1')
}

/** A timestamp for query-builder writes, as the model would store it (SQLite keeps text). */
const now = () => DateTime.utc().toFormat(db.connection().dialect.dateTimeFormat)

const isMarkdown = (fileName: string | null) => /\.(md|markdown)$/i.test(fileName ?? '')

/**
 * Knowledge of a chatbot of the current organization: sources are stored
 * `pending`, then cut into chunks by the `IndexKnowledgeSource` job on the
 * `low` queue (`indexing` with a rising `progress`, then `indexed` with a
 * chunk count, or `failed` with the error).
 */
/**
 * The audit entries of knowledge changes, the same whether the API or the
 * console made them (never the content: only its size).
 */
export const KnowledgeChanges = {
  created: (source: KnowledgeSource, input: KnowledgeInput): AuditedChange => ({
    action: 'knowledge.created',
    subject: { type: 'knowledge_source', id: source.id },
    changes: {
      chatbot_id: Number(source.chatbotId),
      type: source.type,
      title: source.title,
      ...(source.fileName ? { file_name: source.fileName } : {}),
      ...('items' in input ? { items: input.items.length } : { characters: input.content.length }),
    },
  }),
  updated: (
    source: KnowledgeSource,
    { before, after, reindexed }: { before: object; after: object; reindexed: boolean }
  ): AuditedChange => ({
    action: 'knowledge.updated',
    subject: { type: 'knowledge_source', id: source.id },
    changes: { chatbot_id: Number(source.chatbotId), before, after, reindexed },
  }),
  deleted: (deleted: { id: number; chatbot_id: number; title: string }): AuditedChange => ({
    action: 'knowledge.deleted',
    subject: { type: 'knowledge_source', id: deleted.id },
    changes: deleted,
  }),
  reindexed: (source: KnowledgeSource): AuditedChange => ({
    action: 'knowledge.reindexed',
    subject: { type: 'knowledge_source', id: source.id },
    changes: { chatbot_id: Number(source.chatbotId), title: source.title },
  }),
}

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

  /**
   * Stores a source sent as JSON or uploaded (with its file name) and
   * queues its indexing.
   */
  static async create(chatbotId: number, input: KnowledgeInput) {
    const content =
      'items' in input
        ? JSON.stringify(input.items.map(({ question, answer }) => ({ question, answer })))
        : input.content
    const source = await KnowledgeSource.create({
      chatbotId,
      type: input.type,
      title: input.title,
      fileName: input.fileName ?? null,
      content,
      status: KnowledgeSourceStatus.Pending,
      chunkCount: 0,
      progress: 0,
      error: null,
    })
    await this.dispatchIndex(source)
    return source
  }

  /**
   * Changes a source's title and/or content (FAQ pairs for FAQ sources);
   * a content change queues its re-indexing. Returns what changed.
   */
  static async update(
    chatbotId: number,
    sourceId: number | string,
    input: { title?: string; content?: string; items?: FaqItem[] }
  ) {
    const source = await this.find(chatbotId, sourceId)
    const isFaq = source.type === KnowledgeSourceType.Faq
    if ((isFaq && input.content !== undefined) || (!isFaq && input.items !== undefined)) {
      throw new ApiException(
        isFaq
          ? 'An FAQ source changes through `items`, not `content`.'
          : 'A text or file source changes through `content`, not `items`.',
        'KNOWLEDGE_FIELD_MISMATCH',
        422
      )
    }
    const summary = () => ({
      title: source.title,
      ...(isFaq ? { items: faqItems(source).length } : { characters: source.content?.length ?? 0 }),
    })
    const before = summary()
    const content =
      input.items !== undefined
        ? JSON.stringify(input.items.map(({ question, answer }) => ({ question, answer })))
        : input.content
    const reindex = content !== undefined && content !== source.content
    if (input.title !== undefined) source.title = input.title
    if (reindex) source.content = content!
    await source.save()
    if (reindex) await this.queueIndexing([source])
    return { source, reindexed: reindex, before, after: summary() }
  }

  /**
   * Soft-deletes a source and deletes its chunks, so it stops answering at once.
   */
  static async delete(chatbotId: number, sourceId: number | string) {
    const source = await this.find(chatbotId, sourceId)
    await db.transaction(async (trx) => {
      await this.lockSource(trx, source.id)
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
    await this.queueIndexing([source])
    return source
  }

  /**
   * Indexes every source of a chatbot again; returns them.
   */
  static async reindexAll(chatbotId: number) {
    const sources = await this.list(chatbotId)
    await this.queueIndexing(sources)
    return sources
  }

  /**
   * Replaces the chunks of a source (run in its organization); the source
   * is `indexing` meanwhile, its `progress` rising from 10 (read and cut)
   * in steps as the chunks are written, to 100 when `indexed`.
   *
   * The old chunks are deleted and the new ones written in one transaction,
   * so searches see the old set until the new one is complete. Progress is
   * written outside it (committed at once, visible to other connections),
   * except on single-writer databases (SQLite) where only the steps before
   * the transaction are. Indexings of one source are serialized. A deleted
   * source is left alone; running it twice leaves the same chunks. On error
   * the source is marked `failed` (its progress stays) and the error is
   * rethrown, so the job is retried.
   */
  static async index(sourceId: number, { onProgress }: IndexOptions = {}) {
    const source = await KnowledgeSource.find(sourceId)
    if (!source) return null

    try {
      await this.saveProgress(source.id, 0, onProgress)
      const pieces = this.chunksOf(source)
      await this.saveProgress(source.id, PROGRESS_READ, onProgress)

      const indexed = await db.transaction(async (trx) => {
        await this.lockSource(trx, source.id)
        const current = await KnowledgeSource.query({ client: trx }).where('id', source.id).first()
        if (!current) return null

        const progressVisible = !SINGLE_WRITER_DIALECTS.includes(trx.dialect.name)
        await KnowledgeChunk.query({ client: trx }).where('knowledge_source_id', source.id).delete()
        for (let start = 0; start < pieces.length; start += CHUNK_BATCH) {
          const batch = pieces.slice(start, start + CHUNK_BATCH)
          await KnowledgeChunk.createMany(
            batch.map(({ heading, content }, offset) => ({
              chatbotId: source.chatbotId,
              knowledgeSourceId: source.id,
              position: start + offset,
              heading,
              content,
            })),
            { client: trx }
          )
          const written = start + batch.length
          const progress =
            PROGRESS_READ +
            Math.floor(((PROGRESS_WRITTEN - PROGRESS_READ) * written) / pieces.length)
          if (progressVisible) await this.saveProgress(source.id, progress)
          await onProgress?.(progress)
        }

        current.merge({
          status: KnowledgeSourceStatus.Indexed,
          chunkCount: pieces.length,
          progress: PROGRESS_DONE,
          error: null,
        })
        await current.save()
        return current
      })
      if (indexed) await onProgress?.(PROGRESS_DONE)
      return indexed
    } catch (error) {
      await this.markFailed(sourceId, error as Error)
      throw error
    }
  }

  /**
   * Marks a source failed (with the error, never the content); its progress
   * shows how far it got.
   */
  static async markFailed(sourceId: number, error: Error) {
    await KnowledgeSource.query()
      .where('id', sourceId)
      .whereNull('deleted_at')
      .update({
        status: KnowledgeSourceStatus.Failed,
        error: String(error?.message ?? error).slice(0, MAX_ERROR),
        updated_at: now(),
      })
  }

  /**
   * Copies the sources of a chatbot to another chatbot of the organization,
   * in the caller's transaction. An indexed source is copied with its
   * chunks (copied by the database, in one statement), so the copy answers
   * at once; the others are copied `pending` and returned, to be queued with
   * `queueIndexing` once the transaction is committed.
   */
  static async copyAll(fromChatbotId: number, toChatbotId: number, trx: TransactionClientContract) {
    const sources = await KnowledgeSource.query({ client: trx })
      .where('chatbot_id', fromChatbotId)
      .orderBy('id')
    const unindexed: KnowledgeSource[] = []
    for (const source of sources) {
      const indexed = source.status === KnowledgeSourceStatus.Indexed
      const copy = await KnowledgeSource.create(
        {
          chatbotId: toChatbotId,
          type: source.type,
          title: source.title,
          fileName: source.fileName,
          content: source.content,
          status: indexed ? KnowledgeSourceStatus.Indexed : KnowledgeSourceStatus.Pending,
          chunkCount: indexed ? source.chunkCount : 0,
          progress: indexed ? PROGRESS_DONE : 0,
          error: null,
        },
        { client: trx }
      )
      if (!indexed) {
        unindexed.push(copy)
        continue
      }
      const chunks = KnowledgeChunk.query({ client: trx })
        .where('knowledge_source_id', source.id)
        .select(
          'organization_id',
          trx.raw('cast(? as bigint)', [toChatbotId]),
          trx.raw('cast(? as bigint)', [copy.id]),
          'position',
          'heading',
          'content',
          trx.raw('current_timestamp')
        )
        .toSQL()
      await trx.rawQuery(
        `insert into knowledge_chunks
          (organization_id, chatbot_id, knowledge_source_id, position, heading, content, created_at)
          ${chunks.sql}`,
        chunks.bindings as any[]
      )
    }
    return unindexed
  }

  /**
   * Marks sources `pending` (progress 0, no error) and queues their indexing.
   */
  static async queueIndexing(sources: KnowledgeSource[]) {
    for (const source of sources) {
      source.merge({ status: KnowledgeSourceStatus.Pending, progress: 0, error: null })
      await source.save()
      await this.dispatchIndex(source)
    }
  }

  /**
   * The chunks of a source: FAQ sources one per pair (the question as the
   * heading, weighted above the answer when searching), text and file
   * sources cut by `chunk` (Markdown files as plain text).
   */
  static chunksOf(source: KnowledgeSource): { heading: string | null; content: string }[] {
    if (source.type === KnowledgeSourceType.Faq) {
      return faqItems(source).map(({ question, answer }) => ({
        heading: question,
        content: answer,
      }))
    }
    const text =
      source.type === KnowledgeSourceType.File && isMarkdown(source.fileName)
        ? markdownToText(source.content ?? '')
        : (source.content ?? '')
    return this.chunk(text).map((content) => ({ heading: null, content }))
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

  /**
   * Marks a source `indexing` with its progress, committed at once (a
   * deleted source is left alone).
   */
  protected static async saveProgress(
    sourceId: number,
    progress: number,
    onProgress?: IndexOptions['onProgress']
  ) {
    await KnowledgeSource.query().where('id', sourceId).whereNull('deleted_at').update({
      status: KnowledgeSourceStatus.Indexing,
      progress,
      updated_at: now(),
    })
    await onProgress?.(progress)
  }

  /**
   * Serializes the transactions that replace or delete a source's chunks
   * (until commit). SQLite needs nothing: it has one writer.
   */
  protected static async lockSource(trx: TransactionClientContract, sourceId: number) {
    if (trx.dialect.name !== 'postgres') return
    await trx.rawQuery('select pg_advisory_xact_lock(hashtext(?))', [
      `knowledge_source:${sourceId}`,
    ])
  }
}
