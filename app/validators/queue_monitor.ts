import vine from '@vinejs/vine'
import { QUEUE_NAMES } from '#config/queue'
import { CLEARABLE_STATES, JOB_STATES } from '#services/queue_monitor_service'
import { withoutBlanks } from '#validators/audit_log'

/**
 * `?state=&organization_id=` of a queue's job list (page and per_page are
 * the shared pagination validator's). No state means `failed`, what an
 * operator opens a queue for; `organization_id=0` selects platform jobs
 * (dispatched outside any organization).
 */
export const listQueueJobsValidator = vine.compile(
  vine
    .object({
      state: vine.enum(JOB_STATES).optional(),
      organization_id: vine.number().withoutDecimals().min(0).optional(),
    })
    .parse(withoutBlanks)
)

/**
 * `node ace queue:clear --queue --state`: never `active` (those jobs are
 * held by workers).
 */
export const clearQueueValidator = vine.compile(
  vine.object({
    queue: vine.enum(QUEUE_NAMES),
    state: vine.enum(CLEARABLE_STATES),
  })
)

/**
 * `node ace queue:retry-failed [--queue]`.
 */
export const retryFailedValidator = vine.compile(
  vine.object({
    queue: vine.enum(QUEUE_NAMES).optional(),
  })
)
