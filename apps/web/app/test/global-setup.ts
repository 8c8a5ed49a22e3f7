import { prepareTestTemplate } from "@latchkey/db/testing";

export default async function setup() {
  return prepareTestTemplate({ embedded: true });
}
