/**
 * Small, deterministic English text matching for the built-in responder:
 * words, stopwords, a suffix-stripping stemmer and a few synonym groups.
 * It only has to map the variants of a word to the same key on both sides
 * of a comparison (a question and a knowledge chunk), not to produce
 * dictionary stems.
 */

/** Longest message part looked at: questions are short; this bounds the work. */
export const MAX_MATCH_TEXT = 2000

/**
 * Function words, question words and conversational filler ("I was
 * wondering", "can you tell me"): they say nothing about the topic.
 */
const STOPWORDS = new Set(
  `a about above after again against all also am an and any anyone anything are as at be because been
  before being below between both but by can cannot could did do does doing done down during each either
  else etc even ever every few for from further had has have having he her here hers herself him himself
  his how however i id if im in into is isnt it its itself ive just let lets me might mine more most must
  my myself no nor not now of off on once one only or other ought our ours ourselves out over own per
  please quite rather really same shall she should so some such than that thats the their theirs them
  themselves then there theres these they this those through thus to too under until up upon us very via
  was wasnt we were what whats when where wheres whether which while who whom whos whose why will with
  within without would yes yet you youre your yours yourself yourselves
  able anybody dont doesnt didnt cant wont get gets got getting go going know knowing let like liked
  many much may maybe need needs possible question questions say tell thank thanks thing things think
  try trying use used uses using want wanted wants way ways wonder wondering work works working
  available exist exists existing supported offered kind kinds sort see show find look something
  someone somebody everything everyone nothing real actual actually still`
    .split(/\s+/)
    .filter(Boolean)
)

/**
 * Words with the same meaning for a customer's question. Each group maps
 * to its first word's stem. Kept generic (any business's FAQ), and each
 * word in one group only.
 */
export const SYNONYM_GROUPS: string[][] = [
  [
    'price',
    'pricing',
    'cost',
    'fee',
    'charge',
    'expensive',
    'cheap',
    'afford',
    'pay',
    'payment',
    'billing',
    'bill',
    'free',
    'gratis',
  ],
  ['plan', 'subscription', 'tier', 'package', 'edition', 'trial'],
  ['refund', 'reimburse', 'reimbursement', 'moneyback'],
  ['cancel', 'cancellation', 'unsubscribe', 'terminate'],
  ['buy', 'purchase'],
  ['signup', 'register', 'registration', 'enroll', 'enrol'],
  ['login', 'signin', 'logon', 'authenticate', 'authentication'],
  ['password', 'passphrase', 'passcode'],
  ['delete', 'remove', 'erase', 'destroy'],
  ['create', 'add', 'make', 'build', 'new', 'generate'],
  ['change', 'update', 'edit', 'modify', 'alter'],
  ['help', 'support', 'assist', 'assistance', 'contact', 'reach'],
  [
    'human',
    'person',
    'people',
    'operator',
    'representative',
    'agent',
    'staff',
    'handoff',
    'takeover',
  ],
  ['conversation', 'chat', 'talk', 'speak', 'discussion', 'dialog', 'dialogue'],
  ['secure', 'security', 'safe', 'safety', 'protect', 'protection', 'privacy', 'private'],
  ['data', 'information', 'info'],
  ['problem', 'error', 'issue', 'bug', 'broken', 'fail', 'failure', 'trouble'],
  ['start', 'begin', 'beginning', 'onboard', 'onboarding'],
  ['install', 'installation', 'setup', 'embed', 'deploy'],
  ['integrate', 'integration', 'connect', 'connection', 'plugin'],
  ['email', 'mail', 'emails'],
  ['phone', 'telephone'],
  ['website', 'site', 'webpage', 'homepage'],
  ['chatbot', 'bot', 'chatbots', 'bots'],
  ['customer', 'client', 'visitor', 'enduser'],
  ['organization', 'organisation', 'company', 'business', 'tenant', 'workspace'],
  ['team', 'colleague', 'coworker', 'teammate', 'member'],
  ['permission', 'role', 'access', 'privilege'],
  ['token', 'key'],
  ['log', 'trail', 'history', 'journal'],
  ['forgot', 'forget', 'forgotten', 'lost', 'remember'],
  ['answer', 'reply', 'respond', 'response'],
  ['knowledge', 'train', 'training', 'teach', 'faq', 'faqs'],
  ['documentation', 'docs', 'guide', 'manual', 'tutorial'],
  ['export', 'download', 'backup'],
  ['limit', 'quota', 'cap', 'maximum'],
  ['language', 'languages', 'locale', 'multilingual'],
  ['ai', 'llm', 'gpt', 'chatgpt', 'openai'],
]

/**
 * Two-word forms written as one word, so "sign up" and "signup" match,
 * with the words a full-text index holds for them.
 */
const PHRASES: [RegExp, string, string[]][] = [
  [/\bsign[\s-]?up\b/g, 'signup', ['sign', 'up']],
  [/\bsign(?:ed)?[\s-]?in\b/g, 'signin', ['sign', 'in']],
  [/\blog(?:ged)?[\s-]?in\b/g, 'login', ['log', 'in']],
  [/\bset[\s-]?up\b/g, 'setup', ['set', 'up']],
  [/\bmoney[\s-]back\b/g, 'moneyback', ['money', 'back']],
  [/\bend[\s-]users?\b/g, 'enduser', ['end', 'user']],
  [/\bhand[\s-]?off\b/g, 'handoff', ['hand', 'off']],
  [/\btake[\s-]?over\b/g, 'takeover', ['take', 'over']],
]
const PARTS_OF = new Map(PHRASES.map(([, joined, parts]) => [joined, parts]))

/**
 * "Do you support…", "does Parley support…": the verb, not the help desk
 * (which keeps "support" in the help synonyms).
 */
const SUPPORT_VERB = /\b((?:do|does|did|can|could|will|would)(?: \S+)?) supports?\b/g

const GREETING_WORDS = new Set(['hi', 'hello', 'hey', 'hiya', 'howdy', 'greetings', 'yo', 'hallo'])
const GREETING_FILLER = new Set(['there', 'good', 'morning', 'afternoon', 'evening', 'day', 'all'])

const VOWEL = /[aeiouy]/

/**
 * Suffixes stripped after plurals, longest first, with what replaces them.
 * The stem left must keep three letters and a vowel. No "-er": it would
 * make "answer" and "answering" differ ("answ", "answer").
 */
const SUFFIXES: [string, string][] = [
  ['izations', 'ize'],
  ['ization', 'ize'],
  ['isation', 'ize'],
  ['ational', 'ate'],
  ['fulness', 'ful'],
  ['iveness', 'ive'],
  ['ousness', 'ous'],
  ['ations', 'ate'],
  ['ation', 'ate'],
  ['ement', ''],
  ['ments', ''],
  ['ment', ''],
  ['ness', ''],
  ['ingly', ''],
  ['edly', ''],
  ['ings', ''],
  ['ing', ''],
  ['ed', ''],
  ['ly', ''],
  ['ity', ''],
  ['able', ''],
  ['ible', ''],
  ['ise', 'ize'],
]

/**
 * The lower-cased words of a text: letters and digits, apostrophes
 * dropped so "don't" is "dont".
 */
export function tokens(text: string): string[] {
  const normalized = String(text).slice(0, MAX_MATCH_TEXT).normalize('NFKC').toLowerCase()
  return normalized.replace(/['’`]/g, '').match(/[\p{L}\p{Nd}]+/gu) ?? []
}

/**
 * The words of a text for matching: tokens with two-word forms joined.
 */
export function words(text: string): string[] {
  let joined = tokens(text).join(' ').replace(SUPPORT_VERB, '$1')
  for (const [pattern, replacement] of PHRASES) joined = joined.replace(pattern, replacement)
  return joined.split(' ').filter(Boolean)
}

export function isStopword(word: string) {
  return STOPWORDS.has(word) || (word.length < 2 && !/\d/.test(word))
}

/**
 * The words of a text that carry its topic, in order, without repeats.
 */
export function contentWords(text: string): string[] {
  return [...new Set(words(text).filter((word) => !isStopword(word)))]
}

const isConsonant = (word: string, at: number): boolean => {
  const letter = word[at]
  if ('aeiou'.includes(letter)) return false
  return letter === 'y' ? at === 0 || !isConsonant(word, at - 1) : true
}

/** Porter's measure: how many vowel-consonant sequences a stem has ("pric" 1, "manag" 2). */
function measure(word: string) {
  let count = 0
  for (let at = 1; at < word.length; at++) {
    if (isConsonant(word, at) && !isConsonant(word, at - 1)) count++
  }
  return count
}

/** Ends consonant-vowel-consonant, the last not w, x or y ("hop", "pric"): a short stem that had an "e". */
function endsShort(word: string) {
  const at = word.length - 1
  return (
    at >= 2 &&
    isConsonant(word, at - 2) &&
    !isConsonant(word, at - 1) &&
    isConsonant(word, at) &&
    !'wxy'.includes(word[at])
  )
}

const INFLECTIONS = new Set(['ingly', 'edly', 'ings', 'ing', 'ed'])

/**
 * A suffix-stripping English stemmer after Porter's: plurals, then one
 * inflectional or derivational suffix, then a final "e" and "y" are
 * normalized. "pricing", "priced", "prices" and "price" all give
 * "price"; "plane" stays apart from "plan".
 */
export function stem(word: string): string {
  let w = word.toLowerCase()
  if (w.length <= 3 || /\d/.test(w)) return w

  if (w.endsWith('sses')) w = w.slice(0, -2)
  else if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`
  else if (w.endsWith('s') && !/(?:ss|us|is)$/.test(w)) w = w.slice(0, -1)

  for (const [suffix, replacement] of SUFFIXES) {
    if (!w.endsWith(suffix)) continue
    const base = w.slice(0, -suffix.length)
    // "need" is not "ne" + "ed", nor "apply" "app" + "ly".
    if (suffix === 'ed' && base.endsWith('e')) break
    if (base.length < (suffix === 'ly' ? 4 : 3) || !VOWEL.test(base)) break
    w = INFLECTIONS.has(suffix) ? restoreStem(base) : base + replacement
    break
  }

  if (w.length > 3 && w.endsWith('e')) {
    const base = w.slice(0, -1)
    const size = measure(base)
    if (size > 1 || (size === 1 && !endsShort(base))) w = base
  }
  if (w.length > 3 && /[^aeiou]y$/.test(w) && VOWEL.test(w.slice(0, -2))) w = `${w.slice(0, -1)}i`
  return w
}

/**
 * A stem without its "-ing"/"-ed", as the word without it is written:
 * "running" → "run", "pricing" → "price", "creating" → "creat".
 */
function restoreStem(base: string) {
  if (/(?:at|bl|iz)$/.test(base)) return `${base}e`
  if (base.length > 3 && /([^aeioulsz])\1$/.test(base)) return base.slice(0, -1)
  if (measure(base) === 1 && endsShort(base)) return `${base}e`
  return base
}

/** Stem → the stem of its synonym group's first word. */
const CONCEPT_OF = new Map<string, string>()
/** Stem → the words of its synonym group, as written. */
const GROUP_OF = new Map<string, string[]>()
for (const group of SYNONYM_GROUPS) {
  const key = stem(group[0])
  for (const word of group) {
    const wordStem = stem(word)
    if (!CONCEPT_OF.has(wordStem)) {
      CONCEPT_OF.set(wordStem, key)
      GROUP_OF.set(wordStem, group)
    }
  }
}

/**
 * What a word means for matching: its stem, or its synonym group's key.
 */
export function concept(word: string): string {
  const wordStem = stem(word)
  return CONCEPT_OF.get(wordStem) ?? wordStem
}

/** The concepts of recently seen texts: the same knowledge chunks are ranked for message after message. */
const CONCEPTS_OF = new Map<string, ReadonlySet<string>>()
const CONCEPTS_REMEMBERED = 2000

/**
 * The distinct concepts of a text's content words (read-only: the set is
 * shared by every caller asking about the same text).
 */
export function concepts(text: string): ReadonlySet<string> {
  const known = CONCEPTS_OF.get(text)
  if (known) return known
  const found: ReadonlySet<string> = new Set(contentWords(text).map(concept))
  // Oldest first out: a Map iterates in insertion order.
  if (CONCEPTS_OF.size >= CONCEPTS_REMEMBERED) CONCEPTS_OF.delete(CONCEPTS_OF.keys().next().value!)
  CONCEPTS_OF.set(text, found)
  return found
}

/**
 * The words of a text worth a full-text search, in order, without repeats
 * (as written: the index stems them itself).
 */
export function searchTerms(text: string): string[] {
  return [...new Set(tokens(text).filter((word) => !isStopword(word)))]
}

/**
 * What to search for a question: its own words first, then the synonyms
 * of each (two-word forms as the index holds them), so a question about
 * the "cost" also finds "pricing".
 */
export function withSynonyms(text: string): string[] {
  const synonyms = contentWords(text)
    .flatMap((word) => GROUP_OF.get(stem(word)) ?? [])
    .flatMap((word) => PARTS_OF.get(word) ?? [word])
    .filter((word) => !isStopword(word))
  return [...new Set([...searchTerms(text), ...synonyms])]
}

/**
 * Whether a message is only a greeting ("hi", "hello there", "good morning").
 */
export function isGreeting(text: string) {
  const all = tokens(text)
  if (all.length === 0 || all.length > 4) return false
  const greets = all.some(
    (word) => GREETING_WORDS.has(word) || word === 'morning' || word === 'evening'
  )
  return greets && all.every((word) => GREETING_WORDS.has(word) || GREETING_FILLER.has(word))
}
