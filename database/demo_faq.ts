/**
 * The demo organization's chatbot and its FAQ about Parley itself, seeded
 * by the main seeder (kept out of database/seeders, where every file is
 * run as a seeder). The answers describe Parley as it is: nothing here
 * promises a feature that does not exist.
 */
export const DEMO_CHATBOT = {
  name: 'Parley Assistant',
  description:
    'Answers questions about Parley from its FAQ (built-in responder, no external service).',
  welcomeMessage:
    'Hi! I am the Parley Assistant. Ask me anything about Parley: chatbots, knowledge, providers, your team or the API.',
  fallbackMessage:
    "Sorry, I don't have an answer to that yet. Ask for a human and a member of the Parley team will take over this conversation.",
  allowedOrigins: ['http://localhost:3333'],
}

export const DEMO_FAQ = {
  title: 'About Parley',
  items: [
    {
      question: 'What is Parley?',
      answer:
        'Parley is a multi-tenant chatbot platform. Your organization builds chatbots that answer its customers from a knowledge base you provide, on your website or through an API, and your team follows the conversations and takes over when a person is needed, all from one admin console.',
    },
    {
      question: 'How much does Parley cost? What plans and pricing are there?',
      answer:
        'Parley has no paid plans yet: pricing, subscriptions and billing are not built. Until they are, every feature is available to every organization at no cost.',
    },
    {
      question: 'How do I create a chatbot?',
      answer:
        'Open Chatbots in the console and create one: give it a name, choose its provider and write its welcome and fallback messages (or POST /api/v1/chatbots). A chatbot answers once its status is active; a draft or paused chatbot does not.',
    },
    {
      question: 'How do I add knowledge to my chatbot or train it?',
      answer:
        'Add knowledge sources to the chatbot: text passages, or FAQ pairs of a question and its answer (in the console, or POST /api/v1/chatbots/:id/knowledge). Parley cuts them into chunks and indexes them in the background; a source answers as soon as it shows as indexed, and changing it re-indexes it.',
    },
    {
      question: 'Which AI providers can a chatbot answer with?',
      answer:
        'Three: the built-in responder (the default, needs no external service: it answers with the best matching FAQ answer or passage from your knowledge), any OpenAI-compatible API (OpenAI, Azure OpenAI, Ollama, vLLM…) with your system prompt and knowledge as context, and a webhook to n8n or any HTTP workflow.',
    },
    {
      question: 'Do I need an OpenAI API key or an LLM to use Parley?',
      answer:
        'No. The built-in responder needs no external service and no key: it answers from your knowledge base. Connect an OpenAI-compatible API only if you want generated answers.',
    },
    {
      question: 'How do I connect an n8n workflow through a webhook?',
      answer:
        "Choose the webhook provider and give it your workflow's URL and a secret. Parley POSTs each message with its conversation and contact as JSON, signed with an HMAC-SHA256 signature and a timestamp so your workflow can check it came from Parley, and replies with the text your workflow answers.",
    },
    {
      question: "What happens when the chatbot doesn't know the answer?",
      answer:
        "It replies with the chatbot's fallback message and offers a human handoff. For the built-in responder, the confidence threshold (provider setting `threshold`, 0 to 1) decides how sure it must be to answer.",
    },
    {
      question: 'Can a human agent take over a conversation from the bot?',
      answer:
        'Yes. Conversations are open, handed off or resolved; your agents see them live in the inbox, can reply themselves and take over from the chatbot whenever a customer asks for a person or the bot has no answer.',
    },
    {
      question: 'How do I put the chatbot widget on my website?',
      answer:
        "Embed the chatbot's widget in your pages with its public key, and list your site's address in the chatbot's allowed origins: other origins are refused. To build your own chat front end instead, use the public chat API.",
    },
    {
      question: 'Is there an API?',
      answer:
        'Yes: a JSON API under /api/v1 for chatbots, knowledge, conversations, members, roles, tokens and the audit log, authenticated with API tokens. Every answer has the same envelope (success, message, data, request_id) and stable error codes.',
    },
    {
      question: 'How do I create an API token?',
      answer:
        'In the console under API tokens, or with node ace token:create. A token acts for you in one organization, its abilities can narrow what your role allows, it expires after 90 days unless you choose otherwise, and it is shown only once: Parley stores only a hash of it.',
    },
    {
      question: 'What roles and permissions can team members have?',
      answer:
        'Four built-in roles: owner (everything), admin (everything but billing and deleting the organization), agent (chatbots and conversations) and viewer (read only). Organizations can also create custom roles from the list of permissions.',
    },
    {
      question: 'How do I invite or add people to my team?',
      answer:
        'In Members, invite a colleague by email and choose their role: they get a link to join your organization. Pending invitations can be resent or cancelled.',
    },
    {
      question: 'Is there an audit log of who changed what?',
      answer:
        'Yes. Every change, sign-in and export is recorded with who did it, when, from which IP address and with which request id; secrets are never stored. People with the audit permission can filter it and export it as CSV.',
    },
    {
      question: 'Is my data secure and kept apart from other organizations?',
      answer:
        "Every record belongs to one organization and every query is filtered by it, so no organization can see another's chatbots, conversations or members. Provider secrets are encrypted at rest, passwords are hashed, API tokens are stored only as hashes, and every change is in the audit log.",
    },
    {
      question: 'What are the requirements to install, run or self-host Parley?',
      answer:
        'Node.js 20, PostgreSQL and Redis. For a first look, npm run quickstart sets everything up with a local SQLite database and Redis, seeds this demo and starts the web server and the queue worker.',
    },
    {
      question: 'I forgot my password. How do I reset it?',
      answer:
        'Use "Forgot password" on the sign-in page: Parley emails you a link to choose a new password. The link expires, and resetting your password signs you out everywhere.',
    },
    {
      question: 'Which languages can the chatbot speak?',
      answer:
        'The built-in responder matches questions best in English (it knows English word forms and synonyms) and answers in the language your knowledge is written in (English, French, German…). A chatbot on an OpenAI-compatible provider usually answers in the customer’s own language.',
    },
    {
      question: 'How do I contact support?',
      answer:
        'Ask for a human right here and a member of the Parley team takes over this conversation, or write to support@parley.test.',
    },
  ],
}
