import app from '@adonisjs/core/services/app'
import { BaseSeeder } from '@adonisjs/lucid/seeders'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Organization from '#models/organization'
import User from '#models/user'
import OrganizationService from '#services/organization_service'
import UserService from '#services/user_service'

/**
 * The quick start's demo logins. Fixed so they can be printed and typed;
 * they pass the password policy like any other password.
 */
export const DEMO = {
  organization: { name: 'Demo Company', slug: 'demo' },
  owner: { name: 'Demo Owner', email: 'owner@demo.parley.test', password: 'demo-owner-lantern-42' },
  superAdmin: {
    name: 'Platform Admin',
    email: 'admin@parley.test',
    password: 'platform-admin-orbit-42',
  },
}

/**
 * Demo data for the quick start: an organization with an owner, and a
 * platform super-admin who belongs to no organization. Idempotent: what
 * exists already (matched by email and slug, deleted rows included) is
 * left as it is.
 */
export default class MainSeeder extends BaseSeeder {
  async run() {
    if (app.inProduction) {
      console.log('Demo data is not seeded in production: create accounts with node ace org:create')
      return
    }

    await this.client.transaction(async (trx: TransactionClientContract) => {
      await this.#ensureUser({ ...DEMO.superAdmin, isSuperAdmin: true }, trx)
      const owner = await this.#ensureUser(DEMO.owner, trx)
      const organization = await Organization.query({ client: trx })
        .withTrashed()
        .where('slug', DEMO.organization.slug)
        .first()
      if (!organization && owner) await OrganizationService.create(DEMO.organization, owner, trx)
    })

    console.log(
      [
        '',
        'Demo logins (unless changed since they were seeded):',
        `  ${DEMO.organization.name} (slug ${DEMO.organization.slug}), owner:`,
        `    ${DEMO.owner.email} / ${DEMO.owner.password}`,
        '  Platform super-admin (no organization):',
        `    ${DEMO.superAdmin.email} / ${DEMO.superAdmin.password}`,
        '',
      ].join('\n')
    )
  }

  /**
   * The user with this email, created when missing; null when only a
   * deleted account has it.
   */
  async #ensureUser(
    input: { name: string; email: string; password: string; isSuperAdmin?: boolean },
    trx: TransactionClientContract
  ) {
    const existing = await User.query({ client: trx })
      .withTrashed()
      .where('email', input.email)
      .first()
    if (existing) return existing.isTrashed ? null : existing
    return UserService.create(input, trx)
  }
}
