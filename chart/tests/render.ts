// Renders the chart with the real helm binary and parses the manifests, for
// the schema and hardening tests. HELM overrides the binary (scripts/check-chart.sh
// sets it to the pinned build in ~/go/bin).
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseAllDocuments } from 'yaml'

export const CHART_DIR = fileURLToPath(new URL('../webhook-relay/', import.meta.url))
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const RELEASE = 'relay'
export const NAMESPACE = 'relay'
// A go-installed helm has no build-time version data and would assume
// Kubernetes 1.20; render for the oldest version the chart supports instead.
export const KUBE_VERSION = '1.27.0'
/** The CRD-backed kinds the chart renders only where the cluster serves them (helm template knows no cluster). */
export const CRD_API_VERSIONS = ['monitoring.coreos.com/v1/ServiceMonitor', 'monitoring.coreos.com/v1/PrometheusRule', 'keda.sh/v1alpha1/ScaledObject', 'keda.sh/v1alpha1/TriggerAuthentication']

export interface Manifest {
  apiVersion: string
  kind: string
  metadata: { name: string, labels?: Record<string, string>, annotations?: Record<string, string> }
  spec?: Record<string, unknown>
  data?: Record<string, string>
  [key: string]: unknown
}

function helmBinary (): string {
  if (process.env['HELM'] !== undefined && process.env['HELM'] !== '') return process.env['HELM']
  const goBin = `${homedir()}/go/bin/helm`
  return existsSync(goBin) ? goBin : 'helm'
}

/** Scenario names from chart/webhook-relay/ci/<name>-values.yaml. */
export function scenarios (): string[] {
  return readdirSync(`${CHART_DIR}ci`)
    .filter((f) => f.endsWith('-values.yaml'))
    .map((f) => f.replace(/-values\.yaml$/, ''))
    .sort()
}

/** helm template for one ci scenario, plus optional --set overrides, for a cluster that serves the CRDs (or, with crds: false, one that does not). */
export function render (scenario: string, sets: string[] = [], { crds = true }: { crds?: boolean } = {}): Manifest[] {
  const args = ['template', RELEASE, CHART_DIR, '--namespace', NAMESPACE, '--kube-version', KUBE_VERSION,
    ...(crds ? CRD_API_VERSIONS.flatMap((v) => ['--api-versions', v]) : []),
    '-f', `${CHART_DIR}ci/${scenario}-values.yaml`, ...sets.flatMap((s) => ['--set', s])]
  const out = execFileSync(helmBinary(), args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  return parseAllDocuments(out)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${scenario}: ${doc.errors.join('; ')}`)
      return doc.toJS() as Manifest | null
    })
    .filter((m): m is Manifest => m !== null)
}

export function find (manifests: Manifest[], kind: string, nameSuffix = ''): Manifest[] {
  return manifests.filter((m) => m.kind === kind && m.metadata.name.endsWith(nameSuffix))
}
