#!/usr/bin/env node
/**
 * The core alone: `relay [all|api|worker|migrate|reseal]` with only the plugins RELAY_PLUGINS
 * names and no admin UI. What a relay installed from @webhook-relay/core (npx webhook-relay)
 * runs; the full product's entry point is app/src/bin/relay.ts.
 */
import { runRelayCli } from '../cli.ts'

runRelayCli()
