/** Every dashboard the generator writes, by file name. */
import type { DashboardSpec } from '../grafana/dashboard.ts'
import { deliveries } from './deliveries.ts'
import { overview } from './overview.ts'
import { runtime } from './runtime.ts'

export const dashboardSpecs: readonly DashboardSpec[] = [overview, deliveries, runtime]
