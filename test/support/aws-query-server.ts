/**
 * A local stand-in for IAM, speaking the AWS Query protocol over real HTTP so the SDK's own
 * serialisation, signing, retries and XML parsing run in tests.
 *
 * AWS Query: `POST /`, `content-type: application/x-www-form-urlencoded`, a form body
 * `Action=GetAccountAuthorizationDetails&Version=2010-05-08&Filter.member.1=User&…&MaxItems=…&Marker=…`;
 * the answer is XML (`<GetAccountAuthorizationDetailsResponse><GetAccountAuthorizationDetailsResult>`),
 * lists as `<member>` elements, timestamps ISO 8601, policy documents URL-encoded (RFC 3986), and
 * `IsTruncated` / `Marker` while more follow. Errors are `<ErrorResponse><Error><Type>Sender</Type>
 * <Code>…</Code>…` with status 400; `throttleNext(k)` answers the next k requests with `Throttling`,
 * which the SDK retries (`{ after: n }` lets n requests through first).
 *
 * The server holds one listing in the AWS CLI's JSON shape (documents as objects, dates as ISO
 * text) and pages it: MaxItems (1..1000, default 100) entities a page, counted across users, groups,
 * roles and policies in that order.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { listenOnLoopback } from './listen';

export const IAM_VERSION = '2010-05-08';

export interface RecordedQueryRequest {
  /** the form fields */
  form: Record<string, string>;
  at: Date;
  status: number;
}

export interface AwsQueryServer {
  url: string;
  requests: RecordedQueryRequest[];
  /** answer the next k requests with Throttling, after letting `after` requests through */
  throttleNext(k: number, opts?: { after?: number }): void;
  setAuthorizationDetails(details: Record<string, unknown>): void;
  close(): Promise<void>;
}

const LISTS = ['UserDetailList', 'GroupDetailList', 'RoleDetailList', 'Policies'] as const;

class QueryError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

const xmlText = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** RFC 3986 percent-encoding, as IAM returns policy documents. */
const rfc3986 = (text: string): string => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** One value as Query XML: lists as <member>, documents URL-encoded, dates ISO. */
function toXml(name: string, value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return `<${name}>${value.map((v) => toXml('member', v)).join('')}</${name}>`;
  if (typeof value === 'object') {
    if (/Document$/.test(name)) return `<${name}>${rfc3986(JSON.stringify(value))}</${name}>`;
    return `<${name}>${Object.entries(value).map(([k, v]) => toXml(k, v)).join('')}</${name}>`;
  }
  if (/Date$/.test(name) && typeof value === 'string') return `<${name}>${new Date(value).toISOString()}</${name}>`;
  return `<${name}>${xmlText(String(value))}</${name}>`;
}

function filterAllows(filters: string[], list: (typeof LISTS)[number], entry: Record<string, unknown>): boolean {
  if (filters.length === 0) return true;
  if (list === 'UserDetailList') return filters.includes('User');
  if (list === 'GroupDetailList') return filters.includes('Group');
  if (list === 'RoleDetailList') return filters.includes('Role');
  const awsManaged = typeof entry.Arn === 'string' && entry.Arn.includes(':iam::aws:policy/');
  return filters.includes(awsManaged ? 'AWSManagedPolicy' : 'LocalManagedPolicy');
}

export async function startAwsQueryServer(options: { authorizationDetails?: Record<string, unknown> } = {}): Promise<AwsQueryServer> {
  let details: Record<string, unknown> = options.authorizationDetails ?? {};
  let throttles = 0;
  let throttleAfter = 0;
  const requests: RecordedQueryRequest[] = [];
  const markers = new Map<string, { offset: number; query: string }>();

  const getAccountAuthorizationDetails = (form: Record<string, string>): string => {
    const filters = Object.keys(form).filter((k) => /^Filter\.member\.\d+$/.test(k)).sort().map((k) => form[k]);
    const maxItems = form.MaxItems === undefined ? 100 : Number(form.MaxItems);
    if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 1000) throw new QueryError(400, 'ValidationError', 'MaxItems must be between 1 and 1000');
    const query = JSON.stringify(filters);
    let offset = 0;
    if (form.Marker !== undefined) {
      const issued = markers.get(form.Marker);
      if (!issued || issued.query !== query) throw new QueryError(400, 'ValidationError', 'Invalid Marker');
      offset = issued.offset;
    }
    const entries = LISTS.flatMap((list) =>
      (Array.isArray(details[list]) ? (details[list] as Record<string, unknown>[]) : []).filter((e) => filterAllows(filters, list, e)).map((entry) => ({ list, entry })),
    );
    const page = entries.slice(offset, offset + maxItems);
    const next = offset + page.length;
    let marker = '';
    if (next < entries.length) {
      marker = Buffer.from(randomUUID()).toString('base64');
      markers.set(marker, { offset: next, query });
    }
    const body = LISTS.map((list) => toXml(list, page.filter((p) => p.list === list).map((p) => p.entry))).join('');
    return (
      `<GetAccountAuthorizationDetailsResponse xmlns="https://iam.amazonaws.com/doc/${IAM_VERSION}/"><GetAccountAuthorizationDetailsResult>` +
      `<IsTruncated>${marker !== ''}</IsTruncated>${marker ? `<Marker>${xmlText(marker)}</Marker>` : ''}${body}` +
      `</GetAccountAuthorizationDetailsResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></GetAccountAuthorizationDetailsResponse>`
    );
  };

  const server = http.createServer((req, res) => {
    const recorded: RecordedQueryRequest = { form: {}, at: new Date(), status: 0 };
    requests.push(recorded);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, xml: string) => {
        recorded.status = status;
        res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() });
        res.end(xml);
      };
      try {
        if (req.method !== 'POST' || req.url !== '/') throw new QueryError(404, 'InvalidAction', `${req.method} ${req.url}`);
        if (!req.headers.authorization?.startsWith('AWS4-HMAC-SHA256 ')) throw new QueryError(403, 'MissingAuthenticationToken', 'Missing Authentication Token');
        if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) throw new QueryError(400, 'MalformedQueryString', `content-type ${req.headers['content-type']}`);
        const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
        recorded.form = form;
        if (form.Version !== IAM_VERSION) throw new QueryError(400, 'InvalidParameterValue', `Version ${form.Version}`);
        if (throttles > 0 && throttleAfter > 0) throttleAfter--;
        else if (throttles > 0) {
          throttles--;
          throw new QueryError(400, 'Throttling', 'Rate exceeded');
        }
        if (form.Action === 'GetAccountAuthorizationDetails') return send(200, getAccountAuthorizationDetails(form));
        throw new QueryError(400, 'InvalidAction', `unsupported action ${form.Action}`);
      } catch (err) {
        const e = err instanceof QueryError ? err : new QueryError(500, 'ServiceFailure', err instanceof Error ? err.message : String(err));
        send(
          e.status,
          `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/${IAM_VERSION}/"><Error><Type>${e.status >= 500 ? 'Receiver' : 'Sender'}</Type>` +
            `<Code>${e.code}</Code><Message>${xmlText(e.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
        );
      }
    });
  });

  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    throttleNext(k, opts = {}) {
      throttles = k;
      throttleAfter = opts.after ?? 0;
    },
    setAuthorizationDetails(d) {
      details = d;
      markers.clear();
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
