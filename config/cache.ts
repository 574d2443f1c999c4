import { defineConfig, store, drivers } from '@adonisjs/cache'

/**
 * Two-tier cache: an in-process memory layer in front of Redis, kept
 * coherent across processes by bentocache's bus.
 */
const cacheConfig = defineConfig({
  default: 'default',

  stores: {
    memoryOnly: store().useL1Layer(drivers.memory({ maxSize: '50mb' })),

    default: store()
      .useL1Layer(drivers.memory({ maxSize: '50mb' }))
      .useL2Layer(drivers.redis({ connectionName: 'main' }))
      .useBus(drivers.redisBus({ connectionName: 'main' })),
  },
})

export default cacheConfig

declare module '@adonisjs/cache/types' {
  interface CacheStores extends InferStores<typeof cacheConfig> {}
}
