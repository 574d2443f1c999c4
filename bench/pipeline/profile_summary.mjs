/**
 * Where a CPU profile's time went: self time by package (or app folder)
 * and the top functions.
 *
 *   node bench/pipeline/profile_summary.mjs tmp/bench-chat-prof/<pid>.cpuprofile [top]
 */
import { readFileSync } from 'node:fs'

/** `node_modules/@scope/pkg` or `node_modules/pkg`, else the app folder, else the node internal. */
function areaOf(url) {
  if (!url) return '(native/gc/idle)'
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (module) return module[1]
  const app = /\/work\/[^/]+\/[^/]+\/((?:app|start|config)\/[^/]+)/.exec(url)
  if (app) return app[1]
  return url.startsWith('node:') ? 'node internals' : url.replace(/^file:\/\/.*\//, '')
}

export function summarizeProfile(profile, top = 25) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const self = new Map()
  const intervals = profile.timeDeltas
  profile.samples.forEach((id, index) =>
    self.set(id, (self.get(id) ?? 0) + (intervals[index] ?? 0))
  )
  const total = [...self.values()].reduce((sum, value) => sum + value, 0)

  const areas = new Map()
  const functions = new Map()
  for (const [id, micros] of self) {
    const { callFrame } = byId.get(id)
    const area = callFrame.functionName === '(idle)' ? '(idle)' : areaOf(callFrame.url)
    areas.set(area, (areas.get(area) ?? 0) + micros)
    const name = `${callFrame.functionName || '(anonymous)'} ${areaOf(callFrame.url)}:${callFrame.lineNumber + 1}`
    functions.set(name, (functions.get(name) ?? 0) + micros)
  }
  const rank = (map) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => ({
        name,
        ms: Math.round(micros / 1000),
        share: `${((micros / total) * 100).toFixed(1)}%`,
      }))
  return { totalMs: Math.round(total / 1000), areas: rank(areas), functions: rank(functions) }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const summary = summarizeProfile(
    JSON.parse(readFileSync(process.argv[2], 'utf8')),
    Number(process.argv[3] || 25)
  )
  console.log(`total ${summary.totalMs} ms`)
  console.table(summary.areas)
  console.table(summary.functions)
}
