#!/usr/bin/env node
// Conformance driver: a strict ocpp-rpc charge point that plays one scripted
// scenario against the CSMS and judges every frame with independent
// validators (ocpp-rpc strict mode while running, typed-ocpp afterwards).
//
// Usage: node driver.mjs < input
//   input line 1: the scenario {url, timeout_ms?, steps, auto_reply?, defaults?,
//                 device?, manual?}
//   later lines: names awaited by "signal" steps (one per line)
// Output (stdout, one JSON object per line):
//   {"checkpoint": name, "vars": {...}}   at every "checkpoint" step
//   {"ok": bool, "steps": [...], "frames": [...], "violations": [...], ...}
//                                         once, last; the process then exits 0
//
// Steps (all waits are bounded by timeout_ms, default 5000):
//   connect    {conn, identity, protocols, url?, path?, password?, headers?,
//               tls?: {ca, cert, key, min_version, max_version, ciphers}, no_pong?,
//               expect?: {protocol} | {refused: HTTP status | true}}
//   call       {conn?, action, payload, expect?: {result} | {error}, save?: {var: path}}
//   raw        {conn?, frame | frames | text, expect?: {error, result, any, id, silent, none, equals}, save_reply?,
//               tolerated?: the frames break the schema in a non-essential part, so a schema-valid
//               CALLRESULT is acceptable too (GUIDE §5 item 15; a strict CSMS answers CALLERROR)}
//   wait_call  {conn?, action ("*" = any), expect?: {payload}, reply | error | hold
//               | replies: {Action: {reply} | {error}}, save?}
//   serve      {conn?, replies: {Action: {reply}|{error}}, until}  answer all
//               CSMS calls from the table until the test signals `until`
//   wait_answered {conn?, action}               the built-in device model answered one
//   expect_no_call {conn?}                      no CSMS call is waiting unanswered
//   answer     {conn?, ref, reply | error}      answers a call held by wait_call
//   checkpoint {name}                           tells the test where we are
//   signal     {name}                           waits for the test to say `name`
//   close      {conn?, code?}
//   wait_closed{conn?, expect?: {code}}         the CSMS closes the connection
// Strings "${var}" in payloads and expectations are replaced by saved values;
// "${now}" / "${now-3600}" by an ISO timestamp (offset in seconds).
// Expectation strings "~string", "~integer", "~number", "~utc-now", "~any"
// and "~absent" match by kind rather than by value.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { EventEmitter } from 'node:events';

const require = createRequire(import.meta.url);
// Ajv inside ocpp-rpc warns about its bundled 2.x enum schemas on stderr.
const warn = console.warn;
console.warn = (...args) => { if (!String(args[0]).startsWith('strict mode:')) warn(...args); };
const { RPCClient, createRPCError, createValidator, NOREPLY } = require('ocpp-rpc');

// ocpp-rpc 2.2.1 bundles the 2.1 schemas with ids "urn:<Action>Request" /
// "urn:<Action>Response" but looks them up as "urn:<Action>.req" / ".conf",
// so its own 2.1 strict mode fails every call. Same schemas, ids renamed.
// Built only for scenarios that offer 2.1 (it costs ~50 ms).
let ocpp21Validator;
function fixedValidators(protocols) {
  if (!protocols.includes('ocpp2.1')) return [];
  ocpp21Validator ??= createValidator('ocpp2.1', require('ocpp-rpc/lib/schemas/ocpp2_1.json').map((schema) => ({
    ...schema,
    $id: schema.$id.replace(/Request$/, '.req').replace(/Response$/, '.conf'),
  })));
  return [ocpp21Validator];
}

const STRICT_PROTOCOLS = ['ocpp1.6', 'ocpp2.0.1', 'ocpp2.1'];
// typed-ocpp's index compiles every schema of every version at import
// (~2.5 s); its per-version modules compile only the schemas used. Same
// validators, loaded on demand for the versions a scenario spoke.
const TYPED_DIRS = { 'ocpp1.6': 'ocpp16', 'ocpp2.0.1': 'ocpp20', 'ocpp2.1': 'ocpp21' };
const TYPED = {};

async function loadTyped(protocol) {
  const dir = TYPED_DIRS[protocol];
  if (!dir || TYPED[protocol]) return;
  const [call, result, error] = await Promise.all(['call', 'callresult', 'callerror'].map(
    (name) => import(`typed-ocpp/dist/${dir}/${name}.js`),
  ));
  TYPED[protocol] = {
    validateCall: call.validateCall,
    checkCallResult: result.checkCallResult,
    validateCallError: error.validateCallError,
  };
}
// CALLERROR codes as each version's OCPP-J specification spells them. 1.6
// keeps its typos (errata 5.1/5.2: "will not be fixed"); sources disagree on
// whether 2.0.1 fixed "Occurence", so 2.0.1 accepts both spellings.
const COMMON_CODES = [
  'GenericError', 'InternalError', 'NotImplemented', 'NotSupported',
  'PropertyConstraintViolation', 'ProtocolError', 'SecurityError',
  'TypeConstraintViolation',
];
const SPEC_ERROR_CODES = {
  'ocpp1.6': new Set([...COMMON_CODES, 'FormationViolation', 'OccurenceConstraintViolation']),
  'ocpp2.0.1': new Set([
    ...COMMON_CODES, 'FormatViolation', 'MessageTypeNotSupported', 'RpcFrameworkError',
    'OccurenceConstraintViolation', 'OccurrenceConstraintViolation',
  ]),
  'ocpp2.1': new Set([
    ...COMMON_CODES, 'FormatViolation', 'MessageTypeNotSupported', 'RpcFrameworkError',
    'OccurrenceConstraintViolation',
  ]),
};
// typed-ocpp 1.6.2 knows "OccurrenceConstraintViolation" only, and for 2.0.1
// and 2.1 lists "FormationViolation" but not the specs' "FormatViolation".
// A code in the version's spec table that typed-ocpp rejects only for its
// spelling is recorded as a note, not a violation.
const TYPED_SYNONYMS = {
  OccurenceConstraintViolation: 'OccurrenceConstraintViolation',
  FormatViolation: 'FormationViolation',
};
const MAX_ID = 36;

// The charger this driver plays answers configuration requests the CSMS may
// send on its own (e.g. reading smart-charging capabilities after a boot),
// like a typical AC charger. A scenario overrides values with
// {device: {config, variables}}, or lists an action in {manual: [...]} to
// answer it with wait_call steps instead.
const DEVICE_CONFIG = {
  HeartbeatInterval: '300',
  SupportedFeatureProfiles: 'Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger',
  ChargeProfileMaxStackLevel: '8',
  ChargingScheduleAllowedChargingRateUnit: 'Current,Power',
  ChargingScheduleMaxPeriods: '24',
  MaxChargingProfilesInstalled: '8',
  ConnectorSwitch3to1PhaseSupported: 'false',
  NumberOfConnectors: '1',
};
const DEVICE_VARIABLES = {
  'SmartChargingCtrlr.Enabled': 'true',
  'SmartChargingCtrlr.RateUnit': 'A,W',
  'SmartChargingCtrlr.PeriodsPerSchedule': '24',
  'SmartChargingCtrlr.ProfileStackLevel': '8',
  'SmartChargingCtrlr.Phases3to1': 'false',
  'SmartChargingCtrlr.LimitChangeSignificance': '0.5',
  'SmartChargingCtrlr.Entries[ChargingProfiles]': '8',
  'OCPPCommCtrlr.HeartbeatInterval': '300',
};

function variableKey({ component, variable }) {
  const instance = variable.instance ? `[${variable.instance}]` : '';
  return `${component.name}.${variable.name}${instance}`;
}

const DEVICE_RESPONDERS = {
  GetConfiguration(params) {
    const config = { ...DEVICE_CONFIG, ...(scenario.device?.config ?? {}) };
    const keys = params.key?.length ? params.key : Object.keys(config);
    return {
      configurationKey: keys.filter((k) => k in config).map((key) => ({ key, readonly: false, value: config[key] })),
      unknownKey: keys.filter((k) => !(k in config)),
    };
  },
  ChangeConfiguration(params) {
    const config = { ...DEVICE_CONFIG, ...(scenario.device?.config ?? {}) };
    return { status: params.key in config ? 'Accepted' : 'NotSupported' };
  },
  GetVariables(params) {
    const known = { ...DEVICE_VARIABLES, ...(scenario.device?.variables ?? {}) };
    const components = new Set(Object.keys(known).map((k) => k.split('.')[0]));
    return {
      getVariableResult: params.getVariableData.map((item) => {
        const key = variableKey(item);
        const base = { component: item.component, variable: item.variable };
        if (key in known) return { ...base, attributeStatus: 'Accepted', attributeValue: known[key] };
        return { ...base, attributeStatus: components.has(item.component.name) ? 'UnknownVariable' : 'UnknownComponent' };
      }),
    };
  },
  SetVariables(params) {
    const known = { ...DEVICE_VARIABLES, ...(scenario.device?.variables ?? {}) };
    return {
      setVariableResult: params.setVariableData.map((item) => ({
        component: item.component,
        variable: item.variable,
        attributeStatus: variableKey(item) in known ? 'Accepted' : 'UnknownVariable',
      })),
    };
  },
};
const DEFAULT_TIMEOUT = 5000;

let scenario = {};
const started = Date.now();
const bus = new EventEmitter();
bus.setMaxListeners(0);
const conns = new Map();
const frames = [];
const violations = [];
const notes = [];
const steps = [];
const vars = {};
const signals = [];
let currentConn = null;

const violation = (kind, detail) => { violations.push({ kind, ...detail }); };
const changed = () => bus.emit('change');

// ------------------------------------------------------------ waiting

function until(check, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    let timer;
    const probe = () => {
      let value;
      try { value = check(); } catch (err) { finish(); reject(err); return; }
      if (value !== undefined && value !== false && value !== null) { finish(); resolve(value); }
    };
    const finish = () => { clearTimeout(timer); bus.off('change', probe); };
    timer = setTimeout(() => { finish(); reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)); }, timeoutMs);
    bus.on('change', probe);
    probe();
  });
}

// ------------------------------------------------------ substitution

function subst(value) {
  if (typeof value === 'string') {
    const whole = /^\$\{([^}]+)\}$/.exec(value);
    if (whole) return lookupVar(whole[1]);
    return value.replace(/\$\{([^}]+)\}/g, (_, name) => String(lookupVar(name)));
  }
  if (Array.isArray(value)) return value.map(subst);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, subst(v)]));
  }
  return value;
}

function lookupVar(name) {
  const now = /^now([+-]\d+)?$/.exec(name);
  if (now) return new Date(Date.now() + Number(now[1] ?? 0) * 1000).toISOString();
  if (!(name in vars)) throw new Error(`unknown variable \${${name}}`);
  return vars[name];
}

function pick(obj, path) {
  return String(path).split('.').reduce((o, key) => (o == null ? undefined : o[key]), obj);
}

function saveVars(save, source) {
  for (const [name, path] of Object.entries(save ?? {})) vars[name] = pick(source, path);
}

// ------------------------------------------------------------- matching

function mismatch(actual, expected, path = '') {
  if (typeof expected === 'string' && expected.startsWith('~')) {
    const kind = expected.slice(1);
    const ok = {
      any: () => actual !== undefined,
      absent: () => actual === undefined,
      string: () => typeof actual === 'string',
      integer: () => Number.isInteger(actual),
      number: () => typeof actual === 'number',
      'utc-now': () => isUtcNow(actual),
    }[kind];
    if (!ok) return `${path || '.'}: unknown matcher ${expected}`;
    return ok() ? null : `${path || '.'}: ${JSON.stringify(actual)} is not ${expected}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      return `${path || '.'}: ${JSON.stringify(actual)} != ${JSON.stringify(expected)}`;
    }
    for (let i = 0; i < expected.length; i++) {
      const m = mismatch(actual[i], expected[i], `${path}[${i}]`);
      if (m) return m;
    }
    return null;
  }
  if (expected && typeof expected === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) {
      return `${path || '.'}: ${JSON.stringify(actual)} is not an object`;
    }
    for (const [key, value] of Object.entries(expected)) {
      const m = mismatch(actual[key], value, `${path}.${key}`);
      if (m) return m;
    }
    return null;
  }
  return actual === expected ? null : `${path || '.'}: ${JSON.stringify(actual)} != ${JSON.stringify(expected)}`;
}

// A dateTime in UTC ("Z" or "+00:00") within a minute of our clock.
function isUtcNow(value) {
  if (typeof value !== 'string') return false;
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)$/.test(value)) return false;
  return Math.abs(Date.parse(value) - Date.now()) < 60_000;
}

function codeMatches(code, expected) {
  return (Array.isArray(expected) ? expected : [expected]).includes(code);
}

// ------------------------------------------------------------- frames

function record(conn, text, outbound) {
  const str = Buffer.isBuffer(text) ? text.toString('utf8') : String(text);
  let parsed;
  try { parsed = JSON.parse(str); } catch { parsed = undefined; }
  frames.push({
    conn: conn.name,
    dir: outbound ? 'out' : 'in',
    raw: outbound && conn.sendingRaw,
    t: Date.now() - started,
    text: str,
    parsed,
  });
  changed();
}

const isReply = (f) => Array.isArray(f.parsed) && [3, 4, 5].includes(f.parsed[0]);
const frameId = (f) => (Array.isArray(f.parsed) ? f.parsed[1] : undefined);

function openConn(name) {
  const conn = conns.get(name ?? currentConn);
  if (!conn) throw new Error(`no connection ${name ?? currentConn}`);
  return conn;
}

// --------------------------------------------------------------- steps

const ops = {
  async connect(step) {
    const name = step.conn ?? 'main';
    const protocols = step.protocols ?? [];
    const strict = protocols.filter((p) => STRICT_PROTOCOLS.includes(p));
    const tls = step.tls ?? {};
    const read = (file) => (file ? readFileSync(file) : undefined);
    const wsOpts = Object.fromEntries(Object.entries({
      ca: read(tls.ca),
      cert: read(tls.cert),
      key: read(tls.key),
      minVersion: tls.min_version,
      maxVersion: tls.max_version,
      ciphers: tls.ciphers,
      // A charger that never answers the CSMS's WebSocket pings.
      autoPong: step.no_pong ? false : undefined,
    }).filter(([, v]) => v !== undefined));
    const client = new RPCClient({
      endpoint: (step.url ?? scenario.url) + (step.path ?? ''),
      identity: step.identity,
      password: step.password === undefined ? undefined : subst(step.password),
      headers: step.headers ?? {},
      wsOpts,
      protocols,
      strictMode: strict.length ? strict : false,
      strictModeValidators: fixedValidators(strict),
      reconnect: false,
      pingIntervalMs: 0,
      callTimeoutMs: step.timeout_ms ?? DEFAULT_TIMEOUT,
    });
    const conn = { name, client, inbox: [], held: new Map(), closed: null, sendingRaw: false, skipped: [], auto: [] };
    client.on('message', ({ message, outbound }) => record(conn, message, outbound));
    client.on('strictValidationFailure', (event) => {
      violation('strict-validation', {
        conn: name,
        direction: event.outbound ? 'driver->csms' : 'csms->driver',
        frame: event.isCall ? 'CALL' : 'CALLRESULT',
        method: event.method,
        messageId: event.messageId,
        error: String(event.error?.message ?? event.error),
        params: event.params,
        result: event.result,
      });
    });
    client.on('badMessage', ({ buffer, error }) => {
      conn.badMessages = (conn.badMessages ?? []).concat([{ text: buffer.toString('utf8'), error: String(error?.message) }]);
    });
    client.on('close', ({ code, reason }) => {
      conn.closed = { code, reason: String(reason ?? ''), by: conn.closing ? 'driver' : 'csms' };
      changed();
    });
    client.handle((call) => new Promise((resolve) => {
      const entry = { method: call.method, params: call.params, messageId: call.messageId, resolve };
      const auto = (scenario.auto_reply ?? {})[call.method];
      if (auto !== undefined) { respond(entry, auto); conn.auto.push(call.method); return; }
      const device = DEVICE_RESPONDERS[call.method];
      if (device && !(scenario.manual ?? []).includes(call.method)) {
        respond(entry, { reply: device(call.params) });
        conn.auto.push(call.method);
        return;
      }
      conn.inbox.push(entry);
      changed();
    }));
    conns.set(name, conn);
    const expect = step.expect ?? {};
    try {
      await client.connect();
    } catch (err) {
      conn.closed = conn.closed ?? { code: 1006, reason: 'connect failed' };
      const status = err.code;
      if (expect.refused !== undefined) {
        if (expect.refused !== true && status !== expect.refused) {
          throw new Error(`handshake refused with ${status} (${err.message}), expected ${expect.refused}`);
        }
        return { refused: status ?? null, error: String(err.message) };
      }
      throw new Error(`connect failed: ${err.message} (${status ?? 'no status'})`);
    }
    if (expect.refused !== undefined) {
      throw new Error(`handshake accepted with ${client.protocol}, expected a refusal`);
    }
    if (expect.protocol !== undefined && client.protocol !== expect.protocol) {
      throw new Error(`negotiated ${client.protocol}, expected ${expect.protocol}`);
    }
    // Later steps without a conn use the last connection that opened.
    currentConn = name;
    return { protocol: client.protocol };
  },

  async call(step) {
    const conn = openConn(step.conn);
    const payload = subst(step.payload ?? {});
    const mark = frames.length;
    const timeout = step.timeout_ms ?? DEFAULT_TIMEOUT;
    await conn.client.call(step.action, payload, { callTimeoutMs: timeout }).catch(() => undefined);
    const sent = frames.slice(mark).find((f) => f.conn === conn.name && f.dir === 'out' && !f.raw
      && Array.isArray(f.parsed) && f.parsed[0] === 2 && f.parsed[2] === step.action);
    if (!sent) throw new Error(`${step.action} was not sent (strict validation of our own payload?)`);
    const id = sent.parsed[1];
    const reply = frames.slice(mark).find((f) => f.conn === conn.name && f.dir === 'in' && isReply(f) && frameId(f) === id);
    if (!reply) throw new Error(`no answer to ${step.action} ${id} within ${timeout} ms`);
    return judgeReply(step, reply);
  },

  async raw(step) {
    const conn = openConn(step.conn);
    const list = step.frames ?? [step.frame ?? step.text];
    const texts = list.map((f) => (typeof f === 'string' ? subst(f) : JSON.stringify(subst(f))));
    const mark = frames.length;
    conn.sendingRaw = true;
    try { texts.forEach((text) => conn.client.sendRaw(text)); } finally { conn.sendingRaw = false; }
    if (step.tolerated) {
      for (const f of frames.slice(mark)) if (f.conn === conn.name && f.dir === 'out' && f.raw) f.tolerated = true;
    }
    const expect = subst(step.expect ?? {});
    const timeout = step.timeout_ms ?? DEFAULT_TIMEOUT;
    if (expect.none) return { sent: texts.length };
    if (expect.silent) {
      // No answer must come: the answer to a probe that follows on the same
      // socket proves nothing was sent in between (frames stay in order).
      await conn.client.call('Heartbeat', {}, { callTimeoutMs: timeout }).catch((err) => {
        throw new Error(`probe after silent frame failed: ${err.message}`);
      });
      const replies = frames.slice(mark).filter((f) => f.conn === conn.name && f.dir === 'in' && isReply(f));
      const probe = frames.slice(mark).find((f) => f.dir === 'out' && !f.raw && Array.isArray(f.parsed) && f.parsed[0] === 2);
      const unexpected = replies.filter((f) => frameId(f) !== probe?.parsed[1]);
      if (unexpected.length) throw new Error(`expected no answer, got ${unexpected.map((f) => f.text).join(' ')}`);
      return { silent: true };
    }
    const consumed = new Set();
    const results = [];
    for (const text of texts) {
      let parsed;
      try { parsed = JSON.parse(text); } catch { parsed = undefined; }
      const readable = Array.isArray(parsed) && typeof parsed[1] === 'string' && parsed[1].length > 0 && parsed[1].length <= MAX_ID;
      const ids = expect.id !== undefined ? [].concat(expect.id) : [readable ? parsed[1] : '-1'];
      const reply = await until(() => frames.slice(mark).find((f) => f.conn === conn.name && f.dir === 'in'
        && isReply(f) && ids.includes(frameId(f)) && !consumed.has(f)), timeout, `an answer with id ${ids.join('|')} to ${text.slice(0, 80)}`);
      consumed.add(reply);
      results.push(judgeReply({ ...step, expect }, reply));
    }
    return results.length === 1 ? results[0] : { replies: results };
  },

  async wait_call(step) {
    const conn = openConn(step.conn);
    const timeout = step.timeout_ms ?? DEFAULT_TIMEOUT;
    for (;;) {
      const entry = await until(() => conn.inbox.shift(), timeout, `a ${step.action} call from the CSMS`);
      if (step.action !== '*' && entry.method !== step.action) {
        // Not what this step waits for: answer as the scenario's defaults say
        // (a charger may not implement it) and keep waiting.
        const fallback = (scenario.defaults ?? {})[entry.method] ?? { error: 'NotImplemented' };
        respond(entry, fallback);
        conn.skipped.push(entry.method);
        continue;
      }
      const problem = step.expect?.payload ? mismatch(entry.params, subst(step.expect.payload)) : null;
      saveVars(step.save, entry.params);
      if (step.hold) {
        conn.held.set(step.hold, entry);
      } else if (step.replies) {
        respond(entry, subst(step.replies[entry.method] ?? { error: 'NotImplemented' }));
      } else {
        respond(entry, subst(step));
      }
      if (problem) throw new Error(`${step.action} payload ${problem}`);
      return { method: entry.method, messageId: entry.messageId, params: entry.params };
    }
  },

  // Answer every CSMS call from a table until the test signals `until`:
  // for request sequences the test does not want to script call by call.
  async serve(step) {
    const conn = openConn(step.conn);
    const served = [];
    for (;;) {
      const next = await until(() => conn.inbox.shift() ?? (signals.includes(step.until) ? 'done' : undefined),
        step.timeout_ms ?? 10_000, `CSMS calls or signal ${step.until}`);
      if (next === 'done') {
        signals.splice(signals.indexOf(step.until), 1);
        return { served };
      }
      const how = (step.replies ?? {})[next.method] ?? { error: 'NotImplemented' };
      respond(next, subst(how));
      served.push(next.method);
    }
  },

  // Wait until the device model above has answered a CSMS call of `action`.
  async wait_answered(step) {
    const conn = openConn(step.conn);
    await until(() => conn.auto.includes(step.action), step.timeout_ms ?? DEFAULT_TIMEOUT,
      `a ${step.action} call from the CSMS`);
    return {};
  },

  async expect_no_call(step) {
    const conn = openConn(step.conn);
    if (conn.inbox.length) throw new Error(`unexpected CSMS call(s): ${conn.inbox.map((e) => e.method).join(', ')}`);
    return {};
  },

  async answer(step) {
    const conn = openConn(step.conn);
    const entry = conn.held.get(step.ref);
    if (!entry) throw new Error(`no held call ${step.ref}`);
    conn.held.delete(step.ref);
    respond(entry, subst(step));
    return { answered: entry.method };
  },

  async checkpoint(step) {
    process.stdout.write(`${JSON.stringify({ checkpoint: step.name, vars })}\n`);
    return {};
  },

  async signal(step) {
    await until(() => {
      const index = signals.indexOf(step.name);
      if (index < 0) return false;
      signals.splice(index, 1);
      return true;
    }, step.timeout_ms ?? 10_000, `signal ${step.name} from the test`);
    return {};
  },

  async close(step) {
    const conn = openConn(step.conn);
    await closeConn(conn, step.code);
    return { closed: conn.closed };
  },

  async wait_closed(step) {
    const conn = openConn(step.conn);
    const closed = await until(() => conn.closed, step.timeout_ms ?? DEFAULT_TIMEOUT, `${conn.name} to be closed by the CSMS`);
    if (step.expect?.code !== undefined && closed.code !== step.expect.code) {
      throw new Error(`closed with ${closed.code}, expected ${step.expect.code}`);
    }
    return { closed };
  },
};

// Reply to a CSMS call: {reply: payload} | {error: code, description?} | NOREPLY.
function respond(entry, how) {
  if (how && how.error) {
    entry.resolve(createRPCError(how.error, how.description ?? '', {}));
  } else if (how && 'reply' in how) {
    entry.resolve(how.reply);
  } else {
    entry.resolve(NOREPLY);
  }
}

function judgeReply(step, reply) {
  const [type, id] = reply.parsed;
  const expect = subst(step.expect ?? {});
  const out = type === 3 ? { id, result: reply.parsed[2] } : { id, error: reply.parsed[2], description: reply.parsed[3] };
  if (step.save_reply) vars[step.save_reply] = reply.parsed.slice(2);
  if (expect.any) return out;
  if (expect.equals !== undefined) {
    const problem = mismatch(reply.parsed.slice(2), vars[expect.equals]);
    if (problem) throw new Error(`answer differs from ${expect.equals}: ${problem}`);
  }
  if (expect.error !== undefined) {
    if (type === 3) throw new Error(`expected CALLERROR ${expect.error}, got CALLRESULT ${JSON.stringify(reply.parsed[2])}`);
    if (!codeMatches(reply.parsed[2], expect.error)) {
      throw new Error(`expected CALLERROR ${JSON.stringify(expect.error)}, got ${reply.parsed[2]} (${reply.parsed[3]})`);
    }
    return out;
  }
  if (type !== 3) throw new Error(`expected CALLRESULT, got ${reply.text}`);
  if (expect.result !== undefined) {
    const problem = mismatch(reply.parsed[2], expect.result);
    if (problem) throw new Error(`result ${problem}`);
  }
  saveVars(step.save, reply.parsed[2]);
  return out;
}

async function closeConn(conn, code) {
  for (const entry of conn.held.values()) entry.resolve(NOREPLY);
  conn.held.clear();
  for (const entry of conn.inbox.splice(0)) entry.resolve(NOREPLY);
  if (conn.client.state === RPCClient.CLOSED) return;
  conn.closing = true;
  const forced = new Promise((resolve) => setTimeout(resolve, 2000, 'timeout'));
  const outcome = await Promise.race([conn.client.close({ code: code ?? 1000 }), forced]);
  if (outcome === 'timeout') await conn.client.close({ force: true });
  conn.closed = conn.closed ?? { code: code ?? 1000, reason: '' };
}

// ---------------------------------------------------------- validation

function protocolOf(connName) {
  return conns.get(connName)?.client.protocol;
}

function clone(value) {
  return JSON.parse(JSON.stringify(value));
}

// typed-ocpp's Ajv strips properties the schema forbids instead of failing;
// a frame that changed during validation had such properties.
function typedCheck(fn, value, ...more) {
  const copy = clone(value);
  const ok = fn(copy, ...more.map(clone));
  if (!ok) return (fn.errors ?? []).map(String);
  if (JSON.stringify(copy) !== JSON.stringify(value)) return ['properties the schema forbids'];
  return null;
}

function validateFrames() {
  const sends = new Map(); // conn|id -> number of CALLs we sent with it
  const answers = new Map(); // conn|id -> number of answers the CSMS sent
  const ids = new Set(); // conn|id of every frame we sent (any type)
  for (const [index, f] of frames.entries()) {
    const protocol = protocolOf(f.conn);
    const ns = TYPED[protocol];
    const where = { conn: f.conn, index, frame: f.text.slice(0, 600) };
    const p = f.parsed;
    if (f.dir === 'out') {
      if (Array.isArray(p) && typeof p[1] === 'string') ids.add(`${f.conn}|${p[1]}`);
      if (Array.isArray(p) && p[0] === 2 && typeof p[1] === 'string' && p[1].length > 0 && p[1].length <= MAX_ID) {
        const key = `${f.conn}|${p[1]}`;
        sends.set(key, (sends.get(key) ?? 0) + 1);
      }
      if (f.raw || !ns) continue;
      // Our own non-raw frames must be valid too, or the scenario is wrong.
      const problems = checkFrame(ns, f, index, protocol);
      if (problems) violation('driver-frame-invalid', { ...where, problems });
      continue;
    }
    if (!Array.isArray(p)) { violation('csms-frame-not-json-array', where); continue; }
    if (isReply(f)) {
      const key = `${f.conn}|${p[1]}`;
      answers.set(key, (answers.get(key) ?? 0) + 1);
      if (p[1] !== '-1' && !ids.has(key)) violation('answer-to-unknown-id', where);
    }
    if (p[0] === 2 && !(typeof p[1] === 'string' && p[1].length > 0 && p[1].length <= MAX_ID)) {
      violation('csms-message-id', { ...where, problems: ['message id must be a string of 1-36 characters'] });
    }
    if (!ns) continue;
    const problems = checkFrame(ns, f, index, protocol);
    if (problems) violation('typed-ocpp', { ...where, problems });
  }
  for (const [key, count] of sends) {
    const got = answers.get(key) ?? 0;
    // A call cannot be answered once the CSMS closed the socket (e.g. 1009).
    const droppedByCsms = got < count && conns.get(key.split('|')[0])?.closed?.by === 'csms';
    if (got !== count && !droppedByCsms) violation('answer-count', { call: key, sent: count, answered: got });
  }
}

// Check one frame; null when valid, else a list of problems.
function checkFrame(ns, f, index, protocol) {
  const p = f.parsed;
  if (!Array.isArray(p)) return ['not a JSON array'];
  switch (p[0]) {
    case 2:
    case 6:
      return typedCheck(ns.validateCall, p);
    case 3: {
      const callFrame = findCallFrame(f, index);
      if (!callFrame) return ['CALLRESULT without a matching CALL'];
      const call = callFrame.parsed;
      if (!callFrame.tolerated && typedCheck(ns.validateCall, call)) {
        return ['CALLRESULT to a CALL that is not valid (expected a CALLERROR)'];
      }
      // A tolerated CALL: the answer must still be a valid result of its action.
      return typedCheck(ns.checkCallResult, p, call);
    }
    case 4:
    case 5: {
      const problems = [];
      if (!SPEC_ERROR_CODES[protocol].has(p[2])) problems.push(`error code ${p[2]} is not one of ${protocol}'s`);
      const typed = typedCheck(ns.validateCallError, p);
      if (typed) {
        const synonym = TYPED_SYNONYMS[p[2]];
        const retry = synonym ? typedCheck(ns.validateCallError, [p[0], p[1], synonym, ...p.slice(3)]) : typed;
        if (retry === null && SPEC_ERROR_CODES[protocol].has(p[2])) {
          notes.push(`typed-ocpp rejects the ${protocol} spec spelling ${p[2]} (accepted as spec-conformant)`);
        } else {
          problems.push(...typed);
        }
      }
      return problems.length ? problems : null;
    }
    default:
      return [`message type ${p[0]}`];
  }
}

// The CALL (other direction, same connection, same id) a reply answers.
function findCallFrame(reply, index) {
  for (let i = index - 1; i >= 0; i--) {
    const f = frames[i];
    if (f.conn === reply.conn && f.dir !== reply.dir && Array.isArray(f.parsed)
        && f.parsed[0] === 2 && f.parsed[1] === reply.parsed[1]) return f;
  }
  return null;
}

// ----------------------------------------------------------------- main

async function main() {
  const rl = createInterface({ input: process.stdin });
  let first = true;
  const loaded = new Promise((resolve) => {
    rl.on('line', (line) => {
      if (first) { first = false; scenario = JSON.parse(line); resolve(); return; }
      signals.push(line.trim());
      changed();
    });
  });
  rl.on('close', () => { if (first) { first = false; signals.push(null); } changed(); });
  rl.on('error', () => {});
  await Promise.race([loaded, until(() => signals.includes(null), 10_000, 'the scenario on stdin')]);
  if (first || scenario.url === undefined) throw new Error('no scenario on stdin');
  const deadline = setTimeout(() => finish('scenario timed out'), scenario.timeout_ms ?? 30_000);
  for (const [i, raw] of (scenario.steps ?? []).entries()) {
    const t0 = Date.now();
    const step = { ...raw };
    const entry = { i, op: step.op, action: step.action ?? step.name ?? step.conn, ok: true };
    try {
      if (!ops[step.op]) throw new Error(`unknown op ${step.op}`);
      entry.detail = await ops[step.op](step);
    } catch (err) {
      entry.ok = false;
      entry.error = String(err.message ?? err);
      violation('step-failed', { step: i, op: step.op, action: step.action, error: entry.error });
    }
    entry.ms = Date.now() - t0;
    steps.push(entry);
    if (!entry.ok) break;
  }
  clearTimeout(deadline);
  rl.close();
  await finish(null);
}

let finished = false;
async function finish(reason) {
  if (finished) return;
  finished = true;
  if (reason) violation('timeout', { error: reason });
  await Promise.all([...conns.values()].map((conn) => closeConn(conn).catch(() => undefined)));
  await Promise.all([...conns.values()].map((conn) => loadTyped(conn.client.protocol)));
  validateFrames();
  const summary = {
    ok: violations.length === 0,
    steps,
    violations,
    notes: [...new Set(notes)],
    protocols: Object.fromEntries([...conns].map(([name, c]) => [name, c.client.protocol ?? null])),
    closes: Object.fromEntries([...conns].map(([name, c]) => [name, c.closed])),
    skipped_calls: Object.fromEntries([...conns].map(([name, c]) => [name, c.skipped])),
    auto_replied: Object.fromEntries([...conns].map(([name, c]) => [name, c.auto])),
    vars,
    frames: frames.map(({ conn, dir, raw, t, text }) => ({ conn, dir, raw, t, text })),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`, () => process.exit(0));
}

main().catch((err) => {
  violation('driver-crash', { error: String(err?.stack ?? err) });
  finish(null);
});
