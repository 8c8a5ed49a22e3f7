import { describeErrorForLog } from "@latchkey/db";

/**
 * `.catch(logMailFailure("invitation"))`: a flow whose answer must not depend on delivery logs the failure as one line
 * (no SQL, no address, no code or link) and goes on.
 */
export function logMailFailure(what: string): (error: unknown) => void {
  return (error) => console.error(`[mail] ${what} not sent: ${describeErrorForLog(error)}`);
}
