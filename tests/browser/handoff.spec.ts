import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import limiter from '@adonisjs/limiter/services/main'
import Chatbot from '#models/chatbot'
import KnowledgeSource from '#models/knowledge_source'
import KnowledgeService from '#services/knowledge_service'
import { TenantContext } from '#support/tenant_context'
import { WorkerPool } from '#support/job_runner'
import {
  ChatbotStatus,
  KnowledgeSourceStatus,
  KnowledgeSourceType,
  ProviderType,
} from '#enums/chatbots'
import { addMember, createOrganization } from '#tests/helpers/identity'
import { openContext, signIn, submitAndWait, unique } from '#tests/browser/support'
import { emptyQueue } from '#tests/helpers/queues'

/**
 * Issue 6's whole story in two browsers: a visitor asks the chatbot on its
 * demo page and gets the bot's answer; an agent watching the inbox sees the
 * conversation arrive live, takes over and replies; the visitor sees the
 * agent's reply in the widget without reloading. Rows are committed (a
 * worker in this process answers), so the group deletes what it created.
 */
test.group('Handoff from the widget to the inbox, in chromium', (group) => {
  let pool: WorkerPool
  const organizations: number[] = []
  const users: number[] = []

  group.setup(async () => {
    await emptyQueue('high')
    pool = new WorkerPool().start(['high'])
    return async () => {
      await pool.close()
      await db.from('audit_logs').whereIn('organization_id', organizations).delete()
      await db.from('organizations').whereIn('id', organizations).delete()
      await db.from('users').whereIn('id', users).delete()
    }
  })
  group.each.setup(() => limiter.clear())

  test('the visitor gets the bot’s answer, then the agent’s reply, live in the widget', async (context) => {
    const { browserContext, assert } = context
    const { organization, owner } = await createOrganization(unique('Handoff Org'))
    organizations.push(organization.id)
    const agent = await addMember(organization, 'agent')
    users.push(owner.id, agent.id)
    const chatbot = await TenantContext.run(organization.id, async () => {
      const bot = await Chatbot.create({
        name: 'Order helper',
        status: ChatbotStatus.Active,
        providerType: ProviderType.Builtin,
        providerSettings: {},
        welcomeMessage: 'Hello! Ask me about your order.',
        temperature: 0.3,
        maxReplyTokens: 256,
        allowedOrigins: [],
      })
      const source = await KnowledgeSource.create({
        chatbotId: bot.id,
        type: KnowledgeSourceType.Faq,
        title: 'Orders FAQ',
        content: JSON.stringify([
          { question: 'When will my order ship?', answer: 'Orders ship within two working days.' },
        ]),
        status: KnowledgeSourceStatus.Pending,
        chunkCount: 0,
        error: null,
      })
      await KnowledgeService.index(source.id)
      return bot
    })

    // The agent watches the inbox.
    const inbox = await signIn(browserContext, agent.email)
    await inbox.goto('/conversations')
    await inbox.waitForFunction(`document.documentElement.dataset.liveReady === 'true'`)

    // The visitor, in a browser of their own, asks on the demo page.
    const visitorContext = await openContext(context)
    const demo = await visitorContext.visit(`/demo/${chatbot.publicKey}`)
    await demo.getByRole('button', { name: 'Open chat' }).click()
    const log = demo.getByRole('dialog', { name: 'Order helper' }).getByRole('log')
    await log.getByText('Hello! Ask me about your order.').waitFor()
    await demo.keyboard.type('When does my order ship?')
    await demo.keyboard.press('Enter')
    await log.getByText('Orders ship within two working days.').waitFor()

    // The conversation appears in the agent's inbox without a reload.
    const row = inbox.locator('#inbox-list tr[data-conversation-id]').first()
    await row.waitFor()
    await submitAndWait(inbox, row.getByRole('link').first())
    await inbox.assertTextContains('#transcript', 'When does my order ship?')
    await submitAndWait(inbox, inbox.getByRole('button', { name: 'Take over' }))
    await inbox.locator('#field-text').fill('Hi, Sam from the shop: yours leaves today.')
    await submitAndWait(inbox, inbox.getByRole('button', { name: 'Send reply' }))

    // The visitor sees the agent's reply, live.
    await log.getByText('Hi, Sam from the shop: yours leaves today.').waitFor()
    const texts = await log.locator('.msg .text').allInnerTexts()
    assert.deepEqual(texts.slice(-3), [
      'When does my order ship?',
      'Orders ship within two working days.',
      'Hi, Sam from the shop: yours leaves today.',
    ])
  }).timeout(60_000)
})
