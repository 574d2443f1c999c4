import type { redis } from '@adonisjs/transmit/transports'

type Transport = ReturnType<ReturnType<typeof redis>>

/**
 * A bus transport that sends and never listens, for processes that serve
 * no event streams (workers, ace commands): with the Redis transport every
 * subscribed process receives, decodes and dispatches every broadcast of
 * every other process, which a worker would do for nothing.
 */
export class PublishOnlyTransport {
  constructor(readonly inner: Transport) {}

  setId(id: string) {
    this.inner.setId(id)
    return this
  }

  publish(...args: Parameters<Transport['publish']>) {
    return this.inner.publish(...args)
  }

  async subscribe(_channel: string, _handler: (message: any) => void) {}

  async unsubscribe(_channel: string) {}

  onReconnect(_callback: () => void) {}

  disconnect() {
    return this.inner.disconnect()
  }
}
