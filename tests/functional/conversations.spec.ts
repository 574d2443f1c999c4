import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import Chatbot from '#models/chatbot'
import Contact from '#models/contact'
import Conversation from '#models/conversation'
import Message from '#models/message'
import type Organization from '#models/organization'
import { TenantContext } from '#support/tenant_context'
import { ChatbotStatus, ProviderType } from '#enums/chatbots'
import { auditQuery } from '#tests/helpers/audit'
import { addMember, createOrganization, tokenFor } from '#tests/helpers/identity'
import { openEventStream } from '#tests/helpers/sse'

function seedChatbot(organization: Organization, status = ChatbotStatus.Active) {
  return TenantContext.run(organization.id, () =>
    Chatbot.create({
      name: 'Support bot',
      status,
      providerType: ProviderType.Builtin,
      providerSettings: {},
      temperature: 0.3,
      maxReplyTokens: 512,
      allowedOrigins: [],
    })
  )
}

/**
 * A conversation with `count` messages, last active `minutesAgo` minutes ago.
 */
function seedConversation(
  organization: Organization,
  chatbot: Chatbot,
  options: { minutesAgo?: number; status?: string; count?: number; externalId?: string } = {}
) {
  return TenantContext.run(organization.id, async () => {
    const at = DateTime.now().minus({ minutes: options.minutesAgo ?? 0 })
    const contact = await Contact.create({
      externalId: options.externalId ?? null,
      metadata: {},
      firstSeenAt: at,
      lastSeenAt: at,
    })
    const conversation = await Conversation.create({
      chatbotId: chatbot.id,
      contactId: contact.id,
      channel: 'api' as Conversation['channel'],
      status: (options.status ?? 'open') as Conversation['status'],
      lastMessageAt: at,
    })
    for (let index = 0; index < (options.count ?? 0); index++) {
      await Message.create({
        conversationId: conversation.id,
        role: (index % 2 ? 'assistant' : 'user') as Message['role'],
        content: `message ${index}`,
        status: 'delivered' as Message['status'],
      })
    }
    return conversation
  })
}

async function ownerSetup() {
  const { organization, owner } = await createOrganization()
  const chatbot = await seedChatbot(organization)
  const token = await tokenFor(owner, organization)
  return { organization, owner, chatbot, token }
}

const countMessages = async () => Number((await db.from('messages').count('* as n'))[0].n)
const countConversations = async () => Number((await db.from('conversations').count('* as n'))[0].n)

test.group('Conversations API', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('lists conversations, most recently active first, keyset-paginated', async ({
    client,
    assert,
  }) => {
    const { organization, chatbot, token } = await ownerSetup()
    const seeded = []
    for (let index = 0; index < 5; index++) {
      seeded.push(await seedConversation(organization, chatbot, { minutesAgo: index * 10 }))
    }

    const first = await client.get('/api/v1/conversations?limit=2').bearerToken(token)
    first.assertStatus(200)
    assert.deepEqual(
      first.body().data.map((row: { id: number }) => row.id),
      [seeded[0].id, seeded[1].id]
    )
    const cursor = first.body().meta.next_cursor
    assert.isString(cursor)

    const second = await client
      .get(`/api/v1/conversations?limit=2&cursor=${cursor}`)
      .bearerToken(token)
    assert.deepEqual(
      second.body().data.map((row: { id: number }) => row.id),
      [seeded[2].id, seeded[3].id]
    )
    const last = await client
      .get(`/api/v1/conversations?limit=2&cursor=${second.body().meta.next_cursor}`)
      .bearerToken(token)
    assert.deepEqual(
      last.body().data.map((row: { id: number }) => row.id),
      [seeded[4].id]
    )
    assert.isNull(last.body().meta.next_cursor)

    const bad = await client.get('/api/v1/conversations?cursor=nonsense').bearerToken(token)
    bad.assertStatus(422)
  })

  test('filters by chatbot, status, contact and last activity', async ({ client, assert }) => {
    const { organization, chatbot, token } = await ownerSetup()
    const other = await seedChatbot(organization)
    const open = await seedConversation(organization, chatbot, { externalId: 'ann' })
    const resolved = await seedConversation(organization, chatbot, {
      status: 'resolved',
      minutesAgo: 60 * 48,
    })
    const elsewhere = await seedConversation(organization, other)

    const ids = async (query: string) =>
      (await client.get(`/api/v1/conversations?${query}`).bearerToken(token))
        .body()
        .data.map((row: { id: number }) => row.id)

    assert.sameMembers(await ids(`chatbot_id=${chatbot.id}`), [open.id, resolved.id])
    assert.sameMembers(await ids('status=resolved'), [resolved.id])
    assert.sameMembers(await ids(`contact_id=${open.contactId}`), [open.id])
    const yesterday = DateTime.now().minus({ days: 1 }).toISODate()
    assert.sameMembers(await ids(`from=${yesterday}`), [open.id, elsewhere.id])
    assert.sameMembers(await ids(`to=${yesterday}`), [resolved.id])

    const invalid = await client.get('/api/v1/conversations?status=lost').bearerToken(token)
    invalid.assertStatus(422)
  })

  test('shows a conversation with its messages, paged by id', async ({ client, assert }) => {
    const { organization, chatbot, token } = await ownerSetup()
    const conversation = await seedConversation(organization, chatbot, { count: 7 })

    const latest = await client
      .get(`/api/v1/conversations/${conversation.id}?limit=3`)
      .bearerToken(token)
    latest.assertStatus(200)
    const contents = (response: typeof latest) =>
      response.body().data.messages.map((m: { content: string }) => m.content)
    assert.deepEqual(contents(latest), ['message 4', 'message 5', 'message 6'])
    assert.isTrue(latest.body().meta.has_more)
    assert.equal(latest.body().data.contact.id, conversation.contactId)

    const older = await client
      .get(`/api/v1/conversations/${conversation.id}?limit=3&before=${latest.body().meta.first_id}`)
      .bearerToken(token)
    assert.deepEqual(contents(older), ['message 1', 'message 2', 'message 3'])

    const newer = await client
      .get(`/api/v1/conversations/${conversation.id}?after=${older.body().meta.last_id}`)
      .bearerToken(token)
    assert.deepEqual(contents(newer), ['message 4', 'message 5', 'message 6'])
    assert.isFalse(newer.body().meta.has_more)
  })

  test('another organization’s conversation is a 404', async ({ client }) => {
    const { organization, chatbot } = await ownerSetup()
    const conversation = await seedConversation(organization, chatbot)
    const { token } = await ownerSetup()
    const response = await client.get(`/api/v1/conversations/${conversation.id}`).bearerToken(token)
    response.assertStatus(404)
  })

  test('an agent reply takes the conversation over and is audited', async ({ client, assert }) => {
    const { organization, chatbot } = await ownerSetup()
    const agent = await addMember(organization, 'agent')
    const token = await tokenFor(agent, organization)
    const conversation = await seedConversation(organization, chatbot)

    const response = await client
      .post(`/api/v1/conversations/${conversation.id}/messages`)
      .bearerToken(token)
      .json({ text: 'Hello, this is a human.' })
    response.assertStatus(201)
    assert.containsSubset(response.body().data, {
      role: 'agent',
      status: 'delivered',
      author_user_id: agent.id,
    })
    await TenantContext.run(organization.id, () => conversation.refresh())
    assert.equal(conversation.status, 'handoff')

    const [audit] = await auditQuery()
      .where('action', 'conversation.agent_replied')
      .where('organization_id', organization.id)
    assert.equal(audit.actorUserId, agent.id)
    assert.notInclude(JSON.stringify(audit.changes), 'Hello, this is a human.')
  })

  test('status changes are audited; bad statuses refused', async ({ client, assert }) => {
    const { organization, chatbot, token } = await ownerSetup()
    const conversation = await seedConversation(organization, chatbot)

    const response = await client
      .patch(`/api/v1/conversations/${conversation.id}`)
      .bearerToken(token)
      .json({ status: 'resolved' })
    response.assertStatus(200)
    assert.equal(response.body().data.status, 'resolved')
    const [audit] = await auditQuery()
      .where('action', 'conversation.status_changed')
      .where('organization_id', organization.id)
    assert.deepEqual(audit.changes, {
      before: { status: 'open' },
      after: { status: 'resolved' },
    })

    const bad = await client
      .patch(`/api/v1/conversations/${conversation.id}`)
      .bearerToken(token)
      .json({ status: 'deleted' })
    bad.assertStatus(422)
  })

  test('a viewer reads conversations but cannot reply', async ({ client, assert }) => {
    const { organization, chatbot } = await ownerSetup()
    const viewer = await addMember(organization, 'viewer')
    const token = await tokenFor(viewer, organization)
    const conversation = await seedConversation(organization, chatbot)

    const read = await client.get(`/api/v1/conversations/${conversation.id}`).bearerToken(token)
    read.assertStatus(200)
    const before = await countMessages()
    const reply = await client
      .post(`/api/v1/conversations/${conversation.id}/messages`)
      .bearerToken(token)
      .json({ text: 'Sneaky' })
    reply.assertStatus(403)
    assert.equal(await countMessages(), before)
  })
})

test.group('Chatbot messages API: refusals leave nothing behind', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('bad input is a 422 and stores nothing', async ({ client, assert }) => {
    const { chatbot, token } = await ownerSetup()
    const before = await countMessages()
    const conversationsBefore = await countConversations()
    const url = `/api/v1/chatbots/${chatbot.id}/messages`
    for (const body of [
      {},
      { text: '   ' },
      { text: 'x'.repeat(4001) },
      { text: 'hi', contact: { email: 'not-an-email' } },
      { text: 'hi', conversation_id: 'abc' },
      { text: 'hi', wait_timeout_ms: 999_999 },
    ]) {
      const response = await client.post(url).bearerToken(token).json(body)
      response.assertStatus(422)
      assert.equal(response.body().error_code, 'VALIDATION_ERROR')
    }
    assert.equal(await countMessages(), before)
    assert.equal(await countConversations(), conversationsBefore)
  })

  test('a paused chatbot refuses with 409; a conversation of another chatbot is a 404', async ({
    client,
    assert,
  }) => {
    const { organization, chatbot, token } = await ownerSetup()
    const paused = await seedChatbot(organization, ChatbotStatus.Paused)
    const before = await countMessages()
    const refused = await client
      .post(`/api/v1/chatbots/${paused.id}/messages`)
      .bearerToken(token)
      .json({ text: 'Hello?' })
    refused.assertStatus(409)
    assert.equal(refused.body().error_code, 'CHATBOT_PAUSED')

    const otherBot = await seedChatbot(organization)
    const conversation = await seedConversation(organization, otherBot)
    const wrong = await client
      .post(`/api/v1/chatbots/${chatbot.id}/messages`)
      .bearerToken(token)
      .json({ text: 'Hello?', conversation_id: conversation.id })
    wrong.assertStatus(404)
    assert.equal(await countMessages(), before)
  })

  test('messages from the same external id reach the same contact', async ({ client, assert }) => {
    const { chatbot, token } = await ownerSetup()
    const send = (text: string) =>
      client
        .post(`/api/v1/chatbots/${chatbot.id}/messages`)
        .bearerToken(token)
        .json({ text, contact: { external_id: 'crm-42', name: 'Ann', metadata: { plan: 'pro' } } })
    const first = await send('one')
    const second = await send('two')
    first.assertStatus(202)
    assert.equal(first.body().data.contact.id, second.body().data.contact.id)
    assert.deepEqual(second.body().data.contact.metadata, { plan: 'pro' })
    assert.notEqual(first.body().data.conversation.id, second.body().data.conversation.id)

    // The external id alone, as a string, reaches the same contact.
    const short = await client
      .post(`/api/v1/chatbots/${chatbot.id}/messages`)
      .bearerToken(token)
      .json({ text: 'three', contact: 'crm-42' })
    short.assertStatus(202)
    assert.equal(short.body().data.contact.id, first.body().data.contact.id)
    const bad = await client
      .post(`/api/v1/chatbots/${chatbot.id}/messages`)
      .bearerToken(token)
      .json({ text: 'four', contact: 42 })
    bad.assertStatus(422)
  })
})

test.group('Real-time channels: who may subscribe', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  // Transmit refuses a subscription with 400.
  test('members with conversations.view only, and only their organization’s', async ({
    assert,
    cleanup,
  }) => {
    const { organization, chatbot, token } = await ownerSetup()
    const conversation = await seedConversation(organization, chatbot)
    const outsider = await ownerSetup()
    const narrow = await tokenFor((await addMember(organization, 'admin')) as any, organization, {
      abilities: ['members.view'],
    })
    const stream = await openEventStream()
    cleanup(() => stream.close())
    assert.equal(stream.status, 200)

    const as = (value: string) => ({ Authorization: `Bearer ${value}` })
    assert.equal(await stream.subscribe(`conversations/${conversation.id}`, as(token)), 204)
    assert.equal(
      await stream.subscribe(`organizations/${organization.id}/conversations`, as(token)),
      204
    )
    assert.equal(
      await stream.subscribe(`conversations/${conversation.id}`, as(outsider.token)),
      400
    )
    assert.equal(
      await stream.subscribe(`organizations/${organization.id}/conversations`, as(outsider.token)),
      400
    )
    assert.equal(await stream.subscribe(`conversations/${conversation.id}`, as(narrow)), 400)
    assert.equal(await stream.subscribe(`conversations/${conversation.id}`), 400)
    assert.equal(
      await stream.subscribe(`visitors/conversations/${conversation.id}`, as(token)),
      400
    )
  })
})
