/**
 * GitHub `push` event, in the shape GitHub documents
 * (https://docs.github.com/en/webhooks/webhook-events-and-payloads#push): repository,
 * pusher, sender, commits (at most 20 in a payload) and head_commit. Larger payloads
 * come from more commits, then from commits touching more files, as a big merge does.
 */
import { fillTo, hex, phrase, uuid } from './fill.ts'

const MAX_COMMITS = 20
const REPO = { id: 845_123_771, name: 'webhook-relay', owner: 'acme-corp' }

function commit(i: number, files: number) {
  const id = hex(20)
  const at = new Date(Date.now() - (MAX_COMMITS - i) * 60_000).toISOString()
  const person = { name: `Dev ${i % 7}`, email: `dev${i % 7}@acme.example`, username: `dev${i % 7}` }
  const paths = (kind: string, n: number) => Array.from({ length: n }, (_, k) => `src/${kind}/module-${i}-${k}/${phrase(1).replace(' ', '-')}.ts`)
  return {
    id,
    tree_id: hex(20),
    distinct: true,
    message: `${phrase(6)}\n\n${phrase(14)}`,
    timestamp: at,
    url: `https://github.com/${REPO.owner}/${REPO.name}/commit/${id}`,
    author: person,
    committer: { name: 'GitHub', email: 'noreply@github.com', username: 'web-flow' },
    added: paths('added', Math.floor(files / 3)),
    removed: [] as string[],
    modified: paths('lib', files - Math.floor(files / 3)),
  }
}

/** One push event of about `targetBytes` serialised bytes, and its delivery headers. */
export function githubPush(targetBytes: number): { body: Record<string, unknown>; headers: Record<string, string> } {
  const before = hex(20)
  const owner = { login: REPO.owner, id: 9_001_234, node_id: 'O_kgDOAIlK8g', avatar_url: 'https://avatars.githubusercontent.com/u/9001234?v=4', type: 'Organization', site_admin: false }
  const sender = { login: 'dev0', id: 5_550_101, node_id: 'MDQ6VXNlcjU1NTAxMDE=', avatar_url: 'https://avatars.githubusercontent.com/u/5550101?v=4', type: 'User', site_admin: false }
  const commits: ReturnType<typeof commit>[] = []
  const body = {
    ref: 'refs/heads/main',
    before,
    after: '',
    repository: {
      id: REPO.id,
      node_id: 'R_kgDOMl8eqw',
      name: REPO.name,
      full_name: `${REPO.owner}/${REPO.name}`,
      private: true,
      owner,
      html_url: `https://github.com/${REPO.owner}/${REPO.name}`,
      fork: false,
      created_at: 1_719_792_000,
      pushed_at: Math.floor(Date.now() / 1000),
      default_branch: 'main',
      visibility: 'private',
    },
    pusher: { name: 'dev0', email: 'dev0@acme.example' },
    sender,
    created: false,
    deleted: false,
    forced: false,
    base_ref: null,
    compare: '',
    commits,
    head_commit: null as ReturnType<typeof commit> | null,
  }
  const measure = () => Buffer.byteLength(JSON.stringify(body))
  // head_commit repeats the last commit: a stand-in of the same shape keeps the measure honest.
  // Twenty commits still short of the target means each touched more files (a large merge).
  for (let files = 2; ; files = Math.ceil(files * 1.6)) {
    commits.splice(0, commits.length)
    body.head_commit = commit(0, files)
    fillTo(targetBytes, measure, commits, (i) => commit(i, files), 1, MAX_COMMITS)
    if (commits.length < MAX_COMMITS || measure() >= targetBytes * 0.9) break
  }
  const head = commits[commits.length - 1]!
  body.after = head.id
  body.compare = `https://github.com/${REPO.owner}/${REPO.name}/compare/${before.slice(0, 12)}...${head.id.slice(0, 12)}`
  body.head_commit = head
  return {
    body,
    headers: {
      'Content-Type': 'application/json',
      'User-Agent': `GitHub-Hookshot/${hex(4).slice(0, 7)}`,
      'X-GitHub-Event': 'push',
      'X-GitHub-Delivery': uuid(),
      'X-GitHub-Hook-ID': '498112345',
      'X-GitHub-Hook-Installation-Target-ID': String(REPO.id),
      'X-GitHub-Hook-Installation-Target-Type': 'repository',
    },
  }
}
