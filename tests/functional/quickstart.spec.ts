import { rm } from 'node:fs/promises'
import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import { closedPort, spawnParley } from '#tests/helpers/processes'
import { waitFor } from '#tests/helpers/wait_for'

test.group('Quick start', () => {
  test('npm run quickstart ends with web and worker running and /api/ping answering', async ({
    assert,
    cleanup,
  }) => {
    const port = await closedPort()
    const database = `quickstart_check_${process.pid}`
    cleanup(() => rm(app.tmpPath(`${database}.sqlite3`), { force: true }))

    const quickstart = spawnParley(['scripts/quickstart.mjs'], {
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(port),
      DB_CONNECTION: 'sqlite',
      DB_DATABASE: database,
      REDIS_DB: '1',
      QUEUE_PREFIX: `parley-quickstart-${process.pid}`,
      LOG_LEVEL: 'warn',
    })
    cleanup(() => quickstart.stop())

    await waitFor(() => quickstart.output().includes('Parley is running at'), 90_000, 200)
    assert.include(quickstart.output(), `http://127.0.0.1:${port}`)

    const response = await fetch(`http://127.0.0.1:${port}/api/ping`)
    assert.equal(response.status, 200)
    assert.deepEqual(((await response.json()) as any).data, { status: 'ok' })

    const home = await fetch(`http://127.0.0.1:${port}/`)
    assert.include(await home.text(), 'Sign in to Parley')

    quickstart.child.kill('SIGTERM')
    assert.equal(await quickstart.exited, 0, quickstart.output())
  }).timeout(120_000)
})
