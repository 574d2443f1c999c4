import env from '#start/env'

/**
 * Where the worker side (heartbeats, per-organization counters, the health
 * snapshot job) leaves facts in Redis for the queue monitor to read. Keys
 * share the BullMQ prefix so environments and parallel test runs stay apart.
 */
const prefix = () => env.get('QUEUE_PREFIX', 'parley')

/** How often a worker process writes its heartbeat. */
export const heartbeatEveryMs = () => env.get('QUEUE_HEARTBEAT_MS', 5000)

/** A worker whose last heartbeat is older than this counts as gone. */
export const heartbeatAliveMs = () => heartbeatEveryMs() * 3

export const queueKeys = {
  /** Sorted set: worker id → time of its last heartbeat (ms). */
  workers: () => `${prefix()}:monitor:workers`,
  /** String (JSON `WorkerHeartbeat`), expires after `heartbeatAliveMs`. */
  worker: (id: string) => `${prefix()}:monitor:worker:${id}`,
  /**
   * Hash per minute (`minute` = Math.floor(ms / 60000)) of finished jobs by
   * organization: fields `<organization id or 0>:<queue>:completed|failed`;
   * expires after two hours.
   */
  organizationMinute: (minute: number) => `${prefix()}:monitor:orgs:${minute}`,
  /** String (JSON `HealthSnapshot`): the last scheduled health check. */
  healthSnapshot: () => `${prefix()}:monitor:health`,
}

export type ActiveJob = { queue: string; id: string; name: string; started_at: string }

export type WorkerHeartbeat = {
  id: string
  hostname: string
  pid: number
  queues: string[]
  concurrency: Record<string, number>
  active: ActiveJob[]
  rss_bytes: number
  heap_used_bytes: number
  started_at: string
  last_heartbeat_at: string
}

export type HealthSnapshot = {
  at: string
  status: 'ok' | 'degraded' | 'down'
  checks: { name: string; status: string; message: string }[]
}
