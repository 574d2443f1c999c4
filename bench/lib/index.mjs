/**
 * The bench harness, one import for every scenario:
 *   import { benchEnv, prepareDatabase, startWeb, autocannonRun, printTable, rssOf } from './lib/index.mjs'
 */
export { ace, benchEnv, BENCH_PORTS, DEMO_OWNER, prepareDatabase, ROOT } from './env.mjs'
export { startWeb } from './web.mjs'
export { autocannonRun, fixedRateRun, percentile, queriesOf, shortSql, summarize } from './load.mjs'
export { fmt, machine, printTable, ratio, rssOf } from './report.mjs'
export { apiLogin, consoleLogin } from './auth.mjs'
export { CHATBOTS, fixture } from './fixture.mjs'
