/**
 * The line that shows a pause or resume waiting for AWS, on a terminal only: piped output and
 * `--json` stay free of control characters.
 */
import { SingleBar } from 'cli-progress';

export interface ProgressStream extends NodeJS.WritableStream {
  readonly isTTY?: boolean;
}

export interface Progress {
  update(mappingState: string, elapsedMs: number): void;
  stop(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** For `--json` and pipes: no output at all. */
export const silentProgress: Progress = { update: () => undefined, stop: () => undefined };

/** A spinner and a bar of the wait's budget, on `stream` if it is a terminal; otherwise nothing. */
export function waitProgress(stream: ProgressStream, label: string, timeoutMs: number): Progress {
  if (!stream.isTTY) return silentProgress;
  const bar = new SingleBar({
    format: `{spinner} ${label}: event source mapping {state}  {bar} {value}/{total} s`,
    stream,
    barsize: 20,
    clearOnComplete: true,
    hideCursor: true,
    // Redrawn on each poll; the spinner turns at every redraw.
    fps: 10,
  });
  let frame = 0;
  let running = true;
  bar.start(Math.ceil(timeoutMs / 1000), 0, { spinner: FRAMES[0], state: '…' });
  return {
    update: (state, elapsedMs) => {
      frame = (frame + 1) % FRAMES.length;
      bar.update(Math.min(Math.round(elapsedMs / 1000), bar.getTotal()), { spinner: FRAMES[frame], state });
    },
    stop: () => {
      if (running) bar.stop();
      running = false;
    },
  };
}

/** A bar of work done out of a total (objects read, messages sent), which can grow as work is found. */
export interface CountProgress {
  /** Sets the total (the bar starts on the first call). */
  total(total: number): void;
  increment(by?: number): void;
  stop(): void;
}

export const silentCount: CountProgress = { total: () => undefined, increment: () => undefined, stop: () => undefined };

/** A bar `label  [====    ] 12/40` on `stream` if it is a terminal; otherwise nothing. */
export function countProgress(stream: ProgressStream, label: string): CountProgress {
  if (!stream.isTTY) return silentCount;
  const bar = new SingleBar({
    format: `${label}  {bar} {value}/{total}`,
    stream,
    barsize: 24,
    clearOnComplete: true,
    hideCursor: true,
    fps: 10,
  });
  let state: 'idle' | 'running' | 'stopped' = 'idle';
  let value = 0;
  return {
    total: (total) => {
      if (state === 'stopped') return;
      if (state === 'idle') bar.start(total, value);
      else bar.setTotal(total);
      state = 'running';
    },
    increment: (by = 1) => {
      value += by;
      if (state === 'running') bar.update(value);
    },
    stop: () => {
      if (state === 'running') bar.stop();
      state = 'stopped';
    },
  };
}
