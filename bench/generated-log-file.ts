import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { createGzip } from 'node:zlib';
import { generateCloudTrailRecords } from '../src/demo/generate';

/** N generated CloudTrail records as one gzipped log file, as S3 delivers them ({"Records":[…]}). */
export async function writeGeneratedLogFile(file: string, n: number): Promise<void> {
  const gz = createGzip({ level: 1 });
  const out = gz.pipe(createWriteStream(file));
  gz.write('{"Records":[');
  let i = 0;
  for (const r of generateCloudTrailRecords(n)) {
    if (!gz.write((i++ ? ',' : '') + JSON.stringify(r))) await once(gz, 'drain');
  }
  gz.end(']}');
  await once(out, 'finish');
}
