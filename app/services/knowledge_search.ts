import db from '@adonisjs/lucid/services/db'
import KnowledgeChunk from '#models/knowledge_chunk'
import type { RetrievedChunk } from '#providers/chat/types'
import { searchTerms } from '#support/text_match'
import { prepared } from '#support/prepared'

/** Longest query looked at, terms kept and results returned: a search stays cheap whatever it is sent. */
const MAX_QUERY_LENGTH = 1000
const MAX_TERMS = 32
const MAX_TERM_LENGTH = 64
const MAX_LIMIT = 20

/** An FAQ question counts this many times its answer in SQLite's bm25 (PostgreSQL: weights A and B). */
const HEADING_WEIGHT = 3

type Row = {
  id: number | string
  knowledge_source_id: number | string
  source_title: string
  heading: string | null
  content: string
  score: number | string
}

/**
 * Full-text search over a chatbot's knowledge, in the current organization
 * (the chunk query is tenant-scoped; sources are joined within the same
 * organization). Chunks of deleted sources are gone with them; the join
 * also skips a soft-deleted source whose chunks are being removed.
 *
 * The user's text never reaches the full-text query syntax: it is cut into
 * word tokens (letters and digits only), stopwords dropped, and the tokens
 * are OR'ed (PostgreSQL `to_tsquery`, SQLite FTS5 quoted strings).
 */
export default class KnowledgeSearch {
  static async search(chatbotId: number, query: string, limit = 5): Promise<RetrievedChunk[]> {
    const terms = this.terms(query)
    if (terms.length === 0) return []
    const count = Math.min(Math.max(1, Math.floor(limit) || 1), MAX_LIMIT)

    const rows =
      db.connection().dialect.name === 'postgres'
        ? await this.postgres(chatbotId, terms, count)
        : await this.sqlite(chatbotId, terms, count)

    return rows.map((row) => ({
      id: Number(row.id),
      sourceId: Number(row.knowledge_source_id),
      sourceTitle: row.source_title,
      heading: row.heading,
      content: row.content,
      score: Number(row.score),
    }))
  }

  /**
   * The distinct content words of a query, at most MAX_TERMS of them.
   */
  static terms(query: string): string[] {
    return searchTerms(String(query ?? '').slice(0, MAX_QUERY_LENGTH))
      .filter((term) => term.length <= MAX_TERM_LENGTH)
      .slice(0, MAX_TERMS)
  }

  /**
   * A chatbot's chunks of live sources, with the source title.
   */
  protected static chunks(chatbotId: number) {
    return KnowledgeChunk.query()
      .join('knowledge_sources', (join) => {
        join
          .on('knowledge_sources.id', '=', 'knowledge_chunks.knowledge_source_id')
          .andOn('knowledge_sources.organization_id', '=', 'knowledge_chunks.organization_id')
      })
      .where('knowledge_chunks.chatbot_id', chatbotId)
      .whereNull('knowledge_sources.deleted_at')
      .select(
        'knowledge_chunks.id',
        'knowledge_chunks.knowledge_source_id',
        'knowledge_sources.title as source_title',
        'knowledge_chunks.heading',
        'knowledge_chunks.content'
      )
  }

  /**
   * `ts_rank` over the generated `search_vector` (headings weighted A,
   * content B). Terms are plain words, so `a | b | c` is a valid tsquery
   * whatever the user typed; PostgreSQL stems them and drops its stopwords.
   * The tsquery is built once in a subquery (`offset 0` keeps it from being
   * inlined): the statement is prepared, and in its generic plan an inline
   * `to_tsquery(?)` would be parsed again for every row.
   */
  protected static postgres(chatbotId: number, terms: string[], limit: number) {
    const query = this.chunks(chatbotId)
      .joinRaw("cross join (select to_tsquery('english', ?) as query offset 0) as search", [
        terms.join(' | '),
      ])
      .select(db.raw('ts_rank(knowledge_chunks.search_vector, search.query) as score'))
      .whereRaw('knowledge_chunks.search_vector @@ search.query')
      .orderBy('score', 'desc')
      .orderBy('knowledge_chunks.id', 'asc')
      .limit(limit)
    // Run for every message the built-in responder answers.
    return prepared('knowledge_search', query).pojo<Row>()
  }

  /**
   * FTS5 `bm25` (lower is better, so negated) with the heading column
   * weighted above the content. Each term is a quoted FTS5 string.
   */
  protected static sqlite(chatbotId: number, terms: string[], limit: number) {
    const match = terms.map((term) => `"${term}"`).join(' OR ')
    const bm25 = `bm25(knowledge_chunks_fts, ${HEADING_WEIGHT}, 1)`
    return this.chunks(chatbotId)
      .join('knowledge_chunks_fts', 'knowledge_chunks_fts.rowid', 'knowledge_chunks.id')
      .select(db.raw(`-${bm25} as score`))
      .whereRaw('knowledge_chunks_fts match ?', [match])
      .orderByRaw(`${bm25} asc`)
      .orderBy('knowledge_chunks.id', 'asc')
      .limit(limit)
      .pojo<Row>()
  }
}
