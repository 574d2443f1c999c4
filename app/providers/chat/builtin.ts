import KnowledgeSearch from '#services/knowledge_search'
import { ProviderType } from '#enums/chatbots'
import { concepts, isGreeting, withSynonyms } from '#support/text_match'
import {
  fallbackMessageOf,
  type ChatProvider,
  type ChatReply,
  type ChatRequest,
  type RetrievedChunk,
} from '#providers/chat/types'

/** Confidence an answer needs unless the chatbot sets `provider_settings.threshold`. */
export const DEFAULT_THRESHOLD = 0.5

/** Chunks the full-text search hands over for re-scoring, and chunks reported back. */
const CANDIDATES = 20
const REPORTED = 3

/**
 * What a question's word is worth when found in an FAQ's question, in its
 * answer only, or in a text passage: the question says what an FAQ pair is
 * about, its answer only mentions things.
 */
const IN_HEADING = 1
const IN_ANSWER = 0.5
const IN_PASSAGE = 1

/**
 * An FAQ pair's confidence also counts how much of its question was asked
 * ("what is parley" matches "What is Parley?" better than "What is
 * Parley's widget?"); a passage has no question, so its confidence stops
 * at PASSAGE_CEILING.
 */
const COVERAGE_SHARE = 0.75
const PASSAGE_CEILING = 0.8

/**
 * A word found in most candidates (the product's name) says little about
 * which one is meant: it counts half, once there are enough candidates
 * to tell.
 */
const COMMON_SHARE = 0.5
const COMMON_MIN_CANDIDATES = 4
const COMMON_WEIGHT = 0.5

type Scored = { chunk: RetrievedChunk; confidence: number }

/**
 * The provider that needs nothing: it finds the chatbot's best matching
 * knowledge with the full-text index, re-scores the candidates by how much
 * of the question they cover (stemmed words and synonyms, FAQ questions
 * weighted above answers) into a 0–1 confidence, and answers with the best
 * FAQ answer or passage when the confidence reaches the chatbot's
 * threshold, else with its fallback message. Deterministic, no network.
 *
 * The chunks it returns (best first, the answer's own first) carry that
 * confidence as their `score`.
 */
export default class BuiltinProvider implements ChatProvider {
  readonly usesHistory = false

  async reply({ chatbot, message }: ChatRequest): Promise<ChatReply> {
    const welcome = chatbot.welcomeMessage?.trim()
    if (welcome && isGreeting(message.content)) {
      return {
        content: welcome,
        provider: ProviderType.Builtin,
        chunks: [],
        confidence: 1,
        fallback: false,
      }
    }

    const candidates = await KnowledgeSearch.search(
      chatbot.id,
      withSynonyms(message.content).join(' '),
      CANDIDATES
    )
    const ranked = rank(message.content, candidates)
    const best = ranked[0]
    const chunks = ranked
      .slice(0, REPORTED)
      .map(({ chunk, confidence }) => ({ ...chunk, score: round(confidence) }))
    const confidence = round(best?.confidence ?? 0)

    if (!best || confidence < thresholdOf(chatbot.providerSettings?.threshold)) {
      return {
        content: fallbackMessageOf(chatbot),
        provider: ProviderType.Builtin,
        chunks,
        confidence,
        fallback: true,
      }
    }
    return {
      content: best.chunk.content,
      provider: ProviderType.Builtin,
      chunks,
      confidence,
      fallback: false,
    }
  }
}

/**
 * The chatbot's threshold when it is a number in 0..1.
 */
function thresholdOf(value: unknown) {
  const threshold = typeof value === 'string' ? Number(value) : value
  return typeof threshold === 'number' && threshold >= 0 && threshold <= 1
    ? threshold
    : DEFAULT_THRESHOLD
}

const round = (value: number) => Math.round(value * 1000) / 1000

/**
 * Candidates with their confidence for `question`, best first (ties keep
 * the search's order). Candidates matching nothing are left out.
 */
export function rank(question: string, candidates: RetrievedChunk[]): Scored[] {
  const asked = concepts(question)
  if (asked.size === 0) return []

  const texts = candidates.map((chunk) => ({
    heading: chunk.heading === null ? null : concepts(chunk.heading),
    content: concepts(chunk.content),
  }))
  const weights = new Map<string, number>()
  for (const term of asked) {
    const found = texts.filter(({ heading, content }) => heading?.has(term) || content.has(term))
    const common =
      candidates.length >= COMMON_MIN_CANDIDATES && found.length / candidates.length > COMMON_SHARE
    weights.set(term, common ? COMMON_WEIGHT : 1)
  }
  const total = [...weights.values()].reduce((sum, weight) => sum + weight, 0)

  return candidates
    .map((chunk, index) => {
      const { heading, content } = texts[index]
      let covered = 0
      for (const [term, weight] of weights) {
        if (heading === null) covered += content.has(term) ? weight * IN_PASSAGE : 0
        else if (heading.has(term)) covered += weight * IN_HEADING
        else if (content.has(term)) covered += weight * IN_ANSWER
      }
      const coverage = covered / total
      const confidence =
        heading === null
          ? coverage * PASSAGE_CEILING
          : coverage * COVERAGE_SHARE + (1 - COVERAGE_SHARE) * shareAsked(heading, asked)
      return { chunk, confidence }
    })
    .filter(({ confidence }) => confidence > 0)
    .sort((a, b) => b.confidence - a.confidence)
}

/**
 * How much of an FAQ's question the user asked about.
 */
function shareAsked(heading: ReadonlySet<string>, asked: ReadonlySet<string>) {
  if (heading.size === 0) return 0
  let shared = 0
  for (const term of heading) if (asked.has(term)) shared++
  return shared / heading.size
}
