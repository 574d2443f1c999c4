/*
 * Live console regions over server-sent events (Transmit), no framework.
 *
 * An element with `data-live-channel="<channel>"` subscribes to that
 * channel with the console session; on every event the page is fetched
 * again and the elements named in `data-live-regions` (ids) are replaced by
 * their fresh, server-rendered versions, so live content is rendered (and
 * escaped) exactly like the page itself. `data-live-delta="<id>"` names an
 * element showing a reply the bot is still writing (`message.delta`).
 * After a lost connection the browser reconnects; the script subscribes
 * again and refreshes once, catching up what it missed.
 */
;(() => {
  const root = document.querySelector('[data-live-channel]')
  if (!root || !window.EventSource) return
  const channel = root.dataset.liveChannel
  const regions = (root.dataset.liveRegions || root.id).split(/\s+/).filter(Boolean)
  const deltaTarget = root.dataset.liveDelta ? document.getElementById(root.dataset.liveDelta) : null
  const uid = crypto.randomUUID()
  let timer = null
  let connectedOnce = false
  let refreshing = null

  async function refresh() {
    const response = await fetch(location.href, {
      credentials: 'same-origin',
      headers: { Accept: 'text/html' },
    })
    if (!response.ok) return
    const fresh = new DOMParser().parseFromString(await response.text(), 'text/html')
    for (const id of regions) {
      const current = document.getElementById(id)
      const next = fresh.getElementById(id)
      if (current && next) current.replaceWith(document.importNode(next, true))
    }
    if (deltaTarget) {
      deltaTarget.hidden = true
      deltaTarget.textContent = ''
    }
    document.dispatchEvent(new CustomEvent('live:refreshed'))
  }

  // Bursts of events (a reply and its status change) cost one fetch.
  function scheduleRefresh() {
    clearTimeout(timer)
    timer = setTimeout(() => {
      refreshing = (refreshing || Promise.resolve())
        .then(refresh)
        .catch(() => {})
        .finally(() => (refreshing = null))
    }, 150)
  }

  function showDelta(text) {
    if (!deltaTarget) return
    deltaTarget.hidden = false
    deltaTarget.textContent = `The bot is writing: ${deltaTarget.dataset.text || ''}${text}`
    deltaTarget.dataset.text = (deltaTarget.dataset.text || '') + text
  }

  async function subscribe() {
    await fetch('/__transmit/subscribe', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
      body: JSON.stringify({ uid, channel }),
    })
  }

  const source = new EventSource(`/__transmit/events?uid=${encodeURIComponent(uid)}`)
  source.addEventListener('open', () => {
    subscribe()
      .then(() => {
        document.documentElement.dataset.liveReady = 'true'
        if (connectedOnce) scheduleRefresh()
        connectedOnce = true
      })
      .catch(() => {})
  })
  source.addEventListener('message', (event) => {
    let data
    try {
      data = JSON.parse(event.data)
    } catch {
      return
    }
    if (!data || data.channel !== channel || !data.payload) return
    if (data.payload.type === 'message.delta') showDelta(data.payload.text || '')
    else {
      if (deltaTarget) deltaTarget.dataset.text = ''
      scheduleRefresh()
    }
  })
})()
