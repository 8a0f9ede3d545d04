// Asserts, on the rendered output of every ci scenario, the promises the chart
// makes about running safely: probes, resources, locked-down containers,
// drain-safe shutdown, config-driven rollouts, hook ordering and egress limits.
import t from 'tap'
import { createHash } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import { parse } from 'yaml'
import { REPO_ROOT, find, render, scenarios, type Manifest } from './render.ts'

// Ranges a delivery must never reach (RFC 1918 and the cloud metadata address).
const MUST_BLOCK = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.169.254/32']
const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'Job']

interface Probe { httpGet?: { path: string }, exec?: unknown }
interface Container {
  name: string
  image: string
  env?: { name: string, value?: string }[]
  resources?: { requests?: Record<string, string>, limits?: Record<string, string> }
  securityContext?: Record<string, unknown> & { capabilities?: { drop?: string[] }, seccompProfile?: { type: string } }
  startupProbe?: Probe, livenessProbe?: Probe, readinessProbe?: Probe
  lifecycle?: { preStop?: { exec?: { command: string[] } } }
}
interface PodSpec {
  containers: Container[]
  initContainers?: Container[]
  securityContext?: { runAsNonRoot?: boolean, seccompProfile?: { type: string } }
  terminationGracePeriodSeconds?: number
}
interface PodTemplate { metadata?: { annotations?: Record<string, string> }, spec: PodSpec }

const template = (m: Manifest): PodTemplate => {
  const spec = m.spec as { template: PodTemplate & { spec: PodSpec } } & { jobTemplate?: unknown }
  return spec.template
}
const envOf = (c: Container, name: string): string | undefined => c.env?.find((e) => e.name === name)?.value

function ipv4ToInt (ip: string): number {
  return ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0)
}
/** True when CIDR `outer` contains all of CIDR `inner` (IPv4). */
function cidrContains (outer: string, inner: string): boolean {
  const [oIp, oBits] = outer.split('/') as [string, string]
  const [iIp, iBits] = inner.split('/') as [string, string]
  if (oIp.includes(':') || iIp.includes(':') || Number(iBits) < Number(oBits)) return false
  const size = 2 ** (32 - Number(oBits))
  return Math.floor(ipv4ToInt(oIp) / size) === Math.floor(ipv4ToInt(iIp) / size)
}

for (const scenario of scenarios()) {
  const manifests = render(scenario)
  const workloads = manifests.filter((m) => WORKLOAD_KINDS.includes(m.kind))
  const apps = find(manifests, 'Deployment')

  t.test(`${scenario}: every container is locked down and has requests and limits`, async (t) => {
    t.ok(workloads.length >= 3, 'api, worker and migrations are rendered')
    for (const w of workloads) {
      const pod = template(w).spec
      t.equal(pod.securityContext?.runAsNonRoot, true, `${w.metadata.name}: pod runAsNonRoot`)
      t.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault', `${w.metadata.name}: pod seccomp RuntimeDefault`)
      for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
        const where = `${w.metadata.name}/${c.name}`
        for (const kind of ['requests', 'limits'] as const) {
          for (const resource of ['cpu', 'memory']) {
            t.ok(c.resources?.[kind]?.[resource], `${where}: ${kind}.${resource}`)
          }
        }
        const sc = c.securityContext ?? {}
        t.equal(sc['readOnlyRootFilesystem'], true, `${where}: readOnlyRootFilesystem`)
        t.equal(sc['allowPrivilegeEscalation'], false, `${where}: no privilege escalation`)
        t.equal(sc['runAsNonRoot'], true, `${where}: runAsNonRoot`)
        t.ok(sc.capabilities?.drop?.includes('ALL'), `${where}: drops ALL capabilities`)
        t.equal(sc.seccompProfile?.type, 'RuntimeDefault', `${where}: seccomp RuntimeDefault`)
        t.notMatch(c.image, /:latest$/, `${where}: image is not :latest`)
      }
    }
  })

  t.test(`${scenario}: app pods probe health, drain before SIGKILL and roll on config change`, async (t) => {
    t.same(apps.map((d) => d.metadata.name).sort(), [`${'relay-webhook-relay'}-api`, 'relay-webhook-relay-worker'])
    for (const d of apps) {
      const pod = template(d)
      const c = pod.spec.containers[0]!
      t.equal(c.startupProbe?.httpGet?.path, '/healthz', `${d.metadata.name}: startup probe on /healthz`)
      t.equal(c.livenessProbe?.httpGet?.path, '/healthz', `${d.metadata.name}: liveness on /healthz`)
      t.equal(c.readinessProbe?.httpGet?.path, '/readyz', `${d.metadata.name}: readiness on /readyz`)
      const shutdownSeconds = Number(envOf(c, 'RELAY_SHUTDOWN_TIMEOUT_MS')) / 1000
      const preStop = c.lifecycle?.preStop?.exec?.command ?? []
      t.equal(preStop[0], 'sleep', `${d.metadata.name}: preStop sleeps`)
      const preStopSeconds = Number(preStop[1])
      t.ok(shutdownSeconds > 0 && preStopSeconds > 0, `${d.metadata.name}: shutdown ${shutdownSeconds}s, preStop ${preStopSeconds}s`)
      t.ok(pod.spec.terminationGracePeriodSeconds! > shutdownSeconds + preStopSeconds,
        `${d.metadata.name}: grace ${pod.spec.terminationGracePeriodSeconds}s > shutdown + preStop`)
      for (const key of ['checksum/config', 'checksum/secret']) {
        t.match(pod.metadata?.annotations?.[key], /^[a-f0-9]{64}$/, `${d.metadata.name}: ${key} annotation`)
      }
    }
    const worker = apps.find((d) => d.metadata.name.endsWith('-worker'))!
    const workerShutdown = Number(envOf(template(worker).spec.containers[0]!, 'RELAY_SHUTDOWN_TIMEOUT_MS'))
    t.ok(workerShutdown > 60_000, 'worker shutdown timeout exceeds the 60 s maximum delivery timeout')
  })

  t.test(`${scenario}: migrations run as a hook after the Secret and ConfigMap exist`, async (t) => {
    const [job] = find(manifests, 'Job', '-migrations')
    t.ok(job, 'migrations Job rendered')
    const hooks = (job?.metadata.annotations?.['helm.sh/hook'] ?? '').split(',')
    t.ok(hooks.includes('pre-upgrade'), 'pre-upgrade hook')
    const external = !manifests.some((m) => m.kind === 'StatefulSet' && m.metadata.name.endsWith('-postgresql'))
    t.ok(hooks.includes(external ? 'pre-install' : 'post-install'),
      external ? 'pre-install with an external database' : 'post-install with the in-chart Postgres')
    const jobWeight = Number(job?.metadata.annotations?.['helm.sh/hook-weight'])
    for (const dep of manifests.filter((m) => ['ConfigMap', 'Secret', 'ServiceAccount'].includes(m.kind) &&
      !m.metadata.name.includes('-dashboard-'))) {
      t.match(dep.metadata.annotations?.['helm.sh/hook'], /pre-install/, `${dep.kind} exists before the Job`)
      t.ok(Number(dep.metadata.annotations?.['helm.sh/hook-weight']) < jobWeight, `${dep.kind} is created before the Job`)
    }
  })

  t.test(`${scenario}: /metrics is reachable by Prometheus only, never through the api Service or the Ingress`, async (t) => {
    type Port = { name?: string, port: number | string, targetPort?: number | string }
    const portsOf = (m: Manifest | undefined) => ((m?.spec as { ports?: Port[] } | undefined)?.ports ?? [])
    const [config] = find(manifests, 'ConfigMap').filter((m) => (m as { data?: Record<string, string> }).data?.['RELAY_METRICS_PORT'] !== undefined)
    const metricsPort = Number((config as { data?: Record<string, string> } | undefined)?.data?.['RELAY_METRICS_PORT'])
    t.ok(metricsPort > 0, `RELAY_METRICS_PORT is set (${metricsPort})`)
    for (const component of ['api', 'worker']) {
      const [deployment] = find(manifests, 'Deployment', `-${component}`)
      const container = template(deployment!).spec.containers[0] as Container & { ports?: { name: string, containerPort: number }[] }
      t.equal(container.ports?.find((p) => p.name === 'metrics')?.containerPort, metricsPort, `${component} container port "metrics" is RELAY_METRICS_PORT`)
      const [service] = find(manifests, 'Service', `-${component}`)
      t.same(portsOf(service).map((p) => p.targetPort), ['http'], `the ${component} Service carries the http port only`)
      const [metrics] = find(manifests, 'Service', `-${component}-metrics`)
      t.equal((metrics?.spec as { type?: string } | undefined)?.type, 'ClusterIP', `${component}-metrics is ClusterIP`)
      t.same(portsOf(metrics).map((p) => p.targetPort), ['metrics'])
      for (const monitor of find(manifests, 'ServiceMonitor', `-${component}`)) {
        const spec = monitor.spec as { endpoints: { port: string }[], selector: { matchLabels: Record<string, string> } }
        t.same(spec.endpoints.map((e) => e.port), ['metrics'], 'the ServiceMonitor scrapes the metrics port')
        t.equal(spec.selector.matchLabels['webhook-relay/metrics'], 'true', 'and selects the metrics Service only')
      }
      for (const policy of find(manifests, 'NetworkPolicy', `-${component}`)) {
        const rules = (policy.spec?.['ingress'] ?? []) as { ports?: { port: string | number }[] }[]
        for (const rule of rules) t.ok(rule.ports?.every((p) => p.port === 'http') || rule.ports?.every((p) => p.port === 'metrics'), 'no rule opens both ports to the same peers')
        t.equal(rules.filter((r) => r.ports?.some((p) => p.port === 'metrics')).length, 1, `one rule lets Prometheus reach ${component}'s metrics port`)
      }
    }
    for (const ingress of find(manifests, 'Ingress')) {
      const backends = JSON.stringify(ingress.spec)
      t.notMatch(backends, /metrics/, 'the Ingress routes nothing to a metrics Service or port')
    }
  })

  t.test(`${scenario}: NetworkPolicies keep the worker off private ranges and the metadata address`, async (t) => {
    const [worker] = find(manifests, 'NetworkPolicy', '-worker')
    const [api] = find(manifests, 'NetworkPolicy', '-api')
    t.ok(worker && api, 'api and worker policies rendered')
    type Rule = { to?: { ipBlock?: { cidr: string, except?: string[] } }[], ports?: { port: number | string }[] }
    const egress = (worker?.spec?.['egress'] ?? []) as Rule[]
    const internet = egress.flatMap((r) => r.to ?? []).filter((p) => p.ipBlock?.cidr === '0.0.0.0/0')
    t.equal(internet.length, 1, 'one IPv4 internet rule')
    for (const peer of internet) {
      for (const range of MUST_BLOCK) {
        t.ok((peer.ipBlock?.except ?? []).some((e) => cidrContains(e, range)), `${range} excluded from 0.0.0.0/0`)
      }
    }
    for (const rule of egress.filter((r) => r.to === undefined)) {
      t.same(rule.ports?.map((p) => p.port), [53, 53], 'a rule without destinations allows DNS only')
    }
    const internetRule = egress.find((r) => r.to?.some((p) => p.ipBlock?.cidr === '0.0.0.0/0'))
    t.same(internetRule?.ports?.map((p) => p.port), [80, 443], 'internet egress only on 80 and 443')
    const apiEgress = (api?.spec?.['egress'] ?? []) as Rule[]
    t.notOk(apiEgress.some((r) => r.to?.some((p) => p.ipBlock?.cidr === '0.0.0.0/0')), 'api has no internet egress')
  })
}

t.test('changing configuration changes the checksum that rolls the pods', async (t) => {
  const checksum = (sets: string[]): string | undefined =>
    template(find(render('default', sets), 'Deployment', '-worker')[0]!).metadata?.annotations?.['checksum/config']
  t.not(checksum(['config.logLevel=debug']), checksum(['config.logLevel=info']))
})

t.test('KEDA scales the worker on both consumer groups and replaces its CPU HPA', async (t) => {
  const manifests = render('keda')
  const [scaled] = find(manifests, 'ScaledObject')
  type Trigger = { type: string, metadata: Record<string, string>, authenticationRef?: { name: string } }
  const triggers = ((scaled?.spec?.['triggers'] ?? []) as Trigger[])
  t.same(triggers.map((tr) => [tr.type, tr.metadata['stream'], tr.metadata['consumerGroup']]), [
    ['redis-streams', 'prod:relay:v1:deliveries', 'deliver'],
    ['redis-streams', 'prod:relay:v1:events', 'fanout'],
  ])
  t.ok(triggers.every((tr) => tr.authenticationRef !== undefined), 'triggers authenticate to Redis')
  t.same(find(manifests, 'HorizontalPodAutoscaler').map((h) => h.metadata.name), ['relay-webhook-relay-api'])
  t.equal((find(manifests, 'Deployment', '-worker')[0]?.spec as Record<string, unknown>)['replicas'], undefined,
    'the worker Deployment leaves replicas to the autoscaler')
})

t.test('no-ingress scenario renders no Ingress and no Prometheus Operator objects', async (t) => {
  const kinds = new Set(render('no-ingress').map((m) => m.kind))
  for (const kind of ['Ingress', 'ServiceMonitor', 'PrometheusRule', 'HorizontalPodAutoscaler']) t.notOk(kinds.has(kind), `no ${kind}`)
})

t.test('a cluster without the Prometheus Operator: the defaults render no CRD-backed kinds', async (t) => {
  const kinds = new Set(render('default', [], { crds: false }).map((m) => m.kind))
  for (const kind of ['ServiceMonitor', 'PrometheusRule']) t.notOk(kinds.has(kind), `no ${kind} where its CRD is not served`)
  t.ok(kinds.has('Deployment') && kinds.has('Service'), 'the rest is rendered')
  const withCrds = new Set(render('default').map((m) => m.kind))
  for (const kind of ['ServiceMonitor', 'PrometheusRule']) t.ok(withCrds.has(kind), `${kind} where the CRD is served`)
})

t.test('dashboards and alert rules are the ones in grafana/, unchanged', async (t) => {
  const manifests = render('default')
  const dashboardFiles = readdirSync(`${REPO_ROOT}grafana/dashboards`).filter((f) => f.endsWith('.json'))
  const shipped = new Map(find(manifests, 'ConfigMap').flatMap((cm) => Object.entries(cm.data ?? {})))
  t.ok(dashboardFiles.length > 0, 'grafana/dashboards has dashboards')
  for (const file of dashboardFiles) {
    const source = readFileSync(`${REPO_ROOT}grafana/dashboards/${file}`, 'utf8').trimEnd()
    const digest = (s: string | undefined): string => createHash('sha256').update(s ?? '').digest('hex')
    t.equal(digest(shipped.get(file)), digest(source), `${file} shipped byte for byte`)
  }
  for (const cm of find(manifests, 'ConfigMap').filter((c) => c.metadata.name.includes('-dashboard-'))) {
    t.equal(cm.metadata.labels?.['grafana_dashboard'], '1', `${cm.metadata.name} labelled for the Grafana sidecar`)
  }
  const ruleFiles = readdirSync(`${REPO_ROOT}grafana/alerts`).filter((f) => f.endsWith('.yaml'))
  const groups = ruleFiles.flatMap((f) => (parse(readFileSync(`${REPO_ROOT}grafana/alerts/${f}`, 'utf8')) as { groups: unknown[] }).groups)
  t.same(find(manifests, 'PrometheusRule')[0]?.spec?.['groups'], groups, 'PrometheusRule carries every rule group')
})

t.test('the client address behind the Ingress: trust the ingress controller only, and nothing without it', async (t) => {
  const trust = (scenario: string, sets: string[] = []) => {
    const cm = find(render(scenario, sets), 'ConfigMap').find((c) => c.data?.RELAY_TRUST_PROXY !== undefined)
    return cm?.data?.RELAY_TRUST_PROXY
  }
  t.equal(trust('default'), '1', 'with the Ingress: one hop (the sign-in limit counts real clients)')
  t.equal(trust('no-ingress'), '', 'without it: none (a client could forge X-Forwarded-For)')
  t.equal(trust('default', ['config.trustProxy=10.0.0.0/8']), '10.0.0.0/8', 'an explicit value wins')
})
