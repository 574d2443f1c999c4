import { inspect } from 'node:util'
import { DateTime } from 'luxon'
import { Secret } from '@adonisjs/core/helpers'
import { RuntimeException } from '@adonisjs/core/exceptions'
import { AccessToken } from '@adonisjs/auth/access_tokens'
import env from '#start/env'
import type { LucidModel } from '@adonisjs/lucid/types/model'
import type { AccessTokensProviderContract } from '@adonisjs/auth/types/access_tokens'
import { columnsOf, modelFrom } from '#support/joined_models'
import { AuthCache } from '#support/auth_cache'

/**
 * An access token bound to one organization.
 */
export type OrganizationAccessToken = AccessToken & { organizationId: number }

export type CreateTokenOptions = {
  /** Required: the organization the token acts in. */
  organizationId?: number
  name?: string
  /** A duration (`'30 days'`, seconds); DEFAULT_TOKEN_LIFETIME when absent. */
  expiresIn?: string | number
  /** Only when explicitly asked: a token without expiry. */
  neverExpires?: boolean
}

const TABLE = 'access_tokens'
const TYPE = 'api'
const PREFIX = 'prl_'
const SECRET_LENGTH = 40

/**
 * Tokens are used constantly; recording every use would turn each API read
 * into a write. `last_used_at` is refreshed at most once a minute.
 */
const LAST_USED_PRECISION_MS = 60_000

export const DEFAULT_TOKEN_LIFETIME = env.get('TOKEN_DEFAULT_EXPIRY', '90 days')

type TokenRow = {
  id: number | string
  organization_id: number | string
  user_id: number | string
  type: string
  name: string | null
  hash: string
  abilities: string
  last_used_at: Date | string | null
  expires_at: Date | string | null
  created_at: Date | string
  updated_at: Date | string
}

/**
 * The owner of each verified token, read in the same query as the token, so
 * the guard does not look the user up again (see OrganizationTokensUserProvider).
 */
export const tokenOwners = new WeakMap<AccessToken, unknown>()

const toDate = (value: Date | string | number | null) =>
  value === null ? null : value instanceof Date ? value : new Date(value)

/**
 * The access-token store of the `api` guard: like the auth package's
 * database provider, plus the organization each token is bound to.
 */
export default class OrganizationTokensProvider<
  Model extends LucidModel,
> implements AccessTokensProviderContract<Model> {
  constructor(protected model: Model) {}

  static forModel<Model extends LucidModel>(model: Model) {
    return new OrganizationTokensProvider(model)
  }

  protected client() {
    return this.model.$adapter.query(this.model).client
  }

  protected format(value: DateTime) {
    return value.toFormat(this.client().dialect.dateTimeFormat)
  }

  protected toAccessToken(row: TokenRow, secret?: Secret<string>): OrganizationAccessToken {
    const token = new AccessToken({
      identifier: Number(row.id),
      tokenableId: Number(row.user_id),
      type: row.type,
      name: row.name,
      hash: row.hash,
      abilities: JSON.parse(row.abilities),
      createdAt: toDate(row.created_at)!,
      updatedAt: toDate(row.updated_at)!,
      lastUsedAt: toDate(row.last_used_at),
      expiresAt: toDate(row.expires_at),
      ...(secret ? { secret, prefix: PREFIX } : {}),
    }) as OrganizationAccessToken
    token.organizationId = Number(row.organization_id)
    return token
  }

  async create(
    user: InstanceType<Model>,
    abilities: string[] = ['*'],
    options: CreateTokenOptions = {}
  ): Promise<OrganizationAccessToken> {
    if (!options.organizationId) {
      throw new RuntimeException('An access token must be bound to an organization')
    }
    const transient = AccessToken.createTransientToken(
      user.$primaryKeyValue as number,
      SECRET_LENGTH,
      options.neverExpires ? undefined : (options.expiresIn ?? DEFAULT_TOKEN_LIFETIME)
    )
    const now = DateTime.utc()
    const expiresAt = transient.expiresAt ? DateTime.fromJSDate(transient.expiresAt) : null

    const row = {
      organization_id: options.organizationId,
      user_id: user.$primaryKeyValue,
      type: TYPE,
      name: options.name ?? null,
      hash: transient.hash,
      abilities: JSON.stringify(abilities),
      last_used_at: null,
      expires_at: expiresAt ? this.format(expiresAt) : null,
      created_at: this.format(now),
      updated_at: this.format(now),
    }
    const [inserted] = await this.client().table(TABLE).insert(row).returning('id')
    const id = typeof inserted === 'object' ? inserted?.id : inserted
    if (!id)
      throw new RuntimeException(
        `Cannot save access token: unexpected insert result ${inspect(inserted)}`
      )

    return this.toAccessToken(
      {
        ...row,
        id,
        created_at: now.toJSDate(),
        updated_at: now.toJSDate(),
        expires_at: expiresAt?.toJSDate() ?? null,
      } as TokenRow,
      transient.secret
    )
  }

  async verify(tokenValue: Secret<string>): Promise<OrganizationAccessToken | null> {
    const decoded = AccessToken.decode(PREFIX, tokenValue.release())
    if (!decoded || !/^\d{1,18}$/.test(decoded.identifier)) return null

    // The token and its (not deleted) owner in one query, or from the auth cache.
    const row = await AuthCache.remember(
      AuthCache.tokens,
      decoded.identifier,
      async (): Promise<(TokenRow & Record<string, unknown>) | null> =>
        (await this.client()
          .from(TABLE)
          .join(this.model.table, `${this.model.table}.id`, `${TABLE}.user_id`)
          .whereNull(`${this.model.table}.deleted_at`)
          .where({ [`${TABLE}.id`]: decoded.identifier, [`${TABLE}.type`]: TYPE })
          .select(`${TABLE}.*`, ...columnsOf(this.model, this.model.table, 'owner'))
          .first()) ?? null
    )
    if (!row) return null

    const token = this.toAccessToken(row)
    if (!token.verify(decoded.secret) || token.isExpired()) return null

    const lastUsed = token.lastUsedAt?.getTime() ?? 0
    if (Date.now() - lastUsed > LAST_USED_PRECISION_MS) {
      const now = DateTime.utc()
      await this.client()
        .from(TABLE)
        .where('id', row.id)
        .update({ last_used_at: this.format(now) })
      token.lastUsedAt = now.toJSDate()
      // A cached row remembers it too, so the next minute's requests do not write.
      row.last_used_at = token.lastUsedAt
    }
    const owner = modelFrom(this.model, row, 'owner')
    if (owner) tokenOwners.set(token, owner)
    return token
  }

  async invalidate(tokenValue: Secret<string>): Promise<boolean> {
    const decoded = AccessToken.decode(PREFIX, tokenValue.release())
    if (!decoded || !/^\d{1,18}$/.test(decoded.identifier)) return false
    const deleted = await this.client()
      .from(TABLE)
      .where({ id: decoded.identifier, type: TYPE })
      .delete()
    await AuthCache.invalidate()
    return Number(deleted) > 0
  }
}
