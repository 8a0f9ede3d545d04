#!/usr/bin/env node
/**
 * Webhook Relay's entry point (`npm start`, the image): `relay.ts [all|api|worker|migrate|reseal]`,
 * default RELAY_ROLE, else all. The command line itself is the core's (core/src/cli.ts);
 * this names what the relay is made of.
 */
import { runRelayCli } from '@webhook-relay/core'
import { relayComposition } from '../composition.ts'

runRelayCli(relayComposition)
