// Fault injection, deterministic from a seed. Grammar (docs/emulator.md, "Faults"):
//
//   SPEC  := ITEM (";" ITEM)*                       (empty SPEC = no faults)
//   ITEM  := "seed=" INT | KIND [":" PARAM ("," PARAM)*]
//   KIND  := "429" | "500" | "503" | "drop" | "fail"
//   PARAM := "rate=" NUMBER      fraction of matching requests, 0 < NUMBER <= 1
//          | "nth=" INT          only the Nth matching request (1-based)
//          | "times=" INT        at most INT injections (rate rules)
//          | "method=" METHOD    GET, HEAD, PUT, PATCH, DELETE or POST
//          | "class=" CLASS      read, write, poll or action
//          | "path=" TEXT        case-insensitive substring of the request path
//          | "retry-after=" INT  seconds, for 429 (default 1) and 503 (default none)
//
// Every rule needs exactly one of rate= or nth=. "fail" matches only requests that start a
// long-running operation, which then ends Failed. Rules are tried in order; the first that fires wins.
// Each rule keeps its own counter and its own random stream (seeded from seed + rule index), so a run
// is reproducible for a given sequence of requests.

export type FaultKind = "429" | "500" | "503" | "drop" | "fail";
export type RequestClass = "read" | "write" | "poll" | "action";

export interface FaultRule {
  kind: FaultKind;
  rate?: number;
  nth?: number;
  times?: number;
  method?: string;
  requestClass?: RequestClass;
  pathContains?: string;
  retryAfterSeconds?: number;
}

export interface FaultSpec {
  seed: number;
  rules: FaultRule[];
  /** The text the spec was parsed from. */
  source: string;
}

export class FaultSpecError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid --faults spec:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    this.name = "FaultSpecError";
  }
}

const KINDS: readonly FaultKind[] = ["429", "500", "503", "drop", "fail"];
const METHODS = ["GET", "HEAD", "PUT", "PATCH", "DELETE", "POST"];
const CLASSES: readonly RequestClass[] = ["read", "write", "poll", "action"];
const DEFAULT_SEED = 1;

function parsePositiveInt(text: string): number | undefined {
  return /^\d+$/.test(text) && Number(text) >= 1 && Number.isSafeInteger(Number(text)) ? Number(text) : undefined;
}

/** Parses a SPEC strictly; throws FaultSpecError naming every problem. */
export function parseFaultSpec(source: string): FaultSpec {
  const problems: string[] = [];
  const rules: FaultRule[] = [];
  let seed = DEFAULT_SEED;
  const items = source
    .split(";")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  items.forEach((item, itemIndex) => {
    const where = `item ${itemIndex + 1} "${item}"`;
    const seedMatch = /^seed\s*=\s*(.*)$/i.exec(item);
    if (seedMatch) {
      const value = seedMatch[1]!.trim();
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) problems.push(`${where}: seed must be a non-negative integer`);
      else seed = Number(value);
      return;
    }
    const colon = item.indexOf(":");
    const kindText = (colon === -1 ? item : item.slice(0, colon)).trim().toLowerCase();
    if (!(KINDS as readonly string[]).includes(kindText)) {
      problems.push(`${where}: unknown fault kind "${kindText}" (expected one of ${KINDS.join(", ")}, or seed=INT)`);
      return;
    }
    const rule: FaultRule = { kind: kindText as FaultKind };
    const params =
      colon === -1
        ? []
        : item
            .slice(colon + 1)
            .split(",")
            .map((param) => param.trim());
    const seen = new Set<string>();
    for (const param of params) {
      const equals = param.indexOf("=");
      if (equals === -1) {
        problems.push(`${where}: parameter "${param}" must be NAME=VALUE`);
        continue;
      }
      const name = param.slice(0, equals).trim().toLowerCase();
      const value = param.slice(equals + 1).trim();
      if (seen.has(name)) problems.push(`${where}: parameter ${name} given twice`);
      seen.add(name);
      switch (name) {
        case "rate": {
          const rate = Number(value);
          if (value === "" || !Number.isFinite(rate) || rate <= 0 || rate > 1) problems.push(`${where}: rate=${value} must be a number in (0, 1]`);
          else rule.rate = rate;
          break;
        }
        case "nth": {
          const nth = parsePositiveInt(value);
          if (nth === undefined) problems.push(`${where}: nth=${value} must be an integer >= 1`);
          else rule.nth = nth;
          break;
        }
        case "times": {
          const times = parsePositiveInt(value);
          if (times === undefined) problems.push(`${where}: times=${value} must be an integer >= 1`);
          else rule.times = times;
          break;
        }
        case "method": {
          const method = value.toUpperCase();
          if (!METHODS.includes(method)) problems.push(`${where}: method=${value} must be one of ${METHODS.join(", ")}`);
          else rule.method = method;
          break;
        }
        case "class": {
          const requestClass = value.toLowerCase();
          if (!(CLASSES as readonly string[]).includes(requestClass)) problems.push(`${where}: class=${value} must be one of ${CLASSES.join(", ")}`);
          else rule.requestClass = requestClass as RequestClass;
          break;
        }
        case "path":
          if (value === "") problems.push(`${where}: path= must not be empty`);
          else rule.pathContains = value.toLowerCase();
          break;
        case "retry-after": {
          if (rule.kind !== "429" && rule.kind !== "503") problems.push(`${where}: retry-after applies only to 429 and 503`);
          if (!/^\d+$/.test(value)) problems.push(`${where}: retry-after=${value} must be a whole number of seconds`);
          else rule.retryAfterSeconds = Number(value);
          break;
        }
        default:
          problems.push(`${where}: unknown parameter "${name}" (expected rate, nth, times, method, class, path, retry-after)`);
      }
    }
    if ((rule.rate === undefined) === (rule.nth === undefined)) problems.push(`${where}: give exactly one of rate= or nth=`);
    if (rule.times !== undefined && rule.nth !== undefined) problems.push(`${where}: times= applies only to rate= rules`);
    if (rule.kind === "fail" && rule.requestClass === "poll") problems.push(`${where}: fail applies to requests that start an operation, not polls`);
    rules.push(rule);
  });
  if (problems.length > 0) throw new FaultSpecError(problems);
  return { seed, rules, source };
}

/** mulberry32: a small deterministic PRNG, enough for fault sampling. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RequestFacts {
  method: string;
  path: string;
  requestClass: RequestClass;
}

export interface InjectedFault {
  kind: FaultKind;
  retryAfterSeconds?: number;
  /** Index of the rule that fired, for the request log. */
  rule: number;
}

interface RuleState {
  rule: FaultRule;
  matched: number;
  fired: number;
  random: () => number;
}

export class FaultInjector {
  private states: RuleState[] = [];
  private spec: FaultSpec = { seed: DEFAULT_SEED, rules: [], source: "" };

  constructor(spec?: FaultSpec) {
    if (spec) this.set(spec);
  }

  set(spec: FaultSpec): void {
    this.spec = spec;
    this.states = spec.rules.map((rule, index) => ({ rule, matched: 0, fired: 0, random: mulberry32(spec.seed * 7919 + index) }));
  }

  describe(): { source: string; seed: number; rules: Array<FaultRule & { matched: number; fired: number }> } {
    return {
      source: this.spec.source,
      seed: this.spec.seed,
      rules: this.states.map((state) => ({ ...state.rule, matched: state.matched, fired: state.fired })),
    };
  }

  /** Decides the fault (other than "fail") for an incoming request, if any. */
  onRequest(facts: RequestFacts): InjectedFault | undefined {
    return this.decide(facts, (rule) => rule.kind !== "fail");
  }

  /** Decides whether an operation that a request starts must end Failed. */
  onOperationStart(facts: RequestFacts): boolean {
    return this.decide(facts, (rule) => rule.kind === "fail") !== undefined;
  }

  private decide(facts: RequestFacts, applies: (rule: FaultRule) => boolean): InjectedFault | undefined {
    let chosen: InjectedFault | undefined;
    this.states.forEach((state, index) => {
      const { rule } = state;
      if (!applies(rule)) return;
      if (rule.method !== undefined && rule.method !== facts.method.toUpperCase()) return;
      if (rule.requestClass !== undefined && rule.requestClass !== facts.requestClass) return;
      if (rule.pathContains !== undefined && !facts.path.toLowerCase().includes(rule.pathContains)) return;
      state.matched += 1;
      // Draw for every matching request so that a rule's stream does not depend on other rules.
      const draw = state.random();
      if (chosen !== undefined) return;
      let fires: boolean;
      if (rule.nth !== undefined) fires = state.matched === rule.nth;
      else fires = draw < (rule.rate ?? 0) && (rule.times === undefined || state.fired < rule.times);
      if (!fires) return;
      state.fired += 1;
      const retryAfterSeconds = rule.retryAfterSeconds ?? (rule.kind === "429" ? 1 : undefined);
      chosen = { kind: rule.kind, retryAfterSeconds, rule: index };
    });
    return chosen;
  }
}
