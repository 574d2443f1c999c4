import { test } from '@japa/runner'
import { closedPort, spawnParley } from '#tests/helpers/processes'
import { waitFor } from '#tests/helpers/wait_for'

const CHECKS = ['database', 'redis', 'queue', 'storage', 'disk', 'heap']

test.group('Health', () => {
  test('GET /api/ping answers {status: "ok"} in the envelope', async ({ client, assert }) => {
    const response = await client.get('/api/ping')

    response.assertStatus(200)
    assert.isTrue(response.body().success)
    assert.deepEqual(response.body().data, { status: 'ok' })
  })

  test('GET /api/health passes every check, without details by default', async ({
    client,
    assert,
  }) => {
    const response = await client.get('/api/health')

    response.assertStatus(200)
    const report = response.body().data
    assert.isTrue(report.healthy)
    assert.deepEqual(
      report.checks.map((check: any) => check.name),
      CHECKS
    )
    for (const check of report.checks) {
      assert.equal(check.status, 'ok', `${check.name}: ${check.message}`)
      assert.isString(check.message)
      assert.notProperty(check, 'meta')
    }
    assert.notProperty(report, 'debug')
  })

  test('the detailed report needs the HEALTH_TOKEN header', async ({ client, assert }) => {
    const wrong = await client.get('/api/health').header('x-health-token', 'guess')
    assert.notProperty(wrong.body().data, 'debug')

    const response = await client.get('/api/health').header('x-health-token', 'test-health-token')
    response.assertStatus(200)
    const report = response.body().data
    assert.equal(report.debug.node, process.version)
    assert.property(report.debug, 'adonisjs')
    const redis = report.checks.find((check: any) => check.name === 'redis')
    assert.isAtLeast(redis.meta.latency_ms, 0)
    assert.match(redis.meta.version, /^\d+\.\d+/)
    const queue = report.checks.find((check: any) => check.name === 'queue')
    assert.properties(queue.meta.depth, ['high', 'default', 'low', 'mail'])
  })

  test('with Redis unreachable, /api/health answers 503 naming Redis', async ({
    assert,
    cleanup,
  }) => {
    const port = await closedPort()
    const webPort = await closedPort()
    const server = spawnParley(['--import=ts-node-maintained/register/esm', 'bin/server.js'], {
      PORT: String(webPort),
      HOST: '127.0.0.1',
      REDIS_PORT: String(port),
    })
    cleanup(() => server.stop())

    const url = `http://127.0.0.1:${webPort}/api/health`
    const response = await waitFor(() => fetch(url).catch(() => null), 30_000, 200)

    assert.equal(response.status, 503, server.output())
    const body: any = await response.json()
    assert.isFalse(body.success)
    assert.equal(body.error_code, 'SERVICE_UNAVAILABLE')
    assert.include(body.message, 'redis')
    const failing = body.errors.map((error: any) => error.field)
    assert.includeMembers(failing, ['redis', 'queue'])
    assert.notInclude(failing, 'database')
    assert.include(
      body.errors.find((error: any) => error.field === 'redis').message,
      'Redis is unreachable'
    )
  }).timeout(60_000)
})
