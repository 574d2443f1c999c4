import app from '@adonisjs/core/services/app'
import env from '#start/env'
import type { JobClass } from '#jobs/base_job'
import SweepChatMessages from '#jobs/sweep_chat_messages'
import PruneAuditLogs from '#jobs/prune_audit_logs'
import TrimOldData from '#jobs/trim_old_data'
import RecordHealthSnapshot from '#jobs/record_health_snapshot'

export type ScheduledJob = {
  job: JobClass<Record<string, never>>
  /** Read when the schedule is registered, so config and env apply. */
  everyMs: () => number
  description: string
}

const HOUR = 3_600_000

/**
 * Every job Parley repeats on its own (BullMQ job schedulers, no cron
 * daemon). `node ace queue:listen` registers those of the queues it serves;
 * each runs once per interval however many workers there are. Scheduled
 * jobs act for the platform: they carry no organization.
 */
export const SCHEDULED_JOBS: ScheduledJob[] = [
  {
    job: SweepChatMessages,
    everyMs: () => app.config.get<number>('chat.sweepEveryMs'),
    description: 'Enqueues chat messages left unanswered (CHAT_SWEEP_EVERY_MS)',
  },
  {
    job: PruneAuditLogs,
    everyMs: () => 24 * HOUR,
    description: 'Deletes audit entries older than AUDIT_RETENTION_DAYS',
  },
  {
    job: TrimOldData,
    everyMs: () => HOUR,
    description: 'Deletes expired tokens and finished jobs past their retention',
  },
  {
    job: RecordHealthSnapshot,
    everyMs: () => env.get('HEALTH_SNAPSHOT_EVERY_MS', 60_000),
    description: 'Runs the health checks for the queue monitor (HEALTH_SNAPSHOT_EVERY_MS)',
  },
]
