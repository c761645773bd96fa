import styles from "./ExpertiseView.module.css";

/** What the tab says while the project has no domain, no skill and no routing decision yet. */
export function EmptyExpertise() {
  return (
    <div className={styles.empty} data-testid="expertise-empty">
      <h3 className={styles.sectionHeading}>No expert yet</h3>
      <p>
        Experts live in the repository, one per domain, in{" "}
        <code>.claude/commands/experts/&lt;domain&gt;/expertise.yaml</code>. Skills live in{" "}
        <code>.claude/skills/&lt;name&gt;/SKILL.md</code>.
      </p>
      <p>
        YokeFlow picks them up as they appear, routes each task to the expert that fits it, and shows here what they
        learned and which tasks they were given.
      </p>
    </div>
  );
}
