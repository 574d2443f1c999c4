import { DateTime } from 'luxon'
import factory from '@adonisjs/lucid/factories'
import AuditLog from '#models/audit_log'

/**
 * Audit entries as AuditService writes them; `old` backdates one past the
 * default retention period.
 */
export const AuditLogFactory = factory
  .define(AuditLog, ({ faker }) => ({
    action: faker.helpers.arrayElement(['organization.updated', 'member.invited', 'token.created']),
    status: 'success' as const,
    httpStatus: 200,
    requestId: faker.string.uuid(),
    method: 'POST',
    path: '/api/v1/example',
    ip: faker.internet.ipv4(),
    changes: { name: faker.company.name() },
  }))
  .state('old', (entry) => {
    entry.createdAt = DateTime.utc().minus({ days: 400 })
  })
  .build()
