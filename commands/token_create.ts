import vine from '@vinejs/vine'
import { flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import Membership from '#models/membership'
import Organization from '#models/organization'
import User from '#models/user'
import ApiException from '#exceptions/api_exception'
import TenantService from '#services/tenant_service'
import UserService from '#services/user_service'
import { ALL_ABILITIES } from '#enums/permissions'
import { DEFAULT_TOKEN_LIFETIME } from '#support/organization_tokens_provider'
import { TenantContext } from '#support/tenant_context'
import { tokenAbilities, tokenExpiry } from '#validators/auth'
import TokenService from '#services/token_service'
import { CommandInputError, ParleyCommand } from './_parley_command.js'

const tokenCreateValidator = vine.compile(
  vine.object({
    email: vine.string().trim().toLowerCase().email().maxLength(254),
    org: vine.string().trim().toLowerCase().maxLength(64),
    abilities: tokenAbilities(),
    expires_in: tokenExpiry().optional(),
    name: vine.string().trim().minLength(1).maxLength(100).optional(),
  })
)

/**
 * Issues an API access token for a member of an organization. The token
 * is printed once and never stored in clear.
 */
export default class TokenCreate extends ParleyCommand {
  static commandName = 'token:create'
  static description = 'Create an API token for a member of an organization (printed once)'
  static options: CommandOptions = { startApp: true }

  @flags.string({ description: 'Email of the user the token acts as' })
  declare email: string | undefined

  @flags.string({ description: 'Slug of the organization the token is bound to' })
  declare org: string | undefined

  @flags.array({
    description: `Abilities, comma-separated (default: ${ALL_ABILITIES}, every permission of the role)`,
  })
  declare abilities: string[] | undefined

  @flags.string({
    description: `Lifetime such as 30d or "90 days", or never (default: ${DEFAULT_TOKEN_LIFETIME})`,
  })
  declare expiresIn: string | undefined

  @flags.string({ description: 'Name to recognise the token by (default: "Command line")' })
  declare name: string | undefined

  protected async handle() {
    const email = await this.orAsk('--email', this.email, () => this.prompt.ask('User email'))
    const user = await UserService.findByEmail(email.trim())
    if (!user) throw new CommandInputError(`There is no user with the email ${email.trim()}.`)

    const org = await this.orAsk('--org', this.org, async () =>
      this.prompt.choice('Organization', await this.#organizationsOf(user))
    )
    const input = await this.validate(tokenCreateValidator, {
      email,
      org,
      abilities: (this.abilities ?? [ALL_ABILITIES])
        .flatMap((value) => value.split(','))
        .map((value) => value.trim())
        .filter(Boolean),
      expires_in: this.expiresIn,
      name: this.name,
    })

    const organization = await Organization.findBy('slug', input.org)
    if (!organization) {
      throw new CommandInputError(`There is no organization with the slug "${input.org}".`)
    }
    const tenant = await TenantService.resolve(user, organization.id).catch((error) => {
      if (error instanceof ApiException && error.errorCode === 'MEMBERSHIP_INACTIVE') {
        throw new CommandInputError(
          `${user.email} is not an active member of ${organization.slug}.`
        )
      }
      throw error
    })

    const token = await TokenService.create(user, tenant, {
      name: input.name ?? 'Command line',
      abilities: input.abilities,
      expires_in: input.expires_in,
    }).catch((error) => {
      if (error instanceof ApiException && error.errorCode === 'PRIVILEGE_ESCALATION') {
        throw new CommandInputError(`${error.message} (${user.email} in ${organization.slug})`)
      }
      throw error
    })

    await this.audit({
      action: 'token.created',
      organizationId: organization.id,
      subject: { type: 'access_token', id: String(token.identifier) },
      changes: {
        user: { id: user.id, email: user.email },
        name: token.name,
        abilities: token.abilities,
        expires_at: token.expiresAt?.toISOString() ?? null,
      },
    })

    this.logger.success(
      `Token created for ${user.email} in ${organization.slug} (id: ${token.identifier}, ` +
        `abilities: ${token.abilities.join(', ')}, ` +
        `expires: ${token.expiresAt?.toISOString() ?? 'never'})`
    )
    this.logger.log(token.value!.release())
    this.logger.info('Copy it now: it is shown only this once.')
  }

  /**
   * Slugs of the organizations where `user` is an active member.
   */
  async #organizationsOf(user: User) {
    const memberships = await TenantContext.asPlatform(
      async () =>
        await Membership.query()
          .where('user_id', user.id)
          .where('status', 'active')
          .preload('organization')
    )
    const slugs = memberships.flatMap((membership) =>
      membership.organization ? [membership.organization.slug] : []
    )
    if (slugs.length === 0) {
      throw new CommandInputError(`${user.email} is not a member of any organization.`)
    }
    return slugs
  }
}
