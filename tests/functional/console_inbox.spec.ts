import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import testUtils from '@adonisjs/core/services/test_utils'
import Chatbot from '#models/chatbot'
import Contact from '#models/contact'
import Conversation from '#models/conversation'
import Message from '#models/message'
import type Organization from '#models/organization'
import type User from '#models/user'
import ConversationService from '#services/conversation_service'
import ChatPipeline from '#services/chat_pipeline'
import { TenantContext } from '#support/tenant_context'
import {
  ChatbotStatus,
  ConversationChannel,
  ConversationStatus,
  MessageRole,
  ProviderType,
} from '#enums/chatbots'
import { auditQuery } from '#tests/helpers/audit'
import { addMember, createOrganization } from '#tests/helpers/identity'
import { decodeHtml } from '#tests/helpers/html'

function seedChatbot(organization: Organization, name = 'Support bot') {
  return TenantContext.run(organization.id, () =>
    Chatbot.create({
      name,
      status: ChatbotStatus.Active,
      providerType: ProviderType.Builtin,
      providerSettings: {},
      temperature: 0.3,
      maxReplyTokens: 256,
      allowedOrigins: [],
    })
  )
}

type Seed = {
  minutesAgo?: number
  status?: ConversationStatus
  name?: string
  messages?: Array<[MessageRole, string]>
  assignedUserId?: number | null
}

/** A conversation last active `minutesAgo` minutes ago, with its messages in order. */
function seedConversation(organization: Organization, chatbot: Chatbot, seed: Seed = {}) {
  return TenantContext.run(organization.id, async () => {
    const at = DateTime.now().minus({ minutes: seed.minutesAgo ?? 0 })
    const contact = await Contact.create({
      name: seed.name ?? null,
      metadata: { plan: 'pro' },
      firstSeenAt: at,
      lastSeenAt: at,
    })
    const conversation = await Conversation.create({
      chatbotId: chatbot.id,
      contactId: contact.id,
      channel: 'widget' as Conversation['channel'],
      status: seed.status ?? ConversationStatus.Open,
      assignedUserId: seed.assignedUserId ?? null,
      lastMessageAt: at,
    })
    for (const [role, content] of seed.messages ?? []) {
      await Message.create({
        conversationId: conversation.id,
        role,
        content,
        status: 'delivered' as Message['status'],
      })
      // What the services record with each message they add (notes do not count).
      if (role !== MessageRole.System) conversation.lastMessageRole = role
    }
    await conversation.save()
    return conversation
  })
}

function as(request: any, user: User, organization: Organization) {
  return request.loginAs(user).withSession({ organization_id: organization.id }).redirects(0)
}

async function setup() {
  const { organization, owner } = await createOrganization('Inbox Org')
  const chatbot = await seedChatbot(organization)
  const agent = await addMember(organization, 'agent')
  const viewer = await addMember(organization, 'viewer')
  return { organization, owner, chatbot, agent, viewer }
}

const auditOf = (conversation: Conversation, action: string) =>
  auditQuery()
    .where('action', action)
    .where('subject_type', 'conversation')
    .where('subject_id', String(conversation.id))

/** Conversation ids linked from the inbox list, in page order. */
const listedIds = (html: string) =>
  [...html.matchAll(/data-conversation-id="(\d+)"/g)].map((match) => Number(match[1]))

test.group('Console: inbox', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('lists conversations with contact, chatbot, preview and status; empty state', async ({
    client,
    assert,
  }) => {
    const { organization, agent, chatbot } = await setup()
    const empty = await as(client.get('/conversations'), agent, organization)
    empty.assertStatus(200)
    assert.include(empty.text(), 'No conversations')

    const older = await seedConversation(organization, chatbot, {
      minutesAgo: 30,
      name: 'Ada Lovelace',
      messages: [[MessageRole.User, 'Where is my order?']],
    })
    const newer = await seedConversation(organization, chatbot, {
      minutesAgo: 5,
      name: 'Grace Hopper',
      status: ConversationStatus.Handoff,
      messages: [
        [MessageRole.User, 'First question'],
        [MessageRole.Assistant, 'The latest <b>answer</b>'],
      ],
    })
    const response = await as(client.get('/conversations'), agent, organization)
    response.assertStatus(200)
    const html = decodeHtml(response.text())
    assert.deepEqual(listedIds(response.text()), [newer.id, older.id].map(Number))
    assert.include(html, 'Ada Lovelace')
    assert.include(html, 'Grace Hopper')
    assert.include(html, 'Support bot')
    assert.include(html, 'Where is my order?')
    assert.include(html, 'The latest <b>answer</b>')
    assert.notInclude(response.text(), '<b>answer</b>')
    assert.notInclude(html, 'First question')
    assert.include(response.text(), 'data-status="handoff"')
    assert.include(
      response.text(),
      `data-live-channel="organizations/${organization.id}/conversations"`
    )
  })

  test('filters by chatbot, status, assignment and date, and pages by cursor', async ({
    client,
    assert,
  }) => {
    const { organization, agent, owner, chatbot } = await setup()
    const other = await seedChatbot(organization, 'Sales bot')
    const mine = await seedConversation(organization, chatbot, {
      minutesAgo: 1,
      status: ConversationStatus.Handoff,
      assignedUserId: agent.id,
    })
    const theirs = await seedConversation(organization, chatbot, {
      minutesAgo: 2,
      status: ConversationStatus.Handoff,
      assignedUserId: owner.id,
    })
    const sales = await seedConversation(organization, other, { minutesAgo: 3 })
    const old = await seedConversation(organization, chatbot, {
      minutesAgo: 60 * 24 * 10,
      status: ConversationStatus.Resolved,
    })
    const ids = async (url: string) => {
      const response = await as(client.get(url), agent, organization)
      response.assertStatus(200)
      return listedIds(response.text())
    }
    const id = (conversation: Conversation) => Number(conversation.id)
    assert.deepEqual(await ids(`/conversations?chatbot_id=${other.id}`), [id(sales)])
    assert.deepEqual(await ids('/conversations?status=handoff'), [id(mine), id(theirs)])
    assert.deepEqual(await ids('/conversations?assigned=me'), [id(mine)])
    assert.deepEqual(await ids('/conversations?assigned=unassigned'), [id(sales), id(old)])
    assert.deepEqual(await ids('/conversations?assigned=anyone&status=resolved'), [id(old)])
    const from = DateTime.now().minus({ days: 1 }).toISODate()
    assert.deepEqual(await ids(`/conversations?from=${from}`), [id(mine), id(theirs), id(sales)])
    const to = DateTime.now().minus({ days: 2 }).toISODate()
    assert.deepEqual(await ids(`/conversations?to=${to}`), [id(old)])

    const first = await as(client.get('/conversations?limit=2'), agent, organization)
    assert.deepEqual(listedIds(first.text()), [id(mine), id(theirs)])
    const next = decodeHtml(first.text()).match(/href="([^"]*cursor=[^"]+)"/)
    assert.exists(next, 'a link to the next page')
    assert.include(next![1], 'limit=2')
    const second = await as(client.get(next![1]), agent, organization)
    assert.deepEqual(listedIds(second.text()), [id(sales), id(old)])
    assert.notMatch(decodeHtml(second.text()), /href="[^"]*cursor=/)

    // The API takes the same assignment filter.
    const filtered = await TenantContext.run(organization.id, () =>
      ConversationService.list({ assigned: 'me' }, owner.id)
    )
    assert.isEmpty(filtered.rows.filter((row) => Number(row.id) !== id(theirs)))
  })

  test('shows a conversation: transcript, contact, notes set apart, older messages by `before`', async ({
    client,
    assert,
  }) => {
    const { organization, agent, chatbot } = await setup()
    const messages: Array<[MessageRole, string]> = []
    for (let index = 0; index < 55; index++) {
      messages.push([index % 2 ? MessageRole.Assistant : MessageRole.User, `line ${index}`])
    }
    const conversation = await seedConversation(organization, chatbot, {
      name: 'Ada Lovelace',
      messages,
    })
    await TenantContext.run(organization.id, () =>
      ConversationService.addNote(conversation.id, agent, 'VIP customer, be nice')
    )
    const response = await as(client.get(`/conversations/${conversation.id}`), agent, organization)
    response.assertStatus(200)
    const html = decodeHtml(response.text())
    assert.include(html, 'Ada Lovelace')
    assert.include(html, 'plan')
    assert.include(html, 'line 54')
    assert.notInclude(html, 'line 5<')
    assert.include(html, 'Internal note')
    assert.include(html, 'VIP customer, be nice')
    assert.include(response.text(), `data-live-channel="conversations/${conversation.id}"`)
    const older = html.match(/href="([^"]*before=(\d+))"/)
    assert.exists(older)
    const back = await as(client.get(older![1]), agent, organization)
    back.assertStatus(200)
    assert.include(decodeHtml(back.text()), 'line 0')
    assert.notInclude(back.text(), 'data-live-channel')

    const { organization: elsewhere, owner: stranger } = await createOrganization('Elsewhere')
    const hidden = await as(client.get(`/conversations/${conversation.id}`), stranger, elsewhere)
    hidden.assertStatus(404)
  })

  test('take over, reply, note, hand back and resolve, each audited', async ({
    client,
    assert,
  }) => {
    const { organization, agent, chatbot } = await setup()
    const conversation = await seedConversation(organization, chatbot, {
      messages: [[MessageRole.User, 'Hello?']],
    })
    const url = `/conversations/${conversation.id}`
    const post = (path: string, body: object) =>
      as(client.post(path).withCsrfToken(), agent, organization).form(body)

    const take = await post(`${url}/take-over`, {})
    take.assertStatus(302)
    take.assertHeader('location', url)
    await TenantContext.run(organization.id, () => conversation.refresh())
    assert.equal(conversation.status, ConversationStatus.Handoff)
    assert.equal(Number(conversation.assignedUserId), Number(agent.id))
    const assigned = await auditOf(conversation, 'conversation.assigned').firstOrFail()
    assert.equal(Number(assigned.actorUserId), Number(agent.id))

    const reply = await post(`${url}/messages`, { text: 'A human here, how can I help?' })
    reply.assertStatus(302)
    const agentMessage = await TenantContext.run(organization.id, () =>
      Message.query().where('conversation_id', conversation.id).where('role', 'agent').firstOrFail()
    )
    assert.equal(agentMessage.content, 'A human here, how can I help?')
    assert.equal(Number(agentMessage.authorUserId), Number(agent.id))
    assert.exists(await auditOf(conversation, 'conversation.agent_replied').first())

    const note = await post(`${url}/notes`, { text: 'Refund approved by finance' })
    note.assertStatus(302)
    const stored = await TenantContext.run(organization.id, () =>
      Message.query()
        .where('conversation_id', conversation.id)
        .where('role', 'system')
        .firstOrFail()
    )
    assert.equal(stored.content, 'Refund approved by finance')
    assert.equal(Number(stored.authorUserId), Number(agent.id))
    assert.exists(await auditOf(conversation, 'conversation.note_added').first())

    // A refused reply goes back to the conversation with the reason.
    const empty = await as(
      client.post(`${url}/messages`).withCsrfToken().header('referer', url),
      agent,
      organization
    ).form({ text: '  ' })
    empty.assertStatus(302)
    empty.assertHeader('location', url)

    const handBack = await as(client.patch(url).withCsrfToken(), agent, organization).form({
      status: 'open',
    })
    handBack.assertStatus(302)
    await TenantContext.run(organization.id, () => conversation.refresh())
    assert.equal(conversation.status, ConversationStatus.Open)
    const resolve = await as(client.patch(url).withCsrfToken(), agent, organization).form({
      status: 'resolved',
    })
    resolve.assertStatus(302)
    await TenantContext.run(organization.id, () => conversation.refresh())
    assert.equal(conversation.status, ConversationStatus.Resolved)
    const changes = await auditOf(conversation, 'conversation.status_changed').orderBy('id')
    assert.deepEqual(
      changes.map((row) => (row.changes as any).after.status),
      ['open', 'resolved']
    )

    const page = await as(client.get(url), agent, organization)
    const html = decodeHtml(page.text())
    assert.include(html, 'Refund approved by finance')
    assert.include(html, 'Take over')
  })

  test('a viewer reads the inbox but sees no reply box nor actions, and posts get 403', async ({
    client,
    assert,
  }) => {
    const { organization, viewer, agent, chatbot } = await setup()
    const conversation = await seedConversation(organization, chatbot, {
      messages: [[MessageRole.User, 'Anyone there?']],
    })
    const url = `/conversations/${conversation.id}`
    const list = await as(client.get('/conversations'), viewer, organization)
    list.assertStatus(200)
    const page = await as(client.get(url), viewer, organization)
    page.assertStatus(200)
    assert.include(decodeHtml(page.text()), 'Anyone there?')
    assert.notInclude(page.text(), 'name="text"')
    assert.notInclude(page.text(), 'Take over')
    assert.notInclude(page.text(), 'Resolve')
    assert.notInclude(page.text(), 'Hand back')

    const agentPage = await as(client.get(url), agent, organization)
    assert.include(agentPage.text(), 'name="text"')
    assert.include(agentPage.text(), 'Take over')

    for (const [method, path, body] of [
      ['post', `${url}/messages`, { text: 'Sneaky reply' }],
      ['post', `${url}/notes`, { text: 'Sneaky note' }],
      ['post', `${url}/take-over`, {}],
      ['patch', url, { status: 'resolved' }],
    ] as const) {
      const response = await as(client[method](path).withCsrfToken(), viewer, organization).form(
        body
      )
      response.assertStatus(403)
    }
    await TenantContext.run(organization.id, () => conversation.refresh())
    assert.equal(conversation.status, ConversationStatus.Open)
    assert.isNull(conversation.assignedUserId)
    const count = await TenantContext.run(organization.id, () =>
      Message.query().where('conversation_id', conversation.id).count('* as n')
    )
    assert.equal(Number(count[0].$extras.n), 1)
  })

  test('notes never reach the public API', async ({ client, assert }) => {
    const { organization, agent, chatbot } = await setup()
    const start = await client.post(`/api/v1/public/chatbots/${chatbot.publicKey}/conversations`)
    start.assertStatus(201)
    const { conversation_id: id, visitor_token: token } = start.body().data
    const note = await as(
      client.post(`/conversations/${id}/notes`).withCsrfToken(),
      agent,
      organization
    ).form({ text: 'Secret internal remark' })
    note.assertStatus(302)
    const reply = await as(
      client.post(`/conversations/${id}/messages`).withCsrfToken(),
      agent,
      organization
    ).form({ text: 'Visible answer' })
    reply.assertStatus(302)

    const messages = await client
      .get(`/api/v1/public/conversations/${id}/messages`)
      .header('X-Visitor-Token', token)
    messages.assertStatus(200)
    assert.notInclude(JSON.stringify(messages.body()), 'Secret internal remark')
    assert.include(JSON.stringify(messages.body()), 'Visible answer')
  })

  test('the sidebar counts conversations awaiting a human', async ({ client, assert }) => {
    const { organization, agent, chatbot } = await setup()
    // Awaiting: taken over, the customer spoke last (a note does not answer).
    await seedConversation(organization, chatbot, {
      status: ConversationStatus.Handoff,
      messages: [[MessageRole.User, 'Help']],
    })
    await seedConversation(organization, chatbot, {
      status: ConversationStatus.Handoff,
      messages: [
        [MessageRole.User, 'Help'],
        [MessageRole.System, 'Looking into it'],
      ],
    })
    // Not awaiting: answered by an agent, with the bot, or resolved.
    await seedConversation(organization, chatbot, {
      status: ConversationStatus.Handoff,
      messages: [
        [MessageRole.User, 'Help'],
        [MessageRole.Agent, 'On it'],
      ],
    })
    await seedConversation(organization, chatbot, { messages: [[MessageRole.User, 'Help']] })
    await seedConversation(organization, chatbot, {
      status: ConversationStatus.Resolved,
      messages: [[MessageRole.User, 'Thanks']],
    })
    const elsewhere = (await createOrganization('Other')).organization
    await seedConversation(elsewhere, await seedChatbot(elsewhere), {
      status: ConversationStatus.Handoff,
      messages: [[MessageRole.User, 'Help']],
    })

    assert.equal(
      await TenantContext.run(organization.id, () => ConversationService.awaitingCount()),
      2
    )
    const response = await as(client.get('/'), agent, organization)
    response.assertStatus(200)
    assert.match(response.text(), /data-nav-badge="inbox">2</)
    assert.include(response.text(), 'href="/conversations"')

    // Through the services: an agent's reply answers one; the customer writing again reopens it.
    const count = () =>
      TenantContext.run(organization.id, () => ConversationService.awaitingCount())
    const waiting = await seedConversation(organization, chatbot, {
      status: ConversationStatus.Handoff,
      messages: [[MessageRole.User, 'Still there?']],
    })
    assert.equal(await count(), 3)
    await TenantContext.run(organization.id, () =>
      ConversationService.postAgentMessage(waiting.id, agent, 'Yes, looking now')
    )
    assert.equal(await count(), 2)
    await TenantContext.run(organization.id, () =>
      ChatPipeline.ingest({
        chatbot,
        text: 'Thanks, and one more thing',
        channel: ConversationChannel.Widget,
        conversationId: waiting.id,
      })
    )
    assert.equal(await count(), 3)
  })
})
