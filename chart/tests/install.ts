/**
 * `node chart/tests/install.ts` (run by scripts/check-kube.sh): the chart installed into a real API server
 * (scripts/kube/control-plane.sh start), as a user installs it. KUBE_URL, KUBE_TOKEN,
 * KUBE_CA and KUBECONFIG come from the control plane's env file; HELM names the binary.
 *
 *   1. A vanilla cluster (no Prometheus Operator, no KEDA): the chart's defaults install;
 *      no ServiceMonitor or PrometheusRule is created, and NOTES says why; keda.enabled is
 *      refused by helm naming the missing kind.
 *   2. The CRDs the chart uses are installed, as their projects publish them (from the
 *      prometheus-operator and KEDA Go module zips, which carry the generated YAML).
 *   3. Every ci/*-values.yaml scenario: helm install, then every object of the release is
 *      read back from the API server (admitted, stored, defaulted: the rendered fields
 *      are all there with their values, and the server's defaults were added); every
 *      object is also applied again server-side with fieldValidation=Strict as a dry
 *      run, so an unknown or duplicated field fails; the hooks (migrations Job,
 *      ServiceAccount, ConfigMap, Secret) are admitted the same way as dry runs;
 *      helm upgrade changes the pods' annotations, helm rollback takes them back, and
 *      helm uninstall leaves none of the release's objects behind.
 *
 * Hooks: there is no kubelet, so the migrations Job would never complete and helm
 * would wait on it forever. Releases are installed with --no-hooks and each hook is
 * admitted by the API server as a dry run instead: its validation and defaulting are
 * checked, its running is not.
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { request } from 'node:https'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { parseAllDocuments } from 'yaml'
import { CHART_DIR as CHART } from './render.ts'

const run = promisify(execFile)
const HELM = process.env.HELM ?? 'helm'
const env = (name: string): string => process.env[name] ?? fail(`${name} is not set (source the control plane's env file)`)
const KUBE_URL = env('KUBE_URL')
const CA = readFileSync(env('KUBE_CA'))
const auth = { authorization: `Bearer ${env('KUBE_TOKEN')}` }
const RELEASE = 'relay'
/** The CRDs the chart's templates use, from the Go module zips of the projects that publish them. */
const CRD_SOURCES = [
  { module: 'github.com/prometheus-operator/prometheus-operator@v0.94.0', files: ['example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml', 'example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml'] },
  { module: 'github.com/kedacore/keda/v2@v2.21.0', files: ['config/crd/bases/keda.sh_scaledobjects.yaml', 'config/crd/bases/keda.sh_triggerauthentications.yaml'] },
]

interface KubeObject {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
  [field: string]: unknown
}

function fail(message: string): never {
  throw new Error(message)
}
let checks = 0
function ok(what: string): void {
  checks++
  console.log(`ok  ${what}`)
}

async function api(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any -- Kubernetes objects of every kind
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const req = request(`${KUBE_URL}${path}`, {
      method, ca: CA,
      headers: { ...auth, accept: 'application/json', ...(payload === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }) },
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        try {
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined })
        } catch {
          resolve({ status: res.statusCode ?? 0, body: { message: text } })
        }
      })
    })
    req.on('error', reject)
    req.end(payload)
  })
}

/** Resource paths from discovery: `<apiVersion>/<kind>` → plural name and scope. */
const resources = new Map<string, { plural: string; namespaced: boolean }>()
async function discover(): Promise<void> {
  resources.clear()
  const groups = (await api('GET', '/apis')).body.groups as { preferredVersion: { groupVersion: string }; versions: { groupVersion: string }[] }[]
  const versions = ['v1', ...groups.flatMap((g) => g.versions.map((v) => v.groupVersion))]
  for (const gv of versions) {
    const list = (await api('GET', gv === 'v1' ? '/api/v1' : `/apis/${gv}`)).body as { resources: { name: string; kind: string; namespaced: boolean }[] }
    for (const r of list.resources) if (!r.name.includes('/')) resources.set(`${gv}/${r.kind}`, { plural: r.name, namespaced: r.namespaced })
  }
}

function pathOf(o: Pick<KubeObject, 'apiVersion' | 'kind'>, namespace: string | undefined, name?: string): string {
  const r = resources.get(`${o.apiVersion}/${o.kind}`) ?? fail(`the API server does not serve ${o.apiVersion} ${o.kind}`)
  const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`
  return `${base}${r.namespaced ? `/namespaces/${namespace}` : ''}/${r.plural}${name === undefined ? '' : `/${encodeURIComponent(name)}`}`
}

function parseManifests(text: string): KubeObject[] {
  return parseAllDocuments(text).map((d) => d.toJS() as KubeObject | null).filter((o): o is KubeObject => o !== null && typeof o === 'object' && 'kind' in o)
}

async function helm(...args: string[]): Promise<string> {
  try {
    return (await run(HELM, args, { env: process.env, maxBuffer: 64 << 20 })).stdout
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string }
    throw new Error(`helm ${args.join(' ')} failed:\n${e.stderr ?? ''}${e.stdout ?? ''}`, { cause: err })
  }
}

/** Where the rendered value and the live one differ: every rendered field must be live with the same value. */
function differences(rendered: unknown, live: unknown, at = ''): string[] {
  if (rendered === null || typeof rendered !== 'object') {
    return equalScalars(rendered, live) ? [] : [`${at || '.'}: rendered ${JSON.stringify(rendered)}, live ${JSON.stringify(live)}`]
  }
  if (Array.isArray(rendered)) {
    if (!Array.isArray(live)) return [`${at}: rendered a list, live ${JSON.stringify(live)}`]
    if (rendered.length !== live.length) return [`${at}: rendered ${rendered.length} items, live ${live.length}`]
    return rendered.flatMap((r, i) => differences(r, live[i], `${at}[${i}]`))
  }
  if (live === null || typeof live !== 'object') return [`${at}: rendered an object, live ${JSON.stringify(live)}`]
  return Object.entries(rendered as Record<string, unknown>).flatMap(([k, v]) => {
    // The server drops nulls, empty objects and empty lists (`egress: []` under policyTypes [Egress] stays deny-all).
    const empty = v === null || (typeof v === 'object' && (Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0))
    if (empty && (live as Record<string, unknown>)[k] === undefined) return []
    return differences(v, (live as Record<string, unknown>)[k], `${at}.${k}`)
  })
}

/** The API server writes quantities and numbers in canonical form: 0.5 CPU is "500m", "1024Mi" is "1Gi". */
function equalScalars(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if ((typeof a === 'number' || typeof a === 'string') && (typeof b === 'number' || typeof b === 'string')) {
    const qa = quantity(String(a))
    const qb = quantity(String(b))
    return qa !== undefined && qa === qb
  }
  return false
}
const SUFFIX: Record<string, number> = { m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 }
function quantity(s: string): number | undefined {
  const m = /^([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(s)
  return m ? Number(m[1]) * SUFFIX[m[2] ?? '']! : undefined
}

/** Server-side apply as a dry run with strict field validation: the API server's full admission of the object, nothing stored. */
async function admitStrictly(o: KubeObject, namespace: string): Promise<KubeObject> {
  const path = `${pathOf(o, namespace, o.metadata.name)}?dryRun=All&fieldValidation=Strict&fieldManager=ci-check&force=true`
  const r = await api('PATCH', path, { ...o, metadata: { ...o.metadata, namespace: resources.get(`${o.apiVersion}/${o.kind}`)!.namespaced ? namespace : undefined } }, 'application/apply-patch+yaml')
  if (r.status !== 200 && r.status !== 201) fail(`${o.kind} ${o.metadata.name} refused by the API server (${r.status}): ${r.body?.message ?? JSON.stringify(r.body)}`)
  return r.body as KubeObject
}

async function releaseObjects(namespace: string): Promise<{ manifests: KubeObject[]; hooks: KubeObject[] }> {
  const manifests = parseManifests(await helm('get', 'manifest', RELEASE, '-n', namespace))
  const hooks = parseManifests(await helm('get', 'hooks', RELEASE, '-n', namespace))
  return { manifests, hooks }
}

async function checkAdmitted(scenario: string, namespace: string): Promise<KubeObject[]> {
  const { manifests, hooks } = await releaseObjects(namespace)
  const kinds = new Map<string, number>()
  for (const o of manifests) {
    const live = await api('GET', pathOf(o, namespace, o.metadata.name))
    if (live.status !== 200) fail(`${scenario}: ${o.kind} ${o.metadata.name} is not in the API server (${live.status})`)
    if (!live.body.metadata?.uid) fail(`${scenario}: ${o.kind} ${o.metadata.name} has no uid`)
    const diff = differences(o, live.body)
    if (diff.length) fail(`${scenario}: ${o.kind} ${o.metadata.name} is not stored as rendered:\n  ${diff.slice(0, 10).join('\n  ')}`)
    await admitStrictly(o, namespace)
    kinds.set(o.kind, (kinds.get(o.kind) ?? 0) + 1)
  }
  // Defaulting happened server-side, not only storage: a field no template sets.
  for (const d of manifests.filter((o) => o.kind === 'Deployment')) {
    const live = (await api('GET', pathOf(d, namespace, d.metadata.name))).body
    if (live.spec?.progressDeadlineSeconds !== 600 || live.spec?.template?.spec?.dnsPolicy !== 'ClusterFirst') fail(`${scenario}: Deployment ${d.metadata.name} was not defaulted by the API server`)
  }
  ok(`${scenario}: ${manifests.length} objects admitted, stored as rendered and defaulted (${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')})`)
  for (const h of hooks) {
    const admitted = await admitStrictly(h, namespace)
    const diff = differences(h, admitted)
    if (diff.length) fail(`${scenario}: hook ${h.kind} ${h.metadata.name} is not admitted as rendered:\n  ${diff.slice(0, 10).join('\n  ')}`)
  }
  ok(`${scenario}: ${hooks.length} hooks admitted as dry runs (${hooks.map((h) => h.kind).join(', ')}; no kubelet runs the Job)`)
  return manifests
}

function expectKinds(scenario: string, manifests: KubeObject[], hooks: string[], expected: string[]): void {
  const kinds = new Set([...manifests.map((m) => m.kind), ...hooks])
  const missing = expected.filter((k) => !kinds.has(k))
  if (missing.length) fail(`${scenario}: the release lacks ${missing.join(', ')}`)
}

async function podAnnotation(namespace: string, manifests: KubeObject[], key: string): Promise<string | undefined> {
  const d = manifests.find((o) => o.kind === 'Deployment') ?? fail('no Deployment in the release')
  const live = (await api('GET', pathOf(d, namespace, d.metadata.name))).body
  return live.spec.template.metadata.annotations?.[key]
}

async function leftBehind(namespace: string, kinds: KubeObject[]): Promise<string[]> {
  const seen = new Set<string>()
  const left: string[] = []
  for (const o of kinds) {
    const key = `${o.apiVersion}/${o.kind}`
    if (seen.has(key)) continue
    seen.add(key)
    const list = (await api('GET', `${pathOf(o, namespace)}?labelSelector=${encodeURIComponent(`app.kubernetes.io/instance=${RELEASE}`)}`)).body
    for (const item of list.items ?? []) left.push(`${o.kind} ${item.metadata.name}`)
  }
  const secrets = (await api('GET', `/api/v1/namespaces/${namespace}/secrets?labelSelector=owner%3Dhelm`)).body
  for (const item of secrets.items ?? []) left.push(`helm release record ${item.metadata.name}`)
  return left
}

async function installCrds(): Promise<void> {
  for (const { module, files } of CRD_SOURCES) {
    const { stdout } = await run('go', ['mod', 'download', '-json', module], { cwd: '/', env: { ...process.env, GOFLAGS: '-mod=mod' } })
    const dir = (JSON.parse(stdout) as { Dir?: string; Error?: string }).Dir ?? fail(`go mod download ${module}: ${stdout}`)
    for (const file of files) {
      for (const crd of parseManifests(readFileSync(join(dir, file), 'utf8'))) {
        const r = await api('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)
        if (r.status !== 201 && r.status !== 409) fail(`CRD ${crd.metadata.name} refused (${r.status}): ${r.body?.message}`)
        for (let i = 0; ; i++) {
          const got = (await api('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`)).body
          if (got.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Established' && c.status === 'True')) break
          if (i > 100) fail(`CRD ${crd.metadata.name} never became established`)
          await new Promise((r) => setTimeout(r, 100))
        }
      }
    }
    ok(`CRDs from ${module}: ${files.map((f) => f.split('/').at(-1)).join(', ')}`)
  }
  await discover()
}

async function scenario(name: string): Promise<void> {
  const namespace = `ci-${name}`
  const values = join(CHART, 'ci', `${name}-values.yaml`)
  await helm('install', RELEASE, CHART, '-n', namespace, '--create-namespace', '-f', values, '--no-hooks')
  const manifests = await checkAdmitted(name, namespace)
  const hooks = (await releaseObjects(namespace)).hooks.map((h) => h.kind)
  const expected = ['Deployment', 'Service', 'NetworkPolicy', 'Job', 'ConfigMap', 'ServiceAccount']
  const spec = readFileSync(values, 'utf8')
  if (!/autoscaling:\s*\n\s*enabled: false/.test(spec) && !/keda:\s*\n\s*enabled: true/.test(spec)) expected.push('HorizontalPodAutoscaler')
  if (!/pdb:\s*\n\s*enabled: false/.test(spec)) expected.push('PodDisruptionBudget')
  if (/keda:\s*\n\s*enabled: true/.test(spec)) expected.push('ScaledObject', 'TriggerAuthentication')
  if (!/serviceMonitor:\s*\n\s*enabled: false/.test(spec)) expected.push('ServiceMonitor', 'PrometheusRule')
  if (!/ingress:\s*\n\s*enabled: false/.test(spec)) expected.push('Ingress')
  expectKinds(name, manifests, hooks, expected)
  ok(`${name}: the release has ${expected.join(', ')}`)

  await helm('upgrade', RELEASE, CHART, '-n', namespace, '-f', values, '--no-hooks', '--set', 'pod.annotations.ci-upgrade=revision-2')
  if ((await podAnnotation(namespace, manifests, 'ci-upgrade')) !== 'revision-2') fail(`${name}: helm upgrade did not reach the Deployment`)
  await checkAdmitted(`${name} after upgrade`, namespace)
  await helm('rollback', RELEASE, '1', '-n', namespace, '--no-hooks')
  if ((await podAnnotation(namespace, manifests, 'ci-upgrade')) !== undefined) fail(`${name}: helm rollback did not take the upgrade back`)
  const history = JSON.parse(await helm('history', RELEASE, '-n', namespace, '-o', 'json')) as { revision: number; status: string }[]
  if (history.map((h) => h.revision).join() !== '1,2,3' || history.at(-1)!.status !== 'deployed') fail(`${name}: unexpected history ${JSON.stringify(history)}`)
  ok(`${name}: helm upgrade changed the pods, helm rollback to 1 took it back (revisions 1, 2, 3)`)

  await helm('uninstall', RELEASE, '-n', namespace, '--no-hooks', '--wait')
  const left = await leftBehind(namespace, manifests)
  if (left.length) fail(`${name}: helm uninstall left ${left.join(', ')}`)
  ok(`${name}: helm uninstall left nothing of the release behind`)
}

await discover()
const version = (await api('GET', '/version')).body as { gitVersion: string }
console.log(`API server ${version.gitVersion} at ${KUBE_URL}`)

// 1. A cluster without the Prometheus Operator or KEDA, as a first install meets it.
const notes = await helm('install', RELEASE, CHART, '-n', 'ci-vanilla', '--create-namespace', '--no-hooks')
const vanilla = await checkAdmitted('vanilla cluster, default values', 'ci-vanilla')
for (const kind of ['ServiceMonitor', 'PrometheusRule']) if (vanilla.some((o) => o.kind === kind)) fail(`a ${kind} was rendered for a cluster without its CRD`)
if (!/were not created: this cluster does not serve the Prometheus/.test(notes)) fail(`NOTES does not say why the ServiceMonitors are missing:\n${notes}`)
const keda = await run(HELM, ['install', 'keda-check', CHART, '-n', 'ci-vanilla', '-f', join(CHART, 'ci', 'keda-values.yaml'), '--no-hooks']).then(() => '', (err: { stderr: string }) => err.stderr)
if (!/no matches for kind "ScaledObject" in version "keda\.sh\/v1alpha1"/.test(keda)) fail(`keda.enabled without KEDA should be refused, naming the kind; helm said: ${keda}`)
await helm('uninstall', RELEASE, '-n', 'ci-vanilla', '--no-hooks', '--wait')
ok('vanilla cluster: the defaults install without ServiceMonitor and PrometheusRule (NOTES says why); keda.enabled is refused naming the missing kind')

// 2. The CRDs, then 3. every scenario.
await installCrds()
const scenarios = (await readdir(join(CHART, 'ci'))).filter((f) => f.endsWith('-values.yaml')).map((f) => f.replace(/-values\.yaml$/, '')).sort()
for (const name of scenarios) await scenario(name)
console.log(`\n${checks} checks passed: ${scenarios.length} scenarios installed, upgraded, rolled back and uninstalled on ${version.gitVersion}`)
