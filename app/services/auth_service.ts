import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import limiter from '@adonisjs/limiter/services/main'
import env from '#start/env'
import User from '#models/user'
import Membership from '#models/membership'
import ApiException from '#exceptions/api_exception'
import EmailVerificationService from '#services/email_verification_service'
import OrganizationService from '#services/organization_service'
import TenantService from '#services/tenant_service'
import UserService from '#services/user_service'
import TokenService from '#services/token_service'
import { TenantContext } from '#support/tenant_context'

type LoginInput = {
  email: string
  password: string
  organization?: string
  token_name?: string
  abilities?: string[]
  expires_in?: number | 'never'
}

type RegisterInput = { name: string; email: string; password: string; organization_name: string }

/**
 * Brute-force limits: per ip + email (a fast block), and per account across
 * every ip (a slow lock that rotating ips cannot get around). Only failed
 * attempts count; a successful login clears the counters.
 */
const loginPerIpAndEmail = () =>
  limiter.use({ requests: 5, duration: '1 minute', blockDuration: '15 minutes' })
const loginPerAccount = () =>
  limiter.use({ requests: 100, duration: '1 hour', blockDuration: '1 hour' })

export class InvalidCredentialsError extends ApiException {
  constructor(email: string) {
    super('Email or password is incorrect.', 'INVALID_CREDENTIALS', 401)
    this.audit = { action: 'auth.login_failed', changes: { email } }
  }
}

export default class AuthService {
  /**
   * Checks email and password under the brute-force limits. Throws
   * InvalidCredentialsError, or the limiter's 429 when a limit is reached.
   */
  static async verifyCredentials(email: string, password: string, ip: string): Promise<User> {
    const [accountLocked, user] = await loginPerAccount().penalize(
      `login:account:${email}`,
      async () => {
        const [tooFast, verified] = await loginPerIpAndEmail().penalize(
          `login:ip:${ip}:${email}`,
          () =>
            User.verifyCredentials(email, password).catch(() => {
              throw new InvalidCredentialsError(email)
            })
        )
        if (tooFast) throw tooFast
        return verified
      }
    )
    if (accountLocked) throw accountLocked
    return user
  }

  /**
   * The user's active memberships (every organization: platform code) and
   * the one picked by `slug`, or the only one when there is one.
   */
  static async chooseOrganization(user: User, slug?: string) {
    const memberships = await TenantContext.asPlatform(() =>
      Membership.query().where('user_id', user.id).where('status', 'active').preload('organization')
    )
    const candidates = memberships.filter((membership) => membership.organization)
    const chosen = slug
      ? candidates.find((membership) => membership.organization.slug === slug)
      : candidates.length === 1
        ? candidates[0]
        : undefined
    return { candidates, chosen }
  }

  /**
   * Signs in for the console (the JSON and the HTML login share it): checks
   * the credentials under the brute-force limits, refuses a disabled account
   * and resolves the organization to act in when it is known (`slug`, or
   * the only one). The caller starts the session.
   */
  static async startSession(
    input: { email: string; password: string; organization?: string },
    ip: string
  ) {
    const user = await this.verifyCredentials(input.email, input.password, ip)
    if (user.status !== 'active') {
      throw new ApiException(
        'This account is disabled: contact an organization owner.',
        'ACCOUNT_DISABLED',
        403
      )
    }

    const { candidates, chosen } = await this.chooseOrganization(user, input.organization)
    const tenant = chosen ? await TenantService.resolve(user, chosen.organizationId) : null

    user.lastLoginAt = DateTime.utc()
    await user.save()
    return { user, candidates, tenant }
  }

  /**
   * Logs in for the API: returns a new token bound to the chosen
   * organization (optional when the user belongs to exactly one).
   */
  static async login(input: LoginInput, ip: string) {
    const user = await this.verifyCredentials(input.email, input.password, ip)

    const { candidates, chosen } = await this.chooseOrganization(user, input.organization)
    if (!chosen) {
      throw new ApiException(
        candidates.length === 0
          ? 'This account is not a member of any organization: ask an owner for an invitation.'
          : input.organization
            ? 'You are not a member of that organization.'
            : `You belong to several organizations: send "organization" with one of: ${candidates
                .map((membership) => membership.organization.slug)
                .join(', ')}`,
        'ORGANIZATION_REQUIRED',
        422
      )
    }

    const tenant = await TenantService.resolve(user, chosen.organizationId, input.abilities)
    const token = await TokenService.create(user, tenant, {
      name: input.token_name ?? 'API login',
      abilities: input.abilities,
      expires_in: input.expires_in,
    })

    user.lastLoginAt = DateTime.utc()
    await user.save()
    return { user, tenant, token }
  }

  /**
   * Self-service sign-up: a user and their organization, all or nothing.
   */
  static async register(input: RegisterInput) {
    if (env.get('REGISTRATION_ENABLED', true) === false) {
      throw new ApiException(
        'Sign-up is disabled here: ask an organization owner for an invitation.',
        'REGISTRATION_DISABLED',
        403
      )
    }
    const { user, organization } = await db.transaction(async (trx) => {
      const created = await UserService.create(
        { name: input.name, email: input.email, password: input.password },
        trx
      )
      const createdOrganization = await OrganizationService.create(
        { name: input.organization_name },
        created,
        trx
      )
      return { user: created, organization: createdOrganization }
    })

    const tenant = await TenantService.resolve(user, organization.id)
    const token = await User.accessTokens.create(user, ['*'], {
      organizationId: organization.id,
      name: 'Sign-up',
    })
    await EmailVerificationService.sendAfterSignUp(user)
    return { user, tenant, token }
  }
}
