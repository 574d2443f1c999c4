import TenantPolicy from '#policies/tenant_policy'

/**
 * Conversations: reading them, and taking part (agent replies, status
 * changes, messages sent to a chatbot through the API).
 */
export default class ConversationPolicy extends TenantPolicy {
  viewAny() {
    return this.permits('conversations.view')
  }

  view() {
    return this.permits('conversations.view')
  }

  reply() {
    return this.permits('conversations.reply')
  }

  update() {
    return this.permits('conversations.reply')
  }
}
