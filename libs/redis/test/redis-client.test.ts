import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import { connectRedis, isCluster, masterOf, parseRedisUrl, printableRedisUrl } from '../src/index.ts';

describe('parseRedisUrl', () => {
  it('reads one server, over TLS or not', () => {
    assert.deepEqual(parseRedisUrl('redis://127.0.0.1:6379/0'), {
      kind: 'server',
      url: 'redis://127.0.0.1:6379/0',
      tls: false,
    });
    assert.equal(parseRedisUrl('rediss://:pw@h:6380').tls, true);
  });

  it('reads a cluster from its seed nodes, with credentials and TLS', () => {
    assert.deepEqual(parseRedisUrl('redis+cluster://10.0.0.1:7000,10.0.0.2:7001/'), {
      kind: 'cluster',
      seeds: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
      ],
      tls: false,
    });
    assert.deepEqual(parseRedisUrl('redis+cluster://[::1]:7001'), {
      kind: 'cluster',
      seeds: [{ host: '::1', port: 7001 }],
      tls: false,
    });
    assert.deepEqual(parseRedisUrl('rediss+cluster://app:p%40ss:w@redis-0.redis:6379'), {
      kind: 'cluster',
      seeds: [{ host: 'redis-0.redis', port: 6379 }],
      username: 'app',
      password: 'p@ss:w',
      tls: true,
    });
  });

  it('says what is wrong and what form is expected', () => {
    assert.throws(() => parseRedisUrl('redis+cluster://h1:7000,h2'), /cluster seed "h2".*host:port/);
    assert.throws(() => parseRedisUrl('redis+cluster://h1:99999'), /cluster seed "h1:99999"/);
    assert.throws(() => parseRedisUrl('http://h:1'), /http: is not a Redis scheme/);
    assert.throws(() => parseRedisUrl('not a url'), /is not a URL: use redis:\/\/host:port/);
  });
});

describe('connectRedis', () => {
  it('makes a server client or a cluster client from the URL, connecting nothing while lazy', () => {
    const server = connectRedis('redis://127.0.0.1:1', { lazyConnect: true });
    const cluster = connectRedis('redis+cluster://:secret@127.0.0.1:1,127.0.0.1:2', { lazyConnect: true });
    try {
      assert.ok(server instanceof Redis && !isCluster(server));
      assert.ok(cluster instanceof Cluster && isCluster(cluster));
      assert.equal(cluster.options.redisOptions?.password, 'secret');
      assert.equal(cluster.options.scaleReads, 'master');
      assert.equal(server.status, 'wait');
      assert.equal(cluster.status, 'wait');
    } finally {
      server.disconnect();
      cluster.disconnect();
    }
  });

  it("finds a key's master from the slot map: one upload's keys share it", () => {
    const cluster = connectRedis('redis+cluster://127.0.0.1:1', { lazyConnect: true }) as Cluster;
    try {
      assert.equal(masterOf(cluster, 'sluice:{foo}:meta'), undefined, 'no slot map yet');
      // Redis' CLUSTER KEYSLOT foo is 12182, and bar's is 5061.
      cluster.slots[12182] = ['127.0.0.1:7000', '127.0.0.1:7003'];
      assert.equal(masterOf(cluster, 'sluice:{foo}:meta'), '127.0.0.1:7000');
      assert.equal(masterOf(cluster, 'sluice:{foo}:c:0:w:3'), '127.0.0.1:7000');
      assert.equal(masterOf(cluster, 'foo'), '127.0.0.1:7000');
      assert.equal(masterOf(cluster, 'sluice:{bar}:meta'), undefined);
      const server = connectRedis('redis://127.0.0.1:6390', { lazyConnect: true });
      assert.equal(masterOf(server, 'anything'), '127.0.0.1:6390');
      server.disconnect();
    } finally {
      cluster.disconnect();
    }
  });
});

describe('printableRedisUrl', () => {
  it('hides the password of either form', () => {
    assert.equal(printableRedisUrl('redis+cluster://u:hunter2@h:1,h:2'), 'redis+cluster://u:***@h:1,h:2');
    assert.equal(printableRedisUrl('rediss://:hunter2@h:6380/0'), 'rediss://:***@h:6380/0');
    assert.equal(printableRedisUrl('redis://h:1'), 'redis://h:1');
  });
});
