import env from '#start/env'

/**
 * The message pipeline (ChatPipeline): how replies are produced, retried
 * and recovered.
 */
const chatConfig = {
  /** Longest message a user, visitor or agent may send, in characters. */
  maxMessageLength: 4000,

  /** Earlier messages given to the provider with each new one. */
  historySize: 20,

  /**
   * Attempts of `ProcessChatbotMessage` (the first included) and the first
   * retry delay, doubled at each retry. After the last attempt the user gets
   * the chatbot's fallback message.
   */
  replyAttempts: env.get('CHAT_REPLY_ATTEMPTS', 4),
  replyBackoffMs: env.get('CHAT_REPLY_BACKOFF_MS', 500),

  /**
   * One job answers a conversation at a time (so quick successive messages
   * are answered in order): the lock lives this long unless renewed by the
   * job holding it (as long as a queue job's lock: a dead worker frees both
   * at the same time), and a job finding it taken tries again after
   * `lockRetryMs`.
   */
  lockTtlMs: env.get('QUEUE_LOCK_DURATION_MS', 30_000),
  lockRetryMs: 200,

  /** How long enqueueing may take at ingest before the sweeper is left to do it. */
  enqueueTimeoutMs: 2000,

  /**
   * The sweeper runs every `sweepEveryMs` and enqueues the user messages
   * still unanswered `enqueueGraceMs` after they arrived whose job is
   * missing (the request could not enqueue it, or Redis lost it).
   */
  sweepEveryMs: env.get('CHAT_SWEEP_EVERY_MS', 30_000),
  enqueueGraceMs: 5000,

  /**
   * A message waits its turn behind earlier unanswered ones of its
   * conversation, unless they are older than this (their job was lost: the
   * sweeper enqueues them again).
   */
  stuckAfterMs: 120_000,
  sweepBatch: 500,

  /** `wait=true` on the messages API: default and longest wait for the reply. */
  waitTimeoutMs: 10_000,
  maxWaitTimeoutMs: 30_000,
}

export default chatConfig
