import { test } from '@japa/runner'
import type { DateTime } from 'luxon'
import testUtils from '@adonisjs/core/services/test_utils'
import db from '@adonisjs/lucid/services/db'
import Chatbot from '#models/chatbot'
import Message from '#models/message'
import type Organization from '#models/organization'
import KnowledgeService from '#services/knowledge_service'
import ChatPipeline from '#services/chat_pipeline'
import ConversationService from '#services/conversation_service'
import { TenantContext } from '#support/tenant_context'
import {
  ChatbotStatus,
  ConversationChannel,
  ConversationStatus,
  MessageStatus,
  ProviderType,
} from '#enums/chatbots'
import { createOrganization } from '#tests/helpers/identity'
import { statementsDuring } from '#tests/helpers/queries'
import { emptyQueue } from '#tests/helpers/queues'

const onPostgres = () => db.connection().dialect.name === 'postgres'

async function builtinChatbot() {
  const { organization } = await createOrganization()
  const chatbot = await TenantContext.run(organization.id, async () => {
    const bot = await Chatbot.create({
      name: 'Statements bot',
      status: ChatbotStatus.Active,
      providerType: ProviderType.Builtin,
      providerSettings: {},
      fallbackMessage: 'A human will help.',
      allowedOrigins: [],
    })
    const source = await KnowledgeService.create(bot.id, {
      type: 'faq',
      title: 'FAQ',
      items: [{ question: 'Where do you ship?', answer: 'We ship to every country in Europe.' }],
    } as any)
    await KnowledgeService.index(source.id)
    return bot
  })
  return { organization, chatbot }
}

const inTenant = <T>(organization: Organization, work: () => Promise<T>) =>
  TenantContext.run(organization.id, work)

/**
 * The message is answered here, in the test's transaction, as the worker
 * would: `process` is what `ProcessChatbotMessage` runs.
 */
async function answer(organization: Organization, message: Message) {
  return inTenant(organization, () => ChatPipeline.process(message.id, false))
}

test.group('Chat pipeline: statements per message', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.teardown(() => emptyQueue('high'))

  test('a first message is written in one statement (PostgreSQL) and answered in three', async ({
    assert,
  }) => {
    const { organization, chatbot } = await builtinChatbot()
    let stored!: Awaited<ReturnType<typeof ChatPipeline.ingest>>
    const ingest = await statementsDuring(async () => {
      stored = await inTenant(organization, () =>
        ChatPipeline.ingest({
          chatbot,
          text: 'Where do you ship?',
          channel: ConversationChannel.Api,
        })
      )
    })
    assert.isTrue(stored.queued)
    // Contact, conversation and message in one statement.
    assert.lengthOf(ingest, 1, ingest.join('\n'))
    assert.match(ingest[0], /^with contact as \(/)
    assert.equal(stored.message.status, MessageStatus.Pending)

    let outcome = ''
    const work = await statementsDuring(async () => {
      outcome = await answer(organization, stored.message)
    })
    assert.equal(outcome, 'done')
    // The message with its conversation, contact and chatbot; the knowledge search; the reply.
    assert.lengthOf(work, 3, work.join('\n'))
    assert.match(work[2], /^with reply as \(/)

    const [reply] = await inTenant(organization, () =>
      Message.query().where('reply_to_id', stored.message.id)
    )
    assert.equal(reply.content, 'We ship to every country in Europe.')
    assert.equal(reply.organizationId, organization.id)
    const message = await inTenant(organization, () => Message.findOrFail(stored.message.id))
    assert.equal(message.status, MessageStatus.Delivered)
    const conversation = await inTenant(organization, () =>
      ConversationService.find(stored.conversation.id)
    )
    assert.equal(conversation.lastMessageRole, 'assistant')
    assert.equal(conversation.lastMessageAt!.toMillis(), reply.createdAt.toMillis())
  }).skip(!onPostgres(), 'one-statement writes are PostgreSQL only')

  test('a next message moves the conversation on in the same statement; a resolved one opens, handoff stays silent', async ({
    assert,
  }) => {
    const { organization, chatbot } = await builtinChatbot()
    const send = (conversationId: number) =>
      inTenant(organization, () =>
        ChatPipeline.ingest({
          chatbot,
          text: 'And to Norway?',
          channel: ConversationChannel.Api,
          conversationId,
        })
      )
    const first = await inTenant(organization, () =>
      ChatPipeline.ingest({ chatbot, text: 'Where do you ship?', channel: ConversationChannel.Api })
    )
    const conversationId = first.conversation.id
    await answer(organization, first.message)

    await inTenant(organization, () =>
      ConversationService.setStatus(conversationId, ConversationStatus.Resolved)
    )
    const reopened = await send(conversationId)
    assert.equal(reopened.conversation.status, ConversationStatus.Open)
    assert.equal(reopened.message.status, MessageStatus.Pending)
    assert.isTrue(reopened.queued)
    await answer(organization, reopened.message)

    await inTenant(organization, () =>
      ConversationService.setStatus(conversationId, ConversationStatus.Handoff)
    )
    const forAgent = await send(conversationId)
    assert.equal(forAgent.conversation.status, ConversationStatus.Handoff)
    assert.equal(forAgent.message.status, MessageStatus.Delivered)
    assert.isFalse(forAgent.queued)
    const conversation = await inTenant(organization, () =>
      ConversationService.find(conversationId)
    )
    assert.equal(conversation.lastMessageRole, 'user')
    // SQLite keeps whole seconds.
    const second = (moment: DateTime) => Math.floor(moment.toMillis() / 1000)
    assert.equal(second(conversation.lastMessageAt!), second(forAgent.message.createdAt))

    // Another organization's conversation id is not found, and nothing is written.
    const other = await builtinChatbot()
    const before = await db.from('messages').count('* as total')
    await assert.rejects(
      () =>
        inTenant(other.organization, () =>
          ChatPipeline.ingest({
            chatbot: other.chatbot,
            text: 'Hello?',
            channel: ConversationChannel.Api,
            conversationId,
          })
        ),
      'No conversation of this chatbot has this id.'
    )
    assert.deepEqual(await db.from('messages').count('* as total'), before)
  })

  test('prepared statements survive a migration that adds columns', async ({ assert }) => {
    const { organization, chatbot } = await builtinChatbot()
    const round = async (text: string) => {
      const { message, conversation } = await inTenant(organization, () =>
        ChatPipeline.ingest({ chatbot, text, channel: ConversationChannel.Api })
      )
      assert.equal(await answer(organization, message), 'done')
      const next = await inTenant(organization, () =>
        ChatPipeline.ingest({
          chatbot,
          text,
          channel: ConversationChannel.Api,
          conversationId: conversation.id,
        })
      )
      assert.equal(await answer(organization, next.message), 'done')
      const replies = await inTenant(organization, () =>
        Message.query().whereIn('reply_to_id', [message.id, next.message.id])
      )
      assert.lengthOf(replies, 2)
    }
    // Enough rounds for PostgreSQL to settle on the statements' generic plans.
    for (let index = 0; index < 6; index++) await round('Where do you ship?')

    // Rolled back with the test's transaction.
    for (const table of ['contacts', 'conversations', 'messages', 'knowledge_chunks']) {
      await db.rawQuery(`alter table ${table} add column added_later integer`)
    }
    await round('Do you ship to Spain?')
  })
})

test.group('Chat pipeline: the built-in responder answers without a lock', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.teardown(() => emptyQueue('high'))

  test('a message delivered twice at once is answered once', async ({ assert }) => {
    const { organization, chatbot } = await builtinChatbot()
    const { message } = await inTenant(organization, () =>
      ChatPipeline.ingest({ chatbot, text: 'Where do you ship?', channel: ConversationChannel.Api })
    )
    const outcomes = await Promise.all([
      answer(organization, message),
      answer(organization, message),
    ])
    assert.deepEqual(outcomes, ['done', 'done'])
    const replies = await inTenant(organization, () =>
      Message.query().where('reply_to_id', message.id)
    )
    assert.lengthOf(replies, 1)
  })

  test('a later message waits for the earlier one of its conversation', async ({ assert }) => {
    const { organization, chatbot } = await builtinChatbot()
    const first = await inTenant(organization, () =>
      ChatPipeline.ingest({ chatbot, text: 'Where do you ship?', channel: ConversationChannel.Api })
    )
    const second = await inTenant(organization, () =>
      ChatPipeline.ingest({
        chatbot,
        text: 'Do you ship to Spain?',
        channel: ConversationChannel.Api,
        conversationId: first.conversation.id,
      })
    )
    assert.equal(await answer(organization, second.message), 'busy')
    assert.equal(await answer(organization, first.message), 'done')
    assert.equal(await answer(organization, second.message), 'done')
    const replies = await inTenant(organization, () =>
      Message.query()
        .where('conversation_id', first.conversation.id)
        .where('role', 'assistant')
        .orderBy('id')
    )
    assert.deepEqual(
      replies.map((reply) => reply.replyToId),
      [first.message.id, second.message.id]
    )
  })
})
