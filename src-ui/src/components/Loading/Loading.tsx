import styles from "./Loading.module.css";
export function Loading({ label }: { label: string }) {
  return (
    <div className="state-panel" data-testid="loading" role="status">
      <span className={styles.spinner} aria-hidden="true" />
      <p>{label}</p>
    </div>
  );
}
