import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { configWarnings, loadConfig } from '../../src/config/index.js';
import { logOptionsFromConfig } from '../../src/server/index.js';
import { assertConfigError, ConfigSandbox } from './helpers.js';

const sandbox = new ConfigSandbox();
after(() => sandbox.cleanup());

describe('mosquitto.conf syntax', () => {
  it('skips comments, blank lines and indented comments, and reads CRLF files with a BOM', () => {
    const text = '\uFEFF# a comment\r\n\r\n   # indented comment\r\nmax_qos 1\r\n\tmax_keepalive\t60 \r\n';
    const config = sandbox.load('crlf.conf', text);
    assert.equal(config.limits.maxQos, 1);
    assert.equal(config.limits.maxKeepalive, 60);
  });

  it("names the file and line of an unknown option and suggests the option meant", () => {
    const text = Array.from({ length: 11 }, () => '# filler').join('\n') + '\nlisener 1883\n';
    const file = sandbox.write('midge.conf', text);
    assert.throws(() => loadConfig({ file, env: {} }), { message: `${file}:12: unknown option 'lisener' (did you mean 'listener'?)` });
  });

  it('uses the path as the user wrote it in messages', () => {
    sandbox.write('relative.conf', 'bogus_option 1\n');
    assert.throws(() => loadConfig({ file: 'relative.conf', cwd: sandbox.dir, env: {} }), { message: "relative.conf:1: unknown option 'bogus_option'" });
  });

  it('explains that a mosquitto option is not supported rather than unknown', () => {
    const file = sandbox.path('unsupported.conf');
    assertConfigError(() => sandbox.load('unsupported.conf', 'psk_hint hello\n'), `${file}:1`, "'psk_hint' is a mosquitto option midge does not support (TLS-PSK is not supported");
    assertConfigError(() => sandbox.load('unsupported.conf', '\nplugin_opt_foo bar\n'), `${file}:2`, "'plugin_opt_foo' is a mosquitto option midge does not support");
  });

  it('honours mosquitto logging and process options, and reports only those without effect in the warnings', () => {
    const config = sandbox.load('logs.conf', 'log_type error\nlog_type warning\nlog_dest file /var/log/m.log\nlog_timestamp false\npid_file /run/m.pid\nuser mosquitto\nautosave_interval 1800\nlog_timestamp_format %Y-%m-%dT%H:%M:%S\n');
    const file = sandbox.path('logs.conf');
    assert.deepEqual(config.acceptedWithoutEffect, ['autosave_interval', 'user']);
    const o = config.operations;
    assert.deepEqual([o.logFormat, o.logDestinations, o.logTypes, o.logTimestamp, o.logTimestampFormat],
      [undefined, [{ kind: 'file', path: '/var/log/m.log' }], ['error', 'warning'], false, '%Y-%m-%dT%H:%M:%S']);
    assert.equal(config.operations.pidFile, '/run/m.pid');
    const warnings = configWarnings(config);
    assert.ok(!warnings.some((w) => w.includes('log_type') || w.includes('pid_file')), warnings.join('\n'));
    assert.ok(warnings.some((w) => w.startsWith(`${file}:7: autosave_interval has no effect`)), warnings.join('\n'));
  });

  it('reads log_dest and log_type in order: none clears what came before, all means every type, and debug lines lower the default level', () => {
    const config = sandbox.load('order.conf', 'log_dest file /var/log/a.log\nlog_dest none\nlog_dest stderr\nlog_dest topic\nlog_type error\nlog_type none\nlog_type all\n');
    assert.deepEqual(config.operations.logDestinations, [{ kind: 'stderr' }, { kind: 'topic' }]);
    assert.deepEqual(config.operations.logTypes, ['error', 'warning', 'notice', 'information', 'debug', 'subscribe', 'unsubscribe', 'websockets']);
    assert.equal(logOptionsFromConfig(config).level, 'debug');
    assert.equal(logOptionsFromConfig(sandbox.load('level.conf', 'log_type all\nlog_level warn\n')).level, 'warn');
    assertConfigError(() => sandbox.load('dlt.conf', 'log_dest dlt\n'), sandbox.path('dlt.conf') + ':1', 'log_dest dlt is not supported');
  });

  it('refuses invalid logging values with the line', () => {
    const file = sandbox.path('badlog.conf');
    assertConfigError(() => sandbox.load('badlog.conf', 'log_type loud\n'), `${file}:1`, "invalid log_type 'loud'");
    assertConfigError(() => sandbox.load('badlog.conf', 'log_dest file\n'), `${file}:1`, 'log_dest file needs a path');
    assertConfigError(() => sandbox.load('badlog.conf', 'log_timestamp maybe\n'), `${file}:1`, 'expected true or false');
  });

  it('lets the last value of a repeated number or boolean win, as mosquitto does', () => {
    const config = sandbox.load('repeat.conf', 'max_qos 0\nretain_available false\nmax_qos 1\nretain_available true\n');
    assert.equal(config.limits.maxQos, 1);
    assert.equal(config.limits.retainAvailable, true);
  });

  it('refuses a path option given twice, naming both lines', () => {
    sandbox.write('pw', 'u:p\n');
    const file = sandbox.path('twice.conf');
    assertConfigError(() => sandbox.load('twice.conf', 'password_file pw\n# again\npassword_file pw\n'), `${file}:3`, `duplicate password_file (already set at ${file}:1)`);
  });

  it('accumulates repeatable options in the order written', () => {
    const config = sandbox.load('lists.conf', 'admin_user alice\nconfidential_topics a/# b/#\nadmin_user bob\nconfidential_topics c/+\n');
    assert.deepEqual(config.auth.adminUsers, ['alice', 'bob']);
    assert.deepEqual(config.confidentialTopics, ['a/#', 'b/#', 'c/+']);
  });

  it('takes a trailing comment after a listener address or a single value', () => {
    const config = sandbox.load('trailing.conf', 'listener 1883 127.0.0.1 # local only\nmax_qos 1 # at most once\n');
    assert.equal(config.listeners[0]!.address, '127.0.0.1');
    assert.equal(config.limits.maxQos, 1);
  });

  it('refuses a listener line without a port, with too many words, or naming a Unix socket', () => {
    const file = sandbox.path('listener.conf');
    assertConfigError(() => sandbox.load('listener.conf', 'listener\n'), `${file}:1`, 'listener needs a port');
    assertConfigError(() => sandbox.load('listener.conf', 'listener 1883 a b\n'), `${file}:1`, 'listener takes a port and an address');
    assertConfigError(() => sandbox.load('listener.conf', 'listener 70000\n'), `${file}:1`, "invalid listener '70000'");
    assertConfigError(() => sandbox.load('listener.conf', 'listener 0 /run/mqtt.sock\n'), `${file}:1`, 'Unix socket listeners are not supported');
  });

  it('reports a config file that cannot be read', () => {
    assert.throws(() => loadConfig({ file: sandbox.path('absent.conf'), env: {} }), /cannot read config file '.*absent\.conf' \(ENOENT\)/);
    assert.throws(() => loadConfig({ file: sandbox.folder('a-dir'), env: {} }), /is a directory/);
  });
});

describe('include_dir', () => {
  it("reads DIR/*.conf in mosquitto's order: case-insensitive, capitals first on a tie", () => {
    for (const name of ['b.conf', 'C.conf', 'a.conf', '01.conf', 'A.conf', '00.conf']) sandbox.write(`conf.d/${name}`, `admin_user ${name}\n`);
    sandbox.write('conf.d/ignored.txt', 'admin_user ignored\n');
    sandbox.folder('conf.d/sub.conf');
    const config = sandbox.load('main.conf', 'admin_user main\ninclude_dir conf.d\n');
    assert.deepEqual(config.auth.adminUsers, ['main', '00.conf', '01.conf', 'A.conf', 'a.conf', 'b.conf', 'C.conf']);
  });

  it('reads each include_dir completely before the next one', () => {
    sandbox.write('one.d/C.conf', 'admin_user one-C\n');
    sandbox.write('one.d/B.conf', 'admin_user one-B\n');
    sandbox.write('two.d/A.conf', 'admin_user two-A\n');
    sandbox.write('two.d/D.conf', 'admin_user two-D\n');
    const config = sandbox.load('two.conf', 'include_dir one.d\ninclude_dir two.d\n');
    assert.deepEqual(config.auth.adminUsers, ['one-B', 'one-C', 'two-A', 'two-D']);
  });

  it('names the included file, as the include_dir line spells it, and its line in errors', () => {
    sandbox.write('bad.d/10-ok.conf', 'max_qos 1\n');
    sandbox.write('bad.d/20-broken.conf', '# first\nmax_qos 7\n');
    assertConfigError(() => sandbox.load('bad-main.conf', 'include_dir bad.d\n'), 'bad.d/20-broken.conf:2', "invalid max_qos '7'");
    const absolute = sandbox.path('bad.d');
    assertConfigError(() => sandbox.load('bad-main.conf', `include_dir ${absolute}\n`), `${absolute}/20-broken.conf:2`, "invalid max_qos '7'");
  });

  it('starts each included file before any listener, as mosquitto does', () => {
    sandbox.write('ctx.d/a.conf', 'listener 9001\nprotocol websockets\n');
    sandbox.write('ctx.d/b.conf', 'max_connections 5\n');
    const config = sandbox.load('ctx.conf', 'listener 1883\ninclude_dir ctx.d\nmax_connections 50\n');
    assert.deepEqual(config.listeners.map((l) => [l.port, l.protocol, l.maxConnections]), [[1883, 'mqtt', 50], [9001, 'websockets', 5]]);
  });

  it('refuses include_dir inside an included file and a missing directory', () => {
    sandbox.write('nest.d/a.conf', 'include_dir elsewhere\n');
    assertConfigError(() => sandbox.load('nest.conf', 'include_dir nest.d\n'), 'nest.d/a.conf:1', 'include_dir may only be used in the main config file');
    const file = sandbox.path('missing-dir.conf');
    assertConfigError(() => sandbox.load('missing-dir.conf', 'include_dir no-such.d\n'), `${file}:1`, "cannot read include_dir 'no-such.d' (ENOENT)");
  });
});
