import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import Chatbot from '#models/chatbot'
import Contact from '#models/contact'
import Conversation from '#models/conversation'
import Message from '#models/message'
import type Organization from '#models/organization'
import type User from '#models/user'
import DashboardService from '#services/dashboard_service'
import { TenantContext } from '#support/tenant_context'
import {
  ChatbotStatus,
  ConversationChannel,
  ConversationStatus,
  MessageRole,
  MessageStatus,
  ProviderType,
} from '#enums/chatbots'
import { createOrganization } from '#tests/helpers/identity'

/** The text shown in a dashboard card. */
function stat(html: string, id: string) {
  return html.match(new RegExp(`id="${id}"[\\s\\S]*?data-value>\\s*([^<]*?)\\s*<`))?.[1] ?? null
}

function createChatbot(organization: Organization, status = ChatbotStatus.Active) {
  return TenantContext.run(organization.id, () =>
    Chatbot.create({
      name: 'Shop helper',
      description: 'Answers questions about orders.',
      status,
      providerType: ProviderType.Builtin,
      providerSettings: {},
      welcomeMessage: 'Hello!',
      temperature: 0.3,
      maxReplyTokens: 256,
      allowedOrigins: [],
    })
  )
}

type Reply = { latencyMs: number; fallback?: boolean }

/**
 * A widget conversation: the welcome message, then a question and its
 * reply per entry of `replies`, an agent's message if `agent`.
 */
async function seedConversation(
  chatbot: Chatbot,
  replies: Reply[],
  options: { status?: ConversationStatus; agent?: boolean; daysAgo?: number } = {}
) {
  return TenantContext.run(chatbot.organizationId, async () => {
    const now = DateTime.utc()
    const contact = await Contact.create({ metadata: {}, firstSeenAt: now, lastSeenAt: now })
    const conversation = await Conversation.create({
      chatbotId: chatbot.id,
      contactId: contact.id,
      channel: ConversationChannel.Widget,
      status: options.status ?? ConversationStatus.Open,
      lastMessageAt: now,
    })
    const message = (fields: Partial<Message>) =>
      Message.create({
        conversationId: conversation.id,
        status: MessageStatus.Delivered,
        content: 'text',
        ...fields,
      })
    await message({ role: MessageRole.Assistant, content: 'Hello!' })
    for (const reply of replies) {
      const question = await message({ role: MessageRole.User })
      await message({
        role: MessageRole.Assistant,
        replyToId: question.id,
        latencyMs: reply.latencyMs,
        meta: { fallback: Boolean(reply.fallback), confidence: 0.5 },
      })
    }
    if (options.agent) await message({ role: MessageRole.Agent })
    // An internal note is not a message of the conversation's figures.
    await message({ role: MessageRole.System, content: 'note' })
    if (options.daysAgo) {
      const then = DateTime.utc().minus({ days: options.daysAgo }).toJSDate()
      await db.from('conversations').where('id', conversation.id).update({ created_at: then })
      await db
        .from('messages')
        .where('conversation_id', conversation.id)
        .update({ created_at: then })
    }
    return conversation
  })
}

function dashboard(client: any, owner: User, organization: Organization) {
  return client.get('/').loginAs(owner).withSession({ organization_id: organization.id })
}

test.group('Dashboard: chatbot figures', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('rates, median reply time and per-day counts of the last 7 days, this organization only', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization('Figures Org')
    const chatbot = await createChatbot(organization)
    await seedConversation(chatbot, [{ latencyMs: 100 }, { latencyMs: 300, fallback: true }], {
      status: ConversationStatus.Handoff,
    })
    await seedConversation(chatbot, [{ latencyMs: 200 }], {
      status: ConversationStatus.Resolved,
      agent: true,
    })
    await seedConversation(chatbot, [{ latencyMs: 1000 }])
    await seedConversation(chatbot, [])
    // Older than the window, and another organization's: not counted.
    await seedConversation(chatbot, [{ latencyMs: 1, fallback: true }], {
      status: ConversationStatus.Handoff,
      daysAgo: 10,
    })
    const { organization: other } = await createOrganization('Other Org')
    await seedConversation(await createChatbot(other), [{ latencyMs: 5, fallback: true }], {
      status: ConversationStatus.Handoff,
    })

    const figures = await TenantContext.run(organization.id, () =>
      DashboardService.chatbotFigures()
    )
    assert.equal(figures.chatbots, 1)
    assert.equal(figures.conversations, 4)
    // Welcome messages, questions, replies and the agent's message; no notes.
    assert.equal(figures.messages, 4 + 2 * 4 + 1)
    assert.equal(figures.handoffs, 2)
    assert.equal(figures.handoffRate, 0.5)
    assert.equal(figures.replies, 4)
    assert.equal(figures.fallbacks, 1)
    assert.equal(figures.fallbackRate, 0.25)
    assert.equal(figures.medianLatencyMs, 250)
    assert.lengthOf(figures.perDay, 7)
    assert.deepInclude(figures.perDay[6], { conversations: 4, messages: 13 })
    assert.equal(figures.perDay[6].date, DateTime.utc().toISODate())

    const response = await dashboard(client, owner, organization)
    response.assertStatus(200)
    const html = response.text()
    assert.equal(stat(html, 'stat-conversations'), '4')
    assert.equal(stat(html, 'stat-messages'), '13')
    assert.equal(stat(html, 'stat-handoff-rate'), '50%')
    assert.equal(stat(html, 'stat-fallback-rate'), '25%')
    assert.equal(stat(html, 'stat-median-latency'), '250 ms')
    assert.include(html, 'id="chatbot-chart"')
    assert.include(html, 'id="chatbot-per-day-table"')
  })

  test('an odd number of replies has the middle one as its median', async ({ assert }) => {
    const { organization } = await createOrganization('Odd Org')
    const chatbot = await createChatbot(organization)
    await seedConversation(chatbot, [{ latencyMs: 900 }, { latencyMs: 50 }, { latencyMs: 400 }])

    const figures = await TenantContext.run(organization.id, () =>
      DashboardService.chatbotFigures()
    )
    assert.equal(figures.medianLatencyMs, 400)
    assert.equal(figures.fallbackRate, 0)
    assert.equal(figures.handoffRate, 0)
  })

  test('empty states: no chatbots, then a chatbot without conversations', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization('Empty Org')
    const none = (await dashboard(client, owner, organization)).text()
    assert.include(none, 'No chatbots yet')
    assert.notInclude(none, 'id="chatbot-chart"')

    await createChatbot(organization)
    const quiet = (await dashboard(client, owner, organization)).text()
    assert.include(quiet, 'No conversations in the last 7 days')
    assert.equal(stat(quiet, 'stat-handoff-rate'), '—')
    assert.equal(stat(quiet, 'stat-median-latency'), '—')
    assert.notInclude(quiet, 'id="chatbot-chart"')
  })
})

test.group('Demo page', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('an active chatbot has a public demo page embedding its widget', async ({
    client,
    assert,
  }) => {
    const { organization } = await createOrganization('Demo Org')
    const chatbot = await createChatbot(organization)

    const response = await client.get(`/demo/${chatbot.publicKey}`)
    response.assertStatus(200)
    const html = response.text()
    assert.include(html, 'Shop helper')
    assert.include(html, `<script src="/widget.js" data-chatbot="${chatbot.publicKey}" async>`)
    assert.notInclude(html, 'sidebar-menu')
  })

  test('a paused chatbot keeps its page (the widget says it is paused)', async ({ client }) => {
    const { organization } = await createOrganization('Paused Org')
    const chatbot = await createChatbot(organization, ChatbotStatus.Paused)
    const response = await client.get(`/demo/${chatbot.publicKey}`)
    response.assertStatus(200)
    response.assertTextIncludes(`data-chatbot="${chatbot.publicKey}"`)
  })

  test('unknown, draft and deleted chatbots get the 404 page', async ({ client, assert }) => {
    const { organization } = await createOrganization('Hidden Org')
    const draft = await createChatbot(organization, ChatbotStatus.Draft)
    const deleted = await createChatbot(organization)
    await TenantContext.run(organization.id, () => deleted.delete())

    for (const key of ['pk_unknownunknownunknown', draft.publicKey, deleted.publicKey]) {
      const response = await client.get(`/demo/${key}`)
      response.assertStatus(404)
      assert.include(response.text(), 'No chatbot to try here', key)
      assert.notInclude(response.text(), 'widget.js', key)
    }
  })
})
