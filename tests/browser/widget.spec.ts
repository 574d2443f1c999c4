import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import limiter from '@adonisjs/limiter/services/main'
import Chatbot from '#models/chatbot'
import KnowledgeSource from '#models/knowledge_source'
import Message from '#models/message'
import KnowledgeService from '#services/knowledge_service'
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
import { unique } from '#tests/browser/support'
import { emptyQueue } from '#tests/helpers/queues'

const WELCOME = 'Hi! Ask me about orders and payments.'

/**
 * The web widget on the demo page, answered by a worker running in this
 * process. Rows are committed (the worker must see them): the group deletes
 * the organizations (their rows cascade) and users it created.
 */
test.group('Web widget in chromium', (group) => {
  let pool: WorkerPool
  const organizations: number[] = []
  const users: number[] = []

  group.setup(async () => {
    await emptyQueue('high')
    pool = new WorkerPool().start(['high'])
    return async () => {
      await pool.close()
      await db.from('organizations').whereIn('id', organizations).delete()
      await db.from('users').whereIn('id', users).delete()
      await db.from('audit_logs').whereIn('organization_id', organizations).delete()
    }
  })
  group.each.setup(() => limiter.clear())

  /** An active builtin chatbot with an indexed FAQ. */
  async function answeringChatbot() {
    const { organization, owner } = await createOrganization(unique('Widget Org'))
    organizations.push(organization.id)
    users.push(owner.id)
    return TenantContext.run(organization.id, async () => {
      const chatbot = await Chatbot.create({
        name: 'Shop helper',
        status: ChatbotStatus.Active,
        providerType: ProviderType.Builtin,
        providerSettings: {},
        welcomeMessage: WELCOME,
        temperature: 0.3,
        maxReplyTokens: 256,
        allowedOrigins: [],
      })
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
      return chatbot
    })
  }

  test('a visitor asks the demo page chatbot a question, sees the answer, and keeps the history on reload', async ({
    browserContext,
    assert,
  }) => {
    const chatbot = await answeringChatbot()
    const page = await browserContext.visit(`/demo/${chatbot.publicKey}`)
    await page.assertTextContains('h1', 'Shop helper')

    const bubble = page.getByRole('button', { name: 'Open chat' })
    await bubble.click()
    const dialog = page.getByRole('dialog', { name: 'Shop helper' })
    await page.assertVisible(dialog)
    const toggle = page.locator('[data-parley-widget] .bubble')
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true')
    const log = dialog.getByRole('log')
    await log.getByText(WELCOME).waitFor()
    // The message box has the focus: the visitor types at once.
    await page.keyboard.type('How can I pay for my order?')
    await page.keyboard.press('Enter')
    await log.getByText('How can I pay for my order?').waitFor()
    await log.getByText('By card or bank transfer.').waitFor()

    // Escape closes the panel and gives the focus back to the bubble.
    await page.keyboard.press('Escape')
    await page.assertNotVisible(dialog)
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false')
    assert.isTrue(await toggle.evaluate((element) => element.matches(':focus')))

    await page.reload()
    await page.getByRole('button', { name: 'Open chat' }).click()
    const history = page.getByRole('dialog', { name: 'Shop helper' }).getByRole('log')
    await history.getByText('By card or bank transfer.').waitFor()
    assert.deepEqual(await history.locator('.msg .text').allInnerTexts(), [
      WELCOME,
      'How can I pay for my order?',
      'By card or bank transfer.',
    ])
    const stored = await page.evaluate(`localStorage.getItem('parley:${chatbot.publicKey}')`)
    assert.include(JSON.parse(stored as string), { name: 'Shop helper' })
  }).timeout(40_000)

  test('after a network loss the widget reconnects and catches up with what it missed', async ({
    browserContext,
  }) => {
    // While offline the browser logs the failed stream and reconnection attempts.
    browserContext.allowConsoleErrors(/ERR_INTERNET_DISCONNECTED|ERR_NETWORK_CHANGED/)
    const chatbot = await answeringChatbot()
    const page = await browserContext.visit(`/demo/${chatbot.publicKey}`)
    await page.getByRole('button', { name: 'Open chat' }).click()
    const log = page.getByRole('log')
    await log.getByText(WELCOME).waitFor()
    const { id } = JSON.parse(
      (await page.evaluate(`localStorage.getItem('parley:${chatbot.publicKey}')`)) as string
    )

    await browserContext.setOffline(true)
    // Written while the visitor is offline, without a live event: only the catch-up can show it.
    await TenantContext.run(chatbot.organizationId, () =>
      Message.create({
        conversationId: id,
        role: MessageRole.Agent,
        content: 'An agent here: sorry for the wait!',
        status: MessageStatus.Delivered,
      })
    )
    await browserContext.setOffline(false)
    await log.getByText('An agent here: sorry for the wait!').waitFor()
  }).timeout(40_000)

  test('the demo page of an unknown key is a 404 page', async ({ browserContext }) => {
    browserContext.allowConsoleErrors(/Failed to load resource.*404/)
    const page = await browserContext.visit('/demo/pk_unknownunknownunknown')
    await page.assertTextContains('h1', 'No chatbot to try here')
  })
})
