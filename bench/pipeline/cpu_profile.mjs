/**
 * Preloaded with NODE_OPTIONS=--import=<this file> (where `--cpu-prof` is
 * refused): samples the process's CPU from start to exit and writes
 * <BENCH_CPU_PROFILE_DIR>/<pid>.cpuprofile (open it in Chrome DevTools or
 * summarise it with profile_summary.mjs). SIGUSR2 writes it at once (the
 * web server's graceful stop does not always reach 'exit'). With
 * BENCH_CPU_PROFILE_ON_SIGNAL=1 sampling starts at the first SIGUSR2 and the
 * profile is written at the second, so boot stays out of it.
 */
import { Session } from 'node:inspector'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const directory = process.env.BENCH_CPU_PROFILE_DIR
const session = new Session()
session.connect()
session.post('Profiler.enable')

let started = false
let written = false
const start = () => {
  started = true
  session.post('Profiler.start')
}
// The in-process inspector answers synchronously, so this works in 'exit'.
const write = () => {
  if (written || !started) return
  written = true
  session.post('Profiler.stop', (error, result) => {
    if (error) return
    mkdirSync(directory, { recursive: true })
    writeFileSync(join(directory, `${process.pid}.cpuprofile`), JSON.stringify(result.profile))
  })
}

if (process.env.BENCH_CPU_PROFILE_ON_SIGNAL === '1') {
  process.on('SIGUSR2', () => (started ? write() : start()))
} else {
  start()
  process.once('SIGUSR2', write)
}
process.once('exit', write)
