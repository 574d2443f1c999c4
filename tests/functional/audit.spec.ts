import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import AuditService from '#services/audit_service'
import { auditQuery, findAudit, findAuditOrFail } from '#tests/helpers/audit'

test.group('Audit trail', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('successWithLog writes one complete entry before it answers', async ({ client, assert }) => {
    const response = await client
      .post('/api/__fixtures/audited')
      .header('x-request-id', 'audit-trace-0001')
      .header('user-agent', 'parley-tests/1.0')
      .json({ name: 'Launch bot', tags: ['a', 'b'] })

    response.assertStatus(201)
    assert.equal(response.body().message, 'Fixture saved')

    const rows = await auditQuery().where('request_id', 'audit-trace-0001')
    assert.lengthOf(rows, 1)
    const [entry] = rows
    assert.containsSubset(entry.serialize(), {
      action: 'fixture.updated',
      status: 'success',
      http_status: 201,
      message: 'Fixture saved',
      error_code: null,
      subject_type: 'fixture',
      subject_id: '42',
      user_agent: 'parley-tests/1.0',
      request_id: 'audit-trace-0001',
      method: 'POST',
      path: '/api/__fixtures/audited',
      organization_id: null,
      actor_user_id: null,
      actor_token_id: null,
    })
    assert.match(entry.ip!, /127\.0\.0\.1|::1/)
    assert.isAtLeast(entry.durationMs!, 0)
    assert.deepEqual(entry.changes, { name: 'Launch bot', tags: ['a', 'b'] })
    assert.isTrue(entry.createdAt.isValid)
  })

  test('secrets never reach the audit row, however deeply nested', async ({ client, assert }) => {
    await client
      .post('/api/__fixtures/audited')
      .header('x-request-id', 'audit-trace-0002')
      .json({
        password: 'hunter2-top',
        profile: { name: 'Ada', password: 'hunter2-nested' },
        headers: { authorization: 'Bearer sk-live-123', accept: 'json' },
        integrations: [{ api_key: 'sk-abc', url: 'https://n8n.example' }],
        billing: { credit_card: '4111111111111111' },
      })

    const entry = await findAuditOrFail('request_id', 'audit-trace-0002')
    const stored = JSON.stringify(entry.changes)
    for (const secret of [
      'hunter2-top',
      'hunter2-nested',
      'sk-live-123',
      'sk-abc',
      '4111111111111111',
    ]) {
      assert.notInclude(stored, secret)
    }
    assert.equal((entry.changes as any).profile.name, 'Ada')
    assert.equal((entry.changes as any).headers.accept, 'json')
    assert.equal((entry.changes as any).integrations[0].url, 'https://n8n.example')

    const raw = await db.from('audit_logs').where('request_id', 'audit-trace-0002').first()
    assert.notInclude(JSON.stringify(raw), 'hunter2')
  })

  test('errorWithLog records the failure with its code', async ({ client, assert }) => {
    await client
      .post('/api/__fixtures/audited-error')
      .header('x-request-id', 'audit-trace-0003')
      .json({ reason: 'try', token: 'tok-123' })

    const entry = await findAuditOrFail('request_id', 'audit-trace-0003')
    assert.containsSubset(entry.serialize(), {
      action: 'fixture.rejected',
      status: 'error',
      http_status: 409,
      error_code: 'FIXTURE_LOCKED',
      message: 'This fixture cannot be changed: it is locked.',
    })
    assert.deepEqual(entry.changes, { reason: 'try', token: '[REDACTED]' })
  })

  test('concurrent requests each get their own entry (group commit loses none)', async ({
    client,
    assert,
  }) => {
    const ids = Array.from(
      { length: 40 },
      (_, index) => `audit-burst-${String(index).padStart(4, '0')}`
    )
    const responses = await Promise.all(
      ids.map((id) =>
        client.post('/api/__fixtures/audited').header('x-request-id', id).json({ id })
      )
    )
    responses.forEach((response) => response.assertStatus(201))

    const rows = await auditQuery().whereIn('request_id', ids)
    assert.lengthOf(rows, ids.length)
    assert.sameMembers(
      rows.map((row) => row.requestId),
      ids
    )
  })

  test('a batch keeps every value exactly: quotes, braces, commas, backslashes, nulls, JSON', async ({
    assert,
  }) => {
    const awkward = [
      'plain',
      'a "quoted", {braced} value',
      'back\\slash \\"',
      'NULL',
      '',
      'émoji 🙂',
    ]
    const entries = awkward.map((text, index) => ({
      action: 'fixture.batched',
      message: text,
      organizationId: index % 2 ? null : 1,
      subject: { type: 'fixture', id: text || 'empty' },
      changes: index === 3 ? undefined : { text, list: [text, null, { nested: text }] },
      requestId: `audit-batch-${index}`,
      durationMs: index,
    }))
    // Recorded together: one write carries them all.
    await Promise.all(entries.map((entry) => AuditService.record(entry)))

    const rows = await auditQuery().where('action', 'fixture.batched').orderBy('request_id')
    assert.lengthOf(rows, awkward.length)
    rows.forEach((row, index) => {
      assert.equal(row.message, awkward[index] === '' ? null : awkward[index])
      assert.equal(row.subjectId, awkward[index] || 'empty')
      assert.equal(row.organizationId, index % 2 ? null : 1)
      assert.equal(row.durationMs, index)
      assert.deepEqual(
        row.changes,
        index === 3
          ? null
          : { text: awkward[index], list: [awkward[index], null, { nested: awkward[index] }] }
      )
    })
  })

  test('plain success writes no audit entry', async ({ client, assert }) => {
    await client.get('/api/ping').header('x-request-id', 'audit-trace-0004')
    assert.isNull(await findAudit('request_id', 'audit-trace-0004'))
  })
})
