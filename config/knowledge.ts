import env from '#start/env'

/**
 * How knowledge sources are cut into searchable chunks: at most `chunkSize`
 * characters, cut at word boundaries, each chunk repeating up to
 * `chunkOverlap` characters of the end of the one before.
 */
const knowledgeConfig = {
  chunkSize: env.get('KNOWLEDGE_CHUNK_SIZE', 800),
  chunkOverlap: env.get('KNOWLEDGE_CHUNK_OVERLAP', 100),
}

export default knowledgeConfig
