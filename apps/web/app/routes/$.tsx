/**
 * Unknown URLs. Without this route Remix answers a 404 without running the root loader, so the error page could not
 * be in the visitor's language; throwing here renders the root ErrorBoundary with the root's data.
 */
export function loader() {
  throw new Response("Not Found", { status: 404 });
}

export default function NotFound() {
  return null;
}
