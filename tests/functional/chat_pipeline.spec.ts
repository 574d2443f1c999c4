import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import queueManager from '@rlanz/bull-queue/services/main'
import Chatbot, { type ProviderSettings } from '#models/chatbot'
import Message from '#models/message'
import type Organization from '#models/organization'
import KnowledgeService from '#services/knowledge_service'
import ChatPipeline, { jobIdFor } from '#services/chat_pipeline'
import { TenantContext } from '#support/tenant_context'
import { WorkerPool } from '#support/job_runner'
import { verifyWebhookSignature } from '#support/webhook_signature'
import { ChatbotStatus, ConversationChannel, ProviderType } from '#enums/chatbots'
import { auditQuery } from '#tests/helpers/audit'
import { createOrganization, tokenFor } from '#tests/helpers/identity'
import { closedPort, spawnParley } from '#tests/helpers/processes'
import { openEventStream, type SseEvent } from '#tests/helpers/sse'
import { waitFor } from '#tests/helpers/wait_for'
import { startFakeOpenAI, type FakeOpenAI } from '#tests/helpers/fake_openai'
import { startFakeWebhook } from '#tests/helpers/fake_webhook'

const FALLBACK = 'Let me find a human for you.'
const API_KEY = 'sk-test-pipeline-secret-key-123456'
const WEBHOOK_SECRET = 'whsec-pipeline-secret-0123456789'

const FAQ = [
  { question: 'Can I get a refund?', answer: 'Refunds are possible within 30 days of purchase.' },
  { question: 'How do I reset my password?', answer: 'Use the "Forgot password" link.' },
  { question: 'Where do you ship?', answer: 'We ship to every country in Europe.' },
]

/**
 * Organizations created by a test: the pipeline runs on other connections
 * (worker, child processes), so tests commit for real and clean up after.
 */
const organizations: number[] = []
const users: number[] = []

/**
 * Deletes what the tests of a group committed: organizations (their rows
 * cascade), their audit rows and the users created with them.
 */
async function cleanUp() {
  const organizationIds = organizations.splice(0)
  await db.from('audit_logs').whereIn('organization_id', organizationIds).delete()
  // A worker may still be writing a reply into these organizations: the cascade
  // then deadlocks with it, and PostgreSQL aborts one of the two. Try again.
  for (let attempt = 1; ; attempt++) {
    try {
      await db.from('organizations').whereIn('id', organizationIds).delete()
      break
    } catch (error) {
      if ((error as { code?: string }).code !== '40P01' || attempt === 5) throw error
    }
  }
  await db.from('users').whereIn('id', users.splice(0)).delete()
}

async function setup(providerType = ProviderType.Builtin, providerSettings: ProviderSettings = {}) {
  const { organization, owner } = await createOrganization()
  organizations.push(organization.id)
  users.push(owner.id)
  const chatbot = await TenantContext.run(organization.id, async () => {
    const bot = await Chatbot.create({
      name: 'Support bot',
      status: ChatbotStatus.Active,
      providerType,
      providerSettings,
      systemPrompt: 'You are helpful.',
      fallbackMessage: FALLBACK,
      temperature: 0.2,
      maxReplyTokens: 200,
      allowedOrigins: [],
    })
    const source = await KnowledgeService.create(bot.id, {
      type: 'faq',
      title: 'FAQ',
      items: FAQ,
    } as any)
    await KnowledgeService.index(source.id)
    return bot
  })
  const token = await tokenFor(owner, organization)
  return { organization, owner, chatbot, token }
}

function inTenant<T>(organization: Organization, callback: () => Promise<T>) {
  return TenantContext.run(organization.id, callback)
}

function repliesTo(organization: Organization, messageId: number) {
  return inTenant(organization, () =>
    Message.query().where('reply_to_id', messageId).where('role', 'assistant')
  )
}

async function replyTo(organization: Organization, messageId: number, timeoutMs = 15_000) {
  const [reply] = await waitFor(async () => {
    const rows = await repliesTo(organization, messageId)
    return rows.length ? rows : null
  }, timeoutMs)
  return reply
}

const isReply = (event: SseEvent) =>
  event.payload.type === 'message.created' && event.payload.message.role === 'assistant'

test.group('Chat pipeline: end to end', (group) => {
  let pool: WorkerPool
  let openai: FakeOpenAI
  group.setup(async () => {
    pool = new WorkerPool().start(['high'])
    openai = await startFakeOpenAI({ apiKey: API_KEY })
    return async () => {
      await pool.close()
      await openai.close()
    }
  })
  group.each.setup(() => openai.reset())
  group.each.teardown(cleanUp)

  test('builtin: API message in, reply stored and delivered, SSE events out', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { organization, chatbot, token } = await setup()
    const stream = await openEventStream()
    cleanup(() => stream.close())
    assert.equal(
      await stream.subscribe(`organizations/${organization.id}/conversations`, {
        Authorization: `Bearer ${token}`,
      }),
      204
    )

    const response = await client
      .post(`/api/v1/chatbots/${chatbot.id}/messages`)
      .bearerToken(token)
      .json({ text: 'how can I get my money back, a refund?', contact: { external_id: 'c-1' } })
    response.assertStatus(202)
    const { message, conversation, contact } = response.body().data
    assert.equal(message.status, 'pending')
    assert.equal(contact.external_id, 'c-1')

    const reply = await replyTo(organization, message.id)
    assert.equal(reply.content, FAQ[0].answer)
    assert.equal(reply.provider, 'builtin')
    assert.equal(reply.status, 'delivered')
    assert.isAbove((reply.meta!.chunks as unknown[]).length, 0)
    const stored = await inTenant(organization, () => Message.findOrFail(message.id))
    assert.equal(stored.status, 'delivered')

    const event = await stream.next(isReply)
    assert.equal(event.payload.message.content, FAQ[0].answer)
    assert.equal(event.payload.message.conversation_id, conversation.id)

    // The conversation's own channel carries the next exchange.
    assert.equal(
      await stream.subscribe(`conversations/${conversation.id}`, {
        Authorization: `Bearer ${token}`,
      }),
      204
    )
    const second = await client
      .post(`/api/v1/chatbots/${chatbot.id}/messages`)
      .bearerToken(token)
      .json({ text: 'where do you ship?', conversation_id: conversation.id })
    second.assertStatus(202)
    const secondReply = await stream.next(
      (e) =>
        e.channel === `conversations/${conversation.id}` &&
        isReply(e) &&
        e.payload.message.reply_to_id === second.body().data.message.id
    )
    assert.equal(secondReply.payload.message.content, FAQ[2].answer)
  })

  test('builtin: wait=true answers with the reply; off-topic gets the fallback', async ({
    client,
    assert,
  }) => {
    const { chatbot, token } = await setup()
    const answered = await client
      .post(`/api/v1/chatbots/${chatbot.id}/messages`)
      .bearerToken(token)
      .json({ text: 'I forgot my password, how to reset it?', wait: true })
    answered.assertStatus(200)
    assert.equal(answered.body().data.reply.content, FAQ[1].answer)
    assert.equal(answered.body().data.message.status, 'delivered')

    const offTopic = await client
      .post(`/api/v1/chatbots/${chatbot.id}/messages`)
      .bearerToken(token)
      .json({ text: 'what is the airspeed of an unladen swallow', wait: true })
    offTopic.assertStatus(200)
    assert.equal(offTopic.body().data.reply.content, FALLBACK)
    assert.isTrue(offTopic.body().data.reply.meta.fallback)
  })

  test('openai: streamed reply with knowledge and history, deltas over SSE', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { organization, chatbot, token } = await setup(ProviderType.OpenAI, {
      base_url: openai.url,
      model: 'gpt-test',
      api_key: API_KEY,
    })
    openai.respondWith('Refunds take 30 days, friend.')
    const first = await client
      .post(`/api/v1/chatbots/${chatbot.id}/messages`)
      .bearerToken(token)
      .json({ text: 'Can I get a refund?', wait: true })
    first.assertStatus(200)
    assert.equal(first.body().data.reply.content, 'Refunds take 30 days, friend.')
    const conversationId = first.body().data.conversation.id

    const stream = await openEventStream()
    cleanup(() => stream.close())
    assert.equal(
      await stream.subscribe(`conversations/${conversationId}`, {
        Authorization: `Bearer ${token}`,
      }),
      204
    )
    openai.respondWith({
      content: 'Yes, we ship to Europe.',
      deltas: ['Yes, ', 'we ship ', 'to Europe.'],
    })
    const second = await client
      .post(`/api/v1/chatbots/${chatbot.id}/messages`)
      .bearerToken(token)
      .json({ text: 'Do you ship abroad?', conversation_id: conversationId })
    second.assertStatus(202)
    const reply = await replyTo(organization, second.body().data.message.id)
    assert.equal(reply.content, 'Yes, we ship to Europe.')
    assert.equal(reply.provider, 'openai')
    assert.isAbove(reply.completionTokens ?? 0, 0)

    await stream.next(isReply)
    const deltas = stream.events
      .filter((e) => e.payload.type === 'message.delta')
      .map((e) => e.payload.text)
    assert.deepEqual(deltas, ['Yes, ', 'we ship ', 'to Europe.'])

    const call = openai.requests[openai.requests.length - 1]
    assert.equal(call.headers.authorization, `Bearer ${API_KEY}`)
    assert.equal(call.body.model, 'gpt-test')
    assert.isTrue(call.body.stream)
    const contents = call.body.messages.map((m: { content: string }) => m.content)
    assert.include(contents, 'Can I get a refund?')
    assert.include(contents, 'Refunds take 30 days, friend.')
    assert.equal(contents[contents.length - 1], 'Do you ship abroad?')
  })

  test('openai: without streaming', async ({ client, assert }) => {
    const { chatbot, token } = await setup(ProviderType.OpenAI, {
      base_url: openai.url,
      model: 'gpt-test',
      api_key: API_KEY,
      stream: false,
    })
    openai.respondWith('A plain completion.')
    const response = await client
      .post(`/api/v1/chatbots/${chatbot.id}/messages`)
      .bearerToken(token)
      .json({ text: 'Hello?', wait: true })
    response.assertStatus(200)
    assert.equal(response.body().data.reply.content, 'A plain completion.')
    assert.isNotTrue(openai.requests[0].body.stream)
  })

  test('webhook: signed call, reply mapped', async ({ client, assert, cleanup }) => {
    const webhook = await startFakeWebhook({ secret: WEBHOOK_SECRET })
    cleanup(() => webhook.close())
    webhook.respondWith({ json: [{ output: 'From the workflow.' }] })
    const { organization, chatbot, token } = await setup(ProviderType.Webhook, {
      url: webhook.url,
      secret: WEBHOOK_SECRET,
    })
    const stream = await openEventStream()
    cleanup(() => stream.close())
    assert.equal(
      await stream.subscribe(`organizations/${organization.id}/conversations`, {
        Authorization: `Bearer ${token}`,
      }),
      204
    )

    const response = await client
      .post(`/api/v1/chatbots/${chatbot.id}/messages`)
      .bearerToken(token)
      .json({
        text: 'Ping the workflow',
        contact: { external_id: 'w-1', name: 'Wanda' },
        wait: true,
      })
    response.assertStatus(200)
    assert.equal(response.body().data.reply.content, 'From the workflow.')
    const event = await stream.next(isReply)
    assert.equal(event.payload.message.content, 'From the workflow.')
    assert.equal(event.payload.message.provider, 'webhook')

    const [call] = webhook.requests
    assert.isTrue(call.signatureValid)
    assert.isTrue(
      verifyWebhookSignature(
        WEBHOOK_SECRET,
        String(call.headers['x-parley-timestamp']),
        call.rawBody,
        String(call.headers['x-parley-signature'])
      )
    )
    assert.isFalse(
      verifyWebhookSignature(
        'another-secret-0123456789',
        String(call.headers['x-parley-timestamp']),
        call.rawBody,
        String(call.headers['x-parley-signature'])
      )
    )
    assert.equal(call.body.message.content, 'Ping the workflow')
    assert.equal(call.body.contact.external_id, 'w-1')
  })

  test('provider failure: retried, then fallback reply, failed status and an audit row', async ({
    client,
    assert,
  }) => {
    const { organization, chatbot, token } = await setup(ProviderType.OpenAI, {
      base_url: openai.url,
      model: 'gpt-test',
      api_key: API_KEY,
    })
    openai.failNext(100, 503)
    const response = await client
      .post(`/api/v1/chatbots/${chatbot.id}/messages`)
      .bearerToken(token)
      .json({ text: 'Anyone there?' })
    response.assertStatus(202)
    const messageId = response.body().data.message.id

    const reply = await replyTo(organization, messageId, 20_000)
    assert.equal(reply.content, FALLBACK)
    assert.isTrue(reply.meta!.fallback as boolean)
    assert.equal(openai.requests.length, 4)
    const message = await inTenant(organization, () => Message.findOrFail(messageId))
    assert.equal(message.status, 'failed')
    assert.isString(message.error)
    assert.notInclude(message.error!, API_KEY)

    const [audit] = await auditQuery()
      .where('action', 'message.reply_failed')
      .where('organization_id', organization.id)
    assert.equal(String(audit.subjectId), String(messageId))
    assert.equal(audit.status, 'error')
    assert.notInclude(JSON.stringify(audit), API_KEY)
  })

  test('permanent provider error: no retries, fallback at once', async ({ client, assert }) => {
    const { organization, chatbot, token } = await setup(ProviderType.OpenAI, {
      base_url: openai.url,
      model: 'gpt-test',
      api_key: 'sk-wrong-key',
    })
    const response = await client
      .post(`/api/v1/chatbots/${chatbot.id}/messages`)
      .bearerToken(token)
      .json({ text: 'Hello', wait: true })
    response.assertStatus(200)
    assert.equal(response.body().data.reply.content, FALLBACK)
    assert.equal(openai.requests.length, 1)
    const message = await inTenant(organization, () =>
      Message.findOrFail(response.body().data.message.id)
    )
    assert.equal(message.status, 'failed')
    assert.notInclude(message.error ?? '', 'sk-wrong-key')
  })

  test('a job delivered twice (and a duplicate job) yields one reply', async ({ assert }) => {
    const { organization, chatbot } = await setup(ProviderType.OpenAI, {
      base_url: openai.url,
      model: 'gpt-test',
      api_key: API_KEY,
    })
    openai.delay(200)
    const { message } = await inTenant(organization, () =>
      ChatPipeline.ingest({ chatbot, text: 'Refund please', channel: ConversationChannel.Api })
    )
    // A second job of another id for the same message, and two direct runs.
    await queueManager.getOrSet('high').add(
      'ProcessChatbotMessage',
      {
        payload: { messageId: message.id },
        context: { request_id: null, organization_id: organization.id },
      },
      { jobId: `duplicate-${message.id}` }
    )
    await inTenant(organization, () =>
      Promise.all([
        ChatPipeline.process(message.id, false),
        ChatPipeline.process(message.id, false),
      ])
    )
    await replyTo(organization, message.id)
    await waitFor(async () => {
      const job = await queueManager.getOrSet('high').getJob(`duplicate-${message.id}`)
      return job && (await job.isCompleted())
    })
    // Redelivered after it was answered.
    await inTenant(organization, () => ChatPipeline.enqueue(message, { replaceFinished: true }))
    await waitFor(async () => {
      const job = await queueManager.getOrSet('high').getJob(jobIdFor(message))
      return job && (await job.isCompleted())
    })

    assert.lengthOf(await repliesTo(organization, message.id), 1)
    assert.equal(openai.requests.length, 1)
  })

  test('quick successive messages are answered in order', async ({ assert }) => {
    const webhook = await startFakeWebhook({ secret: WEBHOOK_SECRET })
    webhook.respondWith((request) => ({ json: { reply: `echo: ${request.body.message.content}` } }))
    webhook.delay(150)
    const { organization, chatbot } = await setup(ProviderType.Webhook, {
      url: webhook.url,
      secret: WEBHOOK_SECRET,
    })
    try {
      const first = await inTenant(organization, () =>
        ChatPipeline.ingest({ chatbot, text: 'one', channel: ConversationChannel.Api })
      )
      const ids = [first.message.id]
      for (const text of ['two', 'three', 'four']) {
        const next = await inTenant(organization, () =>
          ChatPipeline.ingest({
            chatbot,
            text,
            channel: ConversationChannel.Api,
            conversationId: first.conversation.id,
          })
        )
        ids.push(next.message.id)
      }
      const replies = await Promise.all(ids.map((id) => replyTo(organization, id, 20_000)))

      assert.deepEqual(
        webhook.requests.map((request) => request.body.message.content),
        ['one', 'two', 'three', 'four']
      )
      assert.deepEqual(
        replies.map((reply) => reply.content),
        ['echo: one', 'echo: two', 'echo: three', 'echo: four']
      )
      // Each reply is stored after the one before, and each call saw the earlier answers.
      const replyIds = replies.map((reply) => reply.id)
      assert.deepEqual(
        replyIds,
        [...replyIds].sort((a, b) => a - b)
      )
      const lastHistory = webhook.requests[3].body.history.map((turn: any) => turn.content)
      assert.includeMembers(lastHistory, ['echo: one', 'echo: two', 'echo: three'])
    } finally {
      await webhook.close()
    }
  })

  test('concurrent first messages from one external id make one contact', async ({
    client,
    assert,
  }) => {
    const { organization, chatbot, token } = await setup()
    const responses = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        client
          .post(`/api/v1/chatbots/${chatbot.id}/messages`)
          .bearerToken(token)
          .json({ text: `hello ${index}`, contact: { external_id: 'race-1' } })
      )
    )
    for (const response of responses) response.assertStatus(202)
    const contacts = await db
      .from('contacts')
      .where('organization_id', organization.id)
      .where('external_id', 'race-1')
    assert.lengthOf(contacts, 1)
    assert.lengthOf(new Set(responses.map((response) => response.body().data.contact.id)), 1)

    // And each of the six is answered, once.
    const messageIds = responses.map((response) => response.body().data.message.id as number)
    const replies = await waitFor(async () => {
      const rows = await inTenant(organization, () =>
        Message.query().whereIn('reply_to_id', messageIds).where('role', 'assistant')
      )
      return rows.length >= messageIds.length ? rows : null
    }, 15_000)
    assert.sameMembers(
      replies.map((reply) => reply.replyToId),
      messageIds
    )
  })

  test('a conversation in handoff takes messages for the agent, without bot replies', async ({
    client,
    assert,
  }) => {
    const { organization, chatbot, token } = await setup()
    const first = await client
      .post(`/api/v1/chatbots/${chatbot.id}/messages`)
      .bearerToken(token)
      .json({ text: 'Can I get a refund?', wait: true })
    const conversationId = first.body().data.conversation.id

    const agent = await client
      .post(`/api/v1/conversations/${conversationId}/messages`)
      .bearerToken(token)
      .json({ text: 'Hi, Sam here, let me check.' })
    agent.assertStatus(201)

    const during = await client
      .post(`/api/v1/chatbots/${chatbot.id}/messages`)
      .bearerToken(token)
      .json({ text: 'Where do you ship?', conversation_id: conversationId })
    during.assertStatus(202)
    assert.equal(during.body().data.message.status, 'delivered')
    assert.equal(during.body().data.conversation.status, 'handoff')

    // Handed back to the bot, it answers again.
    await client
      .patch(`/api/v1/conversations/${conversationId}`)
      .bearerToken(token)
      .json({ status: 'open' })
      .then((response) => response.assertStatus(200))
    const after = await client
      .post(`/api/v1/chatbots/${chatbot.id}/messages`)
      .bearerToken(token)
      .json({ text: 'Where do you ship?', conversation_id: conversationId, wait: true })
    after.assertStatus(200)
    assert.equal(after.body().data.reply.content, FAQ[2].answer)
    assert.lengthOf(await repliesTo(organization, during.body().data.message.id), 0)
  })
})

test.group('Chat pipeline: nothing accepted is lost', (group) => {
  let openai: FakeOpenAI
  group.setup(async () => {
    openai = await startFakeOpenAI({ apiKey: API_KEY })
    return () => openai.close()
  })
  group.each.setup(() => openai.reset())
  group.each.teardown(cleanUp)

  test('a worker killed mid-job: the stalled job runs again and answers once', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { organization, chatbot, token } = await setup(ProviderType.OpenAI, {
      base_url: openai.url,
      model: 'gpt-test',
      api_key: API_KEY,
    })
    openai.delay(60_000)
    const worker = spawnParley(['ace', 'queue:listen', '--queue=high'], {
      QUEUE_LOCK_DURATION_MS: '2000',
    })
    cleanup(() => worker.stop())
    await waitFor(() => worker.output().includes('Listening on queue(s): high'), 30_000, 100)

    const response = await client
      .post(`/api/v1/chatbots/${chatbot.id}/messages`)
      .bearerToken(token)
      .json({ text: 'Hello, slow model' })
    response.assertStatus(202)
    const messageId = response.body().data.message.id

    // The child is in the middle of the provider call: kill it.
    await waitFor(() => openai.requests.length === 1, 20_000)
    await worker.stop()
    openai.delay(0)
    openai.respondWith('Answered after the crash.')

    const pool = new WorkerPool().start(['high'], { lockDuration: 2000, stalledInterval: 1000 })
    cleanup(() => pool.close())
    const reply = await replyTo(organization, messageId, 30_000)
    assert.equal(reply.content, 'Answered after the crash.')
    await new Promise((resolve) => setTimeout(resolve, 1500))
    assert.lengthOf(await repliesTo(organization, messageId), 1)
    assert.equal(openai.requests.length, 2)
  }).timeout(90_000)

  test('a message accepted while the queue is unreachable is answered once it is back (sweeper)', async ({
    assert,
    cleanup,
  }) => {
    const { organization, chatbot, token } = await setup()
    const webPort = await closedPort()
    const server = spawnParley(['--import=ts-node-maintained/register/esm', 'bin/server.js'], {
      PORT: String(webPort),
      HOST: '127.0.0.1',
      REDIS_PORT: String(await closedPort()),
    })
    cleanup(() => server.stop())
    await waitFor(
      async () => {
        try {
          return (await fetch(`http://127.0.0.1:${webPort}/api/ping`)).ok
        } catch {
          return false
        }
      },
      30_000,
      200
    )

    const response = await fetch(
      `http://127.0.0.1:${webPort}/api/v1/chatbots/${chatbot.id}/messages`,
      {
        method: 'POST',
        headers: { 'Authorization': `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ text: 'Can I get a refund?' }),
      }
    )
    assert.equal(response.status, 202)
    const { data } = (await response.json()) as any
    assert.equal(data.message.status, 'pending')
    await server.stop()
    const queue = queueManager.getOrSet('high')
    assert.lengthOf(
      (await queue.getJobs(['waiting', 'delayed', 'active', 'completed'])).filter(
        (job) => job.data?.payload?.messageId === data.message.id
      ),
      0
    )

    // Within the grace period (an enqueue may still be on its way) the sweeper leaves it.
    assert.equal(await ChatPipeline.sweep({ enqueueGraceMs: 60_000 }), 0)
    // Redis is back (this process's): the sweeper enqueues, a worker answers.
    const pool = new WorkerPool().start(['high'])
    cleanup(() => pool.close())
    assert.equal(await ChatPipeline.sweep({ enqueueGraceMs: 0 }), 1)
    const reply = await replyTo(organization, data.message.id)
    assert.equal(reply.content, FAQ[0].answer)
    assert.equal(await ChatPipeline.sweep({ enqueueGraceMs: 0 }), 0)
  }).timeout(60_000)

  test('a reply stored by a worker process reaches SSE subscribers of this process (Redis transport)', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { organization, chatbot, token } = await setup()
    const worker = spawnParley(['ace', 'queue:listen', '--queue=high'])
    cleanup(() => worker.stop())
    await waitFor(() => worker.output().includes('Listening on queue(s): high'), 30_000, 100)
    const stream = await openEventStream()
    cleanup(() => stream.close())
    assert.equal(
      await stream.subscribe(`organizations/${organization.id}/conversations`, {
        Authorization: `Bearer ${token}`,
      }),
      204
    )

    const response = await client
      .post(`/api/v1/chatbots/${chatbot.id}/messages`)
      .bearerToken(token)
      .json({ text: 'Can I get a refund?' })
    response.assertStatus(202)
    const event = await stream.next(isReply, 20_000)
    assert.equal(event.payload.message.content, FAQ[0].answer)
    assert.equal(event.payload.message.reply_to_id, response.body().data.message.id)
  }).timeout(60_000)

  test('the sweeper re-enqueues a message whose job was lost', async ({ assert, cleanup }) => {
    const { organization, chatbot } = await setup()
    const { message } = await inTenant(organization, () =>
      ChatPipeline.ingest({ chatbot, text: 'Where do you ship?', channel: ConversationChannel.Api })
    )
    // Its job is waiting: the sweeper leaves it alone, however old the message.
    assert.equal(await ChatPipeline.sweep({ enqueueGraceMs: 0 }), 0)
    // The job vanishes (a flushed Redis, say) before any worker saw it.
    const job = await queueManager.getOrSet('high').getJob(jobIdFor(message))
    await job!.remove()
    assert.equal(await ChatPipeline.sweep({ enqueueGraceMs: 60_000 }), 0)

    const pool = new WorkerPool().start(['high'])
    cleanup(() => pool.close())
    assert.equal(await ChatPipeline.sweep({ enqueueGraceMs: 0 }), 1)
    const reply = await replyTo(organization, message.id)
    assert.equal(reply.content, FAQ[2].answer)
    // Answered: nothing left for the sweeper.
    assert.equal(await ChatPipeline.sweep({ enqueueGraceMs: 0 }), 0)
  })
})
