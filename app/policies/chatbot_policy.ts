import TenantPolicy from '#policies/tenant_policy'

export default class ChatbotPolicy extends TenantPolicy {
  viewAny() {
    return this.permits('chatbots.view')
  }

  view() {
    return this.permits('chatbots.view')
  }

  create() {
    return this.permits('chatbots.manage')
  }

  update() {
    return this.permits('chatbots.manage')
  }

  delete() {
    return this.permits('chatbots.manage')
  }
}
