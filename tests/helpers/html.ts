/**
 * A page's HTML with character references decoded, so a test can look for
 * a name as typed (faker names carry apostrophes, which Edge escapes).
 */
export function decodeHtml(html: string) {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }
  return html.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, code: string) => {
    if (code.startsWith('#x') || code.startsWith('#X')) {
      return String.fromCodePoint(Number.parseInt(code.slice(2), 16))
    }
    if (code.startsWith('#')) return String.fromCodePoint(Number(code.slice(1)))
    return named[code.toLowerCase()] ?? entity
  })
}
