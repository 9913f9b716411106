// The simulated apps: several apps in different timezones and countries, with unequal traffic.
import type { Platform } from './catalog.ts';

export interface AppProfile {
  readonly name: string;
  /** IANA zone given to Tally when the app is created. */
  readonly timezone: string;
  /** The devices' UTC offset, minutes (SDKs send it as `tz`); fixed, so no DST arithmetic here. */
  readonly tzOffsetMin: number;
  readonly country: string;
  readonly platform: Platform;
  /** Relative share of all traffic. */
  readonly trafficShare: number;
}

export const APP_PROFILES: readonly AppProfile[] = [
  { name: 'Bench Shop iOS+Android', timezone: 'America/New_York', tzOffsetMin: -300, country: 'US', platform: 'mobile', trafficShare: 45 },
  { name: 'Bench Game', timezone: 'Europe/Istanbul', tzOffsetMin: 180, country: 'TR', platform: 'mobile', trafficShare: 30 },
  { name: 'Bench News Web', timezone: 'Asia/Tokyo', tzOffsetMin: 540, country: 'JP', platform: 'web', trafficShare: 15 },
  { name: 'Bench Fitness', timezone: 'Australia/Sydney', tzOffsetMin: 600, country: 'AU', platform: 'mobile', trafficShare: 10 },
];

/** An app as the workload addresses it: its profile plus the id and key Tally gave it. */
export interface WorkloadApp {
  readonly profile: AppProfile;
  readonly id: string;
  readonly key: string;
}

const SDKS: Readonly<Record<Platform, readonly (readonly [string, string])[]>> = {
  mobile: [
    ['java-native-android', '24.7.3'],
    ['objc-native-ios', '24.7.2'],
  ],
  web: [['javascript_native_web', '24.11.0']],
};

/** The SDK a device's requests name: Android SDK for Android devices, iOS SDK otherwise. */
export function sdkOf(platform: Platform, os: string): readonly [string, string] {
  const list = SDKS[platform];
  const sdk = platform === 'mobile' && os !== 'Android' ? list[1] : list[0];
  if (sdk === undefined) throw new RangeError(`no SDK for ${platform}`);
  return sdk;
}
