/**
 * `npm run settings` prints the instance settings; `npm run settings -- requireEmailVerification=false` changes one
 * (`maxMembershipsPerOrganization=50`, or `=null` for no limit; `requireMfa=true` makes every user set up a second factor).
 * Values are JSON where they parse, else text: `signUpMode=invite_only`, `allowlist='["example.com"]'`,
 * `signInMethods='{"password":true,"emailCode":true,"emailLink":false,"passkey":true,"oauth":true}'`,
 * `sessionIdleMinutes=60`, `signUpFields='{"username":"required","firstName":"optional","lastName":"optional","phone":"hidden"}'`.
 * The admin console's /admin/settings does the same from a page. On PGlite, stop `npm run dev` first.
 */
import { z } from "zod";
import { createDb, migrate } from "@latchkey/db";
import { getInstanceSettings, updateInstanceSettings, type InstanceSettings } from "../src/instance-settings.ts";

function parseAssignment(arg: string): Partial<InstanceSettings> {
  const match = /^([A-Za-z]+)=(.*)$/.exec(arg);
  if (!match) throw new Error(`"${arg}" is not key=value`);
  const raw = match[2]!;
  // JSON when it parses (true, 50, null, ["example.com"], {"password":true,…}), else the text itself (signUpMode=waitlist).
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // a plain word
  }
  return { [match[1]!]: value } as Partial<InstanceSettings>;
}

const handle = await createDb({ url: process.env.DATABASE_URL });
try {
  await migrate(handle);
  const changes = process.argv.slice(2).map(parseAssignment);
  for (const change of changes) await updateInstanceSettings(handle.db, change);
  console.info(JSON.stringify(await getInstanceSettings(handle.db), null, 2));
} catch (error) {
  console.error(error instanceof z.ZodError ? z.prettifyError(error) : error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
} finally {
  await handle.close();
}
