import { setTimeout } from 'node:timers/promises'
import { test } from '@japa/runner'
import type { ApiClient } from '@japa/api-client'
import db from '@adonisjs/lucid/services/db'
import limiter from '@adonisjs/limiter/services/main'
import testUtils from '@adonisjs/core/services/test_utils'
import { DateTime } from 'luxon'
import Chatbot from '#models/chatbot'
import Contact from '#models/contact'
import Message from '#models/message'
import KnowledgeSource from '#models/knowledge_source'
import type Organization from '#models/organization'
import KnowledgeService from '#services/knowledge_service'
import { VisitorTokens } from '#services/conversation_service'
import { MAX_MESSAGE_LENGTH } from '#validators/conversation'
import { PUBLIC_CHAT_LIMITS, consumePublicChatLimit } from '#start/limiter'
import { TenantContext } from '#support/tenant_context'
import { WorkerPool } from '#support/job_runner'
import {
  ChatbotStatus,
  KnowledgeSourceStatus,
  KnowledgeSourceType,
  MessageRole,
  MessageStatus,
  ProviderType,
} from '#enums/chatbots'
import { createOrganization } from '#tests/helpers/identity'
import { openEventStream, serverUrl } from '#tests/helpers/sse'
import { waitFor } from '#tests/helpers/wait_for'
import { emptyQueue } from '#tests/helpers/queues'

const SHOP = 'https://shop.example.com'
const ELSEWHERE = 'https://evil.example.net'
const WELCOME = 'Hi! Ask me about orders and payments.'
const PUBLIC_FIELDS = ['content', 'created_at', 'id', 'reply_to_id', 'role', 'status']

type BotFields = Partial<
  Pick<Chatbot, 'status' | 'welcomeMessage' | 'allowedOrigins' | 'providerType'>
>

/**
 * An organization with an active builtin chatbot that allows SHOP.
 */
async function createChatbot(fields: BotFields = {}, organization?: Organization) {
  const org = organization ?? (await createOrganization()).organization
  const chatbot = await TenantContext.run(org.id, () =>
    Chatbot.create({
      name: 'Shop helper',
      status: ChatbotStatus.Active,
      providerType: ProviderType.Builtin,
      providerSettings: {},
      welcomeMessage: WELCOME,
      temperature: 0.3,
      maxReplyTokens: 256,
      allowedOrigins: [SHOP],
      ...fields,
    })
  )
  return { organization: org, chatbot }
}

const startUrl = (chatbot: Chatbot) => `/api/v1/public/chatbots/${chatbot.publicKey}/conversations`
const messagesUrl = (conversationId: number) =>
  `/api/v1/public/conversations/${conversationId}/messages`

/**
 * Starts a conversation through the API: its id and visitor token.
 */
async function startConversation(client: ApiClient, chatbot: Chatbot, body: object = {}) {
  const response = await client.post(startUrl(chatbot)).json(body)
  response.assertStatus(201)
  const data = response.body().data
  return { id: data.conversation_id as number, token: data.visitor_token as string }
}

/** Messages of a conversation, read as platform code. */
function storedMessages(conversationId: number) {
  return db.from('messages').where('conversation_id', conversationId).orderBy('id')
}

async function countRows(table: 'conversations' | 'messages' | 'contacts') {
  const [{ total }] = await db.from(table).count('* as total')
  return Number(total)
}

async function snapshotCounts() {
  return [
    await countRows('conversations'),
    await countRows('messages'),
    await countRows('contacts'),
  ]
}

test.group('Public chat API', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => limiter.clear(['memory']))

  test('starts a conversation: a visitor token shown once, its hash stored, the welcome message first', async ({
    client,
    assert,
  }) => {
    const { chatbot } = await createChatbot()

    const response = await client.post(startUrl(chatbot)).json({
      contact: { name: 'Grace', email: 'grace@example.com', metadata: { page: '/checkout' } },
    })

    response.assertStatus(201)
    const data = response.body().data
    assert.deepEqual(Object.keys(data).sort(), [
      'chatbot',
      'conversation_id',
      'status',
      'visitor_token',
    ])
    assert.deepEqual(data.chatbot, { name: 'Shop helper', welcome_message: WELCOME })
    assert.equal(data.status, 'open')
    assert.match(data.visitor_token, /^vt_[A-Za-z0-9_-]{43}$/)

    const row = await db.from('conversations').where('id', data.conversation_id).firstOrFail()
    assert.equal(row.channel, 'widget')
    assert.equal(Number(row.chatbot_id), chatbot.id)
    assert.equal(row.visitor_token_hash, VisitorTokens.hash(data.visitor_token))
    assert.notInclude(JSON.stringify(row), data.visitor_token)
    assert.isNotNull(row.last_message_at)
    const contact = await db.from('contacts').where('id', row.contact_id).firstOrFail()
    assert.equal(contact.name, 'Grace')
    assert.equal(contact.email, 'grace@example.com')

    const messages = await storedMessages(data.conversation_id)
    assert.lengthOf(messages, 1)
    assert.include(messages[0], { role: 'assistant', content: WELCOME, status: 'delivered' })
  })

  test('a chatbot without a welcome message starts with an empty transcript', async ({
    client,
    assert,
  }) => {
    const { chatbot } = await createChatbot({ welcomeMessage: null })

    const { id } = await startConversation(client, chatbot)

    assert.lengthOf(await storedMessages(id), 0)
  })

  test('a visitor never joins or rewrites a contact the organization knows by external_id', async ({
    client,
    assert,
  }) => {
    const { organization, chatbot } = await createChatbot()
    const known = await TenantContext.run(organization.id, () =>
      Contact.create({
        externalId: 'cust-42',
        name: 'Ada Lovelace',
        email: 'ada@example.com',
        metadata: {},
        firstSeenAt: DateTime.now(),
        lastSeenAt: DateTime.now(),
      })
    )

    const { id } = await startConversation(client, chatbot, {
      contact: { external_id: 'cust-42', name: 'Mallory', email: 'mallory@example.com' },
    })

    const conversation = await db.from('conversations').where('id', id).firstOrFail()
    assert.notEqual(Number(conversation.contact_id), known.id)
    const visitor = await db.from('contacts').where('id', conversation.contact_id).firstOrFail()
    assert.include(visitor, { name: 'Mallory', external_id: null })
    const kept = await db.from('contacts').where('id', known.id).firstOrFail()
    assert.include(kept, { name: 'Ada Lovelace', email: 'ada@example.com' })
  })

  test('unknown, deleted and draft chatbots are 404; a paused one refuses with 409', async ({
    client,
    assert,
  }) => {
    const { chatbot: draft } = await createChatbot({ status: ChatbotStatus.Draft })
    const { chatbot: paused } = await createChatbot({ status: ChatbotStatus.Paused })
    const { organization, chatbot: deleted } = await createChatbot()
    await TenantContext.run(organization.id, () => deleted.delete())
    const before = await snapshotCounts()

    for (const url of [
      '/api/v1/public/chatbots/pk_doesnotexist0000000000/conversations',
      `/api/v1/public/chatbots/${draft.id}/conversations`,
      startUrl(draft),
      startUrl(deleted),
    ]) {
      const response = await client.post(url).json({})
      assert.equal(response.status(), 404, `${url}: ${response.text()}`)
      assert.equal(response.body().error_code, 'NOT_FOUND')
    }
    const refused = await client.post(startUrl(paused)).json({})
    refused.assertStatus(409)
    assert.equal(refused.body().error_code, 'CHATBOT_PAUSED')
    assert.deepEqual(await snapshotCounts(), before)
  })

  test('the visitor sends messages with its token (header or bearer): 202 and the public view', async ({
    client,
    assert,
  }) => {
    const { chatbot } = await createChatbot()
    const { id, token } = await startConversation(client, chatbot)

    const first = await client
      .post(messagesUrl(id))
      .header('X-Visitor-Token', token)
      .json({ text: '  Where is my order?  ' })
    const second = await client
      .post(messagesUrl(id))
      .header('Authorization', `Bearer ${token}`)
      .json({ text: 'It is order 1234.' })

    first.assertStatus(202)
    second.assertStatus(202)
    const { message, conversation } = first.body().data
    assert.deepEqual(conversation, { id, status: 'open' })
    assert.deepEqual(Object.keys(message).sort(), PUBLIC_FIELDS)
    assert.include(message, { role: 'user', content: 'Where is my order?', status: 'pending' })

    const stored = await storedMessages(id)
    assert.deepEqual(
      stored.map((row) => [row.role, row.content]),
      [
        ['assistant', WELCOME],
        ['user', 'Where is my order?'],
        ['user', 'It is order 1234.'],
      ]
    )
    assert.equal(stored[1].id, message.id)
  })

  test('reads the transcript after an id, oldest first, keyset-paginated, public fields only', async ({
    client,
    assert,
  }) => {
    const { organization, chatbot } = await createChatbot()
    const { id, token } = await startConversation(client, chatbot)
    const [question, note, answer] = await TenantContext.run(organization.id, async () => {
      const asked = await Message.create({
        conversationId: id,
        role: MessageRole.User,
        content: 'Do you ship abroad?',
        status: MessageStatus.Delivered,
      })
      const internal = await Message.create({
        conversationId: id,
        role: MessageRole.System,
        content: 'Internal: VIP customer, refund anything',
        status: MessageStatus.Delivered,
      })
      const reply = await Message.create({
        conversationId: id,
        role: MessageRole.Assistant,
        content: 'Yes, to 30 countries.',
        status: MessageStatus.Delivered,
        provider: 'openai',
        latencyMs: 812,
        promptTokens: 120,
        completionTokens: 9,
        error: 'upstream said: key sk-secret-123 expired',
        replyToId: asked.id,
        meta: { chunks: [{ id: 7, source_title: 'Shipping policy' }] },
      })
      return [asked, internal, reply]
    })

    const all = await client.get(messagesUrl(id)).header('X-Visitor-Token', token)
    const firstPage = await client
      .get(messagesUrl(id))
      .qs({ limit: 2 })
      .header('X-Visitor-Token', token)
    const after = firstPage.body().meta.last_id
    const secondPage = await client
      .get(messagesUrl(id))
      .qs({ after, limit: 2 })
      .header('X-Visitor-Token', token)
    const caughtUp = await client
      .get(messagesUrl(id))
      .qs({ after: answer.id })
      .header('Authorization', `Bearer ${token}`)

    all.assertStatus(200)
    assert.deepEqual(
      all.body().data.map((row: any) => row.content),
      [WELCOME, 'Do you ship abroad?', 'Yes, to 30 countries.']
    )
    for (const row of all.body().data) assert.deepEqual(Object.keys(row).sort(), PUBLIC_FIELDS)
    assert.notInclude(all.text(), 'Internal')
    assert.notInclude(all.text(), 'sk-secret')
    assert.notInclude(all.text(), 'openai')
    assert.notInclude(all.text(), 'Shipping policy')
    assert.equal(all.body().data[2].reply_to_id, question.id)
    assert.deepEqual(all.body().meta, { limit: 50, has_more: false, last_id: answer.id })

    assert.deepEqual(
      firstPage.body().data.map((row: any) => row.content),
      [WELCOME, 'Do you ship abroad?']
    )
    assert.deepEqual(firstPage.body().meta, { limit: 2, has_more: true, last_id: question.id })
    // The internal note is skipped, and the cursor moves past it.
    assert.deepEqual(
      secondPage.body().data.map((row: any) => row.id),
      [answer.id]
    )
    assert.isAbove(answer.id, note.id)
    assert.deepEqual(secondPage.body().meta, { limit: 2, has_more: false, last_id: answer.id })
    assert.deepEqual(caughtUp.body().data, [])
    assert.equal(caughtUp.body().meta.last_id, answer.id)
  })

  test("a missing token is 401; a wrong token or another conversation's token is 404, and nothing is written", async ({
    client,
    assert,
  }) => {
    const { chatbot } = await createChatbot()
    const { chatbot: otherBot } = await createChatbot()
    const a = await startConversation(client, chatbot)
    const b = await startConversation(client, otherBot)
    const before = await snapshotCounts()

    const missing = await client.post(messagesUrl(b.id)).json({ text: 'hello' })
    const notVisitorBearer = await client
      .get(messagesUrl(b.id))
      .header('Authorization', 'Bearer oat_not-a-visitor-token')
    missing.assertStatus(401)
    assert.equal(missing.body().error_code, 'UNAUTHENTICATED')
    notVisitorBearer.assertStatus(401)

    const attempts = [
      client.post(messagesUrl(b.id)).header('X-Visitor-Token', a.token).json({ text: 'hi' }),
      client.get(messagesUrl(b.id)).header('X-Visitor-Token', a.token),
      client.get(messagesUrl(b.id)).header('Authorization', `Bearer ${a.token}`),
      client.post(messagesUrl(b.id)).header('X-Visitor-Token', `${b.token}x`).json({ text: 'hi' }),
      client.get(messagesUrl(999_999_999)).header('X-Visitor-Token', a.token),
    ]
    for (const attempt of attempts) {
      const response = await attempt
      assert.equal(response.status(), 404, response.text())
      assert.equal(response.body().error_code, 'NOT_FOUND')
      assert.notInclude(response.text(), WELCOME)
    }
    assert.deepEqual(await snapshotCounts(), before)
  })

  test('paused chatbot: new messages are refused with 409, the transcript stays readable; deleted or draft: 404', async ({
    client,
    assert,
  }) => {
    const { organization, chatbot } = await createChatbot()
    const conversation = await startConversation(client, chatbot)
    const headers = { 'X-Visitor-Token': conversation.token }
    const setStatus = (status: ChatbotStatus) =>
      TenantContext.run(organization.id, () => chatbot.merge({ status }).save())

    await setStatus(ChatbotStatus.Paused)
    const paused = await client.post(messagesUrl(conversation.id)).headers(headers).json({
      text: 'Anyone there?',
    })
    const readPaused = await client.get(messagesUrl(conversation.id)).headers(headers)
    paused.assertStatus(409)
    assert.equal(paused.body().error_code, 'CHATBOT_PAUSED')
    readPaused.assertStatus(200)

    await setStatus(ChatbotStatus.Draft)
    const draftPost = await client.post(messagesUrl(conversation.id)).headers(headers).json({
      text: 'Anyone there?',
    })
    const draftRead = await client.get(messagesUrl(conversation.id)).headers(headers)
    draftPost.assertStatus(404)
    draftRead.assertStatus(404)

    await setStatus(ChatbotStatus.Active)
    await TenantContext.run(organization.id, () => chatbot.delete())
    const deletedPost = await client.post(messagesUrl(conversation.id)).headers(headers).json({
      text: 'Anyone there?',
    })
    const deletedRead = await client.get(messagesUrl(conversation.id)).headers(headers)
    deletedPost.assertStatus(404)
    deletedRead.assertStatus(404)

    assert.lengthOf(await storedMessages(conversation.id), 1)
  })

  test('a message that is empty or too long is 422 and nothing is stored', async ({
    client,
    assert,
  }) => {
    const { chatbot } = await createChatbot()
    const { id, token } = await startConversation(client, chatbot)

    const tooLong = await client
      .post(messagesUrl(id))
      .header('X-Visitor-Token', token)
      .json({ text: 'a'.repeat(MAX_MESSAGE_LENGTH + 1) })
    const empty = await client
      .post(messagesUrl(id))
      .header('X-Visitor-Token', token)
      .json({ text: '   ' })

    for (const response of [tooLong, empty]) {
      response.assertStatus(422)
      assert.equal(response.body().error_code, 'VALIDATION_ERROR')
      assert.equal(response.body().errors[0].field, 'text')
    }
    assert.lengthOf(await storedMessages(id), 1)
  })
})

test.group('Public chat API: CORS', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => limiter.clear(['memory']))

  test('an allowed origin gets its CORS headers, never credentials', async ({ client, assert }) => {
    const { chatbot } = await createChatbot({
      allowedOrigins: ['https://other.example.org', SHOP],
    })

    const started = await client.post(startUrl(chatbot)).header('Origin', SHOP).json({})
    const { conversation_id: id, visitor_token: token } = started.body().data
    const sent = await client
      .post(messagesUrl(id))
      .header('Origin', SHOP)
      .header('X-Visitor-Token', token)
      .json({ text: 'Hello' })
    const read = await client
      .get(messagesUrl(id))
      .header('Origin', SHOP)
      .header('X-Visitor-Token', token)
    // Errors are readable by the widget too.
    const invalid = await client
      .post(messagesUrl(id))
      .header('Origin', SHOP)
      .header('X-Visitor-Token', token)
      .json({})

    started.assertStatus(201)
    sent.assertStatus(202)
    read.assertStatus(200)
    invalid.assertStatus(422)
    for (const response of [started, sent, read, invalid]) {
      assert.equal(response.header('access-control-allow-origin'), SHOP)
      assert.include(response.header('vary') ?? '', 'Origin')
      assert.include(response.header('access-control-expose-headers') ?? '', 'Retry-After')
      assert.isUndefined(response.header('access-control-allow-credentials'))
    }
  })

  test('another origin is refused with 403 before anything is written', async ({
    client,
    assert,
  }) => {
    const { chatbot } = await createChatbot()
    const { chatbot: otherShopBot } = await createChatbot({ allowedOrigins: [ELSEWHERE] })
    const { id, token } = await startConversation(client, chatbot)
    const before = await snapshotCounts()

    const attempts = [
      client.post(startUrl(chatbot)).header('Origin', ELSEWHERE).json({}),
      client
        .post(messagesUrl(id))
        .header('Origin', ELSEWHERE)
        .header('X-Visitor-Token', token)
        .json({ text: 'Hello' }),
      client.get(messagesUrl(id)).header('Origin', ELSEWHERE).header('X-Visitor-Token', token),
      // An origin allowed by another chatbot is not allowed here.
      client.post(startUrl(chatbot)).header('Origin', ELSEWHERE).json({}),
      client.post(startUrl(otherShopBot)).header('Origin', SHOP).json({}),
      // Same host, other scheme or port: another origin.
      client.post(startUrl(chatbot)).header('Origin', 'http://shop.example.com').json({}),
      client.post(startUrl(chatbot)).header('Origin', 'https://shop.example.com:8443').json({}),
      client.post(startUrl(chatbot)).header('Origin', 'null').json({}),
    ]
    for (const attempt of attempts) {
      const response = await attempt
      assert.equal(response.status(), 403, response.text())
      assert.equal(response.body().error_code, 'ORIGIN_NOT_ALLOWED')
      assert.isString(response.body().request_id)
      assert.isUndefined(response.header('access-control-allow-origin'))
    }
    assert.deepEqual(await snapshotCounts(), before)
  })

  test('preflight: 204 with methods and headers for an allowed origin, 403 otherwise', async ({
    client,
    assert,
  }) => {
    const { chatbot } = await createChatbot()
    const { id } = await startConversation(client, chatbot)
    const preflight = (url: string, origin: string) =>
      client
        .request(url, 'OPTIONS')
        .header('Origin', origin)
        .header('Access-Control-Request-Method', 'POST')
        .header('Access-Control-Request-Headers', 'content-type, x-visitor-token')

    for (const url of [startUrl(chatbot), messagesUrl(id)]) {
      const allowed = await preflight(url, SHOP)
      allowed.assertStatus(204)
      assert.equal(allowed.header('access-control-allow-origin'), SHOP)
      assert.include(allowed.header('access-control-allow-methods') ?? '', 'POST')
      assert.include(allowed.header('access-control-allow-methods') ?? '', 'GET')
      for (const name of ['Content-Type', 'X-Visitor-Token', 'Authorization']) {
        assert.include(allowed.header('access-control-allow-headers') ?? '', name)
      }
      assert.include(allowed.header('vary') ?? '', 'Origin')
      assert.isUndefined(allowed.header('access-control-allow-credentials'))

      const refused = await preflight(url, ELSEWHERE)
      refused.assertStatus(403)
      assert.equal(refused.body().error_code, 'ORIGIN_NOT_ALLOWED')
      assert.isUndefined(refused.header('access-control-allow-origin'))
    }
    // Unknown chatbots and conversations: as for an origin not allowed.
    const unknown = await preflight(messagesUrl(999_999_999), SHOP)
    unknown.assertStatus(403)
  })

  test("requests without Origin pass; Parley's own origin is allowed even when no origin is listed", async ({
    client,
    assert,
  }) => {
    const { chatbot } = await createChatbot({ allowedOrigins: [] })

    const serverToServer = await client.post(startUrl(chatbot)).json({})
    const fromAppUrl = await client
      .post(startUrl(chatbot))
      .header('Origin', 'http://localhost:3333')
      .json({})
    const sameOrigin = await client.post(startUrl(chatbot)).header('Origin', serverUrl()).json({})
    const fromShop = await client.post(startUrl(chatbot)).header('Origin', SHOP).json({})

    serverToServer.assertStatus(201)
    assert.isUndefined(serverToServer.header('access-control-allow-origin'))
    fromAppUrl.assertStatus(201)
    assert.equal(fromAppUrl.header('access-control-allow-origin'), 'http://localhost:3333')
    sameOrigin.assertStatus(201)
    fromShop.assertStatus(403)
  })

  test('the Transmit (SSE) routes answer preflight and allow any origin, without credentials', async ({
    client,
    assert,
  }) => {
    const { chatbot } = await createChatbot()
    const { id, token } = await startConversation(client, chatbot)

    for (const path of ['/__transmit/events', '/__transmit/subscribe', '/__transmit/unsubscribe']) {
      const preflight = await client
        .request(path, 'OPTIONS')
        .header('Origin', ELSEWHERE)
        .header('Access-Control-Request-Method', 'POST')
        .header('Access-Control-Request-Headers', 'content-type, x-visitor-token')
      preflight.assertStatus(204)
      assert.equal(preflight.header('access-control-allow-origin'), '*')
      assert.include(preflight.header('access-control-allow-headers') ?? '', 'X-Visitor-Token')
      assert.isUndefined(preflight.header('access-control-allow-credentials'))
    }

    const stream = await openEventStream()
    try {
      const subscribed = await fetch(`${serverUrl()}/__transmit/subscribe`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Origin': SHOP,
          'X-Visitor-Token': token,
        },
        body: JSON.stringify({ uid: stream.uid, channel: `visitors/conversations/${id}` }),
      })
      assert.equal(subscribed.status, 204)
      assert.equal(subscribed.headers.get('access-control-allow-origin'), '*')
    } finally {
      stream.close()
    }
  })
})

test.group('Public chat API: rate limits', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => limiter.clear(['memory']))

  test('starting conversations is limited per client ip: 429 with Retry-After', async ({
    client,
    assert,
  }) => {
    const { chatbot } = await createChatbot()
    for (let i = 0; i < PUBLIC_CHAT_LIMITS.conversationsPerIp; i++) {
      await startConversation(client, chatbot)
    }
    const before = await snapshotCounts()

    const refused = await client.post(startUrl(chatbot)).header('Origin', SHOP).json({})

    refused.assertStatus(429)
    assert.equal(refused.body().error_code, 'TOO_MANY_REQUESTS')
    assert.isAbove(Number(refused.header('retry-after')), 0)
    // The widget can read why.
    assert.equal(refused.header('access-control-allow-origin'), SHOP)
    assert.deepEqual(await snapshotCounts(), before)
  })

  test('messages are limited per visitor, then per chatbot: 429 with Retry-After, nothing stored', async ({
    client,
    assert,
  }) => {
    const { chatbot } = await createChatbot({ welcomeMessage: null })
    const visitor = await startConversation(client, chatbot)
    const send = (conversation: { id: number; token: string }) =>
      client
        .post(messagesUrl(conversation.id))
        .header('X-Visitor-Token', conversation.token)
        .json({ text: 'Are you there?' })

    for (let i = 0; i < PUBLIC_CHAT_LIMITS.messagesPerVisitor; i++) {
      ;(await send(visitor)).assertStatus(202)
    }
    const overVisitor = await send(visitor)
    overVisitor.assertStatus(429)
    assert.isAbove(Number(overVisitor.header('retry-after')), 0)
    assert.lengthOf(await storedMessages(visitor.id), PUBLIC_CHAT_LIMITS.messagesPerVisitor)

    // Another visitor still gets through, until the chatbot's allowance is spent.
    const other = await startConversation(client, chatbot)
    ;(await send(other)).assertStatus(202)
    const spent = PUBLIC_CHAT_LIMITS.messagesPerChatbot - PUBLIC_CHAT_LIMITS.messagesPerVisitor - 1
    for (let i = 0; i < spent; i++) await consumePublicChatLimit('messagesPerChatbot', chatbot.id)
    const overChatbot = await send(other)
    overChatbot.assertStatus(429)
    assert.equal(overChatbot.body().error_code, 'TOO_MANY_REQUESTS')
    assert.lengthOf(await storedMessages(other.id), 1)
  })
})

/**
 * With a worker answering in this process. No global transaction here: the
 * worker must see what the requests committed, so the group deletes the
 * organizations (their rows cascade) and users it created.
 */
test.group('Public chat API: answered end to end', (group) => {
  let pool: WorkerPool
  const organizations: number[] = []
  const users: number[] = []

  group.setup(async () => {
    // Jobs left by other tests (rolled back, their ids reused on SQLite) must not answer for ours.
    await emptyQueue('high')
    pool = new WorkerPool().start(['high'])
    return async () => {
      await pool.close()
      await db.from('organizations').whereIn('id', organizations).delete()
      await db.from('users').whereIn('id', users).delete()
      await db.from('audit_logs').whereIn('organization_id', organizations).delete()
    }
  })
  group.each.setup(() => limiter.clear(['memory']))

  /**
   * An active builtin chatbot with an indexed FAQ.
   */
  async function answeringChatbot() {
    const { organization, owner } = await createOrganization()
    organizations.push(organization.id)
    users.push(owner.id)
    const { chatbot } = await createChatbot({}, organization)
    await TenantContext.run(organization.id, async () => {
      const source = await KnowledgeSource.create({
        chatbotId: chatbot.id,
        type: KnowledgeSourceType.Faq,
        title: 'Payments FAQ',
        content: JSON.stringify([
          { question: 'How do I pay for my order?', answer: 'By card or bank transfer.' },
          { question: 'Where is my invoice?', answer: 'In the email confirming your order.' },
        ]),
        status: KnowledgeSourceStatus.Pending,
        chunkCount: 0,
        error: null,
      })
      await KnowledgeService.index(source.id)
    })
    return chatbot
  }

  test("the builtin chatbot's reply reaches the messages list and the visitor channel", async ({
    client,
    assert,
  }) => {
    const chatbot = await answeringChatbot()
    const { id, token } = await startConversation(client, chatbot)
    const stream = await openEventStream()
    try {
      assert.equal(
        await stream.subscribe(`visitors/conversations/${id}`, { 'X-Visitor-Token': token }),
        204
      )

      const sent = await client
        .post(messagesUrl(id))
        .header('Origin', SHOP)
        .header('X-Visitor-Token', token)
        .json({ text: 'How can I pay for my order?' })
      sent.assertStatus(202)
      const asked = sent.body().data.message.id

      const reply = await waitFor(async () => {
        const page = await client
          .get(messagesUrl(id))
          .qs({ after: asked })
          .header('X-Visitor-Token', token)
        return page.body().data.find((row: any) => row.role === 'assistant')
      }, 15_000)
      assert.include(reply, {
        reply_to_id: asked,
        content: 'By card or bank transfer.',
        status: 'delivered',
      })

      const event = await stream.next(
        ({ payload }) => payload.type === 'message.created' && payload.message.role === 'assistant'
      )
      assert.equal(event.channel, `visitors/conversations/${id}`)
      assert.deepEqual(Object.keys(event.payload.message).sort(), PUBLIC_FIELDS)
      // SQLite keeps whole seconds: the stored created_at may be rounded.
      assert.deepEqual(
        { ...event.payload.message, created_at: null },
        { ...reply, created_at: null }
      )
      // The question's own status follows: processing, then delivered.
      await stream.next(
        ({ payload }) =>
          payload.type === 'message.updated' &&
          payload.message.id === asked &&
          payload.message.status === 'delivered'
      )
      for (const { payload } of stream.events) {
        assert.notProperty(payload.message ?? {}, 'provider')
        assert.notProperty(payload.message ?? {}, 'meta')
      }
    } finally {
      stream.close()
    }
  }).timeout(30_000)

  test("a visitor token subscribes its own conversation's channel only", async ({
    client,
    assert,
  }) => {
    const chatbot = await answeringChatbot()
    const a = await startConversation(client, chatbot)
    const b = await startConversation(client, chatbot)
    const stream = await openEventStream()
    try {
      const foreign = await stream.subscribe(`visitors/conversations/${b.id}`, {
        'X-Visitor-Token': a.token,
      })
      const missing = await stream.subscribe(`visitors/conversations/${b.id}`)
      const member = await stream.subscribe(`conversations/${b.id}`, { 'X-Visitor-Token': b.token })
      assert.isAtLeast(foreign, 400)
      assert.isBelow(foreign, 500)
      assert.isAtLeast(missing, 400)
      assert.isAtLeast(member, 400)

      await client
        .post(messagesUrl(b.id))
        .header('X-Visitor-Token', b.token)
        .json({ text: 'Where is my invoice?' })
        .then((response) => response.assertStatus(202))
      await waitFor(async () => (await storedMessages(b.id)).length >= 3, 15_000)
      await setTimeout(300)
      assert.deepEqual(stream.events, [])
    } finally {
      stream.close()
    }
  }).timeout(30_000)
})
