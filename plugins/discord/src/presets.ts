/**
 * Built-in content templates (Discord markdown): GitHub push, pull request and issue
 * events, and a generic one. Mentions in payload text cannot ping: allowed_mentions is
 * empty unless the subscription opts in.
 */
const REPO = '**[{{ payload.repository.full_name }}]({{ payload.repository.html_url }})**'

const GITHUB: Readonly<Record<string, string>> = {
  push:
    `${REPO} {{ payload.commits | length }} new commit{{ "s" if (payload.commits | length) != 1 }} pushed to ` +
    '[`{{ payload.ref | replace("refs/heads/", "") }}`](<{{ payload.compare }}>) by {{ payload.pusher.name }}' +
    '{% for c in payload.commits | batch(10) | first %}\n[`{{ c.id | truncate(7, true, "") }}`](<{{ c.url }}>) ' +
    '{{ c.message.split("\\n")[0] | truncate(80) }} - {{ c.author.name }}{% endfor %}',
  pull_request:
    `${REPO} Pull request {{ payload.action | replace("_", " ") }}: ` +
    '[#{{ payload.pull_request.number }} {{ payload.pull_request.title }}](<{{ payload.pull_request.html_url }}>) by {{ payload.sender.login }}',
  issues:
    `${REPO} Issue {{ payload.action | replace("_", " ") }}: ` +
    '[#{{ payload.issue.number }} {{ payload.issue.title }}](<{{ payload.issue.html_url }}>) by {{ payload.sender.login }}',
}

const GENERIC = 'New event on **{{ event.sourceSlug }}**\n```json\n{{ body | truncate(1800) | replace("```", "`\u200b``") }}\n```'

export function presetFor(preset: 'auto' | 'github' | 'generic', headers: Readonly<Record<string, string>>): { name: string; content: string } {
  const githubEvent = headers['x-github-event']
  const content = preset !== 'generic' && githubEvent !== undefined ? GITHUB[githubEvent] : undefined
  return content ? { name: `github ${githubEvent}`, content } : { name: 'generic', content: GENERIC }
}
