import { memo } from "react";
import styles from "./ViewTabs.module.css";

export type MainView = "board" | "lanes" | "timeline" | "expertise" | "settings";

const VIEWS: readonly { view: MainView; label: string }[] = [
  { view: "board", label: "Board" },
  { view: "lanes", label: "Worktrees" },
  { view: "timeline", label: "Timeline" },
  { view: "expertise", label: "Expertise" },
  { view: "settings", label: "Settings" },
];

type Props = { view: MainView; onChange: (view: MainView) => void };

function ViewTabsInner({ view, onChange }: Props) {
  return (
    <div className={styles.viewTabs} role="tablist" aria-label="View">
      {VIEWS.map((item) => (
        <button
          key={item.view}
          type="button"
          role="tab"
          className={styles.viewTab}
          data-testid={`view-${item.view}`}
          aria-selected={view === item.view}
          onClick={() => onChange(item.view)}
        >
          {item.label}
        </button>
      ))}
    </div>
  );
}

/** Board | Worktrees | Timeline | Expertise | Settings, above the main area. */
export const ViewTabs = memo(ViewTabsInner);
