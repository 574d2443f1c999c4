import { randomUUID } from 'node:crypto'
import { readFile, readdir, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import { auditQuery } from '#tests/helpers/audit'
import { addMember, tokenFor } from '#tests/helpers/identity'
import {
  chunksOf,
  drainIndexJobs,
  ownerSetup,
  queuedIndexJobs,
  runIndexJobs,
  searchChunks,
  words,
} from '#tests/fixtures/knowledge'

const BOM = '\uFEFF'

/** A CSV a spreadsheet would write: BOM, CRLF, quotes, commas and line breaks in quotes. */
const FAQ_CSV = [
  `${BOM}Question,Answer`,
  'How do I pay?,By card or bank transfer.',
  '"Can I get a refund, later?","Yes, within 30 days."',
  '',
  '"What does ""pro"" include?","Everything:\r\nchat, widget and API."',
  '  "Where are invoices?" , Under Settings.',
].join('\r\n')

const FAQ_ITEMS = [
  { question: 'How do I pay?', answer: 'By card or bank transfer.' },
  { question: 'Can I get a refund, later?', answer: 'Yes, within 30 days.' },
  { question: 'What does "pro" include?', answer: 'Everything:\r\nchat, widget and API.' },
  { question: 'Where are invoices?', answer: 'Under Settings.' },
]

type Upload = {
  type?: string
  title?: string
  file?: Buffer | string
  filename?: string
  contentType?: string
}

test.group('Knowledge uploads', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => drainIndexJobs())

  /**
   * POSTs a multipart upload as a browser form or `curl -F` would.
   */
  function upload(
    client: any,
    chatbotId: number,
    token: string,
    { type = 'file', title, file, filename = 'notes.txt', contentType }: Upload
  ) {
    let request = client
      .post(`/api/v1/chatbots/${chatbotId}/knowledge`)
      .bearerToken(token)
      .field('type', type)
    if (title !== undefined) request = request.field('title', title)
    if (file !== undefined) {
      request = request.file('file', file, { filename, ...(contentType ? { contentType } : {}) })
    }
    return request
  }

  test('a .txt file becomes a file source, titled by its name, indexed and searchable', async ({
    client,
    assert,
  }) => {
    const { organization, chatbot, token } = await ownerSetup()
    const text = `Opening hours\n\nWe answer from 9 to 17, Monday to Friday. ${words(300, 'hour')}`

    const response = await upload(client, chatbot.id, token, {
      file: Buffer.from(text),
      filename: 'Opening hours.txt',
    })
    response.assertStatus(201)
    const created = response.body().data
    assert.containsSubset(created, {
      type: 'file',
      title: 'Opening hours.txt',
      file_name: 'Opening hours.txt',
      status: 'pending',
      progress: 0,
      content: text,
    })

    assert.lengthOf(await runIndexJobs(), 1)
    const source = await db.from('knowledge_sources').where('id', created.id).first()
    assert.containsSubset(source, {
      status: 'indexed',
      progress: 100,
      file_name: 'Opening hours.txt',
    })
    assert.isAbove(source.chunk_count, 1)
    const found = await searchChunks('Monday')
    assert.deepEqual(
      found.map((chunk) => chunk.knowledge_source_id),
      [created.id]
    )
    assert.include(found[0].content, 'We answer from 9 to 17')

    const [audit] = await auditQuery()
      .where('action', 'knowledge.created')
      .where('organization_id', organization.id)
    assert.deepEqual(audit.changes, {
      chatbot_id: chatbot.id,
      type: 'file',
      title: 'Opening hours.txt',
      file_name: 'Opening hours.txt',
      characters: text.length,
    })
  })

  test('a .md file is stored as is and indexed as text: headings stay, markup goes', async ({
    client,
    assert,
  }) => {
    const { chatbot, token } = await ownerSetup()
    const path = app.makePath('tests/fixtures/knowledge/shipping.md')

    const response = await client
      .post(`/api/v1/chatbots/${chatbot.id}/knowledge`)
      .bearerToken(token)
      .field('type', 'file')
      .field('title', 'Shipping policy')
      .file('file', path)
    response.assertStatus(201)
    const created = response.body().data
    assert.equal(created.content, await readFile(path, 'utf8'))
    assert.containsSubset(created, { title: 'Shipping policy', file_name: 'shipping.md' })

    await runIndexJobs()
    const text = (await chunksOf(created.id)).map((chunk) => chunk.content).join(' ')
    assert.include(text, 'Shipping policy')
    assert.include(text, 'Returns within 30 days')
    assert.include(text, 'free shipping above 50 EUR')
    assert.include(text, 'carrier page (https://example.com/track)')
    assert.include(text, 'const tracking = true')
    assert.include(text, 'Europe 2-4')
    assert.include(text, 'Delivery times Orders placed')
    for (const markup of ['#', '*', '](', '![', '`', '---', '===', '<!--', 'internal', '>', '|']) {
      assert.notInclude(text, markup)
    }
    const [found] = await searchChunks('returns')
    assert.equal(found.knowledge_source_id, created.id)
  })

  test('a .csv file becomes FAQ pairs: quotes, commas, line breaks, BOM, blank rows', async ({
    client,
    assert,
  }) => {
    const { organization, chatbot, token } = await ownerSetup()
    const response = await upload(client, chatbot.id, token, {
      type: 'faq',
      title: 'Billing',
      file: Buffer.from(FAQ_CSV),
      filename: 'billing.csv',
    })
    response.assertStatus(201)
    const created = response.body().data
    assert.containsSubset(created, { type: 'faq', title: 'Billing', file_name: 'billing.csv' })
    assert.deepEqual(created.items, FAQ_ITEMS)

    await runIndexJobs()
    const chunks = await chunksOf(created.id)
    assert.deepEqual(
      chunks.map(({ heading, content }) => ({ question: heading, answer: content })),
      FAQ_ITEMS
    )
    const [found] = await searchChunks('refund')
    assert.equal(found.heading, 'Can I get a refund, later?')

    const [audit] = await auditQuery()
      .where('action', 'knowledge.created')
      .where('organization_id', organization.id)
    assert.deepEqual(audit.changes, {
      chatbot_id: chatbot.id,
      type: 'faq',
      title: 'Billing',
      file_name: 'billing.csv',
      items: 4,
    })
    assert.notInclude(JSON.stringify(audit.changes), 'bank transfer')
  })

  test('the title defaults to the file name, without any path; LF-only CSV works', async ({
    client,
    assert,
  }) => {
    const { chatbot, token } = await ownerSetup()
    // An empty title field (a form left blank) counts as none.
    const response = await upload(client, chatbot.id, token, {
      type: 'faq',
      title: '',
      file: Buffer.from('question,answer\nQ1?,A1.\nQ2?,A2.\n'),
      filename: 'C:\\Users\\ada\\faq.CSV',
    })
    response.assertStatus(201)
    assert.containsSubset(response.body().data, {
      title: 'faq.CSV',
      file_name: 'faq.CSV',
      items: [
        { question: 'Q1?', answer: 'A1.' },
        { question: 'Q2?', answer: 'A2.' },
      ],
    })
  })

  test('refuses bad files with a 422 naming the problem, and stores nothing', async ({
    client,
    assert,
  }) => {
    const { chatbot, token } = await ownerSetup()
    const rows = (count: number) =>
      ['question,answer', ...Array.from({ length: count }, (_, at) => `Q${at}?,A${at}.`)].join('\n')
    const cases: [Upload, string, RegExp][] = [
      [
        { file: Buffer.from('%PDF-1.4 text'), filename: 'a.pdf' },
        'file.extname',
        /^a\.pdf .*\.txt/,
      ],
      [{ file: Buffer.from('hello'), filename: 'a.csv' }, 'file.extname', /\.txt or \.md/],
      [{ file: Buffer.from('hello'), filename: 'README' }, 'file.extname', /\.txt or \.md/],
      [{ type: 'faq', file: Buffer.from(rows(1)), filename: 'a.txt' }, 'file.extname', /\.csv/],
      [{ file: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13]) }, 'file.binary', /not text/],
      [{ file: Buffer.from('h\u0000e\u0000l\u0000l\u0000o\u0000') }, 'file.binary', /UTF-16/],
      [{ file: Buffer.from([0x68, 0xc3, 0x28, 0x69]) }, 'file.encoding', /UTF-8/],
      [{ file: Buffer.from('hi'), contentType: 'image/png' }, 'file.mimetype', /image\/png/],
      [{ file: Buffer.alloc(2 * 1024 * 1024 + 1, 'a') }, 'file.size', /larger than 2 MB/],
      [{ file: Buffer.from('a'.repeat(200_001)) }, 'file.maxLength', /200000/],
      [{ file: Buffer.alloc(0) }, 'file.empty', /empty/],
      [{ file: Buffer.from(`${BOM} \n\t `) }, 'file.empty', /empty/],
      [{}, 'required', /file/],
      [{ type: 'text', file: Buffer.from('hello') }, 'enum', /type/],
      [{ type: 'faq', file: Buffer.from(''), filename: 'a.csv' }, 'file.empty', /empty/],
      [
        { type: 'faq', file: Buffer.from('q,a\nQ?,A.'), filename: 'a.csv' },
        'csv.header',
        /question,answer/,
      ],
      [
        { type: 'faq', file: Buffer.from('question;answer\nQ?;A.'), filename: 'a.csv' },
        'csv.header',
        /comma/,
      ],
      [
        { type: 'faq', file: Buffer.from('question,answer\n'), filename: 'a.csv' },
        'csv.rows',
        /no question/,
      ],
      [{ type: 'faq', file: Buffer.from(rows(501)), filename: 'a.csv' }, 'csv.rows', /at most 500/],
      [
        { type: 'faq', file: Buffer.from('question,answer\nQ?,A.\nQ2?, \n'), filename: 'a.csv' },
        'csv.minLength',
        /^Row 3: /,
      ],
      [
        { type: 'faq', file: Buffer.from('question,answer\nQ?,A.,extra'), filename: 'a.csv' },
        'csv.row',
        /^Row 2: has 3 values/,
      ],
      [
        {
          type: 'faq',
          file: Buffer.from(`question,answer\nQ?,A.\n"Q2?","${'a'.repeat(5001)}"`),
          filename: 'a.csv',
        },
        'csv.maxLength',
        /^Row 3: /,
      ],
      [
        { type: 'faq', file: Buffer.from('question,answer\n"Q?,A.\nQ2?,A2.'), filename: 'a.csv' },
        'csv.syntax',
        /^Row 2: a quoted value is never closed/,
      ],
      [
        { type: 'faq', file: Buffer.from('question,answer\n"Q?" x,A.'), filename: 'a.csv' },
        'csv.syntax',
        /^Row 2: text after a closing quote/,
      ],
      [
        { type: 'faq', file: Buffer.from('question,answer\nQ "x"?,A.'), filename: 'a.csv' },
        'csv.syntax',
        /^Row 2: a quote inside/,
      ],
    ]

    for (const [body, rule, message] of cases) {
      const response = await upload(client, chatbot.id, token, body)
      const label = `${rule} ${body.filename ?? ''}`
      assert.equal(response.status(), 422, `${label}: ${response.text()}`)
      const envelope = response.body()
      assert.containsSubset(envelope, { success: false, error_code: 'VALIDATION_ERROR' }, label)
      const error = envelope.errors.find((candidate: any) => candidate.rule === rule)
      assert.exists(error, `${label}: ${JSON.stringify(envelope.errors)}`)
      assert.match(error.message, message, label)
    }

    assert.lengthOf(await db.from('knowledge_sources'), 0)
    assert.lengthOf(await auditQuery().whereLike('action', 'knowledge.%'), 0)
    assert.lengthOf(await queuedIndexJobs(), 0)
  }).timeout(30_000)

  test('reports every bad row (up to ten), by spreadsheet row number', async ({
    client,
    assert,
  }) => {
    const { chatbot, token } = await ownerSetup()
    const lines = ['question,answer', 'Q?,A.', ',no question', '"multi\nline?",', 'Q4?,A4.']
    const response = await upload(client, chatbot.id, token, {
      type: 'faq',
      file: Buffer.from(lines.join('\n')),
      filename: 'faq.csv',
    })
    response.assertStatus(422)
    assert.deepEqual(
      response.body().errors.map((error: any) => [error.field, error.message.split(':')[0]]),
      [
        ['file', 'Row 3'],
        ['file', 'Row 4'],
      ]
    )

    const many = ['question,answer', ...Array(30).fill(',')].join('\n')
    const flood = await upload(client, chatbot.id, token, {
      type: 'faq',
      file: Buffer.from(many),
      filename: 'faq.csv',
    })
    flood.assertStatus(422)
    const reported = flood.body().errors.map((error: any) => error.message.split(':')[0])
    assert.deepEqual(
      [...new Set(reported)],
      Array.from({ length: 10 }, (_, at) => `Row ${at + 2}`)
    )
    assert.lengthOf(await db.from('knowledge_sources'), 0)
  })

  test('a body over the multipart limit is a 413; JSON adds still work', async ({
    client,
    assert,
  }) => {
    const { chatbot, token } = await ownerSetup()
    const response = await upload(client, chatbot.id, token, {
      file: Buffer.alloc(5 * 1024 * 1024, 'a'),
    })
    response.assertStatus(413)
    assert.equal(response.body().error_code, 'PAYLOAD_TOO_LARGE')
    assert.lengthOf(await db.from('knowledge_sources'), 0)

    const json = await client
      .post(`/api/v1/chatbots/${chatbot.id}/knowledge`)
      .bearerToken(token)
      .json({ type: 'text', title: 'Plain', content: 'Still JSON' })
    json.assertStatus(201)
    assert.containsSubset(json.body().data, { type: 'text', file_name: null })
  })

  test('a viewer cannot upload; another organization’s chatbot is a 404', async ({
    client,
    assert,
  }) => {
    const a = await ownerSetup()
    const b = await ownerSetup('Globex')
    const viewer = await tokenFor(await addMember(a.organization, 'viewer'), a.organization)
    const file = { file: Buffer.from('Knowledge'), filename: 'k.txt' }

    const refused = await upload(client, a.chatbot.id, viewer, file)
    refused.assertStatus(403)
    const hidden = await upload(client, a.chatbot.id, b.token, file)
    hidden.assertStatus(404)

    assert.lengthOf(await db.from('knowledge_sources'), 0)
    assert.lengthOf(await queuedIndexJobs(), 0)
  })

  test('uploaded files do not stay in the temporary directory, whatever the answer', async ({
    client,
    assert,
  }) => {
    const a = await ownerSetup()
    const viewer = await tokenFor(await addMember(a.organization, 'viewer'), a.organization)
    const marker = `Knowledge ${randomUUID()}`
    const file = { file: Buffer.from(marker), filename: 'k.txt' }

    ;(await upload(client, a.chatbot.id, a.token, file)).assertStatus(201)
    ;(await upload(client, a.chatbot.id, a.token, { ...file, filename: 'k.pdf' })).assertStatus(422)
    ;(await upload(client, a.chatbot.id, viewer, file)).assertStatus(403)

    const left = []
    for (const name of await readdir(tmpdir())) {
      const path = join(tmpdir(), name)
      const info = await stat(path).catch(() => null)
      if (!info?.isFile() || info.size !== marker.length) continue
      if ((await readFile(path, 'utf8').catch(() => '')) === marker) left.push(path)
    }
    assert.deepEqual(left, [])
  })
})
