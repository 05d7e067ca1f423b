// The VoiceAgent CRD's speech-to-text admission rules, compiled from the agent's own capability
// tables (agent/src/stt/capabilities.ts), so the API server refuses exactly the combinations
// the agent refuses at boot. operator/test/integration/admission.test.ts checks the two agree
// over a grid of models, languages, API versions, locations, regions and projects.
// Each rule sits on `spec` (it reads stt, region and google) and runs after CRD defaulting, so
// stt.apiVersion, stt.model, stt.language, stt.streaming and region are always present.
import {
  CHIRP3_LOCATIONS,
  JURISDICTIONS,
  REGION_PREFIX_LOCATIONS,
  V1_HEBREW_MODELS,
  V1_LOCATIONS,
  V1_MODELS,
  V2_LOCATIONS,
  V2_MODELS,
} from '../agent/src/stt/capabilities.ts';

type Rule = { rule: string; message?: string; messageExpression?: string };

const list = (values: readonly string[]) => `[${values.map((v) => `'${v}'`).join(', ')}]`;
const or = (parts: string[]) => `(${parts.join(' || ')})`;

const API = 'self.stt.apiVersion';
const MODEL = 'self.stt.model';
const LANG = 'self.stt.language';
const REGION = 'self.region';
const HEBREW = `(${LANG}.startsWith('he-') || ${LANG}.startsWith('iw-'))`;
const EXPLICIT = "(has(self.stt.location) && self.stt.location != '')";
const PROJECT = "(has(self.google) && has(self.google.project) && self.google.project != '')";
const V2_ONLY = V2_MODELS.filter((m) => !V1_MODELS.includes(m));

/** The location derived from the region, as locationForRegion() does. */
function regionLocation(): string {
  let expr = `(${API} == 'v1' ? 'global' : (${REGION} in ${list(V2_LOCATIONS)} ? ${REGION} : 'global'))`;
  for (const { prefix, location } of [...REGION_PREFIX_LOCATIONS].reverse())
    expr = `(${REGION}.startsWith('${prefix}') ? '${location}' : ${expr})`;
  return expr;
}
const LOCATION = `(${EXPLICIT} ? self.stt.location : ${regionLocation()})`;

/** CEL for the jurisdiction name of a place, '' when it has none (jurisdictionOf()). */
function jurisdiction(place: string): string {
  let expr = "''";
  for (const j of [...JURISDICTIONS].reverse()) {
    const cond = or([`${place} == '${j.location}'`, ...j.prefixes.map((p) => `${place}.startsWith('${p}')`)]);
    expr = `(${cond} ? '${j.name}' : ${expr})`;
  }
  return expr;
}

const suggestFor = (loc: string) =>
  `(${loc}.startsWith('europe') ? 'eu' : ${loc}.startsWith('us') ? 'us' : 'global')`;

export function sttAdmissionRules(): Rule[] {
  const v1 = (cond: string) => `${API} != 'v1' || ${cond}`;
  const v2 = (cond: string) => `${API} != 'v2' || ${cond}`;
  const jRegion = jurisdiction(REGION);
  const jLocation = jurisdiction('self.stt.location');
  return [
    {
      rule: `!${EXPLICIT} || ${jRegion} == '' || ${jLocation} == '' || ${jRegion} == ${jLocation}`,
      messageExpression: `'stt.location ' + self.stt.location + ' is in the ' + ${jLocation} + ' but the pods run in ' + ${REGION} + ' (' + ${jRegion} + '): audio would leave the ' + ${jRegion} + '. Leave stt.location empty to derive it from spec.region, or set a location in the ' + ${jRegion}`,
    },
    {
      rule: v1(`${LOCATION} in ${list(V1_LOCATIONS)}`),
      messageExpression: `'stt.location ' + self.stt.location + ' does not exist for Speech v1, which serves only ${V1_LOCATIONS.join(', ')}: set stt.location ' + ${suggestFor('self.stt.location')} + ', or stt.apiVersion v2 for regional locations'`,
    },
    {
      rule: v1(`!(${MODEL} in ${list(V2_ONLY)})`),
      messageExpression: `'stt.model ' + ${MODEL} + ' exists only on Speech v2: set stt.apiVersion v2 (with google.project; chirp_3 needs location eu or us), or use stt.model default on v1'`,
    },
    {
      rule: v1(`${MODEL} in ${list([...V1_MODELS, ...V2_ONLY])}`),
      messageExpression: `'stt.model ' + ${MODEL} + ' is not a Speech v1 model (known: ${V1_MODELS.join(', ')})'`,
    },
    {
      rule: v1(`!${HEBREW} || !(${MODEL} in ${list(V1_MODELS)}) || ${MODEL} in ${list(V1_HEBREW_MODELS)}`),
      messageExpression: `'Hebrew (' + ${LANG} + ') on Speech v1 supports only the ${V1_HEBREW_MODELS.map((m) => `\\'${m}\\'`).join(' and ')} models; ' + ${MODEL} + ' is rejected by Google: use stt.model \\'default\\', or stt.apiVersion v2 with stt.model chirp_3'`,
    },
    {
      rule: v2(PROJECT),
      message:
        'stt.apiVersion v2 needs google.project (the recognizer path is projects/{project}/locations/{location}/recognizers/_): set google.project, or use stt.apiVersion v1',
    },
    {
      rule: v2(`${LOCATION} in ${list(V2_LOCATIONS)}`),
      messageExpression: `'stt.location ' + ${LOCATION} + ' has no Speech v2 endpoint: set stt.location ' + ${suggestFor(LOCATION)} + ' (known v2 locations: ${V2_LOCATIONS.join(', ')})'`,
    },
    {
      rule: v2(`${MODEL} in ${list(V2_MODELS)} || !(${MODEL} in ${list(V1_MODELS)})`),
      messageExpression: `'stt.model ' + ${MODEL} + ' is a Speech v1 model; v2 needs a v2 model such as chirp_3 (location eu or us), or set stt.apiVersion v1'`,
    },
    {
      rule: v2(`${MODEL} in ${list([...V2_MODELS, ...V1_MODELS])}`),
      messageExpression: `'stt.model ' + ${MODEL} + ' is not a Speech v2 model (known: ${V2_MODELS.join(', ')})'`,
    },
    {
      rule: v2(`${MODEL} != 'chirp_3' || ${LOCATION} in ${list(CHIRP3_LOCATIONS)}`),
      messageExpression: `'chirp_3 is served from the ${CHIRP3_LOCATIONS.join(' and ')} multi-regions, not ' + ${LOCATION} + ': set stt.location eu (or us), or leave it empty with an EU or US spec.region'`,
    },
    {
      rule: v2(`!self.stt.streaming || ${MODEL} != 'chirp'`),
      message: 'stt.model chirp does not support streaming recognition: use stt.model chirp_3',
    },
    {
      rule: v2(`!self.stt.streaming || !${HEBREW} || ${MODEL} != 'chirp_2'`),
      message:
        'chirp_2 does not support streaming for Hebrew: use stt.model chirp_3 (location eu), or stt.model default on stt.apiVersion v1',
    },
  ];
}
