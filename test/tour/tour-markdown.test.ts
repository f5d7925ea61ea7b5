/**
 * The tour's conventions on their own: how docs/tour.md is read into steps, how
 * shown output is matched (placeholders, elisions) and how ports are swapped.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseTour } from './tour-markdown.js';
import { PortMap, outputMatches } from './tour-match.js';

const fence = '```';

describe('parseTour', () => {
  test('a command takes the text block after it as its whole output, and prose may stand between them', () => {
    const steps = parseTour(`${fence}sh tour\nmidge pub -t a -m b\n${fence}\n\nIt prints:\n\n${fence}text\nhello\n${fence}\n`);
    assert.deepEqual(steps, [{ kind: 'run', line: 1, script: 'midge pub -t a -m b', exit: 0, expected: 'hello' }]);
  });

  test('a command with no text block after it must print nothing; output=any lets it print anything; exit= sets the status', () => {
    const steps = parseTour(`${fence}sh tour\na\n${fence}\n${fence}sh tour output=any exit=27\nb\n${fence}\n${fence}sh tour\nc\n${fence}\n`);
    assert.deepEqual(steps.map((s) => s.kind === 'run' && [s.script, s.exit, s.expected]), [['a', 0, ''], ['b', 27, undefined], ['c', 0, '']]);
  });

  test('terminals: started with their readiness, checked with text blocks, stopped, killed and waited for by directives', () => {
    const steps = parseTour([
      `${fence}sh tour terminal=broker ready=listening output=any`, 'midge broker', fence,
      `${fence}sh tour terminal=sub`, 'midge sub -t x', fence,
      `${fence}text terminal=sub`, 'x 1', fence,
      '<!-- tour: stop sub -->', '<!-- tour: kill broker -->', '<!-- tour: wait other exit=3 -->',
    ].join('\n'));
    assert.deepEqual(steps, [
      { kind: 'start', line: 1, terminal: 'broker', script: 'midge broker', ready: 'listening', anyOutput: true },
      { kind: 'start', line: 4, terminal: 'sub', script: 'midge sub -t x', ready: 'subscribed', anyOutput: false },
      { kind: 'expect', line: 7, terminal: 'sub', expected: 'x 1' },
      { kind: 'stop', line: 10, terminal: 'sub', exit: 0 },
      { kind: 'kill', line: 11, terminal: 'broker', exit: 0 },
      { kind: 'wait', line: 12, terminal: 'other', exit: 3 },
    ]);
  });

  test('manual blocks and other languages are not run', () => {
    assert.deepEqual(parseTour(`${fence}sh manual\nnpm link\n${fence}\n${fence}conf\nlistener 1883\n${fence}\n`), []);
  });

  test('a shell block that is neither tour nor manual, and other broken conventions, are errors naming the line', () => {
    assert.throws(() => parseTour(`\n${fence}sh\nmidge sub\n${fence}\n`), /tour\.md:2: a shell block is marked/);
    assert.throws(() => parseTour(`${fence}sh tour terminal=a ready=soon\nx\n${fence}\n`), /unknown ready=soon/);
    assert.throws(() => parseTour(`${fence}sh tour output=any\nx\n${fence}\n${fence}text\ny\n${fence}\n`), /output=any and an expected output block/);
    assert.throws(() => parseTour(`${fence}sh tour exit=x\nx\n${fence}\n`), /exit=x is not an exit status/);
    assert.throws(() => parseTour(`${fence}sh tour\nx\n`), /not closed/);
    assert.throws(() => parseTour('<!-- tour: pause a -->'), /a directive is/);
  });
});

describe('outputMatches', () => {
  test('lines must match exactly, ignoring blanks at line ends and blank lines at the end', () => {
    assert.ok(outputMatches('a\nb', 'a  \nb\n\n'));
    assert.ok(!outputMatches('a\nb', 'a\nb\nc'));
    assert.ok(!outputMatches('a\nb\nc', 'a\nb'));
    assert.ok(!outputMatches('a.b', 'axb'), 'regular expression characters are literal');
  });

  test('<words> matches any text within one line, never nothing and never a line end', () => {
    assert.ok(outputMatches('midge_sub_<pid> connected', 'midge_sub_4242 connected'));
    assert.ok(!outputMatches('midge_sub_<pid> connected', 'midge_sub_ connected'));
    assert.ok(!outputMatches('a <x> b', 'a 1\n2 b'));
    assert.ok(outputMatches('"time":<time>,"msg":"<words here>"', '"time":1795,"msg":"store restored"'));
  });

  test('a line ... matches any number of lines, none included', () => {
    assert.ok(outputMatches('...\nlast', 'last'));
    assert.ok(outputMatches('...\nlast', 'one\ntwo\nlast'));
    assert.ok(outputMatches('first\n...', 'first\nmore\nand more'));
    assert.ok(outputMatches('a\n...\nb\n...\nc', 'a\nx\nb\nc'));
    assert.ok(!outputMatches('...\nlast', 'last\nafter'));
  });
});

describe('PortMap', () => {
  const ports = new PortMap(new Map([[1883, 40001], [8883, 40002]]));

  test('replaces whole port numbers in commands and back in output, and nothing else', () => {
    assert.equal(ports.forTest('midge sub -p 1883; listener 8883; id 18830; 41883'), 'midge sub -p 40001; listener 40002; id 18830; 41883');
    assert.equal(ports.forTour('"port":40001,"listener":"mqtts:40002","time":1400012'), '"port":1883,"listener":"mqtts:8883","time":1400012');
  });

  test('a port the tour names without a mapping is an error', () => {
    assert.throws(() => ports.port(8080), /does not map/);
  });
});
