import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback OAuth 2.0 token endpoint for the dispatcher's tests: checks client_secret_basic
 * credentials and the client credentials grant, issues `token-1`, `token-2`, … and keeps every
 * request it was sent. It can be told to answer with an error, a body of its own, or not at all.
 */
export interface TokenRequestSeen {
  readonly headers: IncomingHttpHeaders;
  readonly form: URLSearchParams;
}

export type TokenAnswer =
  | { readonly kind: 'issue'; readonly expiresIn?: number | null; readonly tokenType?: string }
  | { readonly kind: 'status'; readonly status: number; readonly body: string }
  | { readonly kind: 'hang' };

export interface TokenServer {
  readonly url: string;
  readonly requests: TokenRequestSeen[];
  /** Tokens issued, in order. */
  readonly issued: string[];
  answer(next: TokenAnswer): void;
  close(): Promise<void>;
}

export async function startTokenServer(clientId: string, clientSecret: string): Promise<TokenServer> {
  let behaviour: TokenAnswer = { kind: 'issue', expiresIn: 3600 };
  const requests: TokenRequestSeen[] = [];
  const issued: string[] = [];
  // As an authorization server reads client_secret_basic: base64, split at the first colon, each part form-decoded.
  const authenticated = (header: string | undefined): boolean => {
    const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? '');
    if (!match) return false;
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const formDecode = (part: string) => decodeURIComponent(part.replace(/\+/g, ' '));
    return colon > 0 && formDecode(decoded.slice(0, colon)) === clientId && formDecode(decoded.slice(colon + 1)) === clientSecret;
  };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      requests.push({ headers: request.headers, form });
      const json = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        response.end(typeof body === 'string' ? body : JSON.stringify(body));
      };
      if (behaviour.kind === 'hang') return;
      if (behaviour.kind === 'status') return json(behaviour.status, behaviour.body);
      if (request.method !== 'POST' || request.headers['content-type'] !== 'application/x-www-form-urlencoded') {
        return json(400, { error: 'invalid_request' });
      }
      if (!authenticated(request.headers.authorization)) return json(401, { error: 'invalid_client' });
      if (form.get('grant_type') !== 'client_credentials') return json(400, { error: 'unsupported_grant_type' });
      const token = `token-${issued.length + 1}`;
      issued.push(token);
      json(200, {
        access_token: token,
        token_type: behaviour.tokenType ?? 'Bearer',
        ...(behaviour.expiresIn === null ? {} : { expires_in: behaviour.expiresIn ?? 3600 }),
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/oauth/token`,
    requests,
    issued,
    answer: (next) => {
      behaviour = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
