/**
 * Built-in templates: GitHub push, pull request and issue events, and a generic one for
 * anything else. They are ordinary nunjucks templates, so they double as examples.
 * Every value from the payload goes through `| slack` (text) or `| slack | json` (blocks).
 */
const REPO = '<{{ payload.repository.html_url }}|{{ payload.repository.full_name | slack }}>'

const GITHUB_TEXT: Readonly<Record<string, string>> = {
  push:
    `[${REPO}] {{ payload.commits | length }} new commit{{ "s" if (payload.commits | length) != 1 }} pushed to ` +
    '<{{ payload.compare }}|{{ payload.ref | replace("refs/heads/", "") | slack }}> by {{ payload.pusher.name | slack }}' +
    '{% for c in payload.commits | batch(10) | first %}\n<{{ c.url }}|`{{ c.id | truncate(7, true, "") }}`> ' +
    '{{ c.message.split("\\n")[0] | truncate(80) | slack }} - {{ c.author.name | slack }}{% endfor %}',
  pull_request:
    `[${REPO}] Pull request {{ payload.action | replace("_", " ") }}: ` +
    '<{{ payload.pull_request.html_url }}|#{{ payload.pull_request.number }} {{ payload.pull_request.title | slack }}> by {{ payload.sender.login | slack }}',
  issues:
    `[${REPO}] Issue {{ payload.action | replace("_", " ") }}: ` +
    '<{{ payload.issue.html_url }}|#{{ payload.issue.number }} {{ payload.issue.title | slack }}> by {{ payload.sender.login | slack }}',
}

const GENERIC_TEXT = 'New event on *{{ event.sourceSlug | slack }}*{% if event.headers["x-github-event"] %} ({{ event.headers["x-github-event"] | slack }}){% endif %}'

/** Slack's limit for a section's text is 3000 characters; leave room for the fences. */
const GENERIC_BLOCKS = `[
  {"type": "section", "text": {"type": "mrkdwn", "text": {{ text | json }}}},
  {"type": "section", "text": {"type": "mrkdwn", "text": {{ ("\`\`\`" + (body | truncate(2900) | slack) + "\`\`\`") | json }}}},
  {"type": "context", "elements": [{"type": "mrkdwn", "text": {{ ("event " + event.id + " · " + event.receivedAt) | json }}}]}
]`

const GITHUB_BLOCKS = `[
  {"type": "section", "text": {"type": "mrkdwn", "text": {{ text | json }}}},
  {"type": "context", "elements": [{"type": "mrkdwn", "text": {{ ("GitHub " + event.headers["x-github-event"] + " · " + event.sourceSlug + " · event " + event.id) | slack | json }}}]}
]`

export interface Preset {
  readonly name: string
  readonly text: string
  /** Rendered with the text available as `text`. */
  readonly blocks: string
}

/** The templates for this event: GitHub's when asked for (or auto and the event is one we know), else the generic ones. */
export function presetFor(preset: 'auto' | 'github' | 'generic', headers: Readonly<Record<string, string>>): Preset {
  const githubEvent = headers['x-github-event']
  const text = preset !== 'generic' && githubEvent !== undefined ? GITHUB_TEXT[githubEvent] : undefined
  if (text) return { name: `github ${githubEvent}`, text, blocks: GITHUB_BLOCKS }
  return { name: 'generic', text: GENERIC_TEXT, blocks: GENERIC_BLOCKS }
}
