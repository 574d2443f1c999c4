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
