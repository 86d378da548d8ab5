/** When the chunks of a streamed call arrived: what the GenAI streaming metrics are made of. */
export interface StreamTiming {
  /** From sending the request to the first chunk, seconds (`gen_ai.response.time_to_first_chunk`). */
  firstChunkSeconds: number;
  /** For each chunk after the first, the time since the previous chunk, seconds (`gen_ai.client.operation.time_per_output_chunk`). */
  chunkGapsSeconds: number[];
}
