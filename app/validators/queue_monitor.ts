import vine from '@vinejs/vine'
import { JOB_STATES } from '#services/queue_monitor_service'
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
