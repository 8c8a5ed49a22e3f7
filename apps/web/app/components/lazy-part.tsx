import { Suspense, type ComponentType } from "react";

/**
 * A component whose code is downloaded only when a page renders it (ADR 029: signed-out pages don't carry the signed-in
 * header). Unlike React.lazy: on the server the code is loaded at start-up, so pages render it in place (no streamed
 * swap that needs JavaScript); in the browser it sits in a Suspense boundary, so hydration keeps the server's HTML for
 * it until the code arrives instead of failing.
 */
export function lazyPart<P extends object>(load: () => Promise<{ default: ComponentType<P> }>): ComponentType<P> {
  let loaded: ComponentType<P> | null = null;
  let failed = false;
  let pending: Promise<void> | null = null;
  const preload = () =>
    (pending ??= load().then(
      (module) => void (loaded = module.default),
      () => void (failed = true),
    ));
  if (typeof document === "undefined") void preload();

  function Part(props: P) {
    if (loaded) {
      const Loaded = loaded;
      return <Loaded {...props} />;
    }
    if (failed) return null;
    throw preload();
  }

  return function LazyPart(props: P) {
    return (
      <Suspense fallback={null}>
        <Part {...props} />
      </Suspense>
    );
  };
}
