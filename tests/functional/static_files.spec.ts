import { test } from '@japa/runner'

test.group('Static files of public/', () => {
  test('files at any depth are served with caching headers', async ({ client, assert }) => {
    for (const [path, type] of [
      ['/widget.js', 'javascript'],
      ['/favicon.ico', 'image'],
      ['/vendor/htmx.min.js', 'javascript'],
      ['/css/app.css', 'css'],
    ]) {
      const response = await client.get(path)
      response.assertStatus(200)
      assert.include(response.header('content-type'), type, path)
      assert.exists(response.header('etag'), path)
      assert.exists(response.header('x-request-id'), path)
    }
  })

  test('what is not a file reaches the router; nothing outside public/ is served', async ({
    client,
    assert,
  }) => {
    const api = await client.get('/api/ping')
    api.assertStatus(200)
    assert.isTrue(api.body().success)

    for (const path of [
      '/vendor/missing.js',
      '/widget.js/x',
      '/%E0%A4%A',
      '/../.env',
      '/..%2F.env',
    ]) {
      const response = await client.get(path)
      assert.equal(response.status(), 404, path)
      assert.notInclude(response.text(), 'APP_KEY', path)
    }
  })
})
