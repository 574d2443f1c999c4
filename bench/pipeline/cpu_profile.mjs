/**
 * Preloaded with NODE_OPTIONS=--import=<this file> (where `--cpu-prof` is
 * refused): samples the process's CPU from start to exit and writes
 * <BENCH_CPU_PROFILE_DIR>/<pid>.cpuprofile (open it in Chrome DevTools or
 * summarise it with profile_summary.mjs).
 */
import { Session } from 'node:inspector'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const directory = process.env.BENCH_CPU_PROFILE_DIR
const session = new Session()
session.connect()
session.post('Profiler.enable')
session.post('Profiler.start')

// The in-process inspector answers synchronously, so this works in 'exit'.
process.once('exit', () => {
  session.post('Profiler.stop', (error, result) => {
    if (error) return
    mkdirSync(directory, { recursive: true })
    writeFileSync(join(directory, `${process.pid}.cpuprofile`), JSON.stringify(result.profile))
  })
})
