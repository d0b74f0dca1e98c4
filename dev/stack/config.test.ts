// A stack's listening ports lie outside the kernel's ephemeral range. Linux gives every outgoing connection a
// local port from /proc/sys/net/ipv4/ip_local_port_range (32768–60999 by default), loopback ones included: a
// migration's psql, the pgnet worker's pool, a health probe. A service that binds a port an open connection
// already uses fails with AddrInUse. The CI run of eadc838 lost its test stack at the simulators' Deno.serve (then
// on 55331–55335); see docs/local-vs-hosted.md, "Ports".
import assert from 'node:assert/strict';
import { allPorts as all, portsFor, portsInEphemeralRange } from './config.ts';

Deno.test('every port of both profiles lies outside this machine’s ephemeral port range', async () => {
  for (const profile of ['dev', 'test'] as const) {
    const { range, inside } = await portsInEphemeralRange(portsFor(profile));
    assert.ok(range, 'the Linux ephemeral range is readable here');
    assert.deepEqual(inside, [], `${profile}: ${inside.join(', ')} lie inside ${range[0]}–${range[1]}`);
  }
});

Deno.test('the two profiles never share a port, also moved by the offset the bench uses', () => {
  const dev = all(portsFor('dev', 0));
  const test = all(portsFor('test', 0));
  for (const port of test) assert.ok(!dev.includes(port), `${port} in both profiles`);
  const moved = all(portsFor('dev', 300));
  for (const port of [...dev, ...test]) assert.ok(!moved.includes(port), `${port} also in the dev stack moved by 300`);
});
