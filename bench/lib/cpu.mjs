/**
 * Where the machine's CPU went during a run, by process group: the web
 * and worker processes (by pid), PostgreSQL and Redis (by command name),
 * this bench process (autocannon) and everything else, from
 * /proc/<pid>/stat (user + system time). Linux only: elsewhere every
 * snapshot is empty and the tables say so.
 */
import { readdirSync, readFileSync } from 'node:fs'

const TICKS_PER_SECOND = 100 // USER_HZ, 100 on every Linux we run on
const NAMED = { 'postgres': 'postgres', 'redis-server': 'redis' }

/** CPU seconds so far per group; `pids` maps a group name to its pids. */
export function cpuSnapshot(pids = {}) {
  const groupOf = new Map([[process.pid, 'bench (autocannon)']])
  for (const [group, list] of Object.entries(pids)) for (const pid of list) groupOf.set(pid, group)
  const seconds = {}
  let entries = []
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name))
  } catch {
    return seconds
  }
  for (const entry of entries) {
    let stat
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
    } catch {
      continue // the process ended meanwhile
    }
    const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const used = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
    const group = groupOf.get(Number(entry)) ?? NAMED[command] ?? 'other'
    seconds[group] = (seconds[group] ?? 0) + used
  }
  return seconds
}

/**
 * Rows of CPU ms per unit of work (`units` messages or requests) and the
 * share of the machine's cores each group used over `wallSeconds`.
 */
export function cpuRows(before, after, { units, wallSeconds, cores }) {
  const groups = Object.keys(after).filter((group) => after[group] - (before[group] ?? 0) > 0.005)
  const rows = groups.map((group) => {
    const used = after[group] - (before[group] ?? 0)
    return {
      'process': group,
      'CPU ms per message': (used * 1000) / units,
      'share of the cores': `${Math.round((used / (wallSeconds * cores)) * 100)}%`,
    }
  })
  rows.sort((a, b) => b['CPU ms per message'] - a['CPU ms per message'])
  const total = rows.reduce((sum, row) => sum + row['CPU ms per message'], 0)
  const busy = groups.reduce((sum, group) => sum + after[group] - (before[group] ?? 0), 0)
  rows.push({
    'process': 'all',
    'CPU ms per message': total,
    'share of the cores': `${Math.round((busy / (wallSeconds * cores)) * 100)}%`,
  })
  return rows
}
