// The fake OpenAI server of src/demo/fakes in a process of its own, so that its work does not
// land on the clock or the event loop of the process being measured. With a delay, every
// request waits that long before the fake answers it (a proxy in front of the fake), as a
// real provider keeps a request open while it generates. The proxy opens a new connection to
// the fake for each request, so no idle connection can be closed under it.
//   forked as: node bench/lib/fakeServerProcess.js <delay ms>; sends { baseURL } over IPC once listening.
import http from 'node:http';
import { fromDistFirst } from './dist.js';

const delayMs = Number(process.argv[2] ?? '0');
const { startFakeOpenAI } = await fromDistFirst('src/demo/fakes/startFakeOpenAI.js', 'test/fakes/startFakeOpenAI.js');
const fake = await startFakeOpenAI({ outputTokens: 20 });
const target = new URL(fake.url);

const front = http.createServer((req, res) => {
  const body = [];
  req.on('data', (c) => body.push(c));
  req.on('end', () => {
    setTimeout(() => {
      const out = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers, agent: false }, (answer) => {
        res.writeHead(answer.statusCode ?? 500, answer.headers);
        answer.pipe(res);
      });
      out.on('error', () => res.destroy());
      out.end(Buffer.concat(body));
    }, delayMs);
  });
});
// Idle client connections stay open (a variant waits tens of seconds between its batches): the
// client closes them, never the server while the client is about to reuse one.
front.keepAliveTimeout = 0;
front.listen(0, '127.0.0.1', () => {
  const { port } = front.address();
  process.send({ baseURL: `http://127.0.0.1:${port}/v1` });
});
process.on('disconnect', () => process.exit(0));
