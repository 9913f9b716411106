// ISO 3166-1 alpha-2 codes accepted as an app country (plus XK), spec §5.2.
export const COUNTRY_CODES: ReadonlySet<string> = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ ' +
    'BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR ' +
    'CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
    'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ' +
    'ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ ' +
    'LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ ' +
    'MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF ' +
    'PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI ' +
    'SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR ' +
    'TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW'
  ).split(' '),
);

const SUPPORTED: ReadonlySet<string> = new Set(Intl.supportedValuesOf('timeZone'));
const AREA_ZONE = /^(Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Europe|Indian|Pacific)\/[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)?$/;

function knownToIntl(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch (err) {
    // Decision: a RangeError is Intl's "unknown time zone"; anything else is a bug.
    if (err instanceof RangeError) return false;
    throw err;
  }
}

/**
 * IANA zones an app may use. Node's `supportedValuesOf` lists ICU's canonical ids, which are
 * the legacy names for some zones (`Asia/Calcutta`, not `Asia/Kolkata`), so a current IANA name
 * is also accepted when Intl knows it. Plain `UTC` and `Etc/*` stay excluded, as in Countly.
 */
export const TIMEZONES: ReadonlySet<string> = new (class extends Set<string> {
  override has(name: string): boolean {
    return SUPPORTED.has(name) || (AREA_ZONE.test(name) && knownToIntl(name));
  }
})(SUPPORTED);
