import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import mail from '@adonisjs/mail/services/main'
import router from '@adonisjs/core/services/router'
import testUtils from '@adonisjs/core/services/test_utils'
import Role from '#models/role'
import Chatbot from '#models/chatbot'
import KnowledgeSource from '#models/knowledge_source'
import Contact from '#models/contact'
import Conversation from '#models/conversation'
import Message from '#models/message'
import User from '#models/user'
import type Organization from '#models/organization'
import InvitationService from '#services/invitation_service'
import TenantService from '#services/tenant_service'
import AuditService from '#services/audit_service'
import PublicChatService from '#services/public_chat_service'
import { TenantContext } from '#support/tenant_context'
import { addMember, createOrganization, tokenFor } from '#tests/helpers/identity'

/**
 * /api/v1 routes that are not tenant-scoped, and why. Every other /api/v1
 * route must have a case below: a new route without one fails this file.
 */
const NOT_TENANT_SCOPED: Record<string, string> = {
  'POST /api/v1/auth/login': 'public: credentials',
  'POST /api/v1/auth/register': 'public: creates its own organization',
  'POST /api/v1/auth/logout': 'acts on the token itself',
  'GET /api/v1/auth/me': 'acts on the token itself',
  'POST /api/v1/invitations/:token/accept': 'public: the mailed secret is the credential',
  'GET /api/v1/admin/organizations': 'platform (super-admin)',
  'PATCH /api/v1/admin/organizations/:id': 'platform (super-admin)',
  'GET /api/v1/admin/queues': 'platform (super-admin)',
  'GET /api/v1/admin/queues/organizations': 'platform (super-admin)',
  'GET /api/v1/admin/queues/workers': 'platform (super-admin)',
  'GET /api/v1/admin/queues/:name': 'platform (super-admin)',
  'GET /api/v1/admin/queues/:name/jobs': 'platform (super-admin)',
  'GET /api/v1/admin/queues/:name/jobs/:id': 'platform (super-admin)',
  'POST /api/v1/admin/queues/:name/jobs/:id/retry': 'platform (super-admin)',
  'DELETE /api/v1/admin/queues/:name/jobs/:id': 'platform (super-admin)',
  'POST /api/v1/admin/queues/:name/retry-failed': 'platform (super-admin)',
  'POST /api/v1/admin/queues/:name/pause': 'platform (super-admin)',
  'POST /api/v1/admin/queues/:name/resume': 'platform (super-admin)',
}
const PUBLIC_AUTH_PREFIX = '/api/v1/auth/'

type World = {
  orgA: Organization
  orgB: Organization
  ownerA: User
  agentA: User
  roleA: Role
  invitationA: number
  tokenA: number
  auditA: number
  chatbotA: number
  knowledgeA: number
  conversationA: number
}

/**
 * Organization A's rows that a request from organization B must never
 * change, read as platform code.
 */
async function snapshotA(world: World) {
  const orgId = world.orgA.id
  const rows = await Promise.all([
    db.from('organizations').where('id', orgId),
    db.from('memberships').where('organization_id', orgId).orderBy('id'),
    db.from('roles').where('organization_id', orgId).orderBy('id'),
    db
      .from('role_permissions')
      .whereIn('role_id', db.from('roles').select('id').where('organization_id', orgId))
      .orderBy('id'),
    db.from('invitations').where('organization_id', orgId).orderBy('id'),
    db
      .from('access_tokens')
      .select('id', 'name', 'abilities', 'expires_at')
      .where('organization_id', orgId)
      .orderBy('id'),
    db.from('chatbots').where('organization_id', orgId).orderBy('id'),
    db.from('knowledge_sources').where('organization_id', orgId).orderBy('id'),
    db.from('knowledge_chunks').where('organization_id', orgId).orderBy('id'),
    db.from('contacts').where('organization_id', orgId).orderBy('id'),
    db.from('conversations').where('organization_id', orgId).orderBy('id'),
    db.from('messages').where('organization_id', orgId).orderBy('id'),
  ])
  return JSON.stringify(rows)
}

/**
 * For each tenant-scoped route: the request organization B makes with
 * organization A's ids, and (for lists) A's ids that must not appear.
 */
const CASES: Record<
  string,
  (world: World) => { url: string; body?: object; foreignIds?: number[] }
> = {
  'GET /api/v1/organization': () => ({ url: '/api/v1/organization' }),
  'PATCH /api/v1/organization': () => ({
    url: '/api/v1/organization',
    body: { name: 'B renamed' },
  }),
  // Organization B confirming with A's slug: refused, and only ever B's own organization is at stake.
  'DELETE /api/v1/organization': (w) => ({
    url: '/api/v1/organization',
    body: { confirm: w.orgA.slug },
  }),
  'GET /api/v1/users': (w) => ({ url: '/api/v1/users', foreignIds: [w.ownerA.id, w.agentA.id] }),
  'POST /api/v1/users': (w) => ({
    url: '/api/v1/users',
    body: { email: w.agentA.email, role_id: w.roleA.id },
  }),
  'GET /api/v1/users/:id': (w) => ({ url: `/api/v1/users/${w.agentA.id}` }),
  'PATCH /api/v1/users/:id': (w) => ({
    url: `/api/v1/users/${w.agentA.id}`,
    body: { status: 'disabled' },
  }),
  'DELETE /api/v1/users/:id': (w) => ({ url: `/api/v1/users/${w.agentA.id}` }),
  'GET /api/v1/invitations': (w) => ({ url: '/api/v1/invitations', foreignIds: [w.invitationA] }),
  'POST /api/v1/invitations': (w) => ({
    url: '/api/v1/invitations',
    body: { email: 'x@example.com', role_id: w.roleA.id },
  }),
  'DELETE /api/v1/invitations/:id': (w) => ({ url: `/api/v1/invitations/${w.invitationA}` }),
  'GET /api/v1/audit-logs': (w) => ({ url: '/api/v1/audit-logs', foreignIds: [w.auditA] }),
  'GET /api/v1/audit-logs/:id': (w) => ({ url: `/api/v1/audit-logs/${w.auditA}` }),
  'GET /api/v1/permissions': () => ({ url: '/api/v1/permissions' }),
  'GET /api/v1/roles': (w) => ({ url: '/api/v1/roles', foreignIds: [w.roleA.id] }),
  'POST /api/v1/roles': () => ({
    url: '/api/v1/roles',
    body: { name: 'B role', permissions: ['members.view'] },
  }),
  'PATCH /api/v1/roles/:id': (w) => ({
    url: `/api/v1/roles/${w.roleA.id}`,
    body: { name: 'Stolen' },
  }),
  'DELETE /api/v1/roles/:id': (w) => ({ url: `/api/v1/roles/${w.roleA.id}` }),
  'GET /api/v1/tokens': (w) => ({ url: '/api/v1/tokens', foreignIds: [w.tokenA] }),
  'POST /api/v1/tokens': () => ({ url: '/api/v1/tokens', body: { name: 'B token' } }),
  'DELETE /api/v1/tokens/:id': (w) => ({ url: `/api/v1/tokens/${w.tokenA}` }),
  'GET /api/v1/chatbots': (w) => ({ url: '/api/v1/chatbots', foreignIds: [w.chatbotA] }),
  'POST /api/v1/chatbots': () => ({ url: '/api/v1/chatbots', body: { name: 'B bot' } }),
  'GET /api/v1/chatbots/:id': (w) => ({ url: `/api/v1/chatbots/${w.chatbotA}` }),
  'PATCH /api/v1/chatbots/:id': (w) => ({
    url: `/api/v1/chatbots/${w.chatbotA}`,
    body: { name: 'Stolen bot', status: 'paused' },
  }),
  'DELETE /api/v1/chatbots/:id': (w) => ({ url: `/api/v1/chatbots/${w.chatbotA}` }),
  'POST /api/v1/chatbots/:id/duplicate': (w) => ({
    url: `/api/v1/chatbots/${w.chatbotA}/duplicate`,
  }),
  'POST /api/v1/chatbots/:id/test': (w) => ({ url: `/api/v1/chatbots/${w.chatbotA}/test` }),
  'GET /api/v1/chatbots/:id/knowledge': (w) => ({
    url: `/api/v1/chatbots/${w.chatbotA}/knowledge`,
    foreignIds: [w.knowledgeA],
  }),
  'POST /api/v1/chatbots/:id/knowledge': (w) => ({
    url: `/api/v1/chatbots/${w.chatbotA}/knowledge`,
    body: { type: 'text', title: 'Planted', content: 'Planted by B' },
  }),
  'GET /api/v1/chatbots/:id/knowledge/:sourceId': (w) => ({
    url: `/api/v1/chatbots/${w.chatbotA}/knowledge/${w.knowledgeA}`,
  }),
  'PATCH /api/v1/chatbots/:id/knowledge/:sourceId': (w) => ({
    url: `/api/v1/chatbots/${w.chatbotA}/knowledge/${w.knowledgeA}`,
    body: { title: 'Stolen handbook', content: 'Overwritten' },
  }),
  'DELETE /api/v1/chatbots/:id/knowledge/:sourceId': (w) => ({
    url: `/api/v1/chatbots/${w.chatbotA}/knowledge/${w.knowledgeA}`,
  }),
  'POST /api/v1/chatbots/:id/messages': (w) => ({
    url: `/api/v1/chatbots/${w.chatbotA}/messages`,
    body: { text: 'Talking to A', conversation_id: w.conversationA },
  }),
  'GET /api/v1/conversations': (w) => ({
    url: '/api/v1/conversations',
    foreignIds: [w.conversationA],
  }),
  'GET /api/v1/conversations/:id': (w) => ({ url: `/api/v1/conversations/${w.conversationA}` }),
  'PATCH /api/v1/conversations/:id': (w) => ({
    url: `/api/v1/conversations/${w.conversationA}`,
    body: { status: 'resolved' },
  }),
  'POST /api/v1/conversations/:id/messages': (w) => ({
    url: `/api/v1/conversations/${w.conversationA}/messages`,
    body: { text: 'Hijacked reply' },
  }),
  'POST /api/v1/conversations/:id/notes': (w) => ({
    url: `/api/v1/conversations/${w.conversationA}/notes`,
    body: { text: 'Hijacked note' },
  }),
  'POST /api/v1/chatbots/:id/knowledge/:sourceId/reindex': (w) => ({
    url: `/api/v1/chatbots/${w.chatbotA}/knowledge/${w.knowledgeA}/reindex`,
  }),
}

/**
 * The public chat API has no tenant: a chatbot's public key, then a
 * conversation's visitor token, are the credentials. For each of its
 * routes: what a visitor of organization B's chatbot (with B's visitor
 * token, and B's API token) tries on organization A's chatbot and widget
 * conversation. Always 404, and A's rows stay as they were.
 */
const PUBLIC_CASES: Record<
  string,
  (world: World & { widgetConversationA: number }) => { url: string; body?: object }
> = {
  // A chatbot's id is not its public key.
  'POST /api/v1/public/chatbots/:key/conversations': (w) => ({
    url: `/api/v1/public/chatbots/${w.chatbotA}/conversations`,
    body: {},
  }),
  'GET /api/v1/public/conversations/:id/messages': (w) => ({
    url: `/api/v1/public/conversations/${w.widgetConversationA}/messages`,
  }),
  'POST /api/v1/public/conversations/:id/messages': (w) => ({
    url: `/api/v1/public/conversations/${w.widgetConversationA}/messages`,
    body: { text: 'Planted by B' },
  }),
}

function apiV1Routes() {
  return Object.values(router.toJSON())
    .flat()
    .filter((route) => route.pattern.startsWith('/api/v1/'))
    .flatMap((route) =>
      route.methods
        .filter((method) => method !== 'HEAD')
        .map((method) => `${method} ${route.pattern}`)
    )
}

async function buildWorld(): Promise<World> {
  const { organization: orgA, owner: ownerA } = await createOrganization('Alpha Org')
  const { organization: orgB } = await createOrganization('Beta Org')
  const agentA = await addMember(orgA, 'agent')
  const roleA = await TenantContext.run(orgA.id, async () => {
    const role = await Role.create({
      slug: 'alpha-support',
      name: 'Alpha support',
      isSystem: false,
    })
    await role.related('grants').create({ permission: 'members.view' })
    return role
  })
  const tenantA = await TenantService.resolve(ownerA, orgA.id)
  const invitation = await TenantContext.run(orgA.id, () =>
    InvitationService.invite('invitee@example.com', roleA, tenantA)
  )
  const token = await User.accessTokens.create(ownerA, ['*'], {
    organizationId: orgA.id,
    name: 'A token',
  })
  await AuditService.record({
    action: 'alpha.secret',
    organizationId: orgA.id,
    requestId: 'alpha-audit-0001',
  })
  const audit = await db.from('audit_logs').where('request_id', 'alpha-audit-0001').firstOrFail()
  const chatbot = await TenantContext.run(orgA.id, () =>
    Chatbot.create({
      name: 'Alpha bot',
      status: 'active' as Chatbot['status'],
      providerType: 'builtin' as Chatbot['providerType'],
      providerSettings: {},
      temperature: 0.3,
      maxReplyTokens: 512,
      allowedOrigins: [],
    })
  )
  const knowledge = await TenantContext.run(orgA.id, async () => {
    const source = await KnowledgeSource.create({
      chatbotId: chatbot.id,
      type: 'text' as KnowledgeSource['type'],
      title: 'Alpha handbook',
      content: 'Alpha secrets',
      status: 'indexed' as KnowledgeSource['status'],
      chunkCount: 1,
      error: null,
    })
    await source
      .related('chunks')
      .create({ chatbotId: chatbot.id, position: 0, content: 'Alpha secrets' })
    return source
  })
  const conversation = await TenantContext.run(orgA.id, async () => {
    const contact = await Contact.create({
      externalId: 'alpha-customer',
      metadata: {},
      firstSeenAt: DateTime.now(),
      lastSeenAt: DateTime.now(),
    })
    const created = await Conversation.create({
      chatbotId: chatbot.id,
      contactId: contact.id,
      channel: 'api' as Conversation['channel'],
      status: 'open' as Conversation['status'],
      lastMessageAt: DateTime.now(),
    })
    await Message.create({
      conversationId: created.id,
      role: 'user' as Message['role'],
      content: 'Alpha customer question',
      status: 'delivered' as Message['status'],
    })
    return created
  })
  return {
    orgA,
    orgB,
    ownerA,
    agentA,
    roleA,
    invitationA: invitation.id,
    tokenA: Number(token.identifier),
    auditA: audit.id,
    chatbotA: chatbot.id,
    knowledgeA: knowledge.id,
    conversationA: conversation.id,
  }
}

test.group('Authorization matrix: object level (BOLA)', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => {
    mail.fake()
    return () => mail.restore()
  })

  test('every /api/v1 route is either tenant-scoped with a case, or listed as not tenant-scoped', ({
    assert,
  }) => {
    const missing = apiV1Routes().filter(
      (route) =>
        !(route in CASES) &&
        !(route in PUBLIC_CASES) &&
        !(route in NOT_TENANT_SCOPED) &&
        !route.split(' ')[1].startsWith(PUBLIC_AUTH_PREFIX)
    )
    assert.deepEqual(missing, [], 'add a BOLA case (or a reasoned exclusion) for these routes')
    const stale = [...Object.keys(CASES), ...Object.keys(PUBLIC_CASES)].filter(
      (route) => !apiV1Routes().includes(route)
    )
    assert.deepEqual(stale, [], 'these cases name routes that no longer exist')
  })

  for (const route of Object.keys(CASES)) {
    test(`${route}: organization B cannot reach organization A's rows`, async ({
      client,
      assert,
    }) => {
      const world = await buildWorld()
      const ownerB = (
        await db.from('memberships').where('organization_id', world.orgB.id).firstOrFail()
      ).user_id
      const tokenB = await tokenFor(await User.findOrFail(ownerB), world.orgB)
      const { url, body, foreignIds } = CASES[route](world)
      const [method] = route.split(' ')
      const before = await snapshotA(world)

      const request = client.request(url, method as any).bearerToken(tokenB)
      const response = await (body ? request.json(body) : request)

      if (route.includes(':id')) {
        assert.equal(
          response.status(),
          404,
          `${route} answered ${response.status()}: ${response.text()}`
        )
      } else {
        assert.isBelow(response.status(), 500, response.text())
      }
      if (foreignIds) {
        const ids = (response.body().data ?? []).map((row: any) => row.id ?? row.user_id)
        for (const id of foreignIds) assert.notInclude(ids, id)
      }
      assert.equal(await snapshotA(world), before, `${route} changed organization A's rows`)
    })
  }

  for (const route of Object.keys(PUBLIC_CASES)) {
    test(`${route}: a visitor of organization B cannot reach organization A's chatbot or conversations`, async ({
      client,
      assert,
    }) => {
      const world = await buildWorld()
      const chatbotA = await TenantContext.asPlatform(() => Chatbot.findOrFail(world.chatbotA))
      const chatbotB = await TenantContext.run(world.orgB.id, () =>
        Chatbot.create({
          name: 'Beta bot',
          status: 'active' as Chatbot['status'],
          providerType: 'builtin' as Chatbot['providerType'],
          providerSettings: {},
          temperature: 0.3,
          maxReplyTokens: 512,
          allowedOrigins: [],
        })
      )
      const widgetA = await PublicChatService.start(chatbotA, undefined)
      const visitorB = await PublicChatService.start(chatbotB, undefined)
      const ownerB = (
        await db.from('memberships').where('organization_id', world.orgB.id).firstOrFail()
      ).user_id
      const tokenB = await tokenFor(await User.findOrFail(ownerB), world.orgB)
      const { url, body } = PUBLIC_CASES[route]({
        ...world,
        widgetConversationA: widgetA.conversation.id,
      })
      const [method] = route.split(' ')
      const before = await snapshotA(world)

      const request = client
        .request(url, method as any)
        .bearerToken(tokenB)
        .header('X-Visitor-Token', visitorB.visitorToken)
      const response = await (body ? request.json(body) : request)

      assert.equal(
        response.status(),
        404,
        `${route} answered ${response.status()}: ${response.text()}`
      )
      assert.equal(await snapshotA(world), before, `${route} changed organization A's rows`)
    })
  }
})

/**
 * Function level: who may call what. `allowed` means "not refused for lack
 * of permission" (the call may still fail validation, or answer 404 for
 * the unknown `url` an `:id` route is called with: permission is checked
 * first).
 */
const FUNCTION_LEVEL: {
  who: 'viewer' | 'agent' | 'admin' | 'owner' | 'narrow-token'
  route: string
  url?: string
  body?: object
  allowed: boolean
}[] = [
  { who: 'viewer', route: 'GET /api/v1/users', allowed: true },
  { who: 'viewer', route: 'POST /api/v1/users', body: {}, allowed: false },
  { who: 'viewer', route: 'PATCH /api/v1/organization', body: { name: 'Nope' }, allowed: false },
  { who: 'viewer', route: 'POST /api/v1/invitations', body: {}, allowed: false },
  { who: 'viewer', route: 'POST /api/v1/roles', body: {}, allowed: false },
  { who: 'viewer', route: 'GET /api/v1/audit-logs', allowed: true },
  { who: 'agent', route: 'GET /api/v1/organization', allowed: true },
  { who: 'agent', route: 'GET /api/v1/permissions', allowed: true },
  { who: 'agent', route: 'GET /api/v1/users', allowed: false },
  { who: 'agent', route: 'POST /api/v1/users', body: {}, allowed: false },
  { who: 'agent', route: 'POST /api/v1/invitations', body: {}, allowed: false },
  { who: 'agent', route: 'GET /api/v1/audit-logs', allowed: false },
  { who: 'admin', route: 'POST /api/v1/users', body: {}, allowed: true },
  {
    who: 'admin',
    route: 'PATCH /api/v1/organization',
    body: { name: 'Renamed by admin' },
    allowed: true,
  },
  { who: 'admin', route: 'POST /api/v1/roles', body: {}, allowed: true },
  { who: 'owner', route: 'GET /api/v1/audit-logs', allowed: true },
  { who: 'admin', route: 'DELETE /api/v1/organization', body: {}, allowed: false },
  { who: 'viewer', route: 'DELETE /api/v1/organization', body: {}, allowed: false },
  { who: 'owner', route: 'DELETE /api/v1/organization', body: {}, allowed: true },
  {
    who: 'narrow-token',
    route: 'DELETE /api/v1/organization',
    body: {},
    allowed: false,
  },
  { who: 'narrow-token', route: 'GET /api/v1/users', allowed: true },
  {
    who: 'narrow-token',
    route: 'PATCH /api/v1/organization',
    body: { name: 'Nope' },
    allowed: false,
  },
  { who: 'narrow-token', route: 'POST /api/v1/users', body: {}, allowed: false },
  { who: 'narrow-token', route: 'GET /api/v1/audit-logs', allowed: false },
  { who: 'owner', route: 'GET /api/v1/admin/organizations', allowed: false },
  ...queueMonitorRows(),
  ...chatbotRows(),
  ...conversationRows(),
]

/**
 * The queue monitor API is for super-admins: an organization's owner is
 * refused on every route.
 */
function queueMonitorRows() {
  return Object.keys(NOT_TENANT_SCOPED)
    .filter((route) => route.includes('/api/v1/admin/queues'))
    .map((route) => ({
      who: 'owner' as const,
      route,
      url: route.split(' ')[1].replace(':name', 'low').replace(':id', '1'),
      allowed: false,
    }))
}

/**
 * Conversations: members with `conversations.view` (everyone but a narrow
 * token) read them; `conversations.reply` (agent, admin, owner) takes part.
 */
function conversationRows() {
  const unknown = '/api/v1/conversations/999999999'
  const reads = [
    { route: 'GET /api/v1/conversations' },
    { route: 'GET /api/v1/conversations/:id', url: unknown },
  ]
  const writes = [
    { route: 'PATCH /api/v1/conversations/:id', url: unknown, body: { status: 'resolved' } },
    { route: 'POST /api/v1/conversations/:id/messages', url: `${unknown}/messages`, body: {} },
    { route: 'POST /api/v1/conversations/:id/notes', url: `${unknown}/notes`, body: {} },
    {
      route: 'POST /api/v1/chatbots/:id/messages',
      url: '/api/v1/chatbots/999999999/messages',
      body: {},
    },
  ]
  return [
    ...reads.flatMap((row) => [
      { who: 'viewer' as const, ...row, allowed: true },
      { who: 'agent' as const, ...row, allowed: true },
      { who: 'narrow-token' as const, ...row, allowed: false },
    ]),
    ...writes.flatMap((row) => [
      { who: 'viewer' as const, ...row, allowed: false },
      { who: 'narrow-token' as const, ...row, allowed: false },
      { who: 'agent' as const, ...row, allowed: true },
      { who: 'owner' as const, ...row, allowed: true },
    ]),
  ]
}

/**
 * Chatbots and their knowledge: every member with `chatbots.view` reads
 * them, `chatbots.manage` (owner, admin) changes them.
 */
function chatbotRows() {
  const unknown = '/api/v1/chatbots/999999999'
  const reads = [
    { route: 'GET /api/v1/chatbots' },
    { route: 'GET /api/v1/chatbots/:id', url: unknown },
    { route: 'GET /api/v1/chatbots/:id/knowledge', url: `${unknown}/knowledge` },
    {
      route: 'GET /api/v1/chatbots/:id/knowledge/:sourceId',
      url: `${unknown}/knowledge/999999999`,
    },
  ]
  const writes = [
    { route: 'POST /api/v1/chatbots', body: {} },
    { route: 'PATCH /api/v1/chatbots/:id', url: unknown, body: { name: 'Renamed bot' } },
    { route: 'DELETE /api/v1/chatbots/:id', url: unknown },
    { route: 'POST /api/v1/chatbots/:id/duplicate', url: `${unknown}/duplicate` },
    { route: 'POST /api/v1/chatbots/:id/test', url: `${unknown}/test` },
    { route: 'POST /api/v1/chatbots/:id/knowledge', url: `${unknown}/knowledge`, body: {} },
    {
      route: 'PATCH /api/v1/chatbots/:id/knowledge/:sourceId',
      url: `${unknown}/knowledge/999999999`,
      body: { title: 'Renamed' },
    },
    {
      route: 'DELETE /api/v1/chatbots/:id/knowledge/:sourceId',
      url: `${unknown}/knowledge/999999999`,
    },
    {
      route: 'POST /api/v1/chatbots/:id/knowledge/:sourceId/reindex',
      url: `${unknown}/knowledge/999999999/reindex`,
    },
  ]
  return [
    ...reads.flatMap((row) => [
      { who: 'viewer' as const, ...row, allowed: true },
      { who: 'agent' as const, ...row, allowed: true },
      { who: 'narrow-token' as const, ...row, allowed: false },
    ]),
    ...writes.flatMap((row) => [
      { who: 'viewer' as const, ...row, allowed: false },
      { who: 'agent' as const, ...row, allowed: false },
      { who: 'admin' as const, ...row, allowed: true },
      { who: 'owner' as const, ...row, allowed: true },
    ]),
  ]
}

test.group('Authorization matrix: function level', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => {
    mail.fake()
    return () => mail.restore()
  })

  for (const { who, route, url: urlOverride, body, allowed } of FUNCTION_LEVEL) {
    test(`${who} ${allowed ? 'may' : 'may not'} ${route}`, async ({ client, assert }) => {
      const { organization, owner } = await createOrganization()
      const token =
        who === 'owner'
          ? await tokenFor(owner, organization)
          : who === 'narrow-token'
            ? await tokenFor(owner, organization, { abilities: ['members.view'] })
            : await tokenFor(await addMember(organization, who), organization)
      const [method, pattern] = route.split(' ')
      const url = urlOverride ?? pattern

      const request = client.request(url, method as any).bearerToken(token)
      const response = await (body ? request.json(body) : request)

      if (allowed) assert.notEqual(response.status(), 403, response.text())
      else {
        assert.equal(response.status(), 403, response.text())
        assert.equal(response.body().error_code, 'FORBIDDEN')
      }
    })
  }
})
