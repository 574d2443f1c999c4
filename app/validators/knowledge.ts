import { readFile, rm } from 'node:fs/promises'
import { extname } from 'node:path'
import vine, { SimpleMessagesProvider, errors } from '@vinejs/vine'
import type { MultipartFile } from '@adonisjs/core/bodyparser'
import type { Request } from '@adonisjs/core/http'
import type { Infer } from '@vinejs/vine/types'
import { KnowledgeSourceType } from '#enums/chatbots'
import { CsvSyntaxError, parseCsv } from '#support/csv'

export const MAX_TITLE = 200
export const MAX_CONTENT = 200_000
export const MAX_FAQ_ITEMS = 500
export const MAX_QUESTION = 1000
export const MAX_ANSWER = 5000
/** Bytes of an uploaded file (a text file is also held to MAX_CONTENT characters). */
export const MAX_UPLOAD_SIZE = 2 * 1024 * 1024
const MAX_FILE_NAME = 255
/** Bad CSV rows reported at once: enough to fix a file, not a wall of errors. */
const MAX_BAD_ROWS = 10

export type FaqItem = { question: string; answer: string }

/**
 * What a knowledge source is created from, whether sent as JSON or
 * uploaded: text (`text`, or `file` with its file name) or FAQ pairs.
 */
export type KnowledgeInput = {
  type: KnowledgeSourceType
  title: string
  fileName?: string | null
} & ({ content: string } | { items: FaqItem[] })

/** The source types that can be added as JSON (files come as uploads). */
const JSON_TYPES = [KnowledgeSourceType.Text, KnowledgeSourceType.Faq] as const

/**
 * The file extensions each upload type accepts, in any case. Checked here
 * rather than by the body parser, which reports an empty file as having
 * no extension.
 */
const UPLOAD_EXTNAMES: Record<string, string[]> = {
  [KnowledgeSourceType.File]: ['txt', 'md', 'markdown'],
  [KnowledgeSourceType.Faq]: ['csv'],
}

/**
 * Declared types accepted besides `text/*`: what browsers and tools send
 * for .md and .csv files they do not know (Windows says CSV is Excel).
 */
const TEXT_LIKE_APPLICATION_TYPES = [
  'octet-stream',
  'csv',
  'x-csv',
  'vnd.ms-excel',
  'markdown',
  'x-markdown',
]

const faqItem = () =>
  vine.object({
    question: vine.string().trim().minLength(1).maxLength(MAX_QUESTION),
    answer: vine.string().trim().minLength(1).maxLength(MAX_ANSWER),
  })

const faqItemValidator = vine.compile(faqItem())

/**
 * A text source `{type: 'text', title, content}` or an FAQ source
 * `{type: 'faq', title, items: [{question, answer}]}`.
 */
export const createKnowledgeValidator = vine.compile(
  vine
    .object({
      type: vine.enum(JSON_TYPES),
      title: vine.string().trim().minLength(1).maxLength(MAX_TITLE),
    })
    .merge(
      vine
        .group([
          vine.group.if((data) => data.type === KnowledgeSourceType.Text, {
            content: vine.string().trim().minLength(1).maxLength(MAX_CONTENT),
          }),
          vine.group.if((data) => data.type === KnowledgeSourceType.Faq, {
            items: vine.array(faqItem()).minLength(1).maxLength(MAX_FAQ_ITEMS),
          }),
        ])
        .otherwise(() => {
          // An unknown type is already reported by `type`.
        })
    )
)

/**
 * A change to a source: its title, and its content (text and file
 * sources) or its FAQ pairs (FAQ sources). A content change re-indexes it.
 */
export const updateKnowledgeValidator = vine.compile(
  vine.object({
    title: vine.string().trim().minLength(1).maxLength(MAX_TITLE).optional(),
    content: vine.string().trim().minLength(1).maxLength(MAX_CONTENT).optional(),
    items: vine.array(faqItem()).minLength(1).maxLength(MAX_FAQ_ITEMS).optional(),
  })
)

/**
 * A multipart upload: `type=file` with a UTF-8 `.txt`/`.md` file, or
 * `type=faq` with a `.csv` file of `question,answer` rows; `title`
 * defaults to the file name. The file's content is checked by
 * `readKnowledgeUpload`.
 */
export const uploadKnowledgeValidator = vine.compile(
  vine.object({
    type: vine.enum([KnowledgeSourceType.File, KnowledgeSourceType.Faq]),
    title: vine.string().trim().minLength(1).maxLength(MAX_TITLE).optional(),
    file: vine.file({ size: MAX_UPLOAD_SIZE }),
  })
)

uploadKnowledgeValidator.messagesProvider = new SimpleMessagesProvider({
  'file.size': `The file is larger than ${MAX_UPLOAD_SIZE / 1024 / 1024} MB: split it into several files.`,
})

type KnowledgeUpload = Infer<typeof uploadKnowledgeValidator>
type RowProblem = { rule: string; message: string }

/**
 * A refusal of the uploaded file, in the envelope's validation format.
 */
function fileError(rule: string, message: string) {
  return new errors.E_VALIDATION_ERROR([{ field: 'file', rule, message }])
}

/**
 * The file name as sent, without any path, control characters or
 * surrounding blanks.
 */
function cleanFileName(clientName: string) {
  const name = clientName
    .split(/[/\\]/)
    .at(-1)!
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .trim()
  return name.slice(0, MAX_FILE_NAME) || 'upload'
}

/**
 * The file's text: UTF-8 (a byte order mark is dropped), refused when its
 * extension is not one of the type's, it declares a non-text type, holds
 * NUL bytes (binary, or UTF-16 text) or is not valid UTF-8.
 */
async function readText(
  file: MultipartFile,
  fileName: string,
  extnames: string[],
  accepted: string
) {
  if (!extnames.includes(extname(fileName).slice(1).toLowerCase())) {
    throw fileError('file.extname', `${fileName} cannot be added: ${accepted}.`)
  }
  const declared = file.type ? `${file.type}/${file.subtype}` : null
  if (
    declared &&
    file.type !== 'text' &&
    !(file.type === 'application' && TEXT_LIKE_APPLICATION_TYPES.includes(file.subtype ?? ''))
  ) {
    throw fileError('file.mimetype', `A file of type ${declared} cannot be added: ${accepted}.`)
  }

  const bytes = await readFile(file.tmpPath!)
  if (bytes.includes(0)) {
    throw fileError(
      'file.binary',
      `The file is not text (it contains NUL bytes; UTF-16 text does too): ${accepted}.`
    )
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw fileError(
      'file.encoding',
      `The file is not valid UTF-8: save it with UTF-8 encoding and upload it again.`
    )
  }
}

/**
 * One CSV row as an FAQ pair, or what is wrong with it (validation rules
 * and messages).
 */
async function readFaqRow(values: string[]): Promise<FaqItem | RowProblem[]> {
  if (values.length !== 2) {
    return [
      {
        rule: 'csv.row',
        message: `has ${values.length} values instead of 2 (question,answer): quote values that contain commas.`,
      },
    ]
  }
  const [question, answer] = values
  try {
    return await faqItemValidator.validate({ question, answer })
  } catch (error) {
    if (!(error instanceof errors.E_VALIDATION_ERROR)) throw error
    return (error.messages as RowProblem[]).map(({ rule, message }) => ({
      rule: `csv.${rule}`,
      message,
    }))
  }
}

/**
 * The FAQ pairs of a CSV file: a `question,answer` header, then one pair
 * per row. Rows are numbered as in a spreadsheet (the header is row 1);
 * blank rows are skipped.
 */
async function readFaqCsv(text: string): Promise<FaqItem[]> {
  let records: string[][]
  try {
    records = parseCsv(text)
  } catch (error) {
    if (error instanceof CsvSyntaxError) throw fileError('csv.syntax', error.message)
    throw error
  }

  const [header, ...rows] = records
  const columns = header.map((name) => name.trim().toLowerCase())
  if (columns.join(',') !== 'question,answer') {
    const hint = columns.length === 1 && columns[0].includes(';') ? ' separated by a comma' : ''
    throw fileError(
      'csv.header',
      `The first row must be the header question,answer${hint} (found: ${header.join(',').slice(0, 100)}).`
    )
  }

  const numbered = rows
    .map((values, index) => ({ values, row: index + 2 }))
    .filter(({ values }) => values.length > 1 || values[0].trim() !== '')
  if (numbered.length === 0) {
    throw fileError('csv.rows', 'The file has no question/answer rows under its header.')
  }
  if (numbered.length > MAX_FAQ_ITEMS) {
    throw fileError(
      'csv.rows',
      `The file has ${numbered.length} question/answer rows; at most ${MAX_FAQ_ITEMS} are allowed: split it into several files.`
    )
  }

  const items: FaqItem[] = []
  const problems: { field: string; rule: string; message: string }[] = []
  let badRows = 0
  for (const { values, row } of numbered) {
    const read = await readFaqRow(values)
    if (!Array.isArray(read)) {
      items.push(read)
      continue
    }
    for (const { rule, message } of read) {
      problems.push({ field: 'file', rule, message: `Row ${row}: ${message}` })
    }
    if (++badRows === MAX_BAD_ROWS) break
  }
  if (problems.length > 0) throw new errors.E_VALIDATION_ERROR(problems)
  return items
}

/**
 * The source an upload adds: the text of a `.txt`/`.md` file (stored as
 * is) or the pairs of a `.csv` file, with the file's name. Refusals are
 * validation errors naming `file`.
 */
async function readKnowledgeUpload({
  type,
  title,
  file,
}: KnowledgeUpload): Promise<KnowledgeInput> {
  const fileName = cleanFileName(file.clientName)
  const accepted =
    type === KnowledgeSourceType.Faq
      ? 'upload a UTF-8 .csv file with a question,answer header'
      : 'upload a UTF-8 .txt or .md (Markdown) file'
  const text = await readText(file, fileName, UPLOAD_EXTNAMES[type], accepted)
  if (text.trim() === '') throw fileError('file.empty', `The file is empty: ${accepted}.`)
  const source = { type, title: title ?? fileName.slice(0, MAX_TITLE), fileName }

  if (type === KnowledgeSourceType.Faq) return { ...source, items: await readFaqCsv(text) }
  if (text.length > MAX_CONTENT) {
    throw fileError(
      'file.maxLength',
      `The file has ${text.length} characters; at most ${MAX_CONTENT} are allowed: split it into several files.`
    )
  }
  return { ...source, content: text }
}

/**
 * Validates a multipart upload and reads its file.
 */
export async function validateKnowledgeUpload(request: Request): Promise<KnowledgeInput> {
  return readKnowledgeUpload(await request.validateUsing(uploadKnowledgeValidator))
}

/**
 * Deletes a request's uploaded files from the temporary directory (the
 * body parser leaves them there): their content is kept in the database,
 * never on disk.
 */
export async function removeUploadedFiles(request: Request) {
  const files = Object.values(request.allFiles()).flat() as MultipartFile[]
  await Promise.all(files.map((file) => file.tmpPath && rm(file.tmpPath, { force: true })))
}
