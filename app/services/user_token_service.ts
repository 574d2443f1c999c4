import { createHash, randomBytes } from 'node:crypto'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import UserToken, { type UserTokenPurpose } from '#models/user_token'

/**
 * 32 random bytes, base64url: what a mailed secret looks like.
 */
const SECRET_FORMAT = /^[A-Za-z0-9_-]{43}$/

const hashOf = (secret: string) => createHash('sha256').update(secret).digest('hex')

const stamp = (value: DateTime, client: TransactionClientContract) =>
  value.toFormat(client.dialect.dateTimeFormat)

/**
 * Single-use secrets mailed to a user (password reset, email verification).
 * The secret itself is unguessable (256 random bits) and only its sha256 is
 * stored, so a database leak yields no usable link.
 */
export default class UserTokenService {
  /**
   * A new secret for `purpose`, valid for `lifetimeMinutes`. Earlier
   * secrets of the same purpose stop working: only the latest mail counts.
   */
  static async issue(userId: number, purpose: UserTokenPurpose, lifetimeMinutes: number) {
    const secret = randomBytes(32).toString('base64url')
    await db.transaction(async (trx) => {
      await UserToken.query({ client: trx })
        .where('user_id', userId)
        .where('purpose', purpose)
        .delete()
      await UserToken.create(
        {
          userId,
          purpose,
          tokenHash: hashOf(secret),
          expiresAt: DateTime.utc().plus({ minutes: lifetimeMinutes }),
        },
        { client: trx }
      )
    })
    return secret
  }

  /**
   * Marks the secret used and returns its user id, or null when it is
   * unknown, of another purpose, expired or already used. The conditional
   * update makes it single-use even when two requests race.
   */
  static async consume(secret: string, purpose: UserTokenPurpose, trx: TransactionClientContract) {
    if (!SECRET_FORMAT.test(secret)) return null
    const now = DateTime.utc()
    const tokenHash = hashOf(secret)

    const updated = await trx
      .from('user_tokens')
      .where('token_hash', tokenHash)
      .where('purpose', purpose)
      .whereNull('used_at')
      .where('expires_at', '>', stamp(now, trx))
      .update({ used_at: stamp(now, trx) })
    if (Number(updated) !== 1) return null

    const token = await UserToken.query({ client: trx })
      .where('token_hash', tokenHash)
      .firstOrFail()
    return token.userId
  }
}
