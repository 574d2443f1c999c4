import { createServer, type Socket } from 'node:net'

export type ReceivedMail = { from: string; to: string[]; data: string }

/**
 * A small SMTP server on a free local port, speaking enough of RFC 5321
 * (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; no TLS, no auth) for
 * nodemailer to deliver to it. Received messages are kept in `mails`.
 */
export async function startSmtpServer() {
  const mails: ReceivedMail[] = []
  const sockets = new Set<Socket>()

  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.setEncoding('utf8')

    let buffer = ''
    let envelope: { from: string; to: string[] } = { from: '', to: [] }
    let receivingData = false
    const reply = (line: string) => socket.write(`${line}\r\n`)

    reply('220 parley-test-smtp ESMTP ready')
    socket.on('data', (chunk: string) => {
      buffer += chunk
      for (;;) {
        if (receivingData) {
          // The buffer starts with CRLF here, so an empty body ends at once.
          const end = buffer.indexOf('\r\n.\r\n')
          if (end === -1) return
          const data = buffer.slice(2, end).replace(/^\.\./gm, '.')
          buffer = buffer.slice(end + 5)
          mails.push({ ...envelope, data })
          envelope = { from: '', to: [] }
          receivingData = false
          reply('250 2.0.0 queued')
          continue
        }

        const lineEnd = buffer.indexOf('\r\n')
        if (lineEnd === -1) return
        const line = buffer.slice(0, lineEnd)
        buffer = buffer.slice(lineEnd + 2)
        const verb = line.slice(0, 4).toUpperCase()

        if (verb === 'EHLO') {
          reply('250-parley-test-smtp')
          reply('250 8BITMIME')
        } else if (verb === 'HELO' || verb === 'NOOP') {
          reply('250 OK')
        } else if (verb === 'MAIL') {
          envelope.from = /<(.*)>/.exec(line)?.[1] ?? ''
          reply('250 2.1.0 OK')
        } else if (verb === 'RCPT') {
          envelope.to.push(/<(.*)>/.exec(line)?.[1] ?? '')
          reply('250 2.1.5 OK')
        } else if (verb === 'DATA') {
          receivingData = true
          buffer = `\r\n${buffer}`
          reply('354 End data with <CR><LF>.<CR><LF>')
        } else if (verb === 'RSET') {
          envelope = { from: '', to: [] }
          reply('250 OK')
        } else if (verb === 'QUIT') {
          reply('221 Bye')
          socket.end()
        } else {
          reply('502 5.5.2 Command not implemented')
        }
      }
    })
  })

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }

  return {
    port,
    mails,
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((socket) => socket.destroy())
        server.close(() => resolve())
      }),
  }
}
