import { useState } from "react";
import type { DomainView } from "../../bindings";
import { formatPercent } from "../../board";
import { describeUsage, PATTERNS_SHOWN } from "../../expertise";
import styles from "./ExpertiseView.module.css";

/** What the "your file" badge explains. */
const PERSONS_FILE_TITLE =
  "Your file: YokeFlow edits only confidence, usage, metrics and patterns in it, and keeps the rest as you wrote it.";

/** The project's domains of expertise, one card each. */
export function DomainList({ domains }: { domains: readonly DomainView[] }) {
  if (domains.length === 0) return <p className={styles.none}>No domain yet.</p>;
  return (
    <ul className={styles.cards}>
      {domains.map((domain) => (
        <DomainCard key={domain.domain} domain={domain} />
      ))}
    </ul>
  );
}

/** A domain: its name, confidence and usage, its description, its file and the patterns learned. */
function DomainCard({ domain }: { domain: DomainView }) {
  return (
    <li className={styles.card} data-testid="expertise-domain" data-domain={domain.domain}>
      <div className={styles.cardHead}>
        <h4 className={styles.name}>{domain.domain}</h4>
        {domain.persons_file && (
          <span className={styles.badge} data-kind="person" data-testid="persons-file" title={PERSONS_FILE_TITLE}>
            your file
          </span>
        )}
        <Confidence value={domain.confidence} />
        <span className={styles.usage} data-testid="domain-usage">
          {describeUsage(domain.usage_count)}
        </span>
      </div>
      {domain.description !== null && domain.description !== "" && <p className={styles.description}>{domain.description}</p>}
      <code className={styles.path} data-testid="domain-file">
        {domain.file}
      </code>
      <Patterns patterns={domain.patterns} />
    </li>
  );
}

/** The domain's confidence as a percentage, with a small bar. */
function Confidence({ value }: { value: number }) {
  const percent = Math.round(Math.min(1, Math.max(0, value)) * 100);
  return (
    <span className={styles.confidence} data-testid="domain-confidence" title="How sure YokeFlow is of this expertise">
      <span className={styles.meter} aria-hidden="true">
        <span className={styles.meterFill} style={{ width: `${percent}%` }} />
      </span>
      {formatPercent(value)}
    </span>
  );
}

/** The first patterns learned, the rest behind "+N more". */
function Patterns({ patterns }: { patterns: readonly string[] }) {
  const [open, setOpen] = useState(false);
  if (patterns.length === 0) return <p className={styles.none}>No pattern learned yet.</p>;
  const hidden = patterns.length - PATTERNS_SHOWN;
  const shown = open || hidden <= 0 ? patterns : patterns.slice(0, PATTERNS_SHOWN);
  return (
    <div className={styles.patterns}>
      <ul className={styles.patternList} aria-label="Patterns">
        {shown.map((pattern, index) => (
          <li key={index} className={styles.pattern} data-testid="domain-pattern">
            {pattern}
          </li>
        ))}
      </ul>
      {hidden > 0 && (
        <button
          type="button"
          className={styles.linkButton}
          data-testid="patterns-more"
          aria-expanded={open}
          onClick={() => setOpen((was) => !was)}
        >
          {open ? "Show fewer" : `+${hidden} more`}
        </button>
      )}
    </div>
  );
}
