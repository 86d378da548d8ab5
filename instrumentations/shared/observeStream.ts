import { diag } from '@opentelemetry/api';

/** How an observed stream ended. */
export type StreamOutcome =
  /** The source finished (also when the caller aborted it through its controller). */
  | 'done'
  /** The caller stopped iterating (`break`, `return`). */
  | 'abandoned'
  /** The source threw. */
  | 'error'
  /** `onChunk` cut the stream off. */
  | 'cut';

/** What `onChunk` decides for one chunk. */
export type ChunkVerdict = 'pass' | 'hide' | { cut: Error };

export interface StreamHooks<Chunk> {
  /** Sees each chunk before the caller does: pass it on, hide it, or cut the stream off with an error. */
  onChunk(chunk: Chunk): ChunkVerdict;
  /** Called exactly once per iteration, after the source has been released. */
  onFinish(outcome: StreamOutcome, error?: unknown): void;
}

/** The part of the SDKs' `Stream` class this wrapper relies on. */
// Chunk is a phantom parameter: it ties a stream to the hooks that observe its chunks.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
export interface IteratorOwner<Chunk> {
  controller: AbortController;
}

/**
 * Wraps an SDK `Stream`'s `iterator` function (what `Symbol.asyncIterator`, `tee()` and
 * `toReadableStream()` all call), so every consumer goes through `hooks`. The caller's
 * chunks are the SDK's own objects; a hook failure is logged and the chunk passed on.
 * On a cut the source is released (which aborts the HTTP request) and the cut error
 * thrown to the caller.
 */
export function observeStream<Chunk>(stream: IteratorOwner<Chunk>, hooks: StreamHooks<Chunk>): void {
  const owner = stream as unknown as { iterator: () => AsyncIterator<Chunk> };
  const original = owner.iterator;
  if (typeof original !== 'function') {
    diag.warn('tollgate: this SDK Stream has no iterator function; the stream is not observed');
    return;
  }
  owner.iterator = () => observed(original.call(stream), stream, hooks);
}

async function* observed<Chunk>(
  source: AsyncIterator<Chunk>,
  stream: IteratorOwner<Chunk>,
  hooks: StreamHooks<Chunk>,
): AsyncGenerator<Chunk, void, undefined> {
  let outcome: StreamOutcome = 'abandoned';
  let failure: unknown;
  try {
    for await (const chunk of { [Symbol.asyncIterator]: () => source }) {
      let verdict: ChunkVerdict = 'pass';
      try {
        verdict = hooks.onChunk(chunk);
      } catch (err: unknown) {
        diag.error('tollgate: stream observer failed; chunk passed on', err);
      }
      if (verdict === 'hide') continue;
      if (verdict !== 'pass') {
        outcome = 'cut';
        failure = verdict.cut;
        stream.controller.abort();
        throw verdict.cut; // leaving the loop releases the source
      }
      yield chunk;
    }
    outcome = 'done';
  } catch (err: unknown) {
    if (outcome !== 'cut') {
      outcome = 'error';
      failure = err;
    }
    throw err;
  } finally {
    try {
      hooks.onFinish(outcome, failure);
    } catch (err: unknown) {
      diag.error('tollgate: stream observer failed at the end', err);
    }
  }
}
