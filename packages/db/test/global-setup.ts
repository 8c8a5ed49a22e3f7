import { prepareTestTemplate } from "../src/testing.ts";

export default async function setup() {
  return prepareTestTemplate();
}
