import type { Config } from '../config/config';
import { createApp } from './app';

const LISTENING = 'govgraph API listening on';

/** The API's URL from what `govgraph serve` printed so far; null until it listens. */
export function listeningUrl(output: string): string | null {
  const m = new RegExp(`${LISTENING} (http://\\S+/graphql)`).exec(output);
  return m ? m[1] : null;
}

/**
 * `govgraph serve`: the API on HOST:PORT (loopback unless HOST says otherwise) until SIGINT or
 * SIGTERM, then a graceful stop (requests in flight finish, connections close). Prints one line
 * with the URL once it listens; when it cannot listen (port taken), rejects with a one-line
 * ListenError after closing everything, so the command exits non-zero at once.
 */
export async function serve(config: Config): Promise<void> {
  const app = await createApp(config);
  let url: string;
  try {
    ({ url } = await app.start(config.PORT, config.HOST));
  } catch (err) {
    // close what createApp opened (pool, Apollo) so the process exits with the error, not hangs
    await app.stop();
    throw err;
  }
  process.stdout.write(`${LISTENING} ${url}\n`);
  await new Promise<void>((resolve) => {
    const shutdown = () => {
      process.off('SIGINT', shutdown);
      process.off('SIGTERM', shutdown);
      resolve();
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });
  await app.stop();
}
