/**
 * Reads a response body up to a byte cap.
 *
 * A receiver controls how much it sends back; the relay only needs enough to record
 * the attempt. Past the cap the stream is destroyed rather than drained, so a receiver
 * streaming an endless body costs one socket, not the whole request timeout.
 */
import type { Readable } from 'node:stream'

export async function readCapped(stream: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let kept = 0
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const room = maxBytes - kept
    if (chunk.length > room) {
      chunks.push(chunk.subarray(0, room))
      kept = maxBytes
      break // leaving the loop destroys the stream
    }
    chunks.push(chunk)
    kept += chunk.length
  }
  return Buffer.concat(chunks, kept)
}
