import { createHash } from 'node:crypto'
import { DateTime } from 'luxon'
import string from '@adonisjs/core/helpers/string'
import config from '@adonisjs/core/services/config'
import db from '@adonisjs/lucid/services/db'
import { RememberMeToken } from '@adonisjs/auth/session'
import type { HttpContext } from '@adonisjs/core/http'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type User from '#models/user'
import UserSession from '#models/user_session'
import ApiException from '#exceptions/api_exception'

/** Set in a session once it has a row: a tracked session whose row is gone is signed out. */
const TRACKED = 'session_tracked'

/** `last_seen_at` is written at most this often per session. */
const TOUCH_EVERY_SECONDS = 60

const TABLE = 'user_sessions'
const REMEMBER_TABLE = 'remember_me_tokens'

/**
 * Timestamps written through the query builder in the format the model
 * reads back on every dialect (SQLite would store a Date as a number).
 */
function timestamp(date: DateTime = DateTime.utc()) {
  return date.toFormat(db.connection().dialect.dateTimeFormat)
}

function readTimestamp(value: Date | string | number) {
  if (value instanceof Date) return DateTime.fromJSDate(value)
  if (typeof value === 'number') return DateTime.fromMillis(value)
  const parsed = DateTime.fromSQL(value, { zone: 'utc' })
  return parsed.isValid ? parsed : DateTime.fromISO(value, { zone: 'utc' })
}

function hashSessionId(sessionId: string) {
  return createHash('sha256').update(sessionId).digest('hex')
}

/**
 * Console sign-ins its user can list and end: one row per browser session,
 * recorded at login, checked on every signed-in console request, ended on
 * logout, on revocation and when the password changes. Ending a session
 * also deletes the remember-me token issued with it, or the cookie would
 * sign the browser in again.
 */
export default class SessionTrackingService {
  /**
   * Records a sign-in of `user` in the current session. Call it after
   * `auth.use('web').login()`, which gives the session a new id.
   */
  static async start(ctx: HttpContext, user: User) {
    const now = DateTime.utc()
    const userAgent = ctx.request.header('user-agent')?.slice(0, 512) || null
    const query = db
      .insertQuery()
      .table(TABLE)
      .insert({
        user_id: user.id,
        session_hash: hashSessionId(ctx.session.sessionId),
        remember_me_token_id: user.issuedRememberMeTokenId ?? null,
        ip: ctx.request.ip(),
        user_agent: userAgent,
        created_at: timestamp(now),
        last_seen_at: timestamp(now),
      })
    // Two first requests of one session may race to record it.
    query.knexQuery.onConflict('session_hash').ignore()
    await query
    ctx.session.put(TRACKED, true)
  }

  /**
   * Runs on every request the `web` guard authenticated: one indexed read,
   * plus a write at most once a minute. A revoked session, or a tracked one
   * whose row is gone, is signed out and `false` returned. A session
   * without a row is recorded: a remembered browser that the guard has just
   * signed in again, or a session from before tracking existed.
   */
  static async check(ctx: HttpContext): Promise<boolean> {
    const user = ctx.auth.use('web').getUserOrFail()
    const row = await db
      .from(TABLE)
      .select('id', 'user_id', 'last_seen_at', 'revoked_at')
      .where('session_hash', hashSessionId(ctx.session.sessionId))
      .first()

    if (!row) {
      if (ctx.session.get(TRACKED)) return this.signOut(ctx)
      if (ctx.auth.use('web').viaRemember) await this.endReplacedRememberedSession(ctx, user)
      await this.start(ctx, user)
      return true
    }

    if (row.revoked_at || Number(row.user_id) !== Number(user.id)) return this.signOut(ctx)
    const lastSeen = readTimestamp(row.last_seen_at)
    if (lastSeen.diffNow('seconds').seconds < -TOUCH_EVERY_SECONDS) {
      await db.from(TABLE).where('id', row.id).update({ last_seen_at: timestamp() })
    }
    return true
  }

  /**
   * Ends the current session's row (logout). The caller signs out.
   */
  static async end(ctx: HttpContext) {
    await db
      .from(TABLE)
      .where('session_hash', hashSessionId(ctx.session.sessionId))
      .whereNull('revoked_at')
      .update({ revoked_at: timestamp() })
    ctx.session.forget(TRACKED)
  }

  /**
   * The user's sessions that may still be used: not ended, and either seen
   * within the session lifetime or holding a live remember-me token.
   * `current` marks the one this request belongs to.
   */
  static async list(user: User, currentSessionId: string) {
    const idleSeconds = string.seconds.parse(config.get<string | number>('session.age', '2h'))
    const activeSince = timestamp(DateTime.utc().minus({ seconds: idleSeconds }))
    const currentHash = hashSessionId(currentSessionId)
    const sessions = await UserSession.query()
      .where('user_id', user.id)
      .whereNull('revoked_at')
      .where((query) => {
        query
          .where('last_seen_at', '>', activeSince)
          .orWhereIn('remember_me_token_id', (tokens) =>
            tokens
              .from(REMEMBER_TABLE)
              .select('id')
              .where('tokenable_id', user.id)
              .where('expires_at', '>', new Date())
          )
      })
      .orderBy('last_seen_at', 'desc')
      .orderBy('id', 'desc')
    return sessions.map((session) => ({ session, current: session.sessionHash === currentHash }))
  }

  /**
   * Ends one of the user's other sessions (another user's answers 404).
   */
  static async revoke(user: User, sessionId: number, currentSessionId: string) {
    const session = await UserSession.query()
      .where('user_id', user.id)
      .where('id', sessionId)
      .whereNull('revoked_at')
      .firstOrFail()
    if (session.sessionHash === hashSessionId(currentSessionId)) {
      throw new ApiException(
        'This is the session you are using: sign out instead.',
        'CURRENT_SESSION',
        422
      )
    }
    await this.endSessions(user.id, { only: session })
    return session
  }

  /**
   * Ends every session of the user but `currentSessionId` (all of them when
   * it is null) and deletes their remember-me tokens. Returns how many
   * sessions were ended.
   */
  static async endOthers(
    userId: number,
    currentSessionId: string | null,
    client?: TransactionClientContract
  ) {
    const current = currentSessionId
      ? await UserSession.query({ client })
          .where('session_hash', hashSessionId(currentSessionId))
          .first()
      : null
    return this.endSessions(userId, { except: current ?? undefined, client })
  }

  /**
   * Ends sessions of `userId`: `only` one, or all `except` one; deletes the
   * remember-me tokens they were issued (all but the kept session's when
   * ending many, so a token that lost its row cannot linger).
   */
  private static async endSessions(
    userId: number,
    options: { only?: UserSession; except?: UserSession; client?: TransactionClientContract }
  ) {
    const client = options.client ?? db.connection()
    const { only, except } = options
    const ended = await client
      .from(TABLE)
      .where('user_id', userId)
      .whereNull('revoked_at')
      .if(only, (query) => query.where('id', only!.id))
      .if(except, (query) => query.whereNot('id', except!.id))
      .update({ revoked_at: timestamp() })

    const tokens = client.from(REMEMBER_TABLE).where('tokenable_id', userId)
    if (only) {
      if (only.rememberMeTokenId) await tokens.where('id', only.rememberMeTokenId).delete()
    } else if (except?.rememberMeTokenId) {
      await tokens.whereNot('id', except.rememberMeTokenId).delete()
    } else {
      await tokens.delete()
    }
    return Number(Array.isArray(ended) ? ended[0] : ended) || 0
  }

  /**
   * A remembered browser signed in again: the guard replaced its token, so
   * the session that token was issued with is over.
   */
  private static async endReplacedRememberedSession(ctx: HttpContext, user: User) {
    const cookie = ctx.request.encryptedCookie(ctx.auth.use('web').rememberMeKeyName)
    const replaced = RememberMeToken.decode(cookie)
    if (!replaced) return
    await db
      .from(TABLE)
      .where('user_id', user.id)
      .where('remember_me_token_id', replaced.identifier)
      .whereNull('revoked_at')
      .update({ revoked_at: timestamp() })
  }

  /** Signs the session out (and deletes its remember-me token). */
  private static async signOut(ctx: HttpContext) {
    await ctx.auth.use('web').logout()
    ctx.session.forget(TRACKED)
    ctx.session.forget('organization_id')
    return false
  }
}
