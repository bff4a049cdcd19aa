/** A one-line progress display on a terminal (stderr); silent when not a terminal or not wanted. */
export function progressReporter<T>(wanted: boolean, format: (t: T) => string) {
  const live = wanted && process.stderr.isTTY;
  let last = 0;
  return {
    update: (t: T) => {
      if (!live) return;
      const now = Date.now();
      if (now - last < 200) return; // repaint at most five times a second
      last = now;
      process.stderr.write(`\r\x1b[2K${format(t)}`);
    },
    done: () => {
      if (live) process.stderr.write('\r\x1b[2K');
    },
  };
}
