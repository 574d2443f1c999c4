import { test } from '@japa/runner'
import ace from '@adonisjs/core/services/ace'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import queueManager from '@rlanz/bull-queue/services/main'
import Chatbot from '#models/chatbot'
import KnowledgeSource from '#models/knowledge_source'
import type Organization from '#models/organization'
import KnowledgeSearch from '#services/knowledge_search'
import KnowledgeService from '#services/knowledge_service'
import BuiltinProvider, { DEFAULT_THRESHOLD } from '#providers/chat/builtin'
import { DEFAULT_FALLBACK_MESSAGE } from '#providers/chat/types'
import { TenantContext } from '#support/tenant_context'
import {
  SYNONYM_GROUPS,
  concept,
  contentWords,
  isGreeting,
  stem,
  withSynonyms,
} from '#support/text_match'
import { ChatbotStatus, KnowledgeSourceType, ProviderType } from '#enums/chatbots'
import { createOrganization } from '#tests/helpers/identity'
import { runCommand } from '#tests/helpers/ace'
import MainSeeder, { DEMO } from '#database/seeders/main_seeder'
import { DEMO_CHATBOT, DEMO_FAQ } from '#database/demo_faq'

type KnowledgeInput = Parameters<typeof KnowledgeService.create>[1]

const SHOP_FAQ = {
  type: KnowledgeSourceType.Faq,
  title: 'Shop FAQ',
  items: [
    { question: 'What are your prices?', answer: 'Plans start at 10 euros a month.' },
    { question: 'How do I sign up?', answer: 'Click "Create account" on the home page.' },
    { question: 'Can I get a refund?', answer: 'Within 30 days, no questions asked.' },
    { question: 'How do I reset my password?', answer: 'Use the "Forgot password" link.' },
    { question: 'What are your opening hours?', answer: 'Monday to Friday, 9:00 to 17:00.' },
    { question: 'How can I talk to a person?', answer: 'Ask for an agent in this chat.' },
  ],
}

const SHIPPING_TEXT = {
  type: KnowledgeSourceType.Text,
  title: 'Shipping policy',
  content:
    'Orders are shipped from our Rotterdam warehouse within two business days. ' +
    'Parcels are tracked and insured until delivery.',
}

const FALLBACK = 'I am not sure: a colleague will answer you shortly.'

function seedChatbot(organization: Organization, fields: Partial<Chatbot> = {}) {
  return TenantContext.run(organization.id, () =>
    Chatbot.create({
      name: 'Support bot',
      status: ChatbotStatus.Active,
      providerType: ProviderType.Builtin,
      providerSettings: {},
      fallbackMessage: FALLBACK,
      temperature: 0.3,
      maxReplyTokens: 512,
      allowedOrigins: [],
      ...fields,
    })
  )
}

/**
 * Adds a source through the service and indexes it at once, as the
 * `IndexKnowledgeSource` job would.
 */
function addKnowledge(chatbot: Chatbot, input: object) {
  return TenantContext.run(chatbot.organizationId, async () => {
    const source = await KnowledgeService.create(chatbot.id, input as KnowledgeInput)
    await KnowledgeService.index(source.id)
    return source
  })
}

function ask(chatbot: Chatbot, question: string) {
  return TenantContext.run(chatbot.organizationId, () =>
    new BuiltinProvider().reply({
      chatbot,
      message: { id: 1, content: question, createdAt: new Date().toISOString() },
      conversation: { id: 1, channel: 'api', status: 'open' },
      contact: { id: 1, externalId: null, name: null, email: null, metadata: {} },
      history: [],
    })
  )
}

function search(chatbot: Chatbot, query: string, limit?: number) {
  return TenantContext.run(chatbot.organizationId, () =>
    KnowledgeSearch.search(chatbot.id, query, limit)
  )
}

async function shopSetup() {
  const { organization } = await createOrganization()
  const chatbot = await seedChatbot(organization)
  const faq = await addKnowledge(chatbot, SHOP_FAQ)
  return { organization, chatbot, faq }
}

/** Index jobs dispatched by KnowledgeService.create: these tests index synchronously. */
const dropIndexJobs = () => queueManager.getOrSet('low').drain(true)

test.group('Builtin responder: text matching', () => {
  test('the stemmer gives the variants of a word one stem, and keeps others apart', ({
    assert,
  }) => {
    const families = [
      ['price', 'prices', 'pricing', 'priced'],
      ['create', 'creates', 'creating', 'created'],
      ['answer', 'answers', 'answered', 'answering'],
      ['integrate', 'integrates', 'integrating', 'integration', 'integrations'],
      ['organization', 'organizations', 'organisation', 'organize'],
      ['policy', 'policies'],
      ['apply', 'applies', 'applied'],
      ['run', 'running'],
      ['add', 'added', 'adding'],
      ['need', 'needs', 'needed'],
      ['secure', 'security'],
      ['role', 'roles'],
    ]
    for (const family of families) {
      assert.lengthOf(new Set(family.map(stem)), 1, family.join(' '))
    }
    assert.notEqual(stem('plane'), stem('plan'))
    assert.notEqual(stem('hope'), stem('hop'))
    assert.equal(stem('n8n'), 'n8n')
  })

  test('each synonym belongs to one group', ({ assert }) => {
    const seen = new Map<string, string>()
    for (const group of SYNONYM_GROUPS) {
      for (const word of group) {
        const key = stem(word)
        assert.isFalse(seen.has(key) && seen.get(key) !== group[0], `${word} in two groups`)
        seen.set(key, group[0])
        assert.equal(concept(word), stem(group[0]))
      }
    }
  })

  test('content words drop stopwords and filler, joining two-word forms', ({ assert }) => {
    assert.deepEqual(contentWords("How much does it cost? I'd like to sign-up!"), [
      'cost',
      'signup',
    ])
    assert.deepEqual(contentWords('Do you support webhooks?'), ['webhooks'])
    assert.deepEqual(contentWords('How do I contact support?'), ['contact', 'support'])
    assert.deepEqual(contentWords('the of and is it'), [])

    // The search gets the words an index holds: "signup" as "sign".
    const terms = withSynonyms('how do I register')
    assert.includeMembers(terms, ['register', 'registration', 'sign'])
    assert.notInclude(terms, 'signup')
    assert.notInclude(terms, 'up')
  })

  test('greetings are whole messages of greeting words', ({ assert }) => {
    for (const text of ['hi', 'Hello!', 'hey there', 'Good morning', 'hello hello']) {
      assert.isTrue(isGreeting(text), text)
    }
    for (const text of ['', 'hi, what are your prices?', 'good', 'high']) {
      assert.isFalse(isGreeting(text), text)
    }
  })
})

test.group('Builtin responder: answers', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.teardown(dropIndexJobs)

  test('FAQ paraphrases get the matching answer', async ({ assert }) => {
    const { chatbot } = await shopSetup()
    const answerOf = (question: string) =>
      SHOP_FAQ.items.find((item) => item.question === question)!.answer

    const paraphrases: [string, string][] = [
      ['How much does it cost?', 'What are your prices?'],
      ['pricing', 'What are your prices?'],
      ['Where can I register?', 'How do I sign up?'],
      ['I want my money back', 'Can I get a refund?'],
      ['refunds?', 'Can I get a refund?'],
      ['resetting my password', 'How do I reset my password?'],
      ['When are you open?', 'What are your opening hours?'],
      ['I need a human agent', 'How can I talk to a person?'],
    ]
    for (const [question, expected] of paraphrases) {
      const reply = await ask(chatbot, question)
      assert.equal(reply.content, answerOf(expected), question)
      assert.isFalse(reply.fallback, question)
      assert.equal(reply.provider, ProviderType.Builtin)
      assert.isAtLeast(reply.confidence!, DEFAULT_THRESHOLD, question)
      assert.isAtMost(reply.confidence!, 1, question)
      // The chunk answered with comes first, with the reply's confidence.
      assert.equal(reply.chunks[0].heading, expected, question)
      assert.equal(reply.chunks[0].sourceTitle, 'Shop FAQ')
      assert.equal(reply.chunks[0].score, reply.confidence)
    }
  })

  test('off-topic questions get the fallback message, flagged', async ({ assert }) => {
    const { chatbot } = await shopSetup()
    for (const question of [
      "What's the weather like in Paris?",
      'Who won the world cup in 1998?',
      'Recommend a good pizza place',
      'Can your prices fly a plane to the moon tomorrow?',
    ]) {
      const reply = await ask(chatbot, question)
      assert.equal(reply.content, FALLBACK, question)
      assert.isTrue(reply.fallback, question)
      assert.isBelow(reply.confidence!, DEFAULT_THRESHOLD, question)
    }

    // A chatbot without a fallback message of its own gets the default one.
    chatbot.fallbackMessage = null
    const reply = await ask(chatbot, 'Who won the world cup?')
    assert.equal(reply.content, DEFAULT_FALLBACK_MESSAGE)
    assert.isTrue(reply.fallback)
  })

  test('text passages are found and answered with', async ({ assert }) => {
    const { chatbot } = await shopSetup()
    await addKnowledge(chatbot, SHIPPING_TEXT)

    const reply = await ask(chatbot, 'When are orders shipped?')
    assert.isFalse(reply.fallback)
    assert.equal(reply.content, SHIPPING_TEXT.content)
    assert.isNull(reply.chunks[0].heading)
    assert.equal(reply.chunks[0].sourceTitle, 'Shipping policy')
  })

  test('the threshold comes from the provider settings', async ({ assert }) => {
    const { chatbot } = await shopSetup()
    // Half of the question is covered: answered by default, not when the bar is higher.
    const question = 'How much do the euros cost for you?'
    const answered = await ask(chatbot, question)
    assert.isFalse(answered.fallback)
    assert.isBelow(answered.confidence!, 0.9)

    chatbot.providerSettings = { threshold: 0.9 }
    const strict = await ask(chatbot, question)
    assert.isTrue(strict.fallback)
    assert.equal(strict.content, FALLBACK)
    assert.equal(strict.confidence, answered.confidence)
    // Near misses are still reported, for tuning.
    assert.equal(strict.chunks[0].heading, 'What are your prices?')

    // Nothing found is a fallback whatever the threshold.
    chatbot.providerSettings = { threshold: 0 }
    assert.isTrue((await ask(chatbot, 'weather in Paris')).fallback)
  })

  test('a greeting gets the welcome message when there is one', async ({ assert }) => {
    const { chatbot } = await shopSetup()
    chatbot.welcomeMessage = 'Welcome to the shop! Ask me anything.'
    for (const greeting of ['hi', 'Hello!', 'hey there', 'Good morning']) {
      const reply = await ask(chatbot, greeting)
      assert.equal(reply.content, 'Welcome to the shop! Ask me anything.', greeting)
      assert.isFalse(reply.fallback)
      assert.deepEqual(reply.chunks, [])
    }
    // Not a greeting: a question that starts with one.
    assert.equal(
      (await ask(chatbot, 'Hi, what are your prices?')).content,
      SHOP_FAQ.items[0].answer
    )

    chatbot.welcomeMessage = null
    assert.isTrue((await ask(chatbot, 'hello')).fallback)
  })

  test('deleted sources no longer answer', async ({ assert }) => {
    const { chatbot, faq } = await shopSetup()
    assert.isFalse((await ask(chatbot, 'refund')).fallback)

    await TenantContext.run(chatbot.organizationId, () =>
      KnowledgeService.delete(chatbot.id, faq.id)
    )
    const reply = await ask(chatbot, 'refund')
    assert.isTrue(reply.fallback)
    assert.deepEqual(reply.chunks, [])
  })
})

test.group('Builtin responder: knowledge search', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.teardown(dropIndexJobs)

  test('ranks by full-text score, FAQ questions above answers, with the source title', async ({
    assert,
  }) => {
    const { chatbot } = await shopSetup()
    await addKnowledge(chatbot, {
      type: KnowledgeSourceType.Faq,
      title: 'More',
      items: [
        { question: 'Do you sell gift cards?', answer: 'Yes, and refunds of gift cards too.' },
      ],
    })

    const results = await search(chatbot, 'refund', 5)
    assert.lengthOf(results, 2)
    assert.equal(results[0].heading, 'Can I get a refund?')
    assert.equal(results[0].sourceTitle, 'Shop FAQ')
    assert.equal(results[1].heading, 'Do you sell gift cards?')
    assert.equal(results[1].sourceTitle, 'More')
    assert.isAbove(results[0].score, results[1].score)
    for (const result of results) {
      assert.isNumber(result.id)
      assert.isNumber(result.sourceId)
      assert.isNumber(result.score)
    }
  })

  test('never returns other chatbots’ or other organizations’ chunks', async ({ assert }) => {
    const { organization, chatbot } = await shopSetup()
    const sibling = await seedChatbot(organization, { name: 'Sibling' })
    await addKnowledge(sibling, SHOP_FAQ)
    const { organization: other } = await createOrganization('Other Co')
    const foreign = await seedChatbot(other, { name: 'Foreign' })
    await addKnowledge(foreign, SHOP_FAQ)

    const chunkIds = async (bot: Chatbot) =>
      (await db.from('knowledge_chunks').where('chatbot_id', bot.id)).map((row) => Number(row.id))
    const own = await chunkIds(chatbot)

    const results = await search(chatbot, 'prices refund password hours person sign up', 20)
    assert.lengthOf(results, SHOP_FAQ.items.length)
    assert.sameMembers(
      results.map((result) => result.id),
      own
    )

    // Another organization's chatbot id, asked from this organization: nothing.
    const fromHere = await TenantContext.run(organization.id, () =>
      KnowledgeSearch.search(foreign.id, 'prices refund', 20)
    )
    assert.deepEqual(fromHere, [])
    // And in its own organization it has its own chunks only.
    const foreignResults = await search(foreign, 'prices refund', 20)
    assert.lengthOf(foreignResults, 2)
    assert.includeMembers(
      await chunkIds(foreign),
      foreignResults.map((result) => result.id)
    )
  })

  test('skips a soft-deleted source even while its chunks remain', async ({ assert }) => {
    const { chatbot, faq } = await shopSetup()
    await db.from('knowledge_sources').where('id', faq.id).update({ deleted_at: new Date() })
    assert.deepEqual(await search(chatbot, 'refund prices'), [])
    assert.isTrue((await ask(chatbot, 'Can I get a refund?')).fallback)
  })

  test('empty and stopword-only queries return nothing, without error', async ({ assert }) => {
    const { chatbot } = await shopSetup()
    for (const query of ['', '   ', '?!', 'the of and is it', 'how do I', '\u0000']) {
      assert.deepEqual(await search(chatbot, query), [], JSON.stringify(query))
      const reply = await ask(chatbot, query)
      assert.isTrue(reply.fallback, JSON.stringify(query))
      assert.deepEqual(reply.chunks, [])
    }
  })

  test('query syntax characters are plain text', async ({ assert }) => {
    const { chatbot } = await shopSetup()
    for (const query of [
      `'":*&|!()`,
      `prices' OR 1=1; --`,
      `"prices`,
      'prices:*',
      '!prices & (refund | password)',
      'NEAR(prices refund)',
      'heading:prices',
      'prices AND NOT refund',
      '%_\\',
      '<-> <2> prices',
      '{prices}^2 -refund +hours',
    ]) {
      const results = await search(chatbot, query, 10)
      assert.isArray(results, query)
      if (/prices/.test(query)) {
        assert.include(
          results.map((result) => result.heading),
          'What are your prices?',
          query
        )
      }
      await ask(chatbot, query)
    }
  })

  test('is bounded: long queries, many terms, large limits', async ({ assert }) => {
    const { chatbot } = await shopSetup()
    const many = Array.from({ length: 500 }, (_, index) => `word${index}`).join(' ')
    assert.deepEqual(await search(chatbot, `${many} refund`), [])
    assert.lengthOf(await search(chatbot, `refund ${many}`), 1)
    assert.lengthOf(await search(chatbot, 'refund prices password', 1), 1)

    const faq = {
      type: KnowledgeSourceType.Faq,
      title: 'Many',
      items: Array.from({ length: 30 }, (_, index) => ({
        question: `Question ${index} about refunds`,
        answer: `Answer ${index}.`,
      })),
    }
    await addKnowledge(chatbot, faq)
    assert.lengthOf(await search(chatbot, 'refunds', 1000), 20)
    assert.lengthOf(await search(chatbot, 'refunds'), 5)
    assert.lengthOf(await search(chatbot, 'refunds', 0), 1)
    assert.lengthOf(await search(chatbot, 'x'.repeat(100_000)), 0)
  })

  test('needs a tenant', async ({ assert }) => {
    const { chatbot } = await shopSetup()
    await assert.rejects(
      () => KnowledgeSearch.search(chatbot.id, 'refund'),
      /no organization is set/
    )
  })
})

test.group('Builtin responder: demo chatbot', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('the seeded Parley Assistant answers paraphrases of its FAQ', async ({ assert }) => {
    await new MainSeeder(db.connection()).run()
    await new MainSeeder(db.connection()).run()

    const chatbot = await TenantContext.asPlatform(
      async () =>
        await Chatbot.query()
          .where('name', DEMO_CHATBOT.name)
          .whereIn(
            'organization_id',
            db.from('organizations').where('slug', DEMO.organization.slug).select('id')
          )
          .firstOrFail()
    )
    assert.equal(chatbot.status, ChatbotStatus.Active)
    assert.equal(chatbot.providerType, ProviderType.Builtin)
    assert.deepEqual(chatbot.allowedOrigins, ['http://localhost:3333'])
    assert.equal(chatbot.welcomeMessage, DEMO_CHATBOT.welcomeMessage)
    assert.equal(chatbot.fallbackMessage, DEMO_CHATBOT.fallbackMessage)

    // Seeded once, indexed right away.
    const sources = await TenantContext.run(chatbot.organizationId, () =>
      KnowledgeSource.query().where('chatbot_id', chatbot.id)
    )
    assert.lengthOf(sources, 1)
    assert.equal(sources[0].status, 'indexed')
    assert.equal(sources[0].chunkCount, DEMO_FAQ.items.length)

    const answerTo = (question: RegExp) =>
      DEMO_FAQ.items.find((item) => question.test(item.question))!.answer
    const paraphrases: [string, RegExp][] = [
      ['what is parley', /^What is Parley/],
      ['How much does it cost?', /cost/],
      ['Is it free?', /cost/],
      ['how do I train my bot', /knowledge/],
      ['can I make a new bot', /create a chatbot/],
      ['what providers are supported', /providers/],
      ['can I connect n8n', /n8n/],
      ['can I talk to a human', /take over/],
      ['how do I embed the widget on my site', /widget/],
      ['Do you have an API?', /^Is there an API/],
      ['generate a token', /API token/],
      ['what roles exist', /roles/],
      ['invite team members', /invite/],
      ['audit trail', /audit log/],
      ['Is my data safe?', /secure/],
      ['self host requirements', /requirements/],
      ['I lost my password', /password/],
      ['contact support', /support/],
      ['I need help', /support/],
      ['what languages do you support', /languages/],
      ['Does Parley support n8n?', /n8n/],
      ['can my website visitors chat with a real person?', /take over/],
    ]
    for (const [question, expected] of paraphrases) {
      const reply = await ask(chatbot, question)
      assert.equal(reply.content, answerTo(expected), question)
      assert.isFalse(reply.fallback, question)
    }

    for (const question of [
      "What's the weather in Paris?",
      'Who won the world cup?',
      'Recommend a pizza place',
      'Can I plug Parley into Slack?',
      'Can Parley fly a plane?',
    ]) {
      const reply = await ask(chatbot, question)
      assert.equal(reply.content, DEMO_CHATBOT.fallbackMessage, question)
      assert.isTrue(reply.fallback, question)
    }
    assert.equal((await ask(chatbot, 'Hello!')).content, DEMO_CHATBOT.welcomeMessage)
  })
})

test.group('Commands: chatbot:ask', (group) => {
  group.setup(() => ace.ui.switchMode('raw'))
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.teardown(dropIndexJobs)

  test('prints the answer, how it was found and the chunks used', async ({ assert }) => {
    const { chatbot } = await shopSetup()
    const { command, output } = await runCommand('chatbot:ask', [
      String(chatbot.id),
      'How much does it cost?',
    ])
    command.assertSucceeded()

    assert.include(output, 'Plans start at 10 euros a month.')
    assert.include(output, 'provider: builtin')
    assert.include(output, 'fallback: no')
    assert.match(output, /confidence: 0\.\d+|confidence: 1/)
    const [chunk] = await db
      .from('knowledge_chunks')
      .where('chatbot_id', chatbot.id)
      .where('heading', 'What are your prices?')
    assert.include(output, String(chunk.id))
    assert.include(output, 'Shop FAQ')
    assert.include(output, 'What are your prices? → Plans start at 10 euros a month.')
  })

  test('says when it fell back', async ({ assert }) => {
    const { chatbot } = await shopSetup()
    const { command, output } = await runCommand('chatbot:ask', [
      String(chatbot.id),
      'Who won the world cup?',
    ])
    command.assertSucceeded()
    assert.include(output, FALLBACK)
    assert.include(output, 'fallback: yes')
  })

  test('finds a chatbot of any organization, not a deleted one', async ({ assert }) => {
    const { chatbot } = await shopSetup()
    const { organization: other } = await createOrganization('Other Co')
    const foreign = await seedChatbot(other, { name: 'Foreign' })
    await addKnowledge(foreign, SHIPPING_TEXT)

    const found = await runCommand('chatbot:ask', [String(foreign.id), 'When are orders shipped?'])
    found.command.assertSucceeded()
    assert.include(found.output, 'Rotterdam warehouse')
    assert.notInclude(found.output, 'Shop FAQ')

    await TenantContext.run(chatbot.organizationId, () => chatbot.delete())
    const deleted = await runCommand('chatbot:ask', [String(chatbot.id), 'prices'])
    deleted.command.assertExitCode(1)
    assert.include(deleted.output, `There is no chatbot with the id ${chatbot.id}`)
  })

  test('exits 1 for unknown ids and unusable input', async ({ assert }) => {
    const unknown = await runCommand('chatbot:ask', ['987654321', 'prices'])
    unknown.command.assertExitCode(1)
    assert.include(unknown.output, 'There is no chatbot with the id 987654321')

    const notANumber = await runCommand('chatbot:ask', ['abc', 'prices'])
    notANumber.command.assertExitCode(1)
    assert.include(notANumber.output, '<chatbot-id>')

    const { chatbot } = await shopSetup()
    const empty = await runCommand('chatbot:ask', [String(chatbot.id), '   '])
    empty.command.assertExitCode(1)
    assert.include(empty.output, '<question>')
  })
})
