/**
 * A test harness for action plugins, in the spirit of Backstage's startTestBackend: run a
 * plugin alone, for real, against a local receiver.
 *
 * - `startTestReceiver()` is an HTTP server on 127.0.0.1 that answers from a queue of
 *   expected replies and records every request byte for byte. A request nobody queued
 *   is answered 500 and remembered; `close()` (or `assertNoUnexpected()`) then throws,
 *   so a plugin that calls out more than the test expected fails the test.
 * - `runAction()` validates a config against the manifest's schema the way the host
 *   does (no defaults filled in), builds a real ActionContext (the SSRF-guarded client
 *   opened to 127.0.0.0/8, the Standard Webhooks signer, a recording logger, a W3C
 *   traceparent) and returns the plugin's DeliveryResult.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TObject } from 'typebox'
import Value from 'typebox/value'
import { createHttpClient } from '../egress/http-client.ts'
import { createGuardedConnect } from '../egress/guarded-connect.ts'
import { checkManifest } from '../plugin/manifest.ts'
import {
  type ActionContext,
  type TcpConnect,
  type ActionManifest,
  type DeliveryResult,
  type EventView,
  type Headers,
  type HttpClient,
  type Logger,
  type Payload,
} from '../plugin/contract.ts'
import { generateSigningSecret, standardWebhooksSigner } from '../signing/standard-webhooks.ts'
import { jsonOfBody } from '@webhook-relay/plugin-sdk'

/** Loopback only: the receiver runs on this machine. */
export const DEFAULT_TEST_ALLOW_CIDRS: readonly string[] = ['127.0.0.0/8']
const UNEXPECTED_STATUS = 500

export interface ReceivedRequest {
  readonly method: string
  /** Path and query, as sent. */
  readonly url: string
  /** Node's lowercased header names. */
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

export interface ReceiverReply {
  /** Default 200. */
  readonly status?: number
  readonly headers?: Headers
  /** A string or Buffer is sent as is; anything else as JSON. */
  readonly body?: string | Buffer | object
  /** Wait this long before answering, e.g. to make the plugin time out. */
  readonly delayMs?: number
}

export type ReceiverHandler = (req: ReceivedRequest) => ReceiverReply | Promise<ReceiverReply>

export interface TestReceiver {
  /** Base URL, `http://127.0.0.1:<port>`. */
  readonly url: string
  /** Every request received, expected or not, in arrival order. */
  readonly requests: readonly ReceivedRequest[]
  /** Queues the reply for the next request. Chainable. */
  expect(reply?: ReceiverReply | ReceiverHandler): TestReceiver
  /** Throws when a request arrived that no queued reply or handler was there for. */
  assertNoUnexpected(): void
  /** Stops the server; throws on unexpected requests or queued replies never used. */
  close(): Promise<void>
}

async function readBody(req: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
  return Buffer.concat(chunks)
}

function send(res: ServerResponse, reply: ReceiverReply): void {
  const { status = 200, headers = {}, body } = reply
  let payload: Buffer | string | undefined
  const out: Headers = { ...headers }
  if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) payload = body
  else {
    payload = JSON.stringify(body)
    out['content-type'] ??= 'application/json'
  }
  res.writeHead(status, out)
  res.end(payload)
}

/** Starts a receiver. With `handler`, requests that find the queue empty go to it instead of failing. */
export async function startTestReceiver(handler?: ReceiverHandler): Promise<TestReceiver> {
  const queue: (ReceiverReply | ReceiverHandler)[] = []
  const requests: ReceivedRequest[] = []
  const unexpected: ReceivedRequest[] = []
  const timers = new Set<NodeJS.Timeout>()

  const server: Server = createServer((req, res) => {
    void (async () => {
      const received: ReceivedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: await readBody(req),
      }
      requests.push(received)
      const next = queue.shift() ?? handler
      if (!next) {
        unexpected.push(received)
        send(res, { status: UNEXPECTED_STATUS, body: `unexpected request: ${received.method} ${received.url}` })
        return
      }
      const reply = typeof next === 'function' ? await next(received) : next
      if (!reply.delayMs) return send(res, reply)
      const timer = setTimeout(() => {
        timers.delete(timer)
        if (!res.destroyed) send(res, reply)
      }, reply.delayMs)
      timers.add(timer)
    })().catch((err: unknown) => {
      if (!res.headersSent) send(res, { status: UNEXPECTED_STATUS, body: `receiver handler threw: ${String(err)}` })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  const describe = (list: readonly ReceivedRequest[]): string => list.map((r) => `${r.method} ${r.url}`).join(', ')
  const receiver: TestReceiver = {
    url: `http://127.0.0.1:${port}`,
    requests,
    expect(reply = {}) {
      queue.push(reply)
      return receiver
    },
    assertNoUnexpected() {
      if (unexpected.length > 0) throw new Error(`test receiver got ${unexpected.length} unexpected request(s): ${describe(unexpected)}`)
    },
    async close() {
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      server.closeAllConnections()
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())))
      receiver.assertNoUnexpected()
      if (queue.length > 0) throw new Error(`test receiver: ${queue.length} expected request(s) never arrived`)
    },
  }
  return receiver
}

export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error'
  readonly obj: object
  readonly msg: string | undefined
}

/** A pino-shaped logger that keeps what it is told, so tests can check what a plugin logs (and that it logs no secrets). */
export function createRecordingLogger(): Logger & { readonly entries: readonly LogEntry[] } {
  const entries: LogEntry[] = []
  const at =
    (level: LogEntry['level']) =>
    (obj: object, msg?: string): void => {
      entries.push({ level, obj, msg })
    }
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

export interface RunActionOptions {
  /** The subscription config, validated against the manifest's schema as stored (no defaults applied). */
  readonly config: unknown
  readonly event?: Partial<EventView>
  /** Defaults to the event's body and content type. */
  readonly payload?: Partial<Payload>
  /** Default 1. */
  readonly attempt?: number
  /** Default a fresh `msg_` id; pass the same one to simulate retries of one delivery. */
  readonly webhookId?: string
  readonly deliveryId?: string
  readonly subscriptionId?: string
  /** Default one fresh `whsec_` secret. */
  readonly signingSecrets?: readonly string[]
  /** CIDRs the egress client may reach; default 127.0.0.0/8 so the test receiver is reachable. */
  readonly allowCidrs?: readonly string[]
  readonly signal?: AbortSignal
  readonly log?: Logger
  /** Use this client instead of a fresh guarded one. */
  readonly http?: HttpClient
  readonly traceparent?: string
}

function newTraceparent(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`
}

function buildEvent(partial: Partial<EventView> = {}): EventView {
  const body = partial.body ?? Buffer.from('{}')
  const contentType = partial.contentType === undefined ? 'application/json' : partial.contentType
  return {
    id: randomUUID(),
    sourceId: randomUUID(),
    sourceSlug: 'test-source',
    receivedAt: new Date(),
    headers: {},
    ...partial,
    body,
    contentType,
    json: 'json' in partial ? partial.json : jsonOfBody(contentType, body),
  }
}

/** One guard per allow-list, as in the relay (one per process): plugins may key pools on it. */
const guardedConnects = new Map<string, TcpConnect>()
function guardedConnectFor(allowCidrs: readonly string[]): TcpConnect {
  const key = allowCidrs.join(',')
  let connect = guardedConnects.get(key)
  if (!connect) guardedConnects.set(key, (connect = createGuardedConnect({ allowCidrs })))
  return connect
}

/** Runs one delivery attempt of `manifest` and returns what the plugin decided. */
export async function runAction<S extends TObject>(manifest: ActionManifest<S>, opts: RunActionOptions): Promise<DeliveryResult> {
  // The check the relay makes at boot: a plugin that passes here loads there.
  checkManifest(manifest, manifest.name)
  if (!Value.Check(manifest.config, opts.config)) {
    const detail = Value.Errors(manifest.config, opts.config)
      .map((e) => `${e.instancePath || '/'} ${e.message}`)
      .join('; ')
    throw new Error(`config rejected by ${manifest.name}'s schema: ${detail}`)
  }

  const event = buildEvent(opts.event)
  const payload: Payload = {
    body: event.body,
    contentType: event.contentType ?? 'application/octet-stream',
    headers: {},
    ...opts.payload,
  }
  const owned = opts.http ? undefined : createHttpClient({ allowCidrs: opts.allowCidrs ?? DEFAULT_TEST_ALLOW_CIDRS })
  const traceparent = opts.traceparent ?? newTraceparent()
  const ctx: ActionContext = {
    http: opts.http ?? (owned as HttpClient),
    connect: guardedConnectFor(opts.allowCidrs ?? DEFAULT_TEST_ALLOW_CIDRS),
    log: opts.log ?? createRecordingLogger(),
    signer: standardWebhooksSigner,
    traceHeaders: () => ({ traceparent }),
  }
  try {
    return await manifest.deliver(
      {
        event,
        payload,
        config: opts.config,
        subscription: { id: opts.subscriptionId ?? randomUUID(), signingSecrets: opts.signingSecrets ?? [generateSigningSecret()] },
        delivery: { id: opts.deliveryId ?? randomUUID(), webhookId: opts.webhookId ?? `msg_${randomUUID()}`, attempt: opts.attempt ?? 1 },
        signal: opts.signal ?? new AbortController().signal,
      },
      ctx,
    )
  } finally {
    await owned?.close()
  }
}
