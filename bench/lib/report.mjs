/**
 * What the bench prints: tables, memory of a process, the machine.
 */
import { readFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'

/** Resident memory of a process in MB, from /proc/<pid>/status (VmRSS); null elsewhere. */
export function rssOf(pid) {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Math.round(Number(match[1]) / 1024) : null
  } catch {
    return null
  }
}

/** "N cores, <CPU model>, N GB RAM" of this machine. */
export function machine() {
  let model = cpus()[0]?.model ?? 'unknown CPU'
  try {
    model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model
  } catch {}
  const gb = Math.round(totalmem() / 2 ** 30)
  return `${cpus().length} cores (${model.trim()}), ${gb} GB RAM, Node ${process.versions.node}`
}

/** A number for a table cell: integers with separators, small values with decimals. */
export function fmt(value, digits = 1) {
  if (value === null || value === undefined || Number.isNaN(value)) return '-'
  if (typeof value !== 'number') return String(value)
  if (Number.isInteger(value) || Math.abs(value) >= 100) {
    return Math.round(value).toLocaleString('en-US')
  }
  return value.toFixed(digits)
}

/**
 * Prints rows (objects; the first row's keys are the columns) as an
 * aligned text table under a title. Numbers go through fmt().
 */
export function printTable(title, rows) {
  console.log(`\n${title}`)
  if (rows.length === 0) return console.log('  (no rows)')
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))]
  const cells = rows.map((row) => columns.map((column) => fmt(row[column])))
  const widths = columns.map((column, i) =>
    Math.max(column.length, ...cells.map((line) => line[i].length))
  )
  const line = (values) =>
    values
      .map((value, i) =>
        i === 0 || Number.isNaN(Number(value.replace(/[,%x]/g, '')))
          ? value.padEnd(widths[i])
          : value.padStart(widths[i])
      )
      .join('  ')
  console.log(`  ${line(columns)}`)
  console.log(`  ${widths.map((width) => '-'.repeat(width)).join('  ')}`)
  cells.forEach((values) => console.log(`  ${line(values)}`))
}

/** `a / b` as "0.52x". */
export const ratio = (a, b) => (b ? `${(a / b).toFixed(2)}x` : '-')
