/** The log's table, entry drawer and diff: one set of components for the console and the embedded viewer. */
export { actorLabel, DiffView, EntryDrawer, type EntryDrawerProps, type LogEntry, targetLabel } from './entry';
export { diffChanges, type DiffRow } from './diff';
export { LogTable, type LogTableProps } from './log-table';
