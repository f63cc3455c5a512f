/**
 * Captures what Powertools writes: Logger and Metrics print JSON lines straight to
 * `process.stdout` (and Logger's warnings and errors to `process.stderr`), bypassing Jest's
 * console, so tests read them here.
 */
export interface CapturedOutput {
  /** Everything written since capture started. */
  text(): string;
  /** Every line that parses as a JSON object. */
  json(): Record<string, unknown>[];
  /** Log lines (they carry a `level`). */
  logs(): Record<string, unknown>[];
  /** EMF metric documents (they carry `_aws`). */
  metrics(): Record<string, unknown>[];
  /** Values of one metric across all documents, with each document's dimensions. */
  metricValues(name: string): { value: number; dimensions: Record<string, unknown> }[];
  /** Forgets what was captured so far. */
  clear(): void;
  /** Stops capturing and restores both streams. */
  restore(): void;
}

export function captureOutput(): CapturedOutput {
  let buffer = '';
  const append = (chunk: string | Uint8Array): boolean => {
    buffer += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(append),
    jest.spyOn(process.stderr, 'write').mockImplementation(append),
  ];
  const json = (): Record<string, unknown>[] =>
    buffer
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const metrics = (): Record<string, unknown>[] => json().filter((line) => '_aws' in line);
  return {
    text: () => buffer,
    json,
    logs: () => json().filter((line) => 'level' in line),
    metrics,
    metricValues: (name) =>
      metrics().flatMap((document) => {
        const value = document[name];
        if (value === undefined) return [];
        const values = Array.isArray(value) ? (value as number[]) : [value as number];
        const aws = document._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] };
        const dimensionNames = aws.CloudWatchMetrics[0].Dimensions.flat();
        const dimensions = Object.fromEntries(dimensionNames.map((dimension) => [dimension, document[dimension]]));
        return values.map((v) => ({ value: v, dimensions }));
      }),
    clear: () => {
      buffer = '';
    },
    restore: () => spies.forEach((spy) => spy.mockRestore()),
  };
}
