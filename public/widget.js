/*!
 * Parley web widget: one tag on any page,
 *   <script src="https://parley.example/widget.js" data-chatbot="pk_…" async></script>
 * (`data-api` overrides the API's base URL, the script's own origin by default).
 * Vanilla JS in a Shadow DOM; the only global is `window.ParleyWidget`.
 */
;(function () {
  'use strict'
  if (window.ParleyWidget) return
  var script =
    document.currentScript || document.querySelector('script[data-chatbot][src*="widget.js"]')
  var key = script && script.getAttribute('data-chatbot')
  if (!key) return
  var api = (script.getAttribute('data-api') || new URL(script.src, location.href).origin).replace(
    /\/+$/,
    ''
  )
  var storeKey = 'parley:' + key
  var TYPING_TIMEOUT = 60000

  var FRIENDLY = {
    404: 'This chat is not available right now.',
    409: 'This chat is paused at the moment: please try again later.',
    429: 'You are sending messages too quickly: please wait a moment and try again.',
    0: 'The connection was lost: check your network and try again.',
  }

  var CSS =
    ':host{all:initial}*{box-sizing:border-box;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}' +
    '.bubble{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:56px;height:56px;border-radius:50%;border:0;background:#206bc4;color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);display:grid;place-items:center}' +
    'button:focus-visible,textarea:focus-visible{outline:3px solid #f59f00;outline-offset:2px}' +
    '.panel{position:fixed;right:20px;bottom:88px;z-index:2147483000;width:min(370px,calc(100vw - 24px));height:min(540px,calc(100vh - 110px));display:flex;flex-direction:column;background:#fff;color:#1d273b;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);overflow:hidden}' +
    '.panel[hidden]{display:none}' +
    'header{display:flex;align-items:center;justify-content:space-between;padding:12px 14px;background:#206bc4;color:#fff}' +
    'h2{margin:0;font-weight:600;font-size:16px;color:inherit}' +
    '.close{background:none;border:0;color:#fff;font-size:22px;line-height:1;cursor:pointer;padding:2px 8px;border-radius:6px}' +
    '.log{flex:1;overflow-y:auto;margin:0;padding:12px;list-style:none;display:flex;flex-direction:column;gap:8px;background:#f6f8fb}' +
    '.msg{max-width:85%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word;background:#fff;border:1px solid #e6e7e9;align-self:flex-start}' +
    '.msg.user{align-self:flex-end;background:#206bc4;color:#fff;border-color:#206bc4}' +
    '.who{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}' +
    '.typing{color:#667382;font-style:italic}' +
    '.error{margin:0;padding:8px 12px;background:#fcebeb;color:#a32020}' +
    '.error:empty{display:none}' +
    'form{display:flex;gap:8px;padding:10px;border-top:1px solid #e6e7e9;background:#fff}' +
    'textarea{flex:1;resize:none;height:40px;padding:9px;border:1px solid #c8ced6;border-radius:8px;color:#1d273b;background:#fff}' +
    '.send{border:0;border-radius:8px;padding:0 14px;background:#206bc4;color:#fff;cursor:pointer;font-weight:600}' +
    '.send:disabled{opacity:.6;cursor:default}'

  var ICON =
    '<svg width="26" height="26" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" aria-hidden="true"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z"/></svg>'

  var host = document.createElement('div')
  host.setAttribute('data-parley-widget', '')
  var root = host.attachShadow({ mode: 'open' })
  root.innerHTML =
    '<style>' +
    CSS +
    '</style>' +
    '<button class="bubble" type="button" aria-label="Open chat" aria-expanded="false" aria-controls="p">' +
    ICON +
    '</button>' +
    '<div class="panel" id="p" role="dialog" aria-labelledby="t" hidden>' +
    '<header><h2 id="t">Chat</h2><button class="close" type="button" aria-label="Close chat">&times;</button></header>' +
    '<ol class="log" role="log" aria-live="polite" aria-label="Messages"></ol>' +
    '<p class="error" role="alert"></p>' +
    '<form><textarea aria-label="Your message" placeholder="Type your message…" maxlength="4000" rows="1"></textarea>' +
    '<button class="send" type="submit">Send</button></form></div>'

  var $ = function (selector) {
    return root.querySelector(selector)
  }
  var bubble = $('.bubble')
  var panel = $('.panel')
  var title = $('#t')
  var log = $('.log')
  var errorBox = $('.error')
  var form = $('form')
  var input = $('textarea')
  var sendButton = $('.send')

  var state = load() // {id, token, last, name}
  var rendered = {} // message id → element
  var typing = null // {el, replyTo, timer}
  var stream = null
  var retryDelay = 1000
  var starting = null

  function load() {
    try {
      return JSON.parse(localStorage.getItem(storeKey) || 'null')
    } catch (e) {
      return null
    }
  }
  function save() {
    try {
      localStorage.setItem(storeKey, JSON.stringify(state))
    } catch (e) {}
  }
  function forget() {
    state = null
    try {
      localStorage.removeItem(storeKey)
    } catch (e) {}
  }

  function showError(status) {
    errorBox.textContent =
      status === null ? '' : FRIENDLY[status] || 'Something went wrong: please try again.'
  }

  /** A call to the public chat API: resolves with the envelope's data and meta, rejects with {status}. */
  function call(method, path, body) {
    var headers = { Accept: 'application/json' }
    if (body) headers['Content-Type'] = 'application/json'
    if (state && state.token) headers['X-Visitor-Token'] = state.token
    return fetch(api + path, {
      method: method,
      headers: headers,
      body: body && JSON.stringify(body),
    }).then(
      function (response) {
        // Transmit's subscribe answers 204 with no body.
        if (response.status === 204) return {}
        return response.json().then(
          function (json) {
            if (!response.ok) throw { status: response.status }
            return json
          },
          function () {
            throw { status: response.status }
          }
        )
      },
      function () {
        throw { status: 0 }
      }
    )
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight
  }

  function bubbleFor(role, text) {
    var item = document.createElement('li')
    item.className = 'msg ' + (role === 'user' ? 'user' : 'bot')
    var who = document.createElement('span')
    who.className = 'who'
    who.textContent =
      role === 'user' ? 'You: ' : (state && state.name ? state.name : 'Assistant') + ': '
    var body = document.createElement('span')
    body.className = 'text'
    body.textContent = text
    item.appendChild(who)
    item.appendChild(body)
    return item
  }

  function render(message) {
    if (!message || message.role === 'system' || rendered[message.id]) return
    var item = bubbleFor(message.role, message.content)
    rendered[message.id] = item
    if (message.role !== 'user') stopTyping()
    log.insertBefore(item, typing ? typing.el : null)
    if (state && message.id > (state.last || 0)) {
      state.last = message.id
      save()
    }
    scrollDown()
  }

  function startTyping(replyTo) {
    stopTyping()
    var el = bubbleFor('assistant', '')
    el.classList.add('typing')
    el.setAttribute('aria-label', 'The assistant is typing')
    el.lastChild.textContent = '…'
    log.appendChild(el)
    typing = { el: el, replyTo: replyTo, text: '', timer: setTimeout(stopTyping, TYPING_TIMEOUT) }
    scrollDown()
  }
  function stopTyping() {
    if (!typing) return
    clearTimeout(typing.timer)
    typing.el.remove()
    typing = null
  }

  /** Every message after the last one seen (pages of 50, at most 20 pages). */
  function catchUp(pages) {
    if (!state) return Promise.resolve()
    pages = pages || 0
    return call(
      'GET',
      '/api/v1/public/conversations/' + state.id + '/messages?after=' + (state.last || 0)
    ).then(
      function (json) {
        json.data.forEach(render)
        if (json.meta && json.meta.has_more && pages < 20) return catchUp(pages + 1)
      },
      function (error) {
        // The conversation is gone (or its token): the next open starts a new one.
        if (error.status === 404 || error.status === 401) reset()
        else throw error
      }
    )
  }

  function reset() {
    forget()
    closeStream()
    log.textContent = ''
    rendered = {}
  }

  function onEvent(event) {
    var frame
    try {
      frame = JSON.parse(event.data)
    } catch (e) {
      return
    }
    if (!state || frame.channel !== 'visitors/conversations/' + state.id) return
    var payload = frame.payload || {}
    if (payload.type === 'message.created') render(payload.message)
    else if (payload.type === 'message.delta' && typing && payload.reply_to_id === typing.replyTo) {
      typing.text += payload.text
      typing.el.lastChild.textContent = typing.text
      scrollDown()
    } else if (
      payload.type === 'message.updated' &&
      typing &&
      payload.message.id === typing.replyTo &&
      payload.message.status === 'failed'
    ) {
      stopTyping()
    } else if (
      payload.type === 'conversation.updated' &&
      payload.conversation.status === 'handoff'
    ) {
      stopTyping()
    }
  }

  /** Opens the event stream; on every (re)open subscribes again and catches up. */
  function connect() {
    if (stream || !state || typeof EventSource === 'undefined') return
    var uid = crypto.randomUUID
      ? crypto.randomUUID()
      : 'w' + Date.now().toString(36) + Math.random().toString(36).slice(2)
    var source = new EventSource(api + '/__transmit/events?uid=' + uid)
    stream = source
    source.onmessage = onEvent
    source.onopen = function () {
      retryDelay = 1000
      // Subscribed or not, what was missed is read again: the transcript stays whole.
      call('POST', '/__transmit/subscribe', {
        uid: uid,
        channel: 'visitors/conversations/' + state.id,
      })
        .catch(function () {})
        .then(function () {
          return catchUp()
        })
        .then(function () {
          showError(null)
        })
        .catch(function () {})
    }
    source.onerror = function () {
      // The browser retries by itself unless the stream was refused: then retry here, backing off.
      if (source.readyState !== EventSource.CLOSED) return
      closeStream()
      setTimeout(connect, retryDelay)
      retryDelay = Math.min(retryDelay * 2, 30000)
    }
  }
  function closeStream() {
    if (stream) stream.close()
    stream = null
  }

  /** Starts a conversation, or resumes the one this browser has. */
  function ensureConversation() {
    if (state) return Promise.resolve()
    if (starting) return starting
    starting = call(
      'POST',
      '/api/v1/public/chatbots/' + encodeURIComponent(key) + '/conversations',
      {}
    )
      .then(function (json) {
        state = {
          id: json.data.conversation_id,
          token: json.data.visitor_token,
          last: 0,
          name: json.data.chatbot.name,
        }
        save()
        title.textContent = state.name
        connect()
        return catchUp()
      })
      .finally(function () {
        starting = null
      })
    return starting
  }

  function open() {
    panel.hidden = false
    bubble.setAttribute('aria-expanded', 'true')
    bubble.setAttribute('aria-label', 'Close chat')
    input.focus()
    ensureConversation().then(
      function () {
        showError(null)
      },
      function (error) {
        showError(error.status)
      }
    )
  }
  function close() {
    panel.hidden = true
    bubble.setAttribute('aria-expanded', 'false')
    bubble.setAttribute('aria-label', 'Open chat')
    bubble.focus()
  }

  function send(text) {
    sendButton.disabled = true
    return ensureConversation()
      .then(function () {
        return call('POST', '/api/v1/public/conversations/' + state.id + '/messages', {
          text: text,
        })
      })
      .then(function (json) {
        input.value = ''
        showError(null)
        render(json.data.message)
        if (json.data.conversation.status !== 'handoff' && !hasReply(json.data.message.id)) {
          startTyping(json.data.message.id)
        }
      })
      .catch(function (error) {
        showError(error.status)
        if (error.status === 404) reset()
      })
      .finally(function () {
        sendButton.disabled = false
        input.focus()
      })
  }
  // The reply may come over the stream before the 202 does.
  function hasReply(id) {
    return Object.keys(rendered).some(function (other) {
      return Number(other) > id && !rendered[other].classList.contains('user')
    })
  }

  bubble.addEventListener('click', function () {
    if (panel.hidden) open()
    else close()
  })
  $('.close').addEventListener('click', close)
  root.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' && !panel.hidden) {
      event.preventDefault()
      close()
    }
  })
  form.addEventListener('submit', function (event) {
    event.preventDefault()
    var text = input.value.trim()
    if (text && !sendButton.disabled) send(text)
  })
  input.addEventListener('keydown', function (event) {
    // Enter sends, Shift+Enter starts a new line.
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault()
      form.requestSubmit()
    }
  })
  window.addEventListener('online', function () {
    if (!state) return
    closeStream()
    connect()
  })

  function mount() {
    document.body.appendChild(host)
    if (!state) return
    title.textContent = state.name || 'Chat'
    // History is shown again from the start, then kept live.
    var last = state.last
    state.last = 0
    catchUp()
      .catch(function () {
        if (state) state.last = last
      })
      .then(connect)
  }
  if (document.body) mount()
  else document.addEventListener('DOMContentLoaded', mount)

  window.ParleyWidget = { open: open, close: close }
})()
