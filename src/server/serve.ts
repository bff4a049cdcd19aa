import type { Config } from '../config/config';
import { createApp } from './app';

const LISTENING = 'govgraph API listening on';

/** The API's URL from what `govgraph serve` printed so far; null until it listens. */
export function listeningUrl(output: string): string | null {
  const m = new RegExp(`${LISTENING} (http://\\S+/graphql)`).exec(output);
  return m ? m[1] : null;
}

/**
 * `govgraph serve`: the API until SIGINT or SIGTERM, then a graceful stop (requests in flight
 * finish, connections close). Prints one line with the URL once it listens.
 */
export async function serve(config: Config): Promise<void> {
  const app = await createApp(config);
  const { url } = await app.start(config.PORT);
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
