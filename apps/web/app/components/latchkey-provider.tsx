import { createContext, useContext, type ReactNode } from "react";
import { elementProps, mergeAppearance, variablesToStyle, type Appearance, type AppearanceElement } from "~/lib/appearance";

const AppearanceContext = createContext<Appearance>({});

/** At the root: the app-wide appearance every prebuilt component reads (see ~/appearance.ts). */
export function LatchkeyProvider({ appearance, children }: { appearance?: Appearance; children: ReactNode }) {
  return <AppearanceContext.Provider value={appearance ?? {}}>{children}</AppearanceContext.Provider>;
}

/** The appearance in force here: the provider's, overridden by the nearest component's `appearance` prop. */
export function useAppearance(): Appearance {
  return useContext(AppearanceContext);
}

/** `className`/`style` for a named part, from the appearance in force. */
export function useElement(element: AppearanceElement, baseClassName = "") {
  return elementProps(useAppearance(), element, baseClassName);
}

/**
 * A component's own `appearance` prop: merged over the provider's for everything inside, and its `variables`
 * applied as CSS custom properties on a wrapper, so they reach only this component.
 */
export function AppearanceScope({ appearance, children }: { appearance?: Appearance; children: ReactNode }) {
  const inherited = useAppearance();
  if (!appearance) return <>{children}</>;
  const merged = mergeAppearance(inherited, appearance);
  // display: contents keeps the wrapper out of the layout; custom properties still inherit through it.
  const root = elementProps(merged, "rootBox", "contents");
  return (
    <AppearanceContext.Provider value={merged}>
      <div data-lk-appearance="" className={root.className} style={{ ...variablesToStyle(appearance.variables), ...root.style }}>
        {children}
      </div>
    </AppearanceContext.Provider>
  );
}
