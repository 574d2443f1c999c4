import { createHash, randomBytes } from 'node:crypto'
import { DateTime } from 'luxon'
import app from '@adonisjs/core/services/app'
import { BaseSeeder } from '@adonisjs/lucid/seeders'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Chatbot from '#models/chatbot'
import Invitation from '#models/invitation'
import KnowledgeSource from '#models/knowledge_source'
import Organization from '#models/organization'
import Role from '#models/role'
import User from '#models/user'
import KnowledgeService from '#services/knowledge_service'
import MemberService from '#services/member_service'
import OrganizationService from '#services/organization_service'
import UserService from '#services/user_service'
import { TenantContext } from '#support/tenant_context'
import type { Permission } from '#enums/permissions'
import {
  ChatbotStatus,
  KnowledgeSourceStatus,
  KnowledgeSourceType,
  ProviderType,
} from '#enums/chatbots'
import { DEMO_CHATBOT, DEMO_FAQ } from '#database/demo_faq'

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
  /** A read-only member, to see what the console hides from a viewer. */
  viewer: {
    name: 'Vic Viewer',
    email: 'viewer@demo.parley.test',
    password: 'demo-viewer-harbor-42',
  },
}

/**
 * The rest of the demo team (same password pattern, not printed) and the
 * organization's first week, so every console page has something to show.
 */
const TEAM = [
  { name: 'Ada Admin', email: 'ada@demo.parley.test', role: 'admin' },
  { name: 'Sam Agent', email: 'sam@demo.parley.test', role: 'agent' },
  { name: 'Lin Agent', email: 'lin@demo.parley.test', role: 'agent' },
]

/**
 * Demo data for the quick start: an organization with an owner and an
 * active chatbot that answers questions about Parley, and a platform
 * super-admin who belongs to no organization. Idempotent: what exists
 * already (matched by email, slug and chatbot name, deleted rows included)
 * is left as it is.
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
      if (!organization && owner) {
        const created = await OrganizationService.create(DEMO.organization, owner, trx)
        await this.#seedTeam(created, owner, trx)
      }
    })
    const assistant = await this.#ensureAssistant()

    console.log(
      [
        '',
        'Demo logins (unless changed since they were seeded):',
        `  ${DEMO.organization.name} (slug ${DEMO.organization.slug}), owner:`,
        `    ${DEMO.owner.email} / ${DEMO.owner.password}`,
        '  Platform super-admin (no organization):',
        `    ${DEMO.superAdmin.email} / ${DEMO.superAdmin.password}`,
        `  ${DEMO.organization.name}, a read-only viewer:`,
        `    ${DEMO.viewer.email} / ${DEMO.viewer.password}`,
        ...(assistant
          ? [
              `  ${DEMO.organization.name}'s chatbot "${assistant.name}" (id ${assistant.id}), try:`,
              `    node ace chatbot:ask ${assistant.id} "How much does Parley cost?"`,
            ]
          : []),
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

  /**
   * Members in each built-in role, a custom role, a pending invitation and
   * a week of audit history for a newly created demo organization.
   */
  async #seedTeam(organization: Organization, owner: User, trx: TransactionClientContract) {
    await TenantContext.run(organization.id, async () => {
      const roles = await Role.query({ client: trx }).where('is_system', true)
      const role = (slug: string) => roles.find((candidate) => candidate.slug === slug)!

      const members: User[] = []
      for (const member of [...TEAM, { ...DEMO.viewer, role: 'viewer' }]) {
        const user =
          (await this.#ensureUser(
            { name: member.name, email: member.email, password: DEMO.viewer.password },
            trx
          )) ?? null
        if (!user) continue
        await MemberService.add(user, role(member.role), trx)
        members.push(user)
      }

      const supportLead = await Role.create(
        {
          name: 'Support lead',
          slug: 'support-lead',
          description: 'Agents who also manage the team’s chatbots and read the audit log',
          isSystem: false,
        },
        { client: trx }
      )
      await supportLead
        .related('grants')
        .createMany(
          (
            [
              'audit.view',
              'chatbots.manage',
              'chatbots.view',
              'conversations.reply',
              'conversations.view',
              'members.view',
            ] satisfies Permission[]
          ).map((permission) => ({ permission }))
        )

      const invitation = await Invitation.create(
        {
          email: 'new.hire@demo.parley.test',
          roleId: role('agent').id,
          invitedByUserId: owner.id,
          // Nobody knows this secret: the demo invitation is there to be resent or cancelled.
          tokenHash: createHash('sha256').update(randomBytes(32)).digest('hex'),
          expiresAt: DateTime.utc().plus({ days: 7 }),
        },
        { client: trx }
      )

      await trx
        .table('audit_logs')
        .multiInsert(this.#history(organization, owner, members, supportLead, invitation))
    })
  }

  /**
   * The demo organization's "Parley Assistant" (built-in responder) with its
   * FAQ indexed right away, so it answers as soon as the quick start is up.
   * Indexing runs here rather than on the queue (no worker runs yet, and
   * the index must see the committed source); a source an earlier run left
   * unindexed is indexed again.
   */
  async #ensureAssistant() {
    const organization = await Organization.query({ client: this.client })
      .where('slug', DEMO.organization.slug)
      .first()
    if (!organization) return null

    return TenantContext.run(organization.id, async () => {
      const existing = await Chatbot.query({ client: this.client })
        .withTrashed()
        .where('name', DEMO_CHATBOT.name)
        .first()
      const { chatbot, sources } = existing
        ? {
            chatbot: existing,
            sources: await KnowledgeSource.query({ client: this.client })
              .where('chatbot_id', existing.id)
              .where('title', DEMO_FAQ.title)
              .whereNot('status', KnowledgeSourceStatus.Indexed),
          }
        : await this.#createAssistant()
      for (const source of sources) await KnowledgeService.index(source.id)
      return chatbot.isTrashed ? null : chatbot
    })
  }

  /**
   * The assistant and its FAQ source (pending until indexed), in one transaction.
   */
  #createAssistant() {
    return this.client.transaction(async (trx) => {
      const chatbot = await Chatbot.create(
        {
          ...DEMO_CHATBOT,
          status: ChatbotStatus.Active,
          providerType: ProviderType.Builtin,
          providerSettings: {},
          systemPrompt: null,
          temperature: 0.3,
          maxReplyTokens: 512,
        },
        { client: trx }
      )
      const source = await KnowledgeSource.create(
        {
          chatbotId: chatbot.id,
          type: KnowledgeSourceType.Faq,
          title: DEMO_FAQ.title,
          content: JSON.stringify(DEMO_FAQ.items),
          status: KnowledgeSourceStatus.Pending,
          chunkCount: 0,
          error: null,
        },
        { client: trx }
      )
      return { chatbot, sources: [source] }
    })
  }

  /**
   * Audit rows for the demo organization's last seven days: sign-ins, the
   * team being added, the custom role and the invitation.
   */
  #history(
    organization: Organization,
    owner: User,
    members: User[],
    supportLead: Role,
    invitation: Invitation
  ) {
    const at = (daysAgo: number, hour: number) =>
      DateTime.utc()
        .minus({ days: daysAgo })
        .set({ hour, minute: 7 * (daysAgo + 1), second: 0, millisecond: 0 })
        .toFormat(this.client.dialect.dateTimeFormat)
    const row = (
      daysAgo: number,
      hour: number,
      action: string,
      subject: { type: string; id: number },
      changes: Record<string, unknown> | null,
      actor: User = owner
    ) => ({
      organization_id: organization.id,
      actor_user_id: actor.id,
      action,
      status: 'success',
      http_status: action === 'auth.login' ? 302 : 200,
      message: 'Seeded demo history',
      subject_type: subject.type,
      subject_id: String(subject.id),
      ip: '203.0.113.10',
      user_agent: 'Mozilla/5.0 (demo seed)',
      request_id: randomBytes(8).toString('hex'),
      method: action === 'auth.login' ? 'POST' : 'PATCH',
      path: action === 'auth.login' ? '/login' : '/api/v1/users',
      duration_ms: 12 + daysAgo,
      changes: changes ? JSON.stringify(changes) : null,
      created_at: at(daysAgo, hour),
    })

    const rows = [row(6, 9, 'auth.login', { type: 'user', id: owner.id }, { via: 'console' })]
    members.forEach((member, index) => {
      rows.push(
        row(
          5 - Math.min(index, 4),
          10,
          'member.added',
          { type: 'user', id: member.id },
          {
            email: member.email,
          }
        )
      )
    })
    rows.push(
      row(3, 14, 'role.created', { type: 'role', id: supportLead.id }, { name: supportLead.name }),
      row(
        2,
        11,
        'invitation.created',
        { type: 'invitation', id: invitation.id },
        {
          email: invitation.email,
          role: 'agent',
        }
      ),
      row(
        1,
        8,
        'auth.login',
        { type: 'user', id: members[0]?.id ?? owner.id },
        { via: 'console' },
        members[0] ?? owner
      ),
      row(0, 0, 'auth.login', { type: 'user', id: owner.id }, { via: 'console' })
    )
    return rows
  }
}
