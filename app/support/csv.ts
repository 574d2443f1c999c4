/**
 * Characters that make a spreadsheet read a cell as a formula (or, for tab
 * and carriage return, shift it into one): such cells get a leading `'` so
 * an exported value can never run in the reader's spreadsheet.
 */
const FORMULA_START = /^[=+\-@\t\r]/

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/

/**
 * One CSV cell (RFC 4180 quoting, formula-injection safe). Null and
 * undefined are empty cells.
 */
export function csvCell(value: unknown) {
  if (value === null || value === undefined) return ''
  let text = String(value)
  if (FORMULA_START.test(text)) text = `'${text}`
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** One CSV line, CRLF-terminated. */
export function csvLine(values: unknown[]) {
  return `${values.map(csvCell).join(',')}\r\n`
}

/**
 * A CSV text that cannot be read; `row` counts records from 1 (the header),
 * as a spreadsheet numbers its rows.
 */
export class CsvSyntaxError extends Error {
  constructor(
    message: string,
    readonly row: number
  ) {
    super(`Row ${row}: ${message}`)
  }
}

const isBlank = (text: string) => text.trim() === ''

/**
 * The records of a CSV text (RFC 4180: comma-separated, `"` quoting with
 * `""` inside quotes, line breaks inside quoted values kept; CRLF, LF or
 * CR ends a record). Blank space around a quoted value is tolerated. A
 * blank line is a record of one empty value; a final line break adds no
 * record.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = []
  let record: string[] = []
  let value = ''
  let inQuotes = false
  let wasQuoted = false

  const endValue = () => {
    record.push(value)
    value = ''
    wasQuoted = false
  }
  const endRecord = () => {
    endValue()
    records.push(record)
    record = []
  }

  for (let at = 0; at < text.length; at++) {
    const char = text[at]
    if (inQuotes) {
      if (char !== '"') value += char
      else if (text[at + 1] === '"') value += text[++at]
      else inQuotes = false
    } else if (char === ',') {
      endValue()
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[at + 1] === '\n') at++
      endRecord()
    } else if (wasQuoted) {
      if (!isBlank(char)) {
        throw new CsvSyntaxError(
          'text after a closing quote: a value with quotes must be quoted whole, with each " doubled',
          records.length + 1
        )
      }
    } else if (char === '"') {
      if (!isBlank(value)) {
        throw new CsvSyntaxError(
          'a quote inside an unquoted value: quote the value and double the quote ("")',
          records.length + 1
        )
      }
      value = ''
      inQuotes = true
      wasQuoted = true
    } else {
      value += char
    }
  }
  if (inQuotes) {
    throw new CsvSyntaxError('a quoted value is never closed', records.length + 1)
  }
  if (value !== '' || wasQuoted || record.length > 0) endRecord()
  return records
}
