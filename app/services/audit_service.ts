import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import type { HttpContext } from '@adonisjs/core/http'
import type { AuditStatus } from '#models/audit_log'
import { redact } from '#support/redact'
import { GroupCommit } from '#support/group_commit'
import type ApiException from '#exceptions/api_exception'

/**
 * What a caller says about an audited action; request facts (ip, user
 * agent, request id, method, path, duration, actor) are filled in from the
 * HTTP context by `fromRequest`.
 */
/**
 * What a service says about a change it made: the audit action, subject and
 * change set, the same whether the API or the console asked for it (the
 * controller adds the request facts and the message).
 */
export type AuditedChange = {
  action: string
  subject: { type: string; id: string | number }
  changes: unknown
  /** null: a platform change that belongs to no organization (not the actor's). */
  organizationId?: number | null
}

export type AuditInput = {
  action: string
  status?: AuditStatus
  httpStatus?: number
  message?: string
  errorCode?: string
  organizationId?: number | null
  /** Only when the request has no authenticated user yet (login, register). */
  actorUserId?: number | null
  subject?: { type: string; id: string | number } | null
  changes?: unknown
}

export type AuditEntry = AuditInput & {
  actorTokenId?: number | null
  ip?: string | null
  userAgent?: string | null
  requestId?: string | null
  method?: string | null
  path?: string | null
  durationMs?: number | null
}

type AuditRow = Record<string, string | number | null>

const MAX_BATCH = 500

const truncate = (value: string | null | undefined, length: number) =>
  value ? value.slice(0, length) : null

function toRow(entry: AuditEntry): AuditRow {
  const changes = entry.changes === undefined ? null : redact(entry.changes)
  return {
    organization_id: entry.organizationId ?? null,
    actor_user_id: entry.actorUserId ?? null,
    actor_token_id: entry.actorTokenId ?? null,
    action: truncate(entry.action, 100)!,
    status: entry.status ?? 'success',
    http_status: entry.httpStatus ?? null,
    message: truncate(entry.message, 500),
    error_code: truncate(entry.errorCode, 64),
    subject_type: truncate(entry.subject?.type, 100),
    subject_id: entry.subject ? truncate(String(entry.subject.id), 64) : null,
    ip: truncate(entry.ip, 64),
    user_agent: truncate(entry.userAgent, 512),
    request_id: truncate(entry.requestId, 128),
    method: truncate(entry.method, 10),
    path: truncate(entry.path, 2048),
    duration_ms: entry.durationMs ?? null,
    changes: changes === null ? null : JSON.stringify(changes),
    created_at: DateTime.utc().toFormat(db.connection().dialect.dateTimeFormat),
  }
}

/**
 * Entries are inserted by group commit: a response is sent only after its
 * audit entry is durable, yet a busy server pays one INSERT per batch
 * instead of one per request.
 */
const writer = new GroupCommit<AuditRow>(
  (rows) => db.table('audit_logs').multiInsert(rows),
  MAX_BATCH
)

export default class AuditService {
  /**
   * Stores one audit entry. Never throws: when the database refuses the
   * row, the full (redacted) entry goes to the error log instead, so the
   * trail of a request whose response is sent is never silently lost.
   */
  static async record(entry: AuditEntry): Promise<void> {
    const row = toRow(entry)
    try {
      await writer.write(row)
    } catch (error) {
      logger.error({ err: error, audit: row }, 'audit entry could not be stored')
    }
  }

  /**
   * The audit entry of a refusal that asks for one (`ApiException.audit`).
   */
  static async recordRefusal(ctx: HttpContext, error: ApiException) {
    if (!error.audit) return
    await this.record(
      this.fromRequest(ctx, {
        ...error.audit,
        status: 'error',
        httpStatus: error.status,
        errorCode: error.errorCode,
        message: error.message,
      })
    )
  }

  /**
   * Completes an entry with the facts of the current request.
   */
  static fromRequest(ctx: HttpContext, input: AuditInput): AuditEntry {
    const user = ctx.auth?.user
    const tokenId = Number(user?.currentAccessToken?.identifier)

    return {
      ...input,
      organizationId:
        input.organizationId !== undefined
          ? input.organizationId
          : (ctx.tenant?.organization.id ?? user?.currentAccessToken?.organizationId ?? null),
      actorUserId: input.actorUserId ?? user?.id ?? null,
      actorTokenId: Number.isFinite(tokenId) ? tokenId : null,
      ip: ctx.request.ip(),
      userAgent: ctx.request.header('user-agent') ?? null,
      requestId: ctx.request.id() ?? null,
      method: ctx.request.method(),
      path: ctx.request.url(),
      durationMs: ctx.startedAt
        ? Math.round(Number(process.hrtime.bigint() - ctx.startedAt) / 1e6)
        : null,
    }
  }
}
