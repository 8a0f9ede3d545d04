// GitHub `push` webhook -> Slack incoming-webhook message in Block Kit.
// Use with a subscription whose action posts to Slack (or http-relay to a Slack
// incoming webhook URL). Other GitHub events (ping, issues, ...) are skipped.

const MAX_COMMITS_SHOWN = 5

// Slack mrkdwn needs &, < and > escaped; everything else is literal.
function escapeMrkdwn(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function firstLine(message) {
  const line = String(message).split('\n')[0]
  return line.length > 80 ? line.slice(0, 79) + '…' : line
}

function transform(event) {
  if (event.headers['x-github-event'] !== 'push') return null
  const push = event.body
  const repo = push.repository
  const branch = push.ref.replace(/^refs\/(heads|tags)\//, '')
  const who = push.pusher.name

  if (push.deleted) {
    return { text: `${who} deleted ${branch} in ${repo.full_name}` }
  }

  const commits = push.commits
  const summary = `${who} pushed ${commits.length} commit${commits.length === 1 ? '' : 's'} to ${branch} in ${repo.full_name}`
  const lines = commits.slice(0, MAX_COMMITS_SHOWN).map((commit) =>
    `<${commit.url}|\`${commit.id.slice(0, 7)}\`> ${escapeMrkdwn(firstLine(commit.message))} — ${escapeMrkdwn(commit.author.name)}`)
  if (commits.length > MAX_COMMITS_SHOWN) lines.push(`…and ${commits.length - MAX_COMMITS_SHOWN} more`)

  const blocks = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*${escapeMrkdwn(who)}* pushed to <${repo.html_url}/tree/${branch}|${escapeMrkdwn(branch)}> in <${repo.html_url}|${escapeMrkdwn(repo.full_name)}>`,
      },
    },
  ]
  if (lines.length > 0) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } })
  blocks.push({
    type: 'actions',
    elements: [{ type: 'button', text: { type: 'plain_text', text: 'Compare changes' }, url: push.compare }],
  })
  // `text` is the fallback Slack shows in notifications.
  return { text: summary, blocks }
}
