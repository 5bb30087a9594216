// The transport against misbehaving HTTPS servers on 127.0.0.1 (real sockets, real TLS).
import { once } from 'node:events';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterConfig } from '../../src/cluster-config.js';
import { exitCodeFor } from '../../src/exit-codes.js';
import { SecretSet } from '../../src/redact.js';
import { classifyFailure } from '../../src/retry-policy.js';
import { createTestCertificates } from '../../src/testing/certs.js';
import { createTransport } from '../../src/transport.js';
import { TlsError, TransportError } from '../../src/transport-error.js';

const certs = createTestCertificates();
const servers: Server[] = [];
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A raw HTTPS server: `onSocket` writes whatever bytes it likes after the request arrives. */
async function rawServer(onRequest: (socket: Socket, head: string) => void): Promise<string> {
  const server = createHttpsServer({ cert: certs.certPem, key: certs.keyPem });
  server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('data', (data: Buffer) => onRequest(socket, data.toString('latin1')));
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function config(server: string, ca = certs.caPem): ClusterConfig {
  return {
    source: 'test',
    server,
    tls: { ca, rejectUnauthorized: true },
    namespace: 'default',
    credentials: { authorization: async () => 'Bearer t0ken-value-abc', refresh: async () => {} },
    caSource: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
    secrets: new SecretSet(),
    warnings: [],
  };
}

const request = (signal = new AbortController().signal) => ({
  method: 'GET' as const,
  path: '/api/v1/namespaces/default/configmaps',
  signal,
  description: { verb: 'list', resource: 'configmaps', namespace: 'default' },
});

describe('the whole exchange is bounded by the request timeout', () => {
  it('a body trickling one byte at a time fails at the timeout, as a retryable timeout', async () => {
    const url = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n');
      const timer = setInterval(() => socket.write('1\r\n \r\n'), 100);
      socket.on('close', () => clearInterval(timer));
    });
    const transport = createTransport(config(url), { requestTimeoutMs: 1000 });
    const error = await transport.send(request()).catch((e: unknown) => e);
    await transport.close();
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).errno).toBe('KUBEPOLL_REQUEST_TIMEOUT');
    expect((error as Error).message).toMatch(/no whole answer within the request timeout of 1s/);
    expect(classifyFailure(error, 'GET').action).toBe('retry');
    expect(classifyFailure(error, 'POST').action).toBe('fail');
  });

  it('endless "102 Processing" without a final answer fails at the timeout', async () => {
    const url = await rawServer((socket) => {
      const timer = setInterval(() => socket.write('HTTP/1.1 102 Processing\r\n\r\n'), 100);
      socket.on('close', () => clearInterval(timer));
    });
    const transport = createTransport(config(url), { requestTimeoutMs: 1000 });
    const error = await transport.send(request()).catch((e: unknown) => e);
    await transport.close();
    expect(error).toMatchObject({ errno: 'KUBEPOLL_REQUEST_TIMEOUT' });
  });

  it('interim 1xx answers before the final one are tolerated', async () => {
    const url = await rawServer((socket) => {
      socket.write('HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </x>\r\n\r\n');
      setTimeout(() => {
        const body = '{"kind":"ConfigMapList","items":[]}';
        socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
      }, 50);
    });
    const transport = createTransport(config(url));
    const response = await transport.send(request());
    await transport.close();
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body.toString())).toEqual({ kind: 'ConfigMapList', items: [] });
  });
});

describe('a response larger than the cap fails cleanly, without buffering it all', () => {
  it('a declared content-length over the cap', async () => {
    const url = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 10000000\r\n\r\n');
      socket.write(Buffer.alloc(64 * 1024, 0x20));
    });
    const transport = createTransport(config(url), { maxResponseBytes: 1024 * 1024 });
    const error = await transport.send(request()).catch((e: unknown) => e);
    await transport.close();
    expect(error).toMatchObject({ errno: 'KUBEPOLL_RESPONSE_TOO_LARGE' });
    expect((error as Error).message).toMatch(/larger than 1 MiB \(--max-response-mb\)/);
    expect(classifyFailure(error, 'GET').action).toBe('fail');
  });

  it('a chunked body that keeps growing past the cap is cut off there', async () => {
    let sent = 0;
    const url = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n');
      const chunk = Buffer.alloc(256 * 1024, 0x20);
      const timer = setInterval(() => {
        if (socket.destroyed) return clearInterval(timer);
        socket.write(`${chunk.length.toString(16)}\r\n`);
        socket.write(chunk);
        socket.write('\r\n');
        sent += chunk.length;
      }, 5);
      socket.on('close', () => clearInterval(timer));
    });
    const transport = createTransport(config(url), { maxResponseBytes: 1024 * 1024 });
    const error = await transport.send(request()).catch((e: unknown) => e);
    await transport.close();
    expect(error).toMatchObject({ errno: 'KUBEPOLL_RESPONSE_TOO_LARGE' });
    // It stopped near the cap, not after the server's whole (endless) body.
    expect(sent).toBeLessThan(64 * 1024 * 1024);
  });
});

/** A whole HTTP/1.1 answer with a body of its own (content-length), in `content-encoding` when given. */
function answer(socket: Socket, body: Buffer, encoding?: string): void {
  socket.write(
    `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n${encoding ? `content-encoding: ${encoding}\r\n` : ''}content-length: ${body.length}\r\n\r\n`,
  );
  socket.write(body);
}

describe('gzip, as client-go and kubectl ask for it', () => {
  const page = Buffer.from(
    JSON.stringify({
      kind: 'ConfigMapList',
      metadata: {},
      items: Array.from({ length: 400 }, (_, i) => ({ metadata: { name: `cm-${i}` } })),
    }),
  );

  it('asks for gzip and reads a gzipped answer; what it counts as received is the bytes on the wire', async () => {
    let head = '';
    const url = await rawServer((socket, h) => {
      head = h;
      answer(socket, gzipSync(page, { level: 1 }), 'gzip');
    });
    const transport = createTransport(config(url));
    const response = await transport.send(request());
    await transport.close();
    expect(head.toLowerCase()).toContain('\r\naccept-encoding: gzip\r\n');
    expect(response.body.equals(page)).toBe(true);
    expect(transport.bytesReceived).toBe(gzipSync(page, { level: 1 }).length);
    expect(transport.bytesReceived).toBeLessThan(page.length / 4);
  });

  it('with disableCompression it does not ask, and an uncompressed answer is read as it comes', async () => {
    let head = '';
    const url = await rawServer((socket, h) => {
      head = h;
      answer(socket, page);
    });
    const transport = createTransport({ ...config(url), disableCompression: true });
    const response = await transport.send(request());
    await transport.close();
    expect(head.toLowerCase()).not.toContain('accept-encoding');
    expect(response.body.equals(page)).toBe(true);
    expect(transport.bytesReceived).toBe(page.length);
  });

  it('a small answer that inflates past the cap (a gzip bomb) is refused at the cap', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20), { level: 9 });
    expect(bomb.length).toBeLessThan(1024 * 1024); // it passes the cap on the wire
    const url = await rawServer((socket) => answer(socket, bomb, 'gzip'));
    const transport = createTransport(config(url), { maxResponseBytes: 1024 * 1024 });
    const error = await transport.send(request()).catch((e: unknown) => e);
    await transport.close();
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).errno).toBe('KUBEPOLL_RESPONSE_TOO_LARGE');
    expect((error as Error).message).toMatch(/larger than 1 MiB \(--max-response-mb\)/);
    expect(classifyFailure(error, 'GET').action).toBe('fail');
  });

  it('a corrupt or cut-off gzip answer is a transport error that says so, retried like a dropped connection', async () => {
    const zipped = gzipSync(page);
    for (const [body, errno, what] of [
      [
        Buffer.concat([zipped.subarray(0, 10), Buffer.from('not deflate data at all'), zipped.subarray(40)]),
        'Z_DATA_ERROR',
        'a corrupt gzip answer',
      ],
      [zipped.subarray(0, zipped.length - 100), 'Z_BUF_ERROR', 'a truncated gzip answer'],
    ] as const) {
      const url = await rawServer((socket) => answer(socket, body, 'gzip'));
      const transport = createTransport(config(url));
      const error = await transport.send(request()).catch((e: unknown) => e);
      await transport.close();
      expect(error).toBeInstanceOf(TransportError);
      expect((error as TransportError).errno).toBe(errno);
      expect((error as Error).message).toBe(`list configmaps in namespace default: ${what} (${errno}) talking to ${url}`);
      expect(classifyFailure(error, 'GET').action).toBe('retry');
      // A write's answer comes after its 2xx status: the write was done, so it is not sent again.
      expect(classifyFailure(error, 'PUT').action).toBe('fail');
    }
  });

  it('an error answer whose gzipped body does not inflate is still that answer, to be classified by its status', async () => {
    const url = await rawServer((socket) =>
      socket.write(
        'HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\ncontent-length: 5\r\n\r\nnope!',
      ),
    );
    const transport = createTransport(config(url));
    const response = await transport.send(request());
    await transport.close();
    expect(response.status).toBe(403);
    expect(response.body.length).toBe(0);
  });

  it('no bytes at all under content-encoding gzip are an empty body, as client-go reads them', async () => {
    const url = await rawServer((socket) => answer(socket, Buffer.alloc(0), 'gzip'));
    const transport = createTransport(config(url));
    const response = await transport.send(request());
    await transport.close();
    expect(response.status).toBe(200);
    expect(response.body.length).toBe(0);
  });

  it('an encoding it did not ask for is refused by name, not handed on as JSON; the unread body raises nothing later', async () => {
    // Plain http (a kubeconfig may name one), where undici reports a body dropped unread as an error of its own.
    const server = createNetServer((socket) => {
      sockets.add(socket);
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: br\r\ncontent-length: 4\r\n\r\n');
        socket.write(Buffer.from([0x1b, 0, 0xf8, 0]));
      });
    });
    servers.push(server as unknown as Server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const transport = createTransport(config(url));
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    const error = await transport.send(request()).catch((e: unknown) => e);
    // undici reports a dropped body a tick later: nothing may surface as an uncaught exception.
    await new Promise((resolve) => setTimeout(resolve, 150));
    process.off('uncaughtException', onUncaught);
    expect(uncaught).toEqual([]);
    await transport.close();
    expect(error).toBeInstanceOf(TransportError);
    expect((error as Error).message).toBe(
      `list configmaps in namespace default: an answer in a content-encoding "br", which kubepoll does not read (KUBEPOLL_UNKNOWN_ENCODING) talking to ${url}`,
    );
  });

  it('gzip twice, in two header lines, is not gzip; a value that is no encoding name is not echoed', async () => {
    const zipped = gzipSync(page);
    for (const [headers, named] of [
      ['content-encoding: gzip\r\ncontent-encoding: gzip\r\n', 'that it names'],
      [`content-encoding: Bearer t0ken-value-abc\r\n`, 'that it names'],
    ] as const) {
      const url = await rawServer((socket) => {
        socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n${headers}content-length: ${zipped.length}\r\n\r\n`);
        socket.write(zipped);
      });
      const transport = createTransport(config(url));
      const error = await transport.send(request()).catch((e: unknown) => e);
      await transport.close();
      expect((error as TransportError).errno).toBe('KUBEPOLL_UNKNOWN_ENCODING');
      expect((error as Error).message).toContain(`an answer in a content-encoding ${named}, which kubepoll does not read`);
      expect((error as Error).message).not.toMatch(/t0ken/i);
    }
  });
});

describe('TLS verification', () => {
  it('a server certificate from another CA fails closed, naming the CA file and the server; no retry; exit 2', async () => {
    const other = createTestCertificates();
    let requested = false;
    const url = await rawServer(() => {
      requested = true;
    });
    const transport = createTransport(config(url, other.caPem));
    const error = await transport.send(request()).catch((e: unknown) => e);
    await transport.close();
    expect(error).toBeInstanceOf(TlsError);
    expect((error as Error).message).toContain('/var/run/secrets/kubernetes.io/serviceaccount/ca.crt');
    expect((error as Error).message).toContain(url);
    expect(classifyFailure(error, 'GET').action).toBe('fail');
    expect(exitCodeFor(error)).toBe(2);
    expect(requested).toBe(false); // the request (and its token) was never sent
  });
});
