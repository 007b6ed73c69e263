/**
 * Text normalisation for capability matching: tokens, a light stemmer and the terms (stems and
 * adjacent-word compounds) that the matcher indexes. Everything here is vocabulary, never routing:
 * no agent is named, and every rule applies the same way to task text and to agent profiles, so
 * a rule can only make two spellings of one word meet, never steer a task.
 */

/**
 * Shorthands and spellings users type, mapped to the word agent profiles use. Keys are whole
 * lowercase tokens (a compound such as `pen-test` is looked up whole before it is split).
 * A value may itself be a compound; it is split like typed text.
 */
const ALIASES: Readonly<Record<string, string>> = {
  k8s: 'kubernetes',
  kube: 'kubernetes',
  js: 'javascript',
  ts: 'typescript',
  py: 'python',
  e2e: 'end-to-end',
  auth: 'authentication',
  authn: 'authentication',
  authz: 'authorization',
  vuln: 'vulnerability',
  vulns: 'vulnerabilities',
  sqli: 'sql-injection',
  cicd: 'ci-cd',
  'pen-test': 'pentest',
  pr: 'pull-request',
  prs: 'pull-requests',
  db: 'database',
  repo: 'repository',
  infra: 'infrastructure',
  stats: 'statistics',
  viz: 'visualization',
  dataviz: 'data-visualization',
  xlsx: 'excel',
  xls: 'excel',
  tldr: 'summary',
  prod: 'production',
};

/** Words the suffix rules would fold into an unrelated family (production ≠ product). */
const STEM_EXCEPTIONS: Readonly<Record<string, string>> = {
  production: 'production',
  productions: 'production',
};

/**
 * Word families the suffix rules cannot join (analyse/analysis/analyst/analytics), keyed by the
 * stem the rules produce.
 */
const STEM_ALIASES: Readonly<Record<string, string>> = {
  analysis: 'analyz',
  analysi: 'analyz',
  analys: 'analyz',
  analyst: 'analyz',
  analyt: 'analyz',
  analytic: 'analyz',
  analytical: 'analyz',
  analy: 'analyz',
  explan: 'explain',
  summari: 'summar',
};

/**
 * English function words plus the filler of a request ("please help me create …"). Verbs that
 * name no domain (make, create, write, add, fix, check, run, use) are here too: every agent
 * "writes" or "fixes" something, so they only add noise; likewise nouns any task mentions (code,
 * file, project, app, user). Verbs that do carry a domain (build, test, deploy, review, translate,
 * plot) are deliberately NOT here; IDF weighs them by how many agents share them.
 */
const STOPWORDS: ReadonlySet<string> = new Set(
  `a about above after again against all also am an and any anything are as ask at be because been
  before being below between both but by can could did do does doing done don down during each either
  etc every everything few for from further get gets getting give go going got had has have having he
  her here hers him his how i if in into is it its itself just know let lets like look me might mine
  more most much must my need needs no nor not nothing now of off on once one only onto or other our
  ours out over own per please pls put same say see shall she should show so some such take tell than
  thank thanks that the their theirs them then there these they think this those through to too try
  under until up upon us very via was we were what whatever when where which while who whom whose why
  will with within without would yes yet you your yours hey hi hello kindly okay ok sure really able
  want wants wanted help helps make makes making made create creates creating created write writes
  writing written wrote add adds adding added fix fixes fixing fixed use uses using used set find run
  runs keep keeps check checks thing things something stuff someone way work works working code file
  files project app apps user users quick quickly simple basic s t`.split(/\s+/),
);

/** Suffixes removed by the stemmer, longest first; `root` is the shortest stem left behind. */
const SUFFIXES: ReadonlyArray<readonly [suffix: string, root: number]> = [
  ['ibility', 3], ['ability', 3], ['ization', 3], ['ations', 3], ['ation', 3], ['ition', 3],
  ['ments', 3], ['ment', 3], ['ness', 3], ['ator', 3], ['ance', 3], ['ence', 3], ['able', 3],
  ['ible', 3], ['ical', 3], ['ity', 3], ['ive', 3], ['ize', 3], ['ate', 3], ['ion', 4], ['ing', 3],
  ['er', 4], ['or', 4], ['ic', 4], ['ed', 3],
];

const VOWEL = /[aeiouy]/;

/**
 * A light Porter-like stemmer: folds plurals, verb forms and common derivations onto one stem
 * (deploy/deploys/deploying/deployment → `deploy`, vulnerable/vulnerability → `vulner`). Stems are
 * match keys, not words: it only matters that a word family lands on the same one.
 */
export function stem(input: string): string {
  let known = stems.get(input);
  if (known === undefined) {
    // Forgetting all at once keeps the cache bounded without bookkeeping; the words come back.
    if (stems.size >= STEM_CACHE_SIZE) stems.clear();
    stems.set(input, (known = stemOf(input)));
  }
  return known;
}

/** Words recur from task to task, and stemming one is a dozen regular expressions: remembered. */
const stems = new Map<string, string>();
const STEM_CACHE_SIZE = 50_000;

function stemOf(input: string): string {
  let w = input.toLowerCase();
  const exception = STEM_EXCEPTIONS[w];
  if (exception !== undefined) return exception;
  if (w.length <= 3 || /\d/.test(w)) return STEM_ALIASES[w] ?? w;
  // British -ise/-yse spellings fold onto -ize/-yze before anything else.
  w = w.replace(/([a-z]{3})(i|y)s(e|es|ed|ing|ation|ations|er|ers)$/, '$1$2z$3');
  if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(ss|us|is)$/.test(w)) w = w.slice(0, -1);
  // Up to three derivational layers: responsiveness → responsive → respons.
  for (let pass = 0; pass < 3; pass++) {
    const hit = SUFFIXES.find(([suffix, root]) => {
      if (!w.endsWith(suffix)) return false;
      const rest = w.slice(0, -suffix.length);
      // A stem needs a vowel (string ≠ str+ing); a verb ending never leaves an e (speed ≠ spe+ed).
      const verbEnding = suffix === 'ing' || suffix === 'ed' || suffix === 'er';
      return rest.length >= root && VOWEL.test(rest) && !(verbEnding && rest.endsWith('e'));
    });
    if (!hit) break;
    const suffix = hit[0];
    w = w.slice(0, -suffix.length);
    if (suffix === 'ing' || suffix === 'ed' || suffix === 'er') {
      // Porter's repair step: updat(ing) → update; runn(ing) → run; but add(ing) stays add.
      if (/(at|bl|iz)$/.test(w)) w += 'e';
      else if (/([^aeiouylsz])\1$/.test(w) && w.length > 3) w = w.slice(0, -1);
    }
  }
  if (w.endsWith('e') && w.length >= 4) w = w.slice(0, -1);
  // Porter's y → i after a consonant, so flaky and flakiness meet.
  if (/[^aeiou]y$/.test(w) && w.length >= 4) w = `${w.slice(0, -1)}i`;
  return STEM_ALIASES[w] ?? w;
}

/** The words of one raw token: aliased, split at `-` and `/`, stopwords and bare numbers removed. */
function wordsOf(raw: string): string[] {
  return aliased(raw)
    .split('-')
    .flatMap((part) => aliased(part).split('-'))
    .filter((part) => part.length > 1 && !/^\d+$/.test(part) && !STOPWORDS.has(part));
}

/** A raw token with its alias applied and `/` joins written as `-` (`ci/cd` → `ci-cd`). */
function aliased(raw: string): string {
  const joined = raw.replace(/\//g, '-');
  return ALIASES[raw] ?? ALIASES[joined] ?? joined;
}

/**
 * Segments (runs of text between sentence punctuation), each a list of raw tokens. A raw token
 * keeps `-` and `/` joins (`end-to-end`, `ci/cd`); `node.js` style names become `nodejs`.
 */
function segments(text: string): string[][] {
  const clean = text
    .toLowerCase()
    .replace(/[\u2018\u2019]/g, "'")
    // Contractions are function words (doesn't, can't) or carry one (what's → what).
    .replace(/\b[a-z]+n't\b/g, ' ')
    .replace(/'(s|re|ve|ll|d|m)\b/g, '')
    .replace(/([a-z0-9])\.js\b/g, '$1js');
  return clean
    .split(/[,;:!?()[\]{}"\n]|\.(?=\s|$)/)
    .map((segment) => segment.match(/[\p{L}\p{N}]+(?:[-/][\p{L}\p{N}]+)*/gu) ?? []);
}

/**
 * Lowercase tokens, stopwords dropped, aliases applied. A compound is kept whole and then split:
 * `end-to-end tests` → `end-to-end`, `end`, `end`, `tests` (`to` is a stopword).
 */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const segment of segments(text)) {
    for (const raw of segment) {
      const words = wordsOf(raw);
      if (words.length > 1) out.push(aliased(raw));
      out.push(...words);
    }
  }
  return out;
}

/**
 * The match terms of a text, each with the words it came from (for explaining a match): every
 * word's stem, every pair of adjacent words as `stem-stem` (so `landing page`, `landing-page` and
 * `landing-pages` meet), and compounds of three or more words whole. Pairs never cross sentence
 * punctuation.
 */
export function termsOf(text: string): Map<string, string> {
  const terms = new Map<string, string>();
  const add = (term: string, surface: string): void => {
    if (!terms.has(term)) terms.set(term, surface);
  };
  for (const segment of segments(text)) {
    let previous: { stem: string; word: string } | null = null;
    for (const raw of segment) {
      const words = wordsOf(raw);
      if (words.length > 2) add(words.map(stem).join('-'), words.join('-'));
      for (const word of words) {
        const s = stem(word);
        add(s, word);
        if (previous) add(`${previous.stem}-${s}`, `${previous.word} ${word}`);
        previous = { stem: s, word };
      }
    }
  }
  return terms;
}

/** The terms of a capability tag or skill id: a one-word tag is its stem, a compound only whole. */
export function tagTerms(tag: string): string[] {
  const words = tokenize(tag).filter((t) => !t.includes('-'));
  if (words.length === 0) return [];
  return [words.map(stem).join('-')];
}
