import { test } from '@japa/runner'
import { GroupCommit } from '#support/group_commit'

test.group('GroupCommit', () => {
  test('items arriving during a write go together in the next one, at most maxBatch each', async ({
    assert,
  }) => {
    const writes: number[][] = []
    let release!: () => void
    const firstWrite = new Promise<void>((resolve) => (release = resolve))
    const commit = new GroupCommit<number>(async (items) => {
      writes.push(items)
      if (writes.length === 1) await firstWrite
    }, 3)

    const settled: number[] = []
    const all = [1, 2, 3, 4, 5, 6].map((item) => commit.write(item).then(() => settled.push(item)))
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepEqual(writes, [[1]])
    assert.deepEqual(settled, [], 'nothing settles before its write is done')
    release()
    await Promise.all(all)
    assert.deepEqual(writes, [[1], [2, 3, 4], [5, 6]])
    assert.deepEqual(settled, [1, 2, 3, 4, 5, 6])
  })

  test('a failed write rejects its own items only; the next write still runs', async ({
    assert,
  }) => {
    const commit = new GroupCommit<string>(async (items) => {
      if (items.includes('bad')) throw new Error('refused')
    }, 1)
    const results = await Promise.allSettled([
      commit.write('good'),
      commit.write('bad'),
      commit.write('later'),
    ])
    assert.deepEqual(
      results.map((result) => result.status),
      ['fulfilled', 'rejected', 'fulfilled']
    )
  })
})
