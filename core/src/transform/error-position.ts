/**
 * Finds where in the user's script an error happened. Compile errors from isolated-vm
 * end with `[transform.js:3:14]`; runtime errors and timeouts carry a stack with
 * frames like `at transform (transform.js:3:9)`.
 */
import { SCRIPT_FILENAME } from './prelude.ts'

const escaped = SCRIPT_FILENAME.replace('.', '\\.')
const POSITION = new RegExp(`${escaped}:(\\d+):(\\d+)`)
const COMPILE_SUFFIX = new RegExp(` \\[${escaped}:\\d+:\\d+\\]$`)

export interface ErrorPosition {
  readonly line?: number
  readonly column?: number
}

export function findPosition(message: string, stack: string | undefined): ErrorPosition {
  const match = POSITION.exec(message) ?? (stack === undefined ? null : POSITION.exec(stack))
  if (match === null) return {}
  return { line: Number(match[1]), column: Number(match[2]) }
}

/** The message without isolated-vm's position suffix (the position is reported apart). */
export function cleanMessage(message: string): string {
  return message.replace(COMPILE_SUFFIX, '')
}
