/**
 * Slack Events API `event_callback` carrying a `message` event, in the shape Slack
 * documents (https://docs.slack.dev/apis/events-api/): team, app, authorizations and the
 * inner event with rich-text blocks. Larger payloads are messages with link unfurls
 * (attachments), as a bot posting build or incident reports sends.
 */
import { alnum, fillTo, phrase } from './fill.ts'

const TEAM = 'T0A1B2C3D4E'

function attachment(i: number) {
  return {
    id: i + 1,
    color: 'd0d0d0',
    fallback: `[build #${4100 + i}] ${phrase(4)}`,
    title: `Build #${4100 + i}: ${phrase(5)}`,
    title_link: `https://ci.acme.example/builds/${4100 + i}`,
    text: phrase(24),
    fields: [
      { title: 'Branch', value: 'main', short: true },
      { title: 'Duration', value: `${3 + (i % 9)}m ${i % 60}s`, short: true },
    ],
    footer: 'CI',
    ts: Math.floor(Date.now() / 1000) - i * 60,
  }
}

export function slackEvent(targetBytes: number): { body: Record<string, unknown>; headers: Record<string, string> } {
  const now = Date.now()
  const ts = `${Math.floor(now / 1000)}.${String(now % 1000).padStart(3, '0')}${alnum(3).replace(/\D/g, '0')}`
  const text = phrase(12)
  const attachments: ReturnType<typeof attachment>[] = []
  const body = {
    token: alnum(24),
    team_id: TEAM,
    context_team_id: TEAM,
    api_app_id: 'A0F7XDUAZ12',
    event: {
      type: 'message',
      user: 'U061F7AUR',
      text,
      ts,
      event_ts: ts,
      channel: 'C0LAN2Q65',
      channel_type: 'channel',
      team: TEAM,
      blocks: [{ type: 'rich_text', block_id: alnum(5), elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text }] }] }],
      attachments,
    },
    type: 'event_callback',
    event_id: `Ev${alnum(10).toUpperCase()}`,
    event_time: Math.floor(now / 1000),
    authorizations: [{ enterprise_id: null, team_id: TEAM, user_id: 'U0B2ZB7RN12', is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
    event_context: `4-${alnum(60)}`,
  }
  fillTo(targetBytes, () => Buffer.byteLength(JSON.stringify(body)), attachments, attachment)
  return { body, headers: { 'Content-Type': 'application/json', 'User-Agent': 'Slackbot 1.0 (+https://api.slack.com/robots)' } }
}
