import BaseJob from '#jobs/base_job'
import KnowledgeService from '#services/knowledge_service'

type Payload = { sourceId: number }

/**
 * Cuts a knowledge source into chunks, in the organization it was
 * dispatched for; the job's progress follows the source's. Idempotent: the
 * chunks are replaced, never added to.
 */
export default class IndexKnowledgeSource extends BaseJob<Payload> {
  static queue = 'low' as const

  async handle({ sourceId }: Payload) {
    const source = await KnowledgeService.index(sourceId, {
      onProgress: (progress) => this.getJob().updateProgress(progress),
    })
    this.logger.info(
      { source_id: sourceId, chunks: source?.chunkCount ?? null },
      source ? 'indexed knowledge source' : 'knowledge source gone, nothing to index'
    )
  }

  async rescue({ sourceId }: Payload, error: Error) {
    await KnowledgeService.markFailed(sourceId, error)
  }
}
