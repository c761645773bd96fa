import type { RoutingLogEntry } from "../../bindings";
import { formatClock, formatScore, isoTime, SOURCE_LABEL } from "../../expertise";
import styles from "./ExpertiseView.module.css";

/** The router's latest decisions, newest first: the task, the expert it was given (or none), from where, how well. */
export function RoutingLog({ entries }: { entries: readonly RoutingLogEntry[] }) {
  if (entries.length === 0) return <p className={styles.none}>No task was routed yet.</p>;
  return (
    <div className={styles.tableWrap}>
      <table className={styles.table} data-testid="expertise-routing">
        <thead>
          <tr>
            <th scope="col">Task</th>
            <th scope="col">Expert</th>
            <th scope="col">Source</th>
            <th scope="col" className={styles.number}>
              Score
            </th>
            <th scope="col" className={styles.number}>
              Time
            </th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry, index) => (
            <tr key={`${entry.at}-${entry.task_id}-${index}`} data-testid="routing-row" data-task-id={entry.task_id}>
              <td>
                <span className="card-id">{entry.task_id}</span>
              </td>
              <td>{entry.domain ?? <span className={styles.noExpert}>no expert</span>}</td>
              <td data-source={entry.source}>{SOURCE_LABEL[entry.source]}</td>
              <td className={styles.number}>{formatScore(entry.score)}</td>
              <td className={styles.number}>
                <time dateTime={isoTime(entry.at)}>{formatClock(entry.at)}</time>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
