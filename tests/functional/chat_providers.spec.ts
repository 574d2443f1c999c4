import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import { DateTime } from 'luxon'
import Chatbot, { type ProviderSettings } from '#models/chatbot'
import Contact from '#models/contact'
import Conversation from '#models/conversation'
import Message from '#models/message'
import KnowledgeSource from '#models/knowledge_source'
import type Organization from '#models/organization'
import KnowledgeService from '#services/knowledge_service'
import OpenAIProvider from '#providers/chat/openai'
import WebhookProvider from '#providers/chat/webhook'
import {
  DEFAULT_FALLBACK_MESSAGE,
  ProviderError,
  type ChatProvider,
  type ChatRequest,
} from '#providers/chat/types'
import { TenantContext } from '#support/tenant_context'
import { signWebhook, verifyWebhookSignature } from '#support/webhook_signature'
import {
  ChatbotStatus,
  ConversationChannel,
  ConversationStatus,
  KnowledgeSourceStatus,
  KnowledgeSourceType,
  MessageRole,
  MessageStatus,
  ProviderType,
} from '#enums/chatbots'
import { createOrganization } from '#tests/helpers/identity'
import { startFakeOpenAI, type FakeOpenAI } from '#tests/helpers/fake_openai'
import { startFakeWebhook, type FakeWebhook } from '#tests/helpers/fake_webhook'

const API_KEY = 'sk-test-provider-key-7f3a9c1e'
const WEBHOOK_SECRET = 'whsec-provider-test-secret-5b8d2e'
const SYSTEM_PROMPT = 'You are the Acme billing assistant. Be concise.'
const QUESTION = 'How do I pay for my subscription?'

const HISTORY: [MessageRole, string][] = [
  [MessageRole.User, 'Hi there'],
  [MessageRole.Assistant, 'Hello! How can I help?'],
  [MessageRole.System, 'Bob joined the conversation'],
  [MessageRole.Agent, 'Bob from support here, the bot will answer billing questions.'],
]

type Seeded = Awaited<ReturnType<typeof seedConversation>>

/**
 * An organization with a chatbot on `providerType`, a contact, a
 * conversation with some history and the new user message, written
 * through the models; the chatbot is read back so its settings are
 * decrypted the way the pipeline gets them.
 */
async function seedConversation(
  providerType: ProviderType,
  providerSettings: ProviderSettings,
  fields: Partial<Pick<Chatbot, 'systemPrompt' | 'fallbackMessage'>> = {}
) {
  const { organization } = await createOrganization()
  return TenantContext.run(organization.id, async () => {
    const created = await Chatbot.create({
      name: 'Acme helper',
      status: ChatbotStatus.Active,
      providerType,
      providerSettings,
      systemPrompt: SYSTEM_PROMPT,
      temperature: 0.2,
      maxReplyTokens: 256,
      allowedOrigins: [],
      ...fields,
    })
    const chatbot = await Chatbot.findOrFail(created.id)
    const contact = await Contact.create({
      externalId: 'cust-42',
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      metadata: { plan: 'pro' },
      firstSeenAt: DateTime.now(),
      lastSeenAt: DateTime.now(),
    })
    const conversation = await Conversation.create({
      chatbotId: chatbot.id,
      contactId: contact.id,
      channel: ConversationChannel.Widget,
      status: ConversationStatus.Open,
    })
    const history = []
    for (const [role, content] of HISTORY) {
      history.push(
        await Message.create({
          conversationId: conversation.id,
          role,
          content,
          status: MessageStatus.Delivered,
        })
      )
    }
    const message = await Message.create({
      conversationId: conversation.id,
      role: MessageRole.User,
      content: QUESTION,
      status: MessageStatus.Pending,
    })
    return { organization, chatbot, contact, conversation, history, message }
  })
}

/**
 * Indexes a billing FAQ and an unrelated text for the chatbot.
 */
async function seedKnowledge(organization: Organization, chatbot: Chatbot) {
  await TenantContext.run(organization.id, async () => {
    const sources = [
      {
        type: KnowledgeSourceType.Faq,
        title: 'Billing FAQ',
        content: JSON.stringify([
          { question: 'How do I pay for my subscription?', answer: 'By card or bank transfer.' },
          { question: 'Where are my invoices?', answer: 'Under Settings, Billing, Invoices.' },
        ]),
      },
      {
        type: KnowledgeSourceType.Text,
        title: 'Shipping',
        content: 'Parcels leave our warehouse within two working days.',
      },
    ]
    for (const source of sources) {
      const row = await KnowledgeSource.create({
        ...source,
        chatbotId: chatbot.id,
        status: KnowledgeSourceStatus.Pending,
        chunkCount: 0,
        error: null,
      })
      await KnowledgeService.index(row.id)
    }
  })
}

function chatRequest(seeded: Seeded, extra: Partial<ChatRequest> = {}): ChatRequest {
  const { chatbot, contact, conversation, history, message } = seeded
  return {
    chatbot,
    message: { id: message.id, content: message.content, createdAt: message.createdAt.toISO()! },
    conversation: {
      id: conversation.id,
      channel: conversation.channel,
      status: conversation.status,
    },
    contact: {
      id: contact.id,
      externalId: contact.externalId,
      name: contact.name,
      email: contact.email,
      metadata: contact.metadata,
    },
    history: history.map(({ role, content }) => ({ role, content })),
    ...extra,
  }
}

/** Asks the provider in the chatbot's organization, as the pipeline's job does. */
function ask(provider: ChatProvider, seeded: Seeded, extra: Partial<ChatRequest> = {}) {
  return TenantContext.run(seeded.organization.id, () => provider.reply(chatRequest(seeded, extra)))
}

/** The ProviderError a call fails with. */
async function failureOf(call: Promise<unknown>) {
  try {
    await call
  } catch (error) {
    if (error instanceof ProviderError) return error
    throw error
  }
  throw new Error('The provider answered instead of failing')
}

test.group('Chat providers: openai', (group) => {
  let fake: FakeOpenAI
  group.setup(async () => {
    fake = await startFakeOpenAI()
    return () => fake.close()
  })
  group.each.setup(() => {
    fake.reset()
    return testUtils.db().withGlobalTransaction()
  })

  const settings = (extra: ProviderSettings = {}): ProviderSettings => ({
    base_url: fake.url,
    model: 'gpt-test-mini',
    api_key: API_KEY,
    ...extra,
  })

  test('without streaming: sends prompt, knowledge, history and key; returns text and usage', async ({
    assert,
  }) => {
    const seeded = await seedConversation(ProviderType.OpenAI, settings({ stream: false }))
    await seedKnowledge(seeded.organization, seeded.chatbot)
    fake.respondWith({
      content: 'You can pay by card or bank transfer.',
      promptTokens: 321,
      completionTokens: 9,
    })

    const reply = await ask(new OpenAIProvider(), seeded)

    assert.equal(reply.content, 'You can pay by card or bank transfer.')
    assert.equal(reply.provider, 'openai')
    assert.equal(reply.promptTokens, 321)
    assert.equal(reply.completionTokens, 9)
    assert.isAbove(reply.chunks.length, 0)
    assert.equal(reply.chunks[0].heading, 'How do I pay for my subscription?')
    assert.equal(reply.chunks[0].sourceTitle, 'Billing FAQ')

    assert.lengthOf(fake.requests, 1)
    const { body, headers } = fake.requests[0]
    assert.equal(headers.authorization, `Bearer ${API_KEY}`)
    assert.equal(body.model, 'gpt-test-mini')
    assert.equal(body.temperature, 0.2)
    assert.equal(body.max_tokens, 256)
    assert.notEqual(body.stream, true)
    // One system message: the prompt, then the numbered knowledge, best first.
    assert.equal(body.messages[0].role, 'system')
    const system: string = body.messages[0].content
    assert.isTrue(system.startsWith(`${SYSTEM_PROMPT}\n\nKnowledge base excerpts`))
    const context = system.slice(SYSTEM_PROMPT.length)
    assert.include(
      context,
      '[1] Billing FAQ — How do I pay for my subscription?\nBy card or bank transfer.'
    )
    // The chunks reported as used are the ones numbered in the context.
    reply.chunks.forEach((chunk, index) =>
      assert.include(context, `[${index + 1}] ${chunk.sourceTitle}`)
    )
    assert.notInclude(context, `[${reply.chunks.length + 1}]`)
    // The history as user/assistant (an agent speaks as the assistant), without system notes.
    assert.deepEqual(body.messages.slice(1), [
      { role: 'user', content: 'Hi there' },
      {
        role: 'assistant',
        content:
          'Hello! How can I help?\n\nBob from support here, the bot will answer billing questions.',
      },
      { role: 'user', content: QUESTION },
    ])
  })

  test('streams deltas in order and returns the assembled text with usage', async ({ assert }) => {
    const seeded = await seedConversation(ProviderType.OpenAI, settings())
    await seedKnowledge(seeded.organization, seeded.chatbot)
    fake.respondWith({
      content: 'Pay by card or bank transfer.',
      deltas: ['Pay ', 'by card ', 'or bank ', 'transfer.'],
      promptTokens: 180,
      completionTokens: 7,
    })
    const deltas: string[] = []

    const reply = await ask(new OpenAIProvider(), seeded, { onDelta: (text) => deltas.push(text) })

    assert.deepEqual(deltas, ['Pay ', 'by card ', 'or bank ', 'transfer.'])
    assert.equal(reply.content, 'Pay by card or bank transfer.')
    assert.equal(reply.promptTokens, 180)
    assert.equal(reply.completionTokens, 7)
    assert.isAbove(reply.chunks.length, 0)
    const { body } = fake.requests[0]
    assert.isTrue(body.stream)
    assert.deepEqual(body.stream_options, { include_usage: true })
    assert.equal(body.messages.at(-1).content, QUESTION)
  })

  test('a chatbot without a system prompt or knowledge gets a default prompt; history is bounded', async ({
    assert,
  }) => {
    const seeded = await seedConversation(ProviderType.OpenAI, settings(), { systemPrompt: null })
    const history = Array.from({ length: 30 }, (_, index) => ({
      role: index % 2 === 0 ? ('user' as const) : ('assistant' as const),
      content: `turn ${index}`,
    }))

    const reply = await ask(new OpenAIProvider(), seeded, { history })

    assert.equal(reply.content, 'Hello from the fake model.')
    assert.deepEqual(reply.chunks, [])
    const { messages } = fake.requests[0].body
    assert.lengthOf(messages, 22)
    assert.include(messages[0].content, 'You are Acme helper')
    assert.include(messages[0].content, 'No knowledge base excerpt')
    assert.deepEqual(messages[1], { role: 'user', content: 'turn 10' })
    assert.deepEqual(messages[20], { role: 'assistant', content: 'turn 29' })
    assert.deepEqual(messages[21], { role: 'user', content: QUESTION })
  })

  test('the knowledge context is bounded; the chunks reported are those sent', async ({
    assert,
  }) => {
    const seeded = await seedConversation(ProviderType.OpenAI, settings())
    await TenantContext.run(seeded.organization.id, async () => {
      const items = Array.from({ length: 5 }, (_, index) => ({
        question: `How do I pay for my subscription, option ${index}?`,
        answer: `Option ${index}: ${'pay by card '.repeat(250)}`,
      }))
      const source = await KnowledgeSource.create({
        type: KnowledgeSourceType.Faq,
        title: 'Payment options',
        content: JSON.stringify(items),
        chatbotId: seeded.chatbot.id,
        status: KnowledgeSourceStatus.Pending,
        chunkCount: 0,
        error: null,
      })
      await KnowledgeService.index(source.id)
    })

    const reply = await ask(new OpenAIProvider(), seeded)

    const system: string = fake.requests[0].body.messages[0].content
    assert.isAbove(reply.chunks.length, 0)
    assert.isBelow(reply.chunks.length, 5)
    assert.isBelow(system.length, SYSTEM_PROMPT.length + 6_200)
    reply.chunks.forEach((chunk, index) =>
      assert.include(system, `[${index + 1}] Payment options — ${chunk.heading}`)
    )
    assert.notInclude(system, `[${reply.chunks.length + 1}]`)
    // Each excerpt is cut to its own budget.
    assert.include(system, '…')
  })

  test('the dialogue starts with the user and alternates, for strict chat templates', async ({
    assert,
  }) => {
    const seeded = await seedConversation(ProviderType.OpenAI, settings())

    await ask(new OpenAIProvider(), seeded, {
      history: [
        { role: 'assistant', content: 'Welcome!' },
        { role: 'user', content: 'First' },
        { role: 'system', content: 'Conversation reopened' },
        { role: 'user', content: 'Second' },
      ],
    })

    assert.deepEqual(fake.requests[0].body.messages.slice(1), [
      { role: 'user', content: `First\n\nSecond\n\n${QUESTION}` },
    ])
  })

  test('classifies {failure} as retryable: {retryable}')
    .with([
      { failure: 500, code: 'http_500', retryable: true },
      { failure: 503, code: 'http_503', retryable: true },
      { failure: 429, code: 'http_429', retryable: true },
      { failure: 'disconnect', code: 'network', retryable: true },
      { failure: 400, code: 'http_400', retryable: false },
      { failure: 401, code: 'http_401', retryable: false },
      { failure: 403, code: 'http_403', retryable: false },
      { failure: 404, code: 'http_404', retryable: false },
      { failure: 422, code: 'http_422', retryable: false },
    ] as const)
    .run(async ({ assert }, { failure, code, retryable }) => {
      for (const stream of [true, false]) {
        fake.reset()
        const seeded = await seedConversation(ProviderType.OpenAI, settings({ stream }))
        fake.failNext(1, failure)

        const error = await failureOf(ask(new OpenAIProvider(), seeded))

        assert.equal(error.code, code)
        assert.equal(error.retryable, retryable)
        // The fake echoes the key in its error body: none of it may reach the message.
        assert.notInclude(error.message, API_KEY)
        assert.notInclude(error.message, 'Bearer')
        assert.lengthOf(fake.requests, 1, 'the provider never retries by itself')
      }
    })

  test('the error code of the API is kept, its message is not', async ({ assert }) => {
    const seeded = await seedConversation(ProviderType.OpenAI, settings())
    fake.failNext(1, 401)

    const error = await failureOf(ask(new OpenAIProvider(), seeded))

    assert.equal(error.message, 'The model API answered HTTP 401 (invalid_api_key)')
  })

  test('a slow answer times out (retryable), also in the middle of a stream', async ({
    assert,
  }) => {
    const seeded = await seedConversation(ProviderType.OpenAI, settings({ timeout_ms: 300 }))
    fake.delay(2_000)
    const beforeHeaders = await failureOf(ask(new OpenAIProvider(), seeded))
    assert.equal(beforeHeaders.code, 'timeout')
    assert.isTrue(beforeHeaders.retryable)

    fake.reset()
    fake.respondWith({ content: 'one two three four five six', deltaDelayMs: 100 })
    const deltas: string[] = []
    const midStream = await failureOf(
      ask(new OpenAIProvider(), seeded, { onDelta: (text) => deltas.push(text) })
    )
    assert.equal(midStream.code, 'timeout')
    assert.isTrue(midStream.retryable)
    assert.isAbove(deltas.length, 0)
  })

  test('a cancelled call stops at once; an empty reply is permanent', async ({ assert }) => {
    const seeded = await seedConversation(ProviderType.OpenAI, settings())
    fake.delay(2_000)
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 100)
    const started = Date.now()

    const cancelled = await failureOf(
      ask(new OpenAIProvider(), seeded, { signal: controller.signal })
    )

    assert.equal(cancelled.code, 'aborted')
    assert.isBelow(Date.now() - started, 1_500)

    fake.reset()
    fake.respondWith('   ')
    const empty = await failureOf(ask(new OpenAIProvider(), seeded))
    assert.equal(empty.code, 'empty_reply')
    assert.isFalse(empty.retryable)
  })
})

test.group('Chat providers: webhook', (group) => {
  let fake: FakeWebhook
  group.setup(async () => {
    fake = await startFakeWebhook({ secret: WEBHOOK_SECRET })
    return () => fake.close()
  })
  group.each.setup(() => {
    fake.reset()
    return testUtils.db().withGlobalTransaction()
  })

  const settings = (extra: ProviderSettings = {}): ProviderSettings => ({
    url: fake.url,
    secret: WEBHOOK_SECRET,
    ...extra,
  })

  test('posts the message, conversation, contact and history as signed JSON', async ({
    assert,
  }) => {
    const seeded = await seedConversation(ProviderType.Webhook, settings())

    const reply = await ask(new WebhookProvider(), seeded)

    assert.deepEqual(reply, {
      content: 'Hello from the webhook.',
      provider: ProviderType.Webhook,
      chunks: [],
    })
    assert.lengthOf(fake.requests, 1)
    const [request] = fake.requests
    const { chatbot, conversation, contact, message } = seeded
    assert.equal(request.method, 'POST')
    assert.deepEqual(request.body, {
      event: 'message.created',
      chatbot: { id: chatbot.id, name: 'Acme helper' },
      conversation: { id: conversation.id, channel: 'widget', status: 'open' },
      contact: {
        id: contact.id,
        external_id: 'cust-42',
        name: 'Ada Lovelace',
        email: 'ada@example.com',
        metadata: { plan: 'pro' },
      },
      message: { id: message.id, content: QUESTION, created_at: message.createdAt.toISO() },
      history: HISTORY.map(([role, content]) => ({ role, content })),
    })

    const { headers, rawBody } = request
    assert.equal(headers['content-type'], 'application/json')
    assert.equal(headers['user-agent'], 'Parley-Webhook/1')
    assert.equal(headers['x-parley-message-id'], String(message.id))
    const timestamp = String(headers['x-parley-timestamp'])
    assert.match(timestamp, /^\d+$/)
    assert.approximately(Number(timestamp), Date.now() / 1000, 5)
    const signature = String(headers['x-parley-signature'])
    assert.match(signature, /^sha256=[0-9a-f]{64}$/)
    assert.notInclude(rawBody, WEBHOOK_SECRET)

    // The fake checked it on its own; the receiver helper agrees, and refuses what it must.
    assert.isTrue(request.signatureValid)
    assert.equal(signWebhook(WEBHOOK_SECRET, timestamp, rawBody), signature)
    assert.isTrue(verifyWebhookSignature(WEBHOOK_SECRET, timestamp, rawBody, signature))
    assert.isFalse(verifyWebhookSignature('another-secret-of-16+', timestamp, rawBody, signature))
    assert.isFalse(verifyWebhookSignature(WEBHOOK_SECRET, timestamp, `${rawBody} `, signature))
    assert.isFalse(
      verifyWebhookSignature(WEBHOOK_SECRET, Number(timestamp) + 1, rawBody, signature)
    )
    const old = Math.floor(Date.now() / 1000) - 3600
    assert.isFalse(
      verifyWebhookSignature(
        WEBHOOK_SECRET,
        old,
        rawBody,
        signWebhook(WEBHOOK_SECRET, old, rawBody)
      )
    )
    assert.isFalse(verifyWebhookSignature(WEBHOOK_SECRET, timestamp, rawBody, undefined))
  })

  test('maps the reply of {name}')
    .with([
      { name: '{reply}', response: { json: { reply: 'From reply' } }, content: 'From reply' },
      { name: '{text}', response: { json: { text: 'From text' } }, content: 'From text' },
      {
        name: '{message}',
        response: { json: { message: 'From message' } },
        content: 'From message',
      },
      { name: '{output}', response: { json: { output: 'From output' } }, content: 'From output' },
      {
        name: "n8n's array of items",
        response: { json: [{ output: '  From n8n  ' }, { output: 'Second item' }] },
        content: 'From n8n',
      },
      { name: 'a JSON string', response: { json: 'Just a string' }, content: 'Just a string' },
      { name: 'text/plain', response: { text: 'Plain answer\n' }, content: 'Plain answer' },
    ])
    .run(async ({ assert }, { response, content }) => {
      const seeded = await seedConversation(ProviderType.Webhook, settings())
      fake.respondWith(response)

      const reply = await ask(new WebhookProvider(), seeded)

      assert.equal(reply.content, content)
      assert.notProperty(reply, 'handoff')
    })

  test('passes a handoff through; a handoff without text answers with the fallback', async ({
    assert,
  }) => {
    const seeded = await seedConversation(ProviderType.Webhook, settings())
    fake.respondWith({ json: { reply: 'Passing you to a human.', handoff: true } })
    assert.containsSubset(await ask(new WebhookProvider(), seeded), {
      content: 'Passing you to a human.',
      handoff: true,
    })

    fake.respondWith({ json: [{ handoff: true }] })
    assert.containsSubset(await ask(new WebhookProvider(), seeded), {
      content: DEFAULT_FALLBACK_MESSAGE,
      handoff: true,
      fallback: true,
    })
  })

  test('classifies failures: {name}')
    .with([
      { name: 'HTTP 500', response: 500, code: 'http_500', retryable: true },
      { name: 'HTTP 503', response: 503, code: 'http_503', retryable: true },
      { name: 'HTTP 429', response: 429, code: 'http_429', retryable: true },
      { name: 'dropped connection', response: 'disconnect', code: 'network', retryable: true },
      { name: 'HTTP 400', response: 400, code: 'http_400', retryable: false },
      { name: 'HTTP 401', response: 401, code: 'http_401', retryable: false },
      { name: 'HTTP 404', response: 404, code: 'http_404', retryable: false },
      { name: 'HTTP 422', response: 422, code: 'http_422', retryable: false },
      {
        name: 'invalid JSON',
        response: { text: '{"reply": ', headers: { 'content-type': 'application/json' } },
        code: 'invalid_reply',
        retryable: false,
      },
      {
        name: 'JSON without a reply field',
        response: { json: { status: 'ok' } },
        code: 'invalid_reply',
        retryable: false,
      },
      {
        name: 'an empty reply',
        response: { json: { reply: '  ' } },
        code: 'empty_reply',
        retryable: false,
      },
      { name: 'an empty body', response: { text: '' }, code: 'empty_reply', retryable: false },
      {
        name: 'an HTML page',
        response: { text: '<html>Login</html>', headers: { 'content-type': 'text/html' } },
        code: 'invalid_reply',
        retryable: false,
      },
      {
        name: 'a reply over 256 KB',
        response: { text: 'x'.repeat(300 * 1024) },
        code: 'reply_too_large',
        retryable: false,
      },
    ] as const)
    .run(async ({ assert }, { response, code, retryable }) => {
      const seeded = await seedConversation(ProviderType.Webhook, settings())
      if (typeof response === 'object') fake.respondWith(response)
      else fake.failNext(1, response)

      const error = await failureOf(ask(new WebhookProvider(), seeded))

      assert.equal(error.code, code)
      assert.equal(error.retryable, retryable)
      assert.notInclude(error.message, WEBHOOK_SECRET)
      assert.notInclude(error.message, fake.url)
      assert.notInclude(error.message, 'Workflow failed')
      assert.lengthOf(fake.requests, 1, 'the provider never retries by itself')
    })

  test('a slow webhook times out (retryable); a cancelled call stops', async ({ assert }) => {
    const seeded = await seedConversation(ProviderType.Webhook, settings({ timeout_ms: 200 }))
    fake.delay(2_000)
    const started = Date.now()

    const timedOut = await failureOf(ask(new WebhookProvider(), seeded))

    assert.equal(timedOut.code, 'timeout')
    assert.isTrue(timedOut.retryable)
    assert.isBelow(Date.now() - started, 1_500)

    const patient = await seedConversation(ProviderType.Webhook, settings())
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 100)
    const cancelled = await failureOf(
      ask(new WebhookProvider(), patient, { signal: controller.signal })
    )
    assert.equal(cancelled.code, 'aborted')
  })

  test('a redirect is not followed, to another host or at all', async ({ assert, cleanup }) => {
    const elsewhere = await startFakeWebhook({ secret: WEBHOOK_SECRET })
    cleanup(() => elsewhere.close())
    const seeded = await seedConversation(ProviderType.Webhook, settings())
    fake.respondWith({ status: 307, headers: { location: elsewhere.url } })

    const error = await failureOf(ask(new WebhookProvider(), seeded))

    assert.equal(error.code, 'redirect')
    assert.isFalse(error.retryable)
    assert.lengthOf(elsewhere.requests, 0)
  })
})
