import vine from '@vinejs/vine'
import { flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import db from '@adonisjs/lucid/services/db'
import MemberService from '#services/member_service'
import Organization from '#models/organization'
import Role from '#models/role'
import UserService from '#services/user_service'
import { TenantContext } from '#support/tenant_context'
import { CommandInputError, ParleyCommand } from './_parley_command.js'

const userCreateValidator = vine.compile(
  vine.object({
    email: vine.string().trim().toLowerCase().email().maxLength(254),
    name: vine.string().trim().minLength(1).maxLength(120).optional(),
    org: vine.string().trim().toLowerCase().maxLength(64).optional(),
    role: vine.string().trim().toLowerCase().maxLength(64).optional(),
  })
)

/**
 * Creates a user account; optionally a platform super-admin, optionally a
 * member of an organization with a built-in or custom role.
 */
export default class UserCreate extends ParleyCommand {
  static commandName = 'user:create'
  static description = 'Create a user, optionally a super-admin or a member of an organization'
  static options: CommandOptions = { startApp: true }

  @flags.string({ description: 'Email address (the login)' })
  declare email: string | undefined

  @flags.string({ description: 'Password (at least 12 characters, not a common one)' })
  declare password: string | undefined

  @flags.string({ description: 'Display name (default: the part of the email before @)' })
  declare name: string | undefined

  @flags.boolean({ description: 'Make the user a platform super-admin' })
  declare superAdmin: boolean | undefined

  @flags.string({ description: 'Slug of an organization to add the user to (needs --role)' })
  declare org: string | undefined

  @flags.string({
    description: 'Role in that organization: owner, admin, agent, viewer or a custom role slug',
  })
  declare role: string | undefined

  protected async handle() {
    if (this.role !== undefined && this.org === undefined) {
      throw new CommandInputError('--role needs --org: the organization the role applies in.')
    }
    const email = await this.orAsk('--email', this.email, () => this.prompt.ask('Email'))
    const input = await this.validate(userCreateValidator, {
      email,
      name: this.name,
      org: this.org,
      role: this.role,
    })

    // The organization and role are checked before anything is written.
    const membership = input.org ? await this.#resolveMembership(input.org, input.role) : null
    const password = await this.orAsk('--password', this.password, () =>
      this.prompt.secure('Password (at least 12 characters)')
    )

    const user = await db.transaction(async (trx) => {
      const created = await UserService.create(
        {
          name: input.name ?? input.email.split('@')[0],
          email: input.email,
          password,
          isSuperAdmin: this.superAdmin === true,
        },
        trx
      )
      if (membership) {
        await TenantContext.run(membership.organization.id, () =>
          MemberService.add(created, membership.role, trx)
        )
      }
      return created
    })

    await this.audit({
      action: 'user.created',
      organizationId: membership?.organization.id ?? null,
      subject: { type: 'user', id: user.id },
      changes: {
        email: user.email,
        name: user.name,
        is_super_admin: user.isSuperAdmin,
        ...(membership
          ? { organization: membership.organization.slug, role: membership.role.slug }
          : {}),
      },
    })

    this.logger.success(`User ${user.email} created (id: ${user.id})`)
    if (user.isSuperAdmin) this.logger.info('Platform super-admin')
    if (membership) {
      this.logger.info(
        `Member of ${membership.organization.slug} with the role ${membership.role.slug}`
      )
    }
  }

  /**
   * The organization and one of its roles (built-in or custom), asked for
   * on a terminal when --role is missing.
   */
  async #resolveMembership(slug: string, roleSlug: string | undefined) {
    const organization = await Organization.findBy('slug', slug)
    if (!organization) {
      throw new CommandInputError(`There is no organization with the slug "${slug}".`)
    }
    const roles = await TenantContext.run(
      organization.id,
      async () => await Role.query().orderBy('id')
    )
    const slugs = roles.map((role) => role.slug)
    const chosen = await this.orAsk('--role', roleSlug, () =>
      this.prompt.choice(`Role in ${organization.slug}`, slugs)
    )
    const role = roles.find((candidate) => candidate.slug === chosen)
    if (!role) {
      throw new CommandInputError(
        `There is no role "${chosen}" in ${organization.slug}: use one of ${slugs.join(', ')}.`
      )
    }
    return { organization, role }
  }
}
