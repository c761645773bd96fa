import { useId } from "react";
import type { ExpertiseOverview } from "../../bindings";
import { isEmptyOverview } from "../../expertise";
import { useExpertiseQuery } from "../../queries";
import { ErrorPanel } from "../ErrorPanel/ErrorPanel";
import { Loading } from "../Loading/Loading";
import { ConflictPanel } from "./ConflictPanel";
import { DomainList } from "./DomainList";
import { EmptyExpertise } from "./EmptyExpertise";
import { ExpertiseSection } from "./ExpertiseSection";
import { RoutingLog } from "./RoutingLog";
import { SkillList } from "./SkillList";
import styles from "./ExpertiseView.module.css";

type Props = {
  projectId: string;
  /** Shows why resolving a conflict failed (a toast). */
  onError?: (reason: unknown) => void;
};

const ignore = () => {};

/**
 * The selected project's expertise (the Expertise tab): the conflicts between an expert's file and its database row,
 * waiting for a person; each domain learned, the skills the router can pick, and its latest routing decisions. Kept
 * current by the expertise sync's events (hooks/useEvents.ts).
 */
export function ExpertiseView({ projectId, onError = ignore }: Props) {
  const headingId = useId();
  const expertise = useExpertiseQuery(projectId);

  let body;
  if (expertise.data !== undefined) {
    body = <Overview projectId={projectId} overview={expertise.data} onError={onError} />;
  } else if (expertise.error !== null && !expertise.isFetching) {
    body = <ErrorPanel title="Couldn't load the expertise" error={expertise.error} onRetry={() => void expertise.refetch()} />;
  } else {
    body = <Loading label="Loading expertise…" />;
  }

  return (
    <section className={styles.view} data-testid="expertise-view" aria-labelledby={headingId}>
      <div className={styles.content}>
        <header>
          <h2 id={headingId} className={styles.heading}>
            Expertise
          </h2>
          <p className={styles.lead}>
            What the project's agents learned per domain, kept both in the database and in the repository's files, and
            which expert each task was routed to.
          </p>
        </header>
        {body}
      </div>
    </section>
  );
}

function Overview({ projectId, overview, onError }: { projectId: string; overview: ExpertiseOverview; onError: (reason: unknown) => void }) {
  if (isEmptyOverview(overview)) return <EmptyExpertise />;
  return (
    <>
      {overview.conflicts.length > 0 && (
        <ExpertiseSection
          title="Conflicts"
          count={overview.conflicts.length}
          testId="expertise-conflicts"
          hint="A file and its database row both changed since they last agreed: keep one of them."
        >
          <ConflictPanel projectId={projectId} conflicts={overview.conflicts} onError={onError} />
        </ExpertiseSection>
      )}
      <ExpertiseSection title="Domains" count={overview.domains.length} testId="expertise-domains">
        <DomainList domains={overview.domains} />
      </ExpertiseSection>
      <ExpertiseSection title="Skills" count={overview.skills.length} testId="expertise-skills">
        <SkillList skills={overview.skills} />
      </ExpertiseSection>
      <ExpertiseSection
        title="Routing decisions"
        count={overview.routing.length}
        testId="expertise-routing-section"
        hint="The latest first: the expert each task was given, and how well it fit."
      >
        <RoutingLog entries={overview.routing} />
      </ExpertiseSection>
    </>
  );
}
